//! `rumbo kpi …`: KPI figures per (queue, interval) from a call file or the store.
//!
//! `rumbo kpi file CALLS.csv --by 15m` needs no database: it reads the standard
//! call CSV with the multi-threaded parser behind `rumbo_app::calls_file`.
//! `rumbo kpi --program CODE …` (no subcommand) reads imported data from the store.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use rumbo_kpi::{format, Aggregator, Bucketer, Granularity, KpiDefinition, Registry};

/// Output format of KPI tables.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    /// CSV with RFC 4180 line ends; floats in shortest round-trip form, empty when undefined.
    Csv,
    /// A JSON array of row objects; undefined figures are null.
    Json,
}

/// `rumbo kpi`: either a subcommand (`file`, `definitions`) or the store-backed form.
#[derive(clap::Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct KpiArgs {
    #[command(subcommand)]
    command: Option<KpiCmd>,
    #[command(flatten)]
    store: StoreArgs,
}

#[derive(clap::Subcommand, Debug)]
enum KpiCmd {
    /// KPIs from a standard call CSV (call_id,queue,enter_ts,wait_s,talk_s,wrap_s,outcome), no database.
    File(FileArgs),
    /// List the registered KPI definitions with every choice they make.
    Definitions,
}

/// Store-backed KPIs of an imported programme.
#[derive(clap::Args, Debug)]
struct StoreArgs {
    /// Programme code.
    #[arg(long)]
    program: Option<String>,
    /// First day (YYYY-MM-DD, programme time zone), inclusive.
    #[arg(long)]
    from: Option<String>,
    /// Last day (YYYY-MM-DD), inclusive.
    #[arg(long)]
    to: Option<String>,
    /// Interval: 15m, 30m, 1h, day, week or month.
    #[arg(long, default_value = "15m")]
    by: String,
    /// KPI definition name (latest version) or NAME@vN; default the latest rumbo-standard,
    /// as on the Control page.
    #[arg(long)]
    definition: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Csv)]
    format: OutputFormat,
}

#[derive(clap::Args, Debug)]
struct FileArgs {
    /// Standard call CSV file.
    calls: PathBuf,
    /// Interval: 15m, 30m, 1h, day, week or month.
    #[arg(long, default_value = "15m")]
    by: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Csv)]
    format: OutputFormat,
    /// KPI definition name (latest version) or NAME@vN; default rumbo-standard@v1 (the
    /// KPI fixture's definition; a standard call CSV has no system exits, so version 2
    /// gives the same figures).
    #[arg(long)]
    definition: Option<String>,
    /// Time zone for day/week/month intervals (IANA name).
    #[arg(long, default_value = "UTC")]
    tz: String,
    /// Worker threads (default: available cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Write the table here instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Print rows, elapsed time and peak memory to standard error.
    #[arg(long)]
    stats: bool,
    /// Exit with an error if any line was rejected.
    #[arg(long)]
    strict: bool,
}

pub fn run(db: &str, data_dir: &Path, args: KpiArgs) -> anyhow::Result<()> {
    match args.command {
        Some(KpiCmd::File(f)) => run_file(f),
        Some(KpiCmd::Definitions) => {
            for d in Registry::builtin().all() {
                out!("{}", d.describe());
            }
            Ok(())
        }
        None => run_store(db, data_dir, args.store),
    }
}

/// The definition a `--definition` names, or `default` when none.
fn resolve_definition(spec: Option<&str>, default: KpiDefinition) -> anyhow::Result<KpiDefinition> {
    let reg = Registry::builtin();
    Ok(match spec {
        Some(s) => reg.resolve(s)?.clone(),
        None => default,
    })
}

fn run_store(db: &str, data_dir: &Path, a: StoreArgs) -> anyhow::Result<()> {
    let Some(program) = a.program else {
        bail!("use `rumbo kpi file CALLS.csv` or `rumbo kpi --program CODE` (see --help)");
    };
    let def = resolve_definition(a.definition.as_deref(), KpiDefinition::standard_v2())?;
    let granularity = Granularity::parse(&a.by)?;
    let day = |s: &Option<String>, name: &str| {
        s.as_deref()
            .map(rumbo_app::kpis::parse_day)
            .transpose()
            .map_err(super::app_error)
            .with_context(|| format!("--{name}"))
    };
    let from = day(&a.from, "from")?;
    let to = day(&a.to, "to")?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let app = rumbo_app::App::open(db, super::app_settings(data_dir))
            .await
            .map_err(super::app_error)
            .context("opening the database")?;
        let k = app
            .programme_kpis(rumbo_app::kpis::KpiQuery {
                programme_code: &program,
                definition: &def,
                granularity,
                from,
                to,
            })
            .await
            .map_err(super::app_error)?;
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        write_table(&mut out, &k.aggregation, a.format)?;
        out.flush()?;
        app.close().await;
        Ok(())
    })
}

