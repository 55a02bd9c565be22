//! Recognising a call-platform export by its content, not by what the user picked in a menu.
//!
//! A manager uploads "what the platform exported": an Asterisk `queue_log` file, the same
//! events as a database table dump (the Asterisk realtime table, PBXware and other dumps with
//! named columns), a CDR `Master.csv` without header in the standard or a custom column
//! order, a CDR export with a header, the standard call CSV, or a VICIdial call log. The
//! header and the first lines decide which one it is ([`detect`]); the answer names the
//! layout, so the importer can say which one it took. Anything else is
//! [`Detection::Unrecognised`], with what was found, so the file can be refused before a
//! batch exists.

use crate::cdr::CdrColumns;
use crate::queue_log_table::TableColumns;
use crate::vicidial::VicidialColumns;

/// How many bytes of the file's start [`detect`] needs at most.
pub const SAMPLE_BYTES: usize = 64 * 1024;

/// How many data lines after the header are looked at.
const SAMPLE_LINES: usize = 20;

/// A layout Rumbo can read, with the column positions it found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layout {
    /// Asterisk `queue_log` file: `epoch|callid|queue|agent|EVENT|data1…`.
    QueueLogPipe,
    /// `queue_log` events as a table dump with named columns.
    QueueLogTable(TableColumns),
    /// Asterisk CDR, with or without a header line.
    Cdr(CdrColumns),
    /// The standard call CSV (`call_id,queue,enter_ts,wait_s,talk_s,wrap_s,outcome`).
    StandardCalls,
    /// VICIdial `vicidial_closer_log` (inbound) or `vicidial_log` (outbound).
    Vicidial(VicidialColumns),
}

impl Layout {
    /// The layout's stable name, stored with the batch and shown (through the catalogues).
    pub fn name(&self) -> &'static str {
        match self {
            Layout::QueueLogPipe => "queue-log-pipe",
            Layout::QueueLogTable(t) => t.name(),
            Layout::Cdr(c) => c.name(),
            Layout::StandardCalls => "calls-standard",
            Layout::Vicidial(v) => v.name(),
        }
    }

    /// The import source this layout belongs to (`queue-log`, `cdr` or `calls`).
    pub fn source(&self) -> &'static str {
        match self {
            Layout::QueueLogPipe | Layout::QueueLogTable(_) => "queue-log",
            Layout::Cdr(_) => "cdr",
            Layout::StandardCalls | Layout::Vicidial(_) => "calls",
        }
    }
}

/// Every layout name [`Layout::name`] can return (a catalogue family).
pub const LAYOUT_NAMES: &[&str] = &[
    "queue-log-pipe",
    "queue-log-realtime",
    "queue-log-realtime-data",
    "queue-log-pbxware",
    "queue-log-table",
    "cdr-master",
    "cdr-master-custom",
    "cdr-header",
    "calls-standard",
    "vicidial-closer-log",
    "vicidial-log",
];

/// What a file that is not a known layout looks like, to tell the user what was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// Nothing but blank lines (or NUL bytes).
    Blank,
    /// An HTML or XML document.
    Markup,
    /// A JSON document.
    Json,
    /// Lines with no `|`, `,`, `;` or tab separated fields.
    NoFields,
    /// A table whose header names no known layout's columns.
    UnknownColumns,
    /// Separated values without a header, not in any known order.
    UnknownRows,
}

impl Found {
    /// The stable code of this finding (a catalogue family: `error.import.unrecognised.{code}`).
    pub fn code(self) -> &'static str {
        match self {
            Found::Blank => "blank",
            Found::Markup => "markup",
            Found::Json => "json",
            Found::NoFields => "no_fields",
            Found::UnknownColumns => "unknown_columns",
            Found::UnknownRows => "unknown_rows",
        }
    }

    /// Every finding.
    pub const ALL: [Found; 6] = [
        Found::Blank,
        Found::Markup,
        Found::Json,
        Found::NoFields,
        Found::UnknownColumns,
        Found::UnknownRows,
    ];
}

