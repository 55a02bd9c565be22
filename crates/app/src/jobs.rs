//! Import jobs: an upload becomes a row that any server's worker runs, so imports survive a
//! crash and every server shows the same progress.
//!
//! The flow: [`App::prepare_import`] checks who asks and what (before a byte is stored),
//! [`App::upload_writer`] stores the bytes (in the database on PostgreSQL, under the data folder
//! on SQLite), [`App::enqueue_import`] adds the job. Every `rumbo serve` runs
//! [`App::run_job_worker`]: claim → run → heartbeat on a timer → done or failed. The batch and
//! the job's completion commit in one transaction, fenced by the claim, so an import is applied
//! exactly once even when a worker dies mid-way and another one resumes the job (a worker that
//! lost its claim cannot commit). Failures are stored as catalogue keys.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::imports::{ImportReport, ImportRequest, Source};
use rumbo_domain::access::Action;
use rumbo_ingest::mapping::Mapping;
use rumbo_store::jobs::{Job, JobFence, JobFile, JobFileWriter, JobStatus, NewJob};
use rumbo_store::{now, StoreError};
use serde::{Deserialize, Serialize};

use crate::{App, Error, Principal, Result};

/// The kind of an import job.
pub const KIND_IMPORT: &str = "import";

/// How jobs are run and kept. Every server on one database should use the same timings.
#[derive(Debug, Clone)]
pub struct JobSettings {
    /// Jobs one server runs at the same time.
    pub concurrency: usize,
    /// How often an idle worker looks for queued jobs.
    pub poll: Duration,
    /// How often a running job records that it is alive (and its progress).
    pub heartbeat: Duration,
    /// A running job whose last heartbeat is older than this is taken over.
    pub stale_after: Duration,
    /// Claims allowed per job before it is failed as interrupted.
    pub max_attempts: i64,
    /// Finished jobs older than this are deleted.
    pub retention: Duration,
    /// Uploads no queued or running job needs are deleted after this.
    pub upload_grace: Duration,
    /// How long a stopping worker waits for its running jobs before leaving them to others.
    pub shutdown_grace: Duration,
    /// Test only: a pause after each block of the file an import reads, to make crash tests
    /// deterministic. Never set in production.
    pub slow_import: Option<Duration>,
    /// Least time between the starts of two alarm evaluations of one programme asked for by
    /// imports: a stream of uploads gets its alarms evaluated this often (and once after the
    /// last), not once per upload.
    pub evaluation_spacing: Duration,
}

impl Default for JobSettings {
    fn default() -> Self {
        JobSettings {
            concurrency: 1,
            poll: Duration::from_secs(1),
            heartbeat: Duration::from_secs(5),
            stale_after: Duration::from_secs(30),
            max_attempts: 3,
            retention: Duration::from_secs(7 * 24 * 3600),
            upload_grace: Duration::from_secs(24 * 3600),
            shutdown_grace: Duration::from_secs(10),
            slow_import: None,
            evaluation_spacing: Duration::from_secs(5),
        }
    }
}

impl JobSettings {
    /// Timings derived from a stale timeout: heartbeats three times per timeout (at most every
    /// five seconds).
    pub fn with_stale_after(mut self, stale_after: Duration) -> JobSettings {
        self.stale_after = stale_after.max(Duration::from_secs(1));
        self.heartbeat = (self.stale_after / 3).min(Duration::from_secs(5));
        self
    }
}

/// An import that passed every check and may be enqueued once its file is stored.
#[derive(Debug, Clone)]
pub struct PreparedImport {
    programme_id: i64,
    programme_code: String,
    payload: ImportPayload,
}

/// What an import job carries (the `payload` column).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ImportPayload {
    source: String,
    /// File name as uploaded, made safe for a local path (kept in the batch).
    file_name: String,
    mapping_name: Option<String>,
    /// The mapping as it was when the job was enqueued.
    mapping_json: Option<String>,
    /// Audit label of whoever enqueued it.
    actor: String,
}

/// A job as the person who may see it reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobView {
    pub id: i64,
    pub kind: String,
    pub status: JobStatus,
    pub programme_code: Option<String>,
    /// Bytes read so far, of `progress_total`.
    pub progress_done: i64,
    pub progress_total: i64,
    pub attempts: i64,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    /// The committed batch, when done.
    pub batch_id: Option<i64>,
    /// Message catalogue key, when failed.
    pub error: Option<String>,
}

impl JobView {
    /// Progress in percent, 0–100.
    pub fn percent(&self) -> f64 {
        if self.status == JobStatus::Done {
            return 100.0;
        }
        if self.progress_total <= 0 {
            return 0.0;
        }
        (self.progress_done as f64 / self.progress_total as f64 * 100.0).clamp(0.0, 100.0)
    }
}

