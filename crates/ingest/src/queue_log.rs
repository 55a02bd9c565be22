//! Streaming parser for Asterisk `queue_log` (file, or a DB-table export as CSV).
//!
//! Each line is `epoch|callid|queue|agent|EVENT|data1|...|data5`. The parser is an
//! iterator: it reads one line at a time and keeps only *open* state (calls still
//! in progress or waiting to be stitched, and agent sessions), so memory does not
//! grow with the file. It yields
//! - [`QueueLogItem::Call`]: one stitched call per Asterisk call id: all queue
//!   stints (overflow, transfers) joined; answered if the last stint was answered;
//!   wait = sum of the stints' waits; talk = sum of the connected stints' talk;
//! - [`QueueLogItem::Session`]: agent sessions (login/logoff or queue membership)
//!   with their pauses and busy spans, reconstructed for occupancy and adherence;
//!   sessions across midnight stay one session;
//! - [`QueueLogItem::Issue`]: every rejected or suspicious line with its number.
//!
//! A finished call is held for `stitch_window_s` of log time before it is emitted,
//! because another stint of the same call (overflow, transfer to a queue) may
//! follow. Calls that never end, and sessions that never close, are reported at
//! the end of the file; such calls are *not* counted (their outcome is unknown).

use std::collections::{HashMap, HashSet, VecDeque};
use std::io::BufRead;

use jiff::tz::TimeZone;
use rumbo_kpi::{CallFacts, CallRecord, Outcome};

use crate::issue::{Issue, IssueKind};
use crate::privacy::CallerHasher;
use crate::std_calls::split_quoted;

/// Options of the queue_log parser.
#[derive(Debug, Clone)]
pub struct QueueLogOptions {
    /// How long (log time, seconds) a finished call waits for a further stint.
    pub stitch_window_s: i64,
    /// Zone for DB exports whose time column is a local date-time string.
    pub tz: TimeZone,
    /// Hashes caller numbers; `None` drops them.
    pub hasher: Option<CallerHasher>,
}

impl Default for QueueLogOptions {
    fn default() -> Self {
        QueueLogOptions {
            stitch_window_s: 3600,
            tz: TimeZone::UTC,
            hasher: None,
        }
    }
}

/// One queue stint of a call.
#[derive(Debug, Clone, PartialEq)]
pub struct Stint {
    /// Queue name.
    pub queue: String,
    /// ENTERQUEUE time.
    pub enter_ts: i64,
    /// Wait in this queue (holdtime/waittime as logged).
    pub wait_s: f64,
    /// Agent who answered, if answered.
    pub agent: Option<String>,
    /// CONNECT time, if answered.
    pub connect_ts: Option<i64>,
    /// Talk time of this stint.
    pub talk_s: f64,
    /// Ring time logged with CONNECT (Asterisk ≥ 1.6), seconds.
    pub ring_s: Option<f64>,
    /// The event that ended the stint (COMPLETECALLER, ABANDON, EXITWITHTIMEOUT, TRANSFER, ...).
    pub end_event: String,
    /// Transfer destination, when the stint ended in a transfer.
    pub transfer_to: Option<String>,
}

impl Stint {
    fn answered(&self) -> bool {
        self.connect_ts.is_some()
    }
}

/// A call stitched from all its stints.
#[derive(Debug, Clone, PartialEq)]
pub struct StitchedCall {
    /// The standard record (queue = last stint's queue, first_queue set if different).
    pub record: CallRecord,
    /// All stints in order.
    pub stints: Vec<Stint>,
    /// Line of the first event of the call.
    pub first_line: u64,
    /// Line of the last event of the call.
    pub last_line: u64,
}

