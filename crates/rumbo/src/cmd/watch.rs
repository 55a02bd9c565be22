//! `rumbo watch queue-log FILE --program CODE` and `rumbo watch ami --host … --program CODE`:
//! keep a programme's live state from a growing `queue_log` (importing each finished call) or
//! from Asterisk's manager interface, until Ctrl-C or SIGTERM.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Subcommand};
use rumbo_app::live::ami::{AmiOptions, Secret};
use rumbo_app::live::follow::FollowOptions;

/// Follow the call platform live.
#[derive(Subcommand, Debug)]
pub enum WatchCmd {
    /// Follow a growing queue_log from its saved position (rotation and truncation survive),
    /// import each finished call once, and keep the live state.
    QueueLog(QueueLogArgs),
    /// Listen to Asterisk's manager interface (AMI) and keep the live state.
    Ami(AmiArgs),
}

#[derive(Args, Debug)]
pub struct QueueLogArgs {
    /// The queue_log file (followed by name, as `tail -F` does).
    file: PathBuf,
    /// Programme code.
    #[arg(long)]
    program: String,
    /// Milliseconds between looks at the file.
    #[arg(long, default_value_t = 200)]
    poll_ms: u64,
    /// Seconds a finished call waits before it is imported (with the others ready).
    #[arg(long, default_value_t = 5)]
    import_every_s: u64,
}

#[derive(Args, Debug)]
pub struct AmiArgs {
    #[arg(long)]
    host: String,
    #[arg(long, default_value_t = 5038)]
    port: u16,
    /// AMI user (manager.conf).
    #[arg(long)]
    user: String,
    /// File holding the AMI secret (never given on the command line, never logged).
    #[arg(long)]
    secret_file: PathBuf,
    /// Programme code.
    #[arg(long)]
    program: String,
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

/// Runs the command.
pub fn run(db: &str, data_dir: &Path, c: WatchCmd) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let app = rumbo_app::App::open(db, super::app_settings(data_dir))
            .await
            .map_err(super::app_error)?;
        match c {
            WatchCmd::QueueLog(a) => {
                let opts = FollowOptions {
                    poll: Duration::from_millis(a.poll_ms.max(10)),
                    import_every: Duration::from_secs(a.import_every_s),
                    ..FollowOptions::default()
                };
                let s = app
                    .follow_queue_log(&a.program, &a.file, opts, shutdown_signal())
                    .await
                    .map_err(super::app_error)?;
                out!(
                    "lines {}  batches {}  imported {}  duplicates {}  rotations {}  truncations {}",
                    s.lines,
                    s.batches,
                    s.imported,
                    s.duplicates,
                    s.rotations,
                    s.truncations
                );
            }
            WatchCmd::Ami(a) => {
                let secret = std::fs::read_to_string(&a.secret_file).map_err(|e| {
                    anyhow::anyhow!("cannot read the secret file {}: {e}", a.secret_file.display())
                })?;
                let opts = AmiOptions::new(&a.host, a.port, &a.user, Secret::new(&secret));
                let s = app
                    .watch_ami(&a.program, opts, shutdown_signal())
                    .await
                    .map_err(super::app_error)?;
                out!(
                    "connections {}  logins {}  events {}",
                    s.connections,
                    s.logins,
                    s.events
                );
            }
        }
        app.close().await;
        Ok(())
    })
}
