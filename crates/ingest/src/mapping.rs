//! Column mappings for vendor CSV/XLSX exports (calls, QA, surveys, sales).
//!
//! Commercial ACDs export calls with their own column names, date formats and
//! outcome words. A [`Mapping`] (saved per source, built in the UI from a preview
//! of the first rows) says which source column feeds which Rumbo field; a
//! [`RowMapper`] applies it to rows from CSV ([`MappedCsv`]) or XLSX
//! ([`crate::xlsx`]). Rows become [`MappedRecord`]s or [`Issue`]s with their line.

use std::collections::BTreeMap;
use std::io::Read;

use jiff::tz::TimeZone;
use rumbo_kpi::{CallFacts, CallRecord, Outcome};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::issue::{Issue, IssueKind};
use crate::privacy::CallerHasher;
use crate::values::{duration, timestamp, Cell};
use crate::IngestError;

/// What a mapped file contains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordKind {
    /// Call records.
    Calls,
    /// QA evaluations.
    Quality,
    /// CSAT / NPS survey answers.
    Survey,
    /// Sales results.
    Sales,
}

impl RecordKind {
    /// `(required fields, optional fields)` of this kind.
    pub fn fields(self) -> (&'static [&'static str], &'static [&'static str]) {
        match self {
            RecordKind::Calls => (
                &["start", "queue", "wait", "outcome"],
                &[
                    "call_id",
                    "talk",
                    "hold",
                    "wrap",
                    "agent",
                    "caller",
                    "disposition",
                    "sale",
                ],
            ),
            RecordKind::Quality => (
                &["ts", "agent", "score"],
                &["evaluation_id", "queue", "call_id", "critical_failed"],
            ),
            RecordKind::Survey => (
                &["ts"],
                &["survey_id", "queue", "call_id", "agent", "csat", "nps"],
            ),
            RecordKind::Sales => (
                &["ts"],
                &["sale_id", "queue", "call_id", "agent", "count", "amount"],
            ),
        }
    }
}

/// A saved column mapping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mapping {
    /// What the file contains.
    pub kind: RecordKind,
    /// Rumbo field → source column header (case-insensitive match).
    pub columns: BTreeMap<String, String>,
    /// `strptime` format of date columns; by default epoch seconds or ISO 8601.
    #[serde(default)]
    pub date_format: Option<String>,
    /// IANA time zone of local dates (default UTC).
    #[serde(default)]
    pub timezone: Option<String>,
    /// Outcome values meaning answered (case-insensitive); default `answered`.
    #[serde(default)]
    pub answered_values: Vec<String>,
    /// Outcome values meaning abandoned; default `abandoned`.
    #[serde(default)]
    pub abandoned_values: Vec<String>,
    /// CSV delimiter (default `,`).
    #[serde(default)]
    pub delimiter: Option<char>,
    /// XLSX sheet name (default: first sheet).
    #[serde(default)]
    pub sheet: Option<String>,
}

impl Mapping {
    /// A mapping of the given kind with identity column names (field = column).
    pub fn identity(kind: RecordKind) -> Self {
        let (req, opt) = kind.fields();
        Mapping {
            kind,
            columns: req
                .iter()
                .chain(opt)
                .map(|f| (f.to_string(), f.to_string()))
                .collect(),
            date_format: None,
            timezone: None,
            answered_values: vec![],
            abandoned_values: vec![],
            delimiter: None,
            sheet: None,
        }
    }
}

/// A QA evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct QaRecord {
    /// Natural key (evaluation id or a hash of the row).
    pub key: String,
    /// Evaluation time.
    pub ts: i64,
    /// Evaluated agent.
    pub agent: String,
    /// Queue, if given.
    pub queue: Option<String>,
    /// Evaluated call, if given.
    pub call_id: Option<String>,
    /// Score 0–100 (0 when a critical item failed).
    pub score: f64,
}

/// A survey answer (CSAT and/or NPS).
#[derive(Debug, Clone, PartialEq)]
pub struct SurveyRecord {
    /// Natural key.
    pub key: String,
    /// Answer time.
    pub ts: i64,
    /// Queue, if given.
    pub queue: Option<String>,
    /// Surveyed call, if given.
    pub call_id: Option<String>,
    /// Agent, if given.
    pub agent: Option<String>,
    /// CSAT answer on the definition's scale.
    pub csat: Option<u8>,
    /// NPS answer 0–10.
    pub nps: Option<u8>,
}

