//! Drill-down benchmark: a programme holding a year of 15-minute call data over ten queues
//! (10M calls by default, generated), imported into a fresh SQLite store; then the calls
//! behind single 15-minute figures, asked by ten concurrent clients.
//!
//! `cargo run --release -p rumbo-app --example drill_bench -- [ROWS] [WORK_DIR]`
//! (defaults: 10000000, target/bench-data). Prints the import time, then p50/p95/p99/max of
//! the drill-down latency.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rumbo_app::imports::{ImportRequest, Source};
use rumbo_app::kpis::CallsQuery;
use rumbo_app::{App, Settings};
use rumbo_domain::programme::{NewProgramme, ProgrammeInput};
use rumbo_domain::rut::Rut;
use rumbo_kpi::{Granularity, KpiDefinition};
use rumbo_store::{Actor, Store};

const QUEUES: u64 = 10;
const START: u64 = 1_767_225_600; // 2026-01-01 00:00 UTC
const SPAN: u64 = 365 * 86_400;
const CLIENTS: usize = 10;
const DRILLS_PER_CLIENT: usize = 200;

/// SplitMix64, so the file does not depend on any crate's generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// The standard call CSV, in time order, spread evenly over a year (like `rumbo dev
/// gen-calls --queues 10 --days 365`).
fn generate(path: &Path, rows: u64) -> std::io::Result<()> {
    let mut w = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    writeln!(w, "call_id,queue,enter_ts,wait_s,talk_s,wrap_s,outcome")?;
    let mut rng = Rng(42);
    for i in 0..rows {
        let ts = START + (u128::from(i) * u128::from(SPAN) / u128::from(rows)) as u64;
        let q = 1 + rng.next() % QUEUES;
        let r = rng.next();
        if r % 100 < 12 {
            writeln!(w, "{},Q{q:02},{ts},{},0,0,abandoned", i + 1, r % 120)?;
        } else {
            writeln!(
                w,
                "{},Q{q:02},{ts},{},{},{},answered",
                i + 1,
                (r >> 8) % 60,
                30 + (r >> 16) % 870,
                (r >> 32) % 120
            )?;
        }
    }
    w.flush()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "rumbo_app=info".into()),
        )
        .with_writer(std::io::stderr)
        .try_init();
    let mut args = std::env::args().skip(1);
    let rows: u64 = args
        .next()
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(10_000_000);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "target/bench-data".into()));
    std::fs::create_dir_all(&dir)?;
    let file = dir.join(format!("drill-calls-{rows}.csv"));
    if !file.exists() {
        eprintln!("generating {} ...", file.display());
        generate(&file, rows)?;
    }
    let work = dir.join(format!("drill-bench-{}", std::process::id()));
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
        "import: {:.2} s ({} calls, {} rejected)",
        t.elapsed().as_secs_f64(),
        r.imported,
        r.rejected
    );
    let prog = Arc::new(store.programme_for("BENCH", None).await?.programme);
    let def = Arc::new(KpiDefinition::standard());
    let wall = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let (app, prog, def) = (app.clone(), prog.clone(), def.clone());
        tasks.push(tokio::spawn(async move {
            let mut rng = Rng(1000 + c as u64);
            let mut times = Vec::with_capacity(DRILLS_PER_CLIENT);
            let mut calls = 0;
            for _ in 0..DRILLS_PER_CLIENT {
                let start = START as i64 + ((rng.next() % (SPAN / 900)) * 900) as i64;
                let queue = format!("Q{:02}", 1 + rng.next() % QUEUES);
                let t = Instant::now();
                let d = app
                    .calls_behind(
                        &prog,
                        CallsQuery {
                            queue: &queue,
                            start,
                            granularity: Granularity::Minutes(15),
                            definition: &def,
                        },
                    )
                    .await
                    .map_err(|e| format!("{e:?}"))?;
                times.push(t.elapsed());
                calls += d.total;
            }
            Ok::<_, String>((times, calls))
        }));
    }
    let mut times = Vec::new();
    let mut calls = 0;
    for t in tasks {
        let (ts, n) = t.await??;
        times.extend(ts);
        calls += n;
    }
    let wall = wall.elapsed();
    times.sort();
    println!(
        "drill-down of one queue's 15-minute interval, {CLIENTS} concurrent clients × {DRILLS_PER_CLIENT}: \
         p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {:.0} drill-downs/s; {:.1} calls per figure",
        percentile(&times, 0.50).as_secs_f64() * 1e3,
        percentile(&times, 0.95).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3,
        times.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
        times.len() as f64 / wall.as_secs_f64(),
        calls as f64 / times.len() as f64
    );
    store.close().await;
    let _ = std::fs::remove_dir_all(&work);
    Ok(())
}
