//! Following a growing `queue_log` (`rumbo watch queue-log`, or a server's follow job): read
//! what was appended since a saved position, keep the live state with every line, and import
//! each call through the one import pipeline once the call is over, in small batches.
//!
//! Exactly once: a call's lines are held until the call has no open stint (and a few seconds
//! more, so a call sent on to another queue travels as one), then imported; the saved position
//! (`imported_offset`) is the start of the oldest call still held, so a restart reads again
//! from there, and the calls read twice are skipped by their natural keys. The live state
//! stores the offset it has seen (`live_offset`) in the same transaction, so a restart does
//! not count a line twice. Like `tail -F`, a file replaced under the same name (rotation) is
//! read to its end before the new one is opened from its start, and a file that shrank
//! (truncation) is read again from its start.

use std::collections::BTreeMap;
use std::future::Future;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rumbo_kpi::live::queue_log_event;
use rumbo_store::live::FollowPos;
use rumbo_store::Actor;

use super::LiveFeed;
use crate::imports::{ImportRequest, Source};
use crate::{App, Error, Result};

/// The job kind of a server following a programme's `queue_log`.
pub const KIND_FOLLOW: &str = "live-follow";

/// How a follower paces itself.
#[derive(Debug, Clone)]
pub struct FollowOptions {
    /// How often the file is checked for new lines.
    pub poll: Duration,
    /// The live state is written at most this often.
    pub publish_every: Duration,
    /// Finished calls are imported when this many lines are ready, or when the oldest has
    /// waited `import_every`.
    pub batch_lines: usize,
    pub import_every: Duration,
    /// A finished call waits this long for a next stint before it is imported.
    pub settle: Duration,
    /// A call still open after this much platform time is imported as it is.
    pub max_call_age_s: i64,
    /// Live breaches are judged this often.
    pub breaches_every: Duration,
}

impl Default for FollowOptions {
    fn default() -> Self {
        FollowOptions {
            poll: Duration::from_millis(200),
            publish_every: Duration::from_millis(300),
            batch_lines: 2_000,
            import_every: Duration::from_secs(5),
            settle: Duration::from_secs(3),
            max_call_age_s: 4 * 3600,
            breaches_every: Duration::from_secs(30),
        }
    }
}

/// What a follower did (for the CLI and tests).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FollowStats {
    pub lines: u64,
    pub batches: u64,
    pub imported: u64,
    pub duplicates: u64,
    pub rotations: u64,
    pub truncations: u64,
}

/// A call whose lines are held until it is over.
#[derive(Debug)]
struct Held {
    /// Offset of its first line in the current file (0 for a call begun in a previous file).
    first_offset: u64,
    first_ts: i64,
    lines: Vec<String>,
    open_stints: i64,
    /// When the call was seen over (no open stint), if it is.
    over_since: Option<Instant>,
}

/// The identity of a file: device and inode (the path on systems without them).
fn file_id(meta: &std::fs::Metadata, path: &Path) -> String {
    #[cfg(unix)]
    {
        let _ = path;
        use std::os::unix::fs::MetadataExt;
        format!("{}:{}", meta.dev(), meta.ino())
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        path.display().to_string()
    }
}

struct Follower<'a> {
    app: &'a App,
    feed: LiveFeed,
    path: PathBuf,
    key: String,
    opts: FollowOptions,
    file: Option<std::fs::File>,
    id: String,
    /// Offset of the next byte to read in the current file.
    offset: u64,
    /// Bytes read after the last complete line.
    partial: Vec<u8>,
    live_offset: u64,
    /// Lines that belong to no call (agent sessions, pauses), held for the next batch.
    free: Vec<(u64, String)>,
    held: BTreeMap<String, Held>,
    newest_ts: i64,
    stats: FollowStats,
    work_dir: PathBuf,
}

