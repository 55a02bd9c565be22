//! Streaming parser for Asterisk CDR CSV (`Master.csv` and CDR exports with a header).
//!
//! `Master.csv` has no header; `cdr_csv` writes accountcode, src, dst, dcontext, clid,
//! channel, dstchannel, lastapp, lastdata, start, answer, end, duration, billsec,
//! disposition, amaflags[, uniqueid[, userfield]], and the `cdr_custom` sample template
//! starts with clid and puts accountcode, uniqueid, userfield (and often linkedid) after
//! amaflags. Both are recognised by their values ([`CdrColumns::from_rows`]); exports with a
//! header (a database dump, a PBX's `cdr.csv`) by their column names
//! ([`CdrColumns::from_header`]). Dates are local date-times in the PBX's zone.
//!
//! One call is one group of rows sharing a linkedid (else a uniqueid): a queue call leaves a
//! row per leg, and the first row is often not the queue's. A group that ran the `Queue`
//! application is a call of that queue (its first argument), and is answered only when a
//! queue row was bridged to an agent (a destination channel and `ANSWERED`): the queue
//! application answers the caller's channel to play music, so its own "ANSWERED" is not an
//! answer. Other groups are calls of the dialled number, answered when a row was.
//!
//! A CDR has no separate queue wait, so wait = answer − start of the group (including any
//! IVR time before the queue); the data-quality report says so once per file.

use std::collections::{HashMap, VecDeque};
use std::io::Read;

use jiff::tz::TimeZone;
use rumbo_kpi::{CallFacts, CallRecord, Outcome};
use sha2::{Digest, Sha256};

use crate::detect::column;
use crate::issue::{Issue, IssueKind};
use crate::privacy::CallerHasher;
use crate::values::{timestamp, Cell};

/// Dispositions a CDR row may carry (PBXware also writes `UNKNOWN`).
const DISPOSITIONS: [&str; 7] = [
    "ANSWERED",
    "NO ANSWER",
    "BUSY",
    "FAILED",
    "CONGESTION",
    "CANCEL",
    "UNKNOWN",
];

/// How long (seconds of call time) a group stays open for further rows of the same call.
const GROUP_WINDOW_S: i64 = 2 * 3600;

/// Where the CDR fields are in a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CdrColumns {
    delimiter: u8,
    header: bool,
    kind: CdrKind,
    src: Option<usize>,
    dst: Option<usize>,
    clid: Option<usize>,
    dstchannel: Option<usize>,
    lastapp: Option<usize>,
    lastdata: Option<usize>,
    start: usize,
    answer: Option<usize>,
    end: Option<usize>,
    duration: Option<usize>,
    billsec: usize,
    disposition: usize,
    uniqueid: Option<usize>,
    linkedid: Option<usize>,
    /// Columns of the header (0 without one): a row with more fields had commas in an
    /// unquoted `lastdata` (see [`CdrColumns::rejoin_lastdata`]).
    width: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CdrKind {
    Master,
    MasterCustom,
    Header,
}

impl CdrColumns {
    /// `Master.csv` as `cdr_csv` writes it (uniqueid in the 17th column when logged).
    pub fn master() -> CdrColumns {
        CdrColumns {
            delimiter: b',',
            header: false,
            kind: CdrKind::Master,
            src: Some(1),
            dst: Some(2),
            clid: Some(4),
            dstchannel: Some(6),
            lastapp: Some(7),
            lastdata: Some(8),
            start: 9,
            answer: Some(10),
            end: Some(11),
            duration: Some(12),
            billsec: 13,
            disposition: 14,
            uniqueid: Some(16),
            linkedid: None,
            width: 0,
        }
    }

    /// Grandstream UCM's CDR export (and other PBX exports with a header) writes `lastdata`
    /// unquoted, so an application argument list such as `SIP/5301,60,` becomes three
    /// fields and every later column moves right. When a row has more fields than the
    /// header, the surplus is put back into `lastdata`: it is the only CDR column whose value
    /// holds commas (application arguments), and all columns after it (times, durations,
    /// disposition, ids) never do.
    fn rejoin_lastdata(&self, f: &mut Vec<String>) {
        let Some(ld) = self.lastdata else { return };
        if self.width == 0 || f.len() <= self.width || ld >= self.width {
            return;
        }
        let extra = f.len() - self.width;
        let joined = f[ld..=ld + extra].join(",");
        f.splice(ld..=ld + extra, [joined]);
    }

