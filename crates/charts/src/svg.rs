//! A minimal SVG writer: escaping, number formatting, axis scales and the chart frame.
//!
//! Elements are written through [`Svg`], which escapes every attribute value and text node, so a
//! caller-supplied label can never break the document.

use std::fmt::Write;

/// Escapes `&`, `<`, `>`, `"` and `'` for use in XML text and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters other than tab and newlines are not allowed in XML 1.0.
            c if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// Prints a coordinate or value with at most two decimals and no trailing zeros.
pub fn num(v: f64) -> String {
    if !v.is_finite() {
        return "0".to_string();
    }
    let s = format!("{:.2}", v);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

/// Like [`num`], with the caller's decimal separator (`,` for Spanish).
pub fn label_num(v: f64, decimal_separator: char) -> String {
    num(v).replace('.', &decimal_separator.to_string())
}

/// What every chart has: size, accessible name and description, axis names, number style.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    pub width: u32,
    pub height: u32,
    /// Shown on top and used as the accessible name.
    pub title: String,
    /// Longer text for screen readers (`<desc>`); empty for none.
    pub description: String,
    pub x_label: String,
    pub y_label: String,
    /// Decimal separator for tick labels, e.g. `,` in Spanish.
    pub decimal_separator: char,
    /// Thousands separator for tick labels, e.g. `.` in Chile; `None` for no grouping.
    pub thousands_separator: Option<char>,
}

impl Frame {
    /// A value as a tick or value label, in the frame's number style.
    pub fn number(&self, v: f64) -> String {
        let plain = label_num(v, self.decimal_separator);
        let Some(sep) = self.thousands_separator else {
            return plain;
        };
        let (sign, rest) = match plain.strip_prefix('-') {
            Some(r) => ("-", r),
            None => ("", plain.as_str()),
        };
        let (int, frac) = match rest.find(self.decimal_separator) {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        let mut grouped = String::new();
        for (i, c) in int.chars().enumerate() {
            if i > 0 && (int.len() - i) % 3 == 0 {
                grouped.push(sep);
            }
            grouped.push(c);
        }
        format!("{sign}{grouped}{frac}")
    }
}

impl Default for Frame {
    fn default() -> Self {
        Frame {
            width: 640,
            height: 320,
            title: String::new(),
            description: String::new(),
            x_label: String::new(),
            y_label: String::new(),
            decimal_separator: '.',
            thousands_separator: None,
        }
    }
}

/// A horizontal target line with its legend label.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub value: f64,
    pub label: String,
}

/// Colour-blind safe palette (Okabe–Ito), used in series order.
pub const PALETTE: [&str; 7] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000",
];

/// An SVG document being written.
pub struct Svg {
    buf: String,
    open: Vec<&'static str>,
}

impl Svg {
    /// Opens the root element with its accessible name, `<title>` and optional `<desc>`.
    pub fn new(frame: &Frame, class: &str) -> Svg {
        let mut svg = Svg {
            buf: String::new(),
            open: Vec::new(),
        };
        let (w, h) = (frame.width.max(1), frame.height.max(1));
        svg.open(
            "svg",
            &[
                ("xmlns", "http://www.w3.org/2000/svg"),
                ("class", class),
                ("role", "img"),
                ("aria-label", &frame.title),
                ("viewBox", &format!("0 0 {w} {h}")),
                ("width", &w.to_string()),
                ("height", &h.to_string()),
                ("font-family", "sans-serif"),
                ("font-size", "11"),
            ],
        );
        svg.text_element("title", &[], &frame.title);
        if !frame.description.is_empty() {
            svg.text_element("desc", &[], &frame.description);
        }
        svg
    }

    fn attrs(&mut self, attrs: &[(&str, &str)]) {
        for (k, v) in attrs {
            let _ = write!(self.buf, " {k}=\"{}\"", escape(v));
        }
    }

    /// Opens an element that will contain others.
    pub fn open(&mut self, tag: &'static str, attrs: &[(&str, &str)]) {
        self.buf.push('<');
        self.buf.push_str(tag);
        self.attrs(attrs);
        self.buf.push('>');
        self.open.push(tag);
    }

    /// Closes the most recently opened element.
    pub fn close(&mut self) {
        if let Some(tag) = self.open.pop() {
            let _ = write!(self.buf, "</{tag}>");
        }
    }

    /// Writes an element without content.
    pub fn empty(&mut self, tag: &str, attrs: &[(&str, &str)]) {
        self.buf.push('<');
        self.buf.push_str(tag);
        self.attrs(attrs);
        self.buf.push_str("/>");
    }

    /// Writes an element whose content is escaped text.
    pub fn text_element(&mut self, tag: &str, attrs: &[(&str, &str)], text: &str) {
        self.buf.push('<');
        self.buf.push_str(tag);
        self.attrs(attrs);
        let _ = write!(self.buf, ">{}</{tag}>", escape(text));
    }

    /// A `<text>` at (x, y) with the given anchor (`start`, `middle`, `end`).
    pub fn text(&mut self, x: f64, y: f64, anchor: &str, class: &str, text: &str) {
        self.text_element(
            "text",
            &[
                ("x", &num(x)),
                ("y", &num(y)),
                ("text-anchor", anchor),
                ("class", class),
            ],
            text,
        );
    }

    /// A line segment.
    pub fn line(&mut self, from: (f64, f64), to: (f64, f64), class: &str, stroke: &str) {
        self.empty(
            "line",
            &[
                ("x1", &num(from.0)),
                ("y1", &num(from.1)),
                ("x2", &num(to.0)),
                ("y2", &num(to.1)),
                ("class", class),
                ("stroke", stroke),
            ],
        );
    }

