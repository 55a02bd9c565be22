//! `rumbo import [queue-log|cdr|calls|quality|survey|sales] FILE --program CODE [--mapping NAME]`:
//! imports a file into a programme as one batch (all or nothing), with a progress bar and a
//! data-quality summary. Without a kind, the layout is recognised from the file's content; the
//! layout taken is printed with the batch, and a file of no known layout is refused with the
//! line that was read. `rumbo import save-mapping` stores a column mapping under a name;
//! `rumbo import delete BATCH --program CODE` deletes a batch (audited; its records and
//! aggregates go with it).
//!
//! Exit status of an import: 0 when the batch is committed, 1 when the file is refused or the
//! import fails (nothing is stored), and 3 when the batch is committed but most of its lines
//! were not understood (probably the wrong source or a file that needs a mapping).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use rumbo_app::imports::Source;
use rumbo_app::mappings::Mapping;
use rumbo_app::operator::MappingChoice;
use rumbo_app::{App, Settings};

/// `rumbo import`: a kind subcommand, or a file whose layout is recognised by its content.
#[derive(clap::Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ImportTop {
    #[command(subcommand)]
    cmd: Option<ImportCmd>,
    /// File to import (its layout is recognised from its content).
    file: Option<PathBuf>,
    /// Programme code.
    #[arg(long)]
    program: Option<String>,
    /// Saved mapping name, or a path to a mapping file (.toml/.json).
    #[arg(long)]
    mapping: Option<String>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

#[derive(clap::Subcommand, Debug)]
pub enum ImportCmd {
    /// Asterisk queue_log (file or a DB-table export as CSV).
    QueueLog(ImportArgs),
    /// Asterisk CDR CSV (Master.csv).
    Cdr(ImportArgs),
    /// Call CSV/XLSX: the standard columns without --mapping, any vendor layout with one.
    Calls(ImportArgs),
    /// QA evaluations (CSV/XLSX with --mapping).
    Quality(ImportArgs),
    /// CSAT/NPS survey answers (CSV/XLSX with --mapping).
    Survey(ImportArgs),
    /// Sales results (CSV/XLSX with --mapping).
    Sales(ImportArgs),
    /// Delete an import batch: its records, issues and aggregates (figures are recomputed
    /// from the batches that remain); the deletion is audited.
    Delete {
        /// Batch number (as `rumbo import` printed it, or from the batch list).
        batch: i64,
        /// Programme code.
        #[arg(long)]
        program: String,
    },
    /// Save a column mapping (TOML or JSON file) under a name, for one programme or all.
    SaveMapping {
        /// Mapping name used with --mapping.
        name: String,
        /// TOML or JSON file with kind, columns, date_format, timezone, ...
        file: PathBuf,
        /// Programme code (omit for a mapping shared by all programmes).
        #[arg(long)]
        program: Option<String>,
    },
}

#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    /// File to import.
    file: PathBuf,
    /// Programme code.
    #[arg(long)]
    program: String,
    /// Saved mapping name, or a path to a mapping file (.toml/.json).
    #[arg(long)]
    mapping: Option<String>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

/// The import committed a batch, but most of its lines were not understood: the process
/// exits with [`MostlyNotUnderstood::EXIT_CODE`] so scripts notice.
#[derive(Debug)]
pub struct MostlyNotUnderstood {
    /// The batch.
    pub batch_id: i64,
    /// Lines not understood.
    pub not_understood: u64,
    /// Lines read.
    pub lines_read: u64,
}

impl MostlyNotUnderstood {
    /// Exit status of an import whose batch is mostly not understood.
    pub const EXIT_CODE: u8 = 3;
}

impl std::fmt::Display for MostlyNotUnderstood {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "batch {} is mostly not understood: {} of {} lines were unreadable or unknown events (wrong source, or the file needs a mapping?)",
            self.batch_id, self.not_understood, self.lines_read
        )
    }
}

impl std::error::Error for MostlyNotUnderstood {}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

fn parse_mapping_file(path: &Path) -> anyhow::Result<Mapping> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    if path.extension().is_some_and(|e| e == "json") {
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    } else {
        toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    }
}

pub fn run(db: &str, data_dir: &Path, top: ImportTop) -> anyhow::Result<()> {
    let Some(cmd) = top.cmd else {
        let (Some(file), Some(program)) = (top.file, top.program) else {
            bail!("usage: rumbo import FILE --program CODE [--mapping NAME] (or rumbo import KIND FILE …; see --help)");
        };
        let args = ImportArgs {
            file,
            program,
            mapping: top.mapping,
            quiet: top.quiet,
        };
        return import(db, data_dir, Source::Auto, args);
    };
    let (source, args) = match cmd {
        ImportCmd::QueueLog(a) => (Source::QueueLog, a),
        ImportCmd::Cdr(a) => (Source::Cdr, a),
        ImportCmd::Calls(a) => (Source::Calls, a),
        ImportCmd::Quality(a) => (Source::Quality, a),
        ImportCmd::Survey(a) => (Source::Survey, a),
        ImportCmd::Sales(a) => (Source::Sales, a),
        ImportCmd::SaveMapping {
            name,
            file,
            program,
        } => return save_mapping(db, &name, &file, program.as_deref()),
        ImportCmd::Delete { batch, program } => return delete(db, data_dir, batch, &program),
    };
    import(db, data_dir, source, args)
}

