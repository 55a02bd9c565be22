//! `rumbo alarms --program CODE`: evaluates a programme's alarms (as after an import) and
//! lists them, for scripts and cron jobs.

use std::path::Path;

use clap::Args;

/// Evaluate and list a programme's alarms.
#[derive(Args, Debug)]
pub struct AlarmsArgs {
    /// Programme code.
    #[arg(long)]
    program: String,
    /// List the stored alarms without evaluating first.
    #[arg(long)]
    no_evaluate: bool,
    /// Include resolved alarms.
    #[arg(long)]
    all: bool,
    /// Output as JSON lines instead of a table.
    #[arg(long)]
    json: bool,
}

/// Runs the command.
pub fn run(db: &str, data_dir: &Path, a: AlarmsArgs) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let app = rumbo_app::App::open(
            db,
            rumbo_app::Settings {
                data_dir: data_dir.to_path_buf(),
                ..rumbo_app::Settings::default()
            },
        )
        .await
        .map_err(super::app_error)?;
        let (p, alarms) = app
            .alarms_as_operator(&a.program, !a.no_evaluate, !a.all)
            .await
            .map_err(super::app_error)?;
        let tz = jiff::tz::TimeZone::get(&p.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
        let when = |ts: i64| {
            jiff::Timestamp::from_second(ts)
                .map(|t| t.to_zoned(tz.clone()).strftime("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_default()
        };
        if !a.json {
            out!("id\tstatus\tkind\tmetric\tsubject\tfrom\tto\tobserved\texpected\tmagnitude");
        }
        for x in &alarms {
            if a.json {
                out!(
                    "{}",
                    serde_json::json!({
                        "id": x.id, "status": x.status.as_str(), "kind": x.kind, "metric": x.metric,
                        "subject": x.subject, "period_start": x.period_start, "period_end": x.period_end,
                        "observed": x.observed, "expected": x.expected, "magnitude": x.magnitude,
                    })
                );
            } else {
                out!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{:.2}\t{:.2}\t{:.3}",
                    x.id,
                    x.status.as_str(),
                    x.kind,
                    x.metric,
                    x.subject,
                    when(x.period_start),
                    when(x.period_end),
                    x.observed,
                    x.expected,
                    x.magnitude
                );
            }
        }
        app.close().await;
        Ok(())
    })
}
