//! Importing a file into a programme: parse, skip what is already imported, retain the raw
//! records, aggregate, and commit the batch in one transaction, exactly once.
//!
//! Every record has a 128-bit natural key (SHA-256 of its family and id: call id, agent
//! session, evaluation, survey or sale id). An import takes a snapshot of the programme (its
//! newest batch), skips every record whose key a batch up to the snapshot holds, and commits
//! its own keys with the batch. The commit is serialised per programme and refuses when a
//! batch committed after the snapshot holds any of the new keys; the import is then redone
//! against the new state (a bounded number of times). So two imports of the same file at the
//! same time — two CLI processes, several web uploads, on SQLite or PostgreSQL — store each
//! record once.
//!
//! Raw records go through the store's raw seam ([`rumbo_store::raw`]): grouped by (queue,
//! 15-minute interval of entry), in a batch file under the data folder (SQLite) or in the
//! database (PostgreSQL), indexed so the drill-down reads only the interval it shows. The
//! records are written before the commit; a crash before it leaves an unreferenced file (an
//! orphan, deleted by a later import) and no batch; after it, the whole batch.

mod batch;
mod known;

pub use known::KeyCache;
use known::{Check, FamilyKeys, KnownKeys, Stamp};

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use jiff::tz::TimeZone;
use rumbo_domain::Invalid;
use rumbo_ingest::cdr::CdrReader;
use rumbo_ingest::detect::{detect, Layout, SAMPLE_BYTES};
pub use rumbo_ingest::detect::{Detection, Found, LAYOUT_NAMES};
use rumbo_ingest::mapping::{MappedCsv, MappedRow, Mapping, RecordKind};
use rumbo_ingest::plausible::Limits;
use rumbo_ingest::privacy::CallerHasher;
use rumbo_ingest::queue_log::{QueueLogItem, QueueLogOptions, QueueLogParser};
use rumbo_ingest::vicidial::VicidialReader;
use rumbo_ingest::{IngestError, Severity};
use rumbo_kpi::fxhash::FxBuildHasher;
use rumbo_kpi::KpiDefinition;
use rumbo_store::imports::{AggRow, IssueRow, IssueTotal, NewBatch};
use rumbo_store::raw::RawStore;
use rumbo_store::{Actor, StoreError};
use sha2::{Digest, Sha256};

use crate::{App, Error, Result};
use batch::BatchWriter;

/// What kind of file is imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Whatever the content is: the layout is recognised from the file's first lines (or the
    /// mapping's kind, when a mapping is given).
    Auto,
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
            Source::Auto => "auto",
            Source::QueueLog => "queue-log",
            Source::Cdr => "cdr",
            Source::Calls => "calls",
            Source::Quality => "quality",
            Source::Survey => "survey",
            Source::Sales => "sales",
        }
    }

    /// The source of a stored batch (its `source` column).
    pub fn from_stored(s: &str) -> Source {
        match s {
            "queue-log" => Source::QueueLog,
            "cdr" => Source::Cdr,
            "quality" => Source::Quality,
            "survey" => Source::Survey,
            "sales" => Source::Sales,
            _ => Source::Calls,
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

    /// The record family, which namespaces natural keys.
    fn family(self) -> &'static str {
        match self {
            Source::Auto | Source::QueueLog | Source::Cdr | Source::Calls => "call",
            Source::Quality => "qa",
            Source::Survey => "survey",
            Source::Sales => "sale",
        }
    }
}

/// Issues of each reason kept line by line in a batch's report; the rest are counted.
pub const ISSUES_PER_REASON: usize = rumbo_ingest::report::IssueLog::PER_REASON;

/// Stored sources whose batches hold calls.
pub const CALL_SOURCES: &[&str] = &["queue-log", "cdr", "calls"];

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
    /// Who imports.
    pub actor: Actor,
    /// The job running this import, if any: marked done in the batch's transaction.
    pub job: Option<rumbo_store::jobs::JobFence>,
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
    /// How many times the import was redone because a concurrent import of overlapping
    /// records committed first.
    pub retries: u32,
    /// Lines not understood: unreadable lines and unknown events.
    pub not_understood: u64,
    /// Whether most lines were not understood (the file is probably not what the import
    /// expected); the batch is marked so everywhere.
    pub mostly_not_understood: bool,
    /// The source the file was read as (`queue-log`, `cdr`, `calls`…), resolved when the
    /// request said [`Source::Auto`].
    pub source: Source,
    /// The layout the importer took (`queue-log-pipe`, `cdr-header`, `mapping`…).
    pub layout: String,
}

/// How a file will be read: its source and, for files read without a mapping, the layout
/// recognised from its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadPlan {
    /// The resolved source.
    pub source: Source,
    /// The recognised layout (`None`: read through the request's mapping).
    pub layout: Option<Layout>,
}

impl ReadPlan {
    /// The layout's stable name (`mapping` for a file read through a mapping).
    pub fn layout_name(&self) -> &'static str {
        self.layout.as_ref().map_or("mapping", Layout::name)
    }
}

