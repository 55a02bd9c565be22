//! Operational figures for monitoring (the server's `/metrics`): import totals and the job
//! queue from the database, this process's pool and result cache.

pub use rumbo_store::ops::OpsCounts;

use crate::{App, Result};

/// Hits and misses of this process's result cache, and its entries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    pub entries: usize,
    pub hits: u64,
    pub misses: u64,
}

impl App {
    /// Import totals, jobs per status and the pool (no access check: the caller guards the
    /// endpoint with its own token; nothing here names a programme or a person).
    pub async fn ops_counts(&self) -> Result<OpsCounts> {
        Ok(self.store.ops_counts().await?)
    }

    /// The result cache's counters.
    pub fn cache_stats(&self) -> CacheStats {
        let (entries, hits, misses) = self.cache.stats();
        CacheStats {
            entries,
            hits,
            misses,
        }
    }
}
