//! Background jobs as rows, and the uploaded files they read, so that any number of servers on
//! one database share the work and a crash loses nothing.
//!
//! A job is `queued` until one worker claims it ([`Store::claim_job`]: `FOR UPDATE SKIP LOCKED`
//! on PostgreSQL, a conditional `UPDATE` inside an immediate write transaction on SQLite), which
//! makes it `running` with that worker's id and one more attempt. The claim is a
//! [`JobFence`]: every later change (heartbeat, progress, done, failed) names it and is refused
//! once the job has been re-queued and claimed again, so a worker that lost its job can never
//! finish it. A running job whose heartbeat is older than the timeout is re-queued (its work is
//! one transaction, so running it again is safe) until it has used `max_attempts`, then failed.
//! A failed job's `error` is a message catalogue key, never internal text.
//!
//! Uploaded bytes are a [`JobFileWriter`] away: on PostgreSQL they are stored in the database in
//! chunks (no server needs a shared disk); on SQLite, in a file under the data folder. Either
//! way [`Store::job_file_to`] puts them in a local file for the worker.

use std::path::{Path, PathBuf};

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};
use tokio::io::AsyncWriteExt;

use crate::{col, now, Backend, Result, Store, StoreError};

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    Queued,
    Running,
    Done,
    Failed,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Done => "done",
            JobStatus::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Result<JobStatus> {
        Ok(match s {
            "queued" => JobStatus::Queued,
            "running" => JobStatus::Running,
            "done" => JobStatus::Done,
            "failed" => JobStatus::Failed,
            other => return Err(StoreError::Corrupt(format!("job status {other:?}"))),
        })
    }

    /// Done or failed: nothing will happen to the job any more.
    pub fn is_finished(self) -> bool {
        matches!(self, JobStatus::Done | JobStatus::Failed)
    }
}

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob<'a> {
    /// What the worker does (`import`).
    pub kind: &'a str,
    pub programme_id: Option<i64>,
    /// The user who asked for it.
    pub created_by: Option<i64>,
    /// JSON parameters of the kind.
    pub payload: &'a str,
    /// The uploaded file it reads, if any.
    pub file_id: Option<i64>,
    /// Units of work in all (bytes of the file for an import).
    pub progress_total: i64,
    /// Claims allowed before a job whose worker keeps disappearing is failed.
    pub max_attempts: i64,
}

/// A stored job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub programme_id: Option<i64>,
    pub created_by: Option<i64>,
    pub payload: String,
    pub file_id: Option<i64>,
    pub status: JobStatus,
    pub progress_done: i64,
    pub progress_total: i64,
    pub attempts: i64,
    pub max_attempts: i64,
    pub worker_id: Option<String>,
    pub heartbeat_at: Option<i64>,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    /// JSON result when done (an import: `{"batch_id": N}`).
    pub result: Option<String>,
    /// Message catalogue key when failed.
    pub error: Option<String>,
}

/// Proof of a claim: which worker holds the job, at which attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobFence {
    pub job_id: i64,
    pub worker_id: String,
    pub attempt: i64,
}

/// What [`Store::requeue_stale_jobs`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Requeued {
    /// Jobs given back to the queue for another attempt.
    pub requeued: u64,
    /// Jobs that had used all their attempts and were failed.
    pub failed: u64,
}

/// What [`Store::prune_jobs`] deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub jobs: u64,
    pub files: u64,
}

/// A stored upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobFile {
    pub id: i64,
    pub size: u64,
}

/// The catalogue key of a job failed because its workers kept disappearing.
pub const ERROR_INTERRUPTED: &str = "error.job.interrupted";

/// Bytes per stored chunk on PostgreSQL.
const CHUNK_BYTES: usize = 1 << 20;

/// The condition that only the current claim satisfies (parameters `$1..$3`).
const FENCE: &str = "id = $1 AND worker_id = $2 AND attempts = $3 AND status = 'running'";

