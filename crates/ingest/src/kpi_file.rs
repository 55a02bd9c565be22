//! KPIs straight from a standard call CSV file, as fast as the disk allows.
//!
//! This is the engine of `rumbo kpi file`: the file is cut into as many byte
//! ranges as there are threads (each range starts after a newline), every thread
//! reads its range in large chunks and parses lines in place with
//! [`crate::std_calls`], aggregating into a map keyed by (queue id, interval)
//! with a one-entry cache for time-ordered input. Aggregates are exact sums, so
//! merging the threads' maps gives the same figures as a single pass. Memory is
//! the chunk buffers plus one aggregate per (queue, interval).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use rumbo_kpi::fxhash::FxHashMap;
use rumbo_kpi::{attribution_ts, Agg, Aggregator, Bucketer, KpiDefinition};

use crate::issue::{Issue, IssueKind};
use crate::std_calls::{count_lines, parse_chunk, Layout};
use crate::IngestError;

const CHUNK: usize = 4 << 20;

/// Result of aggregating a file.
#[derive(Debug)]
pub struct FileKpis {
    /// Aggregates per (queue, interval).
    pub aggregation: Aggregator,
    /// Data lines read (excluding the header and blank lines are counted as lines).
    pub lines: u64,
    /// Calls aggregated.
    pub calls: u64,
    /// Rejected lines with their 1-based line numbers (header = line 1), in order.
    pub issues: Vec<Issue>,
}

struct Partial {
    queues: Vec<Vec<u8>>,
    rows: FxHashMap<(u32, i64), Agg>,
    issues: Vec<Issue>,
    lines: u64,
    calls: u64,
}

/// Aggregates a standard call CSV file per (queue, interval) with `threads` threads.
pub fn aggregate_file(
    path: &Path,
    def: &KpiDefinition,
    bucketer: &Bucketer,
    threads: usize,
) -> Result<FileKpis, IngestError> {
    let mut f = File::open(path)?;
    let len = f.metadata()?.len();
    // Header.
    let mut head = Vec::new();
    let header_end = loop {
        let mut buf = [0u8; 4096];
        let n = f.read(&mut buf)?;
        if n == 0 {
            break head.len() as u64;
        }
        head.extend_from_slice(&buf[..n]);
        if let Some(i) = head.iter().position(|&c| c == b'\n') {
            head.truncate(i);
            break i as u64 + 1;
        }
        if head.len() > 1 << 20 {
            return Err(IngestError::Mapping("header line longer than 1 MiB".into()));
        }
    };
    if head.is_empty() {
        return Err(IngestError::Empty);
    }
    let layout = Layout::from_header(&head)?;
    // Split points at line starts.
    let threads = threads.max(1) as u64;
    let body = len.saturating_sub(header_end);
    let mut bounds = vec![header_end];
    for i in 1..threads {
        let target = header_end + body * i / threads;
        let b = next_line_start(&mut f, target, len)?;
        if b > *bounds.last().unwrap_or(&0) && b < len {
            bounds.push(b);
        }
    }
    bounds.push(len);
    bounds.dedup();
    let ranges: Vec<(u64, u64)> = bounds.windows(2).map(|w| (w[0], w[1])).collect();

    let results: Vec<Result<Partial, IngestError>> = std::thread::scope(|s| {
        let handles: Vec<_> = ranges
            .iter()
            .map(|&(a, b)| {
                let layout = &layout;
                let mut bucketer = bucketer.clone();
                s.spawn(move || aggregate_range(path, a, b, layout, def, &mut bucketer))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(IngestError::Mapping("worker thread panicked".into())))
            })
            .collect()
    });

    let mut aggregation = Aggregator::new(def.clone(), bucketer.clone());
    let mut issues = Vec::new();
    let mut lines_before = 1u64; // the header
    let mut calls = 0;
    for r in results {
        let p = r?;
        for ((q, start), agg) in p.rows {
            let name = String::from_utf8_lossy(&p.queues[q as usize]).into_owned();
            aggregation.merge_row((name, start), &agg);
        }
        issues.extend(p.issues.into_iter().map(|mut i| {
            i.line += lines_before;
            i
        }));
        lines_before += p.lines;
        calls += p.calls;
    }
    Ok(FileKpis {
        aggregation,
        lines: lines_before - 1,
        calls,
        issues,
    })
}

fn next_line_start(f: &mut File, target: u64, len: u64) -> Result<u64, IngestError> {
    // The line containing byte `target - 1` ends at the first newline at or after it.
    let mut pos = target.saturating_sub(1);
    f.seek(SeekFrom::Start(pos))?;
    let mut buf = [0u8; 4096];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            return Ok(len);
        }
        if let Some(i) = buf[..n].iter().position(|&c| c == b'\n') {
            return Ok(pos + i as u64 + 1);
        }
        pos += n as u64;
    }
}