/// A sales result.
#[derive(Debug, Clone, PartialEq)]
pub struct SaleRecord {
    /// Natural key.
    pub key: String,
    /// Sale time.
    pub ts: i64,
    /// Queue, if given.
    pub queue: Option<String>,
    /// Call, if given.
    pub call_id: Option<String>,
    /// Agent, if given.
    pub agent: Option<String>,
    /// Number of sales (default 1).
    pub count: u32,
    /// Amount, if given.
    pub amount: Option<f64>,
}

/// A mapped row with its line number, or the issue that rejected it.
pub type MappedRow = Result<(u64, MappedRecord), Issue>;

/// A mapped row.
#[derive(Debug, Clone, PartialEq)]
pub enum MappedRecord {
    /// A call.
    Call(CallRecord),
    /// A QA evaluation.
    Quality(QaRecord),
    /// A survey answer.
    Survey(SurveyRecord),
    /// A sales result.
    Sale(SaleRecord),
}

/// A mapping resolved against a header row.
#[derive(Debug, Clone)]
pub struct RowMapper {
    kind: RecordKind,
    idx: BTreeMap<String, usize>,
    date_format: Option<String>,
    tz: TimeZone,
    answered: Vec<String>,
    abandoned: Vec<String>,
    hasher: Option<CallerHasher>,
}

impl RowMapper {
    /// Resolves the mapping's column names against the header.
    pub fn new(
        mapping: &Mapping,
        header: &[String],
        hasher: Option<CallerHasher>,
    ) -> Result<Self, IngestError> {
        let (req, opt) = mapping.kind.fields();
        for f in mapping.columns.keys() {
            if !req.contains(&f.as_str()) && !opt.contains(&f.as_str()) {
                return Err(IngestError::Mapping(format!(
                    "unknown field {f:?} for {:?}",
                    mapping.kind
                )));
            }
        }
        let norm = |s: &str| s.trim().trim_start_matches('\u{feff}').to_lowercase();
        let mut idx = BTreeMap::new();
        for (field, col) in &mapping.columns {
            match header.iter().position(|h| norm(h) == norm(col)) {
                Some(i) => {
                    idx.insert(field.clone(), i);
                }
                None if req.contains(&field.as_str()) => {
                    return Err(IngestError::MissingColumn(col.clone()))
                }
                None => {}
            }
        }
        for f in req {
            if !idx.contains_key(*f) {
                return Err(IngestError::Mapping(format!(
                    "required field {f:?} is not mapped"
                )));
            }
        }
        let tz = match &mapping.timezone {
            Some(z) => TimeZone::get(z)
                .map_err(|_| IngestError::Mapping(format!("unknown time zone {z:?}")))?,
            None => TimeZone::UTC,
        };
        let lower = |v: &[String], d: &str| -> Vec<String> {
            if v.is_empty() {
                vec![d.to_string()]
            } else {
                v.iter().map(|s| s.trim().to_lowercase()).collect()
            }
        };
        Ok(RowMapper {
            kind: mapping.kind,
            idx,
            date_format: mapping.date_format.clone(),
            tz,
            answered: lower(&mapping.answered_values, "answered"),
            abandoned: lower(&mapping.abandoned_values, "abandoned"),
            hasher,
        })
    }

