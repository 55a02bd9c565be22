//! `rumbo-server`: the web application (HTML pages, the `/api/v1` JSON API and its OpenAPI
//! document) over the use cases of `rumbo-app`.
//!
//! **Invariant:** only this crate knows HTTP, HTML and JSON wire formats. Areas: `http/`
//! (request context, errors, extractors), `view/` (layout, formats, catalogues; a leaf),
//! `features/<feature>/` (pages and API of one capability); routers are merged only here.
//! Handlers are thin: they parse input, call one `rumbo_app` use case and render. Every string
//! a user reads comes from the catalogues in `i18n/`.

pub mod features;
pub mod http;
pub mod view;

use std::net::SocketAddr;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

pub use http::error::AppError;
pub use http::state::{AppState, Config};

/// The whole application as a router (tests drive it with `oneshot`).
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(http::metrics::metrics))
        .route("/static/app.css", get(view::css))
        .merge(features::login::router())
        .merge(features::account::page_router())
        .merge(features::programmes::pages::router())
        .merge(features::programmes::archive::page_router())
        .merge(features::admin::pages::router())
        .merge(features::sections::router())
        .merge(features::wfm::page_router())
        .merge(features::control::page_router())
        .merge(features::cockpit::page_router())
        .merge(features::live::page_router())
        .merge(features::mappings::page_router())
        .merge(features::plan::router())
        .merge(features::privacy::router())
        .merge(features::closeout::page_router())
        .merge(features::reports::page_router())
        .nest("/api/v1", api_router())
        .fallback(not_found)
        .layer(axum::middleware::from_fn(http::metrics::record))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            http::ctx::context_layer,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            http::headers::security_headers,
        ))
        .with_state(state)
}

/// Every `/api/v1` route (the plan's API routes carry their full paths and are merged above).
fn api_router() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(features::openapi::document))
        .merge(features::admin::api::router())
        .merge(features::account::api_router())
        .merge(features::programmes::api::router())
        .merge(features::programmes::archive::api_router())
        .merge(features::wfm::api_router())
        .merge(features::control::api_router())
        .merge(features::cockpit::api_router())
        .merge(features::live::api_router())
        .merge(features::mappings::api_router())
        .merge(features::privacy::api::router())
        .merge(features::closeout::api_router())
        .merge(features::reports::api_router())
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(axum::extract::State(state): axum::extract::State<AppState>) -> impl IntoResponse {
    match state.app.ping().await {
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

/// Serves `state` on `listener` within `limits` (header and idle timeouts, connection cap)
/// until `shutdown` completes, then closes the database.
pub async fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
    limits: http::listen::Limits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let use_cases = state.app.clone();
    let addr: Option<SocketAddr> = listener.local_addr().ok();
    tracing::info!(?addr, ?limits, "listening");
    http::listen::serve(app(state), listener, limits, shutdown).await?;
    use_cases.close().await;
    tracing::info!("stopped");
    Ok(())
}