/// The catalogue key of the refusal of a file whose content is not a known layout.
pub fn unrecognised_key(found: Found) -> &'static str {
    match found {
        Found::Blank => "error.import.unrecognised.blank",
        Found::Markup => "error.import.unrecognised.markup",
        Found::Json => "error.import.unrecognised.json",
        Found::NoFields => "error.import.unrecognised.no_fields",
        Found::UnknownColumns => "error.import.unrecognised.unknown_columns",
        Found::UnknownRows => "error.import.unrecognised.unknown_rows",
    }
}

/// Every key [`unrecognised_key`] and [`plan_read`] may refuse with.
pub const RECOGNITION_KEYS: &[&str] = &[
    "error.import.unrecognised.blank",
    "error.import.unrecognised.markup",
    "error.import.unrecognised.json",
    "error.import.unrecognised.no_fields",
    "error.import.unrecognised.unknown_columns",
    "error.import.unrecognised.unknown_rows",
    "error.import.layout_mismatch",
];

/// What the first lines of a file are: a known layout, or what was found instead (with the
/// line and its text, for a message that names them).
pub fn recognise_file(path: &Path) -> Result<Detection> {
    let mut head = Vec::with_capacity(SAMPLE_BYTES);
    File::open(path)
        .map_err(io_error)?
        .take(SAMPLE_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(io_error)?;
    Ok(detect(&head))
}

fn source_of_kind(kind: RecordKind) -> Source {
    match kind {
        RecordKind::Calls => Source::Calls,
        RecordKind::Quality => Source::Quality,
        RecordKind::Survey => Source::Survey,
        RecordKind::Sales => Source::Sales,
    }
}

/// Whether a mapping of `kind` may read a file of `source`: a calls mapping serves every call
/// source (a queue_log or CDR export with its own columns is read through it), other kinds
/// only their own source; with [`Source::Auto`] the mapping decides.
pub fn mapping_fits(source: Source, kind: RecordKind) -> bool {
    match source {
        Source::Auto => true,
        Source::QueueLog | Source::Cdr | Source::Calls => kind == RecordKind::Calls,
        other => other == source_of_kind(kind),
    }
}

/// Decides how to read the file of `req`: through its mapping when it has one (a calls
/// mapping serves any call source), else by the layout recognised from its content, which
/// must belong to the source asked for (unless that is [`Source::Auto`]). An unrecognised
/// file is refused here, before anything is stored.
pub fn plan_read(path: &Path, source: Source, mapping: Option<&Mapping>) -> Result<ReadPlan> {
    if let Some(m) = mapping {
        if !mapping_fits(source, m.kind) {
            return Err(Error::invalid("mapping", "error.import.mapping_kind"));
        }
        return Ok(ReadPlan {
            source: source_of_kind(m.kind),
            layout: None,
        });
    }
    if source.record_kind().is_some() && source != Source::Calls {
        return Err(Error::invalid("mapping", "error.import.mapping_required"));
    }
    let xlsx = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
    if xlsx {
        return Err(Error::invalid("mapping", "error.import.mapping_required"));
    }
    match recognise_file(path)? {
        Detection::Known(layout) => {
            let resolved = Source::from_stored(layout.source());
            if source != Source::Auto && source != resolved {
                tracing::info!(
                    asked = source.as_str(),
                    found = layout.name(),
                    "import refused"
                );
                return Err(Error::invalid("file", "error.import.layout_mismatch"));
            }
            Ok(ReadPlan {
                source: resolved,
                layout: Some(layout),
            })
        }
        Detection::Unrecognised {
            found,
            line,
            sample,
        } => {
            tracing::info!(
                found = found.code(),
                line,
                sample,
                "import refused: layout not recognised"
            );
            Err(Error::invalid("file", unrecognised_key(found)))
        }
    }
}

/// How many times an import is redone when concurrent imports keep committing overlapping
/// records first.
const MAX_ATTEMPTS: u32 = 5;

/// The 128-bit natural key of a record: the first 16 bytes of SHA-256 over its family
/// (namespace), a separator and its id.
pub fn natural_key(namespace: &str, id: &[u8]) -> u128 {
    let mut h = Sha256::new();
    h.update(namespace.as_bytes());
    h.update([0x1f]);
    h.update(id);
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    u128::from_be_bytes(b)
}

/// Where the data folder is by default: beside an SQLite database (`x.db` → `x-data/`), else
/// `./rumbo-data`; always absolute.
pub fn default_data_dir(database_url: &str) -> PathBuf {
    let u = database_url.trim();
    let path = if let Some(rest) = u.strip_prefix("sqlite:") {
        let rest = rest.trim_start_matches("//");
        rest.split('?').next().unwrap_or(rest)
    } else if !u.contains("://") && !u.is_empty() {
        u
    } else {
        return absolute(Path::new("rumbo-data"));
    };
    let p = Path::new(path);
    let stem = p
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "rumbo".into());
    absolute(&p.with_file_name(format!("{stem}-data")))
}

/// `p` made absolute against the current directory (unchanged if that fails).
pub fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
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

/// A parse error that stops the whole file, as a user-facing problem (or an internal one).
pub(crate) fn ingest_error(e: IngestError) -> Error {
    let key = match &e {
        IngestError::MissingColumn(_) => "error.import.missing_column",
        IngestError::Empty => "error.import.empty",
        IngestError::Mapping(_) => "error.import.mapping_invalid",
        IngestError::Xlsx(_) => "error.import.unreadable",
        IngestError::XlsxLimit(_) => "error.import.xlsx_limit",
        _ => return Error::internal(e),
    };
    tracing::info!(error = %e, "import refused");
    Error::invalid("file", key)
}

