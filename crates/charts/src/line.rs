//! Line chart: several series over a numeric x axis, with an optional horizontal target line.
//!
//! Used for "service level vs agents" curves and for a KPI per interval against its target.
//! Points with a non-finite value break the line instead of drawing to zero.

use crate::svg::{
    finite, label_step, num, ticks, Frame, Scale, Svg, Target, PALETTE, TICK_CHAR_PX,
};

/// One named series of (x, y) points, drawn in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

/// A line chart description.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LineChart {
    pub frame: Frame,
    pub series: Vec<Series>,
    pub target: Option<Target>,
    /// Tick positions and labels for the x axis (e.g. `08:00`); empty for round numbers.
    pub x_ticks: Vec<(f64, String)>,
    /// Forces the y axis to start at zero (counts, percentages).
    pub y_from_zero: bool,
}

/// Where the plot area sits inside the frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Layout {
    pub left: f64,
    pub top: f64,
    pub right: f64,
    pub bottom: f64,
}

/// Round y ticks covering `lo..hi` with their labels, and a layout whose left margin fits them.
pub(crate) fn layout(frame: &Frame, lo: f64, hi: f64) -> (Layout, Vec<(f64, String)>) {
    let t: Vec<(f64, String)> = ticks(lo, hi, 6)
        .into_iter()
        .map(|v| (v, frame.number(v)))
        .collect();
    let widest = t.iter().map(|(_, l)| l.chars().count()).max().unwrap_or(1);
    let (w, h) = (
        f64::from(frame.width.max(120)),
        f64::from(frame.height.max(120)),
    );
    let left = (30.0 + 6.5 * widest as f64).max(56.0).min(w / 2.0);
    let l = Layout {
        left,
        top: 32.0,
        right: w - 16.0,
        bottom: h - 60.0,
    };
    (l, t)
}

/// Title on top, axis names at the bottom and on the left.
pub(crate) fn draw_frame_text(svg: &mut Svg, frame: &Frame, l: &Layout) {
    svg.text(
        (l.left + l.right) / 2.0,
        18.0,
        "middle",
        "chart-title",
        &frame.title,
    );
    if !frame.x_label.is_empty() {
        svg.text(
            (l.left + l.right) / 2.0,
            l.bottom + 32.0,
            "middle",
            "axis-label",
            &frame.x_label,
        );
    }
    if !frame.y_label.is_empty() {
        let (x, y) = (14.0, (l.top + l.bottom) / 2.0);
        svg.text_element(
            "text",
            &[
                ("x", &num(x)),
                ("y", &num(y)),
                ("text-anchor", "middle"),
                ("class", "axis-label"),
                ("transform", &format!("rotate(-90 {} {})", num(x), num(y))),
            ],
            &frame.y_label,
        );
    }
}

/// Horizontal grid lines with y tick labels; returns the y scale.
pub(crate) fn draw_y_axis(svg: &mut Svg, l: &Layout, t: &[(f64, String)]) -> Scale {
    let scale = Scale {
        min: t.first().map_or(0.0, |t| t.0),
        max: t.last().map_or(1.0, |t| t.0),
        from_px: l.bottom,
        to_px: l.top,
    };
    svg.open("g", &[("class", "y-axis")]);
    for (v, label) in t {
        let y = scale.px(*v);
        svg.line((l.left, y), (l.right, y), "grid", "#dddddd");
        svg.text(l.left - 6.0, y + 4.0, "end", "tick", label);
    }
    svg.line((l.left, l.top), (l.left, l.bottom), "axis", "#333333");
    svg.close();
    scale
}

/// Legend entries in one row under the x axis label.
pub(crate) fn draw_legend(svg: &mut Svg, l: &Layout, entries: &[(String, &str, bool)]) {
    let y = l.bottom + 50.0;
    let mut x = l.left;
    svg.open("g", &[("class", "legend")]);
    for (label, colour, dashed) in entries {
        let dash = if *dashed { "6 4" } else { "none" };
        svg.empty(
            "line",
            &[
                ("x1", &num(x)),
                ("y1", &num(y - 4.0)),
                ("x2", &num(x + 18.0)),
                ("y2", &num(y - 4.0)),
                ("stroke", colour),
                ("stroke-width", "3"),
                ("stroke-dasharray", dash),
            ],
        );
        svg.text(x + 22.0, y, "start", "legend-label", label);
        x += 30.0 + 6.5 * label.chars().count() as f64;
    }
    svg.close();
}

