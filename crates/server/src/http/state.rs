//! The state every request shares: the application (use cases) and the server's settings.
//! Nothing here is per-process data a second server would lack: servers are stateless.

use std::sync::Arc;

use rumbo_app::App;

/// Server settings that handlers need (the use cases carry their own: data folder, jobs).
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Mark cookies `Secure` (behind HTTPS).
    pub secure_cookies: bool,
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
