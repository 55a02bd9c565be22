//! XLSX exports read with `calamine` and mapped like CSV.
//!
//! `calamine` loads one worksheet into memory (XLSX is a zipped XML document and
//! cannot be streamed row by row cheaply); spreadsheet exports are limited to
//! ~1M rows by Excel anyway. Cells keep their type, so Excel dates and times are
//! converted exactly rather than through their display text.

use std::io::{Read, Seek};

use calamine::{Data, Reader, Xlsx};

use crate::issue::{Issue, IssueKind};
use crate::mapping::{MappedRow, Mapping, RowMapper};
use crate::privacy::CallerHasher;
use crate::values::Cell;
use crate::IngestError;

fn to_cell(d: &Data) -> Cell {
    match d {
        Data::Empty => Cell::Empty,
        Data::String(s) => Cell::Text(s.clone()),
        Data::Float(f) => Cell::Number(*f),
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Bool(b) => Cell::Text(if *b { "true".into() } else { "false".into() }),
        Data::DateTime(dt) => Cell::ExcelDate(dt.as_f64()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Error(e) => Cell::Text(format!("#ERR {e:?}")),
    }
}

fn load<RS: Read + Seek>(
    input: RS,
    sheet: Option<&str>,
) -> Result<calamine::Range<Data>, IngestError> {
    let mut wb: Xlsx<RS> = Xlsx::new(input).map_err(|e| IngestError::Xlsx(e.to_string()))?;
    let name = match sheet {
        Some(s) => s.to_string(),
        None => wb
            .sheet_names()
            .first()
            .cloned()
            .ok_or_else(|| IngestError::Xlsx("workbook has no sheets".into()))?,
    };
    wb.worksheet_range(&name)
        .map_err(|e| IngestError::Xlsx(format!("sheet {name:?}: {e}")))
}

/// Reads and maps every row of a sheet; row 1 is the header.
pub fn read_xlsx<RS: Read + Seek>(
    input: RS,
    mapping: &Mapping,
    hasher: Option<CallerHasher>,
) -> Result<Vec<MappedRow>, IngestError> {
    let range = load(input, mapping.sheet.as_deref())?;
    let mut rows = range.rows();
    let header: Vec<String> = rows
        .next()
        .ok_or(IngestError::Empty)?
        .iter()
        .map(|c| to_cell(c).text())
        .collect();
    let mapper = RowMapper::new(mapping, &header, hasher)?;
    let first_row = u64::from(range.start().map_or(0, |(r, _)| r)) + 1;
    let mut out = Vec::new();
    for (i, row) in rows.enumerate() {
        let line = first_row + 1 + i as u64;
        let cells: Vec<Cell> = row.iter().map(to_cell).collect();
        if cells.iter().all(Cell::is_empty) {
            continue;
        }
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
    let range = load(input, sheet)?;
    let mut rows = range.rows();
    let header = rows
        .next()
        .map(|r| r.iter().map(|c| to_cell(c).text()).collect())
        .unwrap_or_default();
    let body = rows
        .take(n)
        .map(|r| r.iter().map(|c| to_cell(c).text()).collect())
        .collect();
    Ok((header, body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::{MappedRecord, RecordKind};
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

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
        ws.write_string(1, 1, "Ventas").unwrap();
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
}
