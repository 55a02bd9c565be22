//! `rumbo dev …`: developer tools: a seeded call generator and the KPI benchmark.
//!
//! `gen-calls` writes the standard call CSV deterministically from a seed (its
//! own SplitMix64, so files do not change with the `rand` crate's version).
//! `bench-kpi` generates a file once, times `rumbo kpi file` on it in a child
//! process (wall time and the child's peak RSS) and, when the `duckdb` Python
//! package is importable, the equivalent DuckDB query on the same file.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context};

#[derive(clap::Subcommand, Debug)]
pub enum DevCmd {
    /// Generate a seeded standard call CSV (call_id,queue,enter_ts,wait_s,talk_s,wrap_s,outcome).
    GenCalls(GenArgs),
    /// Benchmark `rumbo kpi file` (and DuckDB if available) on a generated file.
    BenchKpi(BenchArgs),
    /// Benchmark a full import into a fresh SQLite store (batch file, keys, aggregates), then a re-import.
    BenchImport(BenchArgs),
    /// HTTP load benchmark of a release server on a year of data (loopback only, bounded in time).
    BenchHttp(super::bench_http::BenchHttpArgs),
}

#[derive(clap::Args, Debug)]
pub struct GenArgs {
    /// Number of calls.
    #[arg(long)]
    rows: u64,
    /// Seed; the same seed gives the same file.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Number of queues (Q01, Q02, ...).
    #[arg(long, default_value_t = 12)]
    queues: u32,
    /// Days the calls are spread over, from 2026-01-01 00:00 UTC.
    #[arg(long, default_value_t = 30)]
    days: u32,
    /// Output file.
    #[arg(long, short)]
    output: PathBuf,
}

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Number of calls.
    #[arg(long, default_value_t = 10_000_000)]
    rows: u64,
    /// Seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Where generated files are kept between runs.
    #[arg(long, default_value = "target/bench-data")]
    dir: PathBuf,
    /// Runs per engine (the best and median are reported).
    #[arg(long, default_value_t = 3)]
    runs: u32,
    /// Interval.
    #[arg(long, default_value = "15m")]
    by: String,
    /// `bench-import`: import once, without the re-import (the benchmark suite's timing).
    #[arg(long)]
    skip_reimport: bool,
}

pub fn run(cmd: DevCmd) -> anyhow::Result<()> {
    match cmd {
        DevCmd::GenCalls(a) => {
            let t = Instant::now();
            generate(&a.output, a.rows, a.seed, a.queues, a.days)?;
            eprintln!(
                "wrote {} calls to {} in {:.2} s",
                a.rows,
                a.output.display(),
                t.elapsed().as_secs_f64()
            );
            Ok(())
        }
        DevCmd::BenchKpi(a) => bench(a),
        DevCmd::BenchImport(a) => bench_import(a),
        DevCmd::BenchHttp(a) => super::bench_http::run(a),
    }
}

struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Exponential with the given mean.
    fn exp(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.unit()).ln()
    }
}

