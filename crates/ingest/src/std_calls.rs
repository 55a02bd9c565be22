//! The standard call CSV (`call_id,queue,enter_ts,wait_s,talk_s,wrap_s,outcome`).
//!
//! This is the format of `rumbo kpi file` and of the seeded generator, and it is
//! read at memory bandwidth: a hand-rolled byte parser works on chunks of a large
//! buffer (no allocation per line), so callers can split a file into chunks and
//! parse them on several threads. Columns are found by header name, so extra
//! columns (`hold_s`, `agent`, `caller`, `disposition`, `sale`) are allowed and
//! the order is free. Quoted fields take a slower, allocating path.

use std::borrow::Cow;

use rumbo_kpi::{CallFacts, Outcome};

use crate::issue::{Issue, IssueKind};
use crate::numparse::{parse_f64, parse_i64};
use crate::IngestError;

/// The columns of the standard format, in the canonical order.
pub const STANDARD_HEADER: &str = "call_id,queue,enter_ts,wait_s,talk_s,wrap_s,outcome";

/// Where each known column sits in a file's header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    call_id: usize,
    queue: usize,
    enter_ts: usize,
    wait_s: usize,
    talk_s: usize,
    wrap_s: usize,
    outcome: usize,
    hold_s: Option<usize>,
    sale: Option<usize>,
    stint: Option<usize>,
    stints: Option<usize>,
    ncols: usize,
}

/// One parsed line, borrowing its strings from the input buffer.
#[derive(Debug, Clone, PartialEq)]
pub struct StdCall<'a> {
    /// Call id as written.
    pub call_id: Cow<'a, [u8]>,
    /// Queue name as written.
    pub queue: Cow<'a, [u8]>,
    /// Numeric facts.
    pub facts: CallFacts,
    /// The record's position among its call's queue stints (1-based; `stint` column, 1
    /// when absent or not a positive count).
    pub stint: u32,
    /// How many queue stints the call has (`stints` column, read only beside a `stint`
    /// column; 1 when absent or not a positive count): a record with more than one is one
    /// stint of a call that passed through several queues.
    pub stints: u32,
}

const MAX_COLS: usize = 32;

impl Layout {
    /// Reads the header line (without the newline).
    pub fn from_header(line: &[u8]) -> Result<Layout, IngestError> {
        let line = strip_cr(line);
        let text = String::from_utf8_lossy(line);
        let cols: Vec<String> = text
            .split(',')
            .map(|c| {
                c.trim()
                    .trim_matches('"')
                    .trim_start_matches('\u{feff}')
                    .to_ascii_lowercase()
            })
            .collect();
        if cols.len() > MAX_COLS {
            return Err(IngestError::Mapping(format!(
                "more than {MAX_COLS} columns"
            )));
        }
        let find = |name: &str| cols.iter().position(|c| c == name);
        let need = |name: &str| find(name).ok_or_else(|| IngestError::MissingColumn(name.into()));
        Ok(Layout {
            call_id: need("call_id")?,
            queue: need("queue")?,
            enter_ts: need("enter_ts")?,
            wait_s: need("wait_s")?,
            talk_s: need("talk_s")?,
            wrap_s: need("wrap_s")?,
            outcome: need("outcome")?,
            hold_s: find("hold_s"),
            sale: find("sale"),
            // Records retained before stints were kept apart have a `stints` column but
            // no `stint`: each of them is a whole call.
            stint: find("stint"),
            stints: find("stint").and(find("stints")),
            ncols: cols.len(),
        })
    }

    /// The layout of [`STANDARD_HEADER`].
    pub fn standard() -> Layout {
        Layout {
            call_id: 0,
            queue: 1,
            enter_ts: 2,
            wait_s: 3,
            talk_s: 4,
            wrap_s: 5,
            outcome: 6,
            hold_s: None,
            sale: None,
            stint: None,
            stints: None,
            ncols: 7,
        }
    }

