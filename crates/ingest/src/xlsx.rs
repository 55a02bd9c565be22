//! XLSX exports read as a stream of rows and mapped like CSV, within bounds no workbook can
//! break.
//!
//! An XLSX file is a ZIP of XML parts. This reader streams the worksheet part row by row
//! (`zip` + `quick-xml`), so memory follows the rows and cells really present: the used range
//! a sheet declares (`<dimension ref="A1:XFD1048576"/>`) is never trusted, and a sparse cell
//! far away costs one cell, not a dense rectangle up to it. Past the bounds of [`Limits`] —
//! cells, rows, decompressed bytes of a part, bytes of one XML token, shared strings — the
//! file is refused with [`IngestError::XlsxLimit`] instead of exhausting memory (a zip bomb
//! or a hostile shared-string table). Cells keep their type, so Excel dates and times are
//! converted exactly from their serial numbers (a number whose cell style is a date format).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Seek};

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::issue::{Issue, IssueKind};
use crate::mapping::{MappedRow, Mapping, RowMapper};
use crate::privacy::CallerHasher;
use crate::values::Cell;
use crate::IngestError;

/// What a workbook may hold before it is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Cells (`<c>` elements, empty ones included) in the sheet.
    pub max_cells: u64,
    /// Rows (`<row>` elements) in the sheet.
    pub max_rows: u64,
    /// XML events of one part (bounds the time a part of empty elements can take).
    pub max_events: u64,
    /// Decompressed bytes of the worksheet part.
    pub max_sheet_bytes: u64,
    /// Decompressed bytes of every other part (workbook, relations, styles, shared strings):
    /// what is kept of them in memory is at most this.
    pub max_part_bytes: u64,
    /// Bytes of one XML token (a tag with its attributes, or a run of text).
    pub max_token_bytes: u64,
    /// Columns of a row (Excel's own limit, column XFD).
    pub max_columns: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_cells: 5_000_000,
            max_rows: 1_100_000,
            max_events: 50_000_000,
            max_sheet_bytes: 2 << 30,
            max_part_bytes: 256 << 20,
            max_token_bytes: 1 << 20,
            max_columns: 16_384,
        }
    }
}

fn limit(what: impl Into<String>) -> IngestError {
    IngestError::XlsxLimit(what.into())
}

fn bad(what: impl std::fmt::Display) -> IngestError {
    IngestError::Xlsx(what.to_string())
}

/// A reader that refuses more than `max` bytes in total, or a run of more than `token` bytes
/// without a `<` or `>` (one XML token, which the XML reader would buffer whole).
struct Bounded<R> {
    inner: R,
    left: u64,
    max: u64,
    token: u64,
    run: u64,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let want = buf
            .len()
            .min(self.left.saturating_add(1).min(1 << 16) as usize);
        let n = self.inner.read(&mut buf[..want])?;
        if n as u64 > self.left {
            return Err(std::io::Error::other(BoundExceeded(format!(
                "a part of the workbook decompresses to more than {} bytes",
                self.max
            ))));
        }
        self.left -= n as u64;
        for &b in &buf[..n] {
            if b == b'<' || b == b'>' {
                self.run = 0;
            } else {
                self.run += 1;
                if self.run > self.token {
                    return Err(std::io::Error::other(BoundExceeded(format!(
                        "an XML token of the workbook is longer than {} bytes",
                        self.token
                    ))));
                }
            }
        }
        Ok(n)
    }
}

/// The error a [`Bounded`] reader gives when a bound is passed.
#[derive(Debug)]
struct BoundExceeded(String);

impl std::fmt::Display for BoundExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BoundExceeded {}

/// An XML error as an ingest error: a passed bound is [`IngestError::XlsxLimit`].
fn xml_error(e: quick_xml::Error) -> IngestError {
    if let quick_xml::Error::Io(io) = &e {
        if let Some(b) = io.get_ref().and_then(|i| i.downcast_ref::<BoundExceeded>()) {
            return limit(b.0.clone());
        }
    }
    bad(e)
}

type Zip<RS> = zip::ZipArchive<RS>;