    fn cell<'a>(&self, row: &'a [Cell], field: &str) -> &'a Cell {
        self.idx
            .get(field)
            .and_then(|&i| row.get(i))
            .unwrap_or(&Cell::Empty)
    }

    fn opt_text(&self, row: &[Cell], field: &str) -> Option<String> {
        let t = self.cell(row, field).text();
        (!t.is_empty()).then_some(t)
    }

    fn row_key(row: &[Cell], prefix: &str) -> String {
        let mut h = Sha256::new();
        for c in row {
            h.update(c.text().as_bytes());
            h.update([0x1f]);
        }
        format!("{prefix}:{}", &hex::encode(h.finalize())[..24])
    }

    fn ts(&self, row: &[Cell], field: &str) -> Result<i64, String> {
        timestamp(self.cell(row, field), self.date_format.as_deref(), &self.tz)
            .map_err(|e| format!("{field}: {e}"))
    }

    fn dur(&self, row: &[Cell], field: &str) -> Result<f64, String> {
        duration(self.cell(row, field)).map_err(|e| format!("{field}: {e}"))
    }

    /// Maps one row.
    pub fn map(&self, row: &[Cell]) -> Result<MappedRecord, String> {
        match self.kind {
            RecordKind::Calls => {
                let queue = self.opt_text(row, "queue").ok_or("queue: empty")?;
                let out_text = self.cell(row, "outcome").text().to_lowercase();
                let outcome = if self.answered.contains(&out_text) {
                    Outcome::Answered
                } else if self.abandoned.contains(&out_text) {
                    Outcome::Abandoned
                } else {
                    return Err(format!(
                        "outcome: {out_text:?} is neither answered nor abandoned per the mapping"
                    ));
                };
                let sale = matches!(
                    self.cell(row, "sale").text().to_lowercase().as_str(),
                    "1" | "true" | "yes" | "y" | "si" | "sí"
                );
                let facts = CallFacts {
                    enter_ts: self.ts(row, "start")?,
                    wait_s: self.dur(row, "wait")?,
                    talk_s: self.dur(row, "talk")?,
                    hold_s: self.dur(row, "hold")?,
                    wrap_s: self.dur(row, "wrap")?,
                    outcome,
                    sale,
                };
                let id = self
                    .opt_text(row, "call_id")
                    .unwrap_or_else(|| Self::row_key(row, "row"));
                let mut rec = CallRecord::new(id, queue, facts);
                rec.agent = self.opt_text(row, "agent");
                rec.disposition = self.opt_text(row, "disposition");
                if let (Some(h), Some(c)) = (&self.hasher, self.opt_text(row, "caller")) {
                    if let Some(p) = h.protect(&c) {
                        rec.caller_hash = Some(p.hash);
                        rec.caller_masked = Some(p.masked);
                    }
                }
                Ok(MappedRecord::Call(rec))
            }
            RecordKind::Quality => {
                let score_text = self.cell(row, "score").text().replace('%', "");
                let mut score: f64 = score_text
                    .trim()
                    .parse()
                    .map_err(|_| format!("score: {score_text:?} is not a number"))?;
                if !(0.0..=100.0).contains(&score) {
                    return Err(format!("score: {score} outside 0..100"));
                }
                if matches!(
                    self.cell(row, "critical_failed")
                        .text()
                        .to_lowercase()
                        .as_str(),
                    "1" | "true" | "yes" | "y" | "si" | "sí"
                ) {
                    score = 0.0;
                }
                Ok(MappedRecord::Quality(QaRecord {
                    key: self
                        .opt_text(row, "evaluation_id")
                        .unwrap_or_else(|| Self::row_key(row, "qa")),
                    ts: self.ts(row, "ts")?,
                    agent: self.opt_text(row, "agent").ok_or("agent: empty")?,
                    queue: self.opt_text(row, "queue"),
                    call_id: self.opt_text(row, "call_id"),
                    score,
                }))
            }
            RecordKind::Survey => {
                let small = |field: &str, max: u8| -> Result<Option<u8>, String> {
                    match self.opt_text(row, field) {
                        None => Ok(None),
                        Some(t) => match t.parse::<u8>() {
                            Ok(v) if v <= max => Ok(Some(v)),
                            _ => Err(format!("{field}: {t:?} is not an answer 0..{max}")),
                        },
                    }
                };
                let csat = small("csat", 10)?;
                let nps = small("nps", 10)?;
                if csat.is_none() && nps.is_none() {
                    return Err("neither csat nor nps answered".into());
                }
                Ok(MappedRecord::Survey(SurveyRecord {
                    key: self
                        .opt_text(row, "survey_id")
                        .unwrap_or_else(|| Self::row_key(row, "survey")),
                    ts: self.ts(row, "ts")?,
                    queue: self.opt_text(row, "queue"),
                    call_id: self.opt_text(row, "call_id"),
                    agent: self.opt_text(row, "agent"),
                    csat,
                    nps,
                }))
            }
            RecordKind::Sales => {
                let count = match self.opt_text(row, "count") {
                    None => 1,
                    Some(t) => t
                        .parse::<u32>()
                        .map_err(|_| format!("count: {t:?} is not a whole number"))?,
                };
                let amount = match self.opt_text(row, "amount") {
                    None => None,
                    Some(t) => Some(
                        t.parse::<f64>()
                            .ok()
                            .filter(|v| v.is_finite())
                            .ok_or_else(|| format!("amount: {t:?}"))?,
                    ),
                };
                Ok(MappedRecord::Sale(SaleRecord {
                    key: self
                        .opt_text(row, "sale_id")
                        .unwrap_or_else(|| Self::row_key(row, "sale")),
                    ts: self.ts(row, "ts")?,
                    queue: self.opt_text(row, "queue"),
                    call_id: self.opt_text(row, "call_id"),
                    agent: self.opt_text(row, "agent"),
                    count,
                    amount,
                }))
            }
        }
    }
}

