//! Presets for VICIdial's call logs, the dialer many Latin American BPOs run.
//!
//! VICIdial keeps one row per inbound call in `vicidial_closer_log` (`closecallid, lead_id,
//! list_id, campaign_id, call_date, start_epoch, end_epoch, length_in_sec, status, …, user,
//! …, queue_seconds, user_group, xfercallid, term_reason, uniqueid, …`) and one per outbound
//! call in `vicidial_log` (`uniqueid, lead_id, list_id, campaign_id, call_date, start_epoch,
//! end_epoch, length_in_sec, status, …, user, …, term_reason, …`), as its public schema
//! (`MySQL_AST_CREATE_tables.sql`) declares. An export of either table (CSV with the column
//! names as header) is read here without a mapping:
//! - the queue is `campaign_id` (the in-group for inbound, the campaign for outbound);
//! - a call is answered when a person took it: `user` is an agent, not one of VICIdial's
//!   system users (`VDCL` for inbound calls no agent took, `VDAD` for outbound calls the
//!   dialer dropped) and the status is not a drop (`DROP`, `XDROP`, `AFTHRS`, `NANQUE`…);
//! - wait is `queue_seconds` (inbound; outbound calls do not queue), talk is the rest of
//!   `length_in_sec` for answered calls;
//! - the start is `start_epoch` when present, else `call_date` in the programme's zone.

use std::io::Read;

use jiff::tz::TimeZone;
use rumbo_kpi::{CallFacts, CallRecord, Outcome};

use crate::detect::column;
use crate::issue::{Issue, IssueKind};
use crate::privacy::CallerHasher;
use crate::values::{timestamp, Cell};

/// VICIdial's users that are the system, not a person.
const SYSTEM_USERS: [&str; 3] = ["VDCL", "VDAD", "VDAC"];

/// Statuses of calls no agent took.
const DROP_STATUSES: [&str; 8] = [
    "DROP", "XDROP", "AFTHRS", "NANQUE", "INCALL", "QUEUE", "IVRXFR", "HXFER",
];

/// Where the fields are in a VICIdial log export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VicidialColumns {
    delimiter: u8,
    inbound: bool,
    id: usize,
    campaign: usize,
    call_date: usize,
    start_epoch: Option<usize>,
    length: usize,
    status: usize,
    user: usize,
    queue_seconds: Option<usize>,
    term_reason: Option<usize>,
    phone: Option<usize>,
}

impl VicidialColumns {
    /// The columns of a `vicidial_closer_log` or `vicidial_log` export header.
    pub(crate) fn from_header(h: &[String], delimiter: u8) -> Option<VicidialColumns> {
        column(h, &["lead_id"])?;
        let campaign = column(h, &["campaign_id"])?;
        let call_date = column(h, &["call_date"])?;
        let length = column(h, &["length_in_sec"])?;
        let status = column(h, &["status"])?;
        let user = column(h, &["user"])?;
        let (inbound, id) = match column(h, &["closecallid"]) {
            Some(i) => (true, i),
            None => (false, column(h, &["uniqueid"])?),
        };
        Some(VicidialColumns {
            delimiter,
            inbound,
            id,
            campaign,
            call_date,
            start_epoch: column(h, &["start_epoch"]),
            length,
            status,
            user,
            queue_seconds: column(h, &["queue_seconds"]),
            term_reason: column(h, &["term_reason"]),
            phone: column(h, &["phone_number"]),
        })
    }

    /// The layout's stable name.
    pub fn name(&self) -> &'static str {
        if self.inbound {
            "vicidial-closer-log"
        } else {
            "vicidial-log"
        }
    }
}

/// Streaming reader of a VICIdial log export: `(line, record)` per call or an issue per bad
/// row. The header line is skipped.
pub struct VicidialReader<R: Read> {
    reader: csv::Reader<R>,
    record: csv::ByteRecord,
    cols: VicidialColumns,
    tz: TimeZone,
    hasher: Option<CallerHasher>,
    rows: u64,
}

impl<R: Read> VicidialReader<R> {
    /// A reader over an export with these columns.
    pub fn new(
        input: R,
        cols: VicidialColumns,
        tz: TimeZone,
        hasher: Option<CallerHasher>,
    ) -> Self {
        VicidialReader {
            reader: csv::ReaderBuilder::new()
                .has_headers(true)
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
            rows: 0,
        }
    }

    /// Data rows read so far.
    pub fn rows_read(&self) -> u64 {
        self.rows
    }

