//! The charts' SVG drawn as PDF vector operators, so a report's charts are the very charts the
//! pages show, sharp at any zoom and with searchable text.
//!
//! It reads the subset of SVG that `rumbo_charts::svg::Svg` writes (groups with inherited
//! presentation attributes, `rect`, `line`, `polyline`, `polygon`, `path` with M/L/H/V/C/Z,
//! `text` with an anchor and a `rotate(…)` transform; `defs`, `title` and `desc` are skipped)
//! and nothing else: that writer escapes every value the same way, so a small parser is enough
//! and no XML or SVG crate is needed.

use std::fmt::Write as _;

use super::pdf::{text_width, Font};

#[derive(Debug, Clone, Copy, PartialEq)]
struct Rgb(f64, f64, f64);

#[derive(Debug, Clone, PartialEq)]
struct Style {
    fill: Option<Rgb>,
    stroke: Option<Rgb>,
    stroke_width: f64,
    dash: Option<Vec<f64>>,
    font_size: f64,
    bold: bool,
    anchor: Anchor,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Anchor {
    Start,
    Middle,
    End,
}

#[derive(Debug, Clone, PartialEq)]
enum Shape {
    Rect(f64, f64, f64, f64),
    Line(f64, f64, f64, f64),
    Poly(Vec<(f64, f64)>, bool),
    Path(String),
    Text {
        x: f64,
        y: f64,
        rotate: Option<(f64, f64, f64)>,
        text: String,
    },
}

/// A `<text>` whose content is still to be read: position, rotation and style.
type PendingText = (f64, f64, Option<(f64, f64, f64)>, Style);

/// A parsed chart: its size in SVG pixels and its shapes in drawing order.
#[derive(Debug, Clone, PartialEq)]
pub struct Drawing {
    pub width: f64,
    pub height: f64,
    shapes: Vec<(Shape, Style)>,
}

fn colour(v: &str) -> Option<Option<Rgb>> {
    let v = v.trim();
    if v == "none" || v == "transparent" {
        return Some(None);
    }
    let hex = |s: &str| u8::from_str_radix(s, 16).ok().map(|b| f64::from(b) / 255.0);
    if let Some(h) = v.strip_prefix('#') {
        return match h.len() {
            6 => Some(Some(Rgb(hex(&h[0..2])?, hex(&h[2..4])?, hex(&h[4..6])?))),
            3 => {
                let d = |i: usize| hex(&h[i..i + 1].repeat(2));
                Some(Some(Rgb(d(0)?, d(1)?, d(2)?)))
            }
            _ => None,
        };
    }
    match v {
        "white" => Some(Some(Rgb(1.0, 1.0, 1.0))),
        "black" | "currentColor" => Some(Some(Rgb(0.0, 0.0, 0.0))),
        _ => None,
    }
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Attributes of a start tag `<name a="v" …>` (after the name).
fn attributes(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(eq) = rest.find("=\"") {
        let key = rest[..eq].trim().to_string();
        let after = &rest[eq + 2..];
        let Some(end) = after.find('"') else { break };
        out.push((key, unescape(&after[..end])));
        rest = &after[end + 1..];
    }
    out
}

fn num(s: &str) -> f64 {
    s.trim().parse().unwrap_or(0.0)
}

fn numbers(s: &str) -> Vec<f64> {
    s.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|t| !t.is_empty())
        .map(num)
        .collect()
}

/// Parses a chart's SVG; `None` if it is not one (no root `svg` with a size).
pub fn parse(svg: &str) -> Option<Drawing> {
    let root = Style {
        fill: Some(Rgb(0.0, 0.0, 0.0)),
        stroke: None,
        stroke_width: 1.0,
        dash: None,
        font_size: 11.0,
        bold: false,
        anchor: Anchor::Start,
    };
    let mut stack: Vec<(String, Style)> = Vec::new();
    let mut shapes = Vec::new();
    let (mut width, mut height) = (0.0, 0.0);
    let mut skip_depth = 0usize;
    let mut pending_text: Option<PendingText> = None;
    let mut rest = svg;
    while let Some(lt) = rest.find('<') {
        let text = &rest[..lt];
        if let Some((x, y, rotate, style)) = pending_text.take() {
            shapes.push((
                Shape::Text {
                    x,
                    y,
                    rotate,
                    text: unescape(text),
                },
                style,
            ));
        }
        let gt = rest[lt..].find('>')? + lt;
        let tag = &rest[lt + 1..gt];
        rest = &rest[gt + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            if let Some((open, _)) = stack.pop() {
                debug_assert_eq!(open, name.trim());
            }
            skip_depth = skip_depth.saturating_sub(1);
            continue;
        }
        let self_closing = tag.ends_with('/');
        let tag = tag.trim_end_matches('/');
        let (name, attrs) = match tag.find(char::is_whitespace) {
            Some(i) => (&tag[..i], attributes(&tag[i..])),
            None => (tag, Vec::new()),
        };
        let parent = stack.last().map_or(&root, |(_, s)| s).clone();
        let mut style = parent;
        let get = |k: &str| attrs.iter().find(|(a, _)| a == k).map(|(_, v)| v.as_str());
        if let Some(c) = get("fill").and_then(colour) {
            style.fill = c;
        }
        if let Some(c) = get("stroke").and_then(colour) {
            style.stroke = c;
        }
        if let Some(w) = get("stroke-width") {
            style.stroke_width = num(w);
        }
        if let Some(d) = get("stroke-dasharray") {
            style.dash = if d.trim() == "none" {
                None
            } else {
                Some(numbers(d))
            };
        }
        if let Some(s) = get("font-size") {
            style.font_size = num(s);
        }
        if let Some(w) = get("font-weight") {
            style.bold = w == "bold" || w.parse::<u32>().is_ok_and(|n| n >= 600);
        }
        if let Some(a) = get("text-anchor") {
            style.anchor = match a {
                "middle" => Anchor::Middle,
                "end" => Anchor::End,
                _ => Anchor::Start,
            };
        }
        if get("class").is_some_and(|c| c.split(' ').any(|c| c == "chart-title")) {
            style.bold = true;
            style.font_size = style.font_size.max(12.0);
        }
        let skipping = skip_depth > 0 || matches!(name, "defs" | "title" | "desc" | "marker");
        if !self_closing {
            stack.push((name.to_string(), style.clone()));
            if skipping {
                skip_depth += 1;
            }
        }
        if skipping {
            continue;
        }
        let f = |k: &str| get(k).map_or(0.0, num);
        match name {
            "svg" => {
                width = f("width");
                height = f("height");
                if width <= 0.0 || height <= 0.0 {
                    let vb = numbers(get("viewBox").unwrap_or(""));
                    if vb.len() == 4 {
                        width = vb[2];
                        height = vb[3];
                    }
                }
            }
            "rect" => shapes.push((Shape::Rect(f("x"), f("y"), f("width"), f("height")), style)),
            "line" => shapes.push((Shape::Line(f("x1"), f("y1"), f("x2"), f("y2")), style)),
            "polyline" | "polygon" => {
                let n = numbers(get("points").unwrap_or(""));
                let pts = n.chunks_exact(2).map(|p| (p[0], p[1])).collect();
                shapes.push((Shape::Poly(pts, name == "polygon"), style));
            }
            "path" => shapes.push((Shape::Path(get("d").unwrap_or("").to_string()), style)),
            "text" if !self_closing => {
                let rotate = get("transform").and_then(|t| {
                    let inner = t.trim().strip_prefix("rotate(")?.strip_suffix(')')?;
                    let n = numbers(inner);
                    Some((
                        *n.first()?,
                        n.get(1).copied().unwrap_or(0.0),
                        n.get(2).copied().unwrap_or(0.0),
                    ))
                });
                pending_text = Some((f("x"), f("y"), rotate, style));
            }
            _ => {}
        }
    }
    if width <= 0.0 || height <= 0.0 {
        return None;
    }
    Some(Drawing {
        width,
        height,
        shapes,
    })
}

fn fmt(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" || s.is_empty() {
        "0".into()
    } else {
        s.into()
    }
}

