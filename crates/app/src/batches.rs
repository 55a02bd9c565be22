//! Reading a programme's import batches and their data-quality reports, and deleting a batch.
//!
//! Deleting a batch removes everything that came from it: its issues, natural keys, raw
//! records (the batch file under the data folder on SQLite, the rows on PostgreSQL) and
//! aggregates. Figures are computed by merging the stored aggregates of the batches that
//! remain, so they are recomputed by the deletion itself; the deletion is audited.

use crate::model::IssueTotal;
use rumbo_domain::access::Action;
use rumbo_store::Actor;

use crate::access::Principal;
use crate::model::{Batch, IssueRow, Programme};
use crate::{App, Error, Result};

impl App {
    /// The programme's committed batches, newest first (`p` comes from an access check).
    pub async fn import_batches(&self, p: &Programme) -> Result<Vec<Batch>> {
        Ok(self.store.import_batches(p.id).await?)
    }

    /// The first and last record instants (UTC epoch seconds) of the programme's data; `None`
    /// without data (`p` comes from an access check).
    pub async fn data_span(&self, p: &Programme) -> Result<Option<(i64, i64)>> {
        Ok(self.store.data_span(p.id).await?)
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

    /// Every reason's issue total of a batch (the stored report keeps the first lines of each
    /// reason; these are exact).
    pub async fn import_issue_totals(&self, b: &Batch) -> Result<Vec<IssueTotal>> {
        Ok(self.store.import_issue_totals(b.id).await?)
    }

    /// Deletes batch `id` of programme `code` for whoever may import into it (update the
    /// programme); see the module documentation. Returns the deleted batch.
    pub async fn delete_import_batch(&self, who: &Principal, code: &str, id: i64) -> Result<Batch> {
        let p = self
            .programme_for(who, code, Action::Operate)
            .await?
            .programme;
        self.delete_batch_of(&p, id, &who.actor()).await
    }

    /// Deletes batch `id` of programme `code` as the operator at the console (audited as
    /// `cli`).
    pub async fn delete_import_batch_as_operator(&self, code: &str, id: i64) -> Result<Batch> {
        let p = self.programme_for_operator(code).await?;
        self.delete_batch_of(&p, id, &Actor::system("cli")).await
    }

    async fn delete_batch_of(&self, p: &Programme, id: i64, actor: &Actor) -> Result<Batch> {
        self.import_batch(p, id).await?;
        let b = self.store.delete_import_batch(actor, id).await?;
        // The batch file of its raw records (SQLite) goes once the rows that name it are gone;
        // if removing it fails, it is an orphan that a later import deletes.
        for rel in [&b.data_path, &b.keys_path].into_iter().flatten() {
            let path = self.settings.data_dir.join(rel);
            if let Err(e) = std::fs::remove_file(&path) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!(error = %e, path = %path.display(), "raw file of a deleted batch left behind");
                }
            }
        }
        tracing::info!(programme = p.id, batch = id, "import batch deleted");
        Ok(b)
    }
}
