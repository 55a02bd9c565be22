//! `rumbo serve` and `rumbo backup`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use rumbo_app::jobs::JobSettings;
use rumbo_app::{App, Settings};
use rumbo_server::{AppState, Config};

use crate::config::{FileConfig, DEFAULT_BIND};

#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "RUMBO_BIND")]
    pub bind: Option<String>,
    /// Do not create the demo programme and accounts in an empty database.
    #[arg(long, env = "RUMBO_NO_DEMO")]
    pub no_demo: bool,
    /// Mark cookies `Secure` (set when served behind HTTPS).
    #[arg(long, env = "RUMBO_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// Import jobs this server runs at once (default 1; 0: none, other servers run them).
    #[arg(long, env = "RUMBO_JOB_WORKERS")]
    pub job_workers: Option<usize>,
    /// Seconds without a heartbeat after which another server takes a running import over
    /// (default 30; use the same value on every server of one database).
    #[arg(long, env = "RUMBO_JOB_STALE_SECS")]
    pub job_stale_secs: Option<u64>,
    /// The largest import file accepted, in MiB (default 1024); larger uploads answer 413.
    #[arg(long, env = "RUMBO_MAX_UPLOAD_MB")]
    pub max_upload_mb: Option<u64>,
    /// Test only: pause this many milliseconds after each block an import reads, so crash
    /// tests can stop a server mid-import.
    #[arg(long, env = "RUMBO_TEST_SLOW_IMPORT_MS", hide = true)]
    pub test_slow_import_ms: Option<u64>,
}

pub fn serve(
    db_url: &str,
    data_dir: &Path,
    file: &FileConfig,
    args: ServeArgs,
) -> anyhow::Result<()> {
    let bind = args
        .bind
        .or(file.bind.clone())
        .unwrap_or_else(|| DEFAULT_BIND.into());
    let demo = !args.no_demo && file.demo.unwrap_or(true);
    let secure = args.secure_cookies || file.secure_cookies.unwrap_or(false);
    let workers = args.job_workers.or(file.job_workers).unwrap_or(1);
    let mut jobs = JobSettings::default().with_stale_after(Duration::from_secs(
        args.job_stale_secs.or(file.job_stale_secs).unwrap_or(30),
    ));
    jobs.concurrency = workers.max(1);
    jobs.slow_import = args.test_slow_import_ms.map(Duration::from_millis);
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
        let settings = Settings { data_dir: data_dir.to_path_buf(), jobs };
        let app = App::open(db_url, settings)
            .await
            .map_err(super::app_error)
            .with_context(|| format!("opening database {}", redact(db_url)))?;
        let max_upload_bytes = args
            .max_upload_mb
            .or(file.max_upload_mb)
            .map(|mb| mb.saturating_mul(1 << 20))
            .unwrap_or(rumbo_server::http::state::DEFAULT_MAX_UPLOAD_BYTES);
        let state = AppState::new(
            app,
            Config {
                secure_cookies: secure,
                max_upload_bytes,
            },
        );
        if demo {
            if state.app.seed_demo_if_empty().await? {
                tracing::info!("seeded the demo programmes");
                eprintln!(
                    "Demo data created. Log in as jefa@demo.rumbo.cl (or admin@, supervisor@, analista@, cliente@demo.rumbo.cl) \
                     with password {}",
                    rumbo_app::demo::DEMO_PASSWORD
                );
            }
            match state.app.seed_demo_calls().await {
                Ok(true) => tracing::info!("imported demo call history"),
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "could not import the demo call history"),
            }
        }
        if !is_loopback(&bind) {
            let exposed = state
                .app
                .accounts_with_demo_password()
                .await
                .map_err(super::app_error)?;
            if !exposed.is_empty() {
                anyhow::bail!(
                    "refusing to listen on {bind}: the demo accounts {} still accept the published \
                     demo password. Change each with `rumbo user password EMAIL`, or listen on \
                     127.0.0.1 only",
                    exposed.join(", ")
                );
            }
        }
        let listener = tokio::net::TcpListener::bind(&bind)
            .await
            .with_context(|| format!("binding {bind}"))?;
        let addr = listener.local_addr()?;
        // One signal stops both the HTTP server and the job worker.
        let signal = shutdown_signal();
        eprintln!("Rumbo is listening on http://{addr}");
        let (stop, stopped) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            signal.await;
            let _ = stop.send(true);
        });
        let wait_stop = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        let worker = (workers > 0).then(|| {
            let app = state.app.clone();
            let stop = wait_stop(stopped.clone());
            tokio::spawn(async move { app.run_job_worker(stop).await })
        });
        rumbo_server::serve(state, listener, wait_stop(stopped)).await?;
        if let Some(w) = worker {
            let _ = w.await;
        }
        Ok(())
    })
}

/// Whether `bind` (`HOST:PORT`) only listens on this machine.
fn is_loopback(bind: &str) -> bool {
    match bind.parse::<std::net::SocketAddr>() {
        Ok(a) => a.ip().is_loopback(),
        Err(_) => bind
            .rsplit_once(':')
            .is_some_and(|(host, _)| host.eq_ignore_ascii_case("localhost")),
    }
}

/// Installs the SIGTERM and Ctrl-C handlers now (before the server says it is listening, so a
/// signal sent right after that line is never met by the default action) and returns a future
/// that resolves when either arrives.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let ctrl_c = tokio::signal::ctrl_c();
    async move {
        #[cfg(unix)]
        let term = async move {
            match term {
                Some(mut s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! {
            _ = ctrl_c => {},
            _ = term => {},
        }
        tracing::info!("shutting down");
    }
}