/// Renders a line chart.
pub fn line_chart(c: &LineChart) -> String {
    let frame = &c.frame;
    let mut svg = Svg::new(frame, "chart line-chart");

    let xs: Vec<f64> = finite(c.series.iter().flat_map(|s| s.points.iter().map(|p| p.0)))
        .chain(finite(c.x_ticks.iter().map(|t| t.0)))
        .collect();
    let ys: Vec<f64> = finite(c.series.iter().flat_map(|s| s.points.iter().map(|p| p.1)))
        .chain(c.target.iter().map(|t| t.value).filter(|v| v.is_finite()))
        .collect();
    let (x_lo, x_hi) = min_max(&xs);
    let (mut y_lo, y_hi) = min_max(&ys);
    if c.y_from_zero {
        y_lo = y_lo.min(0.0);
    }
    let (l, y_ticks) = layout(frame, y_lo, y_hi);
    let Layout {
        left,
        right,
        bottom,
        ..
    } = l;
    draw_frame_text(&mut svg, frame, &l);
    let y = draw_y_axis(&mut svg, &l, &y_ticks);
    let x = draw_x_axis(&mut svg, c, &l, x_lo, x_hi);

    for (n, s) in c.series.iter().enumerate() {
        let colour = PALETTE[n % PALETTE.len()];
        svg.open("g", &[("class", "series"), ("aria-label", &s.name)]);
        for segment in segments(&s.points) {
            let pts: Vec<String> = segment
                .iter()
                .map(|(a, b)| format!("{},{}", num(x.px(*a)), num(y.px(*b))))
                .collect();
            svg.empty(
                "polyline",
                &[
                    ("points", &pts.join(" ")),
                    ("fill", "none"),
                    ("stroke", colour),
                    ("stroke-width", "2"),
                ],
            );
        }
        svg.close();
    }
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
    svg.line((left, bottom), (right, bottom), "axis", "#333333");
    draw_legend(&mut svg, &l, &legend);
    svg.finish()
}

fn draw_x_axis(svg: &mut Svg, c: &LineChart, l: &Layout, lo: f64, hi: f64) -> Scale {
    let frame = &c.frame;
    let (left, right, bottom) = (l.left, l.right, l.bottom);
    let labelled: Vec<(f64, String)> = if c.x_ticks.is_empty() {
        ticks(lo, hi, 8)
            .into_iter()
            .map(|v| (v, frame.number(v)))
            .collect()
    } else {
        c.x_ticks.clone()
    };
    let (min, max) = if c.x_ticks.is_empty() {
        (labelled[0].0, labelled[labelled.len() - 1].0)
    } else {
        (lo, hi)
    };
    let scale = Scale {
        min,
        max,
        from_px: left,
        to_px: right,
    };
    svg.open("g", &[("class", "x-axis")]);
    // Ticks closer than their labels are wide are thinned to every k-th one.
    let shown: Vec<&(f64, String)> = labelled.iter().filter(|(v, _)| v.is_finite()).collect();
    let slot = if shown.len() > 1 {
        (right - left) / (shown.len() - 1) as f64
    } else {
        right - left
    };
    let longest = shown
        .iter()
        .map(|(_, l)| l.chars().count())
        .max()
        .unwrap_or(0);
    let step = label_step(shown.len(), slot, longest, TICK_CHAR_PX);
    for (v, label) in shown.into_iter().step_by(step) {
        let px = scale.px(*v);
        svg.line((px, bottom), (px, bottom + 4.0), "tick-mark", "#333333");
        svg.text(px, bottom + 16.0, "middle", "tick", label);
    }
    svg.close();
    scale
}

fn min_max(v: &[f64]) -> (f64, f64) {
    if v.is_empty() {
        return (0.0, 1.0);
    }
    let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (lo, hi)
}

/// Runs of consecutive finite points.
fn segments(points: &[(f64, f64)]) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
    for p in points {
        if p.0.is_finite() && p.1.is_finite() {
            if let Some(last) = out.last_mut() {
                last.push(*p);
            }
        } else if out.last().is_some_and(|l| !l.is_empty()) {
            out.push(Vec::new());
        }
    }
    out.retain(|s| !s.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_finite_points_split_the_line() {
        let s = segments(&[(0.0, 1.0), (1.0, f64::NAN), (2.0, 3.0), (3.0, 4.0)]);
        assert_eq!(s, vec![vec![(0.0, 1.0)], vec![(2.0, 3.0), (3.0, 4.0)]]);
        assert!(segments(&[(0.0, f64::INFINITY)]).is_empty());
    }
}
