//! Data protection: the record of processing per programme, the register of data-subject
//! requests, the breach register, the suppression list, the purge log, and the primitives the
//! person search and erasure need (raw records by batch, issue and audit texts).
//!
//! Nothing here decides what a person's data are: the use cases find them (through the keyed
//! caller hash) and hand back what to keep. Every change is audited in its transaction, and
//! the audit rows of these registers never hold a caller number or its hash.

use std::io::Write;
use std::path::Path;

use jiff::civil::Date;
use rumbo_domain::privacy::{DataClass, RequestKind, RequestStatus, SuppressionReason};
use serde_json::json;
use sqlx::any::AnyRow;

use crate::audit::{self, Actor, Change};
use crate::{col, now, parsed_col, parsed_opt_col, Backend, Result, Store, StoreError};

/// One data-subject request as registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RightsRequest {
    pub id: i64,
    pub kind: RequestKind,
    /// Who asked, minimised (a masked number, initials): never an identifier in clear.
    pub subject: String,
    /// How the request arrived (e-mail, letter, phone…).
    pub channel: String,
    pub received_on: Date,
    /// When receipt was acknowledged (epoch seconds).
    pub acknowledged_at: Option<i64>,
    pub identity_checked: bool,
    pub due_on: Date,
    pub extended: bool,
    pub extension_reason: String,
    pub status: RequestStatus,
    pub answered_on: Option<Date>,
    pub answer: String,
    pub denial_reason: String,
    /// Last day to complain to the Agencia after a denial.
    pub complain_until: Option<Date>,
    /// Evidence of the reply (reference, digest of the letter sent).
    pub proof: String,
    pub created_at: i64,
}

fn request_row(r: &AnyRow) -> Result<RightsRequest> {
    let ack: Option<i64> = col(r, "acknowledged_at")?;
    Ok(RightsRequest {
        id: col(r, "id")?,
        kind: parsed_col(r, "kind")?,
        subject: col(r, "subject")?,
        channel: col(r, "channel")?,
        received_on: parsed_col(r, "received_on")?,
        acknowledged_at: ack,
        identity_checked: col::<i64>(r, "identity_checked")? != 0,
        due_on: parsed_col(r, "due_on")?,
        extended: col::<i64>(r, "extended")? != 0,
        extension_reason: col(r, "extension_reason")?,
        status: parsed_col(r, "status")?,
        answered_on: parsed_opt_col(r, "answered_on")?,
        answer: col(r, "answer")?,
        denial_reason: col(r, "denial_reason")?,
        complain_until: parsed_opt_col(r, "complain_until")?,
        proof: col(r, "proof")?,
        created_at: col(r, "created_at")?,
    })
}

fn request_json(q: &RightsRequest) -> serde_json::Value {
    json!({
        "kind": q.kind.as_str(), "subject": q.subject, "channel": q.channel,
        "received_on": q.received_on.to_string(), "due_on": q.due_on.to_string(),
        "identity_checked": q.identity_checked, "extended": q.extended,
        "status": q.status.as_str(),
        "answered_on": q.answered_on.map(|d| d.to_string()),
        "complain_until": q.complain_until.map(|d| d.to_string()),
        "proof": q.proof,
    })
}

/// A batch that retained raw records: what the person search reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawBatchRef {
    pub batch_id: i64,
    pub programme_id: i64,
    /// Source of the batch (`queue-log`, `calls`, `quality`, …).
    pub source: String,
    /// CSV header of its records.
    pub header: String,
    /// When the batch was committed (epoch seconds).
    pub created_at: i64,
}

/// One segment of a batch's raw records, identified by its offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawPart {
    pub queue: String,
    pub interval_start: i64,
    /// Records, one per line (each ending in a newline).
    pub bytes: Vec<u8>,
}

/// A data-quality finding whose text matched a search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueText {
    pub batch_id: i64,
    pub programme_id: i64,
    pub line: i64,
    pub kind: String,
    pub message: String,
}