fn job_row(r: &AnyRow) -> Result<Job> {
    let status: String = col(r, "status")?;
    Ok(Job {
        id: col(r, "id")?,
        kind: col(r, "kind")?,
        programme_id: col(r, "programme_id")?,
        created_by: col(r, "created_by")?,
        payload: col(r, "payload")?,
        file_id: col(r, "file_id")?,
        status: JobStatus::parse(&status)?,
        progress_done: col(r, "progress_done")?,
        progress_total: col(r, "progress_total")?,
        attempts: col(r, "attempts")?,
        max_attempts: col(r, "max_attempts")?,
        worker_id: col(r, "worker_id")?,
        heartbeat_at: col(r, "heartbeat_at")?,
        created_at: col(r, "created_at")?,
        started_at: col(r, "started_at")?,
        finished_at: col(r, "finished_at")?,
        result: col(r, "result")?,
        error: col(r, "error")?,
    })
}

fn claimed(r: Option<AnyRow>) -> Result<Option<(Job, JobFence)>> {
    let Some(r) = r else { return Ok(None) };
    let job = job_row(&r)?;
    let fence = JobFence {
        job_id: job.id,
        worker_id: job.worker_id.clone().unwrap_or_default(),
        attempt: job.attempts,
    };
    Ok(Some((job, fence)))
}

/// Marks the fenced job done with `result`, inside the caller's transaction, so the work and
/// its completion commit together. Fails with `Conflict("job.claim")` (and the caller's
/// transaction must roll back) when the claim was lost.
pub(crate) async fn complete_in_tx(
    tx: &mut Transaction<'_, Any>,
    fence: &JobFence,
    result: &str,
) -> Result<()> {
    let t = now();
    let n = sqlx::query(&format!(
        "UPDATE jobs SET status = 'done', result = $4, finished_at = $5, heartbeat_at = $5, progress_done = progress_total WHERE {FENCE}"
    ))
    .bind(fence.job_id)
    .bind(fence.worker_id.clone())
    .bind(fence.attempt)
    .bind(result)
    .bind(t)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if n == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict("job.claim"))
    }
}

const CLAIM_SET: &str =
    "status = 'running', worker_id = $1, attempts = attempts + 1, started_at = $2, heartbeat_at = $2, progress_done = 0";