/// PDF path operators for an SVG path's M/L/H/V/C/Z commands (absolute and relative).
fn path_ops(d: &str, out: &mut String) {
    let mut tokens: Vec<String> = Vec::new();
    let mut cur = String::new();
    for c in d.chars() {
        if c.is_ascii_alphabetic() && c != 'e' && c != 'E' {
            if !cur.is_empty() {
                tokens.push(std::mem::take(&mut cur));
            }
            tokens.push(c.to_string());
        } else if c == ',' || c.is_whitespace() {
            if !cur.is_empty() {
                tokens.push(std::mem::take(&mut cur));
            }
        } else if c == '-' && !cur.is_empty() && !cur.ends_with(['e', 'E']) {
            tokens.push(std::mem::take(&mut cur));
            cur.push(c);
        } else {
            cur.push(c);
        }
    }
    if !cur.is_empty() {
        tokens.push(cur);
    }
    let (mut x, mut y) = (0.0, 0.0);
    let mut cmd = 'M';
    let mut i = 0;
    let take = |i: &mut usize| -> Option<f64> {
        let v = tokens.get(*i)?.parse::<f64>().ok()?;
        *i += 1;
        Some(v)
    };
    while i < tokens.len() {
        if let Some(c) = tokens[i].chars().next().filter(|c| c.is_ascii_alphabetic()) {
            cmd = c;
            i += 1;
            if matches!(cmd, 'Z' | 'z') {
                out.push_str("h ");
                continue;
            }
        }
        let rel = cmd.is_ascii_lowercase();
        let (ox, oy) = if rel { (x, y) } else { (0.0, 0.0) };
        match cmd.to_ascii_uppercase() {
            'M' | 'L' => {
                let (Some(a), Some(b)) = (take(&mut i), take(&mut i)) else {
                    break;
                };
                x = ox + a;
                y = oy + b;
                let op = if cmd.eq_ignore_ascii_case(&'M') {
                    "m"
                } else {
                    "l"
                };
                let _ = write!(out, "{} {} {op} ", fmt(x), fmt(y));
                // Further pairs after a moveto are linetos.
                if cmd == 'M' {
                    cmd = 'L';
                } else if cmd == 'm' {
                    cmd = 'l';
                }
            }
            'H' => {
                let Some(a) = take(&mut i) else { break };
                x = ox + a;
                let _ = write!(out, "{} {} l ", fmt(x), fmt(y));
            }
            'V' => {
                let Some(b) = take(&mut i) else { break };
                y = if rel { y + b } else { b };
                let _ = write!(out, "{} {} l ", fmt(x), fmt(y));
            }
            'C' => {
                let mut v = [0.0; 6];
                for (k, slot) in v.iter_mut().enumerate() {
                    let Some(n) = take(&mut i) else { return };
                    *slot = n + if k % 2 == 0 { ox } else { oy };
                }
                let _ = write!(
                    out,
                    "{} {} {} {} {} {} c ",
                    fmt(v[0]),
                    fmt(v[1]),
                    fmt(v[2]),
                    fmt(v[3]),
                    fmt(v[4]),
                    fmt(v[5])
                );
                x = v[4];
                y = v[5];
            }
            _ => {
                i += 1; // unsupported command: skip its number
            }
        }
    }
}

