//! Programme plans: plan items as JSON documents by kind, and numbered plan versions.
//!
//! The plan has many small entities (objectives, targets, risks, activities, meetings…) that are
//! always read whole per programme and validated by `rumbo-domain` before they get here. Each is a
//! row of `plan_items` with its `kind`, an optional per-kind `code` (activity codes are unique in
//! a programme) and its canonical JSON document. Writes that belong together (a whole work plan,
//! an approved change request with its new version) happen in one transaction, with one audit row
//! per item changed, so nothing is ever half-saved.

use serde_json::{json, Value};
use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};

use crate::audit::{self, Actor, Change};
use crate::{col, now, Result, Store, StoreError};

/// The [`StoreError::Conflict`] rule broken by a duplicate code of one kind in a programme.
pub const CODE_CONFLICT: &str = "plan_item.code";
/// The rule broken when two approvals race for the same version number.
pub const VERSION_CONFLICT: &str = "plan_version.number";

/// A stored plan item.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanItem {
    pub id: i64,
    /// `None` for library entries shared by all programmes.
    pub programme_id: Option<i64>,
    pub kind: String,
    pub code: Option<String>,
    pub data: Value,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A plan item to insert.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPlanItem {
    pub kind: &'static str,
    pub code: Option<String>,
    pub data: Value,
}

/// Sets field `field` of item `child` to the id of item `parent` (an earlier item of the same
/// batch) when the batch is inserted, e.g. a KPI target pointing to its new objective.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link {
    pub child: usize,
    pub field: &'static str,
    pub parent: usize,
}

/// A stored plan version.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanVersion {
    pub id: i64,
    pub programme_id: i64,
    pub number: i64,
    pub change_request_id: Option<i64>,
    pub values: Value,
    pub changes: Value,
    pub created_at: i64,
}

/// Everything an approved change request writes, applied in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanCommit {
    /// The baseline (version 1) values, when the programme has no version yet.
    pub baseline: Option<Value>,
    /// The change request item with its new status.
    pub change_request: (i64, Value),
    /// Items whose documents change, by id.
    pub updates: Vec<(i64, Value)>,
    /// Items the change adds (e.g. a planned amount for a new month).
    pub inserts: Vec<NewPlanItem>,
    /// The version to add: its number, values and applied changes.
    pub version: (i64, Value, Value),
}

fn item_row(r: &AnyRow) -> Result<PlanItem> {
    let data: String = col(r, "data")?;
    Ok(PlanItem {
        id: col(r, "id")?,
        programme_id: col(r, "programme_id")?,
        kind: col(r, "kind")?,
        code: col(r, "code")?,
        data: serde_json::from_str(&data)
            .map_err(|e| StoreError::Corrupt(format!("plan item data: {e}")))?,
        created_at: col(r, "created_at")?,
        updated_at: col(r, "updated_at")?,
    })
}

fn version_row(r: &AnyRow) -> Result<PlanVersion> {
    let json = |name: &str| -> Result<Value> {
        let s: String = col(r, name)?;
        serde_json::from_str(&s).map_err(|e| StoreError::Corrupt(format!("{name}: {e}")))
    };
    Ok(PlanVersion {
        id: col(r, "id")?,
        programme_id: col(r, "programme_id")?,
        number: col(r, "number")?,
        change_request_id: col(r, "change_request_id")?,
        values: json("values_json")?,
        changes: json("changes_json")?,
        created_at: col(r, "created_at")?,
    })
}

/// An item's row in the audit log.
fn item_json(i: &PlanItem) -> Value {
    json!({
        "id": i.id,
        "programme_id": i.programme_id,
        "kind": i.kind,
        "code": i.code,
        "data": i.data,
        "created_at": i.created_at,
        "updated_at": i.updated_at,
    })
}

/// A version's row in the audit log.
fn version_json(v: &PlanVersion) -> Value {
    json!({
        "id": v.id,
        "programme_id": v.programme_id,
        "number": v.number,
        "change_request_id": v.change_request_id,
        "values": v.values,
        "changes": v.changes,
        "created_at": v.created_at,
    })
}

fn entity(kind: &str) -> String {
    format!("plan.{kind}")
}

fn conflict(e: sqlx::Error) -> StoreError {
    if StoreError::is_unique_violation(&e) {
        StoreError::Conflict(CODE_CONFLICT)
    } else {
        e.into()
    }
}