/// A reconstructed agent session.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentSession {
    /// Agent (queue_log agent field, e.g. `SIP/1001` or `Agent/1001`).
    pub agent: String,
    /// Login (or first ADDMEMBER) time.
    pub login_ts: i64,
    /// Logoff (or last REMOVEMEMBER) time; `None` if never closed in the file.
    pub logoff_ts: Option<i64>,
    /// Pauses `(from, to, reason)`.
    pub pauses: Vec<(i64, i64, String)>,
    /// Busy spans `(connect, end)` of calls answered by this agent during the session.
    pub busy: Vec<(i64, i64)>,
    /// RINGNOANSWER events during the session.
    pub ring_no_answer: u32,
    /// Line of the login event.
    pub login_line: u64,
}

/// What the parser yields.
#[derive(Debug, Clone, PartialEq)]
pub enum QueueLogItem {
    /// A complete, stitched call.
    Call(StitchedCall),
    /// A closed (or, at end of file, never-closed) agent session.
    Session(AgentSession),
    /// A data-quality issue.
    Issue(Issue),
}

/// Running counts, available at any time from [`QueueLogParser::summary`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueueLogSummary {
    /// Lines read (including blank and bad ones).
    pub lines: u64,
    /// Events parsed, by event name (unknown ones included).
    pub events: std::collections::BTreeMap<String, u64>,
    /// Calls emitted.
    pub calls: u64,
    /// Sessions emitted.
    pub sessions: u64,
    /// Lines rejected.
    pub rejected: u64,
    /// Suspicious findings.
    pub suspicious: u64,
}

#[derive(Debug, PartialEq)]
enum CallState {
    InQueue,
    Connected,
    Ended,
}

#[derive(Debug)]
struct OpenCall {
    stints: Vec<Stint>,
    state: CallState,
    caller: Option<crate::privacy::ProtectedCaller>,
    first_line: u64,
    last_line: u64,
    last_ts: i64,
}

#[derive(Debug, Default)]
struct AgentState {
    session: Option<AgentSession>,
    memberships: HashSet<String>,
    by_login: bool,
    pause: Option<(i64, String)>,
}

/// One input line as the event fields of the pipe file, for layouts that are not the pipe
/// file (a table dump: [`crate::queue_log_table`]).
#[derive(Debug, Clone, PartialEq)]
pub enum SplitLine {
    /// `time, callid, queue, agent, event, data1…`, in the pipe file's order.
    Fields(Vec<String>),
    /// Not an event (a header row): skipped without an issue.
    Skip,
    /// Not understood: the line is rejected with this detail.
    Bad(String),
}

/// Turns one raw input line (with its line end) into event fields.
pub type LineSplitter = Box<dyn FnMut(&[u8]) -> SplitLine + Send>;

/// The streaming parser; iterate it to get [`QueueLogItem`]s.
pub struct QueueLogParser<R> {
    reader: R,
    opts: QueueLogOptions,
    splitter: Option<LineSplitter>,
    buf: Vec<u8>,
    line_no: u64,
    out: VecDeque<QueueLogItem>,
    calls: HashMap<String, OpenCall>,
    agents: HashMap<String, AgentState>,
    last_ts: Option<i64>,
    last_flush: i64,
    finished: bool,
    summary: QueueLogSummary,
}

const KNOWN_SYSTEM: [&str; 6] = [
    "CONFIGRELOAD",
    "QUEUESTART",
    "SYSCOMPAT",
    "DID",
    "INFO",
    "AGENTDUMP",
];

impl<R: BufRead> QueueLogParser<R> {
    /// A parser over a buffered reader.
    pub fn new(reader: R, opts: QueueLogOptions) -> Self {
        QueueLogParser {
            reader,
            opts,
            splitter: None,
            buf: Vec::with_capacity(256),
            line_no: 0,
            out: VecDeque::new(),
            calls: HashMap::new(),
            agents: HashMap::new(),
            last_ts: None,
            last_flush: i64::MIN,
            finished: false,
            summary: QueueLogSummary::default(),
        }
    }

