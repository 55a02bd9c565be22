//! `rumbo-server`: the web application (HTML pages, the `/api/v1` JSON API and its OpenAPI
//! document) over the store and the pure cores.
//!
//! **Invariant:** only this crate knows HTTP, HTML and JSON wire formats. Handlers are thin: they
//! parse input into domain types, check access with `rumbo_domain::access`, call the store, and
//! render. Every string a user reads comes from the catalogues in `i18n/`.

pub mod access;
pub mod api;
pub mod auth;
pub mod control;
pub mod ctx;
pub mod demo;
pub mod error;
pub mod i18n;
pub mod mappings;
pub mod pages;
pub mod plan;
pub mod service;
pub mod wfm;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use rumbo_store::Store;

pub use error::AppError;

/// Server settings that handlers need.
#[derive(Debug, Clone)]
pub struct Config {
    /// Mark cookies `Secure` (behind HTTPS).
    pub secure_cookies: bool,
    /// Where import batch files and uploads live (beside an SQLite database).
    pub data_dir: std::path::PathBuf,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            secure_cookies: false,
            data_dir: std::path::PathBuf::from("rumbo-data"),
        }
    }
}

/// Shared state of every request.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<Config>,
}

/// The use cases over this state's store and data folder.
pub fn use_cases(state: &AppState) -> rumbo_app::App {
    rumbo_app::App::new(
        state.store.clone(),
        rumbo_app::Settings {
            data_dir: state.config.data_dir.clone(),
        },
    )
}

/// The whole application as a router (tests drive it with `oneshot`).
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .merge(pages::router())
        .merge(plan::router())
        .nest("/api/v1", api::router())
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ctx::context_layer,
        ))
        .with_state(state)
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(axum::extract::State(state): axum::extract::State<AppState>) -> impl IntoResponse {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(e) => {
            tracing::warn!(error = %e, "database not reachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
        }
    }
}

async fn not_found() -> AppError {
    AppError::NotFound
}

/// Serves `state` on `addr` until `shutdown` completes, then closes the store.
pub async fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let store = state.store.clone();
    let addr: Option<SocketAddr> = listener.local_addr().ok();
    tracing::info!(?addr, "listening");
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await?;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}
