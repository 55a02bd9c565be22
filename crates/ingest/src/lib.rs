//! rumbo-ingest: call-platform data in, standard records and data-quality issues out.
//!
//! The layout of a file is recognised by its content ([`detect`]). Streaming parsers
//! (constant memory except where the format forbids it, XLSX) for Asterisk `queue_log`
//! ([`queue_log`], and its table dumps: [`queue_log_table`]), Asterisk CDR CSV ([`cdr`]),
//! VICIdial call logs ([`vicidial`]), the
//! standard call CSV ([`std_calls`], the fast path of `rumbo kpi file`) and
//! vendor CSV/XLSX exports of calls, QA evaluations, surveys and sales through a
//! saved column [`mapping::Mapping`]. Every bad or suspicious line becomes an
//! [`Issue`] with its line number; nothing is dropped silently and no input can
//! make a parser panic (see the proptest fuzz tests). Caller numbers leave this
//! crate only as keyed hash plus masked form ([`privacy`]).

pub mod cdr;
pub mod detect;
mod error;
pub mod hostile;
pub mod issue;
pub mod kpi_file;
pub mod mapping;
pub mod numparse;
pub mod occupancy;
pub mod plausible;
pub mod privacy;
pub mod queue_log;
pub mod queue_log_table;
pub mod report;
pub mod std_calls;
pub mod values;
pub mod vicidial;
pub mod xlsx;

pub use error::IngestError;
pub use issue::{Issue, IssueKind, Severity};
pub use privacy::{CallerHasher, ProtectedCaller};