    /// Parses one data line (without the newline).
    #[inline]
    pub fn parse_line<'a>(&self, line: &'a [u8]) -> Result<StdCall<'a>, String> {
        let line = strip_cr(line);
        if line.contains(&b'"') {
            return self.parse_quoted(line);
        }
        let mut f: [&[u8]; MAX_COLS] = [&[]; MAX_COLS];
        let mut n = 0;
        for part in line.split(|&c| c == b',') {
            if n == MAX_COLS {
                return Err(format!("more than {MAX_COLS} fields"));
            }
            f[n] = part;
            n += 1;
        }
        if n != self.ncols {
            return Err(format!("expected {} fields, found {n}", self.ncols));
        }
        self.build(&f[..n])
            .map(|(facts, id, q, (stint, stints))| StdCall {
                call_id: Cow::Borrowed(id),
                queue: Cow::Borrowed(q),
                facts,
                stint,
                stints,
            })
    }

    fn parse_quoted<'a>(&self, line: &'a [u8]) -> Result<StdCall<'a>, String> {
        let fields = split_quoted(line)?;
        if fields.len() != self.ncols {
            return Err(format!(
                "expected {} fields, found {}",
                self.ncols,
                fields.len()
            ));
        }
        let refs: Vec<&[u8]> = fields.iter().map(|v| v.as_slice()).collect();
        let (facts, id, q, (stint, stints)) = self.build(&refs)?;
        Ok(StdCall {
            call_id: Cow::Owned(id.to_vec()),
            queue: Cow::Owned(q.to_vec()),
            facts,
            stint,
            stints,
        })
    }

    #[inline]
    #[allow(clippy::type_complexity)]
    fn build<'b>(
        &self,
        f: &[&'b [u8]],
    ) -> Result<(CallFacts, &'b [u8], &'b [u8], (u32, u32)), String> {
        let num = |i: usize, name: &str| -> Result<f64, String> {
            let v = parse_f64(f[i]).ok_or_else(|| {
                format!("{name}: not a number: {:?}", String::from_utf8_lossy(f[i]))
            })?;
            if v < 0.0 {
                return Err(format!("{name}: negative duration {v}"));
            }
            Ok(v)
        };
        let enter_ts = parse_i64(f[self.enter_ts]).ok_or_else(|| {
            format!(
                "enter_ts: not an integer epoch: {:?}",
                String::from_utf8_lossy(f[self.enter_ts])
            )
        })?;
        let outcome = match f[self.outcome] {
            b"answered" => Outcome::Answered,
            b"abandoned" => Outcome::Abandoned,
            other => std::str::from_utf8(other)
                .ok()
                .and_then(|s| Outcome::parse(s.trim()))
                .ok_or_else(|| format!("outcome: {:?}", String::from_utf8_lossy(other)))?,
        };
        let queue = f[self.queue];
        if queue.is_empty() {
            return Err("queue: empty".into());
        }
        let hold_s = match self.hold_s {
            Some(i) if !f[i].is_empty() => num(i, "hold_s")?,
            _ => 0.0,
        };
        let sale = match self.sale {
            Some(i) => matches!(f[i], b"1" | b"true" | b"yes" | b"TRUE" | b"Y" | b"y"),
            None => false,
        };
        // Stint columns are informative (the importer writes them with its retained
        // records); a value that is not a positive count reads as a single stint.
        let count = |col: Option<usize>| -> u32 {
            col.and_then(|i| parse_i64(f[i]))
                .and_then(|v| u32::try_from(v).ok())
                .filter(|v| *v >= 1)
                .unwrap_or(1)
        };
        let stint = (count(self.stint), count(self.stints));
        Ok((
            CallFacts {
                enter_ts,
                wait_s: num(self.wait_s, "wait_s")?,
                talk_s: num(self.talk_s, "talk_s")?,
                hold_s,
                wrap_s: num(self.wrap_s, "wrap_s")?,
                outcome,
                sale,
            },
            f[self.call_id],
            queue,
            stint,
        ))
    }
}

fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Splits one CSV line with RFC 4180 quoting.
pub fn split_quoted(line: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    let mut i = 0;
    let mut in_q = false;
    let mut was_quoted = false;
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
        } else if c == b'"' && cur.is_empty() && !was_quoted {
            in_q = true;
            was_quoted = true;
        } else if c == b',' {
            out.push(std::mem::take(&mut cur));
            was_quoted = false;
        } else if c == b'"' {
            return Err("stray quote".into());
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

/// Fused single-pass parser for the canonical column order: every byte is looked
/// at once and numbers are accumulated while scanning. Returns `None` (the caller
/// then takes the general path, which gives the same result or the precise
/// rejection reason) on anything unusual: quotes, signs, exponents, more than 15
/// digits, unexpected characters.
#[cfg(test)]
fn parse_standard_fast(line: &[u8]) -> Option<(&[u8], &[u8], CallFacts)> {
    match parse_standard_line(line)? {
        (len, id, q, facts) if len == line.len() => Some((id, q, facts)),
        _ => None,
    }
}

/// [`parse_standard_fast`] on the first line of `buf` (up to its first `\n`, or the whole
/// of `buf` without one), finding the end of the line while parsing it, so the bytes are
/// scanned once. Returns the line's length (without the `\n`) with the parsed fields.
#[inline]
fn parse_standard_line(buf: &[u8]) -> Option<(usize, &[u8], &[u8], CallFacts)> {
    let n = buf.len();
    // A field ends at a comma; a quote or the end of the line (no comma) leaves the fast path.
    let field_end = |mut i: usize| -> Option<usize> {
        while i < n {
            match buf[i] {
                b',' => return Some(i),
                b'"' | b'\n' => return None,
                _ => i += 1,
            }
        }
        None
    };
    let id_end = field_end(0)?;
    let call_id = &buf[..id_end];
    let mut i = id_end + 1;
    let q_end = field_end(i)?;
    let queue = &buf[i..q_end];
    if queue.is_empty() {
        return None;
    }
    i = q_end + 1;
    // enter_ts: digits only (a newline is not a digit, so the line cannot end here).
    let mut ts: i64 = 0;
    let start = i;
    while i < n && buf[i] != b',' {
        let d = buf[i].wrapping_sub(b'0');
        if d > 9 || i - start >= 18 {
            return None;
        }
        ts = ts * 10 + i64::from(d);
        i += 1;
    }
    if i == start || i >= n {
        return None;
    }
    i += 1;
    // wait_s, talk_s, wrap_s: unsigned decimals.
    let mut durs = [0f64; 3];
    for slot in durs.iter_mut() {
        let start = i;
        let mut mant: u64 = 0;
        let mut frac: usize = 0;
        let mut dot = false;
        while i < n && buf[i] != b',' {
            let c = buf[i];
            if c == b'.' && !dot {
                dot = true;
            } else {
                let d = c.wrapping_sub(b'0');
                if d > 9 {
                    return None;
                }
                // Wrapping: a number too long for the fast path is refused by its length
                // below, and must not overflow (a panic in debug builds) before that.
                mant = mant.wrapping_mul(10).wrapping_add(u64::from(d));
                frac += usize::from(dot);
            }
            i += 1;
        }
        let len = i - start;
        // At most 15 digits keep the mantissa exact (Clinger's fast path).
        if len == 0 || len > 16 || (len == 1 && dot) || i >= n {
            return None;
        }
        *slot = if frac == 0 {
            mant as f64
        } else {
            mant as f64 / POW10_FAST[frac]
        };
        i += 1;
    }
    let rest = &buf[i..];
    let (outcome, word) = match rest.first() {
        Some(b'a') if rest.starts_with(b"answered") => (Outcome::Answered, 8),
        Some(b'a') if rest.starts_with(b"abandoned") => (Outcome::Abandoned, 9),
        Some(b's') if rest.starts_with(b"system_exit") => (Outcome::SystemExit, 11),
        _ => return None,
    };
    // The outcome ends the line: then the end of input, a newline, or one carriage return
    // before either (as `strip_cr` takes it off a line).
    let end = i + word;
    let line_len = match &buf[end..] {
        [] | [b'\n', ..] => end,
        [b'\r'] | [b'\r', b'\n', ..] => end + 1,
        _ => return None,
    };
    Some((
        line_len,
        call_id,
        queue,
        CallFacts {
            enter_ts: ts,
            wait_s: durs[0],
            talk_s: durs[1],
            hold_s: 0.0,
            wrap_s: durs[2],
            outcome,
            sale: false,
        },
    ))
}

const POW10_FAST: [f64; 17] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
];

/// Parses every complete line of `chunk` (which must end at a line boundary or at
/// the end of input). `first_line` is the 1-based number of the first line in
/// the chunk. Calls `on_call` for each good line and returns the issues.
pub fn parse_chunk<'a, F>(
    layout: &Layout,
    chunk: &'a [u8],
    first_line: u64,
    mut on_call: F,
) -> Vec<Issue>
where
    F: FnMut(u64, StdCall<'a>),
{
    parse_chunk_raw(layout, chunk, first_line, |n, c, _| on_call(n, c))
}

/// Like [`parse_chunk`], also passing each good line's raw bytes (without the newline).
pub fn parse_chunk_raw<'a, F>(
    layout: &Layout,
    chunk: &'a [u8],
    first_line: u64,
    on_call: F,
) -> Vec<Issue>
where
    F: FnMut(u64, StdCall<'a>, &'a [u8]),
{
    parse_chunk_counted(layout, chunk, first_line, on_call).0
}

