//! The single error type of `rumbo-ingest`.
//!
//! Errors are for conditions that stop a whole file (unreadable input, a mapping
//! that names a missing column). A bad *line* is never an error: it becomes an
//! [`crate::Issue`] with its line number and the import goes on.

/// Errors that stop parsing a file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IngestError {
    /// Reading the input failed.
    #[error("read error: {0}")]
    Io(#[from] std::io::Error),
    /// The header does not contain a required column.
    #[error("missing column {0:?}")]
    MissingColumn(String),
    /// The column mapping is inconsistent (unknown field, bad time zone, ...).
    #[error("invalid mapping: {0}")]
    Mapping(String),
    /// The spreadsheet could not be opened or has no such sheet.
    #[error("spreadsheet error: {0}")]
    Xlsx(String),
    /// The spreadsheet passes a bound of what is read safely (cells, rows, decompressed
    /// size, the length of one XML token).
    #[error("spreadsheet past a limit: {0}")]
    XlsxLimit(String),
    /// The file is empty (no header line).
    #[error("empty input")]
    Empty,
}
