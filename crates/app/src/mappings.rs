//! Column mappings for vendor exports: previewing a sample, checking a mapping against the
//! sample's header, and keeping named mappings per programme.

use rumbo_domain::Invalid;
use rumbo_ingest::mapping::{preview_csv, RowMapper};
pub use rumbo_ingest::mapping::{Mapping, RecordKind};
use rumbo_store::imports::SavedMapping;

use crate::model::Programme;
use crate::{App, Error, Principal, Result};

/// The record kinds a mapping can describe, with their wire names.
pub const KINDS: [(RecordKind, &str); 4] = [
    (RecordKind::Calls, "calls"),
    (RecordKind::Quality, "quality"),
    (RecordKind::Survey, "survey"),
    (RecordKind::Sales, "sales"),
];

/// The kind named `s` (`calls`, `quality`, `survey`, `sales`).
pub fn kind_of(s: &str) -> Option<RecordKind> {
    KINDS.iter().find(|(_, v)| *v == s).map(|(k, _)| *k)
}

/// The wire name of a kind.
pub fn kind_name(k: RecordKind) -> &'static str {
    KINDS
        .iter()
        .find(|(x, _)| *x == k)
        .map(|(_, v)| *v)
        .unwrap_or("calls")
}

/// The longest mapping name.
pub const MAX_NAME_CHARS: usize = 60;

/// A stored mapping, parsed.
#[derive(Debug, Clone)]
pub struct NamedMapping {
    pub name: String,
    pub kind: String,
    pub mapping: Mapping,
}

/// The header and first `rows` rows of a sample (whole lines only), or an `Invalid` on `file`.
pub fn preview_sample(
    sample: &[u8],
    delimiter: Option<char>,
    rows: usize,
) -> Result<(Vec<String>, Vec<Vec<String>>)> {
    let (header, rows) = preview_csv(sample, delimiter, rows)
        .map_err(|_| Error::invalid("file", "error.mapping.sample"))?;
    if header.is_empty() || header.iter().all(|h| h.trim().is_empty()) {
        return Err(Error::invalid("file", "error.mapping.sample"));
    }
    let rows = rows
        .into_iter()
        .map(|row| {
            row.into_iter()
                .enumerate()
                .map(|(i, cell)| mask_cell(header.get(i).map_or("", String::as_str), &cell))
                .collect()
        })
        .collect();
    Ok((header, rows))
}

/// Header words of columns that hold callers' or customers' identity (numbers, names, RUT,
/// e-mail), in Spanish and English, compared without case.
const PERSONAL_COLUMNS: [&str; 20] = [
    "caller",
    "ani",
    "clid",
    "callerid",
    "phone",
    "fono",
    "telefono",
    "teléfono",
    "numero",
    "número",
    "msisdn",
    "cliente",
    "customer",
    "nombre",
    "name",
    "rut",
    "mail",
    "email",
    "correo",
    "src",
];

/// A sample cell as the preview shows it: a value that looks like a phone number (anywhere)
/// keeps at most its last four digits, and any value in a column whose header names a
/// caller's or customer's identity keeps only its first character. Other cells (times,
/// queues, outcomes, agents) are shown as they are, since the mapping is built from them.
fn mask_cell(header: &str, cell: &str) -> String {
    let h = header.to_lowercase();
    let words: Vec<&str> = h.split(|c: char| !c.is_alphanumeric()).collect();
    let personal = PERSONAL_COLUMNS.iter().any(|w| words.contains(w))
        && !words.iter().any(|w| w.starts_with("agent"));
    if looks_like_phone(cell) || (personal && cell.chars().any(|c| c.is_ascii_digit())) {
        return rumbo_ingest::privacy::mask(cell).unwrap_or_else(|| "***".into());
    }
    if personal && !cell.trim().is_empty() {
        let first: String = cell.trim().chars().take(1).collect();
        return format!("{first}***");
    }
    cell.to_string()
}

/// `text` with every phone number in it masked (an issue's detail quotes the cell it could
/// not read, which may be a caller number in a mis-mapped column): runs of digits, spaces,
/// `+`, `-`, `(`, `)` and `.` that look like a phone number keep at most their last four digits.
pub fn mask_numbers_in(text: &str) -> String {
    let is_part = |c: char| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '(' | ')' | '.');
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(|c: char| c.is_ascii_digit() || c == '+') {
        out.push_str(&rest[..start]);
        let run_len = rest[start..]
            .find(|c: char| !is_part(c))
            .unwrap_or(rest.len() - start);
        let run = &rest[start..start + run_len];
        let trimmed = run.trim_end_matches(|c: char| !c.is_ascii_digit());
        if looks_like_phone(trimmed) {
            out.push_str(&rumbo_ingest::privacy::mask(trimmed).unwrap_or_default());
            out.push_str(&run[trimmed.len()..]);
        } else {
            out.push_str(run);
        }
        rest = &rest[start + run_len..];
    }
    out.push_str(rest);
    out
}

