//! KPIs straight from a standard call CSV file, as fast as the disk allows.
//!
//! This is the engine of `rumbo kpi file`: the file is cut into as many byte
//! ranges as there are threads (each range starts after a newline), every thread
//! reads its range in large chunks and parses lines in place with
//! [`crate::std_calls`] (one scan per line finds its end and its fields). Queue
//! names become dense ids through a small direct-mapped table, and each queue
//! remembers the row of its current interval, so time-ordered input aggregates
//! without hashing. Every record of this format is a whole call, so a row keeps
//! only its call tally and sales while reading ([`Agg::of_whole_calls`] at the end). Aggregates are exact
//! sums, so merging the threads' rows gives the same figures as a single pass.
//! Memory is the chunk buffers plus one aggregate per (queue, interval).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use rumbo_kpi::fxhash::FxHashMap;
use rumbo_kpi::{attribution_ts, Agg, Aggregator, Bucketer, CallTally, KpiDefinition};

use crate::issue::{Issue, IssueKind};
use crate::std_calls::{parse_chunk_counted, Layout};
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
    queues: Queues,
    /// (queue id, interval start) of each row, beside its calls and sales in `aggs`.
    keys: Vec<(u32, i64)>,
    aggs: Vec<(CallTally, u64)>,
    issues: Vec<Issue>,
    lines: u64,
    calls: u64,
}

/// Slots of the direct-mapped queue table (a power of two).
const QUEUE_SLOTS: usize = 256;

/// Queue names to dense ids. A name of up to 7 bytes is packed into a `u64` (bytes and
/// length) and found in a direct-mapped table with one multiply and one compare; a miss
/// or a longer name goes through a map.
struct Queues {
    names: Vec<Vec<u8>>,
    table: Vec<(u64, u32)>,
    packed: FxHashMap<u64, u32>,
    long: FxHashMap<Vec<u8>, u32>,
}

impl Queues {
    fn new() -> Self {
        Queues {
            names: Vec::new(),
            table: vec![(0, 0); QUEUE_SLOTS],
            packed: FxHashMap::default(),
            long: FxHashMap::default(),
        }
    }

    /// The name's bytes and length in one word; `None` for an empty or long name. Never 0.
    #[inline]
    fn pack(q: &[u8]) -> Option<u64> {
        if q.is_empty() || q.len() > 7 {
            return None;
        }
        let mut b = [0u8; 8];
        for (d, s) in b.iter_mut().zip(q) {
            *d = *s;
        }
        b[7] = q.len() as u8;
        Some(u64::from_le_bytes(b))
    }

    #[inline]
    fn id(&mut self, q: &[u8]) -> u32 {
        let Some(p) = Self::pack(q) else {
            return match self.long.get(q) {
                Some(&id) => id,
                None => {
                    let id = self.push(q);
                    self.long.insert(q.to_vec(), id);
                    id
                }
            };
        };
        let slot = (p.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 56) as usize % QUEUE_SLOTS;
        let (k, id) = self.table[slot];
        if k == p {
            return id;
        }
        let id = match self.packed.get(&p) {
            Some(&id) => id,
            None => {
                let id = self.push(q);
                self.packed.insert(p, id);
                id
            }
        };
        self.table[slot] = (p, id);
        id
    }

