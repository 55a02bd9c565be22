//! Importing a file into a programme: parse, skip duplicates, retain raw records,
//! aggregate, and commit the batch in one transaction.
//!
//! Raw records are retained in *batch files beside the database* (chosen for the
//! 10M-row benchmark: a multi-row SQL insert of 10M calls costs minutes, a
//! sequential file seconds): `<data_dir>/<programme id>/<source>-<n>.csv` holds the
//! accepted records (the standard call CSV plus extra columns, so `rumbo kpi file`
//! can recompute them) and `….keys` their sorted 64-bit natural-key hashes.
//! Re-importing the same or an overlapping file skips every record whose natural
//! key (call id, session, evaluation, survey or sale id) is already in a committed
//! batch of the programme, so nothing is counted twice. The files are written
//! first and the batch row, issues and aggregates are committed afterwards in one
//! transaction: a crash before the commit leaves unreferenced files (orphans,
//! deleted by a later import) and no batch; after it, the whole batch.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use jiff::tz::TimeZone;
use rumbo_kpi::fxhash::FxBuildHasher;
use rumbo_kpi::{Agg, Bucketer, CallRecord, Granularity, KpiDefinition};
use rumbo_store::imports::{AggRow, IssueRow, NewBatch};
use rumbo_store::{Actor, Store};
use sha2::{Digest, Sha256};

use crate::cdr::CdrReader;
use crate::issue::{Issue, IssueKind, Severity};
use crate::mapping::{MappedCsv, MappedRecord, Mapping, RecordKind};
use crate::privacy::CallerHasher;
use crate::queue_log::{AgentSession, QueueLogItem, QueueLogOptions, QueueLogParser};
use crate::IngestError;

/// What kind of file is imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Asterisk queue_log (file or DB export).
    QueueLog,
    /// Asterisk CDR CSV.
    Cdr,
    /// Call CSV/XLSX: the standard layout without a mapping, any layout with one.
    Calls,
    /// QA evaluations (mapped CSV/XLSX).
    Quality,
    /// CSAT/NPS answers (mapped CSV/XLSX).
    Survey,
    /// Sales results (mapped CSV/XLSX).
    Sales,
}

impl Source {
    /// The CLI / storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::QueueLog => "queue-log",
            Source::Cdr => "cdr",
            Source::Calls => "calls",
            Source::Quality => "quality",
            Source::Survey => "survey",
            Source::Sales => "sales",
        }
    }

    fn record_kind(self) -> Option<RecordKind> {
        match self {
            Source::Calls => Some(RecordKind::Calls),
            Source::Quality => Some(RecordKind::Quality),
            Source::Survey => Some(RecordKind::Survey),
            Source::Sales => Some(RecordKind::Sales),
            _ => None,
        }
    }
}

/// Parameters of one import.
pub struct ImportRequest<'a> {
    /// Programme code.
    pub programme_code: &'a str,
    /// File to import.
    pub path: &'a Path,
    /// What it contains.
    pub source: Source,
    /// Column mapping (required for quality/survey/sales and for non-standard call files).
    pub mapping: Option<Mapping>,
    /// Name of the saved mapping, recorded with the batch.
    pub mapping_name: Option<String>,
    /// Folder for batch files (beside the database).
    pub data_dir: &'a Path,
    /// Installation secret for caller-number hashing.
    pub secret: &'a [u8],
    /// Who imports.
    pub actor: Actor,
}

/// Outcome of an import.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportReport {
    /// The committed batch.
    pub batch_id: i64,
    /// Lines read.
    pub lines_read: u64,
    /// Records imported.
    pub imported: u64,
    /// Lines rejected.
    pub rejected: u64,
    /// Suspicious findings.
    pub suspicious: u64,
    /// Records skipped because their natural key was already imported.
    pub duplicates: u64,
    /// SHA-256 of the file.
    pub file_hash: String,
}