fn aggregate_range(
    path: &Path,
    from: u64,
    to: u64,
    layout: &Layout,
    def: &KpiDefinition,
    bucketer: &mut Bucketer,
) -> Result<Partial, IngestError> {
    let mut f = File::open(path)?;
    f.seek(SeekFrom::Start(from))?;
    let mut remaining = to - from;
    let mut buf = vec![0u8; CHUNK];
    let mut filled = 0usize;
    let mut p = Partial {
        queues: Vec::new(),
        rows: FxHashMap::default(),
        issues: Vec::new(),
        lines: 0,
        calls: 0,
    };
    let mut last_q: Option<u32> = None;
    let mut queue_ids: FxHashMap<Vec<u8>, u32> = FxHashMap::default();
    let mut last_key: Option<((u32, i64), (i64, i64))> = None;
    loop {
        let want = ((buf.len() - filled) as u64).min(remaining) as usize;
        let n = if want > 0 {
            f.read(&mut buf[filled..filled + want])?
        } else {
            0
        };
        remaining -= n as u64;
        filled += n;
        let at_end = n == 0 || remaining == 0;
        let cut = if at_end {
            filled
        } else {
            match buf[..filled].iter().rposition(|&c| c == b'\n') {
                Some(i) => i + 1,
                None if filled == buf.len() => {
                    // A single line longer than the buffer: grow it.
                    buf.resize(buf.len() * 2, 0);
                    continue;
                }
                None => continue,
            }
        };
        let chunk = &buf[..cut];
        let first_line = p.lines + 1;
        let mut calls = 0u64;
        let mut bad = Vec::new();
        let issues = parse_chunk(layout, chunk, first_line, |line_no, c| {
            let qid = match last_q {
                Some(id) if p.queues[id as usize].as_slice() == &*c.queue => id,
                _ => {
                    let id = match queue_ids.get(&*c.queue) {
                        Some(&id) => id,
                        None => {
                            let id = p.queues.len() as u32;
                            p.queues.push(c.queue.to_vec());
                            queue_ids.insert(c.queue.to_vec(), id);
                            id
                        }
                    };
                    last_q = Some(id);
                    id
                }
            };
            let ts = attribution_ts(def, &c.facts);
            let start = match last_key {
                Some(((q, s), (lo, hi))) if q == qid && ts >= lo && ts < hi => s,
                _ => match bucketer.interval_of(ts) {
                    Ok((lo, hi)) => {
                        last_key = Some(((qid, lo), (lo, hi)));
                        lo
                    }
                    Err(e) => {
                        bad.push(Issue::rejected(
                            line_no,
                            IssueKind::InvalidValue,
                            e.to_string(),
                        ));
                        return;
                    }
                },
            };
            p.rows
                .entry((qid, start))
                .or_default()
                .add_call(def, &c.facts);
            calls += 1;
        });
        p.calls += calls;
        p.lines += count_lines(chunk);
        p.issues.extend(issues);
        if !bad.is_empty() {
            // Timestamps outside the tz database's range: reported, not fatal.
            p.issues.extend(bad);
            p.issues.sort_by_key(|i| i.line);
        }
        buf.copy_within(cut..filled, 0);
        filled -= cut;
        if at_end && filled == 0 {
            break;
        }
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rumbo_kpi::{format, Granularity};

    const CALLS: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../kpi/tests/data/kpi_fixture_calls.csv"
    );
    const EXPECTED: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../kpi/tests/data/kpi_fixture_expected.csv"
    );

    fn render(k: &FileKpis, def: &KpiDefinition) -> String {
        // LF line ends, as `rumbo kpi file` writes them.
        let mut out = format::interval_csv_header(def) + "\n";
        for ((q, s), a) in k.aggregation.sorted_rows() {
            out += &format::interval_csv_row(q, *s, a, def);
            out += "\n";
        }
        out
    }

    #[test]
    fn fixture_reproduces_exactly_with_any_number_of_threads() {
        let def = KpiDefinition::standard();
        let b = Bucketer::utc(Granularity::Minutes(15));
        // The reference keeps Python's CRLF line ends; Rumbo writes LF.
        let expected = std::fs::read_to_string(EXPECTED)
            .unwrap()
            .replace("\r\n", "\n");
        for threads in [1, 2, 3, 7] {
            let k = aggregate_file(Path::new(CALLS), &def, &b, threads).unwrap();
            assert_eq!(k.calls, 3013);
            assert!(k.issues.is_empty());
            let got = render(&k, &def);
            assert!(
                got == expected,
                "threads = {threads}: output differs from the reference"
            );
        }
    }

    #[test]
    fn bad_lines_get_absolute_line_numbers_across_threads() {
        let dir = std::env::temp_dir().join(format!("rumbo-kpi-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("calls.csv");
        let mut text = String::from("call_id,queue,enter_ts,wait_s,talk_s,wrap_s,outcome\n");
        for i in 0..1000 {
            if i % 250 == 7 {
                text += "broken line\n";
            } else {
                text += &format!("{i},Q,{},1.5,10,2,answered\n", 1_767_225_600 + i);
            }
        }
        std::fs::write(&path, text).unwrap();
        let def = KpiDefinition::standard();
        let b = Bucketer::utc(Granularity::Minutes(15));
        for threads in [1, 2, 4] {
            let k = aggregate_file(&path, &def, &b, threads).unwrap();
            let lines: Vec<u64> = k.issues.iter().map(|i| i.line).collect();
            assert_eq!(lines, vec![9, 259, 509, 759], "threads = {threads}");
            assert_eq!(k.calls, 996);
            assert_eq!(k.lines, 1000);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