/// A part of the archive as a bounded XML reader (`None` when the part is absent).
fn part<'z, RS: Read + Seek>(
    zip: &'z mut Zip<RS>,
    name: &str,
    max: u64,
    limits: &Limits,
) -> Result<Option<Reader<BufReader<Bounded<zip::read::ZipFile<'z>>>>>, IngestError> {
    let file = match zip.by_name(name) {
        Ok(f) => f,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => return Err(bad(e)),
    };
    let bounded = Bounded {
        inner: file,
        left: max,
        max,
        token: limits.max_token_bytes,
        run: 0,
    };
    let mut r = Reader::from_reader(BufReader::with_capacity(1 << 16, bounded));
    r.config_mut().check_end_names = false;
    Ok(Some(r))
}

/// The value of attribute `name` of an element (local name, any prefix).
fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes().flatten().find_map(|a| {
        let key = a.key.as_ref();
        let local = key.rsplit(':').next().unwrap_or(key);
        (local == name).then(|| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map(|v| v.into_owned())
                .unwrap_or_default()
        })
    })
}

/// Appends a character or predefined entity reference to `out`.
fn push_ref(out: &mut String, r: &str) {
    if let Some(num) = r.strip_prefix('#') {
        let code = match num.strip_prefix('x').or_else(|| num.strip_prefix('X')) {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => num.parse().ok(),
        };
        if let Some(c) = code.and_then(char::from_u32) {
            out.push(c);
        }
        return;
    }
    out.push_str(match r {
        "lt" => "<",
        "gt" => ">",
        "amp" => "&",
        "apos" => "'",
        "quot" => "\"",
        _ => "",
    });
}

/// Reads the next event, counting it against the part's event bound.
fn next<'b, B: BufRead>(
    r: &mut Reader<B>,
    buf: &'b mut Vec<u8>,
    events: &mut u64,
    limits: &Limits,
) -> Result<Event<'b>, IngestError> {
    *events += 1;
    if *events > limits.max_events {
        return Err(limit(format!(
            "a part of the workbook has more than {} XML elements",
            limits.max_events
        )));
    }
    buf.clear();
    r.read_event_into(buf).map_err(xml_error)
}

/// The worksheet part of sheet `wanted` (or of the first sheet).
fn sheet_path<RS: Read + Seek>(
    zip: &mut Zip<RS>,
    wanted: Option<&str>,
    limits: &Limits,
) -> Result<String, IngestError> {
    let mut sheets: Vec<(String, String)> = Vec::new();
    if let Some(mut r) = part(zip, "xl/workbook.xml", limits.max_part_bytes, limits)? {
        let (mut buf, mut events) = (Vec::new(), 0);
        loop {
            match next(&mut r, &mut buf, &mut events, limits)? {
                Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "sheet" => {
                    if sheets.len() as u64 >= limits.max_rows {
                        return Err(limit("too many sheets"));
                    }
                    sheets.push((
                        attr(&e, "name").unwrap_or_default(),
                        attr(&e, "id").unwrap_or_default(),
                    ));
                }
                Event::Eof => break,
                _ => {}
            }
        }
    } else {
        return Err(bad("not a workbook: xl/workbook.xml is missing"));
    }
    let rid = match wanted {
        Some(name) => sheets
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, id)| id.clone())
            .ok_or_else(|| bad(format!("no sheet named {name:?}")))?,
        None => sheets
            .first()
            .map(|(_, id)| id.clone())
            .ok_or_else(|| bad("workbook has no sheets"))?,
    };
    let mut target = None;
    if let Some(mut r) = part(
        zip,
        "xl/_rels/workbook.xml.rels",
        limits.max_part_bytes,
        limits,
    )? {
        let (mut buf, mut events) = (Vec::new(), 0);
        loop {
            match next(&mut r, &mut buf, &mut events, limits)? {
                Event::Start(e) | Event::Empty(e)
                    if e.local_name().as_ref() == "Relationship"
                        && attr(&e, "Id").as_deref() == Some(rid.as_str()) =>
                {
                    target = attr(&e, "Target");
                }
                Event::Eof => break,
                _ => {}
            }
        }
    }
    Ok(match target {
        Some(t) if t.starts_with('/') => t.trim_start_matches('/').to_string(),
        Some(t) => format!("xl/{}", t.trim_start_matches("./")),
        None => "xl/worksheets/sheet1.xml".to_string(),
    })
}