/// One line of the purge log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurgeEntry {
    pub id: i64,
    pub at: i64,
    pub actor: String,
    pub data_class: DataClass,
    pub cutoff: i64,
    pub removed: i64,
}

/// A JSON document of a register (record of processing, breach) with its id and times.
#[derive(Debug, Clone, PartialEq)]
pub struct Doc {
    pub id: i64,
    pub data: serde_json::Value,
    pub created_at: i64,
    pub updated_at: i64,
}

fn doc_row(r: &AnyRow, id_col: &str) -> Result<Doc> {
    let text: String = col(r, "data")?;
    Ok(Doc {
        id: col(r, id_col)?,
        data: serde_json::from_str(&text)
            .map_err(|e| StoreError::Corrupt(format!("privacy document: {e}")))?,
        created_at: col(r, "created_at")?,
        updated_at: col(r, "updated_at")?,
    })
}

impl Store {
    /// The record of processing of a programme, if one was written.
    pub async fn processing_record(&self, programme_id: i64) -> Result<Option<Doc>> {
        let r = sqlx::query(
            "SELECT programme_id, data, updated_at AS created_at, updated_at FROM processing_records WHERE programme_id = $1",
        )
        .bind(programme_id)
        .fetch_optional(self.pool())
        .await?;
        r.as_ref().map(|r| doc_row(r, "programme_id")).transpose()
    }