/// The refusal of a file of no known layout, naming the file, the line read and what it holds.
fn unrecognised(path: &Path, e: rumbo_app::Error) -> anyhow::Error {
    use rumbo_app::imports::{recognise_file, unrecognised_key, Detection};
    if let Ok(Detection::Unrecognised {
        found,
        line,
        sample,
    }) = recognise_file(path)
    {
        let key = unrecognised_key(found);
        if matches!(&e, rumbo_app::Error::Invalid(list) if list.0.iter().any(|i| i.key == key)) {
            let es = rumbo_server::view::i18n::Lang::Es;
            return anyhow::anyhow!(
                "{}:{line}: {}\n  se leyó: {sample:?}",
                path.display(),
                es.t(key)
            );
        }
    }
    super::app_error(e)
}

fn import(db: &str, data_dir: &Path, source: Source, args: ImportArgs) -> anyhow::Result<()> {
    let mapping = match &args.mapping {
        None => MappingChoice::None,
        Some(m) if Path::new(m).is_file() => MappingChoice::Given {
            name: m.clone(),
            mapping: parse_mapping_file(Path::new(m))?,
        },
        Some(m) => MappingChoice::Saved(m.clone()),
    };
    let len = std::fs::metadata(&args.file)
        .with_context(|| format!("reading {}", args.file.display()))?
        .len();
    runtime()?.block_on(async {
        let settings = super::app_settings(data_dir);
        let app = App::open(db, settings).await.map_err(super::app_error).context("opening the database")?;
        match app.programme_for_operator(&args.program).await {
            Err(rumbo_app::Error::NotFound) => bail!("no programme with code {:?}", args.program),
            other => other.map_err(super::app_error)?,
        };
        let bar = if args.quiet { indicatif::ProgressBar::hidden() } else { indicatif::ProgressBar::new(len) };
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {msg} [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_message(format!("importing {}", args.file.display()));
        let t = std::time::Instant::now();
        let done = app
            .import_as_operator(&args.program, &args.file, source, mapping, |done| bar.set_position(done))
            .await
            .map_err(|e| unrecognised(&args.file, e))?;
        bar.finish_and_clear();
        let report = done.report;
        out!("layout: {} ({})", report.layout, report.source.as_str());
        out!(
            "batch {}: {} lines read, {} imported, {} duplicates skipped, {} rejected, {} suspicious ({:.2} s)",
            report.batch_id,
            report.lines_read,
            report.imported,
            report.duplicates,
            report.rejected,
            report.suspicious,
            t.elapsed().as_secs_f64()
        );
        let issues = done.first_issues;
        for i in &issues {
            out!("  line {}: {} ({}): {}", i.line, i.severity, i.kind, i.message);
        }
        let total = report.rejected + report.suspicious;
        if total > issues.len() as u64 {
            out!("  ... {} more in the batch's data-quality report", total - issues.len() as u64);
        }
        app.close().await;
        if report.mostly_not_understood {
            return Err(MostlyNotUnderstood {
                batch_id: report.batch_id,
                not_understood: report.not_understood,
                lines_read: report.lines_read,
            }
            .into());
        }
        Ok(())
    })
}

fn delete(db: &str, data_dir: &Path, batch: i64, program: &str) -> anyhow::Result<()> {
    runtime()?.block_on(async {
        let settings = Settings {
            data_dir: data_dir.to_path_buf(),
            ..Settings::default()
        };
        let app = App::open(db, settings)
            .await
            .map_err(super::app_error)
            .context("opening the database")?;
        let b = match app.delete_import_batch_as_operator(program, batch).await {
            Err(rumbo_app::Error::NotFound) => {
                bail!("no batch {batch} in programme {program:?}")
            }
            other => other.map_err(super::app_error)?,
        };
        out!(
            "deleted batch {} ({}, {} records imported, {} lines read)",
            b.id,
            b.file_name,
            b.imported,
            b.lines_read
        );
        app.close().await;
        Ok(())
    })
}

fn save_mapping(db: &str, name: &str, file: &Path, program: Option<&str>) -> anyhow::Result<()> {
    let mapping = parse_mapping_file(file)?;
    runtime()?.block_on(async {
        let app = App::open(db, Settings::default())
            .await
            .map_err(super::app_error)
            .context("opening the database")?;
        app.save_mapping_as_operator(program, name, &mapping)
            .await
            .map_err(super::app_error)
            .with_context(|| match program {
                Some(code) => format!("saving mapping {name:?} for programme {code:?}"),
                None => format!("saving mapping {name:?}"),
            })?;
        out!("saved mapping {name:?}");
        app.close().await;
        Ok(())
    })
}