    fn push(&mut self, q: &[u8]) -> u32 {
        self.names.push(q.to_vec());
        (self.names.len() - 1) as u32
    }
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
    // Threads mostly see distinct intervals (time-ordered files): room for every row.
    aggregation.reserve(
        results
            .iter()
            .map(|r| r.as_ref().map_or(0, |p| p.keys.len()))
            .sum(),
    );
    let mut issues = Vec::new();
    let mut lines_before = 1u64; // the header
    let mut calls = 0;
    for r in results {
        let p = r?;
        let names: Vec<String> = p
            .queues
            .names
            .iter()
            .map(|q| String::from_utf8_lossy(q).into_owned())
            .collect();
        for (&(q, start), (tally, sales)) in p.keys.iter().zip(p.aggs) {
            let agg = Agg::of_whole_calls(tally, sales);
            aggregation.row_at(&names[q as usize], start).merge(&agg);
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
        queues: Queues::new(),
        keys: Vec::new(),
        aggs: Vec::new(),
        issues: Vec::new(),
        lines: 0,
        calls: 0,
    };
    // Per queue id: the interval start and row of the last call seen in that queue.
    let mut current: Vec<(i64, u32)> = Vec::new();
    let mut index: FxHashMap<(u32, i64), u32> = FxHashMap::default();
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
        let (issues, lines) = parse_chunk_counted(layout, chunk, first_line, |line_no, c, _| {
            let qid = p.queues.id(&c.queue);
            let start = match bucketer.interval_of(attribution_ts(def, &c.facts)) {
                Ok((lo, _)) => lo,
                Err(e) => {
                    bad.push(Issue::rejected(
                        line_no,
                        IssueKind::InvalidValue,
                        e.to_string(),
                    ));
                    return;
                }
            };
            if current.len() <= qid as usize {
                current.resize(qid as usize + 1, (0, u32::MAX));
            }
            let slot = &mut current[qid as usize];
            if slot.1 == u32::MAX || slot.0 != start {
                let row = *index.entry((qid, start)).or_insert_with(|| {
                    p.keys.push((qid, start));
                    p.aggs.push((CallTally::default(), 0));
                    (p.aggs.len() - 1) as u32
                });
                *slot = (start, row);
            }
            let (tally, sales) = &mut p.aggs[slot.1 as usize];
            tally.add(def, &c.facts);
            *sales += u64::from(c.facts.sale);
            calls += 1;
        });
        p.calls += calls;
        p.lines += lines;
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
    fn rows_match_a_plain_aggregation_whatever_the_queue_names_and_the_order() {
        // 300 queues (more than the direct-mapped table's slots, so some collide), names of
        // 1 to 12 bytes, times out of order, a sale column on some lines: every row must be
        // what adding each parsed line to an `Aggregator` gives.
        let dir = std::env::temp_dir().join(format!("rumbo-kpi-rows-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let def = KpiDefinition::standard();
        let b = Bucketer::utc(Granularity::Minutes(15));
        for header in [
            crate::std_calls::STANDARD_HEADER,
            "call_id,queue,enter_ts,wait_s,talk_s,wrap_s,outcome,sale",
        ] {
            let path = dir.join("calls.csv");
            let mut text = format!("{header}\n");
            let mut want = Aggregator::new(def.clone(), b.clone());
            let layout = Layout::from_header(header.as_bytes()).unwrap();
            let mut x: u64 = 7;
            for i in 0..20_000u64 {
                x = x
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let q = (x >> 33) % 300;
                let name = format!("{}{q}", "Q".repeat(1 + (q % 10) as usize));
                let ts = 1_767_225_600 + ((x >> 20) % 86_400) as i64;
                let outcome = ["answered", "abandoned", "system_exit"][((x >> 40) % 3) as usize];
                let mut line = format!(
                    "{i},{name},{ts},{}.5,{},3,{outcome}",
                    (x >> 45) % 90,
                    (x >> 50) % 600
                );
                if header.ends_with("sale") {
                    line += if (x >> 60) & 1 == 0 { ",1" } else { ",0" };
                }
                let c = layout.parse_line(line.as_bytes()).unwrap();
                want.add_call(std::str::from_utf8(&c.queue).unwrap(), &c.facts)
                    .unwrap();
                text += &line;
                text += "\n";
            }
            std::fs::write(&path, &text).unwrap();
            for threads in [1, 2, 3] {
                let k = aggregate_file(&path, &def, &b, threads).unwrap();
                assert!(k.issues.is_empty());
                assert_eq!(k.calls, 20_000);
                let got: Vec<_> = k.aggregation.sorted_rows();
                let want: Vec<_> = want.sorted_rows();
                assert!(got == want, "threads = {threads}, header = {header}");
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
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
