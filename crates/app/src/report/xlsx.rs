//! XLSX rendering with `rust_xlsxwriter`: numbers are written as numbers and dates as dates
//! (with a number format for the language), each table gets its own sheet with a frozen
//! header row, key figures go to a first summary sheet, and each chart becomes a native Excel
//! chart over its data written beside it.

use std::collections::HashSet;

use rust_xlsxwriter::{
    Chart as XlChart, ChartType, ExcelDateTime, Format as XlFormat, Workbook, Worksheet, XlsxError,
};

use super::{Block, Cell, Chart, ChartKind, Document, Lang, RenderError, Table};

fn err(e: XlsxError) -> RenderError {
    RenderError::Xlsx(e.to_string())
}

/// Excel forbids `[]:*?/\` in sheet names and allows 31 characters; names must be unique.
fn sheet_name(wanted: &str, used: &mut HashSet<String>) -> String {
    let clean: String = wanted
        .chars()
        .filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\'))
        .collect();
    let clean = clean.trim().trim_matches('\'');
    let base: String = if clean.is_empty() {
        "Sheet".into()
    } else {
        clean.chars().take(31).collect()
    };
    let mut name = base.clone();
    let mut n = 2;
    while !used.insert(name.to_lowercase()) {
        let suffix = format!(" ({n})");
        name = base.chars().take(31 - suffix.len()).collect::<String>() + &suffix;
        n += 1;
    }
    name
}

struct Formats {
    bold: XlFormat,
    title: XlFormat,
    int: XlFormat,
    nums: [XlFormat; 5],
    pcts: [XlFormat; 5],
    date: XlFormat,
    datetime: XlFormat,
}

impl Formats {
    fn new(lang: Lang) -> Formats {
        let dec = |d: usize| {
            if d == 0 {
                "#,##0".to_string()
            } else {
                format!("#,##0.{}", "0".repeat(d))
            }
        };
        let pct = |d: usize| {
            if d == 0 {
                "0%".to_string()
            } else {
                format!("0.{}%", "0".repeat(d))
            }
        };
        let (date, datetime) = match lang {
            Lang::Es => ("dd-mm-yyyy", "dd-mm-yyyy hh:mm"),
            Lang::En => ("yyyy-mm-dd", "yyyy-mm-dd hh:mm"),
        };
        Formats {
            bold: XlFormat::new().set_bold(),
            title: XlFormat::new().set_bold().set_font_size(14),
            int: XlFormat::new().set_num_format("#,##0"),
            nums: std::array::from_fn(|d| XlFormat::new().set_num_format(dec(d))),
            pcts: std::array::from_fn(|d| XlFormat::new().set_num_format(pct(d))),
            date: XlFormat::new().set_num_format(date),
            datetime: XlFormat::new().set_num_format(datetime),
        }
    }
}

fn write_cell(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    cell: &Cell,
    f: &Formats,
) -> Result<(), XlsxError> {
    match cell {
        Cell::Empty => {}
        Cell::Text(s) => {
            ws.write_string(row, col, s)?;
        }
        Cell::Int(v) => {
            ws.write_number_with_format(row, col, *v as f64, &f.int)?;
        }
        Cell::Num { value, decimals } => {
            let fmt = &f.nums[usize::from(*decimals).min(4)];
            ws.write_number_with_format(row, col, *value, fmt)?;
        }
        Cell::Percent { value, decimals } => {
            let fmt = &f.pcts[usize::from(*decimals).min(4)];
            ws.write_number_with_format(row, col, *value, fmt)?;
        }
        Cell::Money {
            minor,
            currency,
            exponent,
        } => {
            let scale = 10f64.powi(i32::from(*exponent));
            let pattern = if *exponent == 0 {
                "#,##0".to_string()
            } else {
                format!("#,##0.{}", "0".repeat(usize::from(*exponent)))
            };
            let symbol = if currency == "CLP" { "$" } else { currency };
            let fmt = XlFormat::new().set_num_format(format!("\"{symbol}\" {pattern}"));
            ws.write_number_with_format(row, col, *minor as f64 / scale, &fmt)?;
        }
        Cell::Date(d) => {
            let dt = ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)?;
            ws.write_datetime_with_format(row, col, &dt, &f.date)?;
        }
        Cell::DateTime(t) => {
            let dt = ExcelDateTime::from_ymd(t.year() as u16, t.month() as u8, t.day() as u8)?
                .and_hms(t.hour() as u16, t.minute() as u8, t.second() as u8)?;
            ws.write_datetime_with_format(row, col, &dt, &f.datetime)?;
        }
    }
    Ok(())
}

fn table_sheet(wb: &mut Workbook, name: &str, t: &Table, f: &Formats) -> Result<(), XlsxError> {
    let ws = wb.add_worksheet();
    ws.set_name(name)?;
    for (c, h) in t.columns.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, h, &f.bold)?;
        let longest = t
            .rows
            .iter()
            .take(200)
            .filter_map(|r| r.get(c))
            .map(|v| super::text::machine(v).chars().count())
            .max()
            .unwrap_or(0)
            .max(h.chars().count().min(30));
        ws.set_column_width(c as u16, (longest as f64 + 2.0).clamp(8.0, 60.0))?;
    }
    ws.set_freeze_panes(1, 0)?;
    for (r, row) in t.rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            write_cell(ws, r as u32 + 1, c as u16, cell, f)?;
        }
    }
    Ok(())
}

