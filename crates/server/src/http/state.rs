//! The state every request shares: the application (use cases) and the server's settings.
//! Nothing here is per-process data a second server would lack: servers are stateless.

use std::sync::Arc;

use rumbo_app::{App, Settings, Store};

/// Server settings that handlers need.
#[derive(Debug, Clone)]
pub struct Config {
    /// Mark cookies `Secure` (behind HTTPS).
    pub secure_cookies: bool,
    /// Where import batch files and uploads live (beside an SQLite database).
    pub data_dir: std::path::PathBuf,
    /// How background jobs (imports) run.
    pub jobs: rumbo_app::jobs::JobSettings,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            secure_cookies: false,
            data_dir: std::path::PathBuf::from("rumbo-data"),
            jobs: rumbo_app::jobs::JobSettings::default(),
        }
    }
}

/// Shared state of every request.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub app: App,
    pub config: Arc<Config>,
}

impl AppState {
    pub fn new(store: Store, config: Config) -> AppState {
        let app = App::new(
            store.clone(),
            Settings {
                data_dir: config.data_dir.clone(),
                jobs: config.jobs.clone(),
            },
        );
        AppState {
            store,
            app,
            config: Arc::new(config),
        }
    }
}
