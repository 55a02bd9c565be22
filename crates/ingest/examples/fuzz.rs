//! A million generated inputs per parser, with zero panics allowed and the peak memory
//! measured: `cargo run --release -p rumbo-ingest --example fuzz [-- CASES [SEED]]`.
//!
//! Inputs come from `rumbo_ingest::hostile` (seeded): structured queue_log/CDR/CSV lines with
//! implausible values, NUL runs and long lines, random bytes, and hostile XLSX workbooks
//! (dimensions of the whole sheet, shared-string tables claiming billions of entries, style
//! indices past the table, far cells, truncated archives). Every call a parser emits also goes
//! through the plausibility checks. Prints one line per parser (cases, seconds) and the peak
//! resident memory; exits non-zero on any panic (printing the case's seed) or when the peak
//! passes 200 MB. Figures are in docs/benchmarks.md.

use std::io::{BufReader, Cursor};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::process::ExitCode;
use std::time::Instant;

use rumbo_ingest::cdr::CdrReader;
use rumbo_ingest::hostile::{self, Gen};
use rumbo_ingest::mapping::{MappedCsv, MappedRecord, Mapping, RecordKind};
use rumbo_ingest::plausible::Limits;
use rumbo_ingest::queue_log::{QueueLogItem, QueueLogOptions, QueueLogParser};
use rumbo_ingest::std_calls::{parse_chunk, Layout};
use rumbo_ingest::CallerHasher;

/// Peak resident set size of this process (Linux `VmHWM`), in KiB.
fn peak_rss_kb() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn limits() -> Limits {
    Limits::for_programme(1_767_225_600, None, 1_796_083_200)
}

fn queue_log(bytes: &[u8]) {
    let opts = QueueLogOptions {
        hasher: Some(CallerHasher::new(b"k")),
        ..QueueLogOptions::default()
    };
    let l = limits();
    for item in QueueLogParser::new(BufReader::new(bytes), opts) {
        if let QueueLogItem::Call(mut c) = item {
            let _ = l.check_call(c.first_line, &mut c.record);
        }
    }
}

fn cdr(bytes: &[u8]) {
    let l = limits();
    for (line, mut rec) in CdrReader::new(bytes, jiff::tz::TimeZone::UTC, None).flatten() {
        let _ = l.check_call(line, &mut rec);
    }
}

fn std_calls(bytes: &[u8]) {
    let l = limits();
    let _ = Layout::from_header(bytes);
    let _ = parse_chunk(&Layout::standard(), bytes, 1, |_, c| {
        let _ = l.check_facts(&c.facts);
    });
}

fn mapped(bytes: &[u8]) {
    let l = limits();
    for kind in [
        RecordKind::Calls,
        RecordKind::Quality,
        RecordKind::Survey,
        RecordKind::Sales,
    ] {
        if let Ok(r) = MappedCsv::new(bytes, &Mapping::identity(kind), None) {
            for (line, rec) in r.flatten() {
                if let MappedRecord::Call(mut c) = rec {
                    let _ = l.check_call(line, &mut c);
                }
            }
        }
    }
}

fn xlsx(bytes: &[u8]) {
    let l = limits();
    let m = Mapping::identity(RecordKind::Calls);
    if let Ok(rows) = rumbo_ingest::xlsx::read_xlsx(Cursor::new(bytes), &m, None) {
        for (line, rec) in rows.into_iter().flatten() {
            if let MappedRecord::Call(mut c) = rec {
                let _ = l.check_call(line, &mut c);
            }
        }
    }
    let _ = rumbo_ingest::xlsx::preview_xlsx(Cursor::new(bytes), None, 5);
}

type Parser = (&'static str, fn(&mut Gen) -> Vec<u8>, fn(&[u8]));

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let cases: u64 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(42);
    let text_or_bytes = |g: &mut Gen| {
        if g.one_in(4) {
            hostile::bytes(g)
        } else {
            hostile::lines(g)
        }
    };
    let xlsx_or_bytes = |g: &mut Gen| {
        if g.one_in(8) {
            hostile::bytes(g)
        } else {
            hostile::xlsx(g)
        }
    };
    let parsers: [Parser; 5] = [
        ("queue_log", text_or_bytes, queue_log),
        ("cdr", text_or_bytes, cdr),
        ("std_calls", text_or_bytes, std_calls),
        ("mapped_csv", text_or_bytes, mapped),
        ("xlsx", xlsx_or_bytes, xlsx),
    ];
    if std::env::var_os("FUZZ_VERBOSE").is_none() {
        std::panic::set_hook(Box::new(|_| {}));
    }
    let mut failed = false;
    for (name, gen, parse) in parsers {
        let t = Instant::now();
        let mut panics = 0u64;
        for i in 0..cases {
            let case_seed = seed ^ i.wrapping_mul(0x9e37_79b9_7f4a_7c15);
            let input = gen(&mut Gen::new(case_seed));
            if catch_unwind(AssertUnwindSafe(|| parse(&input))).is_err() {
                if panics == 0 {
                    eprintln!("{name}: panic on case seed {case_seed}");
                }
                panics += 1;
            }
        }
        eprintln!(
            "{name}: {cases} inputs, {panics} panics, {:.1} s",
            t.elapsed().as_secs_f64()
        );
        failed |= panics > 0;
    }
    let peak = peak_rss_kb();
    eprintln!(
        "peak RSS: {} KiB",
        peak.map_or("unknown".into(), |v| v.to_string())
    );
    if failed || peak.is_some_and(|kb| kb > 200 * 1024) {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