pub(crate) fn io_error(e: std::io::Error) -> Error {
    Error::internal(e)
}

/// A time the bucketer cannot place (far outside the supported range).
pub(crate) fn time_error(e: rumbo_kpi::KpiError) -> Error {
    tracing::info!(error = %e, "import refused");
    Error::invalid("file", "error.import.time")
}

/// What one pass over the file produced.
struct Parsed {
    batch: NewBatch,
    report: ImportReport,
}

/// A pass either produced a batch, or found records repeated inside the file (their keys),
/// which a second pass knowing them skips.
enum Pass {
    Done(Box<Parsed>),
    Repeated(HashSet<u128, FxBuildHasher>),
}

impl App {
    /// Where this installation keeps raw records.
    pub fn raw_store(&self) -> RawStore {
        self.store.raw_store(&self.settings.data_dir)
    }

    /// Imports a file into a programme; see the module documentation. `progress` is called
    /// with the number of bytes read so far (from zero again if the import is redone).
    /// Parsing is synchronous CPU work inside this future.
    pub async fn import_file(
        &self,
        req: ImportRequest<'_>,
        mut progress: impl FnMut(u64),
    ) -> Result<ImportReport> {
        let prog = self
            .store
            .programme_for(req.programme_code, None)
            .await?
            .programme;
        refuse_unusable_file(req.path)?;
        let plan = plan_read(req.path, req.source, req.mapping.as_ref())?;
        let tz = TimeZone::get(&prog.time_zone).unwrap_or(TimeZone::UTC);
        let secret = self.installation_secret().await?;
        let raw = self.raw_store();
        if self.orphan_sweep_due(prog.id) {
            remove_orphans(&self.store, raw.data_dir(), &raw.spool_dir(prog.id)).await?;
        }
        let family = plan.source.family();
        // Numbers on the suppression list (objection, blocking): their calls still count in
        // the figures, but the number is not kept with the raw record.
        let suppressed: HashSet<String> =
            self.store.suppressed_callers().await?.into_iter().collect();
        for attempt in 0..MAX_ATTEMPTS {
            let snapshot = self.store.newest_batch(prog.id).await?;
            let existing = self.known_keys(prog.id, family, snapshot).await?;
            let t = std::time::Instant::now();
            let mut pass = parse_file(
                &req,
                &plan,
                &prog,
                &tz,
                &secret,
                &existing,
                None,
                &suppressed,
                &raw,
                snapshot,
                self.settings.import_threads,
                &mut progress,
            )?;
            if let Pass::Repeated(repeated) = pass {
                pass = parse_file(
                    &req,
                    &plan,
                    &prog,
                    &tz,
                    &secret,
                    &existing,
                    Some(&repeated),
                    &suppressed,
                    &raw,
                    snapshot,
                    self.settings.import_threads,
                    &mut progress,
                )?;
            }
            let Pass::Done(parsed) = pass else {
                return Err(Error::internal_msg(
                    "records repeated in a file were not skipped",
                ));
            };
            let parsed = *parsed;
            let parse_s = t.elapsed().as_secs_f64();
            let committed = self.store.commit_import(&req.actor, &parsed.batch).await;
            tracing::info!(
                programme = prog.id,
                records = parsed.report.imported,
                parse_s,
                commit_s = t.elapsed().as_secs_f64() - parse_s,
                "import pass"
            );
            let spool = parsed.batch.raw.as_ref();
            match committed {
                Ok(batch_id) => {
                    if matches!(raw, RawStore::Database { .. }) {
                        if let Some(r) = spool {
                            r.discard();
                        }
                    }
                    return Ok(ImportReport {
                        batch_id,
                        retries: attempt,
                        ..parsed.report
                    });
                }
                Err(StoreError::Conflict("import.keys")) => {
                    if let Some(r) = spool {
                        r.discard();
                    }
                    tracing::info!(
                        programme = prog.id,
                        attempt,
                        "a concurrent import committed overlapping records first; redoing"
                    );
                }
                Err(e) => {
                    if let Some(r) = spool {
                        r.discard();
                    }
                    return Err(e.into());
                }
            }
        }
        Err(Error::Conflict(
            Invalid::new("file", "error.import.busy").into(),
        ))
    }