/// How a job run ended, seen by the worker.
enum Outcome {
    /// Committed (with the job marked done in the same transaction).
    Done,
    /// Will fail again: failed at once with this key.
    Fail(&'static str),
    /// May pass later (database or disk trouble): back to the queue while attempts remain.
    Retry(&'static str),
    /// Another worker holds the job now; leave it alone.
    Lost,
}

/// The file types an import accepts (the names used in forms, the API and the CLI).
pub fn parse_source(s: &str) -> Result<Source> {
    Ok(match s {
        "" | "auto" => Source::Auto,
        "queue-log" => Source::QueueLog,
        "cdr" => Source::Cdr,
        "calls" => Source::Calls,
        "quality" => Source::Quality,
        "survey" => Source::Survey,
        "sales" => Source::Sales,
        _ => return Err(Error::invalid("source", "error.import.source")),
    })
}

/// The last component of an uploaded file name, with anything unusual replaced (it becomes a
/// local file name and is shown with the batch).
pub fn safe_file_name(name: &str) -> String {
    let base = Path::new(name)
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let cleaned: String = base
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    if cleaned.is_empty() || cleaned.chars().all(|c| c == '.') {
        "upload".into()
    } else {
        cleaned
    }
}

/// The key of the conflict a commit meets when its job was taken over by another worker.
pub const CLAIM_LOST: &str = "error.job.claim_lost";

/// Every key a failed job may carry.
pub const ERROR_KEYS: &[&str] = &[
    "error.import.internal",
    "error.import.missing_column",
    "error.import.bad_mapping",
    "error.import.spreadsheet",
    "error.import.empty",
    "error.import.binary",
    "error.import.unreadable",
    "error.import.xlsx_limit",
    "error.import.mapping_kind",
    "error.import.mapping_invalid",
    "error.import.mapping_required",
    "error.import.time",
    "error.import.file_gone",
    "error.import.unrecognised.blank",
    "error.import.unrecognised.markup",
    "error.import.unrecognised.json",
    "error.import.unrecognised.no_fields",
    "error.import.unrecognised.unknown_columns",
    "error.import.unrecognised.unknown_rows",
    "error.import.layout_mismatch",
    "error.job.payload",
    "error.job.kind",
    "error.not_found",
    rumbo_store::jobs::ERROR_INTERRUPTED,
];

/// A stored failure key as a known `'static` key (unknown or missing: the generic one).
pub fn error_key(stored: Option<&str>) -> &'static str {
    stored
        .and_then(|s| ERROR_KEYS.iter().find(|k| **k == s))
        .copied()
        .unwrap_or("error.import.internal")
}

/// The catalogue key of an import failure, and whether trying again may help.
fn outcome_of(e: &Error) -> Outcome {
    match e {
        Error::Conflict(i) if i.0.iter().any(|x| x.key == CLAIM_LOST) => Outcome::Lost,
        // A concurrent import kept winning the commit: later it will not.
        Error::Conflict(_) => Outcome::Retry("error.import.internal"),
        Error::Invalid(i) => Outcome::Fail(error_key(i.0.first().map(|x| x.key))),
        Error::Internal(_) | Error::Unavailable(_) => Outcome::Retry("error.import.internal"),
        _ => Outcome::Fail("error.import.internal"),
    }
}

/// This process's worker name: host, process id and a random tag.
fn worker_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "host".into());
    let tag: u32 = rand::random();
    format!("{host}-{}-{tag:08x}", std::process::id())
}

/// Everything one import needs, owned (it runs on a blocking thread).
struct ImportInput {
    programme_code: String,
    path: PathBuf,
    source: Source,
    mapping: Option<Mapping>,
    mapping_name: Option<String>,
    actor: rumbo_store::Actor,
    job: JobFence,
}

/// The one call into the import pipeline. Parsing is CPU-bound and synchronous inside it, so it
/// runs on a thread of its own at background priority ([`crate::background`]) and never holds
/// an async worker.
async fn import(
    app: App,
    input: ImportInput,
    progress: Arc<AtomicU64>,
    slow: Option<Duration>,
) -> Result<Result<ImportReport>> {
    crate::background::run("rumbo-import", async move {
        let req = ImportRequest {
            programme_code: &input.programme_code,
            path: &input.path,
            source: input.source,
            mapping: input.mapping,
            mapping_name: input.mapping_name,
            actor: input.actor,
            job: Some(input.job),
        };
        app.import_file(req, |done| {
            progress.store(done, Ordering::Relaxed);
            if let Some(pause) = slow {
                std::thread::sleep(pause);
            }
        })
        .await
    })
    .await
}

/// An upload being stored, chunk by chunk. An upload dropped unfinished (the client went
/// away mid-upload, the request was cancelled) is removed at once, not left for the prune: it
/// holds raw caller numbers.
pub struct UploadWriter(Option<JobFileWriter>);

impl UploadWriter {
    fn writer(&mut self) -> Result<&mut JobFileWriter> {
        self.0
            .as_mut()
            .ok_or_else(|| Error::internal_msg("upload already finished"))
    }

    /// Bytes written so far.
    pub fn size(&self) -> u64 {
        self.0.as_ref().map_or(0, JobFileWriter::size)
    }

    /// Appends a chunk.
    pub async fn write(&mut self, bytes: &[u8]) -> Result<()> {
        Ok(self.writer()?.write(bytes).await?)
    }