/// Import errors: parsing/IO or the store.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error("store: {0}")]
    Store(#[from] rumbo_store::StoreError),
    #[error("{0}")]
    Invalid(String),
}

/// A 64-bit natural-key hash (non-cryptographic, well mixed; namespaced by record family).
pub fn natural_key(namespace: &str, id: &[u8]) -> u64 {
    fn mix(mut z: u64) -> u64 {
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    let mut h: u64 = 0x5275_6d62_6f4b_6579;
    for part in [namespace.as_bytes(), &[0x1f], id] {
        for chunk in part.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            h = mix(h ^ u64::from_le_bytes(b)).wrapping_add(chunk.len() as u64);
        }
    }
    mix(h ^ (namespace.len() + id.len()) as u64)
}

/// Reads while hashing and reporting progress.
struct Tracked<R, F: FnMut(u64)> {
    inner: R,
    sha: Sha256,
    done: u64,
    progress: F,
}

impl<R: Read, F: FnMut(u64)> Read for Tracked<R, F> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.sha.update(&buf[..n]);
        self.done += n as u64;
        (self.progress)(self.done);
        Ok(n)
    }
}

/// Accumulates the accepted records of a batch.
struct BatchWriter {
    family: &'static str,
    existing: HashSet<u64, FxBuildHasher>,
    seen: HashSet<u64, FxBuildHasher>,
    new_keys: Vec<u64>,
    data: Option<BufWriter<File>>,
    data_path: PathBuf,
    def: KpiDefinition,
    bucketer: Bucketer,
    aggs: std::collections::HashMap<String, BTreeMap<i64, Agg>>,
    imported: u64,
    duplicates: u64,
    min_ts: Option<i64>,
    max_ts: Option<i64>,
    issues: Vec<Issue>,
    last_by_caller: std::collections::HashMap<u64, (i64, String, i64), FxBuildHasher>,
}

impl BatchWriter {
    fn accept(&mut self, namespace: &str, id: &[u8], line: u64) -> bool {
        let k = natural_key(namespace, id);
        if self.existing.contains(&k) {
            self.duplicates += 1;
            return false;
        }
        if !self.seen.insert(k) {
            self.duplicates += 1;
            if self.issues.len() < 100_000 {
                self.issues.push(Issue::suspicious(
                    line,
                    IssueKind::DuplicateKey,
                    format!(
                        "{namespace} {} appears twice in the file; second skipped",
                        String::from_utf8_lossy(id)
                    ),
                ));
            }
            return false;
        }
        self.new_keys.push(k);
        self.imported += 1;
        true
    }

    /// A standard-layout line: aggregated from its parsed facts and retained verbatim.
    fn add_std_line(
        &mut self,
        line: u64,
        c: &crate::std_calls::StdCall<'_>,
        raw: &[u8],
        header: &str,
    ) -> Result<(), ImportError> {
        if !self.accept("call", &c.call_id, line) {
            return Ok(());
        }
        let f = c.facts;
        self.ts(f.enter_ts);
        let ts = rumbo_kpi::attribution_ts(&self.def, &f);
        let queue = String::from_utf8_lossy(&c.queue);
        let def = self.def.clone();
        self.row(&queue, ts)?.add_call(&def, &f);
        let w = self.data(header)?;
        w.write_all(raw).map_err(IngestError::from)?;
        w.write_all(b"\n").map_err(IngestError::from)?;
        Ok(())
    }