/// The shared strings: each `<si>`'s text runs joined (phonetic runs skipped).
fn shared_strings<RS: Read + Seek>(
    zip: &mut Zip<RS>,
    limits: &Limits,
) -> Result<Vec<String>, IngestError> {
    let mut out = Vec::new();
    let Some(mut r) = part(zip, "xl/sharedStrings.xml", limits.max_part_bytes, limits)? else {
        return Ok(out);
    };
    // The table's declared count is not trusted: the vector grows with the strings read.
    let (mut buf, mut events) = (Vec::new(), 0);
    let (mut current, mut in_t, mut in_phonetic) = (String::new(), false, false);
    loop {
        match next(&mut r, &mut buf, &mut events, limits)? {
            Event::Start(e) => match e.local_name().as_ref() {
                "si" => current.clear(),
                "t" => in_t = true,
                "rPh" => in_phonetic = true,
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                "si" => {
                    if out.len() as u64 >= limits.max_cells {
                        return Err(limit(format!(
                            "more than {} shared strings",
                            limits.max_cells
                        )));
                    }
                    out.push(std::mem::take(&mut current));
                }
                "t" => in_t = false,
                "rPh" => in_phonetic = false,
                _ => {}
            },
            Event::Empty(e) if e.local_name().as_ref() == "si" => out.push(String::new()),
            Event::Text(t) if in_t && !in_phonetic => current.push_str(&t.xml10_content()),
            Event::GeneralRef(g) if in_t && !in_phonetic => push_ref(&mut current, &g),
            Event::CData(c) if in_t && !in_phonetic => current.push_str(&c.into_inner()),
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(out)
}

/// Whether a number format shows a date or a time.
fn is_date_format(id: u32, custom: &HashMap<u32, String>) -> bool {
    if let Some(code) = custom.get(&id) {
        let mut quoted = false;
        let mut bracket = false;
        for c in code.chars() {
            match c {
                '"' => quoted = !quoted,
                '[' if !quoted => bracket = true,
                ']' if !quoted => bracket = false,
                'd' | 'm' | 'y' | 'h' | 's' | 'D' | 'M' | 'Y' | 'H' | 'S'
                    if !quoted && !bracket =>
                {
                    return true
                }
                _ => {}
            }
        }
        return false;
    }
    matches!(id, 14..=22 | 27..=36 | 45..=47 | 50..=58)
}

/// For each cell style (`cellXfs` index), whether it shows a date or a time.
fn date_styles<RS: Read + Seek>(
    zip: &mut Zip<RS>,
    limits: &Limits,
) -> Result<Vec<bool>, IngestError> {
    let Some(mut r) = part(zip, "xl/styles.xml", limits.max_part_bytes, limits)? else {
        return Ok(Vec::new());
    };
    let (mut buf, mut events) = (Vec::new(), 0);
    let mut custom = HashMap::new();
    let mut xf_formats = Vec::new();
    let mut in_cell_xfs = false;
    loop {
        match next(&mut r, &mut buf, &mut events, limits)? {
            Event::Start(e) if e.local_name().as_ref() == "cellXfs" => in_cell_xfs = true,
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                "numFmt" => {
                    if let (Some(id), Some(code)) = (
                        attr(&e, "numFmtId").and_then(|v| v.parse::<u32>().ok()),
                        attr(&e, "formatCode"),
                    ) {
                        if custom.len() as u64 >= limits.max_cells {
                            return Err(limit("too many number formats"));
                        }
                        custom.insert(id, code);
                    }
                }
                "xf" if in_cell_xfs => {
                    if xf_formats.len() as u64 >= limits.max_cells {
                        return Err(limit("too many cell styles"));
                    }
                    xf_formats.push(
                        attr(&e, "numFmtId")
                            .and_then(|v| v.parse::<u32>().ok())
                            .unwrap_or(0),
                    );
                }
                _ => {}
            },
            Event::End(e) if e.local_name().as_ref() == "cellXfs" => in_cell_xfs = false,
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(xf_formats
        .into_iter()
        .map(|id| is_date_format(id, &custom))
        .collect())
}

/// Zero-based column of a cell reference (`B7` → 1), if it has one.
fn column_of(reference: &str) -> Option<usize> {
    let mut col: usize = 0;
    let mut letters = 0;
    for b in reference.bytes() {
        if b.is_ascii_alphabetic() {
            col = col
                .checked_mul(26)?
                .checked_add(usize::from(b.to_ascii_uppercase() - b'A') + 1)?;
            letters += 1;
            if letters > 3 {
                return None;
            }
        } else {
            break;
        }
    }
    (letters > 0).then(|| col - 1)
}

/// One row of a sheet: its 1-based number and its cells (up to the width asked for).
type Row = (u64, Vec<Cell>);

/// Streams the rows of one worksheet.
struct Sheet<'z> {
    xml: Reader<BufReader<Bounded<zip::read::ZipFile<'z>>>>,
    strings: Vec<String>,
    dates: Vec<bool>,
    limits: Limits,
    buf: Vec<u8>,
    events: u64,
    cells: u64,
    rows: u64,
    last_row: u64,
    /// A row started before the previous one ended (malformed sheets).
    pending: Option<Row>,
}

/// What is known of the cell being read.
#[derive(Default)]
struct CellState {
    col: usize,
    kind: String,
    style: usize,
    value: String,
    in_value: bool,
}

/// What the sheet reader does with one XML event (owned, so the event's buffer is free).
enum Act {
    Row(Option<u64>),
    Cell {
        col: Option<usize>,
        kind: String,
        style: usize,
        empty: bool,
    },
    ValueStart,
    Text(String),
    ValueEnd,
    CellEnd,
    RowEnd,
    Eof,
    Nothing,
}

fn act(ev: Event<'_>) -> Act {
    match ev {
        Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "row" => {
            Act::Row(attr(&e, "r").and_then(|v| v.parse::<u64>().ok()))
        }
        Event::Start(e) if e.local_name().as_ref() == "c" => Act::Cell {
            col: attr(&e, "r").and_then(|r| column_of(&r)),
            kind: attr(&e, "t").unwrap_or_default(),
            style: attr(&e, "s").and_then(|v| v.parse().ok()).unwrap_or(0),
            empty: false,
        },
        Event::Empty(e) if e.local_name().as_ref() == "c" => Act::Cell {
            col: attr(&e, "r").and_then(|r| column_of(&r)),
            kind: String::new(),
            style: 0,
            empty: true,
        },
        Event::Start(e) if matches!(e.local_name().as_ref(), "v" | "t") => Act::ValueStart,
        Event::End(e) => match e.local_name().as_ref() {
            "v" | "t" => Act::ValueEnd,
            "c" => Act::CellEnd,
            "row" => Act::RowEnd,
            _ => Act::Nothing,
        },
        Event::Text(t) => Act::Text(t.xml10_content().into_owned()),
        Event::GeneralRef(g) => {
            let mut s = String::new();
            push_ref(&mut s, &g);
            Act::Text(s)
        }
        Event::CData(d) => Act::Text(d.into_inner().into_owned()),
        Event::Eof => Act::Eof,
        _ => Act::Nothing,
    }
}

impl Sheet<'_> {
    /// The next row with its cells up to `width` columns (wider cells are dropped: no header
    /// names them), or `None` at the end of the sheet.
    fn next_row(&mut self, width: usize) -> Result<Option<Row>, IngestError> {
        let mut row: Option<Row> = self.pending.take();
        let mut cell: Option<CellState> = None;
        let mut next_col = 0usize;
        loop {
            let a = act(next(
                &mut self.xml,
                &mut self.buf,
                &mut self.events,
                &self.limits,
            )?);
            match a {
                Act::Row(n) => {
                    self.rows += 1;
                    if self.rows > self.limits.max_rows {
                        return Err(limit(format!(
                            "the sheet has more than {} rows",
                            self.limits.max_rows
                        )));
                    }
                    let n = n.unwrap_or(self.last_row + 1);
                    self.last_row = n;
                    next_col = 0;
                    if let Some(r) = row.replace((n, Vec::new())) {
                        // A row left open before another starts: hand it out first.
                        self.pending = row.take();
                        return Ok(Some(r));
                    }
                }
                Act::Cell {
                    col,
                    kind,
                    style,
                    empty,
                } => {
                    self.cells += 1;
                    if self.cells > self.limits.max_cells {
                        return Err(limit(format!(
                            "the sheet has more than {} cells",
                            self.limits.max_cells
                        )));
                    }
                    let col = col.unwrap_or(next_col);
                    next_col = col.saturating_add(1);
                    let c = CellState {
                        col,
                        kind,
                        style,
                        ..CellState::default()
                    };
                    if empty {
                        self.finish_cell(&mut row, Some(c), width);
                    } else {
                        cell = Some(c);
                    }
                }
                Act::ValueStart => {
                    if let Some(c) = cell.as_mut() {
                        c.in_value = true;
                    }
                }
                Act::Text(t) => {
                    if let Some(c) = cell.as_mut().filter(|c| c.in_value) {
                        if c.value.len() + t.len() > self.limits.max_token_bytes as usize {
                            return Err(limit("a cell's text is too long"));
                        }
                        c.value.push_str(&t);
                    }
                }
                Act::ValueEnd => {
                    if let Some(c) = cell.as_mut() {
                        c.in_value = false;
                    }
                }
                Act::CellEnd => self.finish_cell(&mut row, cell.take(), width),
                Act::RowEnd => {
                    if let Some(r) = row.take() {
                        return Ok(Some(r));
                    }
                }
                Act::Eof => return Ok(row),
                Act::Nothing => {}
            }
        }
    }

    /// Puts a finished cell in its row.
    fn finish_cell(&self, row: &mut Option<Row>, cell: Option<CellState>, width: usize) {
        let (Some((_, cells)), Some(c)) = (row.as_mut(), cell) else {
            return;
        };
        if c.col >= width {
            return;
        }
        let value = match c.kind.as_str() {
            "s" => c
                .value
                .trim()
                .parse::<usize>()
                .ok()
                .and_then(|i| self.strings.get(i))
                .map_or(Cell::Empty, |s| Cell::Text(s.clone())),
            "str" | "inlineStr" | "d" => Cell::Text(c.value),
            "b" => Cell::Text(
                if c.value.trim() == "1" {
                    "true"
                } else {
                    "false"
                }
                .into(),
            ),
            "e" => Cell::Text(format!("#ERR {}", c.value)),
            _ => match c.value.trim().parse::<f64>() {
                Ok(n) if self.dates.get(c.style).copied().unwrap_or(false) => Cell::ExcelDate(n),
                Ok(n) => Cell::Number(n),
                Err(_) if c.value.trim().is_empty() => Cell::Empty,
                Err(_) => Cell::Text(c.value),
            },
        };
        if cells.len() <= c.col {
            cells.resize(c.col + 1, Cell::Empty);
        }
        cells[c.col] = value;
    }
}

/// Opens the sheet of a workbook (the named one, or the first).
fn open_sheet<'z, RS: Read + Seek>(
    zip: &'z mut Zip<RS>,
    sheet: Option<&str>,
    limits: Limits,
) -> Result<Sheet<'z>, IngestError> {
    let path = sheet_path(zip, sheet, &limits)?;
    let strings = shared_strings(zip, &limits)?;
    let dates = date_styles(zip, &limits)?;
    let xml = part(zip, &path, limits.max_sheet_bytes, &limits)?
        .ok_or_else(|| bad(format!("the sheet's part {path:?} is missing")))?;
    Ok(Sheet {
        xml,
        strings,
        dates,
        limits,
        buf: Vec::with_capacity(1024),
        events: 0,
        cells: 0,
        rows: 0,
        last_row: 0,
        pending: None,
    })
}

