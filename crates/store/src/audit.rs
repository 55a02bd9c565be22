//! The append-only audit log: who changed what, when, with the row before and after.

use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};

use crate::{col, now, Result, Store};

/// Who is acting: a user account, or the system itself (CLI, demo seeding, imports).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub label: String,
}

impl Actor {
    pub fn system(label: &str) -> Actor {
        Actor {
            user_id: None,
            label: label.to_string(),
        }
    }

    pub fn user(id: i64, email: &str) -> Actor {
        Actor {
            user_id: Some(id),
            label: email.to_string(),
        }
    }
}

/// One audit record as stored.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    pub actor: String,
    pub entity: String,
    pub entity_id: String,
    pub programme_id: Option<i64>,
    pub action: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// What to record; `before`/`after` are the entity's JSON form (None for create/delete sides).
pub(crate) struct Change<'a> {
    pub entity: &'a str,
    pub entity_id: String,
    pub programme_id: Option<i64>,
    pub action: &'a str,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// Appends an audit row inside the caller's transaction.
pub(crate) async fn record(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    change: Change<'_>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor_id, actor, entity, entity_id, programme_id, action, before_json, after_json)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(now())
    .bind(actor.user_id)
    .bind(&actor.label)
    .bind(change.entity)
    .bind(change.entity_id)
    .bind(change.programme_id)
    .bind(change.action)
    .bind(change.before.map(|v| v.to_string()))
    .bind(change.after.map(|v| v.to_string()))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(crate) fn from_row(r: &AnyRow) -> Result<AuditEntry> {
    let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
    Ok(AuditEntry {
        id: col(r, "id")?,
        at: col(r, "at")?,
        actor: col(r, "actor")?,
        entity: col(r, "entity")?,
        entity_id: col(r, "entity_id")?,
        programme_id: col(r, "programme_id")?,
        action: col(r, "action")?,
        before: parse(col(r, "before_json")?),
        after: parse(col(r, "after_json")?),
    })
}

impl Store {
    /// The history of one programme, newest first.
    pub async fn audit_for_programme(
        &self,
        programme_id: i64,
        limit: i64,
    ) -> Result<Vec<AuditEntry>> {
        let rows = sqlx::query(
            "SELECT * FROM audit_log WHERE programme_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(programme_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// The most recent audit records of the whole installation (admin view).
    pub async fn audit_recent(&self, limit: i64) -> Result<Vec<AuditEntry>> {
        let rows = sqlx::query("SELECT * FROM audit_log ORDER BY id DESC LIMIT $1")
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(from_row).collect()
    }
}
