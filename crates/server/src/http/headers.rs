//! Security headers on every response: a content security policy without inline script,
//! no framing, no MIME sniffing, a strict referrer policy, HSTS behind TLS, and no caching of
//! anything but the style sheet (pages and API answers may hold personal data).

use axum::extract::{Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

use crate::AppState;

/// The policy of every page: only this origin's style sheet and forms; SVG charts are inline
/// markup, so inline `style` attributes are allowed, never inline or remote script.
pub const CSP: &str =
    "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Adds the headers to the handler's response (those it already set are kept).
pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let cacheable = req.uri().path().starts_with("/static/");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let mut set = |name, value: &'static str| {
        if !h.contains_key(&name) {
            h.insert(name, HeaderValue::from_static(value));
        }
    };
    set(CONTENT_SECURITY_POLICY, CSP);
    set(X_FRAME_OPTIONS, "DENY");
    set(X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(REFERRER_POLICY, "same-origin");
    if !cacheable {
        set(CACHE_CONTROL, "no-store");
    }
    if state.config.secure_cookies {
        set(
            STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        );
    }
    res
}
