//! One error type for every handler, rendered by the context middleware as a friendly HTML page
//! or an RFC 9457 `application/problem+json` body, in the user's language.
//!
//! Internal causes are logged, never shown: users read "something went wrong".

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rumbo_domain::{Invalid, Invalids};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No valid session or token. Pages redirect to the login form.
    #[error("authentication required")]
    Unauthenticated,
    #[error("forbidden")]
    Forbidden,
    /// Also used where existence must not leak.
    #[error("not found")]
    NotFound,
    /// One or more fields are invalid (also duplicate codes and unknown references).
    #[error("invalid input")]
    Invalid(Invalids),
    /// Like `Invalid`, but the conflict is with stored data (HTTP 409).
    #[error("conflict")]
    Conflict(Invalids),
    #[error("missing or wrong CSRF token")]
    Csrf,
    #[error("too many attempts")]
    Throttled,
    /// The request body is larger than this server accepts (413).
    #[error("payload too large")]
    TooLarge,
    /// The database did not answer in time (503 with `Retry-After`); the string is logged.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// Malformed request (bad JSON, broken multipart…). The string is the parser's detail: it is
    /// logged, never shown; users read the catalogued "could not be read".
    #[error("bad request: {0}")]
    BadRequest(String),
    /// Anything else; the string is logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Throttled => StatusCode::TOO_MANY_REQUESTS,
            AppError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Catalogue key of the title.
    pub fn title_key(&self) -> &'static str {
        match self {
            AppError::Unauthenticated => "error.unauthenticated",
            AppError::Forbidden => "error.forbidden",
            AppError::NotFound => "error.not_found",
            AppError::Invalid(_) => "error.invalid",
            AppError::Conflict(_) => "error.conflict",
            AppError::Csrf => "error.csrf",
            AppError::Throttled => "error.throttled",
            AppError::TooLarge => "error.too_large",
            AppError::Unavailable(_) => "error.unavailable",
            AppError::BadRequest(_) => "error.bad_request",
            AppError::Internal(_) => "error.internal",
        }
    }

    /// Problem type slug, e.g. `/problems/validation`.
    pub fn problem_type(&self) -> &'static str {
        match self {
            AppError::Unauthenticated => "/problems/unauthenticated",
            AppError::Forbidden => "/problems/forbidden",
            AppError::NotFound => "/problems/not-found",
            AppError::Invalid(_) => "/problems/validation",
            AppError::Conflict(_) => "/problems/conflict",
            AppError::Csrf => "/problems/csrf",
            AppError::Throttled => "/problems/throttled",
            AppError::TooLarge => "/problems/too-large",
            AppError::Unavailable(_) => "/problems/unavailable",
            AppError::BadRequest(_) => "/problems/bad-request",
            AppError::Internal(_) => "/problems/internal",
        }
    }

    /// Field problems, if any.
    pub fn invalids(&self) -> &[Invalid] {
        match self {
            AppError::Invalid(i) | AppError::Conflict(i) => &i.0,
            _ => &[],
        }
    }

    pub fn invalid(field: &'static str, key: &'static str) -> AppError {
        AppError::Invalid(Invalid::new(field, key).into())
    }
}

impl From<Invalids> for AppError {
    fn from(i: Invalids) -> Self {
        AppError::Invalid(i)
    }
}

impl From<Invalid> for AppError {
    fn from(i: Invalid) -> Self {
        AppError::Invalid(i.into())
    }
}

impl From<rumbo_app::Error> for AppError {
    fn from(e: rumbo_app::Error) -> Self {
        use rumbo_app::Error as E;
        match e {
            E::Unauthenticated => AppError::Unauthenticated,
            E::Forbidden => AppError::Forbidden,
            E::NotFound => AppError::NotFound,
            E::Invalid(i) => AppError::Invalid(i),
            E::Conflict(i) => AppError::Conflict(i),
            E::Throttled => AppError::Throttled,
            E::Unavailable(source) => AppError::Unavailable(error_chain(&*source)),
            E::Cycle(_) => AppError::invalid("dependencies", "error.workplan.cycle"),
            E::Internal(source) => AppError::Internal(error_chain(&*source)),
        }
    }
}

/// An error and its sources, one line (for the log; never shown).
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str(": ");
        out.push_str(&s.to_string());
        cur = s.source();
    }
    out
}

/// Marker placed in a response's extensions; the context middleware renders it.
#[derive(Clone)]
pub struct ErrorMarker(pub Arc<AppError>);

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut res = self.status().into_response();
        res.extensions_mut().insert(ErrorMarker(Arc::new(self)));
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::i18n::Lang;

    #[test]
    fn every_error_title_and_detail_is_in_both_catalogues() {
        for e in [
            AppError::Unauthenticated,
            AppError::Forbidden,
            AppError::NotFound,
            AppError::Invalid(Invalids(vec![])),
            AppError::Conflict(Invalids(vec![])),
            AppError::Csrf,
            AppError::Throttled,
            AppError::TooLarge,
            AppError::Unavailable(String::new()),
            AppError::BadRequest(String::new()),
            AppError::Internal(String::new()),
        ] {
            for lang in Lang::ALL {
                for key in [
                    e.title_key().to_string(),
                    format!("{}.detail", e.title_key()),
                ] {
                    assert!(
                        lang.t_opt(&key).is_some(),
                        "{key} missing in {}",
                        lang.code()
                    );
                }
            }
        }
    }
}
