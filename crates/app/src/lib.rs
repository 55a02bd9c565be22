//! `rumbo-app`: the use cases of Rumbo, shared by the web server and the command line.
//!
//! Every capability a person reaches (a page, an API route, a CLI command) is one call into
//! this crate: access decisions for a [`Principal`], programmes, clients and users (with their
//! rules, once), imports and their jobs, KPI reporting and target judgement, the plan. It knows
//! no HTTP and writes no SQL: the store is its only way to the database, the pure cores its
//! maths. Its one error type, [`Error`], keeps the source chain for logs and says to callers
//! only what they may show.

pub mod access;
pub mod accounts;
mod background;
pub mod batches;
pub mod cache;
pub mod calls_file;
pub mod closeout;
pub mod control;
pub mod credentials;
pub mod demo;
pub mod error;
pub mod imports;
pub mod jobs;
pub mod keys;
pub mod kpis;
pub mod lessons;
pub mod live;
pub mod mappings;
pub mod model;
pub mod notify;
pub mod operator;
pub mod ops;
pub mod plan;
pub mod privacy;
pub mod programmes;
pub mod report;
pub mod totp;

pub use access::Principal;
pub use error::{Error, Result};

use std::path::PathBuf;
use std::sync::Arc;

pub use rumbo_store::Store;

/// Settings the use cases need (from the binary's configuration).
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where raw import records and uploads live on the embedded (SQLite) default.
    pub data_dir: PathBuf,
    /// How background jobs (imports) are run.
    pub jobs: jobs::JobSettings,
    /// Caller-hashing keys given by the environment (`RUMBO_CALLER_KEYS`, see [`keys`]);
    /// `None`: the key file in the data folder.
    pub caller_keys: Option<String>,
    /// Where e-mail notifications of new alarms go; `None`: no e-mail.
    pub smtp: Option<notify::SmtpSettings>,
    /// The words of reports (the server's catalogues); by default each key stands for itself.
    pub report_words: report::build::WordsHandle,
    /// Threads that read a standard call CSV during an import (0: one per core).
    pub import_threads: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            data_dir: PathBuf::from("rumbo-data"),
            jobs: jobs::JobSettings::default(),
            caller_keys: None,
            smtp: None,
            report_words: report::build::WordsHandle::default(),
            import_threads: 0,
        }
    }
}

/// The application: cheap to clone, shared by every request, job and command.
#[derive(Clone, Debug)]
pub struct App {
    store: Store,
    settings: Arc<Settings>,
    /// Computed results keyed by the programme's data version ([`cache`]).
    cache: Arc<cache::ResultCache>,
    /// Committed batches' natural keys, for imports ([`imports::KeyCache`]).
    keys: Arc<imports::KeyCache>,
    /// Programmes whose alarms this process is evaluating now, and whether another run was
    /// asked for meanwhile.
    evaluating: Arc<std::sync::Mutex<std::collections::HashMap<i64, bool>>>,
    /// When this process last swept each programme's raw folder for orphans.
    swept: Arc<std::sync::Mutex<std::collections::HashMap<i64, std::time::Instant>>>,
    /// Batches known to have their rollups, per (programme, definition, time zone)
    /// ([`kpis::RollupChecks`]).
    rollup_checks: Arc<kpis::RollupChecks>,
}

impl App {
    /// Opens (creating if needed) the database at `database_url` (`sqlite://PATH` or
    /// `postgres://…`), applies pending migrations, and returns the application over it.
    pub async fn open(database_url: &str, settings: Settings) -> Result<App> {
        let store = Store::open(database_url).await?;
        Ok(App::new(store, settings))
    }

    /// The application over `store`; the data folder is made absolute, so every command and
    /// the server agree on it whatever their working directory.
    pub fn new(store: Store, mut settings: Settings) -> App {
        settings.data_dir = imports::absolute(&settings.data_dir);
        App {
            store,
            settings: Arc::new(settings),
            cache: Arc::new(cache::ResultCache::default()),
            keys: Arc::new(imports::KeyCache::default()),
            evaluating: Arc::default(),
            swept: Arc::default(),
            rollup_checks: Arc::default(),
        }
    }

    /// The store (for this crate's modules and tests; callers outside use the use cases).
    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Is the database reachable? (readiness probes)
    pub async fn ping(&self) -> Result<()> {
        Ok(self.store.ping().await?)
    }

    /// A consistent online copy of an SQLite database into `dest` (`VACUUM INTO`); the data
    /// folder is copied by the caller after it.
    pub async fn backup_database_to(&self, dest: &std::path::Path) -> Result<()> {
        Ok(self.store.backup_to(dest).await?)
    }

    /// Closes every database connection (graceful shutdown; lets SQLite checkpoint its WAL).
    pub async fn close(&self) {
        self.store.close().await;
    }
}