    /// The layout's stable name.
    pub fn name(&self) -> &'static str {
        match self.kind {
            CdrKind::Master => "cdr-master",
            CdrKind::MasterCustom => "cdr-master-custom",
            CdrKind::Header => "cdr-header",
        }
    }

    /// Columns of a CDR export with a header (names normalised by the detector): it needs a
    /// start, a billable time, a disposition and a source, destination or channel.
    pub(crate) fn from_header(h: &[String], delimiter: u8) -> Option<CdrColumns> {
        let start = column(
            h,
            &[
                "start",
                "calldate",
                "call_date",
                "start_time",
                "starttime",
                "date_time",
                "datetime",
            ],
        )?;
        let billsec = column(
            h,
            &[
                "billsec",
                "bill_sec",
                "billable",
                "billable_seconds",
                "talk_time",
            ],
        )?;
        let disposition = column(h, &["disposition", "call_status"])?;
        let src = column(
            h,
            &["src", "source", "caller", "caller_number", "from", "cnum"],
        );
        let dst = column(h, &["dst", "destination", "called", "callee_number", "to"]);
        let dstchannel = column(
            h,
            &[
                "dstchannel",
                "dst_channel",
                "destination_channel",
                "dest_channel",
            ],
        );
        let channel = column(h, &["channel", "src_channel", "source_channel"]);
        if src.is_none() && dst.is_none() && channel.is_none() {
            return None;
        }
        Some(CdrColumns {
            delimiter,
            header: true,
            kind: CdrKind::Header,
            src,
            dst,
            clid: column(h, &["clid", "callerid", "caller_id"]),
            dstchannel,
            lastapp: column(h, &["lastapp", "last_app", "application"]),
            lastdata: column(h, &["lastdata", "last_data", "app_data"]),
            start,
            answer: column(h, &["answer", "answer_time", "answertime", "answered_at"]),
            end: column(h, &["end", "end_time", "endtime", "hangup_time"]),
            duration: column(h, &["duration", "duration_sec", "call_time"]),
            billsec,
            disposition,
            uniqueid: column(h, &["uniqueid", "unique_id", "uid"]),
            linkedid: column(h, &["linkedid", "linked_id"]),
            width: h.len(),
        })
    }

    /// Columns of header-less rows: the disposition column found by its values, and the
    /// standard or the `cdr_custom` order around it.
    pub(crate) fn from_rows(rows: &[Vec<String>], delimiter: u8) -> Option<CdrColumns> {
        let first = rows.first()?;
        let d = (5..first.len()).find(|&i| {
            rows.iter().all(|r| {
                r.get(i)
                    .is_some_and(|v| DISPOSITIONS.contains(&v.trim().to_ascii_uppercase().as_str()))
            })
        })?;
        let is_time = |i: usize| {
            rows.iter().all(|r| {
                r.get(i).is_some_and(|v| {
                    let v = v.trim();
                    v.parse::<jiff::civil::DateTime>().is_ok() || v.parse::<i64>().is_ok()
                })
            })
        };
        let is_count = |i: usize| {
            rows.iter()
                .all(|r| r.get(i).is_some_and(|v| v.trim().parse::<f64>().is_ok()))
        };
        if d < 9 || !is_time(d - 5) || !is_time(d - 3) || !is_count(d - 1) || !is_count(d - 2) {
            return None;
        }
        // Columns after amaflags that look like Asterisk unique ids (`1767261600.12`).
        let ids: Vec<usize> = (d + 2..first.len())
            .filter(|&i| {
                rows.iter().all(|r| {
                    r.get(i).is_some_and(|v| {
                        let v = v.trim();
                        let tail = v.rsplit('-').next().unwrap_or(v);
                        tail.contains('.') && tail.parse::<f64>().is_ok()
                    })
                })
            })
            .collect();
        let (kind, src, clid) = match d {
            14 => (CdrKind::Master, 1, 4),
            13 => (CdrKind::MasterCustom, 1, 0),
            _ => return None,
        };
        Some(CdrColumns {
            delimiter,
            header: false,
            kind,
            src: Some(src),
            dst: Some(2),
            clid: Some(clid),
            dstchannel: Some(d - 8),
            lastapp: Some(d - 7),
            lastdata: Some(d - 6),
            start: d - 5,
            answer: Some(d - 4),
            end: Some(d - 3),
            duration: Some(d - 2),
            billsec: d - 1,
            disposition: d,
            uniqueid: ids.first().copied(),
            linkedid: ids.get(1).copied(),
            width: 0,
        })
    }
}