/// The answer of [`detect`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detection {
    /// A known layout.
    Known(Layout),
    /// Not a known layout: what was found, on which line, and that line (shortened).
    Unrecognised {
        /// What the content looks like.
        found: Found,
        /// Line of the sample (1-based).
        line: u64,
        /// The line, cut to a hundred characters.
        sample: String,
    },
}

/// Recognises the layout from the first bytes of a file (up to [`SAMPLE_BYTES`]).
pub fn detect(head: &[u8]) -> Detection {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let text = String::from_utf8_lossy(head);
    // A cut sample may end mid-line: that last piece is not looked at.
    let complete = if head.len() >= SAMPLE_BYTES {
        text.rfind('\n').map_or(&text[..], |i| &text[..i])
    } else {
        &text[..]
    };
    let lines: Vec<(u64, &str)> = complete
        .split('\n')
        .enumerate()
        .map(|(i, l)| (i as u64 + 1, l.trim_end_matches('\r').trim_matches('\0')))
        .filter(|(_, l)| !l.trim().is_empty())
        .take(SAMPLE_LINES + 1)
        .collect();
    let Some(&(first_no, first)) = lines.first() else {
        return unrecognised(Found::Blank, 1, "");
    };
    let t = first.trim_start();
    if t.starts_with('<') {
        return unrecognised(Found::Markup, first_no, first);
    }
    if t.starts_with('{') || t.starts_with('[') {
        return unrecognised(Found::Json, first_no, first);
    }
    if is_pipe_queue_log(&lines) {
        return Detection::Known(Layout::QueueLogPipe);
    }
    let Some(delim) = delimiter(first) else {
        return unrecognised(Found::NoFields, first_no, first);
    };
    let header: Vec<String> = split_delimited(first.as_bytes(), delim)
        .unwrap_or_default()
        .into_iter()
        .map(|c| normalise_name(&String::from_utf8_lossy(&c)))
        .collect();
    if looks_like_header(&header) {
        if let Some(t) = TableColumns::from_header(&header, delim) {
            return Detection::Known(Layout::QueueLogTable(t));
        }
        if crate::std_calls::Layout::from_header(first.as_bytes()).is_ok() && delim == b',' {
            return Detection::Known(Layout::StandardCalls);
        }
        if let Some(v) = VicidialColumns::from_header(&header, delim) {
            return Detection::Known(Layout::Vicidial(v));
        }
        if let Some(c) = CdrColumns::from_header(&header, delim) {
            return Detection::Known(Layout::Cdr(c));
        }
        return unrecognised(Found::UnknownColumns, first_no, first);
    }
    let rows: Vec<Vec<String>> = lines
        .iter()
        .filter_map(|(_, l)| split_delimited(l.as_bytes(), delim).ok())
        .map(|r| {
            r.into_iter()
                .map(|c| String::from_utf8_lossy(&c).into_owned())
                .collect()
        })
        .collect();
    if let Some(c) = CdrColumns::from_rows(&rows, delim) {
        return Detection::Known(Layout::Cdr(c));
    }
    unrecognised(Found::UnknownRows, first_no, first)
}

fn unrecognised(found: Found, line: u64, sample: &str) -> Detection {
    Detection::Unrecognised {
        found,
        line,
        sample: sample.chars().take(100).collect(),
    }
}

/// Most sampled lines are `number|…|…|…|EVENT…` with an upper-case event word.
fn is_pipe_queue_log(lines: &[(u64, &str)]) -> bool {
    let good = lines
        .iter()
        .filter(|(_, l)| {
            let f: Vec<&str> = l.split('|').collect();
            f.len() >= 5
                && f[0].trim().parse::<f64>().is_ok()
                && !f[4].trim().is_empty()
                && f[4]
                    .trim()
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        })
        .count();
    good > 0 && good * 2 >= lines.len()
}

