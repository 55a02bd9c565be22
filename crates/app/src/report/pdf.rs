//! A lean PDF writer for report documents: A4 pages, the base-14 Helvetica fonts in WinAnsi
//! (which covers Spanish), text measured with the fonts' real widths, hyphenated justified
//! paragraphs, tables that break across pages repeating their header row, key-figure tiles,
//! charts drawn as vectors from the charts' SVG ([`super::svgpdf`]), the BPO's logo (JPEG or
//! PNG) and name in every page's header, and "page n of N" in every footer.
//!
//! Why our own writer instead of a typesetting engine: a report needs only these few things,
//! and an embedded engine (Typst) adds about 300 crates, minutes of build on two cores and tens
//! of megabytes of binary; this one adds no crate beyond `flate2` (already built for `zip`).
//! Layout is two passes: pages are laid out first, then written knowing how many there are.

use std::fmt::Write as _;
use std::io::Write as _;

use super::hyphen::spanish_breaks;
use super::metrics::{HELVETICA, HELVETICA_BOLD};
use super::text::display;
use super::{Block, Cell, Document, Figure, Lang, Logo, Table};

/// A4 in points.
pub const PAGE_W: f64 = 595.28;
pub const PAGE_H: f64 = 841.89;
const MARGIN_X: f64 = 50.0;
const TOP: f64 = PAGE_H - 96.0;
const BOTTOM: f64 = 56.0;
const CONTENT_W: f64 = PAGE_W - 2.0 * MARGIN_X;

/// The two fonts of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Font {
    Regular,
    Bold,
}

impl Font {
    fn name(self) -> &'static str {
        match self {
            Font::Regular => "F1",
            Font::Bold => "F2",
        }
    }
}

/// The WinAnsi code of a character, if the encoding has it.
pub fn win_ansi(c: char) -> Option<u8> {
    let u = c as u32;
    match u {
        0x20..=0x7E | 0xA0..=0xFF => Some(u as u8),
        _ => Some(match c {
            '€' => 0x80,
            '‚' => 0x82,
            'ƒ' => 0x83,
            '„' => 0x84,
            '…' => 0x85,
            '†' => 0x86,
            '‡' => 0x87,
            'ˆ' => 0x88,
            '‰' => 0x89,
            'Š' => 0x8A,
            '‹' => 0x8B,
            'Œ' => 0x8C,
            'Ž' => 0x8E,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            '˜' => 0x98,
            '™' => 0x99,
            'š' => 0x9A,
            '›' => 0x9B,
            'œ' => 0x9C,
            'ž' => 0x9E,
            'Ÿ' => 0x9F,
            '\u{2212}' => b'-',
            '\u{2009}' | '\u{202F}' => 0xA0,
            _ => return None,
        }),
    }
}

fn char_width(c: char, font: Font) -> f64 {
    let code = win_ansi(c).unwrap_or(b'?');
    let table = match font {
        Font::Regular => &HELVETICA,
        Font::Bold => &HELVETICA_BOLD,
    };
    f64::from(table[usize::from(code.max(32)) - 32])
}

/// The width of `s` in points at `size`.
pub fn text_width(s: &str, font: Font, size: f64) -> f64 {
    s.chars().map(|c| char_width(c, font)).sum::<f64>() * size / 1000.0
}

/// A PDF literal string of `s` in WinAnsi (unknown characters become `?`).
pub fn pdf_literal(s: &str) -> String {
    literal(s)
}

fn literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('(');
    for c in s.chars() {
        let b = win_ansi(c).unwrap_or(b'?');
        match b {
            b'(' | b')' | b'\\' => {
                out.push('\\');
                out.push(b as char);
            }
            32..=126 => out.push(b as char),
            _ => {
                let _ = write!(out, "\\{b:03o}");
            }
        }
    }
    out.push(')');
    out
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

/// One laid-out line of a paragraph.
struct Line {
    text: String,
    /// Number of spaces (for justification) and whether to justify.
    justify: bool,
}