impl Drawing {
    /// PDF operators drawing the chart with its top-left corner at (`x`, `top`) in page
    /// points, `scale` points per SVG pixel.
    pub fn to_pdf(&self, x: f64, top: f64, scale: f64) -> String {
        let mut out = String::new();
        // Flip the y axis so SVG coordinates can be used as they are.
        let _ = writeln!(
            out,
            "q {s} 0 0 -{s} {} {} cm",
            fmt(x),
            fmt(top),
            s = fmt(scale)
        );
        for (shape, st) in &self.shapes {
            let paint = |out: &mut String, closed_fill: bool| {
                let fill = st.fill.filter(|_| closed_fill);
                let stroke = st.stroke;
                if let Some(Rgb(r, g, b)) = fill {
                    let _ = write!(out, "{} {} {} rg ", fmt(r), fmt(g), fmt(b));
                }
                if let Some(Rgb(r, g, b)) = stroke {
                    let _ = write!(
                        out,
                        "{} {} {} RG {} w ",
                        fmt(r),
                        fmt(g),
                        fmt(b),
                        fmt(st.stroke_width)
                    );
                    match &st.dash {
                        Some(d) if !d.is_empty() => {
                            let d: Vec<String> = d.iter().map(|v| fmt(*v)).collect();
                            let _ = write!(out, "[{}] 0 d ", d.join(" "));
                        }
                        _ => out.push_str("[] 0 d "),
                    }
                }
                (fill.is_some(), stroke.is_some())
            };
            let finish = |out: &mut String, (f, s): (bool, bool)| {
                out.push_str(match (f, s) {
                    (true, true) => "B\n",
                    (true, false) => "f\n",
                    (false, true) => "S\n",
                    (false, false) => "n\n",
                });
            };
            match shape {
                Shape::Rect(rx, ry, w, h) => {
                    let p = paint(&mut out, true);
                    let _ = write!(out, "{} {} {} {} re ", fmt(*rx), fmt(*ry), fmt(*w), fmt(*h));
                    finish(&mut out, p);
                }
                Shape::Line(x1, y1, x2, y2) => {
                    let p = paint(&mut out, false);
                    let _ = write!(
                        out,
                        "{} {} m {} {} l ",
                        fmt(*x1),
                        fmt(*y1),
                        fmt(*x2),
                        fmt(*y2)
                    );
                    finish(&mut out, p);
                }
                Shape::Poly(pts, closed) => {
                    if pts.is_empty() {
                        continue;
                    }
                    let p = paint(&mut out, *closed);
                    for (i, (px, py)) in pts.iter().enumerate() {
                        let op = if i == 0 { "m" } else { "l" };
                        let _ = write!(out, "{} {} {op} ", fmt(*px), fmt(*py));
                    }
                    if *closed {
                        out.push_str("h ");
                    }
                    finish(&mut out, p);
                }
                Shape::Path(d) => {
                    let p = paint(&mut out, true);
                    path_ops(d, &mut out);
                    finish(&mut out, p);
                }
                Shape::Text {
                    x: tx,
                    y: ty,
                    rotate,
                    text,
                } => {
                    let font = if st.bold { Font::Bold } else { Font::Regular };
                    let w = text_width(text, font, st.font_size);
                    let shift = match st.anchor {
                        Anchor::Start => 0.0,
                        Anchor::Middle => w / 2.0,
                        Anchor::End => w,
                    };
                    let Rgb(r, g, b) = st.fill.unwrap_or(Rgb(0.0, 0.0, 0.0));
                    // Upright text in the flipped space; a rotation turns it about its centre.
                    let (a, bb, c, d, ox, oy) = match rotate {
                        Some((deg, cx, cy)) => {
                            let t = deg.to_radians();
                            let (s, co) = (t.sin(), t.cos());
                            // Rotate the anchor point about (cx, cy), then shift along the
                            // rotated baseline.
                            let (dx, dy) = (tx - cx, ty - cy);
                            let px = cx + co * dx - s * dy - co * shift;
                            let py = cy + s * dx + co * dy - s * shift;
                            (co, s, s, -co, px, py)
                        }
                        None => (1.0, 0.0, 0.0, -1.0, tx - shift, *ty),
                    };
                    let _ = writeln!(
                        out,
                        "{} {} {} rg BT /{} {} Tf {} {} {} {} {} {} Tm {} Tj ET",
                        fmt(r),
                        fmt(g),
                        fmt(b),
                        if st.bold { "F2" } else { "F1" },
                        fmt(st.font_size),
                        fmt(a),
                        fmt(bb),
                        fmt(c),
                        fmt(d),
                        fmt(ox),
                        fmt(oy),
                        super::pdf::pdf_literal(text)
                    );
                }
            }
        }
        out.push_str("0 g 0 G [] 0 d 1 w Q\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_from_the_charts_crate_becomes_vector_operators_with_its_text() {
        let svg = rumbo_charts::line_chart(&rumbo_charts::LineChart {
            frame: rumbo_charts::Frame {
                title: "Nivel de servicio & más".into(),
                y_label: "%".into(),
                ..rumbo_charts::Frame::default()
            },
            series: vec![rumbo_charts::Series {
                name: "Cola A".into(),
                points: vec![(0.0, 80.0), (1.0, 90.0), (2.0, 85.0)],
            }],
            ..rumbo_charts::LineChart::default()
        });
        let d = parse(&svg).expect("a chart");
        assert_eq!((d.width, d.height), (640.0, 320.0));
        let ops = d.to_pdf(50.0, 700.0, 0.5);
        assert!(ops.contains("(Nivel de servicio & m\\341s) Tj"), "{ops}");
        assert!(ops.contains("(Cola A) Tj"));
        assert!(ops.contains(" l S\n"), "the series is stroked");
        // The y label is turned a quarter to read upwards.
        assert!(
            ops.contains(" 0 -1 -1 0 ") || ops.contains(" 0 -1 -1 -0 "),
            "{ops}"
        );
    }

    #[test]
    fn paths_with_relative_and_shorthand_commands_are_followed() {
        let mut out = String::new();
        path_ops("M1,2 H5 V7 l1-1 z", &mut out);
        assert_eq!(out, "1 2 m 5 2 l 5 7 l 6 6 l h ");
    }
}