fn chart_sheet(wb: &mut Workbook, name: &str, ch: &Chart, f: &Formats) -> Result<(), XlsxError> {
    let ws = wb.add_worksheet();
    ws.set_name(name)?;
    ws.write_string_with_format(0, 0, &ch.title, &f.bold)?;
    for (s, series) in ch.series.iter().enumerate() {
        ws.write_string_with_format(0, s as u16 + 1, &series.name, &f.bold)?;
    }
    ws.set_column_width(0, 18)?;
    let pct = &f.pcts[1];
    let num = &f.nums[1];
    for (i, cat) in ch.categories.iter().enumerate() {
        ws.write_string(i as u32 + 1, 0, cat)?;
        for (s, series) in ch.series.iter().enumerate() {
            if let Some(Some(v)) = series.values.get(i) {
                let fmt = if ch.percent { pct } else { num };
                ws.write_number_with_format(i as u32 + 1, s as u16 + 1, *v, fmt)?;
            }
        }
    }
    if ch.categories.is_empty() || ch.series.is_empty() {
        return Ok(());
    }
    let mut chart = XlChart::new(match ch.kind {
        ChartKind::Line => ChartType::Line,
        ChartKind::Bar => ChartType::Column,
    });
    chart.title().set_name(&ch.title);
    let last = ch.categories.len() as u32;
    for s in 0..ch.series.len() {
        let col = s as u16 + 1;
        chart
            .add_series()
            .set_name((name, 0, col))
            .set_categories((name, 1, 0, last, 0))
            .set_values((name, 1, col, last, col));
    }
    if ch.percent {
        chart.y_axis().set_num_format("0%");
    }
    ws.insert_chart(1, ch.series.len() as u16 + 2, &chart)?;
    Ok(())
}

/// Renders the document as an XLSX workbook.
pub fn render(doc: &Document) -> Result<Vec<u8>, RenderError> {
    let f = Formats::new(doc.lang);
    let mut wb = Workbook::new();
    let mut used = HashSet::new();
    let summary = sheet_name(&doc.chrome.figures_sheet, &mut used);
    {
        let ws = wb.add_worksheet();
        ws.set_name(&summary).map_err(err)?;
        ws.set_column_width(0, 45).map_err(err)?;
        ws.set_column_width(1, 20).map_err(err)?;
        ws.set_column_width(2, 40).map_err(err)?;
        ws.write_string_with_format(0, 0, &doc.title, &f.title)
            .map_err(err)?;
        ws.write_string(1, 0, &doc.subtitle).map_err(err)?;
        ws.write_string(2, 0, &doc.organisation).map_err(err)?;
        ws.write_string(3, 0, &doc.chrome.generated).map_err(err)?;
        let mut row = 5u32;
        for s in &doc.sections {
            let figures: Vec<_> = s
                .blocks
                .iter()
                .filter_map(|b| match b {
                    Block::Figures(f) => Some(f),
                    Block::Paragraph(_) | Block::Table(_) | Block::Chart(_) => None,
                })
                .flatten()
                .collect();
            let paragraphs: Vec<&String> = s
                .blocks
                .iter()
                .filter_map(|b| match b {
                    Block::Paragraph(p) => Some(p),
                    _ => None,
                })
                .collect();
            if figures.is_empty() && paragraphs.is_empty() {
                continue;
            }
            ws.write_string_with_format(row, 0, &s.heading, &f.bold)
                .map_err(err)?;
            row += 1;
            for p in paragraphs {
                ws.write_string(row, 0, p).map_err(err)?;
                row += 1;
            }
            for fig in figures {
                ws.write_string(row, 0, &fig.label).map_err(err)?;
                write_cell(ws, row, 1, &fig.value, &f).map_err(err)?;
                if !fig.note.is_empty() {
                    ws.write_string(row, 2, &fig.note).map_err(err)?;
                }
                row += 1;
            }
            row += 1;
        }
    }
    for s in &doc.sections {
        for b in &s.blocks {
            match b {
                Block::Table(t) => {
                    let name = sheet_name(&t.title, &mut used);
                    table_sheet(&mut wb, &name, t, &f).map_err(err)?;
                }
                Block::Chart(c) => {
                    let name = sheet_name(&c.title, &mut used);
                    chart_sheet(&mut wb, &name, c, &f).map_err(err)?;
                }
                Block::Paragraph(_) | Block::Figures(_) => {}
            }
        }
    }
    wb.save_to_buffer().map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_are_cleaned_shortened_and_unique() {
        let mut used = HashSet::new();
        assert_eq!(
            sheet_name("Detalle: por intervalo [15 min]", &mut used),
            "Detalle por intervalo 15 min"
        );
        assert_eq!(
            sheet_name("Detalle: por intervalo [15 min]", &mut used),
            "Detalle por intervalo 15 mi (2)"
        );
        let long = "x".repeat(40);
        assert_eq!(sheet_name(&long, &mut used).chars().count(), 31);
        assert_eq!(sheet_name("", &mut used), "Sheet");
    }
}