/// Like [`parse_chunk_raw`], also returning the number of lines in the chunk (what
/// [`count_lines`] gives), counted while parsing instead of in a second pass.
pub fn parse_chunk_counted<'a, F>(
    layout: &Layout,
    chunk: &'a [u8],
    first_line: u64,
    mut on_call: F,
) -> (Vec<Issue>, u64)
where
    F: FnMut(u64, StdCall<'a>, &'a [u8]),
{
    let mut issues = Vec::new();
    let mut line_no = first_line;
    let mut rest = chunk;
    let standard = *layout == Layout::standard();
    while !rest.is_empty() {
        if standard {
            if let Some((len, id, q, facts)) = parse_standard_line(rest) {
                let line = &rest[..len];
                rest = rest.get(len + 1..).unwrap_or_default();
                on_call(
                    line_no,
                    StdCall {
                        call_id: Cow::Borrowed(id),
                        queue: Cow::Borrowed(q),
                        facts,
                        stint: 1,
                        stints: 1,
                    },
                    line,
                );
                line_no += 1;
                continue;
            }
        }
        let (line, next) = match rest.iter().position(|&c| c == b'\n') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        rest = next;
        if !(line.is_empty() || line == b"\r") {
            match layout.parse_line(line) {
                Ok(c) => on_call(line_no, c, line),
                Err(reason) => {
                    issues.push(Issue::rejected(line_no, IssueKind::Unparseable, reason))
                }
            }
        }
        line_no += 1;
    }
    (issues, line_no - first_line)
}

