//! Report distribution rows: schedules and the distribution record with the stored copy.
//!
//! A schedule is claimed for a run by moving its `next_run` forward with a conditional update
//! (only the server whose update matched the old value runs it), so any number of servers can
//! share the database and each run happens once. Each produced report is a distribution row:
//! kind, period, a version number per programme and kind, the SHA-256 and bytes of the file,
//! the recipients and whether the delivery worked. Creating and deleting a schedule and
//! recording a distribution write an audit row in the same transaction.

use serde_json::json;
use sqlx::any::AnyRow;

use crate::audit::{self, Actor, Change};
use crate::{col, now, Result, Store, StoreError};

/// A distribution schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub id: i64,
    pub programme_id: i64,
    pub kind: String,
    pub format: String,
    pub lang: String,
    /// `weekly` or `monthly`.
    pub frequency: String,
    /// JSON array of recipients (`{"email", "audience", "name"}`).
    pub recipients: String,
    pub next_run: i64,
    pub created_by: Option<i64>,
    pub created_at: i64,
}

/// A new schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSchedule<'a> {
    pub programme_id: i64,
    pub kind: &'a str,
    pub format: &'a str,
    pub lang: &'a str,
    pub frequency: &'a str,
    pub recipients: &'a str,
    pub next_run: i64,
    pub created_by: Option<i64>,
}

/// One produced report (without its bytes).
#[derive(Debug, Clone, PartialEq)]
pub struct Distribution {
    pub id: i64,
    pub programme_id: i64,
    pub schedule_id: Option<i64>,
    pub kind: String,
    pub format: String,
    pub lang: String,
    pub period_from: String,
    pub period_to: String,
    pub version: i64,
    pub sha256: String,
    pub file_name: String,
    pub recipients: String,
    /// `delivered`, `failed` or `stored` (produced and kept, sent to nobody).
    pub status: String,
    /// Catalogue key of the failure.
    pub error: Option<String>,
    pub client_safe: bool,
    pub created_by: Option<i64>,
    pub created_at: i64,
    pub size: i64,
}

/// A distribution to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDistribution<'a> {
    pub programme_id: i64,
    pub schedule_id: Option<i64>,
    pub kind: &'a str,
    pub format: &'a str,
    pub lang: &'a str,
    pub period_from: &'a str,
    pub period_to: &'a str,
    pub sha256: &'a str,
    pub file_name: &'a str,
    pub content: &'a [u8],
    pub recipients: &'a str,
    pub status: &'a str,
    pub error: Option<&'a str>,
    pub client_safe: bool,
    pub created_by: Option<i64>,
}

const SCHEDULE_COLS: &str =
    "id, programme_id, kind, format, lang, frequency, recipients, next_run, created_by, created_at";
const DIST_COLS: &str = "id, programme_id, schedule_id, kind, format, lang, period_from, period_to, version, sha256, file_name, recipients, status, error, client_safe, created_by, created_at, CAST(LENGTH(content) AS BIGINT) AS size";

fn schedule_row(r: &AnyRow) -> Result<Schedule> {
    Ok(Schedule {
        id: col(r, "id")?,
        programme_id: col(r, "programme_id")?,
        kind: col(r, "kind")?,
        format: col(r, "format")?,
        lang: col(r, "lang")?,
        frequency: col(r, "frequency")?,
        recipients: col(r, "recipients")?,
        next_run: col(r, "next_run")?,
        created_by: col(r, "created_by")?,
        created_at: col(r, "created_at")?,
    })
}

fn dist_row(r: &AnyRow) -> Result<Distribution> {
    Ok(Distribution {
        id: col(r, "id")?,
        programme_id: col(r, "programme_id")?,
        schedule_id: col(r, "schedule_id")?,
        kind: col(r, "kind")?,
        format: col(r, "format")?,
        lang: col(r, "lang")?,
        period_from: col(r, "period_from")?,
        period_to: col(r, "period_to")?,
        version: col(r, "version")?,
        sha256: col(r, "sha256")?,
        file_name: col(r, "file_name")?,
        recipients: col(r, "recipients")?,
        status: col(r, "status")?,
        error: col(r, "error")?,
        client_safe: col::<i64>(r, "client_safe")? != 0,
        created_by: col(r, "created_by")?,
        created_at: col(r, "created_at")?,
        size: col(r, "size")?,
    })
}

impl Store {
    /// Adds a schedule.
    pub async fn create_report_schedule(
        &self,
        actor: &Actor,
        s: &NewSchedule<'_>,
    ) -> Result<Schedule> {
        let mut tx = self.write_tx().await?;
        let at = now();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO report_schedules (programme_id, kind, format, lang, frequency, recipients, next_run, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(s.programme_id)
        .bind(s.kind)
        .bind(s.format)
        .bind(s.lang)
        .bind(s.frequency)
        .bind(s.recipients)
        .bind(s.next_run)
        .bind(s.created_by)
        .bind(at)
        .fetch_one(&mut *tx)
        .await?;
        audit::record(
            &mut tx,
            actor,
            Change {
                entity: "report_schedule",
                entity_id: id.to_string(),
                programme_id: Some(s.programme_id),
                action: "create",
                before: None,
                after: Some(json!({
                    "kind": s.kind, "format": s.format, "lang": s.lang,
                    "frequency": s.frequency, "recipients": s.recipients,
                })),
            },
        )
        .await?;
        tx.commit().await?;
        self.report_schedule(s.programme_id, id).await
    }

    /// One schedule of the programme.
    pub async fn report_schedule(&self, programme_id: i64, id: i64) -> Result<Schedule> {
        let row = sqlx::query(&format!(
            "SELECT {SCHEDULE_COLS} FROM report_schedules WHERE programme_id = $1 AND id = $2"
        ))
        .bind(programme_id)
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)?;
        schedule_row(&row)
    }