    /// First-contact resolution within the batch: every call from an identified caller is
    /// a contact; the caller's previous call is marked repeated when this one comes within
    /// the definition's window (input in time order, as queue_log and CDR files are).
    fn fcr(
        &mut self,
        caller_hash: &str,
        queue: &str,
        attributed_ts: i64,
        enter_ts: i64,
    ) -> Result<(), ImportError> {
        let start = self
            .bucketer
            .start_of(attributed_ts)
            .map_err(|e| ImportError::Invalid(e.to_string()))?;
        self.row(queue, attributed_ts)?.fcr_contacts += 1;
        let ck = natural_key("caller", caller_hash.as_bytes());
        let window = self.def.fcr_window_s;
        if let Some((prev_ts, prev_queue, prev_start)) = self.last_by_caller.get(&ck).cloned() {
            if enter_ts >= prev_ts && enter_ts - prev_ts <= window {
                if let Some(a) = self
                    .aggs
                    .get_mut(&prev_queue)
                    .and_then(|m| m.get_mut(&prev_start))
                {
                    a.fcr_repeats += 1;
                }
            }
        }
        self.last_by_caller
            .insert(ck, (enter_ts, queue.to_string(), start));
        Ok(())
    }

    fn ts(&mut self, ts: i64) {
        self.min_ts = Some(self.min_ts.map_or(ts, |m| m.min(ts)));
        self.max_ts = Some(self.max_ts.map_or(ts, |m| m.max(ts)));
    }

    fn row(&mut self, queue: &str, ts: i64) -> Result<&mut Agg, ImportError> {
        let start = self
            .bucketer
            .start_of(ts)
            .map_err(|e| ImportError::Invalid(e.to_string()))?;
        if !self.aggs.contains_key(queue) {
            self.aggs.insert(queue.to_string(), BTreeMap::new());
        }
        let per_queue = self
            .aggs
            .get_mut(queue)
            .ok_or_else(|| ImportError::Invalid("queue".into()))?;
        Ok(per_queue.entry(start).or_default())
    }

    fn data(&mut self, header: &str) -> Result<&mut BufWriter<File>, ImportError> {
        if self.data.is_none() {
            let mut w = BufWriter::with_capacity(
                1 << 20,
                File::create(&self.data_path).map_err(IngestError::from)?,
            );
            writeln!(w, "{header}").map_err(IngestError::from)?;
            self.data = Some(w);
        }
        self.data
            .as_mut()
            .ok_or_else(|| ImportError::Invalid("data file".into()))
    }

    fn add_call(&mut self, line: u64, r: &CallRecord) -> Result<(), ImportError> {
        if !self.accept("call", r.call_id.as_bytes(), line) {
            return Ok(());
        }
        let f = r.facts;
        self.ts(f.enter_ts);
        let def = self.def.clone();
        let ts = rumbo_kpi::attribution_ts(&def, &f);
        self.row(&r.queue, ts)?.add_call(&def, &f);
        if let Some(h) = &r.caller_hash {
            self.fcr(h, &r.queue, ts, f.enter_ts)?;
        }
        let w = self.data(CALL_HEADER)?;
        let o = opt_text;
        writeln!(
            w,
            "{},{},{},{:?},{:?},{:?},{:?},{},{},{},{},{},{},{},{}",
            csv_text(&r.call_id),
            csv_text(&r.queue),
            f.enter_ts,
            f.wait_s,
            f.talk_s,
            f.hold_s,
            f.wrap_s,
            f.outcome.as_str(),
            o(&r.agent),
            o(&r.caller_hash),
            o(&r.caller_masked),
            o(&r.disposition),
            u8::from(f.sale),
            r.stints,
            o(&r.first_queue)
        )
        .map_err(IngestError::from)?;
        Ok(())
    }

    fn add_session(&mut self, s: &AgentSession, file_end: i64) -> Result<(), ImportError> {
        let id = format!("{}@{}", s.agent, s.login_ts);
        if !self.accept("session", id.as_bytes(), s.login_line) {
            return Ok(());
        }
        let mut parts = BTreeMap::new();
        let mut b = self.bucketer.clone();
        crate::occupancy::add_session(s, file_end, &mut b, &mut parts)
            .map_err(|e| ImportError::Invalid(e.to_string()))?;
        for (iv, t) in parts {
            self.aggs
                .entry(String::new())
                .or_default()
                .entry(iv)
                .or_default()
                .add_agent_time(t.staffed_s, t.paused_s, t.busy_s);
        }
        // Sessions are not retained row by row (their natural keys are, in the keys file):
        // their agent time is stored in the aggregates, which no KPI definition changes.
        Ok(())
    }