/// Streaming reader of a mapped CSV: yields `(line, record)` or an issue per row.
pub struct MappedCsv<R: Read> {
    reader: csv::Reader<R>,
    mapper: RowMapper,
    record: csv::ByteRecord,
}

impl<R: Read> MappedCsv<R> {
    /// Opens a CSV with a mapping; reads and resolves the header.
    pub fn new(
        input: R,
        mapping: &Mapping,
        hasher: Option<CallerHasher>,
    ) -> Result<Self, IngestError> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .delimiter(mapping.delimiter.map(|c| c as u8).unwrap_or(b','))
            .from_reader(input);
        let header: Vec<String> = reader
            .byte_headers()
            .map_err(|e| IngestError::Mapping(format!("cannot read header: {e}")))?
            .iter()
            .map(|h| String::from_utf8_lossy(h).into_owned())
            .collect();
        if header.is_empty() || header.iter().all(|h| h.is_empty()) {
            return Err(IngestError::Empty);
        }
        Ok(MappedCsv {
            mapper: RowMapper::new(mapping, &header, hasher)?,
            reader,
            record: csv::ByteRecord::new(),
        })
    }
}

impl<R: Read> Iterator for MappedCsv<R> {
    type Item = Result<(u64, MappedRecord), Issue>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match self.reader.read_byte_record(&mut self.record) {
                Ok(false) => return None,
                Ok(true) => {
                    let line = self.record.position().map_or(0, |p| p.line());
                    if self
                        .record
                        .iter()
                        .all(|f| f.iter().all(u8::is_ascii_whitespace))
                    {
                        continue;
                    }
                    let row: Vec<Cell> = self
                        .record
                        .iter()
                        .map(|f| Cell::Text(String::from_utf8_lossy(f).into_owned()))
                        .collect();
                    return Some(
                        self.mapper
                            .map(&row)
                            .map(|r| (line, r))
                            .map_err(|e| Issue::rejected(line, IssueKind::Unparseable, e)),
                    );
                }
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line());
                    if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                        return Some(Err(Issue::rejected(
                            line,
                            IssueKind::Unparseable,
                            format!("read error: {e}"),
                        )));
                    }
                    return Some(Err(Issue::rejected(
                        line,
                        IssueKind::Unparseable,
                        format!("bad CSV: {e}"),
                    )));
                }
            }
        }
    }
}