    /// Completes the upload.
    pub async fn finish(mut self) -> Result<JobFile> {
        let w = self
            .0
            .take()
            .ok_or_else(|| Error::internal_msg("upload already finished"))?;
        Ok(w.finish().await?)
    }

    /// Gives the upload up and removes what was written.
    pub async fn abort(mut self) -> Result<()> {
        match self.0.take() {
            Some(w) => Ok(w.abort().await?),
            None => Ok(()),
        }
    }
}

impl Drop for UploadWriter {
    fn drop(&mut self) {
        if let Some(w) = self.0.take() {
            match tokio::runtime::Handle::try_current() {
                Ok(rt) => {
                    rt.spawn(async move {
                        if let Err(e) = w.abort().await {
                            tracing::warn!(error = %e, "could not remove an abandoned upload");
                        } else {
                            tracing::info!("removed an abandoned upload");
                        }
                    });
                }
                Err(_) => tracing::warn!("an abandoned upload is left for the prune"),
            }
        }
    }
}

impl App {
    /// Checks that `who` may import a `source` file into programme `code` with the saved
    /// mapping named `mapping` (empty: none), before anything is stored.
    pub async fn prepare_import(
        &self,
        who: &Principal,
        code: &str,
        source: &str,
        mapping: &str,
        file_name: &str,
    ) -> Result<PreparedImport> {
        let p = self
            .programme_for(who, code, Action::Operate)
            .await?
            .programme;
        let src = parse_source(source)?;
        let (mapping_name, mapping_json) = if mapping.trim().is_empty() {
            if matches!(src, Source::Quality | Source::Survey | Source::Sales) {
                return Err(Error::invalid("mapping", "error.import.mapping_required"));
            }
            (None, None)
        } else {
            let saved = self
                .store
                .mapping(p.id, mapping.trim())
                .await
                .map_err(|_| Error::invalid("mapping", "error.import.mapping"))?;
            let m: Mapping = serde_json::from_str(&saved.mapping_json).map_err(Error::internal)?;
            if !crate::imports::mapping_fits(src, m.kind) {
                return Err(Error::invalid("mapping", "error.import.mapping_kind"));
            }
            (Some(saved.name), Some(saved.mapping_json))
        };
        Ok(PreparedImport {
            programme_id: p.id,
            programme_code: p.code.clone(),
            payload: ImportPayload {
                source: src.as_str().to_string(),
                file_name: safe_file_name(file_name),
                mapping_name,
                mapping_json,
                actor: who.email.clone(),
            },
        })
    }

    /// Starts storing an upload (in the database on PostgreSQL, under the data folder on
    /// SQLite).
    pub async fn upload_writer(&self) -> Result<UploadWriter> {
        Ok(UploadWriter(Some(
            self.store
                .create_job_file(&self.settings.data_dir.join("uploads"))
                .await?,
        )))
    }

    /// Queues the import of a stored upload; returns the job as queued, without reading it
    /// back: once the job is committed the caller may answer that it is accepted, even if
    /// the database goes away right after (a client told otherwise would send it again).
    pub async fn enqueue_import(
        &self,
        who: &Principal,
        prep: &PreparedImport,
        file: JobFile,
    ) -> Result<JobView> {
        let size = file.size as i64;
        let payload = serde_json::to_string(&prep.payload).map_err(Error::internal)?;
        let id = self
            .store
            .enqueue_job(&NewJob {
                kind: KIND_IMPORT,
                programme_id: Some(prep.programme_id),
                created_by: Some(who.user_id),
                payload: &payload,
                file_id: Some(file.id),
                progress_total: file.size as i64,
                max_attempts: self.settings.jobs.max_attempts,
            })
            .await?;
        tracing::info!(job = id, bytes = size, "import queued");
        Ok(JobView {
            id,
            kind: KIND_IMPORT.to_string(),
            status: JobStatus::Queued,
            programme_code: Some(prep.programme_code.clone()),
            progress_done: 0,
            progress_total: size,
            attempts: 0,
            created_at: rumbo_store::now(),
            started_at: None,
            finished_at: None,
            batch_id: None,
            error: None,
        })
    }

    /// Job `id`, if `who` created it or may read its programme (otherwise not found).
    pub async fn job(&self, who: &Principal, id: i64) -> Result<JobView> {
        let job = self.store.job(id).await?;
        let code = match job.programme_id {
            Some(pid) => Some(self.store.programme_by_id(pid).await?.code),
            None => None,
        };
        if job.created_by != Some(who.user_id) {
            match &code {
                Some(c) => {
                    self.programme_for(who, c, Action::Read)
                        .await
                        .map_err(|e| match e {
                            Error::Forbidden => Error::NotFound,
                            e => e,
                        })?;
                }
                None => return Err(Error::NotFound),
            }
        }
        Ok(view(job, code))
    }