    /// A schedule by id (for the job that runs it).
    pub async fn report_schedule_by_id(&self, id: i64) -> Result<Schedule> {
        let row = sqlx::query(&format!(
            "SELECT {SCHEDULE_COLS} FROM report_schedules WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)?;
        schedule_row(&row)
    }

    /// The programme's schedules, oldest first.
    pub async fn report_schedules(&self, programme_id: i64) -> Result<Vec<Schedule>> {
        let rows = sqlx::query(&format!(
            "SELECT {SCHEDULE_COLS} FROM report_schedules WHERE programme_id = $1 ORDER BY id"
        ))
        .bind(programme_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(schedule_row).collect()
    }

    /// Schedules due at `at` (any programme).
    pub async fn due_report_schedules(&self, at: i64) -> Result<Vec<Schedule>> {
        let rows = sqlx::query(&format!(
            "SELECT {SCHEDULE_COLS} FROM report_schedules WHERE next_run <= $1 ORDER BY next_run, id"
        ))
        .bind(at)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(schedule_row).collect()
    }

    /// Moves a schedule's next run from `seen` to `next`; false when another server did it
    /// first (the claim of this run).
    pub async fn advance_report_schedule(&self, id: i64, seen: i64, next: i64) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        let n = sqlx::query(
            "UPDATE report_schedules SET next_run = $1 WHERE id = $2 AND next_run = $3",
        )
        .bind(next)
        .bind(id)
        .bind(seen)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(n > 0)
    }

    /// Deletes a schedule (its distribution records stay).
    pub async fn delete_report_schedule(
        &self,
        actor: &Actor,
        programme_id: i64,
        id: i64,
    ) -> Result<()> {
        let before = self.report_schedule(programme_id, id).await?;
        let mut tx = self.write_tx().await?;
        sqlx::query("DELETE FROM report_schedules WHERE programme_id = $1 AND id = $2")
            .bind(programme_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        audit::record(
            &mut tx,
            actor,
            Change {
                entity: "report_schedule",
                entity_id: id.to_string(),
                programme_id: Some(programme_id),
                action: "delete",
                before: Some(json!({
                    "kind": before.kind, "format": before.format, "lang": before.lang,
                    "frequency": before.frequency, "recipients": before.recipients,
                })),
                after: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a produced report with its bytes; its version is one more than the last of the
    /// same programme and kind.
    pub async fn record_distribution(
        &self,
        actor: &Actor,
        d: &NewDistribution<'_>,
    ) -> Result<Distribution> {
        let mut tx = self.write_tx().await?;
        let last: Option<i64> = sqlx::query_scalar(
            "SELECT MAX(version) FROM report_distributions WHERE programme_id = $1 AND kind = $2",
        )
        .bind(d.programme_id)
        .bind(d.kind)
        .fetch_one(&mut *tx)
        .await?;
        let version = last.unwrap_or(0) + 1;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO report_distributions (programme_id, schedule_id, kind, format, lang, period_from, period_to, version, sha256, file_name, content, recipients, status, error, client_safe, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id",
        )
        .bind(d.programme_id)
        .bind(d.schedule_id)
        .bind(d.kind)
        .bind(d.format)
        .bind(d.lang)
        .bind(d.period_from)
        .bind(d.period_to)
        .bind(version)
        .bind(d.sha256)
        .bind(d.file_name)
        .bind(d.content.to_vec())
        .bind(d.recipients)
        .bind(d.status)
        .bind(d.error)
        .bind(i64::from(d.client_safe))
        .bind(d.created_by)
        .bind(now())
        .fetch_one(&mut *tx)
        .await?;
        audit::record(
            &mut tx,
            actor,
            Change {
                entity: "report_distribution",
                entity_id: id.to_string(),
                programme_id: Some(d.programme_id),
                action: "create",
                before: None,
                after: Some(json!({
                    "kind": d.kind, "format": d.format, "version": version, "sha256": d.sha256,
                    "recipients": d.recipients, "status": d.status, "error": d.error,
                })),
            },
        )
        .await?;
        tx.commit().await?;
        self.distribution(d.programme_id, id).await
    }

    /// One distribution record of the programme (without bytes).
    pub async fn distribution(&self, programme_id: i64, id: i64) -> Result<Distribution> {
        let row = sqlx::query(&format!(
            "SELECT {DIST_COLS} FROM report_distributions WHERE programme_id = $1 AND id = $2"
        ))
        .bind(programme_id)
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)?;
        dist_row(&row)
    }

    /// The stored copy of a distributed report.
    pub async fn distribution_content(&self, programme_id: i64, id: i64) -> Result<Vec<u8>> {
        sqlx::query_scalar(
            "SELECT content FROM report_distributions WHERE programme_id = $1 AND id = $2",
        )
        .bind(programme_id)
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)
    }

    /// The programme's distribution record, newest first.
    pub async fn distributions(&self, programme_id: i64) -> Result<Vec<Distribution>> {
        let rows = sqlx::query(&format!(
            "SELECT {DIST_COLS} FROM report_distributions WHERE programme_id = $1 ORDER BY id DESC"
        ))
        .bind(programme_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(dist_row).collect()
    }
}
