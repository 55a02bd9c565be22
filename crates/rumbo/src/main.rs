//! The `rumbo` command line: a thin layer over the library crates.
//!
//! Parsing happens here (clap); every command calls into a library crate and maps
//! its error to an exit code. `anyhow` is used only at this edge.

/// `println!` for command output that survives a closed pipe: `rumbo import … | head` stops
/// reading early, and `println!` would panic on the broken pipe. Output to a closed pipe is
/// dropped quietly (the command still finishes and exits with its own status); any other
/// write error is logged.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::write_out(format_args!("{}\n", format_args!($($arg)*)))
    };
}

mod cmd;
mod config;

/// Writes command output to stdout; see [`out!`].
pub(crate) fn write_out(args: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    if let Err(e) = std::io::stdout().lock().write_fmt(args) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            tracing::warn!(error = %e, "writing the command's output failed");
        }
    }
}

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "rumbo",
    version,
    about = "Plan, coordinate and control contact-centre programmes"
)]
struct Cli {
    /// Database: `sqlite://rumbo.db` (default, a file in this folder) or `postgres://…`.
    #[arg(long, global = true, env = "DATABASE_URL")]
    database_url: Option<String>,
    /// Configuration file (default: ./rumbo.toml when present).
    #[arg(long, global = true, env = "RUMBO_CONFIG")]
    config: Option<std::path::PathBuf>,
    /// Data folder for raw import records and uploads (default: beside an SQLite database,
    /// `x.db` → `x-data/`, else ./rumbo-data).
    #[arg(long, global = true, env = "RUMBO_DATA_DIR")]
    data_dir: Option<std::path::PathBuf>,
    /// Log format: text or json.
    #[arg(long, global = true, env = "RUMBO_LOG_FORMAT")]
    log_format: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the web application (creates ./rumbo.db and a demo programme on first start).
    Serve(cmd::serve::ServeArgs),
    /// Consistent online copy of the SQLite database.
    Backup(cmd::serve::BackupArgs),
    /// User accounts.
    #[command(subcommand)]
    User(cmd::admin::UserCmd),
    /// API tokens for scripts.
    #[command(subcommand)]
    Token(cmd::admin::TokenCmd),
    /// Programmes.
    #[command(subcommand)]
    Programs(cmd::admin::ProgramsCmd),
    /// Workforce-management calculations (Erlang C/A, staffing, forecast, schedule).
    #[command(subcommand)]
    Wfm(cmd::wfm::WfmCmd),
    /// Import call-platform data into a programme: `rumbo import FILE --program CODE` recognises
    /// the layout by content; `rumbo import queue-log|cdr|calls|quality|survey|sales FILE` names it.
    Import(cmd::import::ImportTop),
    /// KPI figures per (queue, interval): `rumbo kpi file CALLS.csv` or `rumbo kpi --program CODE`.
    Kpi(cmd::kpi::KpiArgs),
    /// Caller-number hashing keys (kept outside the database): status and rotation.
    #[command(subcommand)]
    Keys(cmd::keys::KeysCmd),
    /// Evaluate and list a programme's alarms (targets, anomalies, drifts, delays, budget, data gaps).
    Alarms(cmd::alarms::AlarmsArgs),
    /// Lessons learnt and best practices: `rumbo lessons search WORDS`.
    #[command(subcommand)]
    Lessons(cmd::lessons::LessonsCmd),
    /// A programme's report as a PDF, XLSX or CSV file (status, kpi, actions, closeout, lessons, client).
    Report(cmd::report::ReportArgs),
    /// Apply the retention policy: `rumbo purge --dry-run` counts, `rumbo purge` removes.
    Purge(cmd::privacy::PurgeArgs),
    /// Data protection: rights requests, and finding, exporting or erasing a person.
    #[command(subcommand)]
    Privacy(cmd::privacy::PrivacyCmd),
    /// Follow the call platform live: `rumbo watch queue-log FILE --program CODE` or
    /// `rumbo watch ami --host H --user U --secret-file F --program CODE`.
    #[command(subcommand)]
    Watch(cmd::watch::WatchCmd),
    /// Developer tools: seeded call generator, KPI benchmark.
    #[command(subcommand)]
    Dev(cmd::dev::DevCmd),
}

/// Every file and folder this process creates is readable by its user only (mode 0600 / 0700):
/// the database and the raw records hold personal data.
fn private_files() {
    #[cfg(unix)]
    let _previous = rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
}

fn main() -> ExitCode {
    private_files();
    let cli = Cli::parse();
    let file = match config::FileConfig::load(cli.config.as_deref()) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    };
    init_logging(cli.log_format.as_deref().or(file.log_format.as_deref()));
    let db = cli
        .database_url
        .clone()
        .or(file.database_url.clone())
        .unwrap_or_else(|| config::DEFAULT_DATABASE_URL.to_string());
    let data = file.data_dir(cli.data_dir.as_deref(), &db);
    let result = match cli.command {
        Command::Serve(a) => cmd::serve::serve(&db, &data, &file, a),
        Command::Backup(a) => cmd::serve::backup(&db, &data, a),
        Command::User(c) => cmd::admin::user(&db, c),
        Command::Token(c) => cmd::admin::token(&db, c),
        Command::Programs(c) => cmd::admin::programs(&db, c),
        Command::Wfm(c) => cmd::wfm::run(c),
        Command::Import(c) => cmd::import::run(&db, &data, c),
        Command::Kpi(c) => cmd::kpi::run(&db, &data, c),
        Command::Keys(c) => cmd::keys::run(&db, &data, c),
        Command::Alarms(c) => cmd::alarms::run(&db, &data, c),
        Command::Lessons(c) => cmd::lessons::run(&db, &data, c),
        Command::Report(c) => cmd::report::run(&db, &data, c),
        Command::Purge(a) => cmd::privacy::purge(&db, &data, a),
        Command::Privacy(c) => cmd::privacy::run(&db, &data, c),
        Command::Watch(c) => cmd::watch::run(&db, &data, c),
        Command::Dev(c) => cmd::dev::run(c),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // The reader of the output went away (`rumbo … | head`): nothing left to say.
        Err(e) if broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e)
            if e.downcast_ref::<cmd::import::MostlyNotUnderstood>()
                .is_some() =>
        {
            eprintln!("warning: {e:#}");
            ExitCode::from(cmd::import::MostlyNotUnderstood::EXIT_CODE)
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// Whether an error comes from writing to a pipe whose reader has gone.
fn broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Structured logs on stderr; `RUST_LOG` filters (default `info`).
fn init_logging(format: Option<&str>) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if format == Some("json") {
        let _ = builder.json().try_init();
    } else {
        let _ = builder.try_init();
    }
}