/// Breaks `text` into lines no wider than `width`, hyphenating Spanish words that do not fit
/// and cutting words that are wider than a whole line.
fn wrap(text: &str, font: Font, size: f64, width: f64, lang: Lang) -> Vec<Line> {
    let mut lines = Vec::new();
    for para in text.split('\n') {
        let mut cur = String::new();
        let mut cur_w = 0.0;
        let space = text_width(" ", font, size);
        for word in para.split(' ').filter(|w| !w.is_empty()) {
            let mut word = word.to_string();
            loop {
                let ww = text_width(&word, font, size);
                let lead = if cur.is_empty() { 0.0 } else { space };
                if cur_w + lead + ww <= width {
                    if !cur.is_empty() {
                        cur.push(' ');
                    }
                    cur.push_str(&word);
                    cur_w += lead + ww;
                    break;
                }
                // Try a hyphenated head of the word on this line.
                let room = width - cur_w - lead;
                if let Some((head, tail)) = split_to_fit(&word, font, size, room, lang) {
                    if !cur.is_empty() {
                        cur.push(' ');
                    }
                    cur.push_str(&head);
                    lines.push(Line {
                        text: std::mem::take(&mut cur),
                        justify: true,
                    });
                    cur_w = 0.0;
                    word = tail;
                    continue;
                }
                if cur.is_empty() {
                    // A word wider than a line: cut it where it no longer fits.
                    let mut head = String::new();
                    let mut w = 0.0;
                    let mut rest = String::new();
                    for c in word.chars() {
                        let cw = char_width(c, font) * size / 1000.0;
                        if rest.is_empty() && (w + cw <= width || head.is_empty()) {
                            head.push(c);
                            w += cw;
                        } else {
                            rest.push(c);
                        }
                    }
                    lines.push(Line {
                        text: head,
                        justify: false,
                    });
                    if rest.is_empty() {
                        break;
                    }
                    word = rest;
                    continue;
                }
                lines.push(Line {
                    text: std::mem::take(&mut cur),
                    justify: true,
                });
                cur_w = 0.0;
            }
        }
        lines.push(Line {
            text: cur,
            justify: false,
        });
    }
    lines
}

/// The longest hyphenated head of `word` that fits in `room` (Spanish only).
fn split_to_fit(
    word: &str,
    font: Font,
    size: f64,
    room: f64,
    lang: Lang,
) -> Option<(String, String)> {
    if lang != Lang::Es || room <= 0.0 {
        return None;
    }
    // Keep leading/trailing punctuation with the word's ends.
    let letters_start = word.find(|c: char| c.is_alphabetic())?;
    let letters_end = word
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_alphabetic())
        .map(|(i, c)| i + c.len_utf8())?;
    let core = &word[letters_start..letters_end];
    let offset = word[..letters_start].chars().count();
    let chars: Vec<char> = word.chars().collect();
    for b in spanish_breaks(core).into_iter().rev() {
        let at = offset + b;
        let head: String = chars[..at].iter().collect::<String>() + "-";
        if text_width(&head, font, size) <= room {
            let tail: String = chars[at..].iter().collect();
            return Some((head, tail));
        }
    }
    None
}

/// Drawing operations of one page.
#[derive(Default)]
struct Page {
    ops: String,
}

struct Layout<'a> {
    doc: &'a Document,
    pages: Vec<Page>,
    y: f64,
}

impl<'a> Layout<'a> {
    fn new(doc: &'a Document) -> Self {
        let mut l = Layout {
            doc,
            pages: Vec::new(),
            y: TOP,
        };
        l.new_page();
        l
    }

    fn ops(&mut self) -> &mut String {
        &mut self.pages.last_mut().expect("a page").ops
    }

    fn new_page(&mut self) {
        self.pages.push(Page::default());
        self.y = TOP;
    }

    /// Starts a new page unless `need` points fit below the cursor.
    fn ensure(&mut self, need: f64) {
        if self.y - need < BOTTOM && self.y < TOP {
            self.new_page();
        }
    }

    fn text_at(&mut self, x: f64, y: f64, font: Font, size: f64, s: &str) {
        let lit = literal(s);
        let _ = writeln!(
            self.ops(),
            "BT /{} {} Tf {} {} Td {} Tj ET",
            font.name(),
            fmt(size),
            fmt(x),
            fmt(y),
            lit
        );
    }

    fn fill_rect(&mut self, x: f64, y: f64, w: f64, h: f64, grey: f64) {
        let _ = writeln!(
            self.ops(),
            "{g} g {} {} {} {} re f 0 g",
            fmt(x),
            fmt(y),
            fmt(w),
            fmt(h),
            g = fmt(grey)
        );
    }