impl Store {
    /// Adds a queued job; returns its id.
    pub async fn enqueue_job(&self, j: &NewJob<'_>) -> Result<i64> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO jobs (kind, programme_id, created_by, payload, file_id, status, progress_total, max_attempts, created_at)
             VALUES ($1, $2, $3, $4, $5, 'queued', $6, $7, $8) RETURNING id",
        )
        .bind(j.kind)
        .bind(j.programme_id)
        .bind(j.created_by)
        .bind(j.payload)
        .bind(j.file_id)
        .bind(j.progress_total)
        .bind(j.max_attempts.max(1))
        .bind(now())
        .fetch_one(self.pool())
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                StoreError::UnknownReference("job")
            }
            _ => e.into(),
        })?;
        Ok(id)
    }

    /// One job.
    pub async fn job(&self, id: i64) -> Result<Job> {
        let r = sqlx::query("SELECT * FROM jobs WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        job_row(&r)
    }

    /// Claims the oldest queued job for `worker_id`, if any. Two workers never get the same job.
    pub async fn claim_job(&self, worker_id: &str) -> Result<Option<(Job, JobFence)>> {
        match self.backend() {
            Backend::Postgres => {
                let r = sqlx::query(&format!(
                    "UPDATE jobs SET {CLAIM_SET} WHERE id = (SELECT id FROM jobs WHERE status = 'queued' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING *"
                ))
                .bind(worker_id)
                .bind(now())
                .fetch_optional(self.pool())
                .await?;
                claimed(r)
            }
            Backend::Sqlite => {
                // Idle workers poll: look before taking SQLite's single write lock.
                let any: Option<i64> =
                    sqlx::query_scalar("SELECT id FROM jobs WHERE status = 'queued' LIMIT 1")
                        .fetch_optional(self.pool())
                        .await?;
                if any.is_none() {
                    return Ok(None);
                }
                // The immediate transaction holds the write lock: no other claim can run
                // between the choice and the update.
                let mut tx = self.write_tx().await?;
                let r = sqlx::query(&format!(
                    "UPDATE jobs SET {CLAIM_SET} WHERE id = (SELECT id FROM jobs WHERE status = 'queued' ORDER BY id LIMIT 1) AND status = 'queued' RETURNING *"
                ))
                .bind(worker_id)
                .bind(now())
                .fetch_optional(&mut *tx)
                .await?;
                tx.commit().await?;
                claimed(r)
            }
        }
    }

    /// Claims job `id` for `worker_id` if it is still queued (a caller that wants to run its own
    /// job at once); `None` when someone else has it or it is finished.
    pub async fn claim_job_by_id(
        &self,
        id: i64,
        worker_id: &str,
    ) -> Result<Option<(Job, JobFence)>> {
        let mut tx = self.write_tx().await?;
        let r = sqlx::query(&format!(
            "UPDATE jobs SET {CLAIM_SET} WHERE id = $3 AND status = 'queued' RETURNING *"
        ))
        .bind(worker_id)
        .bind(now())
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        claimed(r)
    }

    /// Records that the fenced job is alive and how far it got. `false`: the claim is lost.
    pub async fn heartbeat_job(&self, fence: &JobFence, progress_done: i64) -> Result<bool> {
        let n = sqlx::query(&format!(
            "UPDATE jobs SET heartbeat_at = $4, progress_done = $5 WHERE {FENCE}"
        ))
        .bind(fence.job_id)
        .bind(fence.worker_id.clone())
        .bind(fence.attempt)
        .bind(now())
        .bind(progress_done)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Marks the fenced job done with a JSON `result`. `false`: the claim is lost.
    pub async fn complete_job(&self, fence: &JobFence, result: &str) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        match complete_in_tx(&mut tx, fence, result).await {
            Ok(()) => {
                tx.commit().await?;
                Ok(true)
            }
            Err(StoreError::Conflict(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Marks the fenced job failed with a catalogue key. `false`: the claim is lost.
    pub async fn fail_job(&self, fence: &JobFence, error_key: &str) -> Result<bool> {
        let n = sqlx::query(&format!(
            "UPDATE jobs SET status = 'failed', error = $4, finished_at = $5 WHERE {FENCE}"
        ))
        .bind(fence.job_id)
        .bind(fence.worker_id.clone())
        .bind(fence.attempt)
        .bind(error_key)
        .bind(now())
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Gives the fenced job back to the queue after a failure that may pass (the database was
    /// unreachable…), or fails it with `error_key` when it has used all its attempts. Returns
    /// the new status, or `None` when the claim was lost.
    pub async fn retry_job(&self, fence: &JobFence, error_key: &str) -> Result<Option<JobStatus>> {
        let r: Option<String> = sqlx::query_scalar(&format!(
            "UPDATE jobs SET
               status = CASE WHEN attempts < max_attempts THEN 'queued' ELSE 'failed' END,
               error = CASE WHEN attempts < max_attempts THEN NULL ELSE $4 END,
               finished_at = CASE WHEN attempts < max_attempts THEN NULL ELSE $5 END
             WHERE {FENCE} RETURNING status"
        ))
        .bind(fence.job_id)
        .bind(fence.worker_id.clone())
        .bind(fence.attempt)
        .bind(error_key)
        .bind(now())
        .fetch_optional(self.pool())
        .await?;
        r.as_deref().map(JobStatus::parse).transpose()
    }

    /// Re-queues running jobs whose heartbeat is older than `stale_before` (epoch seconds), or
    /// fails them with [`ERROR_INTERRUPTED`] when they have used all their attempts.
    pub async fn requeue_stale_jobs(&self, stale_before: i64) -> Result<Requeued> {
        // Every worker calls this on each poll: look before writing.
        let any: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM jobs WHERE status = 'running' AND heartbeat_at < $1 LIMIT 1",
        )
        .bind(stale_before)
        .fetch_optional(self.pool())
        .await?;
        if any.is_none() {
            return Ok(Requeued::default());
        }
        let mut tx = self.write_tx().await?;
        let failed = sqlx::query(
            "UPDATE jobs SET status = 'failed', error = $1, finished_at = $2
             WHERE status = 'running' AND heartbeat_at < $3 AND attempts >= max_attempts",
        )
        .bind(ERROR_INTERRUPTED)
        .bind(now())
        .bind(stale_before)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let requeued = sqlx::query(
            "UPDATE jobs SET status = 'queued' WHERE status = 'running' AND heartbeat_at < $1",
        )
        .bind(stale_before)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(Requeued { requeued, failed })
    }

    /// Deletes jobs finished before `finished_before`, and stored files that no queued or
    /// running job needs and that were created before `files_before` (uploads never enqueued,
    /// files of finished jobs).
    pub async fn prune_jobs(&self, finished_before: i64, files_before: i64) -> Result<Pruned> {
        let mut tx = self.write_tx().await?;
        let jobs =
            sqlx::query("DELETE FROM jobs WHERE status IN ('done', 'failed') AND finished_at < $1")
                .bind(finished_before)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        let rows = sqlx::query(
            "SELECT id, path FROM job_files f WHERE f.created_at < $1 AND NOT EXISTS
               (SELECT 1 FROM jobs j WHERE j.file_id = f.id AND j.status IN ('queued', 'running'))",
        )
        .bind(files_before)
        .fetch_all(&mut *tx)
        .await?;
        let mut paths = Vec::new();
        for r in &rows {
            let id: i64 = col(r, "id")?;
            sqlx::query("DELETE FROM job_files WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            if let Some(p) = col::<Option<String>>(r, "path")? {
                paths.push(p);
            }
        }
        tx.commit().await?;
        for p in paths {
            remove_quietly(Path::new(&p)).await;
        }
        Ok(Pruned {
            jobs,
            files: rows.len() as u64,
        })
    }

    /// Starts storing an upload. On SQLite the bytes go to a file in `dir` (the data folder);
    /// on PostgreSQL into the database, and `dir` is not used.
    pub async fn create_job_file(&self, dir: &Path) -> Result<JobFileWriter> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO job_files (size, complete, created_at) VALUES (0, 0, $1) RETURNING id",
        )
        .bind(now())
        .fetch_one(self.pool())
        .await?;
        let sink = match self.backend() {
            Backend::Postgres => Sink::Chunks {
                buf: Vec::with_capacity(CHUNK_BYTES),
                seq: 0,
            },
            Backend::Sqlite => {
                tokio::fs::create_dir_all(dir).await?;
                let path = dir.join(format!("job-file-{id}"));
                let file = tokio::fs::File::create(&path).await?;
                sqlx::query("UPDATE job_files SET path = $1 WHERE id = $2")
                    .bind(path.to_string_lossy().into_owned())
                    .bind(id)
                    .execute(self.pool())
                    .await?;
                Sink::Disk { file, path }
            }
        };
        Ok(JobFileWriter {
            store: self.clone(),
            id,
            size: 0,
            sink,
        })
    }

    /// The stored files of a programme's jobs (uploads not yet removed).
    pub async fn programme_job_files(&self, programme_id: i64) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT file_id FROM jobs WHERE programme_id = $1 AND file_id IS NOT NULL",
        )
        .bind(programme_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// Is there a stored file `id`, complete or not?
    pub async fn job_file_exists(&self, id: i64) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM job_files WHERE id = $1")
            .bind(id)
            .fetch_one(self.pool())
            .await?;
        Ok(n > 0)
    }

    /// Writes the complete stored file `id` to the local file `dest` (created or replaced);
    /// returns its size.
    pub async fn job_file_to(&self, id: i64, dest: &Path) -> Result<u64> {
        let r = sqlx::query("SELECT path, complete FROM job_files WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        if col::<i64>(&r, "complete")? == 0 {
            return Err(StoreError::NotFound);
        }
        if let Some(parent) = dest.parent() {
            tokio::fs::create_dir_all(parent).await?;
        }
        remove_quietly(dest).await;
        if let Some(src) = col::<Option<String>>(&r, "path")? {
            // Same disk: a hard link costs nothing; else a copy.
            if tokio::fs::hard_link(&src, dest).await.is_ok() {
                return Ok(tokio::fs::metadata(dest).await?.len());
            }
            return Ok(tokio::fs::copy(&src, dest).await?);
        }
        let mut out = tokio::fs::File::create(dest).await?;
        let mut size = 0u64;
        let mut seq = 0i64;
        loop {
            let chunk: Option<Vec<u8>> = sqlx::query_scalar(
                "SELECT data FROM job_file_chunks WHERE file_id = $1 AND seq = $2",
            )
            .bind(id)
            .bind(seq)
            .fetch_optional(self.pool())
            .await?;
            let Some(chunk) = chunk else { break };
            out.write_all(&chunk).await?;
            size += chunk.len() as u64;
            seq += 1;
        }
        out.flush().await?;
        Ok(size)
    }

    /// Deletes a stored file (its chunks or its file on disk); a job that named it keeps none.
    pub async fn delete_job_file(&self, id: i64) -> Result<()> {
        let path: Option<Option<String>> =
            sqlx::query_scalar("DELETE FROM job_files WHERE id = $1 RETURNING path")
                .bind(id)
                .fetch_optional(self.pool())
                .await?;
        if let Some(Some(p)) = path {
            remove_quietly(Path::new(&p)).await;
        }
        Ok(())
    }
}

async fn remove_quietly(p: &Path) {
    if let Err(e) = tokio::fs::remove_file(p).await {
        if e.kind() != std::io::ErrorKind::NotFound {
            tracing::warn!(path = %p.display(), error = %e, "could not remove a job file");
        }
    }
}

enum Sink {
    Disk {
        file: tokio::fs::File,
        path: PathBuf,
    },
    Chunks {
        buf: Vec<u8>,
        seq: i64,
    },
}

/// An upload being stored; [`JobFileWriter::finish`] makes it usable by a job. A writer dropped
/// before `finish` leaves an incomplete file that [`Store::prune_jobs`] deletes.
pub struct JobFileWriter {
    store: Store,
    id: i64,
    size: u64,
    sink: Sink,
}

impl std::fmt::Debug for JobFileWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobFileWriter")
            .field("id", &self.id)
            .field("size", &self.size)
            .finish()
    }
}