impl App {
    /// Follows `path` for programme `code` until `shutdown` completes; see the module
    /// documentation.
    pub async fn follow_queue_log(
        &self,
        code: &str,
        path: &Path,
        opts: FollowOptions,
        shutdown: impl Future<Output = ()>,
    ) -> Result<FollowStats> {
        let feed = self.live_feed(code, "queue-log").await?;
        let path = crate::imports::absolute(path);
        let key = path.display().to_string();
        let saved = self.store.live_follow(feed.programme().id, &key).await?;
        let work_dir = self
            .settings
            .data_dir
            .join("live")
            .join(feed.programme().id.to_string());
        std::fs::create_dir_all(&work_dir).map_err(Error::internal)?;
        let mut f = Follower {
            app: self,
            feed,
            path,
            key,
            opts,
            file: None,
            id: String::new(),
            offset: 0,
            partial: Vec::new(),
            live_offset: 0,
            free: Vec::new(),
            held: BTreeMap::new(),
            newest_ts: 0,
            stats: FollowStats::default(),
            work_dir,
        };
        f.open(saved.as_ref());
        tracing::info!(path = %f.key, offset = f.offset, "following queue_log");
        tokio::pin!(shutdown);
        let mut last_publish = Instant::now();
        let mut last_breaches = Instant::now();
        let mut last_import = Instant::now();
        loop {
            f.poll_file()?;
            let ready = f.ready_lines();
            if ready > 0
                && (ready >= f.opts.batch_lines || last_import.elapsed() >= f.opts.import_every)
            {
                f.import_ready(false).await?;
                last_import = Instant::now();
            } else if ready == 0 {
                last_import = Instant::now();
            }
            if f.feed.is_dirty() && last_publish.elapsed() >= f.opts.publish_every {
                f.publish().await?;
                last_publish = Instant::now();
            }
            if last_breaches.elapsed() >= f.opts.breaches_every {
                last_breaches = Instant::now();
                if let Err(e) = f.feed.check_breaches(rumbo_store::now()).await {
                    tracing::warn!(error = %e, "could not judge live breaches");
                }
            }
            tokio::select! {
                _ = &mut shutdown => break,
                _ = tokio::time::sleep(f.opts.poll) => {}
            }
        }
        // Read what is there, import what is over, and save the position.
        f.poll_file()?;
        f.import_ready(true).await?;
        f.publish().await?;
        tracing::info!(path = %f.key, lines = f.stats.lines, batches = f.stats.batches, "stopped following");
        Ok(f.stats)
    }

    /// Runs a claimed follow job on its own task: it follows the file the programme's live
    /// settings name (again when they change) and sends its own heartbeats; it stops when the
    /// settings name no file any more (the job is done) or when another server took the job
    /// over (its heartbeat is refused).
    pub(crate) fn spawn_follow_job(
        &self,
        job: rumbo_store::jobs::Job,
        fence: rumbo_store::jobs::JobFence,
    ) {
        let app = self.clone();
        tokio::spawn(async move {
            let Some(pid) = job.programme_id else {
                let _ = app.store.complete_job(&fence, "{}").await;
                return;
            };
            let heartbeat = app.settings.jobs.heartbeat;
            loop {
                let settings = match app.stored_live_settings(pid).await {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::warn!(error = %e, "follow job: could not read the settings");
                        tokio::time::sleep(heartbeat).await;
                        continue;
                    }
                };
                let Some(path) = settings.queue_log.clone() else {
                    let _ = app.store.complete_job(&fence, "{}").await;
                    return;
                };
                let code = match app.store.programme_by_id(pid).await {
                    Ok(p) => p.code,
                    Err(e) => {
                        tracing::warn!(error = %e, "follow job: programme gone");
                        let _ = app.store.complete_job(&fence, "{}").await;
                        return;
                    }
                };
                // Stop following when the settings change or the claim is lost.
                let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<bool>();
                let watch = {
                    let app = app.clone();
                    let fence = fence.clone();
                    let path = path.clone();
                    tokio::spawn(async move {
                        loop {
                            tokio::time::sleep(heartbeat).await;
                            match app.store.heartbeat_job(&fence, 0).await {
                                Ok(false) => {
                                    let _ = stop_tx.send(true);
                                    return;
                                }
                                Ok(true) => {}
                                Err(e) => tracing::warn!(error = %e, "follow job heartbeat failed"),
                            }
                            if let Ok(s) = app.stored_live_settings(pid).await {
                                if s.queue_log.as_deref() != Some(path.as_str()) {
                                    let _ = stop_tx.send(false);
                                    return;
                                }
                            }
                        }
                    })
                };
                let lost = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
                let lost2 = lost.clone();
                let stop = async move {
                    if let Ok(true) = stop_rx.await {
                        lost2.store(true, std::sync::atomic::Ordering::Relaxed);
                    }
                };
                let r = app
                    .follow_queue_log(&code, Path::new(&path), FollowOptions::default(), stop)
                    .await;
                watch.abort();
                if let Err(e) = r {
                    tracing::warn!(error = %e, "follow job stopped; starting again");
                    tokio::time::sleep(heartbeat).await;
                }
                if lost.load(std::sync::atomic::Ordering::Relaxed) {
                    tracing::info!(
                        job = fence.job_id,
                        "follow job taken over by another server"
                    );
                    return;
                }
            }
        });
    }

    /// Queues the follow job of a programme unless one is queued or running.
    pub(crate) async fn ensure_follow_job(&self, programme_id: i64) -> Result<()> {
        self.store
            .enqueue_unique_job(KIND_FOLLOW, programme_id)
            .await?;
        Ok(())
    }
}