    fn add_mapped(&mut self, line: u64, r: &MappedRecord) -> Result<(), ImportError> {
        let def = self.def.clone();
        match r {
            MappedRecord::Call(c) => self.add_call(line, c)?,
            MappedRecord::Quality(q) => {
                if self.accept("qa", q.key.as_bytes(), line) {
                    self.ts(q.ts);
                    self.row(q.queue.as_deref().unwrap_or(""), q.ts)?
                        .add_qa(q.score);
                    let w = self.data("key,ts,agent,queue,call_id,score")?;
                    writeln!(
                        w,
                        "{},{},{},{},{},{:?}",
                        csv_text(&q.key),
                        q.ts,
                        csv_text(&q.agent),
                        csv_text(q.queue.as_deref().unwrap_or("")),
                        csv_text(q.call_id.as_deref().unwrap_or("")),
                        q.score
                    )
                    .map_err(IngestError::from)?;
                }
            }
            MappedRecord::Survey(s) => {
                if self.accept("survey", s.key.as_bytes(), line) {
                    self.ts(s.ts);
                    let a = self.row(s.queue.as_deref().unwrap_or(""), s.ts)?;
                    if let Some(c) = s.csat {
                        a.add_csat(&def, c);
                    }
                    if let Some(n) = s.nps {
                        a.add_nps(&def, n);
                    }
                    let w = self.data("key,ts,queue,call_id,agent,csat,nps")?;
                    let n = |v: Option<u8>| v.map(|x| x.to_string()).unwrap_or_default();
                    writeln!(
                        w,
                        "{},{},{},{},{},{},{}",
                        csv_text(&s.key),
                        s.ts,
                        csv_text(s.queue.as_deref().unwrap_or("")),
                        csv_text(s.call_id.as_deref().unwrap_or("")),
                        csv_text(s.agent.as_deref().unwrap_or("")),
                        n(s.csat),
                        n(s.nps)
                    )
                    .map_err(IngestError::from)?;
                }
            }
            MappedRecord::Sale(s) => {
                if self.accept("sale", s.key.as_bytes(), line) {
                    self.ts(s.ts);
                    self.row(s.queue.as_deref().unwrap_or(""), s.ts)?
                        .add_sales(u64::from(s.count));
                    let w = self.data("key,ts,queue,call_id,agent,count,amount")?;
                    writeln!(
                        w,
                        "{},{},{},{},{},{},{}",
                        csv_text(&s.key),
                        s.ts,
                        csv_text(s.queue.as_deref().unwrap_or("")),
                        csv_text(s.call_id.as_deref().unwrap_or("")),
                        csv_text(s.agent.as_deref().unwrap_or("")),
                        s.count,
                        s.amount.map(|v| format!("{v:?}")).unwrap_or_default()
                    )
                    .map_err(IngestError::from)?;
                }
            }
        }
        let _ = self.family;
        Ok(())
    }
}

/// Header of retained call batch files.
pub const CALL_HEADER: &str = "call_id,queue,enter_ts,wait_s,talk_s,hold_s,wrap_s,outcome,agent,caller_hash,caller_masked,disposition,sale,stints,first_queue";

fn csv_text(s: &str) -> std::borrow::Cow<'_, str> {
    rumbo_kpi::format::csv_field(s)
}

fn opt_text(s: &Option<String>) -> std::borrow::Cow<'_, str> {
    csv_text(s.as_deref().unwrap_or(""))
}

fn read_keys(path: &Path, out: &mut HashSet<u64, FxBuildHasher>) -> Result<(), ImportError> {
    let bytes = std::fs::read(path).map_err(IngestError::from)?;
    out.extend(bytes.chunks_exact(8).map(|c| {
        let mut b = [0u8; 8];
        b.copy_from_slice(c);
        u64::from_le_bytes(b)
    }));
    Ok(())
}

