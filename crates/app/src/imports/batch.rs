//! Accumulates the accepted records of one import pass: dedup by natural key, the 15-minute
//! aggregation (a `rumbo_kpi::Aggregator` under the standard definition) and the raw records.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;

use jiff::tz::TimeZone;
use rumbo_ingest::issue::{Issue, IssueKind, Severity};
use rumbo_ingest::mapping::MappedRecord;
use rumbo_ingest::plausible::{self, Limits};
use rumbo_ingest::queue_log::{AgentSession, StitchedCall};
use rumbo_ingest::report::IssueLog;
use rumbo_ingest::std_calls::StdCall;
use rumbo_kpi::fxhash::FxBuildHasher;
use rumbo_kpi::{Aggregator, Bucketer, CallFacts, CallRecord, Granularity, KpiDefinition};
use rumbo_store::keys::{BatchKeys, KeySpool};
use rumbo_store::raw::{RawBatch, RawStore, RawWriter};

use super::known::KnownKeys;
use super::{io_error, natural_key, time_error};
use crate::Result;

/// Header of retained call records built from parsed calls (queue_log, CDR, mapped files).
/// A call that passed through several queues is retained as one record per stint, each in
/// its own queue's segment: `stints` is the call's number of stints and `stint` the
/// record's position (1-based), so recomputation puts the call back together.
pub(crate) const CALL_HEADER: &str = "call_id,queue,enter_ts,wait_s,talk_s,hold_s,wrap_s,outcome,agent,caller_hash,caller_masked,disposition,sale,stints,first_queue,stint";

pub(super) struct BatchWriter<'a> {
    existing: &'a KnownKeys,
    /// Keys of the accepted records, in file order, spilled to the spool folder in sorted
    /// runs so memory stays flat. Duplicates inside the file are found when the runs are
    /// merged at the end (cheaper than a set over every key); the pass is then redone
    /// knowing them (`repeated`), so the second and later occurrences are skipped.
    keys: KeySink,
    /// The first error writing a run of keys (reported by `finish`).
    keys_error: Option<std::io::Error>,
    repeated: Option<&'a HashSet<u128, FxBuildHasher>>,
    repeated_seen: HashSet<u128, FxBuildHasher>,
    aggregation: Aggregator,
    raw_store: &'a RawStore,
    programme_id: i64,
    name: &'a str,
    raw: Option<RawWriter>,
    /// On a worker reading one chunk of the file: the chunk's records, grouped by segment,
    /// which the batch's writer takes over in file order (instead of `raw`).
    chunk: Option<ChunkRecords>,
    imported: u64,
    duplicates: u64,
    min_ts: Option<i64>,
    max_ts: Option<i64>,
    /// The data-quality report, bounded per reason.
    pub(super) issues: IssueLog,
    /// What a value must look like to be imported.
    limits: Limits,
    last_by_caller: HashMap<u128, (i64, String, i64), FxBuildHasher>,
    /// Caller hashes on the suppression list: their calls are kept without the number.
    pub(super) suppressed: Option<&'a HashSet<String>>,
    line: String,
    sessions: Bucketer,
}

/// Where accepted keys go: the batch's spool, or (on a worker reading one chunk of the
/// file) a list in file order that the batch's writer takes over.
enum KeySink {
    Spool(KeySpool),
    List(Vec<u128>),
}

/// The retained records of one chunk of a file, grouped by (queue, segment) as the raw
/// writer groups them ([`rumbo_store::raw::segment_start`]), each group in file order.
#[derive(Default)]
pub(super) struct ChunkRecords {
    queues: HashMap<String, u32, FxBuildHasher>,
    index: HashMap<(u32, i64), usize, FxBuildHasher>,
    /// (queue id, segment start, records, newline-terminated lines) per segment.
    segments: Vec<(u32, i64, i64, Vec<u8>)>,
    names: Vec<String>,
    max_span: i64,
}

impl ChunkRecords {
    fn push(&mut self, queue: &str, start: i64, span: i64, record: &[u8]) {
        let start = rumbo_store::raw::segment_start(start);
        let q = match self.queues.get(queue) {
            Some(&q) => q,
            None => {
                let q = self.names.len() as u32;
                self.queues.insert(queue.to_string(), q);
                self.names.push(queue.to_string());
                q
            }
        };
        let segments = &mut self.segments;
        let i = *self.index.entry((q, start)).or_insert_with(|| {
            segments.push((q, start, 0, Vec::new()));
            segments.len() - 1
        });
        let seg = &mut self.segments[i];
        seg.2 += 1;
        seg.3.extend_from_slice(record);
        seg.3.push(b'\n');
        self.max_span = self.max_span.max(span);
    }
}

