//! Bar chart: categories on the x axis, one bar per series in each category, bars grow from zero
//! (so negative values such as budget variance hang below the axis).

use crate::line::{draw_frame_text, draw_legend, draw_y_axis, layout, Layout};
use crate::svg::{finite, label_step, num, Frame, Svg, Target, PALETTE, TICK_CHAR_PX};

/// One named series with a value per category (missing values are not drawn).
#[derive(Debug, Clone, PartialEq)]
pub struct BarSeries {
    pub name: String,
    pub values: Vec<f64>,
}

/// A grouped bar chart description.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BarChart {
    pub frame: Frame,
    pub categories: Vec<String>,
    pub series: Vec<BarSeries>,
    pub target: Option<Target>,
    /// Prints each bar's value above it.
    pub value_labels: bool,
}

/// Renders a bar chart.
pub fn bar_chart(c: &BarChart) -> String {
    let frame = &c.frame;
    let mut svg = Svg::new(frame, "chart bar-chart");
    let values: Vec<f64> = finite(c.series.iter().flat_map(|s| s.values.iter().copied()))
        .chain(c.target.iter().map(|t| t.value).filter(|v| v.is_finite()))
        .chain([0.0])
        .collect();
    let lo = values.iter().copied().fold(0.0, f64::min);
    let hi = values.iter().copied().fold(0.0, f64::max);
    let (l, y_ticks) = layout(frame, lo, hi);
    let Layout {
        left,
        right,
        bottom,
        ..
    } = l;
    draw_frame_text(&mut svg, frame, &l);
    let y = draw_y_axis(&mut svg, &l, &y_ticks);
    let zero = y.px(0.0);

    let groups = c.categories.len().max(1) as f64;
    let group_w = (right - left) / groups;
    let n_series = c.series.len().max(1) as f64;
    let bar_w = group_w * 0.8 / n_series;
    svg.open("g", &[("class", "x-axis")]);
    // Long series show every k-th category so labels never overlap (each bar's title keeps
    // its category).
    let longest = c
        .categories
        .iter()
        .map(|s| s.chars().count())
        .max()
        .unwrap_or(0);
    let step = label_step(c.categories.len(), group_w, longest, TICK_CHAR_PX);
    for (i, cat) in c.categories.iter().enumerate().step_by(step) {
        let cx = left + group_w * (i as f64 + 0.5);
        svg.text(cx, bottom + 16.0, "middle", "tick", cat);
    }
    svg.close();
    for (s_idx, s) in c.series.iter().enumerate() {
        let colour = PALETTE[s_idx % PALETTE.len()];
        svg.open("g", &[("class", "series"), ("aria-label", &s.name)]);
        for (i, v) in s.values.iter().enumerate().take(c.categories.len()) {
            if !v.is_finite() {
                continue;
            }
            let x = left + group_w * (i as f64 + 0.1) + bar_w * s_idx as f64;
            let top = y.px(*v).min(zero);
            let h = (y.px(*v) - zero).abs();
            svg.open("g", &[("class", "bar")]);
            let label = format!("{}: {}", c.categories[i], frame.number(*v));
            svg.text_element("title", &[], &label);
            svg.rect(x, top, bar_w, h, "bar-rect", colour);
            if c.value_labels {
                let ty = if *v >= 0.0 { top - 3.0 } else { top + h + 11.0 };
                svg.text(x + bar_w / 2.0, ty, "middle", "value", &frame.number(*v));
            }
            svg.close();
        }
        svg.close();
    }
    svg.line((left, zero), (right, zero), "axis", "#333333");
    let mut legend: Vec<(String, &str, bool)> = c
        .series
        .iter()
        .enumerate()
        .map(|(n, s)| (s.name.clone(), PALETTE[n % PALETTE.len()], false))
        .collect();
    if let Some(t) = c.target.as_ref().filter(|t| t.value.is_finite()) {
        let ty = y.px(t.value);
        svg.empty(
            "line",
            &[
                ("x1", &num(left)),
                ("y1", &num(ty)),
                ("x2", &num(right)),
                ("y2", &num(ty)),
                ("class", "target"),
                ("stroke", "#C00000"),
                ("stroke-width", "2"),
                ("stroke-dasharray", "6 4"),
            ],
        );
        legend.push((t.label.clone(), "#C00000", true));
    }
    draw_legend(&mut svg, &l, &legend);
    svg.finish()
}

#[cfg(test)]
mod label_tests {
    use super::*;

    #[test]
    fn a_long_bar_series_labels_every_kth_category_and_keeps_every_bar() {
        let categories: Vec<String> = (1..=60).map(|d| format!("{d:02}-04-2026")).collect();
        let chart = BarChart {
            frame: Frame {
                width: 640,
                height: 300,
                title: "t".into(),
                description: String::new(),
                x_label: String::new(),
                y_label: String::new(),
                decimal_separator: ',',
                thousands_separator: Some('.'),
            },
            categories,
            series: vec![BarSeries {
                name: "s".into(),
                values: (1..=60).map(f64::from).collect(),
            }],
            target: None,
            value_labels: false,
        };
        let svg = bar_chart(&chart);
        let ticks = svg.matches("class=\"tick\"").count();
        assert!(ticks < 60 && ticks > 5, "{ticks} labels");
        assert_eq!(svg.matches("class=\"bar-rect\"").count(), 60);
    }
}
