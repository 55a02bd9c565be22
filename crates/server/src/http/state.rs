//! The state every request shares: the application (use cases) and the server's settings.
//! Nothing here is per-process data a second server would lack: servers are stateless.

use std::sync::Arc;

use rumbo_app::App;

/// Server settings that handlers need (the use cases carry their own: data folder, jobs).
#[derive(Debug, Clone)]
pub struct Config {
    /// Mark cookies `Secure` (behind HTTPS).
    pub secure_cookies: bool,
    /// The largest import file accepted, in bytes (larger uploads answer 413 and leave
    /// nothing stored).
    pub max_upload_bytes: u64,
    /// The bearer token `/metrics` requires; `None` (the default): no `/metrics` at all.
    pub metrics_token: Option<String>,
}

/// 1 GiB: a year of a large queue's calls as CSV fits well below it.
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 1 << 30;

impl Default for Config {
    fn default() -> Self {
        Config {
            secure_cookies: false,
            max_upload_bytes: DEFAULT_MAX_UPLOAD_BYTES,
            metrics_token: None,
        }
    }
}

/// Shared state of every request.
#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub config: Arc<Config>,
}

impl AppState {
    pub fn new(app: App, config: Config) -> AppState {
        AppState {
            app,
            config: Arc::new(config),
        }
    }
}