impl JobFileWriter {
    pub fn id(&self) -> i64 {
        self.id
    }

    /// Bytes written so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends bytes.
    pub async fn write(&mut self, mut bytes: &[u8]) -> Result<()> {
        self.size += bytes.len() as u64;
        match &mut self.sink {
            Sink::Disk { file, .. } => file.write_all(bytes).await?,
            Sink::Chunks { buf, seq } => {
                while !bytes.is_empty() {
                    let take = (CHUNK_BYTES - buf.len()).min(bytes.len());
                    buf.extend_from_slice(&bytes[..take]);
                    bytes = &bytes[take..];
                    if buf.len() == CHUNK_BYTES {
                        insert_chunk(&self.store, self.id, *seq, buf).await?;
                        *seq += 1;
                        buf.clear();
                    }
                }
            }
        }
        Ok(())
    }

    /// Makes the stored file durable and complete.
    /// Gives the upload up: whatever was written is removed (file or chunks) at once.
    pub async fn abort(self) -> Result<()> {
        let id = self.id;
        let store = self.store.clone();
        drop(self.sink);
        store.delete_job_file(id).await
    }

    pub async fn finish(mut self) -> Result<JobFile> {
        match &mut self.sink {
            Sink::Disk { file, path } => {
                file.flush().await?;
                file.sync_all().await.inspect_err(|e| {
                    tracing::warn!(path = %path.display(), error = %e, "could not sync an upload");
                })?;
            }
            Sink::Chunks { buf, seq } => {
                if !buf.is_empty() {
                    insert_chunk(&self.store, self.id, *seq, buf).await?;
                    buf.clear();
                }
            }
        }
        sqlx::query("UPDATE job_files SET size = $1, complete = 1 WHERE id = $2")
            .bind(self.size as i64)
            .bind(self.id)
            .execute(self.store.pool())
            .await?;
        Ok(JobFile {
            id: self.id,
            size: self.size,
        })
    }
}