/// One CDR row, as read.
#[derive(Debug, Clone)]
struct Row {
    line: u64,
    src: String,
    clid: String,
    dst: String,
    dstchannel: String,
    queue: Option<String>,
    start: i64,
    end: i64,
    billsec: f64,
    answered: bool,
    disposition: String,
    /// The row of the channel that started the call (its uniqueid is the group's key).
    originating: bool,
}

/// The rows of one call.
#[derive(Debug)]
struct Group {
    key: String,
    rows: Vec<Row>,
    last_end: i64,
}

/// Streaming CDR reader: yields `(line, record)` per call (the line of its first row) or an
/// issue per bad row.
pub struct CdrReader<R: Read> {
    reader: csv::Reader<R>,
    record: csv::ByteRecord,
    cols: CdrColumns,
    tz: TimeZone,
    hasher: Option<CallerHasher>,
    groups: HashMap<String, Group>,
    out: VecDeque<Result<(u64, CallRecord), Issue>>,
    rows: u64,
    noted_wait: bool,
    finished: bool,
}

impl<R: Read> CdrReader<R> {
    /// A reader over `Master.csv` content (standard order) with the PBX time zone.
    pub fn new(input: R, tz: TimeZone, hasher: Option<CallerHasher>) -> Self {
        CdrReader::with_columns(input, CdrColumns::master(), tz, hasher)
    }

    /// A reader over CDR rows in the given layout.
    pub fn with_columns(
        input: R,
        cols: CdrColumns,
        tz: TimeZone,
        hasher: Option<CallerHasher>,
    ) -> Self {
        CdrReader {
            reader: csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                // Lines end at `\n` only (a `\r` before it is trimmed with the field), so
                // line numbers stay right in CRLF files.
                .terminator(csv::Terminator::Any(b'\n'))
                .delimiter(cols.delimiter)
                .from_reader(input),
            record: csv::ByteRecord::new(),
            cols,
            tz,
            hasher,
            groups: HashMap::new(),
            out: VecDeque::new(),
            rows: 0,
            noted_wait: false,
            finished: false,
        }
    }

    /// Data rows read so far (the header and blank lines not counted).
    pub fn rows_read(&self) -> u64 {
        self.rows
    }

