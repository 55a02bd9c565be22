//! The engine end to end: a document rendered to PDF (read back with poppler's `pdftotext` and
//! rasterised with `pdftoppm`), XLSX (its sheet XML read back) and CSV, in both languages.

use std::io::Read;
use std::process::Command;

use jiff::civil::date;

use super::*;

/// Is a poppler tool installed? Outside CI its absence skips the check with a message; in CI
/// (`CI` set) it is a failure, since `.ci/run` installs poppler-utils.
pub(crate) fn poppler(tool: &str) -> bool {
    let found = Command::new(tool).arg("-v").output().is_ok();
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "{tool} (poppler-utils) is required in CI"
        );
        eprintln!("skipping the {tool} check: poppler-utils is not installed");
    }
    found
}

/// The text `pdftotext -layout` reads from `pdf`, and whether `pdftoppm` rasterises every page.
pub(crate) fn pdf_text(pdf: &[u8]) -> Option<String> {
    if !poppler("pdftotext") {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pdftotext: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "pdftotext complained: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    if poppler("pdftoppm") {
        let png = Command::new("pdftoppm")
            .args(["-r", "20", "-png"])
            .arg(&path)
            .arg(dir.path().join("page"))
            .output()
            .unwrap();
        assert!(
            png.status.success(),
            "pdftoppm: {}",
            String::from_utf8_lossy(&png.stderr)
        );
        assert!(
            png.stderr.is_empty(),
            "pdftoppm complained: {}",
            String::from_utf8_lossy(&png.stderr)
        );
        let pages = std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with("page")
            })
            .count();
        assert!(pages >= 1);
    }
    Some(String::from_utf8(out.stdout).unwrap())
}

/// Every file of an XLSX package, by name.
pub(crate) fn xlsx_parts(xlsx: &[u8]) -> std::collections::BTreeMap<String, String> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).unwrap();
    let mut out = std::collections::BTreeMap::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let mut s = String::new();
        if f.read_to_string(&mut s).is_ok() {
            out.insert(f.name().to_string(), s);
        }
    }
    out
}

/// The raw `<v>` of cell `r` (e.g. `B7`) in a sheet's XML and whether it is typed as a number
/// (no `t="s"`/`t="str"` attribute).
pub(crate) fn xlsx_cell(sheet: &str, r: &str) -> Option<(String, bool)> {
    let start = sheet.find(&format!("<c r=\"{r}\""))?;
    let rest = &sheet[start..];
    let tag_end = rest.find('>')?;
    let tag = &rest[..tag_end];
    let numeric = !tag.contains(" t=\"");
    let v_start = rest.find("<v>")? + 3;
    let v_end = rest.find("</v>")?;
    Some((rest[v_start..v_end].to_string(), numeric))
}

fn sample(lang: Lang) -> Document {
    let rows = (0..180)
        .map(|i| {
            vec![
                Cell::DateTime(date(2026, 3, 2).at(8, 0, 0, 0) + jiff::Span::new().minutes(15 * i)),
                Cell::Int(1000 + i),
                Cell::percent(0.5 + f64::from(i as u8 % 50) / 100.0, 1),
                Cell::text(if i % 7 == 0 {
                    "Atención con una observación extraordinariamente larga sobre la configuración"
                } else {
                    "Sin novedad"
                }),
            ]
        })
        .collect();
    let svg = rumbo_charts::line_chart(&rumbo_charts::LineChart {
        frame: rumbo_charts::Frame {
            title: "Nivel de servicio por día".into(),
            y_label: "%".into(),
            ..rumbo_charts::Frame::default()
        },
        series: vec![rumbo_charts::Series {
            name: "Cola Ventas".into(),
            points: vec![(0.0, 80.0), (1.0, 90.0), (2.0, 85.0)],
        }],
        ..rumbo_charts::LineChart::default()
    });
    Document {
        lang,
        organisation: "Contacto Sur SpA".into(),
        logo: None,
        title: "Informe de KPI · Campaña Ñuñoa".into(),
        subtitle: "Programa P1 · Período 02-03-2026 – 04-03-2026".into(),
        chrome: Chrome {
            page_of: "Página {page} de {pages}".into(),
            generated: "Generado el 05-03-2026 10:00".into(),
            figures_sheet: "Resumen".into(),
            figure_label: "Indicador".into(),
            figure_value: "Valor".into(),
        },
        sections: vec![
            Section {
                heading: "Resumen".into(),
                blocks: vec![
                    Block::Paragraph(
                        "Las comunicaciones correspondientes al período muestran una recuperación sostenida del nivel de servicio, con excepciones puntuales en la mañana del miércoles."
                            .into(),
                    ),
                    Block::Figures(vec![
                        Figure {
                            label: "Ofrecidas".into(),
                            value: Cell::Int(1_234_567),
                            note: String::new(),
                        },
                        Figure {
                            label: "Nivel de servicio".into(),
                            value: Cell::percent(0.8234, 1),
                            note: "Meta 80,0 % · cumple".into(),
                        },
                        Figure {
                            label: "Costo".into(),
                            value: Cell::Money {
                                minor: 12_500_000,
                                currency: "CLP".into(),
                                exponent: 0,
                            },
                            note: String::new(),
                        },
                    ]),
                ],
            },
            Section {
                heading: "Detalle".into(),
                blocks: vec![
                    Block::Chart(Chart {
                        title: "Nivel de servicio por día".into(),
                        kind: ChartKind::Line,
                        svg,
                        categories: vec!["02-03".into(), "03-03".into(), "04-03".into()],
                        series: vec![ChartSeries {
                            name: "Cola Ventas".into(),
                            values: vec![Some(0.8), Some(0.9), Some(0.85)],
                        }],
                        percent: true,
                    }),
                    Block::Table(Table {
                        title: "Cifras por intervalo".into(),
                        columns: vec![
                            "Intervalo".into(),
                            "Llamadas".into(),
                            "Nivel de servicio".into(),
                            "Observación".into(),
                        ],
                        rows,
                    }),
                ],
            },
        ],
    }
}

