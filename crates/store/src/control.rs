//! The control loop's rows: alarm rules per programme (versioned), alarms with their lifecycle,
//! and corrective actions.
//!
//! An alarm is identified in its programme by a fingerprint (kind, metric, subject and the
//! start of its period): re-evaluating the same data updates the alarm (its end, figures and
//! last sighting) instead of raising it again. Rules are never edited in place: each change is
//! a new version, and every alarm names the version that raised it. Every write records an
//! audit row in the same transaction.

use serde_json::{json, Value};
use sqlx::any::AnyRow;

use crate::audit::{self, Actor, Change};
use crate::{col, now, parsed_col, Result, Store, StoreError};

rumbo_domain::string_enum! {
    /// Where an alarm is in its lifecycle.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum AlarmStatus {
        Open = "open",
        Acknowledged = "acknowledged",
        Resolved = "resolved",
    }
    invalid("status", "error.alarm.status")
}

/// One version of a programme's alarm rules.
#[derive(Debug, Clone, PartialEq)]
pub struct RulesVersion {
    pub programme_id: i64,
    pub version: i64,
    pub rules: Value,
    pub created_at: i64,
    pub created_by: String,
}

/// An alarm found by an evaluation, before it is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAlarm {
    pub fingerprint: String,
    pub kind: String,
    pub metric: String,
    pub subject: String,
    /// UTC epoch seconds, end exclusive.
    pub period_start: i64,
    pub period_end: i64,
    pub expected: f64,
    pub observed: f64,
    pub magnitude: f64,
    pub score: f64,
    pub rules_version: i64,
}

/// A stored alarm.
#[derive(Debug, Clone, PartialEq)]
pub struct Alarm {
    pub id: i64,
    pub programme_id: i64,
    pub kind: String,
    pub metric: String,
    pub subject: String,
    pub period_start: i64,
    pub period_end: i64,
    pub expected: f64,
    pub observed: f64,
    pub magnitude: f64,
    pub score: f64,
    pub rules_version: i64,
    pub status: AlarmStatus,
    pub raised_at: i64,
    pub last_seen_at: i64,
    /// Who acknowledged it (their e-mail), if anyone did.
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<i64>,
    pub resolved_at: Option<i64>,
    pub assignee_id: Option<i64>,
}

/// A stored corrective action: its document and the alarm it answers, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionRow {
    pub id: i64,
    pub programme_id: i64,
    pub alarm_id: Option<i64>,
    pub data: Value,
    pub created_at: i64,
    pub updated_at: i64,
}

fn alarm_row(r: &AnyRow) -> Result<Alarm> {
    Ok(Alarm {
        id: col(r, "id")?,
        programme_id: col(r, "programme_id")?,
        kind: col(r, "kind")?,
        metric: col(r, "metric")?,
        subject: col(r, "subject")?,
        period_start: col(r, "period_start")?,
        period_end: col(r, "period_end")?,
        expected: col(r, "expected")?,
        observed: col(r, "observed")?,
        magnitude: col(r, "magnitude")?,
        score: col(r, "score")?,
        rules_version: col(r, "rules_version")?,
        status: parsed_col(r, "status")?,
        raised_at: col(r, "raised_at")?,
        last_seen_at: col(r, "last_seen_at")?,
        acknowledged_by: col(r, "acknowledged_by")?,
        acknowledged_at: col(r, "acknowledged_at")?,
        resolved_at: col(r, "resolved_at")?,
        assignee_id: col(r, "assignee_id")?,
    })
}

fn alarm_json(a: &Alarm) -> Value {
    json!({
        "id": a.id, "kind": a.kind, "metric": a.metric, "subject": a.subject,
        "period_start": a.period_start, "period_end": a.period_end,
        "expected": a.expected, "observed": a.observed, "magnitude": a.magnitude,
        "status": a.status.as_str(), "acknowledged_by": a.acknowledged_by,
        "assignee_id": a.assignee_id, "rules_version": a.rules_version,
    })
}

fn action_row(r: &AnyRow) -> Result<ActionRow> {
    let data: String = col(r, "data")?;
    Ok(ActionRow {
        id: col(r, "id")?,
        programme_id: col(r, "programme_id")?,
        alarm_id: col(r, "alarm_id")?,
        data: serde_json::from_str(&data)
            .map_err(|e| StoreError::Corrupt(format!("corrective action data: {e}")))?,
        created_at: col(r, "created_at")?,
        updated_at: col(r, "updated_at")?,
    })
}

const ALARM_COLUMNS: &str = "id, programme_id, kind, metric, subject, period_start, period_end, \
    expected, observed, magnitude, score, rules_version, status, raised_at, last_seen_at, \
    acknowledged_by, acknowledged_at, resolved_at, assignee_id";