    fn read_row(&self, line: u64, f: &[String]) -> Result<(String, Row), String> {
        let c = &self.cols;
        let get = |i: Option<usize>| i.and_then(|i| f.get(i)).map_or("", |s| s.trim());
        let need = c.billsec.max(c.disposition).max(c.start);
        if f.len() <= need {
            return Err(format!(
                "expected at least {} CDR fields, found {}",
                need + 1,
                f.len()
            ));
        }
        let t = |i: usize, name: &str| {
            timestamp(&Cell::Text(f[i].clone()), None, &self.tz).map_err(|e| format!("{name}: {e}"))
        };
        let start = t(c.start, "start")?;
        let billsec: f64 = f[c.billsec]
            .trim()
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| format!("billsec: {:?}", f[c.billsec]))?;
        let duration = match c.duration.map(|i| get(Some(i))) {
            Some(s) if !s.is_empty() => Some(
                s.parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite() && *v >= 0.0)
                    .ok_or_else(|| format!("duration: {s:?}"))?,
            ),
            _ => None,
        };
        let end = match c.end.filter(|&i| !get(Some(i)).is_empty()) {
            Some(i) => t(i, "end")?,
            None => start + duration.unwrap_or(billsec).ceil() as i64,
        };
        if end < start {
            return Err("negative duration".into());
        }
        let disposition = f[c.disposition].trim().to_ascii_uppercase();
        if !DISPOSITIONS.contains(&disposition.as_str()) {
            return Err(format!("disposition: {disposition:?}"));
        }
        let queue = get(c.lastapp)
            .eq_ignore_ascii_case("queue")
            .then(|| {
                get(c.lastdata)
                    .split([',', '|'])
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_string()
            })
            .filter(|q| !q.is_empty());
        let key = [c.linkedid, c.uniqueid]
            .into_iter()
            .map(get)
            .find(|s| !s.is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| {
                let mut h = Sha256::new();
                for x in f {
                    h.update(x.as_bytes());
                    h.update([0x1f]);
                }
                format!("cdr:{}", &hex::encode(h.finalize())[..24])
            });
        let uniqueid = get(c.uniqueid);
        let row = Row {
            originating: !uniqueid.is_empty() && uniqueid == key,
            line,
            src: get(c.src).to_string(),
            clid: get(c.clid).to_string(),
            dst: get(c.dst).to_string(),
            dstchannel: get(c.dstchannel).to_string(),
            queue,
            start,
            end,
            billsec,
            answered: disposition == "ANSWERED",
            disposition,
        };
        if row.queue.is_none() && row.dst.is_empty() {
            return Err("no queue (lastdata) or destination".into());
        }
        Ok((key, row))
    }

    fn add_row(&mut self, key: String, row: Row) {
        let now = row.start;
        let g = self.groups.entry(key.clone()).or_insert_with(|| Group {
            key,
            rows: Vec::new(),
            last_end: row.end,
        });
        g.last_end = g.last_end.max(row.end);
        g.rows.push(row);
        // Rows of one call are written within minutes of each other: a group untouched for
        // longer than the window is complete.
        if self.rows.is_multiple_of(4096) {
            self.flush(Some(now));
        }
    }

    fn flush(&mut self, now: Option<i64>) {
        let done: Vec<String> = self
            .groups
            .iter()
            .filter(|(_, g)| now.is_none_or(|n| n - g.last_end > GROUP_WINDOW_S))
            .map(|(k, _)| k.clone())
            .collect();
        let mut groups: Vec<Group> = done
            .into_iter()
            .filter_map(|k| self.groups.remove(&k))
            .collect();
        groups.sort_by_key(|g| g.rows[0].line);
        for g in groups {
            let line = g.rows[0].line;
            let rec = self.call_of(g);
            self.out.push_back(Ok((line, rec)));
        }
    }

    fn call_of(&self, mut g: Group) -> CallRecord {
        // Legs that start in the same second as the caller's channel (a Dial to Local
        // channels) can be written before it: the caller's row decides the dialled number.
        g.rows.sort_by_key(|r| (r.start, !r.originating, r.line));
        let start = g.rows.iter().map(|r| r.start).min().unwrap_or(0);
        let end = g.rows.iter().map(|r| r.end).max().unwrap_or(start);
        let queue_rows: Vec<&Row> = g.rows.iter().filter(|r| r.queue.is_some()).collect();
        let (queue, bridged): (String, Vec<&Row>) = if let Some(first) = queue_rows.first() {
            let bridged = queue_rows
                .iter()
                .copied()
                .filter(|r| r.answered && !r.dstchannel.is_empty())
                .collect();
            (first.queue.clone().unwrap_or_default(), bridged)
        } else {
            let bridged = g.rows.iter().filter(|r| r.answered).collect();
            (g.rows[0].dst.clone(), bridged)
        };
        let answered = !bridged.is_empty();
        let (wait, talk) = if answered {
            let talk: f64 = bridged.iter().map(|r| r.billsec).sum();
            let first_answer = bridged
                .iter()
                .map(|r| r.end - r.billsec.ceil() as i64)
                .min()
                .unwrap_or(start);
            ((first_answer - start).max(0) as f64, talk)
        } else {
            ((end - start).max(0) as f64, 0.0)
        };
        let facts = CallFacts {
            enter_ts: start,
            wait_s: wait,
            talk_s: talk,
            hold_s: 0.0,
            wrap_s: 0.0,
            outcome: if answered {
                Outcome::Answered
            } else {
                Outcome::Abandoned
            },
            sale: false,
        };
        let mut rec = CallRecord::new(g.key.clone(), queue, facts);
        rec.agent = bridged
            .last()
            .map(|r| agent_of(&r.dstchannel))
            .filter(|s| !s.is_empty());
        rec.disposition = Some(match bridged.last() {
            Some(r) => r.disposition.clone(),
            None => g
                .rows
                .last()
                .map(|r| r.disposition.clone())
                .unwrap_or_default(),
        });
        if let Some(p) = self.hasher.as_ref().and_then(|h| {
            g.rows
                .iter()
                .find_map(|r| h.protect(&r.src).or_else(|| h.protect(&r.clid)))
        }) {
            rec.caller_hash = Some(p.hash);
            rec.caller_masked = Some(p.masked);
        }
        rec
    }
}

