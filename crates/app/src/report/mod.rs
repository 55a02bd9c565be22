//! Report documents and their renderers: one model, three formats.
//!
//! A report is a [`Document`] built by a use case (programme status, KPIs for a period,
//! corrective actions, the client's monthly report, and whatever later reports add): a title,
//! the header every page carries (the BPO's name and logo), sections of paragraphs, key
//! figures, typed tables and charts. Words arrive already in the reader's language (the caller
//! owns the catalogues); values stay typed ([`Cell`]) so each renderer shows them its own way:
//! the PDF with the language's number and date style, the XLSX as numbers and dates with a
//! number format (and native charts from the same series as the SVG charts), the CSV in plain
//! machine form. Renderers are pure functions from a document to bytes, so they are tested
//! and benchmarked without a database.

pub mod build;
mod closeout;
pub mod csv;
pub mod distribute;
pub mod hyphen;
pub mod metrics;
pub mod pdf;
#[cfg(test)]
mod story;
pub mod svgpdf;
#[cfg(test)]
pub(crate) mod tests;
pub mod text;
pub mod xlsx;

use jiff::civil::Date;

/// The language a report is written in: words, numbers, dates and hyphenation follow it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    Es,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Es, Lang::En];

    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Es => "es",
            Lang::En => "en",
        }
    }

    /// Parses `es` / `en` (case-insensitive).
    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "es" => Some(Lang::Es),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
}

/// The file format a document is rendered to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Pdf,
    Xlsx,
    Csv,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::Pdf, Format::Xlsx, Format::Csv];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Pdf => "pdf",
            Format::Xlsx => "xlsx",
            Format::Csv => "csv",
        }
    }

    pub fn parse(s: &str) -> Option<Format> {
        match s.trim().to_ascii_lowercase().as_str() {
            "pdf" => Some(Format::Pdf),
            "xlsx" => Some(Format::Xlsx),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }

    /// The media type of a file in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Pdf => "application/pdf",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Csv => "text/csv; charset=utf-8",
        }
    }

    /// The file extension (no dot).
    pub fn extension(self) -> &'static str {
        self.as_str()
    }
}

/// The BPO's logo as an image file (JPEG, or PNG without transparency or interlacing).
#[derive(Debug, Clone, PartialEq)]
pub struct Logo {
    pub bytes: Vec<u8>,
}

/// Words the renderers themselves need, in the document's language.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Chrome {
    /// Footer page label with `{page}` and `{pages}` (e.g. "Página {page} de {pages}").
    pub page_of: String,
    /// Footer line on every page (e.g. "Generado el 30-11-2026 14:00 por Rumbo").
    pub generated: String,
    /// XLSX sheet name for the key figures.
    pub figures_sheet: String,
    /// Header of the label column of key figures (CSV and XLSX).
    pub figure_label: String,
    /// Header of the value column of key figures (CSV and XLSX).
    pub figure_value: String,
}

/// A whole report.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub lang: Lang,
    /// The BPO's name, on every page's header.
    pub organisation: String,
    pub logo: Option<Logo>,
    pub title: String,
    /// Under the title on the first page (programme, period).
    pub subtitle: String,
    pub chrome: Chrome,
    pub sections: Vec<Section>,
}

/// A headed part of a report.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    pub heading: String,
    pub blocks: Vec<Block>,
}

/// One piece of a section.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// Running text (hyphenated and justified to the page in the PDF).
    Paragraph(String),
    /// Key figures, shown as tiles in the PDF and as label/value rows elsewhere.
    Figures(Vec<Figure>),
    Table(Table),
    Chart(Chart),
}

/// A labelled key figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    pub label: String,
    pub value: Cell,
    /// A short qualifier under the value (target, judgement); empty for none.
    pub note: String,
}

/// A typed value.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Int(i64),
    /// A number shown with a fixed number of decimals.
    Num {
        value: f64,
        decimals: u8,
    },
    /// A fraction (0.8 is 80 %), shown as a percentage with `decimals`.
    Percent {
        value: f64,
        decimals: u8,
    },
    /// Money in minor units of `currency` (which has `exponent` decimals).
    Money {
        minor: i64,
        currency: String,
        exponent: u8,
    },
    Date(Date),
    /// A local date and time (already in the programme's time zone).
    DateTime(jiff::civil::DateTime),
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    pub fn num(value: f64, decimals: u8) -> Cell {
        if value.is_finite() {
            Cell::Num { value, decimals }
        } else {
            Cell::Empty
        }
    }

    pub fn percent(value: f64, decimals: u8) -> Cell {
        if value.is_finite() {
            Cell::Percent { value, decimals }
        } else {
            Cell::Empty
        }
    }

    /// Is the value a number (right-aligned, typed as a number in XLSX)?
    pub fn is_numeric(&self) -> bool {
        matches!(
            self,
            Cell::Int(_) | Cell::Num { .. } | Cell::Percent { .. } | Cell::Money { .. }
        )
    }
}

/// A table; it breaks across PDF pages with its header row repeated.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Caption above the table; also the XLSX sheet name and the CSV block title.
    pub title: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// How a chart's series are drawn (and the native XLSX chart type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    Line,
    Bar,
}

/// A chart: the SVG the pages show (drawn into the PDF as vectors) and its data (for a native
/// XLSX chart).
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub title: String,
    pub kind: ChartKind,
    /// The SVG from `rumbo_charts`, the same the pages show.
    pub svg: String,
    pub categories: Vec<String>,
    pub series: Vec<ChartSeries>,
    /// Decimals of the values (and whether they are percentages) for the XLSX axis.
    pub percent: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChartSeries {
    pub name: String,
    pub values: Vec<Option<f64>>,
}

/// Why a document could not be rendered (the XLSX writer's own failures).
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("xlsx: {0}")]
    Xlsx(String),
}

/// Renders `doc` in `format`.
pub fn render(doc: &Document, format: Format) -> Result<Vec<u8>, RenderError> {
    match format {
        Format::Pdf => Ok(pdf::render(doc)),
        Format::Xlsx => xlsx::render(doc),
        Format::Csv => Ok(csv::render(doc)),
    }
}

/// The SHA-256 of rendered bytes, in lowercase hex (the distribution record's fingerprint).
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding (the logo is kept as text in the settings).
pub fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes standard base64 (whitespace ignored); `None` if it is not base64.
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s.bytes().filter(|c| !c.is_ascii_whitespace()) {
        if c == b'=' {
            break;
        }
        let v = B64.iter().position(|&x| x == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod base64_tests {
    use super::*;

    #[test]
    fn base64_round_trips_any_bytes() {
        for n in 0..10u8 {
            let bytes: Vec<u8> = (0..n).map(|i| i.wrapping_mul(97)).collect();
            assert_eq!(base64_decode(&base64_encode(&bytes)), Some(bytes));
        }
        assert_eq!(base64_encode(b"Ma"), "TWE=");
        assert_eq!(base64_decode("not base64!"), None);
    }
}