#[test]
fn a_pdf_has_real_pages_with_the_header_repeated_and_its_figures_in_the_text() {
    for lang in Lang::ALL {
        let pdf = render(&sample(lang), Format::Pdf).unwrap();
        assert!(pdf.starts_with(b"%PDF-1.7"));
        let pages = String::from_utf8_lossy(&pdf)
            .matches("/Type /Page ")
            .count();
        assert!(pages >= 4, "180 rows break across pages: {pages}");
        let Some(text) = pdf_text(&pdf) else { continue };
        assert!(text.contains("Contacto Sur SpA"), "{text}");
        assert!(text.contains(&format!("Página 1 de {pages}")));
        assert!(text.contains(&format!("Página {pages} de {pages}")));
        // The table's header row is repeated on every page it spans.
        assert!(text.matches("Observación").count() >= 3, "{text}");
        assert!(text.contains("Campaña Ñuñoa"));
        assert!(text.contains("Cola Ventas"), "the chart's legend is text");
        match lang {
            Lang::Es => {
                assert!(text.contains("1.234.567"), "{text}");
                assert!(text.contains("82,3 %"));
                assert!(text.contains("$ 12.500.000"));
                assert!(text.contains("02-03-2026 08:00"));
                assert!(text.contains("1.179"), "the last row is there");
            }
            Lang::En => {
                assert!(text.contains("1,234,567"));
                assert!(text.contains("82.3 %"));
                assert!(text.contains("2026-03-02 08:00"));
            }
        }
    }
}

#[test]
fn a_logo_in_jpeg_or_png_is_drawn_in_every_header() {
    // A 1×1 grey PNG (8-bit greyscale, zlib IDAT).
    let png: Vec<u8> = {
        let mut raw = Vec::new();
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut e, &[0u8, 0x80]).unwrap();
        let idat = e.finish().unwrap();
        raw.extend_from_slice(b"\x89PNG\r\n\x1a\n");
        let chunk = |raw: &mut Vec<u8>, kind: &[u8], data: &[u8]| {
            raw.extend_from_slice(&(data.len() as u32).to_be_bytes());
            raw.extend_from_slice(kind);
            raw.extend_from_slice(data);
            raw.extend_from_slice(&[0, 0, 0, 0]); // CRC, not checked by the PDF
        };
        chunk(&mut raw, b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]);
        chunk(&mut raw, b"IDAT", &idat);
        chunk(&mut raw, b"IEND", &[]);
        raw
    };
    assert!(pdf::logo_supported(&png).is_some());
    assert!(pdf::logo_supported(b"GIF89a").is_none());
    let mut doc = sample(Lang::Es);
    doc.logo = Some(Logo { bytes: png });
    let out = render(&doc, Format::Pdf).unwrap();
    let s = String::from_utf8_lossy(&out);
    assert!(s.contains("/Subtype /Image /Width 1 /Height 1"));
    assert!(pdf_text(&out).is_none_or(|t| t.contains("Contacto Sur SpA")));
}

#[test]
fn xlsx_keeps_numbers_as_numbers_dates_as_dates_and_charts_native() {
    for lang in Lang::ALL {
        let xlsx = render(&sample(lang), Format::Xlsx).unwrap();
        let parts = xlsx_parts(&xlsx);
        let summary = &parts["xl/worksheets/sheet1.xml"];
        let (v, numeric) = xlsx_cell(summary, "B8").expect("the first key figure");
        assert_eq!((v.as_str(), numeric), ("1234567", true));
        let (v, numeric) = xlsx_cell(summary, "B9").unwrap();
        assert_eq!((v.as_str(), numeric), ("0.8234", true));
        // The chart gets its own sheet with its data and a native chart; the table the next.
        assert!(parts.contains_key("xl/charts/chart1.xml"));
        let table = &parts["xl/worksheets/sheet3.xml"];
        let (v, numeric) = xlsx_cell(table, "A2").unwrap();
        // 2026-03-02 08:00 as an Excel serial date.
        assert!(numeric);
        assert!(
            (v.parse::<f64>().unwrap() - 46083.333333).abs() < 1e-4,
            "{v}"
        );
        let (v, numeric) = xlsx_cell(table, "B181").unwrap();
        assert_eq!((v.as_str(), numeric), ("1179", true));
        let styles = &parts["xl/styles.xml"];
        let date_format = match lang {
            Lang::Es => "dd-mm-yyyy hh:mm",
            Lang::En => "yyyy-mm-dd hh:mm",
        };
        assert!(styles.contains(date_format), "{styles}");
    }
}

#[test]
fn csv_is_utf8_with_lf_line_ends_and_plain_numbers() {
    let csv = String::from_utf8(render(&sample(Lang::Es), Format::Csv).unwrap()).unwrap();
    assert!(!csv.contains('\r'));
    assert!(csv.contains("Ofrecidas,1234567\n"), "{csv}");
    assert!(csv.contains("Nivel de servicio,82.3\n"));
    assert!(csv.contains("Costo,12500000\n"));
    assert!(csv.contains("Intervalo,Llamadas,Nivel de servicio,Observación\n"));
    assert!(
        csv.contains("2026-03-02 08:00,1000,50.0,Atención con"),
        "{csv}"
    );
    assert!(csv.contains("Cola Ventas"));
}
