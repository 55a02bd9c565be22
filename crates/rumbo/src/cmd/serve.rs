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
    /// Serve Prometheus metrics at `/metrics` to requests with `Authorization: Bearer
    /// <token>` (off when unset; see docs/metrics.md).
    #[arg(long, env = "RUMBO_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// Connections served at once (default 4096); more wait to be accepted.
    #[arg(long, env = "RUMBO_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// Seconds a connection has to send a request's headers, first or next (default 10);
    /// idle and half-open connections are closed after it.
    #[arg(long, env = "RUMBO_HEADER_TIMEOUT_SECS")]
    pub header_timeout_secs: Option<u64>,
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
    let smtp = file.smtp(|v| std::env::var(v).ok())?;
    if let Some(s) = &smtp {
        tracing::info!(host = %s.host, port = s.port, from = %s.from, "alarm e-mails through SMTP");
    }
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
        let settings = Settings {
            jobs,
            smtp,
            ..super::app_settings(data_dir)
        };
        let app = App::open(db_url, settings)
            .await
            .map_err(super::app_error)
            .with_context(|| format!("opening database {}", redact(db_url)))?;
        // Moves a database-era caller key out into the key file before anything is served.
        app.caller_keys()
            .await
            .map_err(super::app_error)
            .context("loading the caller-hashing keys")?;
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
                metrics_token: args
                    .metrics_token
                    .clone()
                    .or(file.metrics_token.clone())
                    .filter(|t| !t.trim().is_empty()),
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
        // One signal stops both the HTTP server and the job worker; its handlers are in place
        // before anyone is told the server listens.
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let signal = shutdown_signal();
        tokio::spawn(async move {
            signal.await;
            let _ = stop.send(true);
        });
        eprintln!("Rumbo is listening on http://{addr}");
        let wait_stop = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        let worker = (workers > 0).then(|| {
            let app = state.app.clone();
            let stop = wait_stop(stopped.clone());
            tokio::spawn(async move { app.run_job_worker(stop).await })
        });
        let defaults = rumbo_server::http::listen::Limits::default();
        let limits = rumbo_server::http::listen::Limits {
            max_connections: args
                .max_connections
                .or(file.max_connections)
                .unwrap_or(defaults.max_connections)
                .max(1),
            header_timeout: args
                .header_timeout_secs
                .or(file.header_timeout_secs)
                .map(|s| Duration::from_secs(s.max(1)))
                .unwrap_or(defaults.header_timeout),
        };
        raise_open_file_limit(limits.max_connections);
        rumbo_server::serve(state, listener, limits, wait_stop(stopped)).await?;
        if let Some(w) = worker {
            let _ = w.await;
        }
        Ok(())
    })
}

/// Raises the soft limit of open files towards the hard limit so that `connections` sockets
/// (plus the database and files) fit; a server that runs out of descriptors stops accepting.
fn raise_open_file_limit(connections: usize) {
    #[cfg(unix)]
    {
        use rustix::process::{getrlimit, setrlimit, Resource};
        let mut limit = getrlimit(Resource::Nofile);
        let want = connections as u64 + 256;
        let current = limit.current.unwrap_or(u64::MAX);
        if current >= want {
            return;
        }
        let target = limit.maximum.map_or(want, |max| want.min(max));
        limit.current = Some(target);
        match setrlimit(Resource::Nofile, limit) {
            Ok(()) => tracing::info!(open_files = target, "raised the open-file limit"),
            Err(e) => tracing::warn!(error = %e, "could not raise the open-file limit"),
        }
        if target < want {
            tracing::warn!(
                open_files = target,
                connections,
                "the open-file limit is below the connection cap"
            );
        }
    }
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

/// Registers the handlers for Ctrl-C and SIGTERM at once (so a signal that arrives right after
/// "listening" is printed stops the server gracefully instead of killing it) and returns a
/// future that completes on the first of them.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let term = signal(SignalKind::terminate());
        let int = signal(SignalKind::interrupt());
        async move {
            match (term, int) {
                (Ok(mut term), Ok(mut int)) => {
                    tokio::select! {
                        _ = term.recv() => {},
                        _ = int.recv() => {},
                    }
                }
                _ => std::future::pending::<()>().await,
            }
            tracing::info!("shutting down");
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down");
    }
}

/// Hides a password in a database URL for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[derive(clap::Args, Debug)]
pub struct BackupArgs {
    /// Where to write the copy (must not exist).
    pub file: PathBuf,
}

/// Copies the database (`VACUUM INTO`) and then the data folder's raw records beside it, as
/// `FILE` and `FILE`'s default data folder (`x.db` → `x-data/`), so the pair can be restored
/// together. Committed raw files never change, so copying them after the database gives
/// every batch of the copy its records (newer files are orphans, removed by a later import).
pub fn backup(db_url: &str, data_dir: &Path, args: BackupArgs) -> anyhow::Result<()> {
    if args.file.exists() {
        anyhow::bail!("{} already exists; choose a new file", args.file.display());
    }
    let data_copy = rumbo_app::imports::default_data_dir(&args.file.to_string_lossy());
    if data_copy.exists() {
        anyhow::bail!("{} already exists; choose a new file", data_copy.display());
    }
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let app = App::open(db_url, Settings::default())
            .await
            .map_err(super::app_error)?;
        app.backup_database_to(&args.file)
            .await
            .map_err(super::app_error)
            .context("online backup (SQLite only; use pg_dump for PostgreSQL)")?;
        app.close().await;
        eprintln!("Backup written to {}", args.file.display());
        anyhow::Ok(())
    })?;
    let files = copy_data(data_dir, &data_copy)
        .with_context(|| format!("copying {} to {}", data_dir.display(), data_copy.display()))?;
    eprintln!(
        "Data folder copied to {} ({files} files)",
        data_copy.display()
    );
    Ok(())
}

/// Copies a data folder except work in progress (`spool/`) and pending uploads (`uploads/`).
fn copy_data(from: &Path, to: &Path) -> std::io::Result<u64> {
    fn walk(from: &Path, to: &Path, top: bool) -> std::io::Result<u64> {
        let mut n = 0;
        std::fs::create_dir_all(to)?;
        let Ok(entries) = std::fs::read_dir(from) else {
            return Ok(0);
        };
        for e in entries {
            let e = e?;
            let name = e.file_name();
            if top && (name == "spool" || name == "uploads") {
                continue;
            }
            let (src, dst) = (e.path(), to.join(&name));
            if e.file_type()?.is_dir() {
                n += walk(&src, &dst, false)?;
            } else {
                std::fs::copy(&src, &dst)?;
                n += 1;
            }
        }
        Ok(n)
    }
    walk(from, to, true)
}

#[cfg(test)]
mod loopback_tests {
    use super::is_loopback;

    #[test]
    fn only_loopback_addresses_count_as_this_machine() {
        for ok in [
            "127.0.0.1:8080",
            "[::1]:80",
            "localhost:8080",
            "127.0.0.2:1",
        ] {
            assert!(is_loopback(ok), "{ok}");
        }
        for bad in [
            "0.0.0.0:8080",
            "[::]:8080",
            "10.0.0.5:80",
            "example.cl:80",
            "nonsense",
        ] {
            assert!(!is_loopback(bad), "{bad}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_in_database_urls_are_redacted() {
        assert_eq!(
            redact("postgres://rumbo:s3cret@db:5432/rumbo"),
            "postgres://rumbo:***@db:5432/rumbo"
        );
        assert_eq!(redact("sqlite://rumbo.db"), "sqlite://rumbo.db");
    }
}