/// `programme_id = $n`, or `IS NULL` for library items (bound as -1 and ignored then).
fn scope_clause(programme_id: Option<i64>, n: u8) -> String {
    match programme_id {
        Some(_) => format!("programme_id = ${n}"),
        None => format!("(programme_id IS NULL AND ${n} = -1)"),
    }
}

async fn fetch_item(
    tx: &mut Transaction<'_, Any>,
    programme_id: Option<i64>,
    kind: &str,
    id: i64,
) -> Result<PlanItem> {
    let sql = format!(
        "SELECT * FROM plan_items WHERE id = $1 AND kind = $2 AND {}",
        scope_clause(programme_id, 3)
    );
    let r = sqlx::query(&sql)
        .bind(id)
        .bind(kind)
        .bind(programme_id.unwrap_or(-1))
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(StoreError::NotFound)?;
    item_row(&r)
}

async fn insert_item(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    programme_id: Option<i64>,
    item: &NewPlanItem,
) -> Result<PlanItem> {
    let t = now();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO plan_items (programme_id, kind, code, data, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
    )
    .bind(programme_id)
    .bind(item.kind)
    .bind(item.code.as_deref())
    .bind(item.data.to_string())
    .bind(t)
    .fetch_one(&mut **tx)
    .await
    .map_err(conflict)?;
    let after = fetch_item(tx, programme_id, item.kind, id).await?;
    audit::record(
        tx,
        actor,
        Change {
            entity: &entity(item.kind),
            entity_id: id.to_string(),
            programme_id,
            action: "create",
            before: None,
            after: Some(item_json(&after)),
        },
    )
    .await?;
    Ok(after)
}

async fn update_item(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    programme_id: Option<i64>,
    before: PlanItem,
    code: Option<&str>,
    data: &Value,
) -> Result<PlanItem> {
    sqlx::query("UPDATE plan_items SET code = $1, data = $2, updated_at = $3 WHERE id = $4")
        .bind(code)
        .bind(data.to_string())
        .bind(now())
        .bind(before.id)
        .execute(&mut **tx)
        .await
        .map_err(conflict)?;
    let after = fetch_item(tx, programme_id, &before.kind, before.id).await?;
    audit::record(
        tx,
        actor,
        Change {
            entity: &entity(&before.kind),
            entity_id: before.id.to_string(),
            programme_id,
            action: "update",
            before: Some(item_json(&before)),
            after: Some(item_json(&after)),
        },
    )
    .await?;
    Ok(after)
}

async fn delete_item(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    programme_id: Option<i64>,
    before: PlanItem,
) -> Result<()> {
    sqlx::query("DELETE FROM plan_items WHERE id = $1")
        .bind(before.id)
        .execute(&mut **tx)
        .await?;
    audit::record(
        tx,
        actor,
        Change {
            entity: &entity(&before.kind),
            entity_id: before.id.to_string(),
            programme_id,
            action: "delete",
            before: Some(item_json(&before)),
            after: None,
        },
    )
    .await
}

impl Store {
    /// Items of one kind in a programme (or in the library when `programme_id` is `None`), in
    /// creation order.
    pub async fn plan_items(&self, programme_id: Option<i64>, kind: &str) -> Result<Vec<PlanItem>> {
        let sql = format!(
            "SELECT * FROM plan_items WHERE kind = $1 AND {} ORDER BY id",
            scope_clause(programme_id, 2)
        );
        let rows = sqlx::query(&sql)
            .bind(kind)
            .bind(programme_id.unwrap_or(-1))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(item_row).collect()
    }

    /// One item; `NotFound` when it is not of this kind or not in this programme.
    pub async fn plan_item(
        &self,
        programme_id: Option<i64>,
        kind: &str,
        id: i64,
    ) -> Result<PlanItem> {
        let mut tx = self.write_tx().await?;
        let item = fetch_item(&mut tx, programme_id, kind, id).await?;
        tx.commit().await?;
        Ok(item)
    }