fn texts(cells: &[Cell]) -> Vec<String> {
    cells.iter().map(Cell::text).collect()
}

/// Reads and maps every row of a sheet; the first row with a cell is the header.
pub fn read_xlsx<RS: Read + Seek>(
    input: RS,
    mapping: &Mapping,
    hasher: Option<CallerHasher>,
) -> Result<Vec<MappedRow>, IngestError> {
    read_xlsx_within(input, mapping, hasher, Limits::default())
}

/// [`read_xlsx`] within the given limits.
pub fn read_xlsx_within<RS: Read + Seek>(
    input: RS,
    mapping: &Mapping,
    hasher: Option<CallerHasher>,
    limits: Limits,
) -> Result<Vec<MappedRow>, IngestError> {
    let mut zip = zip::ZipArchive::new(input).map_err(bad)?;
    let mut sheet = open_sheet(&mut zip, mapping.sheet.as_deref(), limits)?;
    let header = loop {
        match sheet.next_row(limits.max_columns)? {
            Some((_, cells)) if cells.iter().all(Cell::is_empty) => continue,
            Some((_, cells)) => break texts(&cells),
            None => return Err(IngestError::Empty),
        }
    };
    let mapper = RowMapper::new(mapping, &header, hasher)?;
    let mut out = Vec::new();
    while let Some((line, cells)) = sheet.next_row(header.len())? {
        if cells.iter().all(Cell::is_empty) {
            continue;
        }
        let mut cells = cells;
        cells.resize(header.len(), Cell::Empty);
        out.push(
            mapper
                .map(&cells)
                .map(|r| (line, r))
                .map_err(|e| Issue::rejected(line, IssueKind::Unparseable, e)),
        );
    }
    Ok(out)
}