    /// A parser whose lines are split into event fields by `splitter` instead of as the pipe
    /// file; everything after the split is the same state machine.
    pub fn with_splitter(reader: R, opts: QueueLogOptions, splitter: LineSplitter) -> Self {
        let mut p = QueueLogParser::new(reader, opts);
        p.splitter = Some(splitter);
        p
    }

    /// Counts so far (complete once the iterator returned `None`).
    pub fn summary(&self) -> &QueueLogSummary {
        &self.summary
    }

    fn push_issue(&mut self, issue: Issue) {
        match issue.severity {
            crate::Severity::Rejected => self.summary.rejected += 1,
            crate::Severity::Suspicious => self.summary.suspicious += 1,
        }
        self.out.push_back(QueueLogItem::Issue(issue));
    }

    fn reject(&mut self, kind: IssueKind, msg: impl Into<String>) {
        let n = self.line_no;
        self.push_issue(Issue::rejected(n, kind, msg));
    }

    fn suspicious(&mut self, line: u64, kind: IssueKind, msg: impl Into<String>) {
        self.push_issue(Issue::suspicious(line, kind, msg));
    }

    fn parse_time(&self, s: &str) -> Option<i64> {
        let s = s.trim();
        if let Ok(v) = s.parse::<i64>() {
            return Some(v);
        }
        if let Ok(v) = s.parse::<f64>() {
            return (v.is_finite() && v.abs() < 1e15).then(|| v.floor() as i64);
        }
        let dt: jiff::civil::DateTime = s.parse().ok()?;
        dt.to_zoned(self.opts.tz.clone())
            .ok()
            .map(|z| z.timestamp().as_second())
    }

    fn process_line(&mut self) {
        let raw = String::from_utf8_lossy(&self.buf).into_owned();
        let line = raw.trim_end_matches(['\n', '\r']);
        if line.trim().is_empty() {
            return;
        }
        let fields: Vec<String> = if let Some(split) = self.splitter.as_mut() {
            match split(&self.buf) {
                SplitLine::Fields(f) => f,
                SplitLine::Skip => return,
                SplitLine::Bad(why) => return self.reject(IssueKind::Unparseable, why),
            }
        } else if line.contains('|') {
            line.split('|').map(str::to_string).collect()
        } else if line.contains(',') {
            match split_quoted(line.as_bytes()) {
                Ok(f) => f
                    .into_iter()
                    .map(|v| String::from_utf8_lossy(&v).into_owned())
                    .collect(),
                Err(e) => return self.reject(IssueKind::Unparseable, format!("bad CSV: {e}")),
            }
        } else {
            return self.reject(IssueKind::Unparseable, "no '|' or ',' separated fields");
        };
        if fields.len() < 5 {
            return self.reject(
                IssueKind::Unparseable,
                format!("expected at least 5 fields, found {}", fields.len()),
            );
        }
        let Some(ts) = self.parse_time(&fields[0]) else {
            // A DB export's header line is not an issue.
            if self.line_no == 1 && fields[4].trim().eq_ignore_ascii_case("event") {
                return;
            }
            return self.reject(
                IssueKind::Unparseable,
                format!("bad timestamp {:?}", truncate(&fields[0])),
            );
        };
        let event = fields[4].trim().to_ascii_uppercase();
        if event.is_empty() {
            return self.reject(IssueKind::Unparseable, "empty event name");
        }
        *self.summary.events.entry(event.clone()).or_default() += 1;
        if let Some(prev) = self.last_ts {
            if ts < prev {
                let n = self.line_no;
                self.suspicious(
                    n,
                    IssueKind::TimeBackwards,
                    format!("time goes backwards: {ts} after {prev}"),
                );
            }
        }
        let now = self.last_ts.map_or(ts, |p| p.max(ts));
        self.last_ts = Some(now);
        let d = |i: usize| fields.get(5 + i).map(|s| s.trim()).unwrap_or("");
        let callid = fields[1].trim().to_string();
        let queue = fields[2].trim().to_string();
        let agent = fields[3].trim().to_string();
        let data: Vec<String> = (0..5).map(|i| d(i).to_string()).collect();
        self.dispatch(ts, &callid, &queue, &agent, &event, &data);
        if now >= self.last_flush.saturating_add(60) {
            self.flush_calls(Some(now));
            self.last_flush = now;
        }
    }

