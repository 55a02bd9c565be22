//! Programmes: create, read, update, delete, with membership and audit.

use jiff::civil::Date;
use rumbo_domain::access::Role;
use rumbo_domain::programme::{Channel, NewProgramme, Status};
use serde_json::{json, Value};
use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};

use crate::audit::{self, Actor, Change};
use crate::{col, now, parse_stored, parsed_col, parsed_opt_col, Result, Store, StoreError};

/// A programme as stored, with its client and product names for display.
#[derive(Debug, Clone, PartialEq)]
pub struct Programme {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub client_id: i64,
    pub client_name: String,
    pub product_id: Option<i64>,
    pub product_name: Option<String>,
    pub channels: Vec<Channel>,
    pub start_date: Date,
    pub end_date: Option<Date>,
    pub status: Status,
    pub time_zone: String,
    pub description: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// The programme's owner (its manager), if any.
    pub owner_id: Option<i64>,
    /// When it was deleted into the archive (restorable for a while, then purged).
    pub archived_at: Option<i64>,
}

/// A programme seen by one user: whether they are on its team.
#[derive(Debug, Clone)]
pub struct ProgrammeFor {
    pub programme: Programme,
    pub member: bool,
}

// Columns named one by one, never `p.*`: a pooled SQLite connection that prepared `p.*`
// against the schema before a migration added columns would read rows wider than it expects.
const SELECT: &str = "SELECT p.id, p.code, p.name, p.client_id, p.product_id, p.channels,
    p.start_date, p.end_date, p.status, p.time_zone, p.description, p.created_at, p.updated_at,
    p.owner_id, p.archived_at, c.name AS client_name, pr.name AS product_name,
    CAST(CASE WHEN EXISTS (SELECT 1 FROM programme_members m WHERE m.programme_id = p.id AND m.user_id = $1) THEN 1 ELSE 0 END AS BIGINT) AS member
    FROM programmes p JOIN clients c ON c.id = p.client_id LEFT JOIN products pr ON pr.id = p.product_id";

fn row(r: &AnyRow) -> Result<ProgrammeFor> {
    let channels: String = col(r, "channels")?;
    let member: i64 = col(r, "member")?;
    Ok(ProgrammeFor {
        member: member != 0,
        programme: Programme {
            id: col(r, "id")?,
            code: col(r, "code")?,
            name: col(r, "name")?,
            client_id: col(r, "client_id")?,
            client_name: col(r, "client_name")?,
            product_id: col(r, "product_id")?,
            product_name: col(r, "product_name")?,
            channels: channels
                .split(',')
                .filter(|s| !s.is_empty())
                .map(|c| parse_stored("channel", c))
                .collect::<Result<_>>()?,
            start_date: parsed_col(r, "start_date")?,
            end_date: parsed_opt_col(r, "end_date")?,
            status: parsed_col(r, "status")?,
            time_zone: col(r, "time_zone")?,
            description: col(r, "description")?,
            created_at: col(r, "created_at")?,
            updated_at: col(r, "updated_at")?,
            owner_id: col(r, "owner_id")?,
            archived_at: col(r, "archived_at")?,
        },
    })
}

