//! Close-out rows: the numbered versions of a programme's close-out evaluation, the status
//! changes that close and reopen a programme, lessons learnt, and the full-text index of
//! lessons and library practices.
//!
//! An evaluation is never edited in place: each save is a new version, and the signed one is
//! the last. The search index keeps one row per lesson or practice with its text already folded
//! by the caller (lower case, no diacritics): SQLite indexes it with FTS5 (`unicode61
//! remove_diacritics 2`), PostgreSQL with a generated `tsvector` over the spanish and english
//! configurations, so both find the same words. Every write records an audit row in the same
//! transaction.

use rumbo_domain::programme::Status;
use serde_json::{json, Value};
use sqlx::any::AnyRow;

use crate::audit::{self, Actor, Change};
use crate::programmes::{audit_programme, fetch_in_tx, Programme};
use crate::{col, now, Backend, Result, Store, StoreError};

/// One stored version of a close-out evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct CloseoutVersion {
    pub id: i64,
    pub programme_id: i64,
    pub version: i64,
    pub data: Value,
    pub signed: bool,
    pub created_at: i64,
    pub created_by: String,
}

/// A stored lesson.
#[derive(Debug, Clone, PartialEq)]
pub struct LessonRow {
    pub id: i64,
    pub programme_id: Option<i64>,
    pub client_id: Option<i64>,
    pub data: Value,
    /// The library practice it was promoted to.
    pub practice_id: Option<i64>,
    pub created_at: i64,
    pub created_by: String,
}

/// What the search index holds for one lesson or practice.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchEntry {
    /// `lesson` or `practice`.
    pub kind: &'static str,
    pub item_id: i64,
    pub client_id: Option<i64>,
    /// Shown to the client's viewers.
    pub shared: bool,
    /// Folded text: lower case, no diacritics, words separated by spaces.
    pub body: String,
}

/// A search hit: which item, best first.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    pub kind: String,
    pub item_id: i64,
    pub client_id: Option<i64>,
    pub shared: bool,
}

fn closeout_row(r: &AnyRow) -> Result<CloseoutVersion> {
    let data: String = col(r, "data")?;
    Ok(CloseoutVersion {
        id: col(r, "id")?,
        programme_id: col(r, "programme_id")?,
        version: col(r, "version")?,
        data: serde_json::from_str(&data).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        signed: col::<i64>(r, "signed")? != 0,
        created_at: col(r, "created_at")?,
        created_by: col(r, "created_by")?,
    })
}

fn lesson_row(r: &AnyRow) -> Result<LessonRow> {
    let data: String = col(r, "data")?;
    Ok(LessonRow {
        id: col(r, "id")?,
        programme_id: col(r, "programme_id")?,
        client_id: col(r, "client_id")?,
        data: serde_json::from_str(&data).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        practice_id: col(r, "practice_id")?,
        created_at: col(r, "created_at")?,
        created_by: col(r, "created_by")?,
    })
}

const LESSON_COLS: &str =
    "id, programme_id, client_id, data, practice_id, created_at, created_by FROM lessons";