impl Store {
    /// The latest version of a programme's alarm rules, if any was saved.
    pub async fn alarm_rules(&self, programme_id: i64) -> Result<Option<RulesVersion>> {
        let row = sqlx::query(
            "SELECT programme_id, version, rules_json, created_at, created_by FROM alarm_rules
             WHERE programme_id = $1 ORDER BY version DESC LIMIT 1",
        )
        .bind(programme_id)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| {
            let rules: String = col(&r, "rules_json")?;
            Ok(RulesVersion {
                programme_id: col(&r, "programme_id")?,
                version: col(&r, "version")?,
                rules: serde_json::from_str(&rules)
                    .map_err(|e| StoreError::Corrupt(format!("alarm rules: {e}")))?,
                created_at: col(&r, "created_at")?,
                created_by: col(&r, "created_by")?,
            })
        })
        .transpose()
    }

    /// Saves `rules` as the programme's next version of its alarm rules.
    pub async fn save_alarm_rules(
        &self,
        actor: &Actor,
        programme_id: i64,
        rules: &Value,
    ) -> Result<RulesVersion> {
        let mut tx = self.write_tx().await?;
        let last: Option<i64> =
            sqlx::query_scalar("SELECT MAX(version) FROM alarm_rules WHERE programme_id = $1")
                .bind(programme_id)
                .fetch_one(&mut *tx)
                .await?;
        let version = last.unwrap_or(0) + 1;
        let at = now();
        sqlx::query(
            "INSERT INTO alarm_rules (programme_id, version, rules_json, created_at, created_by)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(programme_id)
        .bind(version)
        .bind(rules.to_string())
        .bind(at)
        .bind(&actor.label)
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            if StoreError::is_unique_violation(&e) {
                StoreError::Conflict("alarm_rules.version")
            } else {
                e.into()
            }
        })?;
        audit::record(
            &mut tx,
            actor,
            Change {
                entity: "alarm_rules",
                entity_id: version.to_string(),
                programme_id: Some(programme_id),
                action: "create",
                before: None,
                after: Some(json!({ "version": version, "rules": rules })),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(RulesVersion {
            programme_id,
            version,
            rules: rules.clone(),
            created_at: at,
            created_by: actor.label.clone(),
        })
    }

    /// Records what an evaluation found, in one transaction: an alarm seen before (same
    /// fingerprint) gets its new end, figures and sighting time; a new one is raised open.
    /// Returns every alarm of `found`, as stored.
    pub async fn record_alarms(
        &self,
        actor: &Actor,
        programme_id: i64,
        found: &[NewAlarm],
    ) -> Result<Vec<Alarm>> {
        let mut tx = self.write_tx().await?;
        let at = now();
        let mut ids = Vec::with_capacity(found.len());
        for a in found {
            let existing: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM alarms WHERE programme_id = $1 AND fingerprint = $2",
            )
            .bind(programme_id)
            .bind(&a.fingerprint)
            .fetch_optional(&mut *tx)
            .await?;
            let id = match existing {
                Some(id) => {
                    sqlx::query(
                        "UPDATE alarms SET period_end = $1, expected = $2, observed = $3,
                         magnitude = $4, score = $5, last_seen_at = $6 WHERE id = $7",
                    )
                    .bind(a.period_end)
                    .bind(a.expected)
                    .bind(a.observed)
                    .bind(a.magnitude)
                    .bind(a.score)
                    .bind(at)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                    id
                }
                None => {
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO alarms (programme_id, fingerprint, kind, metric, subject,
                         period_start, period_end, expected, observed, magnitude, score,
                         rules_version, status, raised_at, last_seen_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'open', $13, $13)
                         RETURNING id",
                    )
                    .bind(programme_id)
                    .bind(&a.fingerprint)
                    .bind(&a.kind)
                    .bind(&a.metric)
                    .bind(&a.subject)
                    .bind(a.period_start)
                    .bind(a.period_end)
                    .bind(a.expected)
                    .bind(a.observed)
                    .bind(a.magnitude)
                    .bind(a.score)
                    .bind(a.rules_version)
                    .bind(at)
                    .fetch_one(&mut *tx)
                    .await?;
                    audit::record(
                        &mut tx,
                        actor,
                        Change {
                            entity: "alarm",
                            entity_id: id.to_string(),
                            programme_id: Some(programme_id),
                            action: "raise",
                            before: None,
                            after: Some(json!({
                                "kind": a.kind, "metric": a.metric, "subject": a.subject,
                                "period_start": a.period_start, "period_end": a.period_end,
                                "magnitude": a.magnitude,
                            })),
                        },
                    )
                    .await?;
                    id
                }
            };
            ids.push(id);
        }
        tx.commit().await?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(self.alarm(programme_id, id).await?);
        }
        Ok(out)
    }

    /// The programme's alarms, newest period first; only those not resolved when `open_only`.
    pub async fn alarms(&self, programme_id: i64, open_only: bool) -> Result<Vec<Alarm>> {
        let filter = if open_only {
            " AND status <> 'resolved'"
        } else {
            ""
        };
        let rows = sqlx::query(&format!(
            "SELECT {ALARM_COLUMNS} FROM alarms WHERE programme_id = $1{filter}
             ORDER BY period_start DESC, id DESC"
        ))
        .bind(programme_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(alarm_row).collect()
    }

    /// One alarm of the programme.
    pub async fn alarm(&self, programme_id: i64, id: i64) -> Result<Alarm> {
        let row = sqlx::query(&format!(
            "SELECT {ALARM_COLUMNS} FROM alarms WHERE programme_id = $1 AND id = $2"
        ))
        .bind(programme_id)
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)?;
        alarm_row(&row)
    }

    /// Moves an alarm along its lifecycle and/or sets its assignee (`Some(None)` clears it).
    /// Acknowledging records who did it and when; resolving records when.
    pub async fn update_alarm(
        &self,
        actor: &Actor,
        programme_id: i64,
        id: i64,
        status: Option<AlarmStatus>,
        assignee: Option<Option<i64>>,
    ) -> Result<Alarm> {
        let before = self.alarm(programme_id, id).await?;
        let mut tx = self.write_tx().await?;
        let at = now();
        if let Some(s) = status {
            let (ack_by, ack_at, resolved_at) = match s {
                AlarmStatus::Open => (None, None, None),
                AlarmStatus::Acknowledged => (Some(actor.label.clone()), Some(at), None),
                AlarmStatus::Resolved => (
                    before.acknowledged_by.clone().or(Some(actor.label.clone())),
                    before.acknowledged_at.or(Some(at)),
                    Some(at),
                ),
            };
            sqlx::query(
                "UPDATE alarms SET status = $1, acknowledged_by = $2, acknowledged_at = $3,
                 resolved_at = $4 WHERE id = $5 AND programme_id = $6",
            )
            .bind(s.as_str())
            .bind(ack_by)
            .bind(ack_at)
            .bind(resolved_at)
            .bind(id)
            .bind(programme_id)
            .execute(&mut *tx)
            .await?;
        }
        if let Some(a) = assignee {
            sqlx::query("UPDATE alarms SET assignee_id = $1 WHERE id = $2 AND programme_id = $3")
                .bind(a)
                .bind(id)
                .bind(programme_id)
                .execute(&mut *tx)
                .await
                .map_err(|e| {
                    if matches!(&e, sqlx::Error::Database(d) if d.is_foreign_key_violation()) {
                        StoreError::UnknownReference("user")
                    } else {
                        e.into()
                    }
                })?;
        }
        let row = sqlx::query(&format!(
            "SELECT {ALARM_COLUMNS} FROM alarms WHERE programme_id = $1 AND id = $2"
        ))
        .bind(programme_id)
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        let after = alarm_row(&row)?;
        audit::record(
            &mut tx,
            actor,
            Change {
                entity: "alarm",
                entity_id: id.to_string(),
                programme_id: Some(programme_id),
                action: "update",
                before: Some(alarm_json(&before)),
                after: Some(alarm_json(&after)),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Adds a corrective action.
    pub async fn create_action(
        &self,
        actor: &Actor,
        programme_id: i64,
        alarm_id: Option<i64>,
        data: &Value,
    ) -> Result<ActionRow> {
        let mut tx = self.write_tx().await?;
        let at = now();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO corrective_actions (programme_id, alarm_id, data, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $4) RETURNING id",
        )
        .bind(programme_id)
        .bind(alarm_id)
        .bind(data.to_string())
        .bind(at)
        .fetch_one(&mut *tx)
        .await?;
        audit::record(
            &mut tx,
            actor,
            Change {
                entity: "corrective_action",
                entity_id: id.to_string(),
                programme_id: Some(programme_id),
                action: "create",
                before: None,
                after: Some(json!({ "alarm_id": alarm_id, "data": data })),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(ActionRow {
            id,
            programme_id,
            alarm_id,
            data: data.clone(),
            created_at: at,
            updated_at: at,
        })
    }

    /// Replaces a corrective action's document.
    pub async fn update_action(
        &self,
        actor: &Actor,
        programme_id: i64,
        id: i64,
        data: &Value,
    ) -> Result<ActionRow> {
        let before = self.action(programme_id, id).await?;
        let mut tx = self.write_tx().await?;
        let at = now();
        sqlx::query(
            "UPDATE corrective_actions SET data = $1, updated_at = $2
             WHERE id = $3 AND programme_id = $4",
        )
        .bind(data.to_string())
        .bind(at)
        .bind(id)
        .bind(programme_id)
        .execute(&mut *tx)
        .await?;
        audit::record(
            &mut tx,
            actor,
            Change {
                entity: "corrective_action",
                entity_id: id.to_string(),
                programme_id: Some(programme_id),
                action: "update",
                before: Some(before.data.clone()),
                after: Some(data.clone()),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(ActionRow {
            data: data.clone(),
            updated_at: at,
            ..before
        })
    }

    /// The programme's corrective actions, newest first.
    pub async fn actions(&self, programme_id: i64) -> Result<Vec<ActionRow>> {
        let rows = sqlx::query(
            "SELECT id, programme_id, alarm_id, data, created_at, updated_at
             FROM corrective_actions WHERE programme_id = $1 ORDER BY id DESC",
        )
        .bind(programme_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(action_row).collect()
    }

    /// One corrective action of the programme.
    pub async fn action(&self, programme_id: i64, id: i64) -> Result<ActionRow> {
        let row = sqlx::query(
            "SELECT id, programme_id, alarm_id, data, created_at, updated_at
             FROM corrective_actions WHERE programme_id = $1 AND id = $2",
        )
        .bind(programme_id)
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)?;
        action_row(&row)
    }
}

#[cfg(test)]
mod tests {
    use rumbo_domain::programme::{NewProgramme, ProgrammeInput};
    use rumbo_domain::rut::Rut;

    use super::*;
    use crate::testing::fresh_store;

    async fn programme(store: &Store) -> i64 {
        let sys = Actor::system("test");
        let rut = Rut::parse("76.086.428-5").unwrap();
        let client = store.create_client(&sys, "Banco", rut).await.unwrap();
        let p = NewProgramme::try_from(ProgrammeInput {
            code: "P1".into(),
            name: "Retención".into(),
            client_id: Some(client.id),
            channels: vec!["chat".into()],
            start_date: "2026-01-01".into(),
            ..Default::default()
        })
        .unwrap();
        store.create_programme(&sys, &p).await.unwrap().id
    }

    fn found(fp: &str, end: i64) -> NewAlarm {
        NewAlarm {
            fingerprint: fp.into(),
            kind: "volume_anomaly".into(),
            metric: "offered".into(),
            subject: String::new(),
            period_start: 0,
            period_end: end,
            expected: 100.0,
            observed: 140.0,
            magnitude: 0.4,
            score: 5.0,
            rules_version: 0,
        }
    }

    #[tokio::test]
    async fn an_alarm_seen_again_is_updated_not_raised_twice_and_moves_through_its_lifecycle() {
        let store = fresh_store().await.unwrap();
        let actor = Actor::system("test");
        let pid = programme(&store).await;
        let first = store
            .record_alarms(&actor, pid, &[found("a", 900)])
            .await
            .unwrap();
        let again = store
            .record_alarms(&actor, pid, &[found("a", 1800)])
            .await
            .unwrap();
        assert_eq!(first[0].id, again[0].id);
        assert_eq!(again[0].period_end, 1800);
        assert_eq!(store.alarms(pid, true).await.unwrap().len(), 1);

        let who = Actor::user(1, "jefa@x.cl");
        let ack = store
            .update_alarm(
                &who,
                pid,
                first[0].id,
                Some(AlarmStatus::Acknowledged),
                None,
            )
            .await
            .unwrap();
        assert_eq!(ack.status, AlarmStatus::Acknowledged);
        assert_eq!(ack.acknowledged_by.as_deref(), Some("jefa@x.cl"));
        let done = store
            .update_alarm(&actor, pid, first[0].id, Some(AlarmStatus::Resolved), None)
            .await
            .unwrap();
        assert_eq!(done.acknowledged_by.as_deref(), Some("jefa@x.cl"));
        assert!(done.resolved_at.is_some());
        assert!(store.alarms(pid, true).await.unwrap().is_empty());
        let history = store.audit_for_programme(pid, 100).await.unwrap();
        assert_eq!(history.iter().filter(|e| e.entity == "alarm").count(), 3);
    }

    #[tokio::test]
    async fn rules_are_versioned_and_the_latest_is_read() {
        let store = fresh_store().await.unwrap();
        let actor = Actor::system("test");
        let pid = programme(&store).await;
        assert!(store.alarm_rules(pid).await.unwrap().is_none());
        store
            .save_alarm_rules(&actor, pid, &json!({"z": 3.5}))
            .await
            .unwrap();
        let v2 = store
            .save_alarm_rules(&actor, pid, &json!({"z": 4.0}))
            .await
            .unwrap();
        assert_eq!(v2.version, 2);
        assert_eq!(
            store.alarm_rules(pid).await.unwrap().unwrap().rules["z"],
            4.0
        );
    }
}
