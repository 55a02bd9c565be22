//! KPIs straight from a standard call CSV, with no database (`rumbo kpi file`): the
//! multi-threaded reader of `rumbo-ingest`, behind the use-case layer like every other input.

use std::path::Path;

use rumbo_kpi::{Bucketer, KpiDefinition};

pub use rumbo_ingest::kpi_file::FileKpis;
pub use rumbo_ingest::Issue;

use crate::{Error, Result};

/// Aggregates the calls of `path` under `def` into `bucketer`'s intervals on `threads` threads.
/// A file that cannot be read is an internal error with its cause; bad lines are issues.
pub fn kpis_of_file(
    path: &Path,
    def: &KpiDefinition,
    bucketer: &Bucketer,
    threads: usize,
) -> Result<FileKpis> {
    rumbo_ingest::kpi_file::aggregate_file(path, def, bucketer, threads).map_err(Error::internal)
}