/// Writes `rows` seeded calls in time order.
pub fn generate(path: &Path, rows: u64, seed: u64, queues: u32, days: u32) -> anyhow::Result<()> {
    if queues == 0 || days == 0 {
        bail!("--queues and --days must be positive");
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
    writeln!(w, "call_id,queue,enter_ts,wait_s,talk_s,wrap_s,outcome")?;
    let mut rng = SplitMix64(seed);
    let start: u64 = 1_767_225_600;
    let span = u64::from(days) * 86_400;
    let mut line = String::with_capacity(96);
    for i in 0..rows {
        use std::fmt::Write as _;
        let ts = start + (u128::from(i) * u128::from(span) / u128::from(rows.max(1))) as u64;
        let q = 1 + (rng.next() % u64::from(queues)) as u32;
        let abandoned = rng.unit() < 0.12;
        line.clear();
        if abandoned {
            let wait = rng.exp(40.0).min(1800.0).round();
            let _ = write!(line, "{},Q{:02},{},{:.1},0,0,abandoned", i + 1, q, ts, wait);
        } else {
            let wait = if rng.unit() < 0.4 {
                0.0
            } else {
                rng.exp(25.0).min(1800.0)
            };
            let talk = 30 + rng.next() % 870;
            let wrap = rng.next() % 120;
            if rng.unit() < 0.3 {
                let _ = write!(
                    line,
                    "{},Q{:02},{},{:.1},{},{},answered",
                    i + 1,
                    q,
                    ts,
                    wait,
                    talk,
                    wrap
                );
            } else {
                let _ = write!(
                    line,
                    "{},Q{:02},{},{},{},{},answered",
                    i + 1,
                    q,
                    ts,
                    wait.round() as u64,
                    talk,
                    wrap
                );
            }
        }
        line.push('\n');
        w.write_all(line.as_bytes())?;
    }
    w.flush()?;
    Ok(())
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn bench(a: BenchArgs) -> anyhow::Result<()> {
    let file = a.dir.join(format!("calls-{}-seed{}.csv", a.rows, a.seed));
    if !file.exists() {
        eprintln!("generating {} ...", file.display());
        generate(&file, a.rows, a.seed, 12, 30)?;
    }
    let size_mb = std::fs::metadata(&file)?.len() as f64 / 1e6;
    let exe = std::env::current_exe()?;
    out!(
        "file: {} ({size_mb:.0} MB, {} rows)",
        file.display(),
        a.rows
    );
    let mut times = Vec::new();
    let mut rss = Vec::new();
    for _ in 0..a.runs.max(1) {
        let t = Instant::now();
        let out = Command::new(&exe)
            .args(["kpi", "file"])
            .arg(&file)
            .args([
                "--by",
                &a.by,
                "--format",
                "csv",
                "--stats",
                "--output",
                "/dev/null",
            ])
            .output()?;
        let el = t.elapsed().as_secs_f64();
        if !out.status.success() {
            bail!(
                "rumbo kpi file failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let err = String::from_utf8_lossy(&out.stderr);
        let kb = err
            .split_whitespace()
            .find_map(|w| w.strip_prefix("peak_rss_kb="))
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
        times.push(el);
        rss.push(kb);
    }
    let best = times.iter().copied().fold(f64::INFINITY, f64::min);
    let med = median(&mut times.clone());
    let peak = rss.iter().max().copied().unwrap_or(0);
    out!(
        "rumbo kpi file: best {best:.3} s, median {med:.3} s, peak RSS {:.0} MB",
        peak as f64 / 1024.0
    );

    let script = format!(
        r#"
import time, duckdb
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
t = time.time()
con.execute("""COPY (SELECT queue, enter_ts - enter_ts % 900 AS interval_start, count(*) AS offered,
  count(*) FILTER (WHERE outcome = 'answered') AS answered,
  count(*) FILTER (WHERE outcome = 'abandoned') AS abandoned,
  count(*) FILTER (WHERE outcome = 'answered' AND wait_s <= 20) AS answered_within_20,
  count(*) FILTER (WHERE outcome = 'abandoned' AND wait_s > 5) AS abandoned_after_5,
  avg(wait_s) FILTER (WHERE outcome = 'answered') AS asa_s,
  avg(talk_s + wrap_s) FILTER (WHERE outcome = 'answered') AS aht_s
  FROM read_csv('{}', header=true) GROUP BY ALL ORDER BY ALL) TO '/dev/null' (FORMAT csv)""")
print(time.time() - t)
"#,
        file.display()
    );
    let probe = Command::new("python3")
        .args(["-c", "import duckdb"])
        .output();
    if !matches!(probe, Ok(ref o) if o.status.success()) {
        out!("duckdb: python package not importable; skipped (pip install duckdb)");
        return Ok(());
    }
    let mut dtimes = Vec::new();
    let mut dinner = Vec::new();
    for _ in 0..a.runs.max(1) {
        let t = Instant::now();
        let out = Command::new("python3").args(["-c", &script]).output()?;
        let el = t.elapsed().as_secs_f64();
        if !out.status.success() {
            bail!("duckdb failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        dtimes.push(el);
        dinner.push(
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .last()
                .and_then(|l| l.trim().parse::<f64>().ok())
                .unwrap_or(f64::NAN),
        );
    }
    let dbest = dinner.iter().copied().fold(f64::INFINITY, f64::min);
    out!(
        "duckdb (python): query best {dbest:.3} s, median {:.3} s; process wall median {:.3} s",
        median(&mut dinner),
        median(&mut dtimes)
    );
    out!("ratio rumbo/duckdb (best, query only): {:.2}", best / dbest);
    Ok(())
}

/// Bytes of the files under `dir` (0 when it does not exist).
fn dir_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_bytes(&e.path()),
            _ => e.metadata().map_or(0, |m| m.len()),
        })
        .sum()
}

fn bench_import(a: BenchArgs) -> anyhow::Result<()> {
    use rumbo_app::imports::{ImportRequest, Source};
    use rumbo_app::model::Actor;
    use rumbo_app::{App, Settings};
    use rumbo_domain::programme::ProgrammeInput;

    let file = a.dir.join(format!("calls-{}-seed{}.csv", a.rows, a.seed));
    if !file.exists() {
        eprintln!("generating {} ...", file.display());
        generate(&file, a.rows, a.seed, 12, 30)?;
    }
    let work = a.dir.join(format!("import-bench-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    let db = format!("sqlite://{}", work.join("bench.db").display());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let result = rt.block_on(async {
        let app = App::open(
            &db,
            Settings {
                data_dir: work.join("data"),
                ..Settings::default()
            },
        )
        .await
        .map_err(super::app_error)?;
        let sys = Actor::system("bench");
        app.create_programme_as_operator(
            "Bench",
            "76.086.428-5",
            ProgrammeInput {
                code: "BENCH".into(),
                name: "Benchmark".into(),
                channels: vec!["voice_inbound".into()],
                start_date: "2026-01-01".into(),
                ..Default::default()
            },
        )
        .await
        .map_err(super::app_error)?;
        let labels: &[&str] = if a.skip_reimport {
            &["import"]
        } else {
            &["import", "re-import"]
        };
        for &label in labels {
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
                .map_err(super::app_error)?;
            out!(
                "{label}: {:.2} s ({} imported, {} duplicates, {} rejected), peak RSS so far {:.0} MB",
                t.elapsed().as_secs_f64(),
                r.imported,
                r.duplicates,
                r.rejected,
                super::kpi::peak_rss_kb().unwrap_or(0) as f64 / 1024.0
            );
        }
        app.close().await;
        out!(
            "bytes: raw records {} on disk, database {} (with its WAL)",
            dir_bytes(&work.join("data")),
            dir_bytes(&work) - dir_bytes(&work.join("data"))
        );
        anyhow::Ok(())
    });
    let _ = std::fs::remove_dir_all(&work);
    result
}
