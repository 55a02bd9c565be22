//! `rumbo report status|kpi|actions|closeout|lessons|client --program CODE --from DATE --to DATE
//! --format pdf|xlsx|csv --lang es|en --output FILE`: a programme's report as a file, the same
//! document the pages and the API produce, rendered by `rumbo_app::report`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, ValueEnum};
use rumbo_app::report::build::RequestInput;

/// Which report.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportKind {
    /// Programme status: KPIs against targets, open alarms, work plan, budget.
    Status,
    /// KPIs for a period: summary, daily charts and table, per queue, 15-minute detail.
    Kpi,
    /// Corrective actions created in the period, with their measured effect.
    Actions,
    /// Close-out evaluation.
    Closeout,
    /// Lessons and best practices.
    Lessons,
    /// Monthly client report (service figures only).
    Client,
}

/// File format.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportFormat {
    Pdf,
    Xlsx,
    Csv,
}

/// Language of the report.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportLang {
    Es,
    En,
}

/// Write a programme's report to a file.
#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Which report.
    #[arg(value_enum)]
    kind: ReportKind,
    /// Programme code.
    #[arg(long)]
    program: String,
    /// First day, YYYY-MM-DD (default: 30 days before --to).
    #[arg(long)]
    from: Option<String>,
    /// Last day, inclusive (default: the last day with data).
    #[arg(long)]
    to: Option<String>,
    #[arg(long, value_enum, default_value = "pdf")]
    format: ReportFormat,
    #[arg(long, value_enum, default_value = "es")]
    lang: ReportLang,
    /// Where to write the file.
    #[arg(long)]
    output: PathBuf,
}

fn name<T: ValueEnum>(v: T) -> String {
    v.to_possible_value()
        .map(|p| p.get_name().to_string())
        .unwrap_or_default()
}

/// Runs the command.
pub fn run(db: &str, data_dir: &Path, a: ReportArgs) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let app = rumbo_app::App::open(db, super::app_settings(data_dir))
            .await
            .map_err(super::app_error)?;
        let req = RequestInput {
            kind: name(a.kind),
            from: a.from.clone().unwrap_or_default(),
            to: a.to.clone().unwrap_or_default(),
            format: name(a.format),
            lang: name(a.lang),
        }
        .parse()
        .map_err(super::app_error)?;
        let r = app
            .report_as_operator(&a.program, &req)
            .await
            .map_err(super::app_error);
        app.close().await;
        let r = r?;
        std::fs::write(&a.output, &r.bytes)
            .with_context(|| format!("writing {}", a.output.display()))?;
        out!(
            "{}\t{} bytes\t{} – {}\tsha256 {}",
            a.output.display(),
            r.bytes.len(),
            r.from,
            r.to,
            r.sha256
        );
        Ok(())
    })
}