    /// Runs job `id` in this process if it is still queued, or else waits for whoever has it;
    /// returns it finished. For callers that answer only when the import is committed.
    pub async fn run_job_now(&self, who: &Principal, id: i64) -> Result<JobView> {
        let worker = format!("{}-now", worker_name());
        let poll = self.settings.jobs.poll.min(Duration::from_millis(200));
        loop {
            let v = self.job(who, id).await?;
            match v.status {
                s if s.is_finished() => return Ok(v),
                // Still (or again, after a worker stopped) in the queue: run it here.
                JobStatus::Queued => {
                    if let Some((job, fence)) = self.store.claim_job_by_id(id, &worker).await? {
                        self.run_claimed(job, fence).await;
                        continue;
                    }
                }
                _ => {}
            }
            tokio::time::sleep(poll).await;
        }
    }

    /// Runs queued jobs until `shutdown` completes: every `rumbo serve` runs one. Also re-queues
    /// jobs whose worker stopped sending heartbeats and prunes old jobs and uploads.
    pub async fn run_job_worker(&self, shutdown: impl Future<Output = ()> + Send) {
        let cfg = self.settings.jobs.clone();
        let worker = worker_name();
        tracing::info!(%worker, concurrency = cfg.concurrency, "job worker started");
        let permits = Arc::new(tokio::sync::Semaphore::new(cfg.concurrency.max(1)));
        let mut running = tokio::task::JoinSet::new();
        let mut last_prune: Option<Instant> = None;
        tokio::pin!(shutdown);
        loop {
            self.housekeeping(&cfg, &mut last_prune).await;
            while let Ok(permit) = permits.clone().try_acquire_owned() {
                match self.store.claim_job(&worker).await {
                    Ok(Some((job, fence))) => {
                        let app = self.clone();
                        running.spawn(async move {
                            app.run_claimed(job, fence).await;
                            drop(permit);
                        });
                    }
                    Ok(None) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "could not claim a job");
                        break;
                    }
                }
            }
            while running.try_join_next().is_some() {}
            tokio::select! {
                _ = &mut shutdown => break,
                _ = tokio::time::sleep(cfg.poll) => {}
                Some(_) = running.join_next(), if !running.is_empty() => {}
            }
        }
        // Let running jobs finish for a moment; whatever is left is taken over by another
        // server once its heartbeat is stale.
        let drained = tokio::time::timeout(cfg.shutdown_grace, async {
            while running.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::warn!(
                jobs = running.len(),
                "stopping with jobs still running; another server will resume them"
            );
            running.abort_all();
        }
        tracing::info!(%worker, "job worker stopped");
    }

    async fn housekeeping(&self, cfg: &JobSettings, last_prune: &mut Option<Instant>) {
        let stale_before = now() - cfg.stale_after.as_secs().max(1) as i64;
        match self.store.requeue_stale_jobs(stale_before).await {
            Ok(r) if r.requeued + r.failed > 0 => {
                tracing::warn!(
                    requeued = r.requeued,
                    failed = r.failed,
                    "took over jobs whose worker stopped"
                )
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not check for stale jobs"),
        }
        match self.queue_due_report_schedules().await {
            Ok(n) if n > 0 => tracing::info!(runs = n, "scheduled reports queued"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not queue scheduled reports"),
        }
        if last_prune.is_none_or(|t| t.elapsed() > Duration::from_secs(3600)) {
            *last_prune = Some(Instant::now());
            match self.schedule_daily_purge().await {
                Ok(true) => tracing::info!("retention purge queued"),
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "could not queue the retention purge"),
            }
            self.remove_abandoned_work().await;
            let t = now();
            match self
                .store
                .prune_jobs(
                    t - cfg.retention.as_secs() as i64,
                    t - cfg.upload_grace.as_secs() as i64,
                )
                .await
            {
                Ok(p) if p.jobs + p.files > 0 => {
                    tracing::info!(jobs = p.jobs, files = p.files, "pruned old jobs")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "could not prune old jobs"),
            }
        }
    }

    /// Deletes local work folders (`<data>/jobs/<job>-<attempt>-<pid>`, holding a copy of an
    /// upload) of attempts that are over: left by a server killed mid-import.
    async fn remove_abandoned_work(&self) {
        let root = self.settings.data_dir.join("jobs");
        let Ok(mut entries) = tokio::fs::read_dir(&root).await else {
            return;
        };
        while let Ok(Some(e)) = entries.next_entry().await {
            let name = e.file_name().to_string_lossy().into_owned();
            let mut parts = name.split('-').map(str::parse::<i64>);
            let (Some(Ok(id)), Some(Ok(attempt))) = (parts.next(), parts.next()) else {
                continue;
            };
            let live = match self.store.job(id).await {
                Ok(j) => j.status == JobStatus::Running && j.attempts == attempt,
                Err(StoreError::NotFound) => false,
                Err(_) => true,
            };
            if !live {
                if let Err(err) = tokio::fs::remove_dir_all(e.path()).await {
                    tracing::warn!(path = %e.path().display(), error = %err, "could not remove a job folder");
                }
            }
        }
    }

    /// Runs one claimed job to its end, with heartbeats, and records how it ended.
    async fn run_claimed(&self, job: Job, fence: JobFence) {
        let cfg = &self.settings.jobs;
        let progress = Arc::new(AtomicU64::new(0));
        let heartbeat = {
            let store = self.store.clone();
            let fence = fence.clone();
            let progress = progress.clone();
            let every = cfg.heartbeat;
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(every);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                tick.tick().await;
                loop {
                    tick.tick().await;
                    let done = progress.load(Ordering::Relaxed) as i64;
                    match store.heartbeat_job(&fence, done).await {
                        Ok(true) => {}
                        Ok(false) => {
                            tracing::warn!(job = fence.job_id, "job taken over by another worker");
                            break;
                        }
                        Err(e) => {
                            tracing::warn!(job = fence.job_id, error = %e, "heartbeat failed")
                        }
                    }
                }
            })
        };
        tracing::info!(job = job.id, attempt = fence.attempt, "job started");
        let outcome = match job.kind.as_str() {
            KIND_IMPORT => self.run_import_job(&job, &fence, progress).await,
            crate::privacy::KIND_PURGE => self.run_purge_job(&fence).await,
            crate::report::distribute::KIND_REPORT => self.run_report_job(&job, &fence).await,
            crate::live::follow::KIND_FOLLOW => {
                // A follower runs for as long as the programme names a file: on its own task
                // with its own heartbeats, so it holds none of the worker's import slots.
                self.spawn_follow_job(job.clone(), fence.clone());
                Outcome::Lost
            }
            _ => Outcome::Fail("error.job.kind"),
        };
        heartbeat.abort();
        let finished = match outcome {
            Outcome::Done => {
                tracing::info!(job = job.id, "job done");
                true
            }
            Outcome::Lost => false,
            Outcome::Fail(key) => {
                tracing::warn!(job = job.id, error = key, "job failed");
                self.store.fail_job(&fence, key).await.unwrap_or_else(|e| {
                    tracing::warn!(job = job.id, error = %e, "could not record a failure");
                    false
                })
            }
            Outcome::Retry(key) => match self.store.retry_job(&fence, key).await {
                Ok(Some(status)) => {
                    tracing::warn!(
                        job = job.id,
                        status = status.as_str(),
                        "job will be retried or failed"
                    );
                    status.is_finished()
                }
                Ok(None) => false,
                Err(e) => {
                    tracing::warn!(job = job.id, error = %e, "could not give a job back");
                    false
                }
            },
        };
        // The upload holds raw caller data: delete it as soon as nothing needs it.
        if let (true, Some(file)) = (finished, job.file_id) {
            if let Err(e) = self.store.delete_job_file(file).await {
                tracing::warn!(job = job.id, error = %e, "could not delete an upload");
            }
        }
    }

    /// A scheduled report as a job: rendered, e-mailed and recorded with its stored copy;
    /// the result names the distribution record.
    async fn run_report_job(&self, job: &Job, fence: &JobFence) -> Outcome {
        match self.run_report_payload(&job.payload).await {
            Ok(d) => {
                let result = serde_json::json!({
                    "distribution_id": d.as_ref().map(|d| d.id),
                    "status": d.as_ref().map(|d| d.status.clone()),
                })
                .to_string();
                match self.store.complete_job(fence, &result).await {
                    Ok(true) => Outcome::Done,
                    Ok(false) => Outcome::Lost,
                    Err(e) => {
                        tracing::warn!(error = %e, "could not record the report job");
                        Outcome::Retry("error.import.internal")
                    }
                }
            }
            Err(Error::Invalid(_)) => Outcome::Fail("error.job.payload"),
            Err(e) => {
                tracing::warn!(error = %e, "report job failed");
                Outcome::Retry("error.import.internal")
            }
        }
    }

    /// The retention purge as a job: what it removed is in the purge log and the result.
    async fn run_purge_job(&self, fence: &JobFence) -> Outcome {
        match self.run_scheduled_purge().await {
            Ok(lines) => {
                let removed: serde_json::Map<String, serde_json::Value> = lines
                    .iter()
                    .map(|l| (l.class.as_str().to_string(), l.removed.into()))
                    .collect();
                let result = serde_json::Value::Object(removed).to_string();
                match self.store.complete_job(fence, &result).await {
                    Ok(true) => Outcome::Done,
                    Ok(false) => Outcome::Lost,
                    Err(e) => {
                        tracing::warn!(error = %e, "could not record the purge job");
                        Outcome::Retry("error.import.internal")
                    }
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "retention purge failed");
                Outcome::Retry("error.import.internal")
            }
        }
    }

    async fn run_import_job(
        &self,
        job: &Job,
        fence: &JobFence,
        progress: Arc<AtomicU64>,
    ) -> Outcome {
        let Ok(payload) = serde_json::from_str::<ImportPayload>(&job.payload) else {
            return Outcome::Fail("error.job.payload");
        };
        let (Some(pid), Some(file_id)) = (job.programme_id, job.file_id) else {
            return Outcome::Fail("error.job.payload");
        };
        let (Ok(source), Ok(mapping)) = (
            parse_source(&payload.source),
            payload
                .mapping_json
                .as_deref()
                .map(serde_json::from_str::<Mapping>)
                .transpose(),
        ) else {
            return Outcome::Fail("error.job.payload");
        };
        let code = match self.store.programme_by_id(pid).await {
            Ok(p) => p.code,
            Err(StoreError::NotFound) => return Outcome::Fail("error.not_found"),
            Err(e) => {
                tracing::warn!(job = job.id, error = %e, "could not read the programme");
                return Outcome::Retry("error.import.internal");
            }
        };
        // A private folder per attempt: the file keeps its uploaded name (the batch shows it).
        let work = self.settings.data_dir.join("jobs").join(format!(
            "{}-{}-{}",
            job.id,
            fence.attempt,
            std::process::id()
        ));
        let path = work.join(&payload.file_name);
        match self.store.job_file_to(file_id, &path).await {
            Ok(_) => {}
            Err(StoreError::NotFound) => return Outcome::Fail("error.import.file_gone"),
            Err(e) => {
                tracing::warn!(job = job.id, error = %e, "could not fetch the upload");
                let _ = tokio::fs::remove_dir_all(&work).await;
                return Outcome::Retry("error.import.internal");
            }
        }
        let input = ImportInput {
            programme_code: code,
            path,
            source,
            mapping,
            mapping_name: payload.mapping_name,
            actor: rumbo_store::Actor {
                user_id: job.created_by,
                label: payload.actor,
            },
            job: fence.clone(),
        };
        let result = import(
            self.clone(),
            input,
            progress,
            self.settings.jobs.slow_import,
        )
        .await;
        let _ = tokio::fs::remove_dir_all(&work).await;
        match result {
            Ok(Ok(report)) => {
                tracing::info!(
                    job = job.id,
                    batch = report.batch_id,
                    imported = report.imported,
                    "import committed"
                );
                // New data: the programme's alarms are evaluated again.
                self.evaluate_after_import(pid).await;
                Outcome::Done
            }
            Ok(Err(e)) => {
                let o = outcome_of(&e);
                if !matches!(o, Outcome::Lost) {
                    tracing::warn!(job = job.id, error = %e, "import did not commit");
                }
                o
            }
            Err(e) => {
                tracing::error!(job = job.id, error = %e, "import stopped unexpectedly");
                Outcome::Fail("error.import.internal")
            }
        }
    }
}

