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
    Ok((header, rows))
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