    fn dispatch(
        &mut self,
        ts: i64,
        callid: &str,
        queue: &str,
        agent: &str,
        event: &str,
        d: &[String],
    ) {
        let num = |s: &str| s.parse::<f64>().ok().filter(|v| v.is_finite() && *v >= 0.0);
        let line = self.line_no;
        match event {
            "ENTERQUEUE" => self.enter_queue(ts, callid, queue, &d[1]),
            "CONNECT" => {
                let Some(call) = self.calls.get_mut(callid) else {
                    return self.reject(
                        IssueKind::OrphanEvent,
                        format!("CONNECT for unknown call {callid}"),
                    );
                };
                if call.state != CallState::InQueue {
                    return self.reject(
                        IssueKind::OrphanEvent,
                        format!("CONNECT for call {callid} not waiting in a queue"),
                    );
                }
                let st = call.stints.last_mut().expect("in-queue call has a stint");
                st.wait_s = num(&d[0]).unwrap_or((ts - st.enter_ts).max(0) as f64);
                st.connect_ts = Some(ts);
                st.agent = (!agent.is_empty()).then(|| agent.to_string());
                // Asterisk ≥ 1.6 logs the ring time as a third field; ≤ 1.4 has two.
                st.ring_s = num(&d[2]);
                call.state = CallState::Connected;
                call.last_line = line;
                call.last_ts = ts;
            }
            "COMPLETECALLER" | "COMPLETEAGENT" | "TRANSFER" | "BLINDTRANSFER"
            | "ATTENDEDTRANSFER" => {
                let (talk, dest) = match event {
                    "TRANSFER" | "BLINDTRANSFER" => (num(&d[3]), Some(d[0].clone())),
                    "ATTENDEDTRANSFER" => {
                        // Variants: BRIDGE|id|hold|call|pos, APP|app|hold|call|pos,
                        // LINK|chan1|chan2|hold|call|pos: calltime is second to last.
                        let filled: Vec<&String> = d.iter().filter(|s| !s.is_empty()).collect();
                        let talk = if filled.len() >= 3 {
                            num(filled[filled.len() - 2])
                        } else {
                            None
                        };
                        (talk, Some(d[1].clone()))
                    }
                    _ => (num(&d[1]), None),
                };
                let Some(call) = self.calls.get_mut(callid) else {
                    return self.reject(
                        IssueKind::OrphanEvent,
                        format!("{event} for unknown call {callid}"),
                    );
                };
                if call.state != CallState::Connected {
                    return self.reject(
                        IssueKind::OrphanEvent,
                        format!("{event} for call {callid} that is not connected"),
                    );
                }
                let st = call.stints.last_mut().expect("connected call has a stint");
                let connect = st.connect_ts.unwrap_or(ts);
                st.talk_s = talk.unwrap_or((ts - connect).max(0) as f64);
                st.end_event = event.to_string();
                st.transfer_to = dest.clone();
                let span = (connect, connect + st.talk_s.ceil() as i64);
                let ag = st.agent.clone();
                call.state = CallState::Ended;
                call.last_line = line;
                call.last_ts = ts;
                if let Some(ag) = ag {
                    if let Some(s) = self.agents.get_mut(&ag).and_then(|a| a.session.as_mut()) {
                        s.busy.push(span);
                    }
                }
                if event == "ATTENDEDTRANSFER" {
                    self.suspicious(line, IssueKind::AttendedTransfer, format!("attended transfer of call {callid}: queue_log may miss the transferred leg"));
                } else if matches!(event, "TRANSFER" | "BLINDTRANSFER")
                    && dest.as_deref().is_none_or(str::is_empty)
                {
                    self.suspicious(
                        line,
                        IssueKind::TransferWithoutDestination,
                        format!("{event} of call {callid} without destination"),
                    );
                }
            }
            "ABANDON" | "EXITWITHTIMEOUT" | "EXITEMPTY" | "EXITWITHKEY" => {
                // waittime: data3 (ABANDON, EXITWITHTIMEOUT, EXITEMPTY) or data4 (EXITWITHKEY);
                // Asterisk ≤ 1.4 EXITWITHTIMEOUT logs only the position.
                let wait = if event == "EXITWITHKEY" {
                    num(&d[3])
                } else {
                    num(&d[2])
                };
                let Some(call) = self.calls.get_mut(callid) else {
                    return self.reject(
                        IssueKind::OrphanEvent,
                        format!("{event} for unknown call {callid}"),
                    );
                };
                if call.state != CallState::InQueue {
                    return self.reject(
                        IssueKind::OrphanEvent,
                        format!("{event} for call {callid} not waiting in a queue"),
                    );
                }
                let st = call.stints.last_mut().expect("in-queue call has a stint");
                st.wait_s = wait.unwrap_or((ts - st.enter_ts).max(0) as f64);
                st.end_event = event.to_string();
                call.state = CallState::Ended;
                call.last_line = line;
                call.last_ts = ts;
            }
            "RINGNOANSWER" => {
                if let Some(s) = self.agents.get_mut(agent).and_then(|a| a.session.as_mut()) {
                    s.ring_no_answer += 1;
                }
            }
            "AGENTLOGIN" | "AGENTCALLBACKLOGIN" => {
                let st = self.agents.entry(agent.to_string()).or_default();
                st.by_login = true;
                if st.session.is_none() {
                    st.session = Some(new_session(agent, ts, line));
                }
            }
            "AGENTLOGOFF" | "AGENTCALLBACKLOGOFF" => {
                let logintime = d[1].parse::<i64>().ok().filter(|v| *v >= 0);
                let st = self.agents.entry(agent.to_string()).or_default();
                st.by_login = false;
                st.memberships.clear();
                if st.session.is_none() {
                    match logintime {
                        // The file started mid-session: the logoff tells when it began.
                        Some(lt) => st.session = Some(new_session(agent, ts - lt, line)),
                        None => {
                            return self.suspicious(
                                line,
                                IssueKind::SessionUnmatched,
                                format!("{event} for agent {agent} without login"),
                            );
                        }
                    }
                }
                self.close_session(agent, ts);
            }
            "ADDMEMBER" => {
                let st = self.agents.entry(agent.to_string()).or_default();
                st.memberships.insert(queue.to_string());
                if st.session.is_none() {
                    st.session = Some(new_session(agent, ts, line));
                }
            }
            "REMOVEMEMBER" => {
                let st = self.agents.entry(agent.to_string()).or_default();
                let was_member = st.memberships.remove(queue);
                if st.session.is_none() || !was_member {
                    return self.suspicious(
                        line,
                        IssueKind::SessionUnmatched,
                        format!("REMOVEMEMBER of {agent} from {queue} without ADDMEMBER"),
                    );
                }
                if st.memberships.is_empty() && !st.by_login {
                    self.close_session(agent, ts);
                }
            }
            "PAUSE" | "PAUSEALL" => {
                let st = self.agents.entry(agent.to_string()).or_default();
                if st.session.is_none() {
                    return self.suspicious(
                        line,
                        IssueKind::SessionUnmatched,
                        format!("{event} of {agent} outside a session"),
                    );
                }
                if st.pause.is_none() {
                    st.pause = Some((ts, d[0].clone()));
                }
            }
            "UNPAUSE" | "UNPAUSEALL" => {
                let st = self.agents.entry(agent.to_string()).or_default();
                match (st.pause.take(), st.session.as_mut()) {
                    (Some((from, reason)), Some(s)) => s.pauses.push((from, ts, reason)),
                    _ => {
                        // Several queues log UNPAUSE for one agent; only a lone one is odd.
                        if st.session.is_none() {
                            self.suspicious(
                                line,
                                IssueKind::SessionUnmatched,
                                format!("{event} of {agent} without PAUSE"),
                            );
                        }
                    }
                }
            }
            e if KNOWN_SYSTEM.contains(&e) => {}
            other => {
                let msg = format!("unknown event {:?} kept in the report", truncate(other));
                self.suspicious(line, IssueKind::UnknownEvent, msg);
            }
        }
    }