    /// The natural keys of the programme's batches of `family` up to batch `upto`: the cached
    /// runs of an earlier snapshot when they pass their check, plus the batches committed since
    /// (see [`known`]).
    async fn known_keys(&self, programme_id: i64, family: &str, upto: i64) -> Result<KnownKeys> {
        let check_of = |(count, id_sum, newest): (i64, i64, Option<(i64, i64, String)>)| Check {
            count,
            id_sum,
            newest: newest.map(|(id, created_at, file_hash)| {
                (
                    id,
                    Stamp {
                        created_at,
                        file_hash,
                    },
                )
            }),
        };
        // Read before the batches: a batch deleted in between makes the next check fail.
        let check = check_of(self.store.batch_fingerprint(programme_id, upto).await?);
        let (mut keys, after) = match self.keys.family(programme_id, family) {
            Some(f) => {
                let now = if f.upto == upto {
                    check.clone()
                } else {
                    check_of(self.store.batch_fingerprint(programme_id, f.upto).await?)
                };
                if now != f.check {
                    self.keys.forget_family(programme_id, family);
                    (KnownKeys::default(), 0)
                } else if f.upto >= upto {
                    // A newer snapshot's keys (another import built them): the batches after
                    // `upto` are committed, so skipping their records is what the commit's
                    // check would ask for anyway.
                    return Ok(f.keys);
                } else {
                    (f.keys, f.upto)
                }
            }
            None => (KnownKeys::default(), 0),
        };
        for b in self.store.batch_stamps(programme_id, after, upto).await? {
            if Source::from_stored(&b.source).family() != family {
                continue;
            }
            let stamp = Stamp {
                created_at: b.created_at,
                file_hash: b.file_hash.clone(),
            };
            if let Some(k) = self.keys.get(b.id, &stamp) {
                keys.add_sorted(k);
                continue;
            }
            let mut k = Vec::new();
            let n = self.store.for_each_batch_key(b.id, |x| k.push(x)).await?;
            if n == 0 && !b.has_raw && b.imported > 0 {
                keys.add_unsorted(self.legacy_keys(b.id, family).await?);
                continue;
            }
            if !k.windows(2).all(|w| w[0] <= w[1]) {
                k.sort_unstable();
            }
            let k = std::sync::Arc::new(k);
            if k.len() >= known::LARGE_BATCH {
                self.keys.put(b.id, stamp, k.clone());
            }
            keys.add_sorted(k);
        }
        self.keys.put_family(
            programme_id,
            family,
            FamilyKeys {
                upto,
                check,
                keys: keys.clone(),
            },
        );
        Ok(keys)
    }

    /// Keys of a batch from before `import_keys` (its 64-bit `.keys` file cannot give
    /// 128-bit keys): recomputed from its retained records. Agent sessions were not
    /// retained, so they are not among them.
    async fn legacy_keys(&self, batch_id: i64, family: &str) -> Result<Vec<u128>> {
        let mut out = Vec::new();
        let Some(records) = self
            .store
            .raw_batch(&self.settings.data_dir, batch_id)
            .await?
        else {
            return Ok(out);
        };
        for line in records.bytes.split(|&c| c == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.is_empty() {
                continue;
            }
            if let Ok(fields) = rumbo_ingest::std_calls::split_quoted(line) {
                if let Some(id) = fields.first() {
                    out.push(natural_key(family, id));
                }
            }
        }
        Ok(out)
    }
}

/// How often a process sweeps a programme's raw folder for orphans. A sweep lists the folder
/// (one file per batch) and every referenced path, so it is not done for every one of a
/// stream of small imports; orphans wait an hour before they go anyway.
const ORPHAN_SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(600);

impl App {
    /// Whether programme `programme_id`'s raw folder is due for an orphan sweep in this
    /// process (the first import always sweeps); marks it swept.
    fn orphan_sweep_due(&self, programme_id: i64) -> bool {
        let mut g = self.swept.lock().unwrap_or_else(|e| e.into_inner());
        let now = std::time::Instant::now();
        match g.get(&programme_id) {
            Some(t) if now.duration_since(*t) < ORPHAN_SWEEP_EVERY => false,
            _ => {
                g.insert(programme_id, now);
                true
            }
        }
    }
}

/// Deletes raw files in `dir` that no committed batch references and that are older than an
/// hour (left by a crashed import; younger ones may belong to a running import).
async fn remove_orphans(store: &rumbo_store::Store, data_dir: &Path, dir: &Path) -> Result<()> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    let known: HashSet<String> = store
        .import_file_paths()
        .await?
        .into_iter()
        .map(|p| data_dir.join(p).to_string_lossy().into_owned())
        .collect();
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