impl Follower<'_> {
    /// Opens the file at the saved position when it is still the same file and not shorter,
    /// else from its start.
    fn open(&mut self, saved: Option<&FollowPos>) {
        let Ok(file) = std::fs::File::open(&self.path) else {
            return;
        };
        let Ok(meta) = file.metadata() else {
            return;
        };
        self.id = file_id(&meta, &self.path);
        self.offset = 0;
        self.live_offset = 0;
        if let Some(s) = saved {
            if s.file_id == self.id && meta.len() >= s.imported_offset.max(0) as u64 {
                self.offset = s.imported_offset.max(0) as u64;
                self.live_offset = s.live_offset.max(0) as u64;
            }
        }
        self.file = Some(file);
    }

    /// Reads what was appended; follows a rotation or a truncation.
    fn poll_file(&mut self) -> Result<()> {
        if self.file.is_none() {
            self.open(None);
            if self.file.is_none() {
                return Ok(());
            }
        }
        self.read_to_end()?;
        let current = std::fs::metadata(&self.path).ok();
        match current {
            Some(m) if file_id(&m, &self.path) != self.id => {
                // Rotated: the old file is read to its end above; the new one from its start.
                self.stats.rotations += 1;
                tracing::info!(path = %self.key, "queue_log rotated");
                self.restart_file();
                self.open(None);
                self.read_to_end()?;
            }
            Some(m) if m.len() < self.offset => {
                self.stats.truncations += 1;
                tracing::info!(path = %self.key, "queue_log truncated");
                self.restart_file();
                self.open(None);
                self.read_to_end()?;
            }
            _ => {}
        }
        Ok(())
    }

    /// Held lines now belong to a previous file: their offsets no longer mean anything.
    fn restart_file(&mut self) {
        for h in self.held.values_mut() {
            h.first_offset = 0;
        }
        for f in &mut self.free {
            f.0 = 0;
        }
        self.partial.clear();
        self.file = None;
    }

    fn read_to_end(&mut self) -> Result<()> {
        let Some(file) = self.file.as_mut() else {
            return Ok(());
        };
        file.seek(SeekFrom::Start(self.offset + self.partial.len() as u64))
            .map_err(Error::internal)?;
        let mut buf = Vec::new();
        file.read_to_end(&mut buf).map_err(Error::internal)?;
        if buf.is_empty() {
            return Ok(());
        }
        let mut data = std::mem::take(&mut self.partial);
        data.extend_from_slice(&buf);
        let mut start = 0usize;
        while let Some(nl) = data[start..].iter().position(|&b| b == b'\n') {
            let end = start + nl + 1;
            let line = String::from_utf8_lossy(&data[start..end]).into_owned();
            let line_start = self.offset;
            self.offset += (end - start) as u64;
            self.line(line_start, self.offset, line);
            start = end;
        }
        self.partial = data[start..].to_vec();
        Ok(())
    }

    fn line(&mut self, start: u64, end: u64, line: String) {
        self.stats.lines += 1;
        let event = queue_log_event(&line);
        if end > self.live_offset {
            if let Some((at, ev)) = event.clone() {
                self.feed.apply(at, ev);
            }
            self.live_offset = end;
        }
        let f: Vec<&str> = line.trim_end().splitn(6, '|').collect();
        if f.len() < 5 {
            // Not a queue_log line: the importer reports it with the next batch.
            self.free.push((start, line));
            return;
        }
        let ts: i64 = f[0].split('.').next().unwrap_or("").parse().unwrap_or(0);
        self.newest_ts = self.newest_ts.max(ts);
        let call = f[1];
        if call.is_empty() || call == "NONE" {
            self.free.push((start, line));
            return;
        }
        let ev = f[4];
        let delta = match ev {
            "ENTERQUEUE" => 1,
            "ABANDON" | "EXITWITHTIMEOUT" | "EXITEMPTY" | "EXITWITHKEY" | "COMPLETECALLER"
            | "COMPLETEAGENT" | "TRANSFER" | "BLINDTRANSFER" | "ATTENDEDTRANSFER" => -1,
            _ => 0,
        };
        let h = self.held.entry(call.to_string()).or_insert_with(|| Held {
            first_offset: start,
            first_ts: ts,
            lines: Vec::new(),
            open_stints: 0,
            over_since: None,
        });
        h.lines.push(line);
        h.open_stints = (h.open_stints + delta).max(0);
        h.over_since = if h.open_stints == 0 && delta < 0 {
            Some(Instant::now())
        } else if h.open_stints > 0 {
            None
        } else {
            h.over_since
        };
    }

    /// Is this held call ready to import?
    fn is_ready(&self, h: &Held, all: bool) -> bool {
        all && h.over_since.is_some()
            || h.over_since
                .is_some_and(|t| t.elapsed() >= self.opts.settle)
            || self.newest_ts - h.first_ts > self.opts.max_call_age_s
    }

    fn ready_lines(&self) -> usize {
        self.held
            .values()
            .filter(|h| self.is_ready(h, false))
            .map(|h| h.lines.len())
            .sum()
    }

    /// Imports the calls that are over (`all`: without waiting to settle) with the lines that
    /// belong to no call.
    async fn import_ready(&mut self, all: bool) -> Result<()> {
        let ready: Vec<String> = self
            .held
            .iter()
            .filter(|(_, h)| self.is_ready(h, all))
            .map(|(k, _)| k.clone())
            .collect();
        if ready.is_empty() {
            return Ok(());
        }
        let mut lines: Vec<(i64, String)> = Vec::new();
        for k in &ready {
            if let Some(h) = self.held.remove(k) {
                lines.extend(h.lines.into_iter().map(|l| (h.first_ts, l)));
            }
        }
        // Session lines first (the importer joins member names to them), then the calls in
        // the order they began.
        let mut text = String::new();
        for (_, l) in self.free.drain(..) {
            text.push_str(&l);
        }
        lines.sort_by_key(|(ts, _)| *ts);
        for (_, l) in &lines {
            text.push_str(l);
        }
        let file = self
            .work_dir
            .join(format!("batch-{}.log", std::process::id()));
        std::fs::write(&file, text.as_bytes()).map_err(Error::internal)?;
        let report = self
            .app
            .import_file(
                ImportRequest {
                    programme_code: &self.feed.programme().code,
                    path: &file,
                    source: Source::QueueLog,
                    mapping: None,
                    mapping_name: None,
                    actor: Actor::system("watch"),
                    job: None,
                },
                |_| {},
            )
            .await;
        let _ = std::fs::remove_file(&file);
        let report = report?;
        self.stats.batches += 1;
        self.stats.imported += report.imported;
        self.stats.duplicates += report.duplicates;
        tracing::debug!(
            batch = report.batch_id,
            imported = report.imported,
            duplicates = report.duplicates,
            "queue_log batch imported"
        );
        // The position moves only after the batch is committed.
        self.publish().await?;
        Ok(())
    }

    fn position(&self) -> FollowPos {
        let oldest_held = self
            .held
            .values()
            .map(|h| h.first_offset)
            .chain(self.free.iter().map(|f| f.0))
            .min()
            .unwrap_or(self.offset);
        FollowPos {
            path: self.key.clone(),
            file_id: self.id.clone(),
            imported_offset: oldest_held.min(self.offset) as i64,
            live_offset: self.live_offset as i64,
        }
    }

    async fn publish(&mut self) -> Result<()> {
        let pos = self.position();
        self.feed.publish(Some(&pos)).await?;
        Ok(())
    }
}