    fn stroke_rect(&mut self, x: f64, y: f64, w: f64, h: f64) {
        let _ = writeln!(
            self.ops(),
            "0.75 G 0.5 w {} {} {} {} re S 0 G",
            fmt(x),
            fmt(y),
            fmt(w),
            fmt(h)
        );
    }

    fn title(&mut self) {
        let doc = self.doc;
        for line in wrap(&doc.title, Font::Bold, 18.0, CONTENT_W, doc.lang) {
            self.y -= 22.0;
            self.text_at(MARGIN_X, self.y, Font::Bold, 18.0, &line.text);
        }
        if !doc.subtitle.is_empty() {
            for line in wrap(&doc.subtitle, Font::Regular, 11.0, CONTENT_W, doc.lang) {
                self.y -= 15.0;
                self.text_at(MARGIN_X, self.y, Font::Regular, 11.0, &line.text);
            }
        }
        self.y -= 10.0;
    }

    fn heading(&mut self, s: &str) {
        self.ensure(70.0);
        self.y -= 12.0;
        for line in wrap(s, Font::Bold, 13.0, CONTENT_W, self.doc.lang) {
            self.y -= 16.0;
            self.text_at(MARGIN_X, self.y, Font::Bold, 13.0, &line.text);
        }
        self.y -= 6.0;
    }

    fn paragraph(&mut self, s: &str) {
        let size = 10.0;
        let lead = 13.5;
        for line in wrap(s, Font::Regular, size, CONTENT_W, self.doc.lang) {
            self.ensure(lead);
            self.y -= lead;
            let spaces = line.text.matches(' ').count();
            let tw = if line.justify && spaces > 0 {
                (CONTENT_W - text_width(&line.text, Font::Regular, size)) / spaces as f64
            } else {
                0.0
            };
            let lit = literal(&line.text);
            let y = self.y;
            let _ = writeln!(
                self.ops(),
                "BT /F1 {} Tf {} Tw {} {} Td {} Tj 0 Tw ET",
                fmt(size),
                fmt(tw),
                fmt(MARGIN_X),
                fmt(y),
                lit
            );
        }
        self.y -= 6.0;
    }

    fn figures(&mut self, figures: &[Figure]) {
        let per_row = 3usize;
        let gap = 10.0;
        let w = (CONTENT_W - gap * (per_row as f64 - 1.0)) / per_row as f64;
        let lang = self.doc.lang;
        for row in figures.chunks(per_row) {
            let laid: Vec<(Vec<Line>, String, Vec<Line>)> = row
                .iter()
                .map(|f| {
                    (
                        wrap(&f.label, Font::Regular, 8.5, w - 12.0, lang),
                        display(&f.value, lang),
                        if f.note.is_empty() {
                            Vec::new()
                        } else {
                            wrap(&f.note, Font::Regular, 7.5, w - 12.0, lang)
                        },
                    )
                })
                .collect();
            let h = laid
                .iter()
                .map(|(l, _, n)| 14.0 + l.len() as f64 * 10.5 + 20.0 + n.len() as f64 * 9.5)
                .fold(0.0, f64::max);
            self.ensure(h + gap);
            let top = self.y;
            for (i, (label, value, note)) in laid.iter().enumerate() {
                let x = MARGIN_X + i as f64 * (w + gap);
                self.fill_rect(x, top - h, w, h, 0.95);
                self.stroke_rect(x, top - h, w, h);
                let mut y = top - 4.0;
                for l in label {
                    y -= 10.5;
                    self.text_at(x + 6.0, y, Font::Regular, 8.5, &l.text);
                }
                y -= 20.0;
                let size = if text_width(value, Font::Bold, 15.0) > w - 12.0 {
                    11.0
                } else {
                    15.0
                };
                self.text_at(x + 6.0, y, Font::Bold, size, value);
                for l in note {
                    y -= 9.5;
                    self.text_at(x + 6.0, y, Font::Regular, 7.5, &l.text);
                }
            }
            self.y = top - h - gap;
        }
    }