/// The separator of a header or data line: the most frequent of `,`, `;` and tab outside
/// quotes, if any.
fn delimiter(line: &str) -> Option<u8> {
    let mut counts = [0usize; 3];
    let mut in_q = false;
    for c in line.bytes() {
        match c {
            b'"' => in_q = !in_q,
            b',' if !in_q => counts[0] += 1,
            b';' if !in_q => counts[1] += 1,
            b'\t' if !in_q => counts[2] += 1,
            _ => {}
        }
    }
    let (i, n) = counts
        .iter()
        .enumerate()
        .max_by_key(|(i, n)| (**n, std::cmp::Reverse(*i)))?;
    (*n > 0).then_some([b',', b';', b'\t'][i])
}

/// A header row has no cell that reads as a number or a date and at least one letter cell.
fn looks_like_header(cells: &[String]) -> bool {
    cells
        .iter()
        .any(|c| c.chars().any(|x| x.is_ascii_alphabetic()))
        && cells.iter().all(|c| {
            c.is_empty()
                || (c.parse::<f64>().is_err()
                    && c.parse::<jiff::civil::DateTime>().is_err()
                    && c.len() <= 64)
        })
}

/// A column name as compared: trimmed, lower case, quotes and a table prefix removed
/// (`queue_log.event` → `event`), spaces as `_`.
pub(crate) fn normalise_name(s: &str) -> String {
    let s = s.trim().trim_matches('"').trim_matches('`').trim();
    let s = s.rsplit('.').next().unwrap_or(s);
    s.to_ascii_lowercase().replace([' ', '-'], "_")
}

