//! Gantt chart: one row per activity, bars filled to their progress, critical activities
//! highlighted, milestones as diamonds, an optional "today" line and dependency arrows.
//!
//! Time is in whole days from an origin the caller chooses (usually the programme start); the
//! caller also passes the dated tick labels, so this crate needs no calendar.

use crate::svg::{num, Frame, Scale, Svg};

/// One activity row.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GanttBar {
    /// Row label (code and name).
    pub label: String,
    /// Accessible text for the bar (dates, owner, progress), already localised.
    pub description: String,
    /// First day, as an offset from the origin.
    pub start: i64,
    /// Length in days; milestones use 0.
    pub days: i64,
    /// 0–100.
    pub progress: u8,
    pub critical: bool,
    pub milestone: bool,
}

/// Legend words, already localised.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GanttLabels {
    pub critical: String,
    pub normal: String,
    pub milestone: String,
    pub today: String,
}

/// A Gantt chart description; `frame.height` is ignored, the rows decide the height.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Gantt {
    pub frame: Frame,
    pub bars: Vec<GanttBar>,
    /// Finish-to-start links as (predecessor row, successor row).
    pub dependencies: Vec<(usize, usize)>,
    /// Offset of today, when it should be marked.
    pub today: Option<i64>,
    /// Tick offsets with their labels (e.g. each Monday's date).
    pub axis: Vec<(i64, String)>,
    pub labels: GanttLabels,
}

/// Width of the row-label column: fits the longest label (about 6.2 px per character at 11 px),
/// between 120 px and 40 % of the chart.
fn label_width(g: &Gantt, width: f64) -> f64 {
    let longest = g
        .bars
        .iter()
        .map(|b| b.label.chars().count())
        .max()
        .unwrap_or(0);
    (16.0 + 6.2 * longest as f64).clamp(120.0, (width * 0.4).max(120.0))
}
const ROW_H: f64 = 22.0;
const TOP: f64 = 58.0;
const CRITICAL: (&str, &str) = ("#FFCDD2", "#C62828");
const NORMAL: (&str, &str) = ("#BBDEFB", "#1565C0");
const MILESTONE: &str = "#6A1B9A";
const TODAY: &str = "#2E7D32";

/// Renders the Gantt chart.
pub fn gantt_chart(g: &Gantt) -> String {
    let rows = g.bars.len() as f64;
    let height = TOP + rows * ROW_H + 44.0;
    let frame = Frame {
        height: height as u32,
        ..g.frame.clone()
    };
    let width = f64::from(frame.width.max(320));
    let mut svg = Svg::new(&frame, "chart gantt");
    svg.open("defs", &[]);
    svg.open(
        "marker",
        &[
            ("id", "gantt-arrow"),
            ("viewBox", "0 0 10 10"),
            ("refX", "10"),
            ("refY", "5"),
            ("markerWidth", "6"),
            ("markerHeight", "6"),
            ("orient", "auto"),
        ],
    );
    svg.empty("path", &[("d", "M0,0 L10,5 L0,10 z"), ("fill", "#555555")]);
    svg.close();
    svg.close();
    svg.text(width / 2.0, 18.0, "middle", "chart-title", &frame.title);

    let label_w = label_width(g, width);
    let x = time_scale(g, width, label_w);
    let grid_bottom = TOP + rows * ROW_H;
    draw_axis(&mut svg, g, &x, grid_bottom);
    svg.open("g", &[("class", "rows")]);
    for (i, bar) in g.bars.iter().enumerate() {
        draw_row(&mut svg, bar, i, &x);
    }
    svg.close();
    draw_dependencies(&mut svg, g, &x);
    if let Some(t) = g.today {
        let px = x.px(t as f64);
        svg.open("g", &[("class", "today")]);
        svg.empty(
            "line",
            &[
                ("x1", &num(px)),
                ("y1", &num(TOP - 6.0)),
                ("x2", &num(px)),
                ("y2", &num(grid_bottom)),
                ("stroke", TODAY),
                ("stroke-width", "2"),
                ("stroke-dasharray", "4 3"),
            ],
        );
        svg.text(px, TOP - 24.0, "middle", "today-label", &g.labels.today);
        svg.close();
    }
    draw_legend(&mut svg, g, grid_bottom + 26.0);
    svg.finish()
}

