//! HTTP plumbing shared by every feature: the request context and its middleware, the error type
//! and its rendering (HTML page or problem+json), extractors, cookies and tokens, and the access
//! check on a programme. It imports `view` (to render errors) and never a feature.

pub mod access;
pub mod auth;
pub mod ctx;
pub mod error;
pub mod headers;
pub mod listen;
pub mod metrics;
pub mod state;

/// A JSON document already serialised (e.g. kept in the result cache), as a 200 answer.
pub fn json_text(json: &str) -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        [(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/json"),
        )],
        json.to_owned(),
    )
        .into_response()
}