async fn insert_chunk(store: &Store, file_id: i64, seq: i64, data: &[u8]) -> Result<()> {
    sqlx::query("INSERT INTO job_file_chunks (file_id, seq, data) VALUES ($1, $2, $3)")
        .bind(file_id)
        .bind(seq)
        .bind(data.to_vec())
        .execute(store.pool())
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::fresh_store;

    fn new_job(payload: &str) -> NewJob<'_> {
        NewJob {
            kind: "import",
            programme_id: None,
            created_by: None,
            payload,
            file_id: None,
            progress_total: 100,
            max_attempts: 2,
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_concurrent_workers_never_claim_the_same_job() {
        let store = fresh_store().await.unwrap();
        let mut ids = Vec::new();
        for i in 0..20 {
            ids.push(store.enqueue_job(&new_job(&format!("{i}"))).await.unwrap());
        }
        let worker = |name: &'static str| {
            let s = store.clone();
            tokio::spawn(async move {
                let mut mine = Vec::new();
                while let Some((job, fence)) = s.claim_job(name).await.unwrap() {
                    assert_eq!(job.status, JobStatus::Running);
                    assert_eq!(fence.worker_id, name);
                    mine.push(job.id);
                    tokio::task::yield_now().await;
                }
                mine
            })
        };
        let (a, b) = (worker("a"), worker("b"));
        let (a, b) = (a.await.unwrap(), b.await.unwrap());
        let mut all: Vec<i64> = a.iter().chain(&b).copied().collect();
        all.sort_unstable();
        assert_eq!(
            all, ids,
            "every job claimed exactly once (a: {a:?}, b: {b:?})"
        );
        for id in ids {
            assert_eq!(store.job(id).await.unwrap().attempts, 1);
        }
    }

    #[tokio::test]
    async fn a_stale_job_is_requeued_then_failed_after_its_attempts_and_a_lost_claim_changes_nothing(
    ) {
        let store = fresh_store().await.unwrap();
        let id = store.enqueue_job(&new_job("{}")).await.unwrap();
        let (_, first) = store.claim_job("a").await.unwrap().unwrap();
        assert!(store.heartbeat_job(&first, 40).await.unwrap());
        // Fresh heartbeats are left alone.
        let none = store.requeue_stale_jobs(now() - 30).await.unwrap();
        assert_eq!(none, Requeued::default());
        // Heartbeat older than the cut-off: back to the queue, one attempt used.
        let r = store.requeue_stale_jobs(now() + 1).await.unwrap();
        assert_eq!(
            r,
            Requeued {
                requeued: 1,
                failed: 0
            }
        );
        let j = store.job(id).await.unwrap();
        assert_eq!((j.status, j.attempts), (JobStatus::Queued, 1));
        let (_, second) = store.claim_job("b").await.unwrap().unwrap();
        assert_eq!(second.attempt, 2);
        // The first worker lost its claim: it can neither report nor finish.
        assert!(!store.heartbeat_job(&first, 90).await.unwrap());
        assert!(!store.complete_job(&first, "{}").await.unwrap());
        assert!(!store.fail_job(&first, "error.x").await.unwrap());
        assert_eq!(store.job(id).await.unwrap().worker_id.as_deref(), Some("b"));
        // The second attempt goes stale too: attempts exhausted, failed with a catalogue key.
        let r = store.requeue_stale_jobs(now() + 1).await.unwrap();
        assert_eq!(
            r,
            Requeued {
                requeued: 0,
                failed: 1
            }
        );
        let j = store.job(id).await.unwrap();
        assert_eq!(j.status, JobStatus::Failed);
        assert_eq!(j.error.as_deref(), Some(ERROR_INTERRUPTED));
        assert!(j.finished_at.is_some());
        assert!(store.claim_job("c").await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_retried_job_is_queued_until_its_attempts_are_used_and_done_keeps_its_result() {
        let store = fresh_store().await.unwrap();
        let id = store.enqueue_job(&new_job("{}")).await.unwrap();
        let (_, f) = store.claim_job("a").await.unwrap().unwrap();
        assert_eq!(
            store.retry_job(&f, "error.db").await.unwrap(),
            Some(JobStatus::Queued)
        );
        let (_, f) = store.claim_job_by_id(id, "a").await.unwrap().unwrap();
        assert_eq!(
            store.retry_job(&f, "error.db").await.unwrap(),
            Some(JobStatus::Failed)
        );
        assert_eq!(
            store.job(id).await.unwrap().error.as_deref(),
            Some("error.db")
        );

        let id = store.enqueue_job(&new_job("{}")).await.unwrap();
        let (_, f) = store.claim_job_by_id(id, "a").await.unwrap().unwrap();
        assert!(store.claim_job_by_id(id, "b").await.unwrap().is_none());
        assert!(store.complete_job(&f, r#"{"batch_id":7}"#).await.unwrap());
        let j = store.job(id).await.unwrap();
        assert_eq!(j.status, JobStatus::Done);
        assert_eq!(j.result.as_deref(), Some(r#"{"batch_id":7}"#));
        assert_eq!(j.progress_done, j.progress_total);
    }

    #[tokio::test]
    async fn an_upload_round_trips_in_chunks_and_pruning_removes_old_jobs_and_unneeded_files() {
        let store = fresh_store().await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        // Larger than one chunk, written in odd pieces.
        let data: Vec<u8> = (0..(CHUNK_BYTES * 2 + 12_345))
            .map(|i| (i * 31 % 251) as u8)
            .collect();
        let mut w = store.create_job_file(dir.path()).await.unwrap();
        for piece in data.chunks(70_001) {
            w.write(piece).await.unwrap();
        }
        let file = w.finish().await.unwrap();
        assert_eq!(file.size, data.len() as u64);
        let dest = dir.path().join("work").join("copy.csv");
        assert_eq!(
            store.job_file_to(file.id, &dest).await.unwrap(),
            data.len() as u64
        );
        assert_eq!(std::fs::read(&dest).unwrap(), data);

        // An upload abandoned before `finish` cannot be read.
        let mut abandoned = store.create_job_file(dir.path()).await.unwrap();
        abandoned.write(b"half").await.unwrap();
        let abandoned_id = abandoned.id();
        drop(abandoned);
        assert!(matches!(
            store.job_file_to(abandoned_id, &dest).await,
            Err(StoreError::NotFound)
        ));

        let mut j = new_job("{}");
        j.file_id = Some(file.id);
        let running = store.enqueue_job(&j).await.unwrap();
        store.claim_job("a").await.unwrap().unwrap();
        let done = store.enqueue_job(&new_job("{}")).await.unwrap();
        let (_, f) = store.claim_job("a").await.unwrap().unwrap();
        assert!(store.complete_job(&f, "{}").await.unwrap());

        // Nothing is old enough yet.
        let p = store.prune_jobs(now() - 3600, now() - 3600).await.unwrap();
        assert_eq!(p, Pruned::default());
        // Everything is: the finished job and the abandoned upload go; the running job and
        // the file it reads stay.
        let p = store.prune_jobs(now() + 1, now() + 1).await.unwrap();
        assert_eq!(p, Pruned { jobs: 1, files: 1 });
        assert!(matches!(store.job(done).await, Err(StoreError::NotFound)));
        assert_eq!(store.job(running).await.unwrap().status, JobStatus::Running);
        store.job_file_to(file.id, &dest).await.unwrap();

        store.delete_job_file(file.id).await.unwrap();
        assert!(matches!(
            store.job_file_to(file.id, &dest).await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(store.job(running).await.unwrap().file_id, None);
        if store.backend() == Backend::Sqlite {
            let left: Vec<_> = std::fs::read_dir(dir.path())
                .unwrap()
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("job-file-"))
                .collect();
            assert!(left.is_empty(), "stored files deleted from disk: {left:?}");
        }
    }
}