/// One pass over the file against the keys in `existing`, skipping all but the first
/// occurrence of the keys in `repeated`.
#[allow(clippy::too_many_arguments)]
fn parse_file(
    req: &ImportRequest<'_>,
    plan: &ReadPlan,
    prog: &rumbo_store::programmes::Programme,
    tz: &TimeZone,
    secret: &[u8],
    existing: &KnownKeys,
    repeated: Option<&HashSet<u128, FxBuildHasher>>,
    suppressed: &HashSet<String>,
    raw: &RawStore,
    snapshot: i64,
    threads: usize,
    progress: &mut impl FnMut(u64),
) -> Result<Pass> {
    let threads = import_threads(threads, repeated.is_some());
    let unique = format!(
        "{}-{}-{}-{:08x}",
        plan.source.as_str(),
        rumbo_store::now(),
        std::process::id(),
        rand::random::<u32>()
    );
    let len = std::fs::metadata(req.path).map(|m| m.len()).unwrap_or(0);
    let mut w = BatchWriter::new(
        programme_limits(prog, tz),
        existing,
        repeated,
        ((len / 48) as usize).min(50_000_000),
        tz.clone(),
        raw,
        prog.id,
        &unique,
    );
    w.suppressed = Some(suppressed);
    let file = File::open(req.path).map_err(io_error)?;
    let mut tracked = Tracked {
        inner: file,
        sha: Sha256::new(),
        done: 0,
        progress,
    };
    let hasher = CallerHasher::new(secret);
    let is_xlsx = req
        .path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
    let mut lines_read: u64 = 0;
    let outcome = (|| -> Result<()> {
        match (&plan.layout, &req.mapping) {
            (Some(layout @ (Layout::QueueLogPipe | Layout::QueueLogTable(_))), _) => {
                let opts = QueueLogOptions {
                    tz: tz.clone(),
                    hasher: Some(hasher),
                    ..QueueLogOptions::default()
                };
                let input = BufReader::with_capacity(1 << 20, &mut tracked);
                let mut parser = match layout {
                    Layout::QueueLogTable(cols) => {
                        rumbo_ingest::queue_log_table::parser(input, opts, cols.clone())
                    }
                    _ => QueueLogParser::new(input, opts),
                };
                let mut sessions = Vec::new();
                let mut last_ts = i64::MIN;
                for item in parser.by_ref() {
                    match item {
                        QueueLogItem::Call(c) => {
                            last_ts = last_ts.max(c.record.facts.enter_ts);
                            w.add_stitched(&c)?;
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
            (Some(Layout::Cdr(cols)), _) => {
                let mut reader = CdrReader::with_columns(
                    BufReader::with_capacity(1 << 20, &mut tracked),
                    cols.clone(),
                    tz.clone(),
                    Some(hasher),
                );
                for r in reader.by_ref() {
                    match r {
                        Ok((line, rec)) => w.add_call(line, &rec)?,
                        Err(i) => w.issues.push(i),
                    }
                }
                lines_read = reader.rows_read();
            }
            (Some(Layout::Vicidial(cols)), _) => {
                let mut reader = VicidialReader::new(
                    BufReader::with_capacity(1 << 20, &mut tracked),
                    cols.clone(),
                    tz.clone(),
                    Some(hasher),
                );
                for r in reader.by_ref() {
                    match r {
                        Ok((line, rec)) => w.add_call(line, &rec)?,
                        Err(i) => w.issues.push(i),
                    }
                }
                lines_read = reader.rows_read();
            }
            (Some(Layout::StandardCalls), _) => {
                lines_read = import_standard_calls(
                    &mut tracked,
                    &mut w,
                    &hasher,
                    threads,
                    std_chunk_bytes(len),
                )?;
            }
            (None, Some(m)) => {
                let rows: Box<dyn Iterator<Item = MappedRow>> = if is_xlsx {
                    let mut bytes = Vec::new();
                    tracked.read_to_end(&mut bytes).map_err(io_error)?;
                    Box::new(
                        rumbo_ingest::xlsx::read_xlsx(std::io::Cursor::new(bytes), m, Some(hasher))
                            .map_err(ingest_error)?
                            .into_iter(),
                    )
                } else {
                    Box::new(
                        MappedCsv::new(
                            BufReader::with_capacity(1 << 20, &mut tracked),
                            m,
                            Some(hasher),
                        )
                        .map_err(ingest_error)?,
                    )
                };
                for r in rows {
                    lines_read += 1;
                    match r {
                        Ok((line, rec)) => w.add_mapped(line, &rec)?,
                        Err(i) => w.issues.push(i),
                    }
                }
            }
            (None, None) => return Err(Error::invalid("mapping", "error.import.mapping_required")),
        }
        Ok(())
    })();
    if let Err(e) = outcome {
        w.abandon();
        return Err(e);
    }
    let file_hash = hex::encode(tracked.sha.finalize());
    let finishing = std::time::Instant::now();
    let done = w.finish()?;
    tracing::debug!(
        finish_s = finishing.elapsed().as_secs_f64(),
        "import pass: raw records and keys written"
    );
    if !done.repeated.is_empty() {
        if let Some(r) = &done.raw {
            r.discard();
        }
        if repeated.is_some() {
            return Err(Error::internal_msg(
                "records repeated in a file were not skipped",
            ));
        }
        return Ok(Pass::Repeated(done.repeated));
    }
    let rejected = done.issues.count(Severity::Rejected);
    let suspicious = done.issues.count(Severity::Suspicious);
    let def_id = KpiDefinition::standard().id().clone();
    let report = ImportReport {
        batch_id: 0,
        lines_read,
        imported: done.imported,
        rejected,
        suspicious,
        duplicates: done.duplicates,
        file_hash: file_hash.clone(),
        retries: 0,
        source: plan.source,
        layout: plan.layout_name().to_string(),
        not_understood: done.issues.not_understood(),
        mostly_not_understood: rumbo_ingest::report::mostly_not_understood(
            lines_read,
            done.issues.not_understood(),
        ),
    };
    let batch = NewBatch {
        programme_id: prog.id,
        source: plan.source.as_str().to_string(),
        file_name: req
            .path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default(),
        file_hash,
        mapping_name: req.mapping_name.clone(),
        layout: Some(plan.layout_name().to_string()),
        lines_read: lines_read as i64,
        imported: done.imported as i64,
        rejected: rejected as i64,
        suspicious: suspicious as i64,
        duplicates: done.duplicates as i64,
        data_path: None,
        keys_path: None,
        min_ts: done.min_ts,
        max_ts: done.max_ts,
        not_understood: done.issues.not_understood() as i64,
        issue_totals: done
            .issues
            .totals()
            .iter()
            .map(|t| IssueTotal {
                severity: t.severity.as_str().into(),
                kind: t.kind.code().into(),
                total: t.total as i64,
                kept: t.kept as i64,
            })
            .collect(),
        issues: done
            .issues
            .kept()
            .iter()
            .map(|i| IssueRow {
                line: i.line as i64,
                severity: i.severity.as_str().into(),
                kind: i.kind.code().into(),
                message: crate::mappings::mask_numbers_in(&i.message),
            })
            .collect(),
        // In key order: inserting them in index order keeps the database's B-trees appending
        // instead of splitting pages all over (several times faster for a year of rows).
        aggregates: done
            .aggregation
            .into_sorted_rows()
            .into_iter()
            .map(|((queue, interval_start), agg)| AggRow {
                definition: def_id.clone(),
                queue,
                interval_start,
                agg,
            })
            .collect(),
        keys: done.keys,
        after_batch: snapshot,
        raw: done.raw,
        job: req.job.clone(),
    };
    Ok(Pass::Done(Box::new(Parsed { batch, report })))
}

/// What an imported value must look like for this programme: its times within the
/// programme's dates (with the margins of [`Limits`]) and not in the future.
fn programme_limits(prog: &rumbo_store::programmes::Programme, tz: &TimeZone) -> Limits {
    let day_start = |d: jiff::civil::Date| {
        d.to_zoned(tz.clone())
            .map(|z| z.timestamp().as_second())
            .unwrap_or(0)
    };
    Limits::for_programme(
        day_start(prog.start_date),
        prog.end_date.map(day_start),
        rumbo_store::now(),
    )
}

/// Files that cannot be a call-platform export are refused before anything is read or
/// stored: an empty file, and known binary formats (images, PDF, archives other than XLSX,
/// executables). Text with stray NUL bytes is not refused here: a crashed logger leaves those
/// in real queue_logs, and the parsers report or repair them line by line.
fn refuse_unusable_file(path: &Path) -> Result<()> {
    let mut head = [0u8; 8];
    let mut f = File::open(path).map_err(io_error)?;
    let n = f.read(&mut head).map_err(io_error)?;
    if n == 0 {
        return Err(Error::invalid("file", "error.import.empty"));
    }
    let xlsx = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
    if looks_binary(&head[..n], xlsx) {
        return Err(Error::invalid("file", "error.import.binary"));
    }
    Ok(())
}

/// Whether the first bytes are the signature of a binary format no export uses (a ZIP is
/// fine when the file is an XLSX workbook).
fn looks_binary(head: &[u8], xlsx: bool) -> bool {
    const SIGNATURES: &[&[u8]] = &[
        b"\x89PNG",
        b"\xFF\xD8\xFF",
        b"GIF8",
        b"%PDF",
        b"\x1F\x8B",
        b"\x7FELF",
        b"Rar!",
        b"7z\xBC\xAF",
    ];
    (head.starts_with(b"PK\x03\x04") && !xlsx) || SIGNATURES.iter().any(|s| head.starts_with(s))
}

/// Bytes of the file handed to a worker at a time at most (cut after the last newline).
const STD_CHUNK: usize = 4 << 20;

/// Chunks a file of `len` bytes is read in: about sixteen (so a small file still keeps
/// every worker busy), between 64 KB and [`STD_CHUNK`]. The same for any number of threads,
/// so every thread count cuts the file alike.
fn std_chunk_bytes(len: u64) -> usize {
    ((len / 16) as usize).clamp(64 << 10, STD_CHUNK)
}

/// How many threads read a standard call CSV: `setting` (0: one per core), one when the
/// pass must see the file in order (it skips repeats of keys met earlier in the file).
fn import_threads(setting: usize, in_order: bool) -> usize {
    if in_order {
        return 1;
    }
    match setting {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
}

/// Reads a standard call CSV in chunks of `chunk_bytes` cut at newlines. With one
/// thread each chunk is checked, keyed and aggregated in place; with more, the chunks go
/// round-robin to workers (each with its own partial aggregation, merged exactly at the end),
/// at most two per worker in flight, and the batch's writer takes each chunk's keys, records
/// and issues back in file order, so the keys, the raw records, the issues (and their line
/// numbers) and the figures are those of a single pass. This thread reads the file (its
/// hash and the progress callback follow the bytes read).
fn import_standard_calls(
    input: &mut impl Read,
    w: &mut BatchWriter<'_>,
    hasher: &CallerHasher,
    threads: usize,
    chunk_bytes: usize,
) -> Result<u64> {
    // The header: the first line, however long.
    let mut buf: Vec<u8> = Vec::with_capacity(chunk_bytes + (64 << 10));
    let mut at_end = false;
    let header_end = loop {
        if let Some(i) = buf.iter().position(|&c| c == b'\n') {
            break i;
        }
        if at_end {
            break buf.len();
        }
        let want = buf.len() + chunk_bytes;
        at_end = fill(input, &mut buf, want)?;
    };
    let mut header = buf[..header_end].to_vec();
    while header.last().is_some_and(|c| *c == b'\n' || *c == b'\r') {
        header.pop();
    }
    if header.is_empty() {
        return Err(ingest_error(IngestError::Empty));
    }
    buf.drain(..(header_end + 1).min(buf.len()));
    let layout = rumbo_ingest::std_calls::Layout::from_header(&header).map_err(ingest_error)?;
    let header_text = String::from_utf8_lossy(&header).into_owned();
    // A `caller` column is never retained as written: its number becomes hash and mask.
    let caller = protected_caller_header(&header_text);
    let header_text = caller
        .as_ref()
        .map_or(header_text, |(_, protected)| protected.clone());
    let caller = caller.map(|(index, _)| index);
    let ctx = StdChunks {
        layout: &layout,
        caller,
        hasher,
        header: &header_text,
    };
    // The next chunk to hand out: whole lines of `buf`, the rest carried to the next one.
    let mut next_chunk = |buf: &mut Vec<u8>, at_end: &mut bool| -> Result<Option<Vec<u8>>> {
        while !*at_end && buf.len() < chunk_bytes {
            *at_end = fill(input, buf, chunk_bytes)?;
        }
        if buf.is_empty() {
            return Ok(None);
        }
        let cut = if *at_end {
            buf.len()
        } else {
            match buf.iter().rposition(|&c| c == b'\n') {
                Some(i) => i + 1,
                // A line longer than a chunk: read on until its end.
                None => {
                    while !*at_end && !buf.contains(&b'\n') {
                        let want = buf.len() + chunk_bytes;
                        *at_end = fill(input, buf, want)?;
                    }
                    buf.iter()
                        .position(|&c| c == b'\n')
                        .map_or(buf.len(), |i| i + 1)
                }
            }
        };
        let mut chunk = Vec::with_capacity(chunk_bytes + (64 << 10));
        chunk.extend_from_slice(&buf[cut..]);
        buf.truncate(cut);
        Ok(Some(std::mem::replace(buf, chunk)))
    };
    let mut line_no: u64 = 2;
    if threads <= 1 {
        let mut worker = w.worker();
        while let Some(chunk) = next_chunk(&mut buf, &mut at_end)? {
            let out = ctx.chunk(&mut worker, &chunk)?;
            let lines = out.lines;
            w.absorb(out, &header_text, line_no)?;
            line_no += lines;
        }
        w.merge_aggregation(worker);
        return Ok(line_no - 2);
    }
    let depth = 2 * threads;
    std::thread::scope(|scope| -> Result<u64> {
        let mut to_workers = Vec::with_capacity(threads);
        let mut from_workers = Vec::with_capacity(threads);
        let mut handles = Vec::with_capacity(threads);
        for _ in 0..threads {
            let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
            let (otx, orx) = std::sync::mpsc::channel::<Result<batch::ChunkOut>>();
            let mut worker = w.worker();
            let ctx = &ctx;
            handles.push(scope.spawn(move || {
                for chunk in rx {
                    if otx.send(ctx.chunk(&mut worker, &chunk)).is_err() {
                        break;
                    }
                }
                worker
            }));
            to_workers.push(tx);
            from_workers.push(orx);
        }
        let (mut sent, mut taken) = (0usize, 0usize);
        let mut take = |w: &mut BatchWriter<'_>, taken: &mut usize| -> Result<()> {
            let out = from_workers[*taken % threads]
                .recv()
                .map_err(|_| Error::internal_msg("an import worker stopped"))??;
            *taken += 1;
            let lines = out.lines;
            w.absorb(out, &header_text, line_no)?;
            line_no += lines;
            Ok(())
        };
        let mut outcome = Ok(());
        loop {
            let chunk = match next_chunk(&mut buf, &mut at_end) {
                Ok(Some(c)) => c,
                Ok(None) => break,
                Err(e) => {
                    outcome = Err(e);
                    break;
                }
            };
            if sent - taken == depth {
                if let Err(e) = take(w, &mut taken) {
                    outcome = Err(e);
                    break;
                }
            }
            if to_workers[sent % threads].send(chunk).is_err() {
                outcome = Err(Error::internal_msg("an import worker stopped"));
                break;
            }
            sent += 1;
        }
        while outcome.is_ok() && taken < sent {
            outcome = take(w, &mut taken);
        }
        drop(to_workers);
        for h in handles {
            let worker = h
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            w.merge_aggregation(worker);
        }
        outcome.map(|()| line_no - 2)
    })
}

/// Reads from `input` into `buf` until it holds `want` bytes; true at the end of the input.
fn fill(input: &mut impl Read, buf: &mut Vec<u8>, want: usize) -> Result<bool> {
    let need = want.saturating_sub(buf.len()).max(1);
    let n = Read::by_ref(input)
        .take(need as u64)
        .read_to_end(buf)
        .map_err(io_error)?;
    Ok(n < need)
}

/// What every chunk of one standard call CSV is read with.
struct StdChunks<'h> {
    layout: &'h rumbo_ingest::std_calls::Layout,
    /// The position of a `caller` column, whose number is retained as hash and mask.
    caller: Option<usize>,
    hasher: &'h CallerHasher,
    /// The header the records are retained under.
    header: &'h str,
}

impl StdChunks<'_> {
    /// Parses, checks, keys and aggregates one chunk on `worker`; line numbers count from
    /// the chunk's first line (1). The first error stops the chunk.
    fn chunk(&self, worker: &mut BatchWriter<'_>, chunk: &[u8]) -> Result<batch::ChunkOut> {
        let mut protected_line: Vec<u8> = Vec::new();
        let mut failure: Option<Error> = None;
        // Call lines are rarely shorter than 32 bytes: room for every key at once.
        worker.reserve_keys(chunk.len() / 32);
        let (issues, lines) =
            rumbo_ingest::std_calls::parse_chunk_counted(self.layout, chunk, 1, |ln, c, raw| {
                if failure.is_some() {
                    return;
                }
                let raw = match self.caller {
                    Some(index) => {
                        protect_caller_field(raw, index, self.hasher, &mut protected_line);
                        &protected_line[..]
                    }
                    None => raw,
                };
                if let Err(e) = worker.add_std_line(ln, &c, raw, self.header) {
                    failure = Some(e);
                }
            });
        match failure {
            Some(e) => Err(e),
            None => Ok(worker.take_chunk(issues, lines)),
        }
    }
}

/// The byte ranges of a CSV line's fields (quotes respected; a field keeps its quotes).
fn csv_field_spans(line: &[u8]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (i, &b) in line.iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => {
                spans.push((start, i));
                start = i + 1;
            }
            _ => {}
        }
    }
    spans.push((start, line.len()));
    spans
}