/// Splits one delimited line with RFC 4180 quoting (`""` inside quotes is a quote).
pub(crate) fn split_delimited(line: &[u8], delim: u8) -> Result<Vec<Vec<u8>>, String> {
    if delim == b',' {
        return crate::std_calls::split_quoted(line);
    }
    let mut out = Vec::new();
    let mut cur = Vec::new();
    let mut in_q = false;
    let mut i = 0;
    while i < line.len() {
        let c = line[i];
        if in_q {
            if c == b'"' {
                if line.get(i + 1) == Some(&b'"') {
                    cur.push(b'"');
                    i += 1;
                } else {
                    in_q = false;
                }
            } else {
                cur.push(c);
            }
        } else if c == b'"' && cur.is_empty() {
            in_q = true;
        } else if c == delim {
            out.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
        i += 1;
    }
    if in_q {
        return Err("unterminated quote".into());
    }
    out.push(cur);
    Ok(out)
}

/// Position of the first column whose normalised name is one of `names`.
pub(crate) fn column(header: &[String], names: &[&str]) -> Option<usize> {
    names
        .iter()
        .find_map(|n| header.iter().position(|h| h == n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> String {
        match detect(s.as_bytes()) {
            Detection::Known(l) => l.name().to_string(),
            Detection::Unrecognised { found, .. } => format!("?{}", found.code()),
        }
    }

    #[test]
    fn each_layout_is_recognised_from_its_first_lines() {
        assert_eq!(
            name("1767222000|NONE|NONE|NONE|QUEUESTART|\n1767222001|1.1|ventas|NONE|ENTERQUEUE||5691|1\n"),
            "queue-log-pipe"
        );
        assert_eq!(
            name("time,callid,queuename,agent,event,data1,data2,data3,data4,data5\n2026-01-01 10:00:00,d1,ventas,NONE,ENTERQUEUE,,5691,1,,\n"),
            "queue-log-realtime"
        );
        assert_eq!(
            name("time;callid;queuename;agent;event;data\n2026-01-01 10:00:00;d1;ventas;NONE;ENTERQUEUE;|5691|1\n"),
            "queue-log-realtime-data"
        );
        assert_eq!(
            name("uid,date_time,callid,queue_name,type,event,param1,param2,param3,param4,param5\n1,2026-01-01 10:00:00,d1,ventas,q,ENTERQUEUE,,5691,1,,\n"),
            "queue-log-pbxware"
        );
        assert_eq!(
            name("call_id,queue,enter_ts,wait_s,talk_s,wrap_s,outcome\nc1,ventas,1767261600,5,60,10,answered\n"),
            "calls-standard"
        );
        assert_eq!(
            name("\"\",\"5691\",\"600\",\"from-queue\",\"\",\"SIP/trunk-1\",\"SIP/1001-2\",\"Queue\",\"ventas\",\"2026-01-01 10:00:00\",\"2026-01-01 10:00:25\",\"2026-01-01 10:05:25\",325,300,\"ANSWERED\",\"DOCUMENTATION\",\"1767261600.1\",\"\"\n"),
            "cdr-master"
        );
        assert_eq!(
            name("\"\"\"Ana\"\" <5691>\",\"5691\",\"600\",\"from-queue\",\"SIP/trunk-1\",\"SIP/1001-2\",\"Queue\",\"ventas\",\"2026-01-01 10:00:00\",\"2026-01-01 10:00:25\",\"2026-01-01 10:05:25\",\"325\",\"300\",\"ANSWERED\",\"DOCUMENTATION\",\"\",\"1767261600.1\",\"\",\"1\"\n"),
            "cdr-master-custom"
        );
        assert_eq!(
            name("calldate,clid,src,dst,dcontext,channel,dstchannel,lastapp,lastdata,duration,billsec,disposition,amaflags,accountcode,uniqueid,userfield,linkedid\n2026-01-01 10:00:00,x,5691,600,c,SIP/t-1,SIP/1001-2,Queue,ventas,325,300,ANSWERED,3,,1.1,,1.1\n"),
            "cdr-header"
        );
        assert_eq!(
            name("closecallid,lead_id,list_id,campaign_id,call_date,start_epoch,end_epoch,length_in_sec,status,phone_code,phone_number,user,comments,processed,queue_seconds,user_group,xfercallid,term_reason,uniqueid\n1,2,3,VENTAS,2026-01-01 10:00:00,1767261600,1767261700,100,SALE,56,5691,ana,,N,5.00,G,,CALLER,1.1\n"),
            "vicidial-closer-log"
        );
        assert_eq!(
            name("uniqueid,lead_id,list_id,campaign_id,call_date,start_epoch,end_epoch,length_in_sec,status,phone_code,phone_number,user,comments,processed,user_group,term_reason\n1.1,2,3,OUT,2026-01-01 10:00:00,1767261600,1767261700,100,SALE,56,5691,ana,,N,G,AGENT\n"),
            "vicidial-log"
        );
    }

    #[test]
    fn a_queue_log_dump_without_agent_or_parameter_columns_is_still_a_table() {
        assert_eq!(
            name("date_time,callid,queue_name,event\n2026-01-01 10:00:00,c1,ventas,ENTERQUEUE\n"),
            "queue-log-table"
        );
    }

    #[test]
    fn other_content_is_unrecognised_with_what_was_found_and_where() {
        assert_eq!(name("\n\n\0\0\n"), "?blank");
        assert_eq!(name("<html><body>x</body></html>"), "?markup");
        assert_eq!(name("{\"calls\": []}"), "?json");
        assert_eq!(name("hello world\nsecond line\n"), "?no_fields");
        assert_eq!(name("nombre,apellido\nAna,Pérez\n"), "?unknown_columns");
        assert_eq!(name("1,2,3\n4,5,6\n"), "?unknown_rows");
        let Detection::Unrecognised { line, sample, .. } = detect(b"\n\nfoo bar\n") else {
            panic!("recognised")
        };
        assert_eq!((line, sample.as_str()), (3, "foo bar"));
    }

    #[test]
    fn a_sample_cut_mid_line_is_judged_on_its_complete_lines() {
        let mut s =
            String::from("time,callid,queuename,agent,event,data1,data2,data3,data4,data5\n");
        while s.len() < SAMPLE_BYTES + 10 {
            s.push_str("2026-01-01 10:00:00,d1,ventas,NONE,ENTERQUEUE,,5691,1,,\n");
        }
        assert_eq!(name(&s[..SAMPLE_BYTES]), "queue-log-realtime");
    }
}
