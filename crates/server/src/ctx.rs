//! The request context: who is asking, in which language, with which CSRF token.
//!
//! One middleware builds a [`Ctx`] per request (one session or token lookup), and renders any
//! [`AppError`] the handler returned as an HTML page or a problem+json body.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::header::{ACCEPT_LANGUAGE, AUTHORIZATION, CONTENT_TYPE, COOKIE, LOCATION};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rumbo_domain::access::Role;
use rumbo_store::users::User;
use rumbo_store::Actor;
use serde::de::DeserializeOwned;

use crate::auth::{self, cookie, same_token};
use crate::error::{AppError, ErrorMarker};
use crate::i18n::Lang;
use crate::AppState;

/// What every handler knows about the request.
#[derive(Clone, Debug)]
pub struct Ctx {
    pub user: Option<User>,
    pub lang: Lang,
    /// The token a form must echo in `_csrf` (session-bound when logged in).
    pub csrf: String,
    pub session_hash: Option<String>,
    pub is_api: bool,
}

impl Ctx {
    /// The logged-in user or `Unauthenticated`.
    pub fn user(&self) -> Result<&User, AppError> {
        self.user.as_ref().ok_or(AppError::Unauthenticated)
    }

    /// The user's organisation role.
    pub fn role(&self) -> Result<Role, AppError> {
        let u = self.user()?;
        Role::parse(&u.role).ok_or(AppError::Forbidden)
    }

    /// The logged-in user as the use cases know them.
    pub fn principal(&self) -> Result<rumbo_app::Principal, AppError> {
        let u = self.user()?;
        Ok(rumbo_app::Principal {
            user_id: u.id,
            email: u.email.clone(),
            role: self.role()?,
            client_id: u.client_id,
        })
    }

    pub fn actor(&self) -> Result<Actor, AppError> {
        let u = self.user()?;
        Ok(Actor::user(u.id, &u.email))
    }

    pub fn t(&self, key: &str) -> &'static str {
        self.lang.t(key)
    }

    pub fn tf(&self, key: &str, args: &[(&str, &str)]) -> String {
        self.lang.tf(key, args)
    }

    pub fn require_role(&self, allowed: &[Role]) -> Result<Role, AppError> {
        let r = self.role()?;
        if allowed.contains(&r) {
            Ok(r)
        } else {
            Err(AppError::Forbidden)
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Ctx>()
            .cloned()
            .ok_or_else(|| AppError::Internal("context middleware missing".into()))
    }
}