/// A field's text without its quotes (`""` inside stands for one quote).
fn csv_field_text(field: &[u8]) -> String {
    let text = String::from_utf8_lossy(field);
    let t = text.trim();
    match t.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        Some(inner) => inner.replace("\"\"", "\""),
        None => t.to_string(),
    }
}

/// The position of a standard call CSV's `caller` column and the header retained in place of
/// the file's: `caller` becomes `caller_hash,caller_masked`. `None` without such a column.
fn protected_caller_header(header: &str) -> Option<(usize, String)> {
    let spans = csv_field_spans(header.as_bytes());
    let index = spans.iter().position(|&(a, b)| {
        csv_field_text(&header.as_bytes()[a..b])
            .trim_start_matches('\u{feff}')
            .eq_ignore_ascii_case("caller")
    })?;
    let (a, b) = spans[index];
    Some((
        index,
        format!("{}caller_hash,caller_masked{}", &header[..a], &header[b..]),
    ))
}

/// Writes `line` into `out` with its field `index` (a caller number) replaced by the keyed
/// hash and the mask (both empty for an anonymous caller).
fn protect_caller_field(line: &[u8], index: usize, hasher: &CallerHasher, out: &mut Vec<u8>) {
    out.clear();
    let spans = csv_field_spans(line);
    let Some(&(a, b)) = spans.get(index) else {
        // A short line has no caller field: it is kept as it is.
        out.extend_from_slice(line);
        return;
    };
    out.extend_from_slice(&line[..a]);
    if let Some(p) = hasher.protect(&csv_field_text(&line[a..b])) {
        out.extend_from_slice(p.hash.as_bytes());
        out.push(b',');
        out.extend_from_slice(p.masked.as_bytes());
    } else {
        out.push(b',');
    }
    out.extend_from_slice(&line[b..]);
}