    /// Inserts items (of any kinds) in one transaction: all or none.
    pub async fn create_plan_items(
        &self,
        actor: &Actor,
        programme_id: Option<i64>,
        items: &[NewPlanItem],
    ) -> Result<Vec<PlanItem>> {
        let mut tx = self.write_tx().await?;
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            out.push(insert_item(&mut tx, actor, programme_id, item).await?);
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Inserts a batch whose items refer to each other by position (see [`Link`]), in one
    /// transaction: a plan copied from a template.
    pub async fn create_linked_plan_items(
        &self,
        actor: &Actor,
        programme_id: i64,
        items: &[NewPlanItem],
        links: &[Link],
    ) -> Result<Vec<PlanItem>> {
        let mut tx = self.write_tx().await?;
        let mut out: Vec<PlanItem> = Vec::with_capacity(items.len());
        for (n, item) in items.iter().enumerate() {
            let mut item = item.clone();
            for l in links.iter().filter(|l| l.child == n) {
                let parent = out
                    .get(l.parent)
                    .ok_or_else(|| StoreError::Corrupt("link to a later item".into()))?;
                item.data[l.field] = Value::from(parent.id);
            }
            out.push(insert_item(&mut tx, actor, Some(programme_id), &item).await?);
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Replaces an item's code and document.
    pub async fn update_plan_item(
        &self,
        actor: &Actor,
        programme_id: Option<i64>,
        kind: &str,
        id: i64,
        code: Option<&str>,
        data: &Value,
    ) -> Result<PlanItem> {
        let mut tx = self.write_tx().await?;
        let before = fetch_item(&mut tx, programme_id, kind, id).await?;
        let after = update_item(&mut tx, actor, programme_id, before, code, data).await?;
        tx.commit().await?;
        Ok(after)
    }

    pub async fn delete_plan_item(
        &self,
        actor: &Actor,
        programme_id: Option<i64>,
        kind: &str,
        id: i64,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let before = fetch_item(&mut tx, programme_id, kind, id).await?;
        delete_item(&mut tx, actor, programme_id, before).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Replaces every item of `kind` in a programme by `items`, in one transaction (a whole work
    /// plan, a whole RACI matrix). Items whose code is kept are updated in place, so their ids
    /// survive; the others are deleted or inserted.
    pub async fn replace_plan_items(
        &self,
        actor: &Actor,
        programme_id: i64,
        kind: &'static str,
        items: &[NewPlanItem],
    ) -> Result<Vec<PlanItem>> {
        let mut tx = self.write_tx().await?;
        let existing: Vec<PlanItem> = {
            let rows =
                sqlx::query("SELECT * FROM plan_items WHERE programme_id = $1 AND kind = $2")
                    .bind(programme_id)
                    .bind(kind)
                    .fetch_all(&mut *tx)
                    .await?;
            rows.iter().map(item_row).collect::<Result<_>>()?
        };
        let mut out: Vec<Option<PlanItem>> = Vec::with_capacity(items.len());
        let mut kept = Vec::new();
        for item in items {
            let same = existing
                .iter()
                .find(|e| e.code.is_some() && e.code == item.code && !kept.contains(&e.id));
            match same {
                Some(e) if e.data == item.data => {
                    kept.push(e.id);
                    out.push(Some(e.clone()));
                }
                Some(e) => {
                    kept.push(e.id);
                    let after = update_item(
                        &mut tx,
                        actor,
                        Some(programme_id),
                        e.clone(),
                        item.code.as_deref(),
                        &item.data,
                    )
                    .await?;
                    out.push(Some(after));
                }
                None => out.push(None),
            }
        }
        for e in existing.into_iter().filter(|e| !kept.contains(&e.id)) {
            delete_item(&mut tx, actor, Some(programme_id), e).await?;
        }
        // Inserts come after deletes so a code can move from a removed item to a new one.
        let mut saved = Vec::with_capacity(items.len());
        for (slot, item) in out.into_iter().zip(items) {
            saved.push(match slot {
                Some(kept) => kept,
                None => insert_item(&mut tx, actor, Some(programme_id), item).await?,
            });
        }
        tx.commit().await?;
        Ok(saved)
    }

    /// Inserts or updates items by code (codes are required), in one transaction: planned and
    /// actual amounts keyed by line and month, contacts keyed by month.
    pub async fn upsert_plan_items(
        &self,
        actor: &Actor,
        programme_id: i64,
        items: &[NewPlanItem],
    ) -> Result<Vec<PlanItem>> {
        let mut tx = self.write_tx().await?;
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let existing = sqlx::query(
                "SELECT * FROM plan_items WHERE programme_id = $1 AND kind = $2 AND code = $3",
            )
            .bind(programme_id)
            .bind(item.kind)
            .bind(item.code.as_deref())
            .fetch_optional(&mut *tx)
            .await?;
            let saved = match existing {
                Some(r) => {
                    let before = item_row(&r)?;
                    if before.data == item.data {
                        before
                    } else {
                        let code = item.code.as_deref();
                        update_item(&mut tx, actor, Some(programme_id), before, code, &item.data)
                            .await?
                    }
                }
                None => insert_item(&mut tx, actor, Some(programme_id), item).await?,
            };
            out.push(saved);
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Items of one kind across every programme (e.g. a person's assignments everywhere, to
    /// warn about over-allocation).
    pub async fn plan_items_everywhere(&self, kind: &str) -> Result<Vec<PlanItem>> {
        let rows = sqlx::query(
            "SELECT * FROM plan_items WHERE kind = $1 AND programme_id IS NOT NULL ORDER BY id",
        )
        .bind(kind)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(item_row).collect()
    }

    /// The plan versions of a programme, oldest first.
    pub async fn plan_versions(&self, programme_id: i64) -> Result<Vec<PlanVersion>> {
        let rows =
            sqlx::query("SELECT * FROM plan_versions WHERE programme_id = $1 ORDER BY number")
                .bind(programme_id)
                .fetch_all(self.pool())
                .await?;
        rows.iter().map(version_row).collect()
    }

    /// Records the baseline (version 1) of a programme's plan.
    pub async fn create_plan_baseline(
        &self,
        actor: &Actor,
        programme_id: i64,
        values: &Value,
    ) -> Result<PlanVersion> {
        let mut tx = self.write_tx().await?;
        let v = insert_version(
            &mut tx,
            actor,
            programme_id,
            1,
            None,
            values,
            &Value::Array(vec![]),
        )
        .await?;
        tx.commit().await?;
        Ok(v)
    }

    /// Applies an approved change request: its new status, the changed items and the new
    /// version, all in one transaction. A concurrent approval that took the same version number
    /// fails with `Conflict("plan_version.number")` and changes nothing.
    pub async fn commit_plan_change(
        &self,
        actor: &Actor,
        programme_id: i64,
        commit: &PlanCommit,
    ) -> Result<PlanVersion> {
        let mut tx = self.write_tx().await?;
        if let Some(values) = &commit.baseline {
            let empty = Value::Array(vec![]);
            insert_version(&mut tx, actor, programme_id, 1, None, values, &empty).await?;
        }
        let (cr_id, cr_data) = &commit.change_request;
        let cr = fetch_item(&mut tx, Some(programme_id), "change_request", *cr_id).await?;
        let cr_code = cr.code.clone();
        update_item(
            &mut tx,
            actor,
            Some(programme_id),
            cr,
            cr_code.as_deref(),
            cr_data,
        )
        .await?;
        for (id, data) in &commit.updates {
            let before = fetch_item_any_kind(&mut tx, programme_id, *id).await?;
            let code = before.code.clone();
            update_item(
                &mut tx,
                actor,
                Some(programme_id),
                before,
                code.as_deref(),
                data,
            )
            .await?;
        }
        for item in &commit.inserts {
            insert_item(&mut tx, actor, Some(programme_id), item).await?;
        }
        let (number, values, changes) = &commit.version;
        let v = insert_version(
            &mut tx,
            actor,
            programme_id,
            *number,
            Some(*cr_id),
            values,
            changes,
        )
        .await?;
        tx.commit().await?;
        Ok(v)
    }
}

async fn fetch_item_any_kind(
    tx: &mut Transaction<'_, Any>,
    programme_id: i64,
    id: i64,
) -> Result<PlanItem> {
    let r = sqlx::query("SELECT * FROM plan_items WHERE id = $1 AND programme_id = $2")
        .bind(id)
        .bind(programme_id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(StoreError::NotFound)?;
    item_row(&r)
}

async fn insert_version(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    programme_id: i64,
    number: i64,
    change_request_id: Option<i64>,
    values: &Value,
    changes: &Value,
) -> Result<PlanVersion> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO plan_versions (programme_id, number, change_request_id, values_json, changes_json, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(programme_id)
    .bind(number)
    .bind(change_request_id)
    .bind(values.to_string())
    .bind(changes.to_string())
    .bind(now())
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| {
        if StoreError::is_unique_violation(&e) {
            StoreError::Conflict(VERSION_CONFLICT)
        } else {
            e.into()
        }
    })?;
    let r = sqlx::query("SELECT * FROM plan_versions WHERE id = $1")
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
    let v = version_row(&r)?;
    audit::record(
        tx,
        actor,
        Change {
            entity: "plan.version",
            entity_id: number.to_string(),
            programme_id: Some(programme_id),
            action: "create",
            before: None,
            after: Some(version_json(&v)),
        },
    )
    .await?;
    Ok(v)
}