async fn build_ctx(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    is_api: bool,
) -> Result<Ctx, AppError> {
    let cookies = headers
        .get(COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let accept = headers
        .get(ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Lang::from_accept_language);
    let mut ctx = Ctx {
        user: None,
        lang: cookie(cookies, auth::LANG_COOKIE)
            .and_then(Lang::parse)
            .or(if is_api { accept } else { None })
            .unwrap_or_default(),
        csrf: cookie(cookies, auth::CSRF_COOKIE).unwrap_or("").to_string(),
        session_hash: None,
        is_api,
    };
    if is_api {
        let bearer = headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if let Some(token) = bearer {
            ctx.user = state
                .store
                .user_by_api_token(&auth::token_hash(token.trim()))
                .await?;
            if ctx.user.is_none() {
                return Err(AppError::Unauthenticated);
            }
        }
        if let Some(u) = &ctx.user {
            ctx.lang = accept.or_else(|| Lang::parse(&u.lang)).unwrap_or_default();
        }
    } else if let Some(token) = cookie(cookies, auth::SESSION_COOKIE) {
        let hash = auth::token_hash(token);
        if let Some(s) = state.store.session(&hash).await? {
            ctx.lang = Lang::parse(&s.user.lang).unwrap_or_default();
            ctx.user = Some(s.user);
            ctx.csrf = s.csrf;
            ctx.session_hash = Some(hash);
        }
    }
    Ok(ctx)
}

/// Builds the context, runs the handler and renders errors.
pub async fn context_layer(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let is_api = req.uri().path().starts_with("/api/");
    let headers = req.headers().clone();
    let ctx = match build_ctx(&state, &headers, is_api).await {
        Ok(c) => c,
        Err(e) => {
            let fallback = Ctx {
                user: None,
                lang: Lang::default(),
                csrf: String::new(),
                session_hash: None,
                is_api,
            };
            return render_error(&state, &fallback, &e);
        }
    };
    req.extensions_mut().insert(ctx.clone());
    let res = next.run(req).await;
    match res.extensions().get::<ErrorMarker>() {
        Some(ErrorMarker(err)) => render_error(&state, &ctx, err),
        None => res,
    }
}

fn render_error(state: &AppState, ctx: &Ctx, err: &AppError) -> Response {
    if let AppError::Internal(cause) = err {
        tracing::error!(%cause, "request failed");
    }
    if ctx.is_api {
        let invalid: Vec<_> = err
            .invalids()
            .iter()
            .map(
                |i| serde_json::json!({ "field": i.field, "code": i.key, "message": ctx.t(i.key) }),
            )
            .collect();
        let detail = match err {
            AppError::BadRequest(msg) => msg.clone(),
            _ if !invalid.is_empty() => err
                .invalids()
                .iter()
                .map(|i| ctx.t(i.key))
                .collect::<Vec<_>>()
                .join(" "),
            _ => ctx.t(&format!("{}.detail", err.title_key())).to_string(),
        };
        let mut body = serde_json::json!({
            "type": err.problem_type(),
            "title": ctx.t(err.title_key()),
            "status": err.status().as_u16(),
            "detail": detail,
        });
        if !invalid.is_empty() {
            body["errors"] = serde_json::Value::Array(invalid);
        }
        let mut res = (err.status(), body.to_string()).into_response();
        res.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if matches!(err, AppError::Unauthenticated) {
            res.headers_mut()
                .insert("www-authenticate", HeaderValue::from_static("Bearer"));
        }
        res
    } else if matches!(err, AppError::Unauthenticated) {
        let mut res = StatusCode::SEE_OTHER.into_response();
        res.headers_mut()
            .insert(LOCATION, HeaderValue::from_static("/login"));
        res
    } else {
        let _ = state;
        let html = crate::pages::error_page(ctx, err);
        (err.status(), html).into_response()
    }
}

/// Parsed `application/x-www-form-urlencoded` fields, repeated keys kept.
#[derive(Debug, Clone, Default)]
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    pub fn parse(bytes: &[u8]) -> FormData {
        FormData(
            form_urlencoded::parse(bytes)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    pub fn opt(&self, name: &str) -> Option<String> {
        let v = self.get(name).trim();
        (!v.is_empty()).then(|| v.to_string())
    }

    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// A form post whose `_csrf` field matched the session's (or, before login, the CSRF cookie's)
/// token. Anything else is refused with 403.
pub struct Form(pub FormData);

impl FromRequest<AppState> for Form {
    type Rejection = AppError;

    async fn from_request(req: Request<Body>, state: &AppState) -> Result<Self, Self::Rejection> {
        let expected = req
            .extensions()
            .get::<Ctx>()
            .map(|c| c.csrf.clone())
            .unwrap_or_default();
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| AppError::BadRequest(e.body_text()))?;
        let data = FormData::parse(&bytes);
        if expected.is_empty() || !same_token(data.get("_csrf"), &expected) {
            return Err(AppError::Csrf);
        }
        Ok(Form(data))
    }
}

/// JSON request bodies whose rejections answer in problem+json.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request<Body>, state: &S) -> Result<Self, Self::Rejection> {
        axum::Json::<T>::from_request(req, state)
            .await
            .map(|axum::Json(v)| ApiJson(v))
            .map_err(|e| AppError::BadRequest(e.body_text()))
    }
}

/// The text of a multipart field, with rejections in Rumbo's format.
pub async fn multipart_text(
    field: axum::extract::multipart::Field<'_>,
) -> Result<String, AppError> {
    field
        .text()
        .await
        .map_err(|e| AppError::BadRequest(e.body_text()))
}

/// Whether a submitted `_csrf` value matches the request's token.
pub fn csrf_matches(ctx: &Ctx, submitted: &str) -> bool {
    !ctx.csrf.is_empty() && same_token(submitted, &ctx.csrf)
}