fn run_file(a: FileArgs) -> anyhow::Result<()> {
    let t0 = Instant::now();
    let def = resolve_definition(a.definition.as_deref(), KpiDefinition::standard())?;
    let gran = Granularity::parse(&a.by)?;
    let bucketer = Bucketer::in_zone(gran, &a.tz)?;
    let threads = a
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let k = rumbo_app::calls_file::kpis_of_file(&a.calls, &def, &bucketer, threads)
        .map_err(super::app_error)
        .with_context(|| format!("reading {}", a.calls.display()))?;
    let out: Box<dyn Write> = match &a.output {
        Some(p) => {
            Box::new(std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?)
        }
        None => Box::new(std::io::stdout().lock()),
    };
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
    write_table(&mut out, &k.aggregation, a.format)?;
    out.flush()?;
    report_issues(&k.issues);
    if a.stats {
        eprintln!(
            "stats: lines={} calls={} rows={} rejected={} threads={} elapsed_s={:.3} peak_rss_kb={}",
            k.lines,
            k.calls,
            k.aggregation.sorted_rows().len(),
            k.issues.len(),
            threads,
            t0.elapsed().as_secs_f64(),
            peak_rss_kb().map_or("unknown".into(), |v| v.to_string())
        );
    }
    if a.strict && !k.issues.is_empty() {
        bail!("{} line(s) rejected", k.issues.len());
    }
    Ok(())
}

/// Prints up to 20 issues and a count to standard error.
pub fn report_issues(issues: &[rumbo_app::calls_file::Issue]) {
    for i in issues.iter().take(20) {
        eprintln!("{i}");
    }
    if issues.len() > 20 {
        eprintln!("... and {} more", issues.len() - 20);
    }
    if !issues.is_empty() {
        eprintln!("{} line(s) rejected or flagged", issues.len());
    }
}

/// Rows of the CSV table below which one thread formats them all.
const CSV_ROWS_PER_THREAD: usize = 4096;