    fn enter_queue(&mut self, ts: i64, callid: &str, queue: &str, callerid: &str) {
        let line = self.line_no;
        if callid.is_empty() || queue.is_empty() {
            return self.reject(
                IssueKind::Unparseable,
                "ENTERQUEUE without call id or queue",
            );
        }
        let caller = self.opts.hasher.as_ref().and_then(|h| h.protect(callerid));
        let stint = Stint {
            queue: queue.to_string(),
            enter_ts: ts,
            wait_s: 0.0,
            agent: None,
            connect_ts: None,
            talk_s: 0.0,
            ring_s: None,
            end_event: String::new(),
            transfer_to: None,
        };
        let mut gap = None;
        match self.calls.get_mut(callid) {
            Some(call) => {
                // A new stint of a known call: overflow or transfer into a queue.
                if let Some(prev) = call.stints.last_mut() {
                    match call.state {
                        CallState::InQueue => {
                            prev.wait_s = (ts - prev.enter_ts).max(0) as f64;
                            prev.end_event = "GAP".into();
                            gap = Some("left its queue without an exit event");
                        }
                        CallState::Connected => {
                            let c = prev.connect_ts.unwrap_or(ts);
                            prev.talk_s = (ts - c).max(0) as f64;
                            prev.end_event = "GAP".into();
                            gap = Some("was transferred without a TRANSFER/COMPLETE event");
                        }
                        CallState::Ended => {}
                    }
                }
                call.stints.push(stint);
                call.state = CallState::InQueue;
                call.last_line = line;
                call.last_ts = ts;
                if call.caller.is_none() {
                    call.caller = caller;
                }
            }
            None => {
                self.calls.insert(
                    callid.to_string(),
                    OpenCall {
                        stints: vec![stint],
                        state: CallState::InQueue,
                        caller,
                        first_line: line,
                        last_line: line,
                        last_ts: ts,
                    },
                );
            }
        }
        if let Some(why) = gap {
            self.suspicious(
                line,
                IssueKind::AttendedTransfer,
                format!("call {callid} {why} before entering {queue}"),
            );
        }
    }

