//! 5×5 risk heat-map: probability across, impact up, each cell coloured by the level of its score
//! (probability × impact) and showing how many risks sit in it.
//!
//! The level of a score is the caller's rule (the domain's risk levels), passed as a function, so
//! the chart and the register can never disagree.

use crate::svg::{num, Frame, Svg};

/// The colour band of a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tone {
    Low,
    Medium,
    High,
    Critical,
}

impl Tone {
    pub const ALL: [Tone; 4] = [Tone::Low, Tone::Medium, Tone::High, Tone::Critical];

    fn fill(self) -> &'static str {
        match self {
            Tone::Low => "#8BC34A",
            Tone::Medium => "#FFEB3B",
            Tone::High => "#FF9800",
            Tone::Critical => "#E53935",
        }
    }

    fn class(self) -> &'static str {
        match self {
            Tone::Low => "cell tone-low",
            Tone::Medium => "cell tone-medium",
            Tone::High => "cell tone-high",
            Tone::Critical => "cell tone-critical",
        }
    }
}

/// A heat-map description. `frame.x_label` names the probability axis and `frame.y_label` the
/// impact axis.
pub struct HeatMap<'a> {
    pub frame: Frame,
    /// Risk counts: `counts[impact − 1][probability − 1]`.
    pub counts: [[u32; 5]; 5],
    /// The level of a score 1–25.
    pub tone: &'a dyn Fn(u8) -> Tone,
    /// Legend labels for low, medium, high and critical.
    pub tone_labels: [String; 4],
    /// Accessible text of a cell, given probability, impact and count (e.g. "P3 × I4: 2").
    pub cell_label: &'a dyn Fn(u8, u8, u32) -> String,
}

/// Renders the heat-map.
pub fn risk_heat_map(h: &HeatMap<'_>) -> String {
    let frame = &h.frame;
    let (w, ht) = (
        f64::from(frame.width.max(200)),
        f64::from(frame.height.max(200)),
    );
    let (left, top) = (56.0, 32.0);
    let size = ((w - left - 16.0).min(ht - top - 70.0) / 5.0).max(10.0);
    let mut svg = Svg::new(frame, "chart risk-heat-map");
    svg.text(w / 2.0, 18.0, "middle", "chart-title", &frame.title);
    svg.open("g", &[("class", "cells")]);
    for impact in 1..=5u8 {
        for probability in 1..=5u8 {
            let count = h.counts[usize::from(impact - 1)][usize::from(probability - 1)];
            let tone = (h.tone)(probability * impact);
            let x = left + size * f64::from(probability - 1);
            let y = top + size * f64::from(5 - impact);
            svg.open("g", &[("class", tone.class())]);
            svg.text_element("title", &[], &(h.cell_label)(probability, impact, count));
            svg.empty(
                "rect",
                &[
                    ("x", &num(x)),
                    ("y", &num(y)),
                    ("width", &num(size)),
                    ("height", &num(size)),
                    ("fill", tone.fill()),
                    ("stroke", "#ffffff"),
                    ("stroke-width", "2"),
                ],
            );
            if count > 0 {
                svg.text_element(
                    "text",
                    &[
                        ("x", &num(x + size / 2.0)),
                        ("y", &num(y + size / 2.0 + 5.0)),
                        ("text-anchor", "middle"),
                        ("class", "count"),
                        ("font-size", "15"),
                        ("font-weight", "bold"),
                    ],
                    &count.to_string(),
                );
            }
            svg.close();
        }
    }
    svg.close();
    let bottom = top + size * 5.0;
    for k in 1..=5u8 {
        let c = f64::from(k) - 0.5;
        svg.text(
            left + size * c,
            bottom + 14.0,
            "middle",
            "tick",
            &k.to_string(),
        );
        svg.text(
            left - 8.0,
            top + size * (5.0 - c) + 4.0,
            "end",
            "tick",
            &k.to_string(),
        );
    }
    svg.text(
        left + size * 2.5,
        bottom + 30.0,
        "middle",
        "axis-label",
        &frame.x_label,
    );
    let (yx, yy) = (14.0, top + size * 2.5);
    svg.text_element(
        "text",
        &[
            ("x", &num(yx)),
            ("y", &num(yy)),
            ("text-anchor", "middle"),
            ("class", "axis-label"),
            ("transform", &format!("rotate(-90 {} {})", num(yx), num(yy))),
        ],
        &frame.y_label,
    );
    svg.open("g", &[("class", "legend")]);
    let mut x = left;
    for (tone, label) in Tone::ALL.iter().zip(&h.tone_labels) {
        svg.rect(x, bottom + 42.0, 12.0, 12.0, tone.class(), tone.fill());
        svg.text(x + 16.0, bottom + 52.0, "start", "legend-label", label);
        x += 28.0 + 6.5 * label.chars().count() as f64;
    }
    svg.close();
    svg.finish()
}