impl Store {
    /// Sets a programme's status (closing it, or reopening a closed one), audited as `action`.
    pub async fn set_programme_status(
        &self,
        actor: &Actor,
        id: i64,
        status: Status,
        action: &str,
    ) -> Result<Programme> {
        let mut tx = self.write_tx().await?;
        let before = fetch_in_tx(&mut tx, id).await?;
        sqlx::query("UPDATE programmes SET status = $1, updated_at = $2 WHERE id = $3")
            .bind(status.as_str())
            .bind(now())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let after = fetch_in_tx(&mut tx, id).await?;
        audit_programme(&mut tx, actor, action, Some(&before), Some(&after)).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Every version of the programme's close-out evaluation, oldest first.
    pub async fn closeouts(&self, programme_id: i64) -> Result<Vec<CloseoutVersion>> {
        let rows = sqlx::query(
            "SELECT id, programme_id, version, data, signed, created_at, created_by
             FROM closeouts WHERE programme_id = $1 ORDER BY version",
        )
        .bind(programme_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(closeout_row).collect()
    }

    /// Stores the next version of the programme's close-out evaluation.
    pub async fn save_closeout(
        &self,
        actor: &Actor,
        programme_id: i64,
        data: &Value,
        signed: bool,
    ) -> Result<CloseoutVersion> {
        let mut tx = self.write_tx().await?;
        let last: Option<i64> =
            sqlx::query_scalar("SELECT MAX(version) FROM closeouts WHERE programme_id = $1")
                .bind(programme_id)
                .fetch_one(&mut *tx)
                .await?;
        let version = last.unwrap_or(0) + 1;
        let at = now();
        let row = sqlx::query(
            "INSERT INTO closeouts (programme_id, version, data, signed, created_at, created_by)
             VALUES ($1, $2, $3, $4, $5, $6)
             RETURNING id, programme_id, version, data, signed, created_at, created_by",
        )
        .bind(programme_id)
        .bind(version)
        .bind(data.to_string())
        .bind(i64::from(signed))
        .bind(at)
        .bind(&actor.label)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            if StoreError::is_unique_violation(&e) {
                StoreError::Conflict("closeout.version")
            } else {
                e.into()
            }
        })?;
        let saved = closeout_row(&row)?;
        audit::record(
            &mut tx,
            actor,
            Change {
                entity: "closeout",
                entity_id: version.to_string(),
                programme_id: Some(programme_id),
                action: if signed { "sign" } else { "create" },
                before: None,
                after: Some(json!({ "version": version, "signed": signed, "data": data })),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// Stores a lesson and its search row.
    pub async fn create_lesson(
        &self,
        actor: &Actor,
        programme_id: Option<i64>,
        client_id: Option<i64>,
        data: &Value,
        search: &SearchEntry,
    ) -> Result<LessonRow> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query(&format!(
            "INSERT INTO lessons (programme_id, client_id, data, created_at, created_by)
             VALUES ($1, $2, $3, $4, $5) RETURNING {LESSON_COLS_RET}",
            LESSON_COLS_RET =
                "id, programme_id, client_id, data, practice_id, created_at, created_by"
        ))
        .bind(programme_id)
        .bind(client_id)
        .bind(data.to_string())
        .bind(now())
        .bind(&actor.label)
        .fetch_one(&mut *tx)
        .await?;
        let lesson = lesson_row(&row)?;
        let entry = SearchEntry {
            item_id: lesson.id,
            ..search.clone()
        };
        index_in_tx(&mut tx, &entry).await?;
        audit::record(
            &mut tx,
            actor,
            Change {
                entity: "lesson",
                entity_id: lesson.id.to_string(),
                programme_id,
                action: "create",
                before: None,
                after: Some(json!({ "client_id": client_id, "data": data })),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(lesson)
    }

    /// The lessons of one programme (`Some`) or all of them (`None`), newest first.
    pub async fn lessons(&self, programme_id: Option<i64>) -> Result<Vec<LessonRow>> {
        let rows = match programme_id {
            Some(p) => {
                sqlx::query(&format!(
                    "SELECT {LESSON_COLS} WHERE programme_id = $1 ORDER BY id DESC"
                ))
                .bind(p)
                .fetch_all(self.pool())
                .await?
            }
            None => {
                sqlx::query(&format!("SELECT {LESSON_COLS} ORDER BY id DESC"))
                    .fetch_all(self.pool())
                    .await?
            }
        };
        rows.iter().map(lesson_row).collect()
    }

    pub async fn lesson(&self, id: i64) -> Result<LessonRow> {
        let row = sqlx::query(&format!("SELECT {LESSON_COLS} WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        lesson_row(&row)
    }

    /// Records that lesson `id` was promoted to library practice `practice_id`.
    pub async fn set_lesson_practice(
        &self,
        actor: &Actor,
        id: i64,
        practice_id: i64,
    ) -> Result<LessonRow> {
        let mut tx = self.write_tx().await?;
        let n = sqlx::query(
            "UPDATE lessons SET practice_id = $1 WHERE id = $2 AND practice_id IS NULL",
        )
        .bind(practice_id)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::Conflict("lesson.promoted"));
        }
        let row = sqlx::query(&format!("SELECT {LESSON_COLS} WHERE id = $1"))
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let lesson = lesson_row(&row)?;
        audit::record(
            &mut tx,
            actor,
            Change {
                entity: "lesson",
                entity_id: id.to_string(),
                programme_id: lesson.programme_id,
                action: "promote",
                before: None,
                after: Some(json!({ "practice_id": practice_id })),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(lesson)
    }

    /// Puts (or replaces) an item's row in the search index.
    pub async fn index_library_item(&self, entry: &SearchEntry) -> Result<()> {
        let mut tx = self.write_tx().await?;
        index_in_tx(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Items whose folded text holds every one of `words` (already folded, letters and digits
    /// only; each also matches as the start of a longer word), best first.
    pub async fn search_library(&self, words: &[String], limit: i64) -> Result<Vec<SearchHit>> {
        let words: Vec<&String> = words
            .iter()
            .filter(|w| !w.is_empty() && w.chars().all(|c| c.is_alphanumeric()))
            .collect();
        if words.is_empty() {
            return Ok(Vec::new());
        }
        let rows = match self.backend() {
            Backend::Sqlite => {
                let q = words
                    .iter()
                    .map(|w| format!("\"{w}\"*"))
                    .collect::<Vec<_>>()
                    .join(" AND ");
                sqlx::query(
                    "SELECT s.kind, s.item_id, s.client_id, s.shared
                     FROM library_fts f JOIN library_search s ON s.id = f.rowid
                     WHERE library_fts MATCH $1 ORDER BY bm25(library_fts), s.id LIMIT $2",
                )
                .bind(q)
                .bind(limit)
                .fetch_all(self.pool())
                .await?
            }
            Backend::Postgres => {
                let q = words
                    .iter()
                    .map(|w| format!("{w}:*"))
                    .collect::<Vec<_>>()
                    .join(" & ");
                sqlx::query(
                    "SELECT kind, item_id, client_id, shared FROM library_search,
                       (SELECT to_tsquery('spanish', $1) AS es, to_tsquery('english', $1) AS en) q
                     WHERE tsv @@ q.es OR tsv @@ q.en
                     ORDER BY ts_rank(tsv, q.es || q.en) DESC, id LIMIT $2",
                )
                .bind(q)
                .bind(limit)
                .fetch_all(self.pool())
                .await?
            }
        };
        rows.iter()
            .map(|r| {
                Ok(SearchHit {
                    kind: col(r, "kind")?,
                    item_id: col(r, "item_id")?,
                    client_id: col(r, "client_id")?,
                    shared: col::<i64>(r, "shared")? != 0,
                })
            })
            .collect()
    }
}

async fn index_in_tx(tx: &mut sqlx::Transaction<'_, sqlx::Any>, e: &SearchEntry) -> Result<()> {
    sqlx::query("DELETE FROM library_search WHERE kind = $1 AND item_id = $2")
        .bind(e.kind)
        .bind(e.item_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO library_search (kind, item_id, client_id, shared, body) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(e.kind)
    .bind(e.item_id)
    .bind(e.client_id)
    .bind(i64::from(e.shared))
    .bind(&e.body)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
