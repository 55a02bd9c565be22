//! Streaming parser for Asterisk CDR CSV (`Master.csv`).
//!
//! Columns (no header): accountcode, src, dst, dcontext, clid, channel,
//! dstchannel, lastapp, lastdata, start, answer, end, duration, billsec,
//! disposition, amaflags[, uniqueid[, userfield]]. Dates are local date-times in
//! the PBX's zone. A CDR has no separate queue wait, so wait = answer − start
//! (including any IVR time before the queue; the data-quality report says so
//! once per file). The queue is the `Queue()` argument when the last application
//! was `Queue`, else the dialled number.

use std::io::Read;

use jiff::tz::TimeZone;
use rumbo_kpi::{CallFacts, CallRecord, Outcome};
use sha2::{Digest, Sha256};

use crate::issue::{Issue, IssueKind};
use crate::privacy::CallerHasher;
use crate::values::{timestamp, Cell};

/// Streaming CDR reader: yields `(line, record)` or an issue per row.
pub struct CdrReader<R: Read> {
    reader: csv::Reader<R>,
    record: csv::ByteRecord,
    tz: TimeZone,
    hasher: Option<CallerHasher>,
}

impl<R: Read> CdrReader<R> {
    /// A reader over `Master.csv` content with the PBX time zone.
    pub fn new(input: R, tz: TimeZone, hasher: Option<CallerHasher>) -> Self {
        CdrReader {
            reader: csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(input),
            record: csv::ByteRecord::new(),
            tz,
            hasher,
        }
    }

    fn map_fields(&self, f: &[String]) -> Result<CallRecord, String> {
        if f.len() < 16 {
            return Err(format!(
                "expected at least 16 CDR fields, found {}",
                f.len()
            ));
        }
        let t = |i: usize, name: &str| {
            timestamp(&Cell::Text(f[i].clone()), None, &self.tz).map_err(|e| format!("{name}: {e}"))
        };
        let start = t(9, "start")?;
        let end = t(11, "end")?;
        let answer = if f[10].trim().is_empty() {
            None
        } else {
            Some(t(10, "answer")?)
        };
        let billsec: f64 = f[13]
            .trim()
            .parse()
            .map_err(|_| format!("billsec: {:?}", f[13]))?;
        if billsec < 0.0 || end < start {
            return Err("negative duration".into());
        }
        let disposition = f[14].trim().to_ascii_uppercase();
        let outcome = match disposition.as_str() {
            "ANSWERED" => Outcome::Answered,
            "NO ANSWER" | "BUSY" | "FAILED" | "CONGESTION" | "CANCEL" => Outcome::Abandoned,
            other => return Err(format!("disposition: {other:?}")),
        };
        let wait = match (outcome, answer) {
            (Outcome::Answered, Some(a)) => (a - start).max(0) as f64,
            _ => (end - start).max(0) as f64,
        };
        let queue = if f[7].trim().eq_ignore_ascii_case("queue") {
            f[8].split([',', '|'])
                .next()
                .unwrap_or("")
                .trim()
                .to_string()
        } else {
            f[2].trim().to_string()
        };
        if queue.is_empty() {
            return Err("no queue (lastdata) or destination".into());
        }
        let id = match f.get(16).map(|s| s.trim()).filter(|s| !s.is_empty()) {
            Some(u) => u.to_string(),
            None => {
                let mut h = Sha256::new();
                for x in f {
                    h.update(x.as_bytes());
                    h.update([0x1f]);
                }
                format!("cdr:{}", &hex::encode(h.finalize())[..24])
            }
        };
        let facts = CallFacts {
            enter_ts: start,
            wait_s: wait,
            talk_s: if outcome == Outcome::Answered {
                billsec
            } else {
                0.0
            },
            hold_s: 0.0,
            wrap_s: 0.0,
            outcome,
            sale: false,
        };
        let mut rec = CallRecord::new(id, queue, facts);
        rec.agent = Some(f[6].trim().to_string()).filter(|s| !s.is_empty());
        rec.disposition = Some(disposition);
        if let Some(p) = self
            .hasher
            .as_ref()
            .and_then(|h| h.protect(&f[1]).or_else(|| h.protect(&f[4])))
        {
            rec.caller_hash = Some(p.hash);
            rec.caller_masked = Some(p.masked);
        }
        Ok(rec)
    }
}

impl<R: Read> Iterator for CdrReader<R> {
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
                        .map(|x| String::from_utf8_lossy(x).into_owned())
                        .collect();
                    if f.iter().all(|x| x.trim().is_empty()) {
                        continue;
                    }
                    if line == 1 && f[0].trim().eq_ignore_ascii_case("accountcode") {
                        continue;
                    }
                    return Some(
                        self.map_fields(&f)
                            .map(|r| (line, r))
                            .map_err(|e| Issue::rejected(line, IssueKind::Unparseable, e)),
                    );
                }
                Err(e) => {
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

    #[test]
    fn answered_and_unanswered_cdrs_map_to_calls() {
        let data = "\"\",\"56987651234\",\"600\",\"from-queue\",\"\"\"Ana\"\" <56987651234>\",\"SIP/trunk-0001\",\"SIP/1001-0002\",\"Queue\",\"ventas,t,,,300\",\"2026-01-01 10:00:00\",\"2026-01-01 10:00:25\",\"2026-01-01 10:05:25\",325,300,\"ANSWERED\",\"DOCUMENTATION\",\"1767261600.1\",\"\"\n\
\"\",\"56911112222\",\"600\",\"from-queue\",\"\",\"SIP/trunk-0003\",\"\",\"Queue\",\"ventas\",\"2026-01-01 10:01:00\",\"\",\"2026-01-01 10:01:40\",40,0,\"NO ANSWER\",\"DOCUMENTATION\",\"1767261660.3\",\"\"\n\
garbage\n";
        let h = CallerHasher::new(b"k");
        let r: Vec<_> = CdrReader::new(data.as_bytes(), TimeZone::UTC, Some(h)).collect();
        let Ok((1, a)) = &r[0] else {
            panic!("{:?}", r[0])
        };
        assert_eq!(a.queue, "ventas");
        assert_eq!(a.facts.wait_s, 25.0);
        assert_eq!(a.facts.talk_s, 300.0);
        assert_eq!(a.caller_masked.as_deref(), Some("***** 1234"));
        let Ok((2, b)) = &r[1] else {
            panic!("{:?}", r[1])
        };
        assert_eq!(b.facts.outcome, Outcome::Abandoned);
        assert_eq!(b.facts.wait_s, 40.0);
        assert!(matches!(&r[2], Err(i) if i.line == 3));
    }
}