/// What a worker produced from one chunk of the file, for the batch's writer
/// ([`BatchWriter::absorb`]): issues with line numbers counted from the chunk's first line
/// (1), accepted keys in file order, the retained records and the counters.
pub(super) struct ChunkOut {
    pub issues: Vec<Issue>,
    /// Lines in the chunk.
    pub lines: u64,
    keys: Vec<u128>,
    records: ChunkRecords,
    imported: u64,
    duplicates: u64,
    min_ts: Option<i64>,
    max_ts: Option<i64>,
}

/// What a finished pass produced.
pub(super) struct Finished {
    /// Keys that occur more than once in the file (the pass must be redone knowing them).
    pub repeated: HashSet<u128, FxBuildHasher>,
    pub aggregation: Aggregator,
    pub keys: BatchKeys,
    pub raw: Option<RawBatch>,
    pub imported: u64,
    pub duplicates: u64,
    pub min_ts: Option<i64>,
    pub max_ts: Option<i64>,
    pub issues: IssueLog,
}

/// How far after entry a call can be attributed (answer or end), in whole seconds.
fn span(f: &CallFacts) -> i64 {
    (f.wait_s + f.talk_s + f.hold_s).max(0.0).ceil() as i64
}

fn csv_text(s: &str) -> std::borrow::Cow<'_, str> {
    rumbo_kpi::format::csv_field(s)
}

fn opt_text(s: &Option<String>) -> std::borrow::Cow<'_, str> {
    csv_text(s.as_deref().unwrap_or(""))
}

