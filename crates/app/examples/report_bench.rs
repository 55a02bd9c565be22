//! Report benchmark: a programme holding a year of 15-minute data over ten queues (one call per
//! queue and quarter hour by default, which gives every (queue, interval) aggregate row a
//! 10M-call year has), imported into a fresh SQLite store; then the KPI report over the whole
//! year rendered as PDF, XLSX and CSV, three times each.
//!
//! `cargo run --release -p rumbo-app --example report_bench -- [CALLS_PER_SLOT] [WORK_DIR]`
//! (defaults: 1, target/bench-data). Prints the import time, then each render's time and size
//! and the peak resident memory since the import (Linux). Runs 1–3 of each format start from an
//! empty result cache, so each reads the store; a fourth run shows the same report with its
//! figures cached.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use rumbo_app::imports::{ImportRequest, Source};
use rumbo_app::report::build::{Kind, Request};
use rumbo_app::report::{Format, Lang};
use rumbo_app::{App, Settings};
use rumbo_domain::programme::{NewProgramme, ProgrammeInput};
use rumbo_domain::rut::Rut;
use rumbo_store::{Actor, Store};

const QUEUES: u64 = 10;
const START: u64 = 1_767_236_400; // 2026-01-01 00:00 America/Santiago (UTC−3)
const SLOTS: u64 = 365 * 96;

/// The standard call CSV: `per_slot` calls per queue in every quarter hour of a year.
fn generate(path: &Path, per_slot: u64) -> std::io::Result<()> {
    let mut w = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    writeln!(w, "call_id,queue,enter_ts,wait_s,talk_s,wrap_s,outcome")?;
    let mut id = 0u64;
    for slot in 0..SLOTS {
        for q in 1..=QUEUES {
            for k in 0..per_slot {
                id += 1;
                let ts = START + slot * 900 + (k * 900 / per_slot.max(1));
                let r = id.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 7;
                if r % 100 < 10 {
                    writeln!(w, "{id},Q{q:02},{ts},{},0,0,abandoned", r % 120)?;
                } else {
                    writeln!(
                        w,
                        "{id},Q{q:02},{ts},{},{},{},answered",
                        (r >> 8) % 60,
                        30 + (r >> 16) % 870,
                        (r >> 32) % 120
                    )?;
                }
            }
        }
    }
    w.flush()
}

/// The process's peak resident memory (`VmHWM`), in KiB, where `/proc` tells it.
fn peak_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The process's CPU time so far (user + system), in seconds, where `/proc` tells it (Linux;
/// 0 elsewhere): on a shared machine it says what a run cost apart from waiting for a core.
fn cpu_s() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name (which ends with the last ')'): utime and stime are the
    // 12th and 13th, in clock ticks (100 a second on Linux).
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|x| x.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let per_slot: u64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(1);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "target/bench-data".into()));
    std::fs::create_dir_all(&dir)?;
    let file = dir.join(format!("report-calls-{per_slot}.csv"));
    if !file.exists() {
        generate(&file, per_slot)?;
    }
    let work = dir.join(format!("report-bench-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    let store = Store::open(&format!("sqlite://{}", work.join("bench.db").display())).await?;
    let sys = Actor::system("bench");
    let client = store
        .create_client(
            &sys,
            "Bench",
            Rut::parse("76.086.428-5").map_err(|e| format!("{e:?}"))?,
        )
        .await?;
    let p = NewProgramme::try_from(ProgrammeInput {
        code: "BENCH".into(),
        name: "Benchmark".into(),
        client_id: Some(client.id),
        channels: vec!["voice_inbound".into()],
        start_date: "2026-01-01".into(),
        ..Default::default()
    })
    .map_err(|e| format!("{e:?}"))?;
    store.create_programme(&sys, &p).await?;
    let app = App::new(
        store.clone(),
        Settings {
            data_dir: work.join("data"),
            ..Settings::default()
        },
    );
    let t = Instant::now();
    let r = app
        .import_file(
            ImportRequest {
                programme_code: "BENCH",
                path: &file,
                source: Source::Calls,
                mapping: None,
                mapping_name: None,
                actor: sys.clone(),
                job: None,
            },
            |_| {},
        )
        .await
        .map_err(|e| format!("{e:?}"))?;
    println!(
        "import: {:.2} s ({} calls imported)",
        t.elapsed().as_secs_f64(),
        r.imported
    );
    // From here the peak resident memory is the reports' (Linux: "5" resets the peak).
    let peak_reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let from = jiff::civil::date(2026, 1, 1);
    let to = jiff::civil::date(2026, 12, 31);
    for format in Format::ALL {
        // Runs 1–3 start from an empty result cache (a new `App` on the same store), so they
        // read the store as the first report after an import does; run 4 finds the figures
        // of run 3 in the cache.
        let mut cold = app.clone();
        for run in 1..=4 {
            if run <= 3 {
                cold = App::new(store.clone(), app.settings().clone());
            }
            let t = Instant::now();
            let cpu = cpu_s();
            let out = cold
                .report_as_operator(
                    "BENCH",
                    &Request {
                        kind: Kind::Kpi,
                        from: Some(from),
                        to: Some(to),
                        format,
                        lang: Lang::Es,
                    },
                )
                .await
                .map_err(|e| format!("{e:?}"))?;
            println!(
                "kpi report {} run {run}{}: {:.3} s ({:.2} s of CPU), {} bytes{}",
                format.as_str(),
                if run <= 3 { "" } else { " (cached figures)" },
                t.elapsed().as_secs_f64(),
                cpu_s() - cpu,
                out.bytes.len(),
                match peak_kib() {
                    Some(kib) if peak_reset => format!(", peak RSS since the import {kib} KiB"),
                    _ => String::new(),
                }
            );
            if run == 1 {
                std::fs::write(work.join(&out.file_name), &out.bytes)?;
            }
        }
    }
    println!("files in {}", work.display());
    Ok(())
}