/// The agent behind a bridged channel: `SIP/1001-0000002a` → `SIP/1001`,
/// `Local/201@from-queue-00000012;1` → `Local/201@from-queue`.
fn agent_of(channel: &str) -> String {
    let c = channel.trim();
    let c = c.split(';').next().unwrap_or(c);
    match c.rfind('-') {
        Some(i)
            if i > c.find('/').unwrap_or(0)
                && c[i + 1..].chars().all(|x| x.is_ascii_hexdigit()) =>
        {
            c[..i].to_string()
        }
        _ => c.to_string(),
    }
}

impl<R: Read> Iterator for CdrReader<R> {
    type Item = Result<(u64, CallRecord), Issue>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.out.pop_front() {
                return Some(item);
            }
            if self.finished {
                return None;
            }
            match self.reader.read_byte_record(&mut self.record) {
                Ok(false) => {
                    self.finished = true;
                    self.flush(None);
                }
                Ok(true) => {
                    let line = self.record.position().map_or(0, |p| p.line());
                    let mut f: Vec<String> = self
                        .record
                        .iter()
                        .map(|x| {
                            let x = x.strip_suffix(b"\r").unwrap_or(x);
                            String::from_utf8_lossy(x).into_owned()
                        })
                        .collect();
                    if f.iter().all(|x| x.trim().is_empty()) {
                        continue;
                    }
                    self.cols.rejoin_lastdata(&mut f);
                    let is_header = (self.cols.header && self.rows == 0)
                        || f[0]
                            .trim()
                            .trim_start_matches('\u{feff}')
                            .eq_ignore_ascii_case("accountcode");
                    if is_header
                        && f.get(self.cols.start).is_some_and(|s| {
                            timestamp(&Cell::Text(s.clone()), None, &self.tz).is_err()
                        })
                    {
                        continue;
                    }
                    self.rows += 1;
                    if !self.noted_wait {
                        self.noted_wait = true;
                        self.out.push_back(Err(Issue::suspicious(
                            line,
                            IssueKind::ApproximateWait,
                            "a CDR has no queue wait: wait = answer − start of the call, including any IVR time before the queue",
                        )));
                    }
                    match self.read_row(line, &f) {
                        Ok((key, row)) => self.add_row(key, row),
                        Err(e) => self.out.push_back(Err(Issue::rejected(
                            line,
                            IssueKind::Unparseable,
                            e,
                        ))),
                    }
                }
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line());
                    self.rows += 1;
                    self.out.push_back(Err(Issue::rejected(
                        line,
                        IssueKind::Unparseable,
                        format!("bad CSV: {e}"),
                    )));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(data: &str, cols: CdrColumns) -> (Vec<(u64, CallRecord)>, Vec<Issue>) {
        let h = CallerHasher::new(b"k");
        let mut calls = Vec::new();
        let mut issues = Vec::new();
        for r in CdrReader::with_columns(data.as_bytes(), cols, TimeZone::UTC, Some(h)) {
            match r {
                Ok(c) => calls.push(c),
                Err(i) => issues.push(i),
            }
        }
        (calls, issues)
    }