fn family(source: Source) -> &'static str {
    match source {
        Source::QueueLog | Source::Cdr | Source::Calls => "call",
        Source::Quality => "qa",
        Source::Survey => "survey",
        Source::Sales => "sale",
    }
}

/// The installation secret for caller-number hashing, created on first use.
pub async fn installation_secret(store: &Store) -> Result<Vec<u8>, ImportError> {
    let hex_secret = store
        .setting_or_init("caller_hash_secret", || {
            let mut h = Sha256::new();
            h.update(rumbo_store::now().to_le_bytes());
            h.update(std::process::id().to_le_bytes());
            if let Ok(mut f) = File::open("/dev/urandom") {
                let mut b = [0u8; 32];
                if f.read_exact(&mut b).is_ok() {
                    h.update(b);
                }
            }
            hex::encode(h.finalize())
        })
        .await?;
    Ok(hex_secret.into_bytes())
}

/// Where batch files go: beside an SQLite database (`x.db` → `x-data/`), else `./rumbo-data`.
pub fn default_data_dir(database_url: &str) -> PathBuf {
    let u = database_url.trim();
    let path = if let Some(rest) = u.strip_prefix("sqlite:") {
        let rest = rest.trim_start_matches("//");
        rest.split('?').next().unwrap_or(rest)
    } else if !u.contains("://") && !u.is_empty() {
        u
    } else {
        return PathBuf::from("rumbo-data");
    };
    let p = Path::new(path);
    let stem = p
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "rumbo".into());
    p.with_file_name(format!("{stem}-data"))
}

/// Deletes batch files in `dir` that no committed batch references and that are older
/// than an hour (left by a crashed import; younger ones may belong to a running import).
async fn remove_orphans(store: &Store, dir: &Path) -> Result<(), ImportError> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    let known: HashSet<String> = store.import_file_paths().await?.into_iter().collect();
    for e in entries.flatten() {
        let p = e.path();
        let old = e
            .metadata()
            .ok()
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|d| d.as_secs() > 3600);
        if old && !known.contains(&p.to_string_lossy().into_owned()) {
            let _ = std::fs::remove_file(&p);
        }
    }
    Ok(())
}