    fn table(&mut self, t: &Table) {
        let lang = self.doc.lang;
        let size = 8.0;
        let pad = 3.0;
        let lead = 10.0;
        let n = t.columns.len().max(1);
        // Natural widths: the widest cell of each column (header in bold).
        let mut natural: Vec<f64> = t
            .columns
            .iter()
            .map(|h| {
                h.split(' ')
                    .map(|w| text_width(w, Font::Bold, size))
                    .fold(0.0, f64::max)
                    .max(text_width(h, Font::Bold, size).min(90.0))
                    + 2.0 * pad
            })
            .collect();
        natural.resize(n, 20.0);
        let texts: Vec<Vec<String>> = t
            .rows
            .iter()
            .map(|r| r.iter().map(|c| display(c, lang)).collect())
            .collect();
        for row in &texts {
            for (i, s) in row.iter().enumerate().take(n) {
                let w = text_width(s, Font::Regular, size) + 2.0 * pad;
                if w > natural[i] {
                    natural[i] = w.min(220.0);
                }
            }
        }
        let widths = fit_columns(&natural, CONTENT_W);
        let numeric: Vec<bool> = (0..n)
            .map(|i| {
                t.rows
                    .iter()
                    .any(|r| r.get(i).is_some_and(Cell::is_numeric))
            })
            .collect();
        let header: Vec<Vec<Line>> = t
            .columns
            .iter()
            .zip(&widths)
            .map(|(h, w)| wrap(h, Font::Bold, size, w - 2.0 * pad, lang))
            .collect();
        let header_h = header.iter().map(Vec::len).max().unwrap_or(1) as f64 * lead + 2.0 * pad;

        if !t.title.is_empty() {
            self.ensure(16.0 + header_h + lead * 2.0);
            self.y -= 14.0;
            let y = self.y;
            self.text_at(MARGIN_X, y, Font::Bold, 10.0, &t.title);
            self.y -= 4.0;
        } else {
            self.ensure(header_h + lead * 2.0);
        }
        self.table_header(&header, &widths, &numeric, header_h, size, pad, lead);
        for row in &texts {
            let cells: Vec<Vec<Line>> = (0..n)
                .map(|i| {
                    let s = row.get(i).map(String::as_str).unwrap_or("");
                    if numeric[i] {
                        vec![Line {
                            text: s.to_string(),
                            justify: false,
                        }]
                    } else {
                        wrap(s, Font::Regular, size, widths[i] - 2.0 * pad, lang)
                    }
                })
                .collect();
            let h = cells.iter().map(Vec::len).max().unwrap_or(1) as f64 * lead + pad;
            if self.y - h < BOTTOM {
                self.new_page();
                self.table_header(&header, &widths, &numeric, header_h, size, pad, lead);
            }
            let top = self.y;
            let mut x = MARGIN_X;
            for (i, lines) in cells.iter().enumerate() {
                let mut y = top - pad / 2.0;
                for l in lines {
                    y -= lead;
                    let tx = if numeric[i] {
                        x + widths[i] - pad - text_width(&l.text, Font::Regular, size)
                    } else {
                        x + pad
                    };
                    self.text_at(tx, y + 2.0, Font::Regular, size, &l.text);
                }
                x += widths[i];
            }
            self.y = top - h;
            let y = self.y;
            let _ = writeln!(
                self.ops(),
                "0.85 G 0.3 w {} {} m {} {} l S 0 G",
                fmt(MARGIN_X),
                fmt(y),
                fmt(MARGIN_X + CONTENT_W.min(widths.iter().sum())),
                fmt(y)
            );
        }
        self.y -= 8.0;
    }

    #[allow(clippy::too_many_arguments)]
    fn table_header(
        &mut self,
        header: &[Vec<Line>],
        widths: &[f64],
        numeric: &[bool],
        h: f64,
        size: f64,
        pad: f64,
        lead: f64,
    ) {
        let top = self.y;
        let total: f64 = widths.iter().sum();
        self.fill_rect(MARGIN_X, top - h, total, h, 0.88);
        let mut x = MARGIN_X;
        for (i, lines) in header.iter().enumerate() {
            let mut y = top - pad;
            for l in lines {
                y -= lead;
                let tx = if numeric.get(i).copied().unwrap_or(false) {
                    x + widths[i] - pad - text_width(&l.text, Font::Bold, size)
                } else {
                    x + pad
                };
                self.text_at(tx, y + 2.0, Font::Bold, size, &l.text);
            }
            x += widths[i];
        }
        self.y = top - h;
    }

