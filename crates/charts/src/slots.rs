//! Weekday × time-slot heat-map of a percentage (service level): one row per weekday, one
//! column per slot, each cell showing its value as text and judged against an optional target.
//!
//! Status is never carried by colour alone: every cell prints its value, its `<title>` names the
//! row, the column, the value and the status word, and cells below the target are also drawn
//! with a thick dark border, so the chart reads the same in grey print.

use crate::svg::{num, Frame, Svg};

/// The status of one cell against the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SlotStatus {
    /// At or above the target (or measured, when there is no target).
    Meets,
    /// Below the target.
    Below,
    /// No value in this cell (no calls).
    NoData,
}

impl SlotStatus {
    /// Every status, in legend order.
    pub const ALL: [SlotStatus; 3] = [SlotStatus::Meets, SlotStatus::Below, SlotStatus::NoData];

    /// The status of `value` against `target` (higher is better).
    pub fn of(value: Option<f64>, target: Option<f64>) -> SlotStatus {
        match (value, target) {
            (None, _) => SlotStatus::NoData,
            (Some(v), Some(t)) if v < t => SlotStatus::Below,
            (Some(_), _) => SlotStatus::Meets,
        }
    }

    fn fill(self) -> &'static str {
        match self {
            SlotStatus::Meets => "#8BC34A",
            SlotStatus::Below => "#E53935",
            SlotStatus::NoData => "#EEEEEE",
        }
    }

    fn class(self) -> &'static str {
        match self {
            SlotStatus::Meets => "cell slot-meets",
            SlotStatus::Below => "cell slot-below",
            SlotStatus::NoData => "cell slot-no-data",
        }
    }

    fn index(self) -> usize {
        match self {
            SlotStatus::Meets => 0,
            SlotStatus::Below => 1,
            SlotStatus::NoData => 2,
        }
    }
}

/// A weekday × slot heat-map description. `frame.x_label` names the slot axis and
/// `frame.y_label` the weekday axis.
pub struct SlotHeatMap {
    pub frame: Frame,
    /// Row labels (weekdays), top to bottom.
    pub rows: Vec<String>,
    /// Column labels (slots such as `10:00`), left to right.
    pub columns: Vec<String>,
    /// Values in percent: `values[row][column]`; `None` for no data.
    pub values: Vec<Vec<Option<f64>>>,
    /// The target in percent, if the plan has one.
    pub target: Option<f64>,
    /// Legend and status words for meets, below and no data.
    pub status_labels: [String; 3],
}