    #[test]
    fn answered_and_unanswered_cdrs_map_to_calls() {
        let data = "\"\",\"56987651234\",\"600\",\"from-queue\",\"\"\"Ana\"\" <56987651234>\",\"SIP/trunk-0001\",\"SIP/1001-0002\",\"Queue\",\"ventas,t,,,300\",\"2026-01-01 10:00:00\",\"2026-01-01 10:00:25\",\"2026-01-01 10:05:25\",325,300,\"ANSWERED\",\"DOCUMENTATION\",\"1767261600.1\",\"\"\n\
\"\",\"56911112222\",\"600\",\"from-queue\",\"\",\"SIP/trunk-0003\",\"\",\"Queue\",\"ventas\",\"2026-01-01 10:01:00\",\"2026-01-01 10:01:00\",\"2026-01-01 10:01:40\",40,40,\"ANSWERED\",\"DOCUMENTATION\",\"1767261660.3\",\"\"\n\
garbage\n";
        let (calls, issues) = read(data, CdrColumns::master());
        let (1, a) = &calls[0] else {
            panic!("{:?}", calls[0])
        };
        assert_eq!(a.queue, "ventas");
        assert_eq!(a.facts.wait_s, 25.0);
        assert_eq!(a.facts.talk_s, 300.0);
        assert_eq!(a.agent.as_deref(), Some("SIP/1001"));
        assert_eq!(a.caller_masked.as_deref(), Some("***** 1234"));
        // The queue answered the caller's channel, but no agent was bridged: abandoned.
        let (2, b) = &calls[1] else {
            panic!("{:?}", calls[1])
        };
        assert_eq!(b.facts.outcome, Outcome::Abandoned);
        assert_eq!(b.facts.wait_s, 40.0);
        let kinds: Vec<(u64, IssueKind)> = issues.iter().map(|i| (i.line, i.kind)).collect();
        assert_eq!(
            kinds,
            [(1, IssueKind::ApproximateWait), (3, IssueKind::Unparseable)]
        );
    }

