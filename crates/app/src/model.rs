//! The records the use cases return, as the store reads them. Callers (the server, the CLI)
//! name them through this module and never depend on the store crate.

pub use rumbo_ingest::issue::{IssueKind, Severity};
pub use rumbo_store::audit::{Actor, AuditEntry};
pub use rumbo_store::clients::{Client, Product};
pub use rumbo_store::imports::{Batch, IssueRow, IssueTotal};
pub use rumbo_store::jobs::{JobFile, JobStatus};
pub use rumbo_store::plan::{PlanItem, PlanVersion};
pub use rumbo_store::programmes::{Programme, ProgrammeFor};
pub use rumbo_store::users::{Person, Session, User};