fn time_scale(g: &Gantt, width: f64, label_w: f64) -> Scale {
    let ends = g
        .bars
        .iter()
        .flat_map(|b| [b.start, b.start + b.days.max(0)])
        .chain(g.axis.iter().map(|a| a.0))
        .chain(g.today);
    let (lo, hi) = ends.fold((0i64, 1i64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    Scale {
        min: lo as f64,
        max: hi as f64,
        from_px: label_w,
        to_px: width - 32.0,
    }
}

fn draw_axis(svg: &mut Svg, g: &Gantt, x: &Scale, grid_bottom: f64) {
    svg.open("g", &[("class", "x-axis")]);
    for (offset, label) in &g.axis {
        let px = x.px(*offset as f64);
        svg.line((px, TOP - 4.0), (px, grid_bottom), "grid", "#e0e0e0");
        svg.text(px, TOP - 8.0, "middle", "tick", label);
    }
    svg.close();
}

fn row_mid(i: usize) -> f64 {
    TOP + ROW_H * i as f64 + ROW_H / 2.0
}

fn draw_row(svg: &mut Svg, bar: &GanttBar, i: usize, x: &Scale) {
    let class = match (bar.milestone, bar.critical) {
        (true, true) => "activity milestone critical",
        (true, false) => "activity milestone",
        (false, true) => "activity critical",
        (false, false) => "activity",
    };
    let mid = row_mid(i);
    svg.open("g", &[("class", class)]);
    svg.text_element("title", &[], &bar.description);
    svg.text(x.from_px - 8.0, mid + 4.0, "end", "row-label", &bar.label);
    let x0 = x.px(bar.start as f64);
    if bar.milestone {
        let r = 7.0;
        let points = format!(
            "{},{} {},{} {},{} {},{}",
            num(x0),
            num(mid - r),
            num(x0 + r),
            num(mid),
            num(x0),
            num(mid + r),
            num(x0 - r),
            num(mid)
        );
        let stroke = if bar.critical { CRITICAL.1 } else { MILESTONE };
        svg.empty(
            "polygon",
            &[
                ("points", &points),
                ("class", "diamond"),
                ("fill", MILESTONE),
                ("stroke", stroke),
                ("stroke-width", "2"),
            ],
        );
    } else {
        let (bg, fg) = if bar.critical { CRITICAL } else { NORMAL };
        let w = x.px((bar.start + bar.days.max(0)) as f64) - x0;
        let (y, h) = (mid - 7.0, 14.0);
        svg.empty(
            "rect",
            &[
                ("x", &num(x0)),
                ("y", &num(y)),
                ("width", &num(w.max(1.0))),
                ("height", &num(h)),
                ("class", "bar"),
                ("fill", bg),
                ("stroke", fg),
            ],
        );
        let done = w.max(1.0) * f64::from(bar.progress.min(100)) / 100.0;
        svg.rect(x0, y, done, h, "progress", fg);
    }
    svg.close();
}

fn draw_dependencies(svg: &mut Svg, g: &Gantt, x: &Scale) {
    if g.dependencies.is_empty() {
        return;
    }
    svg.open("g", &[("class", "dependencies")]);
    for &(from, to) in &g.dependencies {
        let (Some(a), Some(b)) = (g.bars.get(from), g.bars.get(to)) else {
            continue;
        };
        let x1 = x.px((a.start + a.days.max(0)) as f64);
        let x2 = x.px(b.start as f64) - if b.milestone { 7.0 } else { 0.0 };
        let (y1, y2) = (row_mid(from), row_mid(to));
        let elbow = x1 + 6.0;
        let d = format!(
            "M{},{} H{} V{} H{}",
            num(x1),
            num(y1),
            num(elbow),
            num(y2),
            num(x2.max(elbow))
        );
        svg.empty(
            "path",
            &[
                ("d", &d),
                ("fill", "none"),
                ("stroke", "#555555"),
                ("marker-end", "url(#gantt-arrow)"),
            ],
        );
    }
    svg.close();
}

fn draw_legend(svg: &mut Svg, g: &Gantt, y: f64) {
    svg.open("g", &[("class", "legend")]);
    let mut x = 16.0;
    let entries = [
        (&g.labels.normal, NORMAL.1),
        (&g.labels.critical, CRITICAL.1),
        (&g.labels.milestone, MILESTONE),
        (&g.labels.today, TODAY),
    ];
    for (label, colour) in entries {
        if label.is_empty() {
            continue;
        }
        svg.rect(x, y - 10.0, 12.0, 12.0, "legend-swatch", colour);
        svg.text(x + 16.0, y, "start", "legend-label", label);
        x += 28.0 + 6.5 * label.chars().count() as f64;
    }
    svg.close();
}