    fn close_session(&mut self, agent: &str, ts: i64) {
        if let Some(st) = self.agents.get_mut(agent) {
            if let Some(mut s) = st.session.take() {
                if let Some((from, reason)) = st.pause.take() {
                    s.pauses.push((from, ts, reason));
                }
                s.logoff_ts = Some(ts);
                self.summary.sessions += 1;
                self.out.push_back(QueueLogItem::Session(s));
            }
        }
    }

    /// Emits finished calls idle for longer than the stitch window (all at EOF).
    fn flush_calls(&mut self, now: Option<i64>) {
        let window = self.opts.stitch_window_s;
        let ready: Vec<String> = self
            .calls
            .iter()
            .filter(|(_, c)| match now {
                Some(n) => c.state == CallState::Ended && n - c.last_ts > window,
                None => true,
            })
            .map(|(k, _)| k.clone())
            .collect();
        let mut ready: Vec<(String, OpenCall)> = ready
            .into_iter()
            .filter_map(|k| self.calls.remove(&k).map(|c| (k, c)))
            .collect();
        ready.sort_by_key(|(_, c)| c.first_line);
        for (id, call) in ready {
            if call.state != CallState::Ended {
                let st = call
                    .stints
                    .last()
                    .map(|s| s.queue.clone())
                    .unwrap_or_default();
                let what = if call.state == CallState::InQueue {
                    "waiting in"
                } else {
                    "connected in"
                };
                self.suspicious(
                    call.first_line,
                    IssueKind::CallNeverEnded,
                    format!("call {id} entered a queue and never ended (still {what} {st} at end of file); not counted"),
                );
                continue;
            }
            self.summary.calls += 1;
            self.out.push_back(QueueLogItem::Call(stitch(id, call)));
        }
    }