impl<'a> BatchWriter<'a> {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        limits: Limits,
        existing: &'a KnownKeys,
        repeated: Option<&'a HashSet<u128, FxBuildHasher>>,
        expected: usize,
        tz: TimeZone,
        raw_store: &'a RawStore,
        programme_id: i64,
        name: &'a str,
    ) -> Self {
        BatchWriter {
            existing,
            keys: KeySink::Spool(KeySpool::new(
                &raw_store.spool_dir(programme_id),
                name,
                expected,
            )),
            keys_error: None,
            repeated,
            repeated_seen: HashSet::default(),
            sessions: Bucketer::new(Granularity::Minutes(15), tz.clone()),
            aggregation: Aggregator::new(
                KpiDefinition::standard(),
                Bucketer::new(Granularity::Minutes(15), tz),
            ),
            raw_store,
            programme_id,
            name,
            raw: None,
            chunk: None,
            imported: 0,
            duplicates: 0,
            min_ts: None,
            max_ts: None,
            issues: IssueLog::default(),
            limits,
            last_by_caller: HashMap::default(),
            suppressed: None,
            line: String::with_capacity(256),
        }
    }

    fn accept(&mut self, namespace: &str, id: &[u8], line: u64) -> bool {
        let k = natural_key(namespace, id);
        if self.existing.contains(&k) {
            self.duplicates += 1;
            return false;
        }
        if self.repeated.is_some_and(|r| r.contains(&k)) && !self.repeated_seen.insert(k) {
            self.duplicates += 1;
            if !self
                .issues
                .is_full(Severity::Suspicious, IssueKind::DuplicateKey)
            {
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
        match &mut self.keys {
            KeySink::Spool(spool) => {
                if let Err(e) = spool.push(k) {
                    self.keys_error.get_or_insert(e);
                }
            }
            KeySink::List(list) => list.push(k),
        }
        self.imported += 1;
        true
    }

    fn ts(&mut self, ts: i64) {
        self.min_ts = Some(self.min_ts.map_or(ts, |m| m.min(ts)));
        self.max_ts = Some(self.max_ts.map_or(ts, |m| m.max(ts)));
    }

    /// Retains one record of a (queue, 15-minute interval) in its segment.
    fn retain(
        &mut self,
        header: &str,
        queue: &str,
        start: i64,
        span: i64,
        record: &[u8],
    ) -> Result<()> {
        if let Some(chunk) = &mut self.chunk {
            chunk.push(queue, start, span, record);
            return Ok(());
        }
        let w = self.raw.get_or_insert_with(|| {
            RawWriter::new(self.raw_store, self.programme_id, self.name, header)
        });
        w.push(queue, start, span, record).map_err(io_error)
    }

    /// A standard-layout line: aggregated from its parsed facts and retained verbatim.
    pub(super) fn add_std_line(
        &mut self,
        line: u64,
        c: &StdCall<'_>,
        raw: &[u8],
        header: &str,
    ) -> Result<()> {
        let f = c.facts;
        let queue = String::from_utf8_lossy(&c.queue);
        let call_id = String::from_utf8_lossy(&c.call_id);
        let checked = self
            .limits
            .check_facts(&f)
            .and_then(|()| self.limits.check_len("queue", &queue))
            .and_then(|()| self.limits.check_len("call id", &call_id));
        if let Err(m) = checked {
            self.issues
                .push(Issue::rejected(line, IssueKind::InvalidValue, m));
            return Ok(());
        }
        // A CRLF file's lines end in a carriage return: line ends are not text to clean.
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let clean_raw = plausible::bytes_without_controls(raw);
        let (queue, raw) = match clean_raw {
            std::borrow::Cow::Borrowed(raw) => (queue, raw),
            std::borrow::Cow::Owned(cleaned) => {
                let clean_id = plausible::without_controls(&call_id).into_owned();
                if clean_id.is_empty() {
                    self.issues.push(Issue::rejected(
                        line,
                        IssueKind::InvalidValue,
                        "call id is empty once control characters are removed",
                    ));
                    return Ok(());
                }
                let mut what = Vec::new();
                if clean_id != call_id {
                    what.push("call id");
                }
                let clean_queue = plausible::without_controls(&queue).into_owned();
                if clean_queue != queue {
                    what.push("queue");
                }
                if what.is_empty() {
                    what.push("line");
                }
                self.issues.extend(plausible::cleaned_issue(line, &what));
                let c = StdCall {
                    call_id: std::borrow::Cow::Owned(clean_id.into_bytes()),
                    queue: std::borrow::Cow::Owned(clean_queue.into_bytes()),
                    facts: f,
                    stint: c.stint,
                    stints: c.stints,
                };
                return self.add_clean_std_line(line, &c, &cleaned, header);
            }
        };
        self.add_checked_std_line(line, &c.call_id, &queue, f, raw, header)
    }

    /// A standard line whose text had control characters, cleaned.
    fn add_clean_std_line(
        &mut self,
        line: u64,
        c: &StdCall<'_>,
        raw: &[u8],
        header: &str,
    ) -> Result<()> {
        let queue = String::from_utf8_lossy(&c.queue);
        self.add_checked_std_line(line, &c.call_id, &queue, c.facts, raw, header)
    }

    /// A standard line that passed the plausibility checks.
    fn add_checked_std_line(
        &mut self,
        line: u64,
        call_id: &[u8],
        queue: &str,
        f: CallFacts,
        raw: &[u8],
        header: &str,
    ) -> Result<()> {
        if !self.accept("call", call_id, line) {
            return Ok(());
        }
        self.ts(f.enter_ts);
        // The standard definition attributes calls to their entry interval, which is also
        // the interval the raw records are indexed by.
        let start = self.aggregation.add_call(queue, &f).map_err(time_error)?;
        self.retain(header, queue, start, span(&f), raw)
    }

    /// First-contact resolution within the batch: every call from an identified caller is
    /// a contact; the caller's previous call is marked repeated when this one comes within
    /// the definition's window (input in time order, as queue_log and CDR files are).
    fn fcr(&mut self, caller_hash: &str, queue: &str, start: i64, enter_ts: i64) {
        self.aggregation.row_at(queue, start).fcr_contacts += 1;
        let ck = natural_key("caller", caller_hash.as_bytes());
        let window = self.aggregation.definition().fcr_window_s;
        if let Some((prev_ts, prev_queue, prev_start)) = self.last_by_caller.get(&ck).cloned() {
            if enter_ts >= prev_ts && enter_ts - prev_ts <= window {
                self.aggregation.row_at(&prev_queue, prev_start).fcr_repeats += 1;
            }
        }
        self.last_by_caller
            .insert(ck, (enter_ts, queue.to_string(), start));
    }

    pub(super) fn add_call(&mut self, line: u64, r: &CallRecord) -> Result<()> {
        let r = match self.limits.vet_call(line, r) {
            Ok((r, cleaned)) => {
                self.issues.extend(cleaned);
                r
            }
            Err(issue) => {
                self.issues.push(issue);
                return Ok(());
            }
        };
        let r = r.as_ref();
        if !self.accept("call", r.call_id.as_bytes(), line) {
            return Ok(());
        }
        let f = r.facts;
        self.ts(f.enter_ts);
        let start = self
            .aggregation
            .add_call(&r.queue, &f)
            .map_err(time_error)?;
        if let Some(h) = &r.caller_hash {
            self.fcr(h, &r.queue, start, f.enter_ts);
        }
        self.retain_call(line, r, start, r.stints, 1)
    }

    /// A call stitched from its queue stints: counted once (one natural key, one call in
    /// the call tally of its first queue, FCR and sale once) and, when it passed through
    /// several queues, as one stint in each queue's figures with that leg's wait, talk,
    /// agent and outcome, each stint retained in its own queue's segment.
    pub(super) fn add_stitched(&mut self, c: &StitchedCall) -> Result<()> {
        // Most calls have one stint: their record is the stint, nothing to build.
        if c.stints.len() <= 1 {
            return self.add_call(c.first_line, &c.record);
        }
        // The plausibility checks judge every stint; one implausible stint rejects the call.
        let mut stints = Vec::with_capacity(c.stints.len());
        let mut cleaned = None;
        for s in c.stint_records() {
            match self.limits.vet_call(c.first_line, &s) {
                Ok((r, issue)) => {
                    cleaned = cleaned.or(issue);
                    stints.push(r.into_owned());
                }
                Err(issue) => {
                    self.issues.push(issue);
                    return Ok(());
                }
            }
        }
        self.issues.extend(cleaned);
        if !self.accept("call", c.record.call_id.as_bytes(), c.first_line) {
            return Ok(());
        }
        let facts: Vec<CallFacts> = stints.iter().map(|s| s.facts).collect();
        let Some(whole) = CallFacts::of_stints(&facts) else {
            return Ok(());
        };
        let first_queue = &stints[0].queue;
        self.ts(whole.enter_ts);
        let start = self
            .aggregation
            .add_whole_call(first_queue, &whole)
            .map_err(time_error)?;
        if let Some(h) = &c.record.caller_hash {
            self.fcr(h, first_queue, start, whole.enter_ts);
        }
        let n = stints.len() as u32;
        for (i, s) in stints.iter().enumerate() {
            let start = self
                .aggregation
                .add_stint(&s.queue, &s.facts)
                .map_err(time_error)?;
            self.retain_call(c.first_line, s, start, n, i as u32 + 1)?;
        }
        Ok(())
    }

    /// Retains one call record (a whole call, or stint `stint` of `stints`) in the segment
    /// of its queue and interval; `line` is where the call starts in the file. A caller on the
    /// suppression list counts in the figures but is retained without hash or mask.
    fn retain_call(
        &mut self,
        line: u64,
        r: &CallRecord,
        start: i64,
        stints: u32,
        stint: u32,
    ) -> Result<()> {
        let f = r.facts;
        let suppressed = r
            .caller_hash
            .as_ref()
            .is_some_and(|h| self.suppressed.is_some_and(|s| s.contains(h)));
        if suppressed && stint <= 1 {
            self.issues.push(Issue::suspicious(
                line,
                IssueKind::InvalidValue,
                "caller on the suppression list: the number is not kept".to_string(),
            ));
        }
        let none = None;
        let (caller_hash, caller_masked) = if suppressed {
            (&none, &none)
        } else {
            (&r.caller_hash, &r.caller_masked)
        };
        let o = opt_text;
        let mut text = std::mem::take(&mut self.line);
        text.clear();
        let _ = write!(
            text,
            "{},{},{},{:?},{:?},{:?},{:?},{},{},{},{},{},{},{},{},{}",
            csv_text(&r.call_id),
            csv_text(&r.queue),
            f.enter_ts,
            f.wait_s,
            f.talk_s,
            f.hold_s,
            f.wrap_s,
            f.outcome.as_str(),
            o(&r.agent),
            o(caller_hash),
            o(caller_masked),
            o(&r.disposition),
            u8::from(f.sale),
            stints,
            o(&r.first_queue),
            stint
        );
        let result = self.retain(CALL_HEADER, &r.queue, start, span(&f), text.as_bytes());
        self.line = text;
        result
    }

    pub(super) fn add_session(&mut self, s: &AgentSession, file_end: i64) -> Result<()> {
        let l = &self.limits;
        let checked = l
            .check_time("login time", s.login_ts)
            .and_then(|()| {
                s.logoff_ts
                    .map_or(Ok(()), |t| l.check_time("logoff time", t))
            })
            .and_then(|()| l.check_len("agent", &s.agent));
        if let Err(m) = checked {
            self.issues
                .push(Issue::rejected(s.login_line, IssueKind::InvalidValue, m));
            return Ok(());
        }
        // An open session ends with the file, never past the plausible range.
        let file_end = file_end.min(l.latest);
        let agent = plausible::without_controls(&s.agent);
        if let std::borrow::Cow::Owned(a) = &agent {
            self.issues
                .extend(plausible::cleaned_issue(s.login_line, &["agent"]));
            if a.is_empty() {
                return Ok(());
            }
        }
        let id = format!("{}@{}", agent, s.login_ts);
        if !self.accept("session", id.as_bytes(), s.login_line) {
            return Ok(());
        }
        let mut parts = BTreeMap::new();
        rumbo_ingest::occupancy::add_session(s, file_end, &mut self.sessions, &mut parts)
            .map_err(time_error)?;
        for (iv, t) in parts {
            self.aggregation
                .row_at("", iv)
                .add_agent_time(t.staffed_s, t.paused_s, t.busy_s);
        }
        // Sessions are not retained row by row (their natural keys are): their agent time is
        // stored in the aggregates, which no KPI definition changes.
        Ok(())
    }

    /// A non-call record retained under its own header, in the segment of its time.
    fn retain_other(&mut self, header: &str, queue: &str, ts: i64) -> Result<()> {
        let start = self.aggregation.start_of(ts).map_err(time_error)?;
        let text = std::mem::take(&mut self.line);
        let result = self.retain(header, queue, start, 0, text.as_bytes());
        self.line = text;
        result
    }

    pub(super) fn add_mapped(&mut self, line: u64, r: &MappedRecord) -> Result<()> {
        if let MappedRecord::Call(c) = r {
            return self.add_call(line, c);
        }
        let mut r = r.clone();
        let mut cleaned = Vec::new();
        if let Err(m) = self.vet_other(&mut r, &mut cleaned) {
            self.issues
                .push(Issue::rejected(line, IssueKind::InvalidValue, m));
            return Ok(());
        }
        self.issues.extend(plausible::cleaned_issue(line, &cleaned));
        let r = &r;
        match r {
            MappedRecord::Call(c) => self.add_call(line, c)?,
            MappedRecord::Quality(q) => {
                if self.accept("qa", q.key.as_bytes(), line) {
                    self.ts(q.ts);
                    let queue = q.queue.as_deref().unwrap_or("");
                    self.aggregation
                        .row_mut(queue, q.ts)
                        .map_err(time_error)?
                        .add_qa(q.score);
                    self.line.clear();
                    let _ = write!(
                        self.line,
                        "{},{},{},{},{},{:?}",
                        csv_text(&q.key),
                        q.ts,
                        csv_text(&q.agent),
                        csv_text(queue),
                        csv_text(q.call_id.as_deref().unwrap_or("")),
                        q.score
                    );
                    self.retain_other("key,ts,agent,queue,call_id,score", queue, q.ts)?;
                }
            }
            MappedRecord::Survey(s) => {
                if self.accept("survey", s.key.as_bytes(), line) {
                    self.ts(s.ts);
                    let queue = s.queue.as_deref().unwrap_or("");
                    let def = KpiDefinition::standard();
                    let a = self.aggregation.row_mut(queue, s.ts).map_err(time_error)?;
                    if let Some(c) = s.csat {
                        a.add_csat(&def, c);
                    }
                    if let Some(n) = s.nps {
                        a.add_nps(&def, n);
                    }
                    let n = |v: Option<u8>| v.map(|x| x.to_string()).unwrap_or_default();
                    self.line.clear();
                    let _ = write!(
                        self.line,
                        "{},{},{},{},{},{},{}",
                        csv_text(&s.key),
                        s.ts,
                        csv_text(queue),
                        csv_text(s.call_id.as_deref().unwrap_or("")),
                        csv_text(s.agent.as_deref().unwrap_or("")),
                        n(s.csat),
                        n(s.nps)
                    );
                    self.retain_other("key,ts,queue,call_id,agent,csat,nps", queue, s.ts)?;
                }
            }
            MappedRecord::Sale(s) => {
                if self.accept("sale", s.key.as_bytes(), line) {
                    self.ts(s.ts);
                    let queue = s.queue.as_deref().unwrap_or("");
                    self.aggregation
                        .row_mut(queue, s.ts)
                        .map_err(time_error)?
                        .add_sales(u64::from(s.count));
                    self.line.clear();
                    let _ = write!(
                        self.line,
                        "{},{},{},{},{},{},{}",
                        csv_text(&s.key),
                        s.ts,
                        csv_text(queue),
                        csv_text(s.call_id.as_deref().unwrap_or("")),
                        csv_text(s.agent.as_deref().unwrap_or("")),
                        s.count,
                        s.amount.map(|v| format!("{v:?}")).unwrap_or_default()
                    );
                    self.retain_other("key,ts,queue,call_id,agent,count,amount", queue, s.ts)?;
                }
            }
        }
        Ok(())
    }

    /// Checks a QA evaluation, survey answer or sale: its time, its numbers and its text
    /// (cleaned in place).
    fn vet_other(
        &self,
        r: &mut MappedRecord,
        cleaned: &mut Vec<&'static str>,
    ) -> std::result::Result<(), String> {
        let l = &self.limits;
        let opt = |what: &'static str,
                   v: &mut Option<String>,
                   cleaned: &mut Vec<&'static str>|
         -> std::result::Result<(), String> {
            match v {
                Some(s) => l.check_text(what, s, cleaned),
                None => Ok(()),
            }
        };
        match r {
            MappedRecord::Call(_) => Ok(()),
            MappedRecord::Quality(q) => {
                l.check_time("evaluation time", q.ts)?;
                if !q.score.is_finite() || !(0.0..=100.0).contains(&q.score) {
                    return Err(format!("score {} is not between 0 and 100", q.score));
                }
                l.check_text("key", &mut q.key, cleaned)?;
                l.check_text("agent", &mut q.agent, cleaned)?;
                opt("queue", &mut q.queue, cleaned)?;
                opt("call id", &mut q.call_id, cleaned)
            }
            MappedRecord::Survey(s) => {
                l.check_time("answer time", s.ts)?;
                l.check_text("key", &mut s.key, cleaned)?;
                opt("queue", &mut s.queue, cleaned)?;
                opt("call id", &mut s.call_id, cleaned)?;
                opt("agent", &mut s.agent, cleaned)
            }
            MappedRecord::Sale(s) => {
                l.check_time("sale time", s.ts)?;
                if let Some(a) = s.amount {
                    if !a.is_finite() || a.abs() > 1e12 {
                        return Err(format!("amount {a} is not a plausible amount"));
                    }
                }
                l.check_text("key", &mut s.key, cleaned)?;
                opt("queue", &mut s.queue, cleaned)?;
                opt("call id", &mut s.call_id, cleaned)?;
                opt("agent", &mut s.agent, cleaned)
            }
        }
    }

    /// A writer for one worker of a pass that reads the file in chunks on several threads:
    /// it checks, keys and aggregates the lines of the chunks it is given, and hands each
    /// chunk's keys, records and issues to the batch's writer ([`BatchWriter::take_chunk`],
    /// [`BatchWriter::absorb`]); its aggregation is merged at the end. Its issue log keeps
    /// every issue, so the batch's log bounds them in file order.
    pub(super) fn worker(&self) -> BatchWriter<'a> {
        BatchWriter {
            existing: self.existing,
            keys: KeySink::List(Vec::new()),
            keys_error: None,
            repeated: self.repeated,
            repeated_seen: HashSet::default(),
            sessions: self.sessions.clone(),
            aggregation: Aggregator::new(KpiDefinition::standard(), self.sessions.clone()),
            raw_store: self.raw_store,
            programme_id: self.programme_id,
            name: self.name,
            raw: None,
            chunk: Some(ChunkRecords::default()),
            imported: 0,
            duplicates: 0,
            min_ts: None,
            max_ts: None,
            issues: IssueLog::new(usize::MAX),
            limits: self.limits.clone(),
            last_by_caller: HashMap::default(),
            suppressed: self.suppressed,
            line: String::new(),
        }
    }

    /// Makes room for about `n` more keys (a worker knows the size of its next chunk).
    pub(super) fn reserve_keys(&mut self, n: usize) {
        if let KeySink::List(list) = &mut self.keys {
            list.reserve(n);
        }
    }

    /// What this worker produced since the last call: `extra` (the parser's issues) joins
    /// the issues found while checking, all in line order.
    pub(super) fn take_chunk(&mut self, extra: Vec<Issue>, lines: u64) -> ChunkOut {
        let mut issues = std::mem::replace(&mut self.issues, IssueLog::new(usize::MAX)).into_kept();
        if !extra.is_empty() {
            issues.extend(extra);
            issues.sort_by_key(|i| i.line);
        }
        let keys = match &mut self.keys {
            KeySink::List(list) => std::mem::take(list),
            KeySink::Spool(_) => Vec::new(),
        };
        ChunkOut {
            issues,
            lines,
            keys,
            records: self
                .chunk
                .replace(ChunkRecords::default())
                .unwrap_or_default(),
            imported: std::mem::take(&mut self.imported),
            duplicates: std::mem::take(&mut self.duplicates),
            min_ts: self.min_ts.take(),
            max_ts: self.max_ts.take(),
        }
    }

    /// Takes over one chunk of a worker, in file order; `first_line` is the line number of
    /// the chunk's first line in the file.
    pub(super) fn absorb(&mut self, out: ChunkOut, header: &str, first_line: u64) -> Result<()> {
        for mut i in out.issues {
            i.line += first_line - 1;
            self.issues.push(i);
        }
        for k in out.keys {
            match &mut self.keys {
                KeySink::Spool(spool) => {
                    if let Err(e) = spool.push(k) {
                        self.keys_error.get_or_insert(e);
                    }
                }
                KeySink::List(list) => list.push(k),
            }
        }
        self.imported += out.imported;
        self.duplicates += out.duplicates;
        if let Some(t) = out.min_ts {
            self.ts(t);
        }
        if let Some(t) = out.max_ts {
            self.ts(t);
        }
        let r = out.records;
        for (q, start, n, bytes) in &r.segments {
            let w = self.raw.get_or_insert_with(|| {
                RawWriter::new(self.raw_store, self.programme_id, self.name, header)
            });
            w.push_records(&r.names[*q as usize], *start, *n, r.max_span, bytes)
                .map_err(io_error)?;
        }
        Ok(())
    }

    /// Merges a worker's aggregation (exact: aggregates are sums).
    pub(super) fn merge_aggregation(&mut self, worker: BatchWriter<'_>) {
        if self.aggregation.is_empty() {
            // The first worker's rows become the batch's: nothing to copy.
            self.aggregation = worker.aggregation;
        } else {
            self.aggregation.merge(&worker.aggregation);
        }
    }

    /// Stops a failed pass: removes what was written.
    pub(super) fn abandon(self) {
        if let Some(w) = self.raw {
            let path = w.path().to_path_buf();
            drop(w);
            let _ = std::fs::remove_file(path);
        }
    }

    /// Makes the raw records durable and returns everything the commit needs.
    pub(super) fn finish(self) -> Result<Finished> {
        let finish_keys = move || match (self.keys_error, self.keys) {
            (Some(e), _) => Err(e),
            (None, KeySink::Spool(spool)) => spool.finish(),
            (None, KeySink::List(list)) => {
                let mut repeated: Vec<u128> = Vec::new();
                let mut keys = list;
                keys.sort_unstable();
                for w in keys.windows(2) {
                    if w[0] == w[1] && repeated.last() != Some(&w[0]) {
                        repeated.push(w[0]);
                    }
                }
                Ok((BatchKeys::from(keys), repeated))
            }
        };
        // The keys' last sort and merge run beside the raw records' last compression.
        let (raw, keys) = std::thread::scope(|scope| {
            let keys = scope.spawn(finish_keys);
            let raw = match self.raw {
                Some(w) => w.finish(),
                None => Ok(None),
            };
            let keys = keys
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (raw, keys)
        });
        let raw = match raw {
            Ok(raw) => raw,
            Err(e) => return Err(io_error(e)),
        };
        let (keys, repeated) = match keys {
            Ok(k) => k,
            Err(e) => {
                if let Some(r) = &raw {
                    r.discard();
                }
                return Err(io_error(e));
            }
        };
        let repeated = repeated.into_iter().collect();
        Ok(Finished {
            repeated,
            aggregation: self.aggregation,
            keys,
            raw,
            imported: self.imported,
            duplicates: self.duplicates,
            min_ts: self.min_ts,
            max_ts: self.max_ts,
            issues: self.issues,
        })
    }
}