/// A caller id (`"Name" <number>`), a number written with `+`, or a Chilean number
/// (9 digits starting with 2 to 9, optionally after 56): times and counters do not match.
fn looks_like_phone(cell: &str) -> bool {
    let t = cell.trim();
    if t.contains('<') && t.contains('>') {
        return t.chars().filter(char::is_ascii_digit).count() >= 3;
    }
    let compact: String = t
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.'))
        .collect();
    let (plus, digits) = match compact.strip_prefix('+') {
        Some(d) => (true, d),
        None => (false, compact.as_str()),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return false;
    }
    let national = digits
        .strip_prefix("56")
        .filter(|d| d.len() == 9)
        .unwrap_or(digits);
    plus && digits.len() >= 7
        || national.len() == 9 && !national.starts_with(['0', '1']) && !t.contains('.')
}

/// Does the mapping fit a file with this header (every named column present, time zone known)?
pub fn check_mapping(m: &Mapping, header: &[String]) -> Result<(), Invalid> {
    if let Some(z) = &m.timezone {
        if jiff::tz::TimeZone::get(z).is_err() {
            return Err(Invalid::new("timezone", "error.programme.time_zone"));
        }
    }
    RowMapper::new(m, header, None)
        .map_err(|_| Invalid::new("columns", "error.mapping.columns"))?;
    Ok(())
}

/// A mapping name: not empty, at most [`MAX_NAME_CHARS`] characters.
pub fn check_name(name: &str) -> Result<&str, Invalid> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        Err(Invalid::new("name", "error.mapping.name"))
    } else {
        Ok(name)
    }
}

impl App {
    /// The programme's saved mappings (`p` comes from an access check).
    pub async fn mappings(&self, p: &Programme) -> Result<Vec<NamedMapping>> {
        let saved = self.store.mappings(p.id).await?;
        saved
            .into_iter()
            .map(|m| {
                let mapping = serde_json::from_str(&m.mapping_json).map_err(Error::internal)?;
                Ok(NamedMapping {
                    name: m.name,
                    kind: m.kind,
                    mapping,
                })
            })
            .collect()
    }

    /// Saves (or replaces) a named mapping after checking it against the sample's header.
    pub async fn save_mapping(
        &self,
        who: &Principal,
        p: &Programme,
        name: &str,
        m: &Mapping,
        header: &[String],
    ) -> Result<()> {
        let name = check_name(name)?;
        check_mapping(m, header)?;
        let json = serde_json::to_string(m).map_err(Error::internal)?;
        self.store
            .save_mapping(
                &who.actor(),
                Some(p.id),
                &SavedMapping {
                    name: name.into(),
                    kind: kind_name(m.kind).into(),
                    mapping_json: json,
                },
            )
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod preview_tests {
    use super::*;

    #[test]
    fn numbers_quoted_in_an_issue_detail_are_masked_but_dates_and_epochs_are_not() {
        assert_eq!(
            mask_numbers_in("start: date \"+56 9 8765 4321\" does not match \"%d/%m/%Y\""),
            "start: date \"***** 4321\" does not match \"%d/%m/%Y\""
        );
        assert_eq!(
            mask_numbers_in("wait: bad duration \"987654321\""),
            "wait: bad duration \"***** 4321\""
        );
        for kept in [
            "date \"2026-03-02 10:00\" does not match",
            "bad duration \"1772445600\"",
            "score: \"12\" is not an answer 0..10",
        ] {
            assert_eq!(mask_numbers_in(kept), kept);
        }
    }

    #[test]
    fn the_preview_hides_caller_numbers_and_names_but_keeps_times_and_queues() {
        let sample = "Fecha,Cola,ANI,Nombre Cliente,Agente,Segundos,Epoch\n\
            2026-03-02 10:00:00,ventas,+56 9 8765 4321,Ana Pérez,Luis,120,1772445600\n\
            2026-03-02 10:05:00,ventas,987650001,Juan Soto,Luis,95,1772445900\n\
            2026-03-02 10:06:00,soporte,\"\"\"Ana\"\" <+56987654321>\",,Marta,30,1772445960\n";
        let (header, rows) = preview_sample(sample.as_bytes(), None, 10).unwrap();
        assert_eq!(header[2], "ANI");
        assert_eq!(rows[0][2], "***** 4321");
        assert_eq!(rows[0][3], "A***");
        assert_eq!(rows[1][2], "***** 0001");
        assert_eq!(rows[1][3], "J***");
        assert_eq!(rows[2][2], "***** 4321");
        assert_eq!(rows[2][3], "");
        // What the mapping is built from stays readable.
        assert_eq!(rows[0][0], "2026-03-02 10:00:00");
        assert_eq!(rows[0][1], "ventas");
        assert_eq!(rows[0][4], "Luis");
        assert_eq!(rows[0][5], "120");
        assert_eq!(rows[0][6], "1772445600");
        let shown = format!("{rows:?}");
        for secret in ["8765", "Pérez", "Soto", "98765"] {
            assert!(!shown.contains(secret), "{secret} shown in {shown}");
        }
    }
}