    #[test]
    fn the_rows_of_one_linkedid_are_one_call_of_the_queue_not_of_the_extension() {
        // Asterisk 12+: the caller's IVR row, the queue row bridged to the agent, and the
        // agent's own leg, all with the same linkedid (last column); CRLF line ends.
        let data = "\"\"\"Ana\"\" <56987651234>\",\"56987651234\",\"s\",\"ivr\",\"SIP/trunk-01\",\"\",\"BackGround\",\"menu\",\"2026-01-01 10:00:00\",\"2026-01-01 10:00:00\",\"2026-01-01 10:00:20\",\"20\",\"20\",\"ANSWERED\",\"DOCUMENTATION\",\"\",\"1767261600.1\",\"\",\"1767261600.1\"\r\n\
\"\"\"Ana\"\" <56987651234>\",\"56987651234\",\"1001\",\"from-queue\",\"Local/1001@from-queue-0000000a;2\",\"SIP/1001-0000000b\",\"Dial\",\"SIP/1001\",\"2026-01-01 10:00:40\",\"2026-01-01 10:00:45\",\"2026-01-01 10:03:45\",\"185\",\"180\",\"ANSWERED\",\"DOCUMENTATION\",\"\",\"1767261640.3\",\"\",\"1767261600.1\"\r\n\
\"\"\"Ana\"\" <56987651234>\",\"56987651234\",\"600\",\"from-queue\",\"SIP/trunk-01\",\"Local/1001@from-queue-0000000a;1\",\"Queue\",\"ventas,t\",\"2026-01-01 10:00:20\",\"2026-01-01 10:00:20\",\"2026-01-01 10:03:45\",\"205\",\"180\",\"ANSWERED\",\"DOCUMENTATION\",\"\",\"1767261600.1\",\"\",\"1767261600.1\"\r\n\
\"\"\"Luis\"\" <56911112222>\",\"56911112222\",\"600\",\"from-queue\",\"SIP/trunk-02\",\"\",\"Queue\",\"ventas,t\",\"2026-01-01 10:05:00\",\"2026-01-01 10:05:00\",\"2026-01-01 10:05:30\",\"30\",\"30\",\"ANSWERED\",\"DOCUMENTATION\",\"\",\"1767261900.5\",\"\",\"1767261900.5\"\r\n\
bad,row\r\n";
        let rows: Vec<Vec<String>> = data
            .lines()
            .take(4)
            .map(|l| {
                crate::std_calls::split_quoted(l.as_bytes())
                    .unwrap()
                    .into_iter()
                    .map(|c| String::from_utf8(c).unwrap())
                    .collect()
            })
            .collect();
        let cols = CdrColumns::from_rows(&rows, b',').expect("custom order recognised");
        assert_eq!(cols.name(), "cdr-master-custom");
        let (calls, issues) = read(data, cols);
        assert_eq!(calls.len(), 2, "{calls:?}");
        let (line, a) = &calls[0];
        assert_eq!(*line, 1);
        assert_eq!(a.call_id, "1767261600.1");
        assert_eq!(a.queue, "ventas");
        assert_eq!(a.facts.outcome, Outcome::Answered);
        assert_eq!(a.facts.talk_s, 180.0);
        assert_eq!(a.facts.wait_s, 45.0);
        assert_eq!(a.agent.as_deref(), Some("Local/1001@from-queue"));
        let (line, b) = &calls[1];
        assert_eq!((*line, b.facts.outcome), (4, Outcome::Abandoned));
        assert_eq!(issues.last().map(|i| i.line), Some(5));
        assert_eq!(
            issues
                .iter()
                .filter(|i| i.kind == IssueKind::ApproximateWait)
                .count(),
            1
        );
    }

    #[test]
    fn a_cdr_export_with_a_header_imports_without_answer_and_end_columns() {
        let data = "calldate,clid,src,dst,dcontext,channel,dstchannel,lastapp,lastdata,duration,billsec,disposition,amaflags,accountcode,uniqueid,userfield,linkedid\n\
2026-01-01 10:00:00,\"\"\"Ana\"\" <56987651234>\",56987651234,600,from-queue,SIP/trunk-01,SIP/1001-0000000b,Queue,\"ventas,t\",100,60,ANSWERED,3,,1767261600.1,,1767261600.1\n";
        let header: Vec<String> = data
            .lines()
            .next()
            .unwrap()
            .split(',')
            .map(crate::detect::normalise_name)
            .collect();
        let cols = CdrColumns::from_header(&header, b',').expect("header recognised");
        let (calls, _) = read(data, cols);
        assert_eq!(calls.len(), 1);
        let (line, c) = &calls[0];
        assert_eq!(*line, 2);
        assert_eq!((c.facts.wait_s, c.facts.talk_s), (40.0, 60.0));
    }

