//! Live operations: each programme's live state as one JSON document with a growing version
//! (written by whichever process watches the platform, read by every server), the position a
//! followed `queue_log` was read up to, and the per-programme live settings.
//!
//! The live state is operational telemetry rewritten a few times a second, not a change to the
//! programme: it is not audited (its settings are).

use serde_json::Value;

use crate::audit::{self, Actor, Change};
use crate::{col, now, Result, Store};

/// A programme's stored live state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveRow {
    pub version: i64,
    /// Who feeds it: `queue-log` or `ami`.
    pub source: String,
    pub state_json: String,
    pub updated_at: i64,
}

/// How far a followed file was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowPos {
    pub path: String,
    /// The file's identity (device and inode) when the offsets were taken.
    pub file_id: String,
    /// Every call that starts before this offset is imported.
    pub imported_offset: i64,
    /// The live state has seen every line before this offset.
    pub live_offset: i64,
}

impl Store {
    /// The live state of a programme, if a watcher ever wrote one.
    pub async fn live_state(&self, programme_id: i64) -> Result<Option<LiveRow>> {
        let r = sqlx::query(
            "SELECT version, source, state_json, updated_at FROM live_state WHERE programme_id = $1",
        )
        .bind(programme_id)
        .fetch_optional(self.pool())
        .await?;
        r.map(|r| {
            Ok(LiveRow {
                version: col(&r, "version")?,
                source: col(&r, "source")?,
                state_json: col(&r, "state_json")?,
                updated_at: col(&r, "updated_at")?,
            })
        })
        .transpose()
    }

    /// Only the version of a programme's live state (cheap: polled by event streams).
    pub async fn live_version(&self, programme_id: i64) -> Result<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT version FROM live_state WHERE programme_id = $1")
                .bind(programme_id)
                .fetch_optional(self.pool())
                .await?,
        )
    }

    /// Writes a programme's live state (its version grows by one) and, for a followed file,
    /// the position read, in one transaction; returns the new version.
    pub async fn save_live_state(
        &self,
        programme_id: i64,
        source: &str,
        state_json: &str,
        follow: Option<&FollowPos>,
    ) -> Result<i64> {
        let mut tx = self.write_tx().await?;
        let at = now();
        let version: i64 = sqlx::query_scalar(
            "INSERT INTO live_state (programme_id, version, source, state_json, updated_at)
             VALUES ($1, 1, $2, $3, $4)
             ON CONFLICT (programme_id) DO UPDATE SET version = live_state.version + 1,
             source = excluded.source, state_json = excluded.state_json,
             updated_at = excluded.updated_at
             RETURNING version",
        )
        .bind(programme_id)
        .bind(source)
        .bind(state_json)
        .bind(at)
        .fetch_one(&mut *tx)
        .await?;
        if let Some(f) = follow {
            sqlx::query(
                "INSERT INTO live_follow (programme_id, path, file_id, imported_offset, live_offset, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (programme_id, path) DO UPDATE SET file_id = excluded.file_id,
                 imported_offset = excluded.imported_offset, live_offset = excluded.live_offset,
                 updated_at = excluded.updated_at",
            )
            .bind(programme_id)
            .bind(&f.path)
            .bind(&f.file_id)
            .bind(f.imported_offset)
            .bind(f.live_offset)
            .bind(at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(version)
    }

    /// Where the file `path` of a programme was read up to, if it was followed before.
    pub async fn live_follow(&self, programme_id: i64, path: &str) -> Result<Option<FollowPos>> {
        let r = sqlx::query(
            "SELECT path, file_id, imported_offset, live_offset FROM live_follow
             WHERE programme_id = $1 AND path = $2",
        )
        .bind(programme_id)
        .bind(path)
        .fetch_optional(self.pool())
        .await?;
        r.map(|r| {
            Ok(FollowPos {
                path: col(&r, "path")?,
                file_id: col(&r, "file_id")?,
                imported_offset: col(&r, "imported_offset")?,
                live_offset: col(&r, "live_offset")?,
            })
        })
        .transpose()
    }

    /// A programme's live settings document, if set.
    pub async fn live_settings(&self, programme_id: i64) -> Result<Option<Value>> {
        let s: Option<String> =
            sqlx::query_scalar("SELECT settings_json FROM live_settings WHERE programme_id = $1")
                .bind(programme_id)
                .fetch_optional(self.pool())
                .await?;
        s.map(|s| parse_json(&s)).transpose()
    }

    /// Every programme's live settings (for the server's follow jobs).
    pub async fn all_live_settings(&self) -> Result<Vec<(i64, Value)>> {
        let rows = sqlx::query("SELECT programme_id, settings_json FROM live_settings")
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                let s: String = col(r, "settings_json")?;
                Ok((col(r, "programme_id")?, parse_json(&s)?))
            })
            .collect()
    }

    /// Writes a programme's live settings, audited.
    pub async fn set_live_settings(
        &self,
        actor: &Actor,
        programme_id: i64,
        settings: &Value,
    ) -> Result<()> {
        let before = self.live_settings(programme_id).await?;
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO live_settings (programme_id, settings_json, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (programme_id) DO UPDATE SET settings_json = excluded.settings_json,
             updated_at = excluded.updated_at",
        )
        .bind(programme_id)
        .bind(settings.to_string())
        .bind(now())
        .execute(&mut *tx)
        .await?;
        audit::record(
            &mut tx,
            actor,
            Change {
                entity: "live_settings",
                entity_id: programme_id.to_string(),
                programme_id: Some(programme_id),
                action: if before.is_some() { "update" } else { "create" },
                before,
                after: Some(settings.clone()),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

fn parse_json(text: &str) -> Result<Value> {
    serde_json::from_str(text)
        .map_err(|e| crate::StoreError::Corrupt(format!("live_settings: {e}")))
}

impl Store {
    /// Queues a job of `kind` for a programme unless one is queued or running; a long-running
    /// job (a follower) is given many attempts, since every takeover after a server stops is
    /// one. Returns whether a job was queued.
    pub async fn enqueue_unique_job(&self, kind: &str, programme_id: i64) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        let existing: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM jobs WHERE kind = $1 AND programme_id = $2
             AND status IN ('queued', 'running') LIMIT 1",
        )
        .bind(kind)
        .bind(programme_id)
        .fetch_optional(&mut *tx)
        .await?;
        if existing.is_some() {
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO jobs (kind, programme_id, payload, status, progress_total, max_attempts, created_at)
             VALUES ($1, $2, '{}', 'queued', 0, 1000000, $3)",
        )
        .bind(kind)
        .bind(programme_id)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}
