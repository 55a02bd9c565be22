//! SVG charts generated in Rust, shared by web pages and PDF reports.
//!
//! Every chart is a plain function from a description struct to an SVG string: no IO, no
//! dependencies, and the same input always gives byte-identical output (numbers are printed with
//! at most two decimals, nothing depends on hash order or time). Charts contain no words of their
//! own: titles, axis names, legend entries and tick labels all come from the caller, already
//! localised. All text is XML-escaped, and every chart carries a `<title>` and an `aria-label` so
//! screen readers can name it.

pub mod bar;
pub mod gantt;
pub mod heatmap;
pub mod line;
pub mod slots;
pub mod svg;

pub use bar::{bar_chart, BarChart, BarSeries};
pub use gantt::{gantt_chart, Gantt, GanttBar, GanttLabels};
pub use heatmap::{risk_heat_map, HeatMap, Tone};
pub use line::{line_chart, LineChart, Series};
pub use slots::{slot_heat_map, slot_heat_map_height, SlotHeatMap, SlotStatus};
pub use svg::{escape, Frame, Target};