    #[test]
    fn a_call_is_counted_for_the_number_its_caller_dialled_even_when_a_leg_is_written_first() {
        // A DID call dialling a Local channel: the Local leg's row (another uniqueid, same
        // second) is written before the caller's row, as Asterisk writes rows at hangup.
        let data = "calldate,clid,src,dst,dcontext,channel,dstchannel,lastapp,lastdata,duration,billsec,disposition,amaflags,accountcode,uniqueid,userfield,linkedid\n\
2026-01-01 10:00:00,Ana,56987651234,ch1,TimeDelay,Local/ch1@TimeDelay-01;2,SIP/301-02,Dial,SIP/301,15,0,NO ANSWER,3,,1767261600.3,,1767261600.1\n\
2026-01-01 10:00:00,Ana,56987651234,211553,from-pstn,SIP/trunk-01,Local/ch1@TimeDelay-01;1,Dial,Local/ch1@TimeDelay,15,0,NO ANSWER,3,,1767261600.1,,1767261600.1\n";
        let header: Vec<String> = data
            .lines()
            .next()
            .unwrap()
            .split(',')
            .map(crate::detect::normalise_name)
            .collect();
        let cols = CdrColumns::from_header(&header, b',').expect("header recognised");
        let (calls, _) = read(data, cols);
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].1.queue, "211553");
    }

    #[test]
    fn the_pbxware_table_and_grandstream_download_headers_are_cdr_exports() {
        let names =
            |h: &str| -> Vec<String> { h.split(',').map(crate::detect::normalise_name).collect() };
        let pbxware = names("AcctId,tenant,clid,src,dst,dcontext,channel,dstchannel,lastapp,lastdata,calldate,duration,billsec,billamount,disposition,amaflags,accountcode,uniqueid,userfield");
        let ucm = names("Account Code,Caller Number,Callee Number,Context,CallerID,Source Channel,Dest Channel,Lastapp,Lastdata,Start time,Answer Time,End time,Call time,Talk time,Disposition,Amaflags,Uniqueid,Userfield");
        for h in [pbxware, ucm] {
            let c = CdrColumns::from_header(&h, b',').expect("recognised");
            assert_eq!(c.name(), "cdr-header");
            assert!(c.src.is_some() && c.dst.is_some() && c.uniqueid.is_some());
        }
        let data = "AcctId,tenant,clid,src,dst,dcontext,channel,dstchannel,lastapp,lastdata,calldate,duration,billsec,billamount,disposition,amaflags,accountcode,uniqueid,userfield\r\n\
1,,Ana,56987651234,600,ctx,SIP/t-1,,Queue,ventas,2026-01-01 10:00:00,30,0,0,UNKNOWN,3,,1767261600.1,\r\n";
        let h = names(data.lines().next().unwrap());
        let (calls, issues) = read(data, CdrColumns::from_header(&h, b',').unwrap());
        assert_eq!(calls.len(), 1, "{issues:?}");
        assert_eq!(calls[0].1.facts.outcome, Outcome::Abandoned);
        assert_eq!(calls[0].1.facts.wait_s, 30.0);
    }

    #[test]
    fn commas_of_an_unquoted_lastdata_do_not_shift_the_later_columns() {
        // Grandstream UCM writes `lastdata` unquoted: `ventas,t,,,300` is five fields.
        let data = "AcctId,accountcode,src,dst,dcontext,clid,channel,dstchannel,lastapp,lastdata,start,answer,end,duration,billsec,disposition,amaflags,uniqueid,userfield\n\
1,,56987651234,600,ext-queues,Ana <56987651234>,SIP/trunk-01,SIP/1001-02,Queue,ventas,t,,,300,2026-01-01 10:00:00,2026-01-01 10:00:20,2026-01-01 10:01:50,110,90,ANSWERED,DOCUMENTATION,1767261600.1,\n";
        let header: Vec<String> = data
            .lines()
            .next()
            .unwrap()
            .split(',')
            .map(crate::detect::normalise_name)
            .collect();
        let (calls, issues) = read(data, CdrColumns::from_header(&header, b',').unwrap());
        assert_eq!(calls.len(), 1, "{issues:?}");
        let c = &calls[0].1;
        assert_eq!(c.queue, "ventas");
        assert_eq!(c.facts.outcome, Outcome::Answered);
        assert_eq!((c.facts.wait_s, c.facts.talk_s), (20.0, 90.0));
        assert_eq!(c.agent.as_deref(), Some("SIP/1001"));
    }

    #[test]
    fn channels_name_their_agent_without_the_channel_sequence() {
        assert_eq!(agent_of("SIP/1001-0000002a"), "SIP/1001");
        assert_eq!(agent_of("PJSIP/ana-ext-00000001"), "PJSIP/ana-ext");
        assert_eq!(
            agent_of("Local/201@from-queue-00000012;1"),
            "Local/201@from-queue"
        );
        assert_eq!(agent_of("Agent/1001"), "Agent/1001");
    }
}