/// Renders the heat-map.
pub fn slot_heat_map(h: &SlotHeatMap) -> String {
    let frame = &h.frame;
    let w = f64::from(frame.width.max(200));
    let (left, top) = (72.0, 36.0);
    let cols = h.columns.len().max(1) as f64;
    let cell_w = ((w - left - 12.0) / cols).max(18.0);
    let cell_h = 26.0;
    let mut svg = Svg::new(frame, "chart slot-heat-map");
    svg.text(w / 2.0, 18.0, "middle", "chart-title", &frame.title);
    svg.open("g", &[("class", "cells")]);
    for (r, row) in h.rows.iter().enumerate() {
        let y = top + cell_h * r as f64;
        svg.text(left - 6.0, y + cell_h / 2.0 + 4.0, "end", "tick", row);
        for (c, column) in h.columns.iter().enumerate() {
            let value = h.values.get(r).and_then(|v| v.get(c)).copied().flatten();
            let status = SlotStatus::of(value, h.target);
            let x = left + cell_w * c as f64;
            let shown = value.map(|v| frame.number(v.round()));
            svg.open("g", &[("class", status.class())]);
            let title = match &shown {
                Some(s) => format!(
                    "{row} {column}: {s} % ({})",
                    h.status_labels[status.index()]
                ),
                None => format!("{row} {column}: {}", h.status_labels[status.index()]),
            };
            svg.text_element("title", &[], &title);
            let (stroke, stroke_width) = if status == SlotStatus::Below {
                ("#212121", "2")
            } else {
                ("#ffffff", "1")
            };
            svg.empty(
                "rect",
                &[
                    ("x", &num(x)),
                    ("y", &num(y)),
                    ("width", &num(cell_w)),
                    ("height", &num(cell_h)),
                    ("fill", status.fill()),
                    ("stroke", stroke),
                    ("stroke-width", stroke_width),
                ],
            );
            if let Some(s) = shown {
                svg.text_element(
                    "text",
                    &[
                        ("x", &num(x + cell_w / 2.0)),
                        ("y", &num(y + cell_h / 2.0 + 4.0)),
                        ("text-anchor", "middle"),
                        ("class", "value"),
                        ("font-size", "10"),
                    ],
                    &s,
                );
            }
            svg.close();
        }
    }
    svg.close();
    let bottom = top + cell_h * h.rows.len() as f64;
    for (c, column) in h.columns.iter().enumerate() {
        svg.text(
            left + cell_w * (c as f64 + 0.5),
            bottom + 14.0,
            "middle",
            "tick",
            column,
        );
    }
    svg.text(
        left + cell_w * cols / 2.0,
        bottom + 30.0,
        "middle",
        "axis-label",
        &frame.x_label,
    );
    svg.open("g", &[("class", "legend")]);
    let mut x = left;
    for status in SlotStatus::ALL {
        let label = &h.status_labels[status.index()];
        svg.rect(x, bottom + 40.0, 12.0, 12.0, status.class(), status.fill());
        svg.text(x + 16.0, bottom + 50.0, "start", "legend-label", label);
        x += 28.0 + 6.5 * label.chars().count() as f64;
    }
    svg.close();
    svg.finish()
}

/// The height a heat-map of `rows` rows needs, for the caller's frame.
pub fn slot_heat_map_height(rows: usize) -> u32 {
    (36 + 26 * rows + 70) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(target: Option<f64>) -> SlotHeatMap {
        SlotHeatMap {
            frame: Frame {
                title: "SL <weekday>".into(),
                description: "per slot".into(),
                x_label: "slot".into(),
                ..Frame::default()
            },
            rows: vec!["Mon".into(), "Tue".into()],
            columns: vec!["09:00".into(), "10:00".into()],
            values: vec![vec![Some(90.0), Some(41.6)], vec![None, Some(80.0)]],
            target,
            status_labels: ["meets".into(), "below".into(), "no data".into()],
        }
    }

    #[test]
    fn a_cell_below_target_names_its_value_and_status_in_words() {
        let svg = slot_heat_map(&map(Some(80.0)));
        assert!(
            svg.contains("<title>Mon 10:00: 42 % (below)</title>"),
            "{svg}"
        );
        assert!(svg.contains("<title>Mon 09:00: 90 % (meets)</title>"));
        assert!(
            svg.contains("<title>Tue 10:00: 80 % (meets)</title>"),
            "at target meets"
        );
        assert!(svg.contains("<title>Tue 09:00: no data</title>"));
        assert_eq!(
            svg.matches("class=\"cell slot-below\"").count(),
            2,
            "one cell + legend"
        );
        assert!(svg.contains("<desc>per slot</desc>"));
        assert!(svg.contains("aria-label=\"SL &lt;weekday&gt;\""));
    }

    #[test]
    fn without_a_target_no_cell_is_below() {
        let svg = slot_heat_map(&map(None));
        assert!(svg.contains("Mon 10:00: 42 % (meets)"));
        assert_eq!(
            svg.matches("class=\"cell slot-below\"").count(),
            1,
            "legend only"
        );
    }

    #[test]
    fn the_same_input_gives_the_same_svg() {
        assert_eq!(
            slot_heat_map(&map(Some(80.0))),
            slot_heat_map(&map(Some(80.0)))
        );
    }
}