fn channels_text(p: &NewProgramme) -> String {
    p.channels
        .iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

async fn check_refs(tx: &mut Transaction<'_, Any>, p: &NewProgramme) -> Result<()> {
    let client: Option<i64> = sqlx::query_scalar("SELECT id FROM clients WHERE id = $1")
        .bind(p.client_id)
        .fetch_optional(&mut **tx)
        .await?;
    if client.is_none() {
        return Err(StoreError::UnknownReference("client"));
    }
    if let Some(pid) = p.product_id {
        let owner: Option<i64> = sqlx::query_scalar("SELECT client_id FROM products WHERE id = $1")
            .bind(pid)
            .fetch_optional(&mut **tx)
            .await?;
        if owner != Some(p.client_id) {
            return Err(StoreError::UnknownReference("product"));
        }
    }
    Ok(())
}

impl Store {
    /// Every programme, each flagged with whether `user_id` is a member; ordered by code.
    pub async fn programmes_for(&self, user_id: Option<i64>) -> Result<Vec<ProgrammeFor>> {
        let rows = sqlx::query(&format!(
            "{SELECT} WHERE p.archived_at IS NULL ORDER BY p.code"
        ))
        .bind(user_id.unwrap_or(-1))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(row).collect()
    }

    /// [`Store::programmes_for`] with each programme's data and state versions
    /// ([`Store::versions`]), in one read: what a cached cockpit needs to know it is current.
    pub async fn programmes_with_versions_for(
        &self,
        user_id: Option<i64>,
    ) -> Result<Vec<(ProgrammeFor, (i64, i64))>> {
        let select = SELECT.replacen(
            " AS member\n",
            " AS member,
    CAST(COALESCE((SELECT v.version FROM programme_data_versions v WHERE v.programme_id = p.id), 0) AS BIGINT) AS data_version,
    CAST(COALESCE((SELECT s.version FROM programme_state_versions s WHERE s.programme_id = p.id), 0) AS BIGINT) AS state_version\n",
            1,
        );
        let rows = sqlx::query(&format!(
            "{select} WHERE p.archived_at IS NULL ORDER BY p.code"
        ))
        .bind(user_id.unwrap_or(-1))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok((row(r)?, (col(r, "data_version")?, col(r, "state_version")?))))
            .collect()
    }

    pub async fn programme_for(&self, code: &str, user_id: Option<i64>) -> Result<ProgrammeFor> {
        let r = sqlx::query(&format!(
            "{SELECT} WHERE p.code = $2 AND p.archived_at IS NULL"
        ))
        .bind(user_id.unwrap_or(-1))
        .bind(code.trim().to_ascii_uppercase())
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)?;
        row(&r)
    }

    pub async fn programme_by_id(&self, id: i64) -> Result<Programme> {
        let r = sqlx::query(&format!("{SELECT} WHERE p.id = $2"))
            .bind(-1i64)
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(row(&r)?.programme)
    }

    /// Creates a programme; the acting user (if any) joins its team.
    pub async fn create_programme(&self, actor: &Actor, p: &NewProgramme) -> Result<Programme> {
        let mut tx = self.write_tx().await?;
        check_refs(&mut tx, p).await?;
        let t = now();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO programmes (code, name, client_id, product_id, channels, start_date, end_date, status, time_zone, description, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id",
        )
        .bind(p.code.as_str())
        .bind(&p.name)
        .bind(p.client_id)
        .bind(p.product_id)
        .bind(channels_text(p))
        .bind(p.start_date.to_string())
        .bind(p.end_date.map(|d| d.to_string()))
        .bind(p.status.as_str())
        .bind(&p.time_zone)
        .bind(&p.description)
        .bind(t)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            if StoreError::is_unique_violation(&e) {
                StoreError::Conflict("programme.code")
            } else {
                e.into()
            }
        })?;
        if let Some(uid) = actor.user_id {
            sqlx::query("INSERT INTO programme_members (programme_id, user_id) VALUES ($1, $2)")
                .bind(id)
                .bind(uid)
                .execute(&mut *tx)
                .await?;
            // The creator owns the programme if they are a manager (an admin creating it for
            // someone leaves it without an owner until one is named).
            sqlx::query(
                "UPDATE programmes SET owner_id = $2 WHERE id = $1
                 AND EXISTS (SELECT 1 FROM users WHERE id = $2 AND role = 'manager')",
            )
            .bind(id)
            .bind(uid)
            .execute(&mut *tx)
            .await?;
        }
        let after = fetch_in_tx(&mut tx, id).await?;
        audit_programme(&mut tx, actor, "create", None, Some(&after)).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Replaces a programme's fields (its code stays) and records before and after.
    pub async fn update_programme(
        &self,
        actor: &Actor,
        id: i64,
        p: &NewProgramme,
    ) -> Result<Programme> {
        let mut tx = self.write_tx().await?;
        let before = fetch_in_tx(&mut tx, id).await?;
        check_refs(&mut tx, p).await?;
        sqlx::query(
            "UPDATE programmes SET name = $1, client_id = $2, product_id = $3, channels = $4, start_date = $5,
             end_date = $6, status = $7, time_zone = $8, description = $9, updated_at = $10 WHERE id = $11",
        )
        .bind(&p.name)
        .bind(p.client_id)
        .bind(p.product_id)
        .bind(channels_text(p))
        .bind(p.start_date.to_string())
        .bind(p.end_date.map(|d| d.to_string()))
        .bind(p.status.as_str())
        .bind(&p.time_zone)
        .bind(&p.description)
        .bind(now())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let after = fetch_in_tx(&mut tx, id).await?;
        audit_programme(&mut tx, actor, "update", Some(&before), Some(&after)).await?;
        tx.commit().await?;
        Ok(after)
    }

    pub async fn delete_programme(&self, actor: &Actor, id: i64) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let before = fetch_in_tx(&mut tx, id).await?;
        sqlx::query("DELETE FROM programmes WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        // After the cascade, whose triggers bumped it one last time.
        sqlx::query("DELETE FROM programme_state_versions WHERE programme_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        audit_programme(&mut tx, actor, "delete", Some(&before), None).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Whether a programme holds data worth keeping: imports or plan items.
    pub async fn programme_holds_data(&self, id: i64) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT CAST((SELECT COUNT(*) FROM import_batches WHERE programme_id = $1)
                      + (SELECT COUNT(*) FROM plan_items WHERE programme_id = $1) AS BIGINT)",
        )
        .bind(id)
        .fetch_one(self.pool())
        .await?;
        Ok(n > 0)
    }

    /// Moves a programme into the archive (`archived_at` = now): it disappears from every list
    /// and page until restored.
    pub async fn archive_programme(&self, actor: &Actor, id: i64) -> Result<()> {
        self.set_archived(actor, id, Some(now()), "archive").await
    }

    /// Takes a programme out of the archive.
    pub async fn restore_programme(&self, actor: &Actor, id: i64) -> Result<()> {
        self.set_archived(actor, id, None, "restore").await
    }

    async fn set_archived(
        &self,
        actor: &Actor,
        id: i64,
        at: Option<i64>,
        action: &str,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let before = fetch_in_tx(&mut tx, id).await?;
        sqlx::query("UPDATE programmes SET archived_at = $2 WHERE id = $1")
            .bind(id)
            .bind(at)
            .execute(&mut *tx)
            .await?;
        audit_programme(&mut tx, actor, action, Some(&before), Some(&before)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The archived programmes, most recently archived first.
    pub async fn archived_programmes(&self) -> Result<Vec<Programme>> {
        let rows = sqlx::query(&format!(
            "{SELECT} WHERE p.archived_at IS NOT NULL ORDER BY p.archived_at DESC, p.code"
        ))
        .bind(-1i64)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|r| row(r).map(|p| p.programme)).collect()
    }

    pub async fn add_member(&self, actor: &Actor, programme_id: i64, user_id: i64) -> Result<()> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO programme_members (programme_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(programme_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        audit::record(
            &mut tx,
            actor,
            Change {
                entity: "programme_member",
                entity_id: user_id.to_string(),
                programme_id: Some(programme_id),
                action: "create",
                before: None,
                after: Some(serde_json::json!({ "user_id": user_id })),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn remove_member(
        &self,
        actor: &Actor,
        programme_id: i64,
        user_id: i64,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let n =
            sqlx::query("DELETE FROM programme_members WHERE programme_id = $1 AND user_id = $2")
                .bind(programme_id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        audit::record(
            &mut tx,
            actor,
            Change {
                entity: "programme_member",
                entity_id: user_id.to_string(),
                programme_id: Some(programme_id),
                action: "delete",
                before: Some(serde_json::json!({ "user_id": user_id })),
                after: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// (user id, name, email, role) of a programme's team.
    pub async fn members(&self, programme_id: i64) -> Result<Vec<(i64, String, String, Role)>> {
        let rows = sqlx::query(
            "SELECT u.id, u.name, u.email, u.role FROM programme_members m JOIN users u ON u.id = m.user_id
             WHERE m.programme_id = $1 ORDER BY u.name",
        )
        .bind(programme_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    col(r, "id")?,
                    col(r, "name")?,
                    col(r, "email")?,
                    parsed_col(r, "role")?,
                ))
            })
            .collect()
    }
}

/// Records a change to a programme row (either side may be absent).
pub(crate) async fn audit_programme(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    action: &str,
    before: Option<&Programme>,
    after: Option<&Programme>,
) -> Result<()> {
    let p = after.or(before).ok_or(StoreError::NotFound)?;
    audit::record(
        tx,
        actor,
        Change {
            entity: "programme",
            entity_id: p.code.clone(),
            programme_id: Some(p.id),
            action,
            before: before.map(audit_json),
            after: after.map(audit_json),
        },
    )
    .await
}

/// A programme's row in the audit log: every field, dates as ISO text, names as stored.
fn audit_json(p: &Programme) -> Value {
    json!({
        "id": p.id,
        "code": p.code,
        "name": p.name,
        "client_id": p.client_id,
        "client_name": p.client_name,
        "product_id": p.product_id,
        "product_name": p.product_name,
        "channels": p.channels.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        "start_date": p.start_date.to_string(),
        "end_date": p.end_date.map(|d| d.to_string()),
        "status": p.status.as_str(),
        "time_zone": p.time_zone,
        "description": p.description,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
    })
}

pub(crate) async fn fetch_in_tx(tx: &mut Transaction<'_, Any>, id: i64) -> Result<Programme> {
    let r = sqlx::query(&format!("{SELECT} WHERE p.id = $2"))
        .bind(-1i64)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(row(&r)?.programme)
}

#[cfg(test)]
mod tests {
    use rumbo_domain::programme::ProgrammeInput;
    use rumbo_domain::rut::Rut;

    use super::*;
    use crate::testing::fresh_store;

    async fn one_programme(store: &Store) -> Programme {
        let sys = Actor::system("test");
        let rut = Rut::parse("76.086.428-5").unwrap();
        let client = store.create_client(&sys, "Banco", rut).await.unwrap();
        let p = NewProgramme::try_from(ProgrammeInput {
            code: "RET-01".into(),
            name: "Retención".into(),
            client_id: Some(client.id),
            channels: vec!["chat".into()],
            start_date: "2026-01-01".into(),
            ..Default::default()
        })
        .unwrap();
        store.create_programme(&sys, &p).await.unwrap()
    }

    async fn set(store: &Store, column: &str, value: &str) {
        sqlx::query(&format!("UPDATE programmes SET {column} = $1"))
            .bind(value)
            .execute(store.pool())
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_stored_value_that_does_not_parse_is_corrupt_data() {
        let store = fresh_store().await.unwrap();
        let p = one_programme(&store).await;
        assert_eq!(store.programme_by_id(p.id).await.unwrap(), p);
        for (column, bad, named) in [
            ("status", "archived", "archived"),
            ("start_date", "2026-13-01", "2026-13-01"),
            ("end_date", "tomorrow", "tomorrow"),
            ("channels", "chat,fax", "fax"),
        ] {
            let good: Option<String> =
                sqlx::query_scalar(&format!("SELECT {column} FROM programmes"))
                    .fetch_one(store.pool())
                    .await
                    .unwrap();
            set(&store, column, bad).await;
            let read = store.programme_by_id(p.id).await;
            assert!(
                matches!(&read, Err(StoreError::Corrupt(m)) if m.contains(named)),
                "{column} = {bad:?} read as {read:?}"
            );
            match good {
                Some(g) => set(&store, column, &g).await,
                None => {
                    sqlx::query(&format!("UPDATE programmes SET {column} = NULL"))
                        .execute(store.pool())
                        .await
                        .unwrap();
                }
            }
            assert_eq!(store.programme_by_id(p.id).await.unwrap(), p);
        }
    }
}