/// Imports a file into a programme; see the module documentation. `progress` is called
/// with the number of bytes read so far.
pub async fn import_file(
    store: &Store,
    req: ImportRequest<'_>,
    progress: impl FnMut(u64),
) -> Result<ImportReport, ImportError> {
    let prog = store
        .programme_for(req.programme_code, None)
        .await?
        .programme;
    let tz = TimeZone::get(&prog.time_zone).unwrap_or(TimeZone::UTC);
    let dir = req.data_dir.join(prog.id.to_string());
    std::fs::create_dir_all(&dir).map_err(IngestError::from)?;
    remove_orphans(store, &dir).await?;
    let fam = family(req.source);
    let mut existing: HashSet<u64, FxBuildHasher> = HashSet::default();
    for b in store.import_batches(prog.id).await? {
        if family(source_from(&b.source)) == fam {
            if let Some(k) = &b.keys_path {
                read_keys(Path::new(k), &mut existing)?;
            }
        }
    }
    let unique = format!(
        "{}-{}-{}",
        req.source.as_str(),
        rumbo_store::now(),
        std::process::id()
    );
    let mut w = BatchWriter {
        family: fam,
        existing,
        seen: {
            let len = std::fs::metadata(req.path).map(|m| m.len()).unwrap_or(0);
            let mut h = HashSet::default();
            h.reserve(((len / 48) as usize).min(50_000_000));
            h
        },
        new_keys: Vec::new(),
        data: None,
        data_path: dir.join(format!("{unique}.csv")),
        def: KpiDefinition::standard(),
        bucketer: Bucketer::new(Granularity::Minutes(15), tz.clone()),
        aggs: std::collections::HashMap::new(),
        imported: 0,
        duplicates: 0,
        min_ts: None,
        max_ts: None,
        issues: Vec::new(),
        last_by_caller: Default::default(),
    };
    let file = File::open(req.path).map_err(IngestError::from)?;
    let mut tracked = Tracked {
        inner: file,
        sha: Sha256::new(),
        done: 0,
        progress,
    };
    let hasher = CallerHasher::new(req.secret);
    let is_xlsx = req
        .path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
    let mut lines_read: u64 = 0;
    match (req.source, &req.mapping) {
        (Source::QueueLog, _) => {
            let opts = QueueLogOptions {
                tz: tz.clone(),
                hasher: Some(hasher),
                ..QueueLogOptions::default()
            };
            let mut parser =
                QueueLogParser::new(BufReader::with_capacity(1 << 20, &mut tracked), opts);
            let mut sessions = Vec::new();
            let mut last_ts = i64::MIN;
            for item in parser.by_ref() {
                match item {
                    QueueLogItem::Call(c) => {
                        last_ts = last_ts.max(c.record.facts.enter_ts);
                        w.add_call(c.first_line, &c.record)?;
                    }
                    QueueLogItem::Session(s) => sessions.push(s),
                    QueueLogItem::Issue(i) => w.issues.push(i),
                }
            }
            lines_read = parser.summary().lines;
            for s in &sessions {
                let end = s.logoff_ts.unwrap_or(last_ts.max(s.login_ts));
                w.add_session(s, end)?;
            }
        }
        (Source::Cdr, _) => {
            for r in CdrReader::new(
                BufReader::with_capacity(1 << 20, &mut tracked),
                tz.clone(),
                Some(hasher),
            ) {
                lines_read += 1;
                match r {
                    Ok((line, rec)) => w.add_call(line, &rec)?,
                    Err(i) => w.issues.push(i),
                }
            }
        }
        (Source::Calls, None) => {
            lines_read = import_standard_calls(&mut tracked, &mut w)?;
        }
        (src, Some(m)) => {
            if src.record_kind() != Some(m.kind) {
                return Err(ImportError::Invalid(format!(
                    "mapping is for {:?}, not {}",
                    m.kind,
                    src.as_str()
                )));
            }
            let rows: Box<dyn Iterator<Item = crate::mapping::MappedRow>> = if is_xlsx {
                let mut bytes = Vec::new();
                tracked.read_to_end(&mut bytes).map_err(IngestError::from)?;
                Box::new(
                    crate::xlsx::read_xlsx(std::io::Cursor::new(bytes), m, Some(hasher))?
                        .into_iter(),
                )
            } else {
                Box::new(MappedCsv::new(
                    BufReader::with_capacity(1 << 20, &mut tracked),
                    m,
                    Some(hasher),
                )?)
            };
            for r in rows {
                lines_read += 1;
                match r {
                    Ok((line, rec)) => w.add_mapped(line, &rec)?,
                    Err(i) => w.issues.push(i),
                }
            }
        }
        (src, None) => {
            return Err(ImportError::Invalid(format!(
                "importing {} needs --mapping",
                src.as_str()
            )))
        }
    }
    // Make the retained files durable before the batch that references them is committed.
    let mut data_path = None;
    let mut keys_path = None;
    if let Some(mut d) = w.data.take() {
        d.flush().map_err(IngestError::from)?;
        d.get_ref().sync_all().map_err(IngestError::from)?;
        data_path = Some(w.data_path.to_string_lossy().into_owned());
    }
    if !w.new_keys.is_empty() {
        w.new_keys.sort_unstable();
        let kp = w.data_path.with_extension("keys");
        let mut kf = BufWriter::new(File::create(&kp).map_err(IngestError::from)?);
        for k in &w.new_keys {
            kf.write_all(&k.to_le_bytes()).map_err(IngestError::from)?;
        }
        kf.flush().map_err(IngestError::from)?;
        kf.get_ref().sync_all().map_err(IngestError::from)?;
        keys_path = Some(kp.to_string_lossy().into_owned());
    }
    let file_hash = hex::encode(tracked.sha.finalize());
    let rejected = w
        .issues
        .iter()
        .filter(|i| i.severity == Severity::Rejected)
        .count() as u64;
    let suspicious = w.issues.len() as u64 - rejected;
    let def_id = w.def.id().clone();
    let batch = NewBatch {
        programme_id: prog.id,
        source: req.source.as_str().to_string(),
        file_name: req
            .path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default(),
        file_hash: file_hash.clone(),
        mapping_name: req.mapping_name.clone(),
        lines_read: lines_read as i64,
        imported: w.imported as i64,
        rejected: rejected as i64,
        suspicious: suspicious as i64,
        duplicates: w.duplicates as i64,
        data_path,
        keys_path,
        min_ts: w.min_ts,
        max_ts: w.max_ts,
        issues: w
            .issues
            .iter()
            .map(|i| IssueRow {
                line: i.line as i64,
                severity: i.severity.as_str().into(),
                kind: i.kind.code().into(),
                message: i.message.clone(),
            })
            .collect(),
        aggregates: std::mem::take(&mut w.aggs)
            .into_iter()
            .flat_map(|(queue, rows)| {
                let def_id = def_id.clone();
                rows.into_iter().map(move |(interval_start, agg)| AggRow {
                    definition: def_id.clone(),
                    queue: queue.clone(),
                    interval_start,
                    agg,
                })
            })
            .collect(),
    };
    let batch_id = store.commit_import(&req.actor, &batch).await?;
    Ok(ImportReport {
        batch_id,
        lines_read,
        imported: w.imported,
        rejected,
        suspicious,
        duplicates: w.duplicates,
        file_hash,
    })
}