    fn finish(&mut self) {
        self.flush_calls(None);
        let mut open: Vec<String> = self
            .agents
            .iter()
            .filter(|(_, a)| a.session.is_some())
            .map(|(k, _)| k.clone())
            .collect();
        open.sort();
        for agent in open {
            if let Some(st) = self.agents.get_mut(&agent) {
                if let Some(mut s) = st.session.take() {
                    if let Some((from, reason)) = st.pause.take() {
                        s.pauses.push((from, self.last_ts.unwrap_or(from), reason));
                    }
                    let line = s.login_line;
                    self.summary.sessions += 1;
                    self.out.push_back(QueueLogItem::Session(s));
                    self.suspicious(
                        line,
                        IssueKind::SessionNeverClosed,
                        format!("session of agent {agent} never closed"),
                    );
                }
            }
        }
    }
}

fn new_session(agent: &str, ts: i64, line: u64) -> AgentSession {
    AgentSession {
        agent: agent.to_string(),
        login_ts: ts,
        logoff_ts: None,
        pauses: Vec::new(),
        busy: Vec::new(),
        ring_no_answer: 0,
        login_line: line,
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(40).collect()
}

fn stitch(id: String, call: OpenCall) -> StitchedCall {
    let first = call.stints.first().expect("calls have a stint");
    let last = call.stints.last().expect("calls have a stint");
    let answered = last.answered();
    let facts = CallFacts {
        enter_ts: first.enter_ts,
        wait_s: call.stints.iter().map(|s| s.wait_s).sum(),
        talk_s: call.stints.iter().map(|s| s.talk_s).sum(),
        hold_s: 0.0,
        wrap_s: 0.0,
        outcome: if answered {
            Outcome::Answered
        } else {
            Outcome::Abandoned
        },
        sale: false,
    };
    let mut rec = CallRecord::new(id, last.queue.clone(), facts);
    rec.agent = call.stints.iter().rev().find_map(|s| s.agent.clone());
    rec.stints = call.stints.len() as u32;
    if first.queue != last.queue {
        rec.first_queue = Some(first.queue.clone());
    }
    if let Some(c) = call.caller {
        rec.caller_hash = Some(c.hash);
        rec.caller_masked = Some(c.masked);
    }
    StitchedCall {
        record: rec,
        stints: call.stints,
        first_line: call.first_line,
        last_line: call.last_line,
    }
}

impl<R: BufRead> Iterator for QueueLogParser<R> {
    type Item = QueueLogItem;

    fn next(&mut self) -> Option<QueueLogItem> {
        loop {
            if let Some(item) = self.out.pop_front() {
                return Some(item);
            }
            if self.finished {
                return None;
            }
            self.buf.clear();
            match self.reader.read_until(b'\n', &mut self.buf) {
                Ok(0) => {
                    self.finished = true;
                    self.finish();
                }
                Ok(_) => {
                    self.line_no += 1;
                    self.summary.lines += 1;
                    self.process_line();
                }
                Err(e) => {
                    self.finished = true;
                    self.line_no += 1;
                    self.reject(IssueKind::Unparseable, format!("read error: {e}"));
                    self.finish();
                }
            }
        }
    }
}