    fn chart(&mut self, svg: &str) {
        let Some(drawing) = super::svgpdf::parse(svg) else {
            return;
        };
        let scale = (CONTENT_W / drawing.width).min(1.0);
        let h = drawing.height * scale;
        self.ensure(h + 8.0);
        let x = MARGIN_X + (CONTENT_W - drawing.width * scale) / 2.0;
        let top = self.y - 4.0;
        let ops = drawing.to_pdf(x, top, scale);
        self.ops().push_str(&ops);
        self.y = top - h - 8.0;
    }
}

/// Column widths that fill at most `avail`: narrow columns keep their natural width, wide
/// ones share what is left in proportion to theirs.
fn fit_columns(natural: &[f64], avail: f64) -> Vec<f64> {
    let total: f64 = natural.iter().sum();
    if total <= avail {
        return natural.to_vec();
    }
    let mut fixed = vec![false; natural.len()];
    loop {
        let fixed_sum: f64 = natural
            .iter()
            .zip(&fixed)
            .filter(|(_, f)| **f)
            .map(|(w, _)| w)
            .sum();
        let free: f64 = natural
            .iter()
            .zip(&fixed)
            .filter(|(_, f)| !**f)
            .map(|(w, _)| w)
            .sum();
        let room = (avail - fixed_sum).max(0.0);
        let ratio = if free > 0.0 { room / free } else { 1.0 };
        let mut changed = false;
        // A column whose natural width is below its proportional share keeps it.
        let share = room / fixed.iter().filter(|f| !**f).count().max(1) as f64;
        for (i, w) in natural.iter().enumerate() {
            if !fixed[i] && *w <= share {
                fixed[i] = true;
                changed = true;
            }
        }
        if !changed {
            return natural
                .iter()
                .zip(&fixed)
                .map(|(w, f)| if *f { *w } else { w * ratio })
                .collect();
        }
    }
}

/// Whether `bytes` is a logo the PDF can embed (JPEG, or 8-bit PNG without alpha).
pub fn logo_supported(bytes: &[u8]) -> Option<()> {
    image(&Logo {
        bytes: bytes.to_vec(),
    })
    .map(|_| ())
}

/// Information about an embedded image.
struct Image {
    width: u32,
    height: u32,
    dict: String,
    data: Vec<u8>,
}

/// The logo as a PDF image: JPEG as is (DCTDecode); an 8-bit PNG without transparency or
/// interlacing by its IDAT stream as is (FlateDecode with the PNG predictors).
fn image(logo: &Logo) -> Option<Image> {
    let b = &logo.bytes;
    if b.starts_with(&[0xFF, 0xD8]) {
        let (w, h, comps) = jpeg_size(b)?;
        let cs = match comps {
            1 => "/DeviceGray",
            4 => "/DeviceCMYK",
            _ => "/DeviceRGB",
        };
        return Some(Image {
            width: w,
            height: h,
            dict: format!("/Filter /DCTDecode /ColorSpace {cs} /BitsPerComponent 8"),
            data: b.clone(),
        });
    }
    if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        let mut pos = 8;
        let (mut w, mut h, mut colors) = (0u32, 0u32, 0u32);
        let mut idat = Vec::new();
        while pos + 8 <= b.len() {
            let len = u32::from_be_bytes(b[pos..pos + 4].try_into().ok()?) as usize;
            let kind = &b[pos + 4..pos + 8];
            let data = b.get(pos + 8..pos + 8 + len)?;
            match kind {
                b"IHDR" => {
                    w = u32::from_be_bytes(data[0..4].try_into().ok()?);
                    h = u32::from_be_bytes(data[4..8].try_into().ok()?);
                    let (depth, ctype, interlace) = (data[8], data[9], data[12]);
                    if depth != 8 || interlace != 0 {
                        return None;
                    }
                    colors = match ctype {
                        0 => 1,
                        2 => 3,
                        _ => return None, // palette or alpha: not supported
                    };
                }
                b"IDAT" => idat.extend_from_slice(data),
                b"IEND" => break,
                _ => {}
            }
            pos += 12 + len;
        }
        if w == 0 || h == 0 || idat.is_empty() {
            return None;
        }
        let cs = if colors == 1 {
            "/DeviceGray"
        } else {
            "/DeviceRGB"
        };
        return Some(Image {
            width: w,
            height: h,
            dict: format!(
                "/Filter /FlateDecode /DecodeParms << /Predictor 15 /Colors {colors} /BitsPerComponent 8 /Columns {w} >> /ColorSpace {cs} /BitsPerComponent 8"
            ),
            data: idat,
        });
    }
    None
}