#[cfg(test)]
mod caller_column_tests {
    use super::*;

    #[test]
    fn a_caller_column_is_retained_as_hash_and_mask_never_as_written() {
        let (index, header) = protected_caller_header("call_id,queue,\"Caller\",enter_ts").unwrap();
        assert_eq!(index, 2);
        assert_eq!(header, "call_id,queue,caller_hash,caller_masked,enter_ts");
        let hasher = CallerHasher::new(b"k");
        let mut out = Vec::new();
        protect_caller_field(
            b"c1,ventas,\"Ana, \"\"la clienta\"\" <+56 9 8765 4321>\",1700000000",
            index,
            &hasher,
            &mut out,
        );
        let text = String::from_utf8(out.clone()).unwrap();
        let expected = hasher.protect("+56987654321").unwrap();
        assert_eq!(
            text,
            format!("c1,ventas,{},{},1700000000", expected.hash, expected.masked)
        );
        assert!(!text.contains("8765") && !text.contains("Ana"));
        protect_caller_field(b"c2,ventas,anonymous,1700000000", index, &hasher, &mut out);
        assert_eq!(out, b"c2,ventas,,,1700000000");
        assert_eq!(protected_caller_header("call_id,queue,enter_ts"), None);
    }
}

#[cfg(test)]
mod signature_tests {
    use super::looks_binary;

    #[test]
    fn images_documents_and_archives_are_recognised_but_text_and_workbooks_are_not() {
        assert!(looks_binary(b"\x89PNG\r\n\x1a\n", false));
        assert!(looks_binary(b"%PDF-1.7", false));
        assert!(looks_binary(b"PK\x03\x04abcd", false));
        assert!(!looks_binary(b"PK\x03\x04abcd", true));
        assert!(!looks_binary(b"1700000000|", false));
        assert!(!looks_binary(b"\0\0\0\x001700", false));
        assert!(!looks_binary(b"call_id,", false));
    }
}