    /// Writes (replaces) the record of processing of a programme.
    pub async fn set_processing_record(
        &self,
        actor: &Actor,
        programme_id: i64,
        data: &serde_json::Value,
    ) -> Result<()> {
        let before = self.processing_record(programme_id).await?.map(|d| d.data);
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO processing_records (programme_id, data, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (programme_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at",
        )
        .bind(programme_id)
        .bind(data.to_string())
        .bind(now())
        .execute(&mut *tx)
        .await?;
        audit::record(
            &mut tx,
            actor,
            Change {
                entity: "processing_record",
                entity_id: programme_id.to_string(),
                programme_id: Some(programme_id),
                action: if before.is_some() { "update" } else { "create" },
                before,
                after: Some(data.clone()),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Registers a request; returns it with its id.
    pub async fn insert_rights_request(
        &self,
        actor: &Actor,
        q: &RightsRequest,
    ) -> Result<RightsRequest> {
        let mut tx = self.write_tx().await?;
        let t = now();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO rights_requests (kind, subject, channel, received_on, acknowledged_at, identity_checked,
               due_on, extended, extension_reason, status, answered_on, answer, denial_reason, complain_until,
               proof, created_by, created_at, updated_at)
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$17) RETURNING id",
        )
        .bind(q.kind.as_str())
        .bind(&q.subject)
        .bind(&q.channel)
        .bind(q.received_on.to_string())
        .bind(q.acknowledged_at)
        .bind(i64::from(q.identity_checked))
        .bind(q.due_on.to_string())
        .bind(i64::from(q.extended))
        .bind(&q.extension_reason)
        .bind(q.status.as_str())
        .bind(q.answered_on.map(|d| d.to_string()))
        .bind(&q.answer)
        .bind(&q.denial_reason)
        .bind(q.complain_until.map(|d| d.to_string()))
        .bind(&q.proof)
        .bind(actor.user_id)
        .bind(t)
        .fetch_one(&mut *tx)
        .await?;
        let saved = RightsRequest {
            id,
            created_at: t,
            ..q.clone()
        };
        audit::record(
            &mut tx,
            actor,
            Change {
                entity: "rights_request",
                entity_id: id.to_string(),
                programme_id: None,
                action: "create",
                before: None,
                after: Some(request_json(&saved)),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// Saves every field of a registered request.
    pub async fn update_rights_request(&self, actor: &Actor, q: &RightsRequest) -> Result<()> {
        let before = self.rights_request(q.id).await?;
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "UPDATE rights_requests SET subject = $2, channel = $3, acknowledged_at = $4, identity_checked = $5,
               due_on = $6, extended = $7, extension_reason = $8, status = $9, answered_on = $10, answer = $11,
               denial_reason = $12, complain_until = $13, proof = $14, updated_at = $15
             WHERE id = $1",
        )
        .bind(q.id)
        .bind(&q.subject)
        .bind(&q.channel)
        .bind(q.acknowledged_at)
        .bind(i64::from(q.identity_checked))
        .bind(q.due_on.to_string())
        .bind(i64::from(q.extended))
        .bind(&q.extension_reason)
        .bind(q.status.as_str())
        .bind(q.answered_on.map(|d| d.to_string()))
        .bind(&q.answer)
        .bind(&q.denial_reason)
        .bind(q.complain_until.map(|d| d.to_string()))
        .bind(&q.proof)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        audit::record(
            &mut tx,
            actor,
            Change {
                entity: "rights_request",
                entity_id: q.id.to_string(),
                programme_id: None,
                action: "update",
                before: Some(request_json(&before)),
                after: Some(request_json(q)),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// One request.
    pub async fn rights_request(&self, id: i64) -> Result<RightsRequest> {
        let r = sqlx::query("SELECT * FROM rights_requests WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        request_row(&r)
    }

    /// Every request, the ones due soonest first.
    pub async fn rights_requests(&self) -> Result<Vec<RightsRequest>> {
        let rows = sqlx::query("SELECT * FROM rights_requests ORDER BY due_on, id")
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(request_row).collect()
    }

    /// Records an audit entry of a privacy action that changes no register row (a search, an
    /// export, an erasure). `detail` must not hold the identifier searched for.
    pub async fn audit_privacy_action(
        &self,
        actor: &Actor,
        action: &str,
        request_id: Option<i64>,
        detail: serde_json::Value,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        audit::record(
            &mut tx,
            actor,
            Change {
                entity: "privacy",
                entity_id: request_id.map(|i| i.to_string()).unwrap_or_default(),
                programme_id: None,
                action,
                before: None,
                after: Some(detail),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Registers a breach; returns its id.
    pub async fn insert_breach(&self, actor: &Actor, data: &serde_json::Value) -> Result<i64> {
        let mut tx = self.write_tx().await?;
        let t = now();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO breaches (data, created_at, updated_at) VALUES ($1, $2, $2) RETURNING id",
        )
        .bind(data.to_string())
        .bind(t)
        .fetch_one(&mut *tx)
        .await?;
        audit::record(
            &mut tx,
            actor,
            Change {
                entity: "breach",
                entity_id: id.to_string(),
                programme_id: None,
                action: "create",
                before: None,
                after: Some(data.clone()),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Replaces a breach's record.
    pub async fn update_breach(
        &self,
        actor: &Actor,
        id: i64,
        data: &serde_json::Value,
    ) -> Result<()> {
        let before = self.breach(id).await?;
        let mut tx = self.write_tx().await?;
        sqlx::query("UPDATE breaches SET data = $2, updated_at = $3 WHERE id = $1")
            .bind(id)
            .bind(data.to_string())
            .bind(now())
            .execute(&mut *tx)
            .await?;
        audit::record(
            &mut tx,
            actor,
            Change {
                entity: "breach",
                entity_id: id.to_string(),
                programme_id: None,
                action: "update",
                before: Some(before.data),
                after: Some(data.clone()),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// One breach.
    pub async fn breach(&self, id: i64) -> Result<Doc> {
        let r = sqlx::query("SELECT * FROM breaches WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        doc_row(&r, "id")
    }

    /// Every breach, newest first.
    pub async fn breaches(&self) -> Result<Vec<Doc>> {
        let rows = sqlx::query("SELECT * FROM breaches ORDER BY id DESC")
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|r| doc_row(r, "id")).collect()
    }

    /// Adds a caller hash to the suppression list (idempotent); true when it was new.
    pub async fn suppress_caller(
        &self,
        actor: &Actor,
        caller_hash: &str,
        reason: SuppressionReason,
        request_id: Option<i64>,
    ) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        let added = sqlx::query(
            "INSERT INTO suppressed_callers (caller_hash, request_id, reason, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (caller_hash) DO NOTHING",
        )
        .bind(caller_hash)
        .bind(request_id)
        .bind(reason.as_str())
        .bind(now())
        .execute(&mut *tx)
        .await?
        .rows_affected()
            > 0;
        if added {
            // The audit row names the request, never the hash.
            audit::record(
                &mut tx,
                actor,
                Change {
                    entity: "suppression",
                    entity_id: request_id.map(|i| i.to_string()).unwrap_or_default(),
                    programme_id: None,
                    action: "create",
                    before: None,
                    after: Some(json!({ "reason": reason.as_str() })),
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(added)
    }

    /// The reason a caller hash is on the suppression list, if it is.
    pub async fn suppression_of(&self, caller_hash: &str) -> Result<Option<SuppressionReason>> {
        let r: Option<String> =
            sqlx::query_scalar("SELECT reason FROM suppressed_callers WHERE caller_hash = $1")
                .bind(caller_hash)
                .fetch_optional(self.pool())
                .await?;
        r.map(|t| crate::parse_stored("reason", &t)).transpose()
    }

    /// Every suppressed caller hash (what an import checks against).
    pub async fn suppressed_callers(&self) -> Result<Vec<String>> {
        Ok(
            sqlx::query_scalar("SELECT caller_hash FROM suppressed_callers ORDER BY caller_hash")
                .fetch_all(self.pool())
                .await?,
        )
    }

    /// How many numbers the suppression list holds, by reason.
    pub async fn suppression_counts(&self) -> Result<Vec<(SuppressionReason, i64)>> {
        let rows = sqlx::query(
            "SELECT reason, COUNT(*) AS n FROM suppressed_callers GROUP BY reason ORDER BY reason",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok((parsed_col(r, "reason")?, col(r, "n")?)))
            .collect()
    }

    /// Every batch that retained raw records.
    pub async fn raw_batch_refs(&self) -> Result<Vec<RawBatchRef>> {
        let rows = sqlx::query(
            "SELECT id, programme_id, source, raw_header, created_at FROM import_batches
             WHERE raw_header IS NOT NULL ORDER BY id",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(RawBatchRef {
                    batch_id: col(r, "id")?,
                    programme_id: col(r, "programme_id")?,
                    source: col(r, "source")?,
                    header: col(r, "raw_header")?,
                    created_at: col(r, "created_at")?,
                })
            })
            .collect()
    }

    /// The raw records of a batch, segment by segment in stored order.
    pub async fn raw_parts(&self, data_dir: &Path, batch_id: i64) -> Result<Vec<RawPart>> {
        let rows = sqlx::query(
            "SELECT s.queue, s.interval_start, s.byte_offset, s.byte_len, s.data, b.data_path,
                    b.raw_codec
             FROM raw_segments s JOIN import_batches b ON b.id = s.batch_id
             WHERE s.batch_id = $1 ORDER BY s.byte_offset",
        )
        .bind(batch_id)
        .fetch_all(self.pool())
        .await?;
        let mut file: Option<Vec<u8>> = None;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let data: Option<Vec<u8>> = col(r, "data")?;
            let bytes = match data {
                Some(d) => d,
                None => {
                    if file.is_none() {
                        let path: Option<String> = col(r, "data_path")?;
                        let path = path.ok_or_else(|| {
                            StoreError::Corrupt("raw segment without data or file".into())
                        })?;
                        file = Some(
                            tokio::fs::read(data_dir.join(path))
                                .await
                                .map_err(|e| StoreError::Corrupt(format!("raw records: {e}")))?,
                        );
                    }
                    let all = file.as_deref().unwrap_or_default();
                    let off: i64 = col(r, "byte_offset")?;
                    let len: i64 = col(r, "byte_len")?;
                    let (a, b) = (off.max(0) as usize, (off + len).max(0) as usize);
                    all.get(a..b)
                        .ok_or_else(|| StoreError::Corrupt("raw segment out of its file".into()))?
                        .to_vec()
                }
            };
            let codec: Option<String> = col(r, "raw_codec")?;
            let bytes = crate::raw::decode(codec.as_deref(), bytes)?;
            out.push(RawPart {
                queue: col(r, "queue")?,
                interval_start: col(r, "interval_start")?,
                bytes,
            });
        }
        Ok(out)
    }

    /// Replaces every raw record of a batch with `parts` (what is kept): a new batch file on
    /// SQLite (the old one is removed after the commit), new rows on PostgreSQL. The batch,
    /// its keys and its aggregates are untouched, so every figure stays as it was. The audit
    /// row says how many records went and why, never which.
    pub async fn rewrite_raw_batch(
        &self,
        data_dir: &Path,
        actor: &Actor,
        batch_id: i64,
        parts: &[RawPart],
        removed: u64,
        why: &str,
    ) -> Result<()> {
        let b = sqlx::query("SELECT programme_id, data_path FROM import_batches WHERE id = $1")
            .bind(batch_id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        let programme_id: i64 = col(&b, "programme_id")?;
        let old_path: Option<String> = col(&b, "data_path")?;
        // Kept segments are stored as new batches are: one zstd frame each.
        let kept: Vec<(&RawPart, i64, Vec<u8>)> = parts
            .iter()
            .filter(|p| !p.bytes.is_empty())
            .map(|p| {
                let n = p.bytes.iter().filter(|&&c| c == b'\n').count() as i64;
                Ok((p, n, crate::raw::compress(&p.bytes)?))
            })
            .collect::<Result<_>>()?;
        let in_files = self.backend() == Backend::Sqlite;
        // On SQLite the kept records go to a new file first, made durable before the commit
        // points at it; a crash in between leaves an orphan that the import cleanup removes.
        let new_path = if in_files && !kept.is_empty() {
            let dir = Path::new("raw").join(programme_id.to_string());
            tokio::fs::create_dir_all(data_dir.join(&dir)).await?;
            let rel = dir.join(format!(
                "b{batch_id}-{}-{:08x}.raw",
                now(),
                rand::random::<u32>()
            ));
            let mut f = std::fs::File::create(data_dir.join(&rel))?;
            for (_, _, frame) in &kept {
                f.write_all(frame)?;
            }
            f.sync_all()?;
            Some(rel.to_string_lossy().into_owned())
        } else {
            None
        };
        let mut tx = self.write_tx().await?;
        sqlx::query("DELETE FROM raw_segments WHERE batch_id = $1")
            .bind(batch_id)
            .execute(&mut *tx)
            .await?;
        let mut offset = 0i64;
        for (p, n, frame) in &kept {
            let len = frame.len() as i64;
            sqlx::query(
                "INSERT INTO raw_segments (batch_id, programme_id, queue, interval_start, n, byte_offset, byte_len, data)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(batch_id)
            .bind(programme_id)
            .bind(&p.queue)
            .bind(p.interval_start)
            .bind(*n)
            .bind(offset)
            .bind(len)
            .bind(if in_files { None } else { Some(frame.clone()) })
            .execute(&mut *tx)
            .await?;
            offset += len;
        }
        if in_files {
            sqlx::query("UPDATE import_batches SET data_path = $2 WHERE id = $1")
                .bind(batch_id)
                .bind(&new_path)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("UPDATE import_batches SET raw_codec = $2 WHERE id = $1")
            .bind(batch_id)
            .bind(crate::raw::CODEC)
            .execute(&mut *tx)
            .await?;
        audit::record(
            &mut tx,
            actor,
            Change {
                entity: "import_batch",
                entity_id: batch_id.to_string(),
                programme_id: Some(programme_id),
                action: "redact",
                before: None,
                after: Some(json!({ "records_removed": removed, "reason": why })),
            },
        )
        .await?;
        tx.commit().await?;
        if in_files {
            if let Some(old) = old_path {
                if new_path.as_deref() != Some(old.as_str()) {
                    let _ = tokio::fs::remove_file(data_dir.join(old)).await;
                }
            }
        }
        Ok(())
    }

    /// Data-quality findings whose message contains `needle` (a prefilter; the caller
    /// decides what really matches).
    pub async fn issues_containing(&self, needle: &str) -> Result<Vec<IssueText>> {
        let rows = sqlx::query(
            "SELECT i.batch_id, b.programme_id, i.line, i.kind, i.message FROM import_issues i
             JOIN import_batches b ON b.id = i.batch_id WHERE i.message LIKE $1 ORDER BY i.batch_id, i.line",
        )
        .bind(like_pattern(needle))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(IssueText {
                    batch_id: col(r, "batch_id")?,
                    programme_id: col(r, "programme_id")?,
                    line: col(r, "line")?,
                    kind: col(r, "kind")?,
                    message: col(r, "message")?,
                })
            })
            .collect()
    }

    /// Replaces the message of one finding (redaction after an erasure).
    pub async fn redact_issue(&self, issue: &IssueText, message: &str) -> Result<()> {
        sqlx::query(
            "UPDATE import_issues SET message = $4 WHERE batch_id = $1 AND line = $2 AND message = $3",
        )
        .bind(issue.batch_id)
        .bind(issue.line)
        .bind(&issue.message)
        .bind(message)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Audit entries whose before or after value contains `needle` (a prefilter).
    pub async fn audit_containing(&self, needle: &str) -> Result<Vec<crate::AuditEntry>> {
        let rows = sqlx::query(
            "SELECT * FROM audit_log WHERE before_json LIKE $1 OR after_json LIKE $1 OR actor LIKE $1 ORDER BY id",
        )
        .bind(like_pattern(needle))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(audit::from_row).collect()
    }

    /// Replaces the before/after values and the actor label of one audit entry: the one
    /// exception to the append-only log, for erasure; the entry stays, redacted.
    pub async fn redact_audit_entry(
        &self,
        id: i64,
        actor: &str,
        before: Option<&serde_json::Value>,
        after: Option<&serde_json::Value>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE audit_log SET actor = $2, before_json = $3, after_json = $4 WHERE id = $1",
        )
        .bind(id)
        .bind(actor)
        .bind(before.map(|v| v.to_string()))
        .bind(after.map(|v| v.to_string()))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Anonymises a person of the organisation (name replaced, e-mail removed).
    pub async fn anonymise_person(&self, actor: &Actor, id: i64, name: &str) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let n = sqlx::query("UPDATE people SET name = $2, email = NULL WHERE id = $1")
            .bind(id)
            .bind(name)
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
                entity: "person",
                entity_id: id.to_string(),
                programme_id: None,
                action: "redact",
                before: None,
                after: Some(json!({ "name": name })),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Anonymises a user account: name and e-mail replaced, deactivated, sessions and
    /// tokens gone.
    pub async fn anonymise_user(&self, actor: &Actor, id: i64, name: &str) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let n = sqlx::query(
            "UPDATE users SET name = $2, email = $3, active = 0, password_hash = '' WHERE id = $1",
        )
        .bind(id)
        .bind(name)
        .bind(format!("erased-{id}@invalid"))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        for sql in [
            "DELETE FROM sessions WHERE user_id = $1",
            "DELETE FROM api_tokens WHERE user_id = $1",
        ] {
            sqlx::query(sql).bind(id).execute(&mut *tx).await?;
        }
        audit::record(
            &mut tx,
            actor,
            Change {
                entity: "user",
                entity_id: id.to_string(),
                programme_id: None,
                action: "redact",
                before: None,
                after: Some(json!({ "name": name })),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes the findings of batches committed before `cutoff`; the batch counts stay.
    pub async fn purge_issues_before(&self, cutoff: i64, dry_run: bool) -> Result<i64> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM import_issues WHERE batch_id IN (SELECT id FROM import_batches WHERE created_at < $1)",
        )
        .bind(cutoff)
        .fetch_one(self.pool())
        .await?;
        if !dry_run && n > 0 {
            sqlx::query(
                "DELETE FROM import_issues WHERE batch_id IN (SELECT id FROM import_batches WHERE created_at < $1)",
            )
            .bind(cutoff)
            .execute(self.pool())
            .await?;
        }
        Ok(n)
    }

    /// Removes audit entries older than `cutoff`.
    pub async fn purge_audit_before(&self, cutoff: i64, dry_run: bool) -> Result<i64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE at < $1")
            .bind(cutoff)
            .fetch_one(self.pool())
            .await?;
        if !dry_run && n > 0 {
            sqlx::query("DELETE FROM audit_log WHERE at < $1")
                .bind(cutoff)
                .execute(self.pool())
                .await?;
        }
        Ok(n)
    }

    /// Records one purge in the purge log.
    pub async fn record_purge(
        &self,
        actor: &Actor,
        class: DataClass,
        cutoff: i64,
        removed: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO purge_log (at, actor, data_class, cutoff, removed) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(now())
        .bind(&actor.label)
        .bind(class.as_str())
        .bind(cutoff)
        .bind(removed)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The purge log, newest first.
    pub async fn purge_log(&self, limit: i64) -> Result<Vec<PurgeEntry>> {
        let rows = sqlx::query("SELECT * FROM purge_log ORDER BY id DESC LIMIT $1")
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(PurgeEntry {
                    id: col(r, "id")?,
                    at: col(r, "at")?,
                    actor: col(r, "actor")?,
                    data_class: parsed_col(r, "data_class")?,
                    cutoff: col(r, "cutoff")?,
                    removed: col(r, "removed")?,
                })
            })
            .collect()
    }
}

/// A LIKE pattern for "contains", with the wildcard characters of the needle escaped away.
fn like_pattern(needle: &str) -> String {
    let clean: String = needle
        .chars()
        .filter(|c| !matches!(c, '%' | '_' | '\\'))
        .collect();
    format!("%{clean}%")
}

impl Store {
    /// Rewrites the database so that deleted rows leave no bytes behind (SQLite: `VACUUM`
    /// and a truncating WAL checkpoint; PostgreSQL: `VACUUM` of the tables an erasure
    /// touches, which frees their dead rows for reuse).
    pub async fn compact(&self) -> Result<()> {
        match self.backend() {
            Backend::Sqlite => {
                sqlx::raw_sql("VACUUM").execute(self.pool()).await?;
                sqlx::raw_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                    .execute(self.pool())
                    .await?;
            }
            Backend::Postgres => {
                sqlx::raw_sql("VACUUM raw_segments, import_issues, audit_log, job_file_chunks")
                    .execute(self.pool())
                    .await?;
            }
        }
        Ok(())
    }

    /// Finished jobs and stored uploads from before `cutoff` (what a purge of reports removes).
    pub async fn count_finished_jobs_before(&self, cutoff: i64) -> Result<i64> {
        let jobs: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM jobs WHERE status IN ('done', 'failed') AND finished_at < $1",
        )
        .bind(cutoff)
        .fetch_one(self.pool())
        .await?;
        let files: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM job_files f WHERE f.created_at < $1 AND NOT EXISTS
               (SELECT 1 FROM jobs j WHERE j.file_id = f.id AND j.status IN ('queued', 'running'))",
        )
        .bind(cutoff)
        .fetch_one(self.pool())
        .await?;
        Ok(jobs + files)
    }

    /// Sets `key` to `value` only if it is unset or holds a smaller text (an ISO date moving
    /// forward); true for the one caller that moved it. Lets many servers agree on who does a
    /// daily task.
    pub async fn advance_setting(&self, key: &str, value: &str) -> Result<bool> {
        let n = sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE settings.value < excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(n > 0)
    }
}