fn jpeg_size(b: &[u8]) -> Option<(u32, u32, u8)> {
    let mut i = 2;
    while i + 9 < b.len() {
        if b[i] != 0xFF {
            return None;
        }
        let marker = b[i + 1];
        let len = usize::from(u16::from_be_bytes([b[i + 2], b[i + 3]]));
        if matches!(marker, 0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF) {
            let h = u16::from_be_bytes([b[i + 5], b[i + 6]]);
            let w = u16::from_be_bytes([b[i + 7], b[i + 8]]);
            return Some((u32::from(w), u32::from(h), b[i + 9]));
        }
        i += 2 + len;
    }
    None
}

/// A PDF text string (for the document information): UTF-16BE with BOM, in hex.
fn info_string(s: &str) -> String {
    let mut out = String::from("<FEFF");
    for u in s.encode_utf16() {
        let _ = write!(out, "{u:04X}");
    }
    out.push('>');
    out
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    let _ = e.write_all(data);
    e.finish().unwrap_or_default()
}

/// Renders the document as a PDF file.
pub fn render(doc: &Document) -> Vec<u8> {
    let mut l = Layout::new(doc);
    l.title();
    for s in &doc.sections {
        l.heading(&s.heading);
        for b in &s.blocks {
            match b {
                Block::Paragraph(p) => l.paragraph(p),
                Block::Figures(f) => l.figures(f),
                Block::Table(t) => l.table(t),
                Block::Chart(c) => l.chart(&c.svg),
            }
        }
    }
    let pages = l.pages;
    let logo = doc.logo.as_ref().and_then(image);

    // Objects: 1 catalog, 2 pages, 3 F1, 4 F2, 5 info, 6 logo (optional), then page + content.
    let mut objs: Vec<Vec<u8>> = Vec::new();
    let n_pages = pages.len();
    let first_page = if logo.is_some() { 7 } else { 6 };
    let kids: Vec<String> = (0..n_pages)
        .map(|i| format!("{} 0 R", first_page + 2 * i))
        .collect();
    let lang_tag = match doc.lang {
        Lang::Es => "es-CL",
        Lang::En => "en",
    };
    objs.push(
        format!(
            "<< /Type /Catalog /Pages 2 0 R /Lang {} >>",
            info_string(lang_tag)
        )
        .into_bytes(),
    );
    objs.push(
        format!(
            "<< /Type /Pages /Kids [{}] /Count {n_pages} >>",
            kids.join(" ")
        )
        .into_bytes(),
    );
    objs.push(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            .to_vec(),
    );
    objs.push(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>"
            .to_vec(),
    );
    objs.push(
        format!(
            "<< /Title {} /Author {} /Producer (Rumbo) >>",
            info_string(&doc.title),
            info_string(&doc.organisation)
        )
        .into_bytes(),
    );
    if let Some(img) = &logo {
        let mut o = format!(
            "<< /Type /XObject /Subtype /Image /Width {} /Height {} {} /Length {} >>\nstream\n",
            img.width,
            img.height,
            img.dict,
            img.data.len()
        )
        .into_bytes();
        o.extend_from_slice(&img.data);
        o.extend_from_slice(b"\nendstream");
        objs.push(o);
    }
    let xobjects = if logo.is_some() {
        "/XObject << /Im1 6 0 R >>"
    } else {
        ""
    };
    for (i, page) in pages.iter().enumerate() {
        let mut ops = String::new();
        page_chrome(&mut ops, doc, logo.as_ref(), i + 1, n_pages);
        ops.push_str(&page.ops);
        let content = deflate(ops.as_bytes());
        let content_id = first_page + 2 * i + 1;
        objs.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {} {}] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> {xobjects} >> /Contents {content_id} 0 R >>",
                fmt(PAGE_W),
                fmt(PAGE_H)
            )
            .into_bytes(),
        );
        let mut o = format!(
            "<< /Length {} /Filter /FlateDecode >>\nstream\n",
            content.len()
        )
        .into_bytes();
        o.extend_from_slice(&content);
        o.extend_from_slice(b"\nendstream");
        objs.push(o);
    }

    let mut out: Vec<u8> = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::with_capacity(objs.len());
    for (i, o) in objs.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(o);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    let mut x = format!("xref\n0 {}\n0000000000 65535 f \n", objs.len() + 1);
    for off in offsets {
        let _ = writeln!(x, "{off:010} 00000 n ");
    }
    let _ = write!(
        x,
        "trailer\n<< /Size {} /Root 1 0 R /Info 5 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objs.len() + 1
    );
    out.extend_from_slice(x.as_bytes());
    out
}

