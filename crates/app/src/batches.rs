//! Reading a programme's import batches and their data-quality reports.

use crate::model::{Batch, IssueRow, Programme};
use crate::{App, Error, Result};

impl App {
    /// The programme's committed batches, newest first (`p` comes from an access check).
    pub async fn import_batches(&self, p: &Programme) -> Result<Vec<Batch>> {
        Ok(self.store.import_batches(p.id).await?)
    }

    /// One batch of the programme; a batch of another programme is not found.
    pub async fn import_batch(&self, p: &Programme, id: i64) -> Result<Batch> {
        let b = self.store.import_batch(id).await?;
        if b.programme_id != p.id {
            return Err(Error::NotFound);
        }
        Ok(b)
    }

    /// A page of a batch's data-quality report, in line order.
    pub async fn import_issues(&self, b: &Batch, offset: i64, limit: i64) -> Result<Vec<IssueRow>> {
        Ok(self.store.import_issues(b.id, offset, limit).await?)
    }
}