    fn map_row(&self, f: &[String]) -> Result<CallRecord, String> {
        let c = &self.cols;
        let get = |i: usize| f.get(i).map_or("", |s| s.trim());
        let num = |i: usize, name: &str| -> Result<f64, String> {
            let s = get(i);
            if s.is_empty() || s.eq_ignore_ascii_case("null") {
                return Ok(0.0);
            }
            s.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v >= 0.0)
                .ok_or_else(|| format!("{name}: {s:?}"))
        };
        let start = match c
            .start_epoch
            .map(get)
            .filter(|s| !s.is_empty() && *s != "0")
        {
            Some(s) => s
                .parse::<i64>()
                .map_err(|_| format!("start_epoch: {s:?}"))?,
            None => timestamp(&Cell::Text(get(c.call_date).to_string()), None, &self.tz)
                .map_err(|e| format!("call_date: {e}"))?,
        };
        let id = get(c.id);
        if id.is_empty() {
            return Err("no call id".into());
        }
        let queue = get(c.campaign);
        if queue.is_empty() {
            return Err("no campaign_id".into());
        }
        let length = num(c.length, "length_in_sec")?;
        let wait = match c.queue_seconds {
            Some(i) => num(i, "queue_seconds")?,
            None => 0.0,
        };
        let user = get(c.user);
        let status = get(c.status).to_ascii_uppercase();
        let answered = !user.is_empty()
            && !SYSTEM_USERS.iter().any(|s| user.eq_ignore_ascii_case(s))
            && !DROP_STATUSES.contains(&status.as_str());
        let facts = CallFacts {
            enter_ts: start,
            wait_s: if answered { wait } else { wait.max(length) },
            talk_s: if answered {
                (length - wait).max(0.0)
            } else {
                0.0
            },
            hold_s: 0.0,
            wrap_s: 0.0,
            outcome: if answered {
                Outcome::Answered
            } else {
                Outcome::Abandoned
            },
            sale: status == "SALE",
        };
        let family = if c.inbound { "closer" } else { "out" };
        let mut rec = CallRecord::new(format!("vicidial-{family}:{id}"), queue.to_string(), facts);
        rec.agent = answered.then(|| user.to_string());
        let reason = c.term_reason.map(get).unwrap_or("");
        rec.disposition = Some(if reason.is_empty() {
            status
        } else {
            format!("{status}/{}", reason.to_ascii_uppercase())
        });
        if let Some(p) = c
            .phone
            .and_then(|i| self.hasher.as_ref().and_then(|h| h.protect(get(i))))
        {
            rec.caller_hash = Some(p.hash);
            rec.caller_masked = Some(p.masked);
        }
        Ok(rec)
    }
}

impl<R: Read> Iterator for VicidialReader<R> {
    type Item = Result<(u64, CallRecord), Issue>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match self.reader.read_byte_record(&mut self.record) {
                Ok(false) => return None,
                Ok(true) => {
                    let line = self.record.position().map_or(0, |p| p.line());
                    let f: Vec<String> = self
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
                    self.rows += 1;
                    return Some(
                        self.map_row(&f)
                            .map(|r| (line, r))
                            .map_err(|e| Issue::rejected(line, IssueKind::Unparseable, e)),
                    );
                }
                Err(e) => {
                    self.rows += 1;
                    let line = e.position().map_or(0, |p| p.line());
                    return Some(Err(Issue::rejected(
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
    use crate::detect::{detect, Detection, Layout};

    #[test]
    fn inbound_rows_taken_by_an_agent_are_answered_and_system_rows_are_not() {
        let data = "closecallid,lead_id,list_id,campaign_id,call_date,start_epoch,end_epoch,length_in_sec,status,phone_code,phone_number,user,comments,processed,queue_seconds,user_group,xfercallid,term_reason,uniqueid\n\
1,10,999,VENTAS_IN,2026-01-01 10:00:00,1767261600,1767261700,100,SALE,56,56987651234,ana,,N,12.00,G1,0,CALLER,1767261600.1\n\
2,11,999,VENTAS_IN,2026-01-01 10:01:00,1767261660,1767261700,40,DROP,56,56911112222,VDCL,,N,40.00,,0,ABANDON,1767261660.2\n\
3,12,999,VENTAS_IN,2026-01-01 10:02:00,,,x,A,56,5691,ana,,N,1,,0,AGENT,1767261720.3\n";
        let Detection::Known(Layout::Vicidial(cols)) = detect(data.as_bytes()) else {
            panic!("not recognised")
        };
        let out: Vec<_> = VicidialReader::new(data.as_bytes(), cols, TimeZone::UTC, None).collect();
        let Ok((2, a)) = &out[0] else {
            panic!("{:?}", out[0])
        };
        assert_eq!(a.facts.outcome, Outcome::Answered);
        assert_eq!((a.facts.wait_s, a.facts.talk_s), (12.0, 88.0));
        assert_eq!(a.agent.as_deref(), Some("ana"));
        assert!(a.facts.sale);
        let Ok((3, b)) = &out[1] else {
            panic!("{:?}", out[1])
        };
        assert_eq!(b.facts.outcome, Outcome::Abandoned);
        assert_eq!(b.facts.wait_s, 40.0);
        assert!(matches!(&out[2], Err(i) if i.line == 4));
    }
}