fn source_from(s: &str) -> Source {
    match s {
        "queue-log" => Source::QueueLog,
        "cdr" => Source::Cdr,
        "quality" => Source::Quality,
        "survey" => Source::Survey,
        "sales" => Source::Sales,
        _ => Source::Calls,
    }
}

fn import_standard_calls(input: &mut impl Read, w: &mut BatchWriter) -> Result<u64, ImportError> {
    let mut reader = BufReader::with_capacity(1 << 20, input);
    let mut header = Vec::new();
    reader
        .read_until(b'\n', &mut header)
        .map_err(IngestError::from)?;
    while header.last().is_some_and(|c| *c == b'\n' || *c == b'\r') {
        header.pop();
    }
    if header.is_empty() {
        return Err(IngestError::Empty.into());
    }
    let layout = crate::std_calls::Layout::from_header(&header)?;
    let header_text = String::from_utf8_lossy(&header).into_owned();
    let mut line_no: u64 = 1;
    let mut carry: Vec<u8> = Vec::new();
    let mut failure: Option<ImportError> = None;
    loop {
        let buf = reader.fill_buf().map_err(IngestError::from)?;
        let at_end = buf.is_empty();
        let n = buf.len();
        carry.extend_from_slice(buf);
        reader.consume(n);
        let cut = if at_end {
            carry.len()
        } else {
            carry.iter().rposition(|&c| c == b'\n').map_or(0, |i| i + 1)
        };
        if cut > 0 {
            let chunk = &carry[..cut];
            let issues =
                crate::std_calls::parse_chunk_raw(&layout, chunk, line_no + 1, |ln, c, raw| {
                    if failure.is_some() {
                        return;
                    }
                    if let Err(e) = w.add_std_line(ln, &c, raw, &header_text) {
                        failure = Some(e);
                    }
                });
            w.issues.extend(issues);
            line_no += crate::std_calls::count_lines(chunk);
            carry.drain(..cut);
        }
        if let Some(e) = failure.take() {
            return Err(e);
        }
        if at_end {
            break;
        }
    }
    Ok(line_no - 1)
}
