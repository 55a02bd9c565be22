//! CSV rendering: UTF-8, LF line ends, comma separated, fields quoted when needed; values in
//! plain machine form ([`super::text::machine`]) so a spreadsheet or a script reads them the
//! same in any locale. A document becomes consecutive blocks separated by an empty line: the
//! key figures of each section as label/value rows, then each table with its title line and
//! header row, then each chart's data.

use super::text::machine;
use super::{Block, Cell, Document};

fn field(out: &mut String, s: &str) {
    if s.contains([',', '"', '\n', '\r']) || s.starts_with(' ') || s.ends_with(' ') {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(s);
    }
}

fn row<'a>(out: &mut String, cells: impl IntoIterator<Item = &'a str>) {
    for (i, c) in cells.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        field(out, c);
    }
    out.push('\n');
}

/// Renders the document as CSV text.
pub fn render(doc: &Document) -> Vec<u8> {
    let mut out = String::new();
    row(&mut out, [doc.title.as_str()]);
    if !doc.subtitle.is_empty() {
        row(&mut out, [doc.subtitle.as_str()]);
    }
    for s in &doc.sections {
        let figures: Vec<_> = s
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Figures(f) => Some(f),
                _ => None,
            })
            .flatten()
            .collect();
        if !figures.is_empty() {
            out.push('\n');
            row(&mut out, [s.heading.as_str()]);
            row(
                &mut out,
                [
                    doc.chrome.figure_label.as_str(),
                    doc.chrome.figure_value.as_str(),
                ],
            );
            for f in figures {
                let v = machine(&f.value);
                row(&mut out, [f.label.as_str(), v.as_str()]);
            }
        }
        for b in &s.blocks {
            match b {
                Block::Table(t) => {
                    out.push('\n');
                    row(&mut out, [t.title.as_str()]);
                    row(&mut out, t.columns.iter().map(String::as_str));
                    for r in &t.rows {
                        let v: Vec<String> = r.iter().map(machine).collect();
                        row(&mut out, v.iter().map(String::as_str));
                    }
                }
                Block::Chart(c) => {
                    out.push('\n');
                    row(&mut out, [c.title.as_str()]);
                    let mut header = vec![String::new()];
                    header.extend(c.series.iter().map(|s| s.name.clone()));
                    row(&mut out, header.iter().map(String::as_str));
                    for (i, cat) in c.categories.iter().enumerate() {
                        let mut v = vec![cat.clone()];
                        for s in &c.series {
                            let cell = match s.values.get(i).copied().flatten() {
                                Some(x) if c.percent => Cell::percent(x, 2),
                                Some(x) => Cell::num(x, 2),
                                None => Cell::Empty,
                            };
                            v.push(machine(&cell));
                        }
                        row(&mut out, v.iter().map(String::as_str));
                    }
                }
                Block::Paragraph(_) | Block::Figures(_) => {}
            }
        }
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_with_separators_or_quotes_are_quoted() {
        let mut s = String::new();
        row(&mut s, ["a,b", "say \"hi\"", "plain", "línea\nnueva"]);
        assert_eq!(s, "\"a,b\",\"say \"\"hi\"\"\",plain,\"línea\nnueva\"\n");
    }
}