/// Header and first `n` rows as text, for building a mapping in the UI.
pub fn preview_xlsx<RS: Read + Seek>(
    input: RS,
    sheet: Option<&str>,
    n: usize,
) -> Result<(Vec<String>, Vec<Vec<String>>), IngestError> {
    let limits = Limits::default();
    let mut zip = zip::ZipArchive::new(input).map_err(bad)?;
    let mut s = open_sheet(&mut zip, sheet, limits)?;
    let mut header = Vec::new();
    while let Some((_, cells)) = s.next_row(limits.max_columns)? {
        if !cells.iter().all(Cell::is_empty) {
            header = texts(&cells);
            break;
        }
    }
    let mut body = Vec::new();
    while body.len() < n {
        match s.next_row(header.len().max(1))? {
            Some((_, cells)) if cells.iter().all(Cell::is_empty) => {}
            Some((_, mut cells)) => {
                cells.resize(header.len(), Cell::Empty);
                body.push(texts(&cells));
            }
            None => break,
        }
    }
    Ok((header, body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::{MappedRecord, RecordKind};
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    use std::io::Write as _;

    #[test]
    fn xlsx_rows_with_excel_dates_map_like_csv() {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        let fmt = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
        for (c, h) in ["start", "queue", "wait", "talk", "outcome"]
            .iter()
            .enumerate()
        {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        let dt = ExcelDateTime::parse_from_str("2026-01-01 00:00:10").unwrap();
        ws.write_datetime_with_format(1, 0, &dt, &fmt).unwrap();
        ws.write_string(1, 1, "Ventas & Co").unwrap();
        ws.write_number(1, 2, 12.0).unwrap();
        ws.write_string(1, 3, "00:03:00").unwrap();
        ws.write_string(1, 4, "answered").unwrap();
        ws.write_string(2, 0, "not a date").unwrap();
        ws.write_string(2, 1, "Ventas").unwrap();
        ws.write_number(2, 2, 1.0).unwrap();
        ws.write_string(2, 4, "answered").unwrap();
        let bytes = wb.save_to_buffer().unwrap();
        let m = Mapping::identity(RecordKind::Calls);
        let rows = read_xlsx(std::io::Cursor::new(bytes), &m, None).unwrap();
        let Ok((2, MappedRecord::Call(c))) = &rows[0] else {
            panic!("{:?}", rows[0])
        };
        assert_eq!(c.facts.enter_ts, 1_767_225_610);
        assert_eq!(c.facts.talk_s, 180.0);
        assert_eq!(c.queue, "Ventas & Co");
        assert!(matches!(&rows[1], Err(i) if i.line == 3));
    }

    #[test]
    fn garbage_bytes_are_an_error_not_a_panic() {
        let m = Mapping::identity(RecordKind::Calls);
        assert!(read_xlsx(
            std::io::Cursor::new(b"PK\x03\x04garbage".to_vec()),
            &m,
            None
        )
        .is_err());
    }

    /// A workbook of hand-written parts (hostile ones included).
    pub(crate) fn workbook(sheet: &str, strings: Option<&str>, styles: Option<&str>) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        let mut z = zip::ZipWriter::new(&mut out);
        let o = zip::write::SimpleFileOptions::default();
        let mut add = |name: &str, body: &str| {
            z.start_file(name, o).unwrap();
            z.write_all(body.as_bytes()).unwrap();
        };
        add(
            "xl/workbook.xml",
            r#"<workbook xmlns:r="r"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
        );
        add(
            "xl/_rels/workbook.xml.rels",
            r#"<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>"#,
        );
        add("xl/worksheets/sheet1.xml", sheet);
        if let Some(s) = strings {
            add("xl/sharedStrings.xml", s);
        }
        if let Some(s) = styles {
            add("xl/styles.xml", s);
        }
        z.finish().unwrap();
        out.into_inner()
    }

    const HEADER: &str = r#"<row r="1"><c r="A1" t="inlineStr"><is><t>call_id</t></is></c><c r="B1" t="inlineStr"><is><t>queue</t></is></c><c r="C1" t="inlineStr"><is><t>start</t></is></c><c r="D1" t="inlineStr"><is><t>wait</t></is></c><c r="E1" t="inlineStr"><is><t>talk</t></is></c><c r="F1" t="inlineStr"><is><t>outcome</t></is></c></row>"#;

    fn row(n: u32) -> String {
        format!(
            r#"<row r="{n}"><c r="A{n}" t="s"><v>0</v></c><c r="B{n}" t="inlineStr"><is><t>Q</t></is></c><c r="C{n}"><v>1767225600</v></c><c r="D{n}"><v>5</v></c><c r="E{n}"><v>60</v></c><c r="F{n}" t="inlineStr"><is><t>answered</t></is></c></row>"#
        )
    }

    #[test]
    fn a_declared_dimension_of_the_whole_sheet_and_a_far_cell_cost_only_the_cells_present() {
        let sheet = format!(
            r#"<worksheet><dimension ref="A1:XFD1048576"/><sheetData>{HEADER}{}<row r="1048576"><c r="A1048576"><v>1</v></c><c r="XFD1048576"><v>1</v></c></row></sheetData></worksheet>"#,
            row(2)
        );
        let bytes = workbook(
            &sheet,
            Some(r#"<sst uniqueCount="999999999999"><si><t>c1</t></si></sst>"#),
            None,
        );
        let m = Mapping::identity(RecordKind::Calls);
        let rows = read_xlsx(std::io::Cursor::new(bytes), &m, None).unwrap();
        let Ok((2, MappedRecord::Call(c))) = &rows[0] else {
            panic!("{:?}", rows[0])
        };
        assert_eq!(c.call_id, "c1");
        assert_eq!(rows.len(), 2, "the far row is read, not expanded");
        assert!(matches!(&rows[1], Err(i) if i.line == 1_048_576));
    }

    #[test]
    fn past_the_cell_cap_the_file_is_refused_with_a_limit_error() {
        let body: String = (2..200).map(row).collect();
        let sheet = format!("<worksheet><sheetData>{HEADER}{body}</sheetData></worksheet>");
        let bytes = workbook(&sheet, Some("<sst><si><t>c</t></si></sst>"), None);
        let m = Mapping::identity(RecordKind::Calls);
        let small = Limits {
            max_cells: 100,
            ..Limits::default()
        };
        let e = read_xlsx_within(std::io::Cursor::new(bytes), &m, None, small).unwrap_err();
        assert!(matches!(e, IngestError::XlsxLimit(_)), "{e:?}");
    }

    #[test]
    fn a_token_longer_than_the_bound_is_refused_without_buffering_it() {
        let long = "x".repeat(3 << 20);
        let sheet = format!(
            r#"<worksheet><sheetData>{HEADER}<row r="2"><c r="A2" t="inlineStr"><is><t>{long}</t></is></c></row></sheetData></worksheet>"#
        );
        let bytes = workbook(&sheet, None, None);
        let m = Mapping::identity(RecordKind::Calls);
        let e = read_xlsx(std::io::Cursor::new(bytes), &m, None).unwrap_err();
        assert!(matches!(e, IngestError::XlsxLimit(_)), "{e:?}");
    }

    #[test]
    fn custom_and_builtin_date_formats_are_recognised() {
        let mut custom = HashMap::new();
        custom.insert(164, "dd/mm/yyyy hh:mm".to_string());
        custom.insert(165, "\"d\"0.00".to_string());
        assert!(is_date_format(164, &custom));
        assert!(!is_date_format(165, &custom));
        assert!(is_date_format(14, &custom));
        assert!(!is_date_format(2, &custom));
        assert_eq!(column_of("A1"), Some(0));
        assert_eq!(column_of("XFD1048576"), Some(16_383));
        assert_eq!(column_of("ZZZZ1"), None);
    }
}