fn view(job: Job, programme_code: Option<String>) -> JobView {
    let batch_id = job
        .result
        .as_deref()
        .and_then(|r| serde_json::from_str::<serde_json::Value>(r).ok())
        .and_then(|v| v["batch_id"].as_i64());
    JobView {
        id: job.id,
        kind: job.kind,
        status: job.status,
        programme_code,
        progress_done: job.progress_done,
        progress_total: job.progress_total,
        attempts: job.attempts,
        created_at: job.created_at,
        started_at: job.started_at,
        finished_at: job.finished_at,
        batch_id,
        error: job.error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Settings;
    use rumbo_domain::access::Role;
    use rumbo_domain::programme::{NewProgramme, ProgrammeInput};
    use rumbo_domain::rut::Rut;
    use rumbo_store::users::NewUser;
    use rumbo_store::Actor;

    /// 2026-01-01 10:00 UTC: two answered calls and one abandoned, and one garbage line.
    const QUEUE_LOG: &str = "\
1767261600|1001.1|ventas|NONE|ENTERQUEUE||+56912345678|1
1767261610|1001.1|ventas|SIP/201|CONNECT|10|1001.2|3
1767261790|1001.1|ventas|SIP/201|COMPLETECALLER|10|180|1
1767261800|1002.1|ventas|NONE|ENTERQUEUE||+56987654321|1
1767261830|1002.1|ventas|NONE|ABANDON|1|1|30
this line is garbage
1767261900|1003.1|soporte|NONE|ENTERQUEUE||+56911112222|1
1767261905|1003.1|soporte|SIP/301|CONNECT|5|1003.2|2
1767262205|1003.1|soporte|SIP/301|COMPLETEAGENT|5|300|1
";

    struct Fixture {
        app: App,
        manager: Principal,
        _data: tempfile::TempDir,
    }

    async fn principal(app: &App, email: &str, role: Role, client_id: Option<i64>) -> Principal {
        let u = app
            .store
            .create_user(
                &Actor::system("test"),
                NewUser {
                    email,
                    name: email,
                    password_hash: "x",
                    role,
                    client_id,
                    lang: "es",
                },
            )
            .await
            .unwrap();
        Principal {
            user_id: u.id,
            email: u.email,
            role,
            client_id,
        }
    }

    async fn fixture(jobs: JobSettings) -> Fixture {
        let store = rumbo_store::testing::fresh_store().await.unwrap();
        let data = tempfile::tempdir().unwrap();
        let app = App::new(
            store,
            Settings {
                data_dir: data.path().to_path_buf(),
                jobs,
                caller_keys: None,
                smtp: None,
                report_words: Default::default(),
                import_threads: 0,
            },
        );
        let client = app
            .store
            .create_client(
                &Actor::system("test"),
                "Cliente A",
                Rut::parse("76.086.428-5").unwrap(),
            )
            .await
            .unwrap();
        let manager = principal(&app, "jefa@x.cl", Role::Manager, None).await;
        let p = NewProgramme::try_from(ProgrammeInput {
            code: "JOBS1".into(),
            name: "Programa".into(),
            client_id: Some(client.id),
            channels: vec!["voice_inbound".into()],
            start_date: "2026-01-01".into(),
            ..Default::default()
        })
        .unwrap();
        app.store
            .create_programme(&manager.actor(), &p)
            .await
            .unwrap();
        Fixture {
            app,
            manager,
            _data: data,
        }
    }

    fn fast() -> JobSettings {
        JobSettings {
            poll: Duration::from_millis(20),
            evaluation_spacing: Duration::from_millis(20),
            ..JobSettings::default()
        }
        .with_stale_after(Duration::from_secs(1))
    }

    async fn enqueue(f: &Fixture, source: &str, name: &str, content: &str) -> i64 {
        let prep = f
            .app
            .prepare_import(&f.manager, "JOBS1", source, "", name)
            .await
            .unwrap();
        let mut w = f.app.upload_writer().await.unwrap();
        w.write(content.as_bytes()).await.unwrap();
        let file = w.finish().await.unwrap();
        f.app
            .enqueue_import(&f.manager, &prep, file)
            .await
            .unwrap()
            .id
    }

    #[tokio::test]
    async fn an_upload_dropped_unfinished_is_removed_at_once() {
        let f = fixture(fast()).await;
        let mut w = f.app.upload_writer().await.unwrap();
        let id = w.0.as_ref().unwrap().id();
        w.write(QUEUE_LOG.as_bytes()).await.unwrap();
        drop(w);
        let uploads = f._data.path().join("uploads");
        let files_left = || std::fs::read_dir(&uploads).map_or(0, |d| d.count());
        for _ in 0..200 {
            if !f.app.store.job_file_exists(id).await.unwrap() && files_left() == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(!f.app.store.job_file_exists(id).await.unwrap());
        let left = files_left();
        assert_eq!(left, 0, "no upload file is left behind");
    }

    async fn batches(f: &Fixture) -> Vec<rumbo_store::imports::Batch> {
        let p = f.app.store.programme_for("JOBS1", None).await.unwrap();
        f.app.store.import_batches(p.programme.id).await.unwrap()
    }

    async fn wait_finished(f: &Fixture, id: i64) -> JobView {
        for _ in 0..500 {
            let v = f.app.job(&f.manager, id).await.unwrap();
            if v.status.is_finished() {
                return v;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("job {id} did not finish");
    }

    #[tokio::test]
    async fn a_queued_import_is_run_by_the_worker_and_only_its_creator_and_programme_readers_see_it(
    ) {
        let f = fixture(fast()).await;
        let id = enqueue(&f, "queue-log", "../../queue_log", QUEUE_LOG).await;
        let queued = f.app.job(&f.manager, id).await.unwrap();
        assert_eq!(queued.status, JobStatus::Queued);
        assert_eq!(queued.progress_total, QUEUE_LOG.len() as i64);
        let file_id = f.app.store.job(id).await.unwrap().file_id.unwrap();

        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let worker = {
            let app = f.app.clone();
            tokio::spawn(async move {
                app.run_job_worker(async {
                    let _ = stopped.await;
                })
                .await
            })
        };
        let done = wait_finished(&f, id).await;
        stop.send(()).unwrap();
        worker.await.unwrap();

        assert_eq!(done.status, JobStatus::Done, "{done:?}");
        assert_eq!(done.percent(), 100.0);
        assert_eq!(done.attempts, 1);
        assert_eq!(done.programme_code.as_deref(), Some("JOBS1"));
        let b = batches(&f).await;
        assert_eq!(b.len(), 1);
        assert_eq!(Some(b[0].id), done.batch_id);
        assert_eq!(b[0].imported, 3);
        assert_eq!(b[0].file_name, "queue_log", "the uploaded name, made safe");
        assert_eq!(b[0].actor, "jefa@x.cl");
        // The upload (raw caller numbers) is gone once the batch is committed.
        let probe = f.app.settings.data_dir.join("probe");
        assert!(f.app.store.job_file_to(file_id, &probe).await.is_err());

        let reader = principal(&f.app, "admin@x.cl", Role::Admin, None).await;
        assert_eq!(
            f.app.job(&reader, id).await.unwrap().batch_id,
            done.batch_id
        );
        let other_client = f
            .app
            .store
            .create_client(
                &Actor::system("test"),
                "Cliente B",
                Rut::parse("12.345.678-5").unwrap(),
            )
            .await
            .unwrap();
        let outsider = principal(
            &f.app,
            "otro@x.cl",
            Role::ClientViewer,
            Some(other_client.id),
        )
        .await;
        assert!(matches!(
            f.app.job(&outsider, id).await,
            Err(Error::NotFound)
        ));
        assert!(matches!(
            f.app.job(&f.manager, id + 1000).await,
            Err(Error::NotFound)
        ));
    }

    #[tokio::test]
    async fn a_worker_that_lost_its_claim_cannot_commit_so_a_resumed_import_is_applied_once() {
        let f = fixture(fast()).await;
        let id = enqueue(&f, "queue-log", "queue_log", QUEUE_LOG).await;
        // Worker A claims the job and goes silent; the job is taken over by worker B.
        let (job_a, fence_a) = f.app.store.claim_job("a").await.unwrap().unwrap();
        f.app.store.requeue_stale_jobs(now() + 1).await.unwrap();
        let (job_b, fence_b) = f.app.store.claim_job("b").await.unwrap().unwrap();
        // A wakes up and runs the whole import: its commit is refused, nothing is applied.
        let progress = Arc::new(AtomicU64::new(0));
        assert!(matches!(
            f.app
                .run_import_job(&job_a, &fence_a, progress.clone())
                .await,
            Outcome::Lost
        ));
        assert!(batches(&f).await.is_empty(), "no half-applied import");
        assert!(progress.load(Ordering::Relaxed) > 0);
        // B's run commits the batch and completes the job in the same transaction.
        f.app.run_claimed(job_b, fence_b).await;
        let v = f.app.job(&f.manager, id).await.unwrap();
        assert_eq!((v.status, v.attempts), (JobStatus::Done, 2));
        let b = batches(&f).await;
        assert_eq!(b.len(), 1);
        assert_eq!(v.batch_id, Some(b[0].id));
    }

    #[tokio::test]
    async fn a_stale_job_is_resumed_by_a_running_worker() {
        let f = fixture(fast()).await;
        let id = enqueue(&f, "queue-log", "queue_log", QUEUE_LOG).await;
        // A worker claimed it and died without a heartbeat.
        f.app.store.claim_job("dead").await.unwrap().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let worker = {
            let app = f.app.clone();
            tokio::spawn(async move {
                app.run_job_worker(async {
                    let _ = stopped.await;
                })
                .await
            })
        };
        let v = wait_finished(&f, id).await;
        stop.send(()).unwrap();
        worker.await.unwrap();
        assert_eq!((v.status, v.attempts), (JobStatus::Done, 2), "{v:?}");
        assert_eq!(batches(&f).await.len(), 1);
    }

    #[tokio::test]
    async fn work_folders_of_attempts_that_are_over_are_removed_and_live_ones_kept() {
        let f = fixture(fast()).await;
        let id = enqueue(&f, "queue-log", "queue_log", QUEUE_LOG).await;
        let (_, fence) = f.app.store.claim_job("a").await.unwrap().unwrap();
        let root = f.app.settings.data_dir.join("jobs");
        let old = root.join(format!("{id}-{}-1", fence.attempt + 7));
        let live = root.join(format!("{id}-{}-1", fence.attempt));
        let gone_job = root.join("999999-1-1");
        for d in [&old, &live, &gone_job] {
            std::fs::create_dir_all(d).unwrap();
            std::fs::write(d.join("queue_log"), QUEUE_LOG).unwrap();
        }
        f.app.remove_abandoned_work().await;
        assert!(!old.exists() && !gone_job.exists());
        assert!(live.join("queue_log").exists());
    }

    #[tokio::test]
    async fn a_file_that_cannot_be_imported_fails_with_a_catalogue_key_and_leaves_no_batch() {
        let f = fixture(fast()).await;
        let id = enqueue(&f, "calls", "calls.csv", "").await;
        let v = f.app.run_job_now(&f.manager, id).await.unwrap();
        assert_eq!(v.status, JobStatus::Failed);
        assert_eq!(v.error.as_deref(), Some("error.import.empty"));
        assert_eq!(v.attempts, 1, "a bad file is not retried");
        assert!(batches(&f).await.is_empty());
    }

    #[tokio::test]
    async fn imports_are_checked_before_any_byte_is_stored() {
        let f = fixture(fast()).await;
        let analyst = principal(&f.app, "ana@x.cl", Role::Analyst, None).await;
        let check = |who: Principal, source: &'static str, mapping: &'static str| {
            let app = f.app.clone();
            async move {
                app.prepare_import(&who, "JOBS1", source, mapping, "x.csv")
                    .await
                    .map(|_| ())
            }
        };
        // An analyst off the programme's team does not even see it.
        assert!(matches!(
            check(analyst, "calls", "").await,
            Err(Error::NotFound)
        ));
        let invalid_key = |r: Result<()>| match r {
            Err(Error::Invalid(i)) => i.0[0].key,
            other => panic!("{other:?}"),
        };
        let m = f.manager.clone();
        assert_eq!(
            invalid_key(check(m.clone(), "fax", "").await),
            "error.import.source"
        );
        assert_eq!(
            invalid_key(check(m.clone(), "sales", "").await),
            "error.import.mapping_required"
        );
        assert_eq!(
            invalid_key(check(m, "calls", "nope").await),
            "error.import.mapping"
        );
    }

    #[test]
    fn uploaded_names_become_safe_local_file_names() {
        assert_eq!(safe_file_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_file_name("mi archivo (1).csv"), "mi_archivo__1_.csv");
        assert_eq!(safe_file_name(".."), "upload");
        assert_eq!(safe_file_name(""), "upload");
    }
}