/// Writes the interval table of an aggregation.
pub fn write_table(
    out: &mut impl Write,
    agg: &Aggregator,
    fmt: OutputFormat,
) -> anyhow::Result<()> {
    let def = agg.definition();
    match fmt {
        OutputFormat::Csv => {
            writeln!(out, "{}", format::interval_csv_header(def))?;
            let rows = agg.sorted_rows();
            // Formatting the figures is most of the work after reading: a large table is
            // cut into one run of rows per core, formatted side by side and written in order.
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            let parts = cores.min(rows.len() / CSV_ROWS_PER_THREAD + 1);
            let per = rows.len().div_ceil(parts).max(1);
            let format_rows = |part: &[(&rumbo_kpi::AggKey, &rumbo_kpi::Agg)]| {
                let mut text = String::with_capacity(part.len() * 128);
                for ((q, s), a) in part {
                    // Programme-level rows (agent time, queue-less surveys) have no calls:
                    // the call table leaves them out; the JSON form has their figures.
                    if q.is_empty() && a.offered == 0 {
                        continue;
                    }
                    format::push_interval_csv_row(&mut text, q, *s, a, def);
                    text.push('\n');
                }
                text
            };
            if parts <= 1 {
                out.write_all(format_rows(&rows).as_bytes())?;
            } else {
                let texts: Vec<String> = std::thread::scope(|scope| {
                    let handles: Vec<_> = rows
                        .chunks(per)
                        .map(|part| scope.spawn(move || format_rows(part)))
                        .collect();
                    handles
                        .into_iter()
                        .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                        .collect()
                });
                for t in texts {
                    out.write_all(t.as_bytes())?;
                }
            }
        }
        OutputFormat::Json => {
            let rows: Vec<serde_json::Value> = agg
                .sorted_rows()
                .into_iter()
                .map(|((q, s), a)| {
                    let f = a.figures(def);
                    serde_json::json!({
                        "queue": q,
                        "interval_start": s,
                        "definition": f.definition.name,
                        "definition_version": f.definition.version,
                        "offered": a.offered,
                        "answered": a.answered,
                        // Caller abandons and system exits apart, as the API shows them.
                        "abandoned": a.caller_abandons(),
                        "system_exits": a.system_exits,
                        "answered_within_t": a.answered_within_t,
                        "abandoned_after_s": a.abandoned - a.short_abandons,
                        "sl": f.sl,
                        "asa_s": f.asa_s,
                        "aht_s": f.aht_s,
                        "abandon_rate": f.abandon_rate,
                        "abandon_rate_excl_short": f.abandon_rate_excl_short,
                        "conversion": f.conversion,
                        "occupancy": f.occupancy,
                        "fcr": f.fcr,
                        "sph": f.sph,
                        "qa_score": f.qa_score,
                        "csat": f.csat,
                        "nps": f.nps,
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut *out, &rows)?;
            writeln!(out)?;
        }
    }
    Ok(())
}

/// Peak resident set size of this process (Linux `VmHWM`), in KiB.
pub fn peak_rss_kb() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(clap::Parser, Debug)]
    struct TestCli {
        #[command(subcommand)]
        cmd: TestCmd,
    }

    #[derive(clap::Subcommand, Debug)]
    enum TestCmd {
        Kpi(KpiArgs),
    }

    fn parse(args: &[&str]) -> Result<KpiArgs, clap::Error> {
        let mut v = vec!["rumbo", "kpi"];
        v.extend_from_slice(args);
        TestCli::try_parse_from(v).map(|c| match c.cmd {
            TestCmd::Kpi(k) => k,
        })
    }

    const CALLS: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/crates/kpi/tests/data/kpi_fixture_calls.csv"
    );
    const EXPECTED: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/crates/kpi/tests/data/kpi_fixture_expected.csv"
    );

    #[test]
    fn kpi_file_reproduces_the_fixture_byte_for_byte_with_lf_line_ends() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("kpi.csv");
        let args = parse(&[
            "file",
            CALLS,
            "--by",
            "15m",
            "--format",
            "csv",
            "-o",
            out.to_str().unwrap(),
        ])
        .unwrap();
        run("sqlite::memory:", Path::new("unused-data"), args).unwrap();
        let got = std::fs::read(&out).unwrap();
        assert!(!got.contains(&b'\r'), "KPI CSV lines end with LF only");
        // The reference file keeps its CRLF line ends (copied byte for byte); compare with LF.
        let expected = std::fs::read_to_string(EXPECTED)
            .unwrap()
            .replace("\r\n", "\n");
        assert!(
            got == expected.as_bytes(),
            "rumbo kpi file output differs from kpi_fixture_expected.csv"
        );
    }

    #[test]
    fn kpi_file_json_has_one_object_per_interval_with_its_definition() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("kpi.json");
        run(
            "sqlite::memory:",
            Path::new("unused-data"),
            parse(&[
                "file",
                CALLS,
                "--format",
                "json",
                "-o",
                out.to_str().unwrap(),
            ])
            .unwrap(),
        )
        .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        let rows = v.as_array().unwrap();
        assert_eq!(rows.len(), 924);
        let qb = rows.iter().find(|r| r["queue"] == "QB").unwrap();
        assert!(qb["sl"].is_null());
        assert_eq!(qb["definition"], "rumbo-standard");
        assert_eq!(qb["definition_version"], 1);
    }

    #[test]
    fn store_form_parses_without_subcommand_and_reports_an_unknown_programme() {
        let dir = tempfile::tempdir().unwrap();
        let db = format!("sqlite://{}", dir.path().join("t.db").display());
        let a = parse(&["--program", "ACME", "--by", "day", "--format", "json"]).unwrap();
        assert!(run(&db, Path::new("unused-data"), a).is_err());
        assert!(parse(&["--program", "ACME", "file", "x.csv"]).is_err());
    }

    #[test]
    fn unknown_interval_is_refused() {
        let a = parse(&["file", CALLS, "--by", "7m"]).unwrap();
        assert!(run("sqlite::memory:", Path::new("unused-data"), a).is_err());
    }
}

#[cfg(test)]
mod table_tests {
    use super::*;
    use rumbo_kpi::{CallFacts, Outcome};

    #[test]
    fn a_table_formatted_on_several_threads_is_the_table_formatted_row_by_row() {
        let def = KpiDefinition::standard();
        let mut agg = Aggregator::new(
            def.clone(),
            Bucketer::new(Granularity::Minutes(15), jiff::tz::TimeZone::UTC),
        );
        for i in 0..30_000i64 {
            let facts = CallFacts {
                enter_ts: 1_767_225_600 + i * 97,
                wait_s: (i % 90) as f64 + 0.25,
                talk_s: if i % 5 == 0 {
                    0.0
                } else {
                    60.0 + (i % 600) as f64
                },
                hold_s: 0.0,
                wrap_s: (i % 60) as f64,
                outcome: if i % 5 == 0 {
                    Outcome::Abandoned
                } else {
                    Outcome::Answered
                },
                sale: false,
            };
            agg.add_call(&format!("Q{}", i % 7), &facts).unwrap();
        }
        assert!(agg.len() > 4 * CSV_ROWS_PER_THREAD);
        let mut got = Vec::new();
        write_table(&mut got, &agg, OutputFormat::Csv).unwrap();
        let mut want = format!("{}\n", format::interval_csv_header(&def));
        for ((q, s), a) in agg.sorted_rows() {
            format::push_interval_csv_row(&mut want, q, *s, a, &def);
            want.push('\n');
        }
        assert!(got == want.as_bytes(), "the threaded table differs");
    }
}
