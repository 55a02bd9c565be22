//! The single error type of `rumbo-kpi`.
//!
//! Every fallible operation of the crate (building a definition, looking one up,
//! interval arithmetic with a time zone) reports through [`KpiError`].

/// Errors raised by the KPI engine.
#[derive(Debug, thiserror::Error, PartialEq)]
#[non_exhaustive]
pub enum KpiError {
    /// A definition parameter is out of range (negative threshold, empty name, ...).
    #[error("invalid KPI definition: {0}")]
    InvalidDefinition(String),
    /// A definition with this name and version already exists with different content.
    #[error("KPI definition {name} v{version} already exists with different content")]
    VersionConflict { name: String, version: u32 },
    /// No definition with this name (and version) is registered.
    #[error("unknown KPI definition {0}")]
    UnknownDefinition(String),
    /// An interval size that Rumbo does not aggregate by.
    #[error("unknown interval {0:?} (use 15m, 30m, 1h, day, week or month)")]
    UnknownGranularity(String),
    /// A timestamp outside the range the time-zone database can handle.
    #[error("timestamp {0} out of range")]
    TimestampOutOfRange(i64),
    /// A time-zone name that the bundled database does not know.
    #[error("unknown time zone {0:?}")]
    UnknownTimeZone(String),
}