/// The header and first `n` rows of a CSV, for building a mapping in the UI.
pub fn preview_csv<R: Read>(
    input: R,
    delimiter: Option<char>,
    n: usize,
) -> Result<(Vec<String>, Vec<Vec<String>>), IngestError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .delimiter(delimiter.map(|c| c as u8).unwrap_or(b','))
        .from_reader(input);
    let header: Vec<String> = reader
        .byte_headers()
        .map_err(|e| IngestError::Mapping(format!("cannot read header: {e}")))?
        .iter()
        .map(|h| String::from_utf8_lossy(h).into_owned())
        .collect();
    let mut rows = Vec::new();
    for rec in reader.byte_records().take(n) {
        match rec {
            Ok(r) => rows.push(
                r.iter()
                    .map(|f| String::from_utf8_lossy(f).into_owned())
                    .collect(),
            ),
            Err(_) => continue,
        }
    }
    Ok((header, rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vendor_mapping() -> Mapping {
        let mut m = Mapping::identity(RecordKind::Calls);
        m.columns = [
            ("call_id", "ID Llamada"),
            ("start", "Fecha"),
            ("queue", "Cola"),
            ("wait", "Espera"),
            ("talk", "Conversación"),
            ("wrap", "ACW"),
            ("outcome", "Estado"),
            ("caller", "ANI"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        m.date_format = Some("%d/%m/%Y %H:%M:%S".into());
        m.timezone = Some("America/Santiago".into());
        m.answered_values = vec!["Atendida".into()];
        m.abandoned_values = vec!["Abandonada".into()];
        m.delimiter = Some(';');
        m
    }

    #[test]
    fn vendor_csv_maps_to_standard_records_and_reports_bad_rows() {
        let data = "ID Llamada;Fecha;Cola;Espera;Conversación;ACW;Estado;ANI\n\
                    a1;01/01/2026 00:00:10;Ventas;00:00:12;00:03:00;30;Atendida;+56987651234\n\
                    a2;01/01/2026 00:01:00;Ventas;40;0;0;Abandonada;\n\
                    a3;31/02/2026 00:01:00;Ventas;40;0;0;Abandonada;\n\
                    a4;01/01/2026 00:02:00;Ventas;4;0;0;Colgada;\n";
        let h = CallerHasher::new(b"k");
        let items: Vec<_> = MappedCsv::new(data.as_bytes(), &vendor_mapping(), Some(h))
            .unwrap()
            .collect();
        assert_eq!(items.len(), 4);
        let Ok((2, MappedRecord::Call(c))) = &items[0] else {
            panic!("{:?}", items[0])
        };
        assert_eq!(c.facts.enter_ts, 1_767_236_410);
        assert_eq!(c.facts.wait_s, 12.0);
        assert_eq!(c.facts.talk_s, 180.0);
        assert_eq!(c.caller_masked.as_deref(), Some("***** 1234"));
        assert!(
            matches!(&items[1], Ok((3, MappedRecord::Call(c))) if c.facts.outcome == Outcome::Abandoned)
        );
        assert!(matches!(&items[2], Err(i) if i.line == 4));
        assert!(matches!(&items[3], Err(i) if i.line == 5 && i.message.contains("colgada")));
    }

    #[test]
    fn a_mapping_naming_a_missing_column_is_refused() {
        let data = "a,b\n1,2\n";
        assert!(matches!(
            MappedCsv::new(data.as_bytes(), &vendor_mapping(), None),
            Err(IngestError::MissingColumn(_))
        ));
    }

    #[test]
    fn rows_without_ids_get_a_stable_content_key() {
        let m = Mapping::identity(RecordKind::Sales);
        let data = "ts,agent,count\n1767225600,ana,2\n1767225600,ana,2\n1767225601,ana,1\n";
        let keys: Vec<String> = MappedCsv::new(data.as_bytes(), &m, None)
            .unwrap()
            .map(|r| match r.unwrap().1 {
                MappedRecord::Sale(s) => s.key,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(keys[0], keys[1]);
        assert_ne!(keys[0], keys[2]);
    }

    #[test]
    fn qa_critical_failure_zeroes_the_score_and_surveys_need_an_answer() {
        let m = Mapping::identity(RecordKind::Quality);
        let data = "ts,agent,score,critical_failed\n1767225600,ana,92,no\n1767225600,ana,92,yes\n1767225600,ana,120,no\n";
        let r: Vec<_> = MappedCsv::new(data.as_bytes(), &m, None).unwrap().collect();
        assert!(matches!(&r[0], Ok((_, MappedRecord::Quality(q))) if q.score == 92.0));
        assert!(matches!(&r[1], Ok((_, MappedRecord::Quality(q))) if q.score == 0.0));
        assert!(r[2].is_err());
        let s = Mapping::identity(RecordKind::Survey);
        let data = "ts,csat,nps\n1767225600,5,\n1767225600,,\n";
        let r: Vec<_> = MappedCsv::new(data.as_bytes(), &s, None).unwrap().collect();
        assert!(
            matches!(&r[0], Ok((_, MappedRecord::Survey(x))) if x.csat == Some(5) && x.nps.is_none())
        );
        assert!(r[1].is_err());
    }
}