/// The header (logo, BPO name, report title, rule) and footer (generated, page n of N).
fn page_chrome(ops: &mut String, doc: &Document, logo: Option<&Image>, page: usize, pages: usize) {
    let top = PAGE_H - 40.0;
    let mut x = MARGIN_X;
    if let Some(img) = logo {
        let h = 30.0;
        let w = (h * f64::from(img.width) / f64::from(img.height.max(1))).min(120.0);
        let _ = writeln!(
            ops,
            "q {} 0 0 {} {} {} cm /Im1 Do Q",
            fmt(w),
            fmt(h),
            fmt(x),
            fmt(top - h + 6.0)
        );
        x += w + 10.0;
    }
    let _ = writeln!(
        ops,
        "BT /F2 11 Tf {} {} Td {} Tj ET",
        fmt(x),
        fmt(top - 8.0),
        literal(&doc.organisation)
    );
    let title_w = text_width(&doc.title, Font::Regular, 8.0);
    let title = if title_w > CONTENT_W / 2.0 {
        doc.title.chars().take(60).collect::<String>()
    } else {
        doc.title.clone()
    };
    let _ = writeln!(
        ops,
        "BT /F1 8 Tf {} {} Td {} Tj ET",
        fmt(PAGE_W - MARGIN_X - text_width(&title, Font::Regular, 8.0)),
        fmt(top - 8.0),
        literal(&title)
    );
    let _ = writeln!(
        ops,
        "0.4 G 0.8 w {} {} m {} {} l S 0 G",
        fmt(MARGIN_X),
        fmt(top - 30.0),
        fmt(PAGE_W - MARGIN_X),
        fmt(top - 30.0)
    );
    let foot = doc
        .chrome
        .page_of
        .replace("{page}", &page.to_string())
        .replace("{pages}", &pages.to_string());
    let _ = writeln!(
        ops,
        "BT /F1 7.5 Tf {} 30 Td {} Tj ET",
        fmt(MARGIN_X),
        literal(&doc.chrome.generated)
    );
    let _ = writeln!(
        ops,
        "BT /F1 7.5 Tf {} 30 Td {} Tj ET",
        fmt(PAGE_W - MARGIN_X - text_width(&foot, Font::Regular, 7.5)),
        literal(&foot)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_follow_the_helvetica_metrics() {
        // "Año" = A 667 + ñ 556 + o 556 at 10 pt.
        assert!((text_width("Año", Font::Regular, 10.0) - 17.79).abs() < 1e-9);
        assert!(text_width("W", Font::Bold, 10.0) > text_width("i", Font::Bold, 10.0));
    }

    #[test]
    fn spanish_text_is_encoded_in_win_ansi_with_octal_escapes() {
        assert_eq!(literal("Año (ñ)"), "(A\\361o \\(\\361\\))");
        assert_eq!(literal("€ — ✓"), "(\\200 \\227 ?)");
    }

    #[test]
    fn long_spanish_words_are_hyphenated_to_fill_the_line() {
        let text = "La programación de las comunicaciones correspondientes";
        let lines = wrap(text, Font::Regular, 10.0, 150.0, Lang::Es);
        assert!(
            lines.iter().any(|l| l.text.ends_with('-')),
            "{:?}",
            lines.iter().map(|l| &l.text).collect::<Vec<_>>()
        );
        for l in &lines {
            assert!(text_width(&l.text, Font::Regular, 10.0) <= 150.0 + 1e-9);
        }
        let english = wrap(text, Font::Regular, 10.0, 150.0, Lang::En);
        assert!(english.iter().all(|l| !l.text.ends_with('-')));
    }

    #[test]
    fn columns_fit_the_page_keeping_narrow_ones() {
        let w = fit_columns(&[30.0, 400.0, 300.0], 500.0);
        assert_eq!(w[0], 30.0);
        assert!((w.iter().sum::<f64>() - 500.0).abs() < 1e-6);
    }
}