/// Number of `\n`-terminated lines in a chunk (plus one for a final unterminated line).
pub fn count_lines(chunk: &[u8]) -> u64 {
    let n = chunk.iter().filter(|&&c| c == b'\n').count() as u64;
    n + u64::from(!chunk.is_empty() && chunk.last() != Some(&b'\n'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_header_and_line_parse() {
        let l = Layout::from_header(STANDARD_HEADER.as_bytes()).unwrap();
        assert_eq!(l, Layout::standard());
        let c = l
            .parse_line(b"7,QB,1767225800,4.0,0,0,abandoned\r")
            .unwrap();
        assert_eq!(&*c.queue, b"QB");
        assert_eq!(c.facts.wait_s, 4.0);
        assert_eq!(c.facts.outcome, Outcome::Abandoned);
    }

    #[test]
    fn stint_columns_give_the_position_and_count_of_a_calls_stints() {
        let l = Layout::from_header(
            b"call_id,queue,enter_ts,wait_s,talk_s,wrap_s,outcome,stints,stint",
        )
        .unwrap();
        let c = l.parse_line(b"7,QB,1767225800,4,9,0,answered,2,2").unwrap();
        assert_eq!((c.stint, c.stints), (2, 2));
        let c = l.parse_line(b"7,QB,1767225800,4,9,0,answered,0,x").unwrap();
        assert_eq!((c.stint, c.stints), (1, 1));
        let c = Layout::standard()
            .parse_line(b"7,QB,1767225800,4,9,0,answered")
            .unwrap();
        assert_eq!((c.stint, c.stints), (1, 1));
        // Without a `stint` column, a record is a whole call whatever `stints` says.
        let l = Layout::from_header(b"call_id,queue,enter_ts,wait_s,talk_s,wrap_s,outcome,stints")
            .unwrap();
        let c = l.parse_line(b"7,QB,1767225800,4,9,0,answered,2").unwrap();
        assert_eq!((c.stint, c.stints), (1, 1));
    }

    #[test]
    fn a_system_exit_outcome_is_read_by_both_parsers() {
        let line = b"8,QB,1767225800,60,0,0,system_exit";
        let c = Layout::standard().parse_line(line).unwrap();
        assert_eq!(c.facts.outcome, Outcome::SystemExit);
        let mut seen = Vec::new();
        let issues = parse_chunk(&Layout::standard(), line, 2, |_, c| {
            seen.push(c.facts.outcome)
        });
        assert!(issues.is_empty());
        assert_eq!(seen, vec![Outcome::SystemExit]);
    }

    #[test]
    fn reordered_columns_with_hold_are_found_by_name() {
        let l = Layout::from_header(b"queue,call_id,outcome,enter_ts,wait_s,talk_s,hold_s,wrap_s")
            .unwrap();
        let c = l.parse_line(b"Q1,x,answered,10,1.5,60,5,7").unwrap();
        assert_eq!(&*c.call_id, b"x");
        assert_eq!(c.facts.hold_s, 5.0);
        assert_eq!(c.facts.wrap_s, 7.0);
    }

    #[test]
    fn quoted_queue_names_are_unquoted() {
        let l = Layout::standard();
        let c = l
            .parse_line(b"1,\"Ventas, \"\"VIP\"\"\",10,1,2,3,answered")
            .unwrap();
        assert_eq!(&*c.queue, b"Ventas, \"VIP\"");
    }

    #[test]
    fn bad_lines_are_reported_with_their_numbers() {
        let l = Layout::standard();
        let data = b"1,Q,10,1,2,3,answered\ngarbage\n3,Q,x,1,2,3,answered\n4,Q,10,-1,2,3,answered\n5,Q,10,1,2,3,maybe\n\n7,Q,10,1,2,3,abandoned";
        let mut good = Vec::new();
        let issues = parse_chunk(&l, data, 2, |n, _| good.push(n));
        assert_eq!(good, vec![2, 8]);
        let lines: Vec<u64> = issues.iter().map(|i| i.line).collect();
        assert_eq!(lines, vec![3, 4, 5, 6]);
    }

    proptest::proptest! {
        #[test]
        fn fast_path_agrees_with_the_general_parser(line in "[0-9]{0,4},(Q[0-9]|\"x\"|),[0-9]{0,11},[0-9]{0,6}(\\.[0-9]{0,12})?,[0-9.]{0,5},[0-9]{0,3}\\.?[0-9]{0,2},(answered|abandoned|system_exit|x)\r?") {
            let l = Layout::standard();
            if let Some((id, q, facts)) = parse_standard_fast(line.as_bytes()) {
                let slow = l.parse_line(line.as_bytes()).unwrap();
                proptest::prop_assert_eq!(&*slow.call_id, id);
                proptest::prop_assert_eq!(&*slow.queue, q);
                proptest::prop_assert_eq!(slow.facts, facts);
            }
        }
    }

    #[test]
    fn chunks_parse_line_by_line_whatever_the_line_ends_and_count_their_lines() {
        let lines: [&[u8]; 8] = [
            b"1,Q1,100,1.5,20,3,answered",
            b"2,Q2,101,4,0,0,abandoned\r",
            b"3,Q1,102,60,0,0,system_exit",
            b"4,Q1,103,1,2,3,answeredx",
            b"",
            b"5,\"Q,3\",104,1,2,3,answered",
            b"6,Q3,105,1,2,3,answered\r\r",
            b"7,Q3,106,0.25,2,3,abandoned\r",
        ];
        for end in [&b""[..], b"\n"] {
            let mut chunk = lines.join(&b'\n');
            chunk.extend_from_slice(end);
            let mut got = Vec::new();
            let (issues, counted) =
                parse_chunk_counted(&Layout::standard(), &chunk, 2, |n, c, raw| {
                    got.push((
                        n,
                        c.call_id.into_owned(),
                        c.queue.into_owned(),
                        c.facts,
                        raw,
                    ))
                });
            assert_eq!(counted, count_lines(&chunk));
            let mut want = Vec::new();
            let mut bad = Vec::new();
            for (i, line) in lines.iter().enumerate() {
                let n = i as u64 + 2;
                match Layout::standard().parse_line(line) {
                    Ok(c) => want.push((
                        n,
                        c.call_id.into_owned(),
                        c.queue.into_owned(),
                        c.facts,
                        *line,
                    )),
                    Err(_) if line.is_empty() => {}
                    Err(_) => bad.push(n),
                }
            }
            assert_eq!(got, want);
            assert_eq!(issues.iter().map(|i| i.line).collect::<Vec<_>>(), bad);
            assert_eq!(bad, vec![5], "only `answeredx` is refused");
        }
    }

    #[test]
    fn missing_required_column_is_an_error() {
        assert!(matches!(
            Layout::from_header(b"call_id,queue,enter_ts"),
            Err(IngestError::MissingColumn(c)) if c == "wait_s"
        ));
    }
}
