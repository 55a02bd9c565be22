//! Operational counts for monitoring (`/metrics`): read from the database at scrape time, so
//! every server of a shared database reports the same totals and keeps no state of its own.

use crate::{Result, Store};

/// Totals an operator graphs: imports (their rate is the import throughput), the job queue
/// and the connection pool of this process.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpsCounts {
    /// Committed import batches, over every programme.
    pub batches: i64,
    /// Records imported by them.
    pub imported: i64,
    /// Lines read by them.
    pub lines_read: i64,
    /// Jobs per status (`queued`, `running`, `done`, `failed`).
    pub jobs: Vec<(String, i64)>,
    /// Open connections of this process's pool, idle ones among them, and the bound.
    pub pool_size: u32,
    pub pool_idle: u32,
    pub pool_max: u32,
}

impl Store {
    /// The operational counts (three small aggregate queries).
    pub async fn ops_counts(&self) -> Result<OpsCounts> {
        let (batches, imported, lines_read): (i64, i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(SUM(imported), 0) AS BIGINT), CAST(COALESCE(SUM(lines_read), 0) AS BIGINT) FROM import_batches",
        )
        .fetch_one(self.pool())
        .await?;
        let jobs: Vec<(String, i64)> =
            sqlx::query_as("SELECT status, COUNT(*) FROM jobs GROUP BY status ORDER BY status")
                .fetch_all(self.pool())
                .await?;
        Ok(OpsCounts {
            batches,
            imported,
            lines_read,
            jobs,
            pool_size: self.pool().size(),
            pool_idle: self.pool().num_idle() as u32,
            pool_max: self.pool().options().get_max_connections(),
        })
    }
}