    /// A rectangle with fill.
    pub fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, class: &str, fill: &str) {
        self.empty(
            "rect",
            &[
                ("x", &num(x)),
                ("y", &num(y)),
                ("width", &num(w.max(0.0))),
                ("height", &num(h.max(0.0))),
                ("class", class),
                ("fill", fill),
            ],
        );
    }

    /// Closes every open element and returns the document.
    pub fn finish(mut self) -> String {
        while !self.open.is_empty() {
            self.close();
        }
        self.buf
    }
}

/// A linear mapping from data values to pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    pub min: f64,
    pub max: f64,
    pub from_px: f64,
    pub to_px: f64,
}

impl Scale {
    pub fn px(&self, v: f64) -> f64 {
        let span = self.max - self.min;
        if span <= 0.0 {
            return self.from_px;
        }
        self.from_px + (v - self.min) / span * (self.to_px - self.from_px)
    }
}

/// A "nice" number close to `x` (1, 2, 5 × 10ⁿ), rounding or taking the ceiling.
fn nice(x: f64, round: bool) -> f64 {
    let exp = x.log10().floor();
    let f = x / 10f64.powf(exp);
    let nf = if round {
        if f < 1.5 {
            1.0
        } else if f < 3.0 {
            2.0
        } else if f < 7.0 {
            5.0
        } else {
            10.0
        }
    } else if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    };
    nf * 10f64.powf(exp)
}

/// Round tick values covering `[min, max]`, about `count` of them; the first and last ticks are
/// the axis ends.
/// Axis labels that would overlap are thinned: the smallest step `k` (show every `k`-th label)
/// such that labels `slot_px` apart, each up to `longest_chars` characters of about
/// `char_px` pixels, keep a gap between them. 1 when they all fit.
pub fn label_step(count: usize, slot_px: f64, longest_chars: usize, char_px: f64) -> usize {
    if count <= 1 || slot_px.is_nan() || slot_px <= 0.0 {
        return 1;
    }
    let need = longest_chars as f64 * char_px + 8.0;
    let step = (need / slot_px).ceil();
    if step.is_finite() && step >= 1.0 {
        (step as usize).min(count)
    } else {
        1
    }
}

/// Approximate width of one character of a tick label (11 px sans-serif), in SVG pixels.
pub const TICK_CHAR_PX: f64 = 6.5;

pub fn ticks(min: f64, max: f64, count: u32) -> Vec<f64> {
    let (mut lo, mut hi) = if min.is_finite() && max.is_finite() {
        (min.min(max), min.max(max))
    } else {
        (0.0, 1.0)
    };
    if hi - lo < f64::EPSILON * lo.abs().max(1.0) {
        lo -= 1.0;
        hi += 1.0;
    }
    let step = nice(nice(hi - lo, false) / f64::from(count.max(2) - 1), true);
    let first = (lo / step).floor();
    let last = (hi / step).ceil();
    let n = (last - first).round().clamp(1.0, 100.0) as i64;
    (0..=n).map(|i| (first + i as f64) * step).collect()
}

/// Finite values only.
pub fn finite(values: impl IntoIterator<Item = f64>) -> impl Iterator<Item = f64> {
    values.into_iter().filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_series_show_every_kth_label_so_none_overlap() {
        // 30 daily labels ("15-04") on 600 px: 20 px each, a label needs ~40 px.
        assert_eq!(label_step(30, 20.0, 5, TICK_CHAR_PX), 3);
        // Few labels with room: all of them.
        assert_eq!(label_step(7, 100.0, 5, TICK_CHAR_PX), 1);
        assert_eq!(label_step(0, 0.0, 5, TICK_CHAR_PX), 1);
        assert!(label_step(1000, 0.5, 10, TICK_CHAR_PX) <= 1000);
    }

    #[test]
    fn escape_neutralises_markup_and_quotes() {
        assert_eq!(
            escape(r#"<a href="x">Tom & Jerry's</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;"
        );
        assert_eq!(escape("Año ñandú\u{0007}"), "Año ñandú");
    }

    #[test]
    fn numbers_print_with_at_most_two_decimals() {
        assert_eq!(num(12.0), "12");
        assert_eq!(num(12.345), "12.35");
        assert_eq!(num(-0.001), "0");
        assert_eq!(num(f64::NAN), "0");
        assert_eq!(label_num(0.5, ','), "0,5");
        let chile = Frame {
            decimal_separator: ',',
            thousands_separator: Some('.'),
            ..Frame::default()
        };
        assert_eq!(chile.number(-22_000_000.5), "-22.000.000,5");
        assert_eq!(chile.number(999.0), "999");
        assert_eq!(chile.number(1000.0), "1.000");
    }

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        assert_eq!(
            ticks(0.0, 100.0, 6),
            vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
        );
        let t = ticks(3.0, 47.0, 5);
        assert!(t[0] <= 3.0 && *t.last().unwrap() >= 47.0);
        assert!(ticks(5.0, 5.0, 5).len() >= 2);
        assert_eq!(ticks(f64::NAN, 1.0, 5), ticks(0.0, 1.0, 5));
    }

    #[test]
    fn scale_maps_ends_to_pixels_and_survives_empty_ranges() {
        let s = Scale {
            min: 0.0,
            max: 10.0,
            from_px: 300.0,
            to_px: 20.0,
        };
        assert_eq!(s.px(0.0), 300.0);
        assert_eq!(s.px(10.0), 20.0);
        let flat = Scale { max: 0.0, ..s };
        assert_eq!(flat.px(5.0), 300.0);
    }
}
