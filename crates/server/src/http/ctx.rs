//! The request context: who is asking, in which language, with which CSRF token.
//!
//! One middleware builds a [`Ctx`] per request (one session or token lookup), and renders any
//! [`AppError`] the handler returned as an HTML page or a problem+json body.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::header::{
    ACCEPT_LANGUAGE, AUTHORIZATION, CONTENT_TYPE, COOKIE, LOCATION, RETRY_AFTER,
};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rumbo_app::model::Actor;
use rumbo_app::model::User;
use rumbo_app::Principal;
use rumbo_domain::access::Role;
use serde::de::DeserializeOwned;

use crate::http::auth::{self, cookie, same_token};
use crate::http::error::{AppError, ErrorMarker};
use crate::view::i18n::Lang;
use crate::view::ViewCx;
use crate::AppState;

/// What every handler knows about the request. It dereferences to the [`ViewCx`] that views
/// take (language, CSRF token, who is logged in).
#[derive(Clone, Debug)]
pub struct Ctx {
    pub view: ViewCx,
    pub user: Option<User>,
    pub session_hash: Option<String>,
    pub is_api: bool,
    /// The client's address as the listener saw it (empty when unknown, e.g. in-process
    /// tests); login throttling counts per account and address.
    pub client_addr: String,
}

impl std::ops::Deref for Ctx {
    type Target = ViewCx;

    fn deref(&self) -> &ViewCx {
        &self.view
    }
}

impl std::ops::DerefMut for Ctx {
    fn deref_mut(&mut self) -> &mut ViewCx {
        &mut self.view
    }
}

impl Ctx {
    /// The logged-in user or `Unauthenticated`.
    pub fn user(&self) -> Result<&User, AppError> {
        self.user.as_ref().ok_or(AppError::Unauthenticated)
    }

    /// The user's organisation role.
    pub fn role(&self) -> Result<Role, AppError> {
        Ok(self.user()?.role)
    }

    pub fn actor(&self) -> Result<Actor, AppError> {
        let u = self.user()?;
        Ok(Actor::user(u.id, &u.email))
    }

    /// Who is asking, for the use cases.
    pub fn principal(&self) -> Result<Principal, AppError> {
        let u = self.user()?;
        Ok(Principal {
            user_id: u.id,
            email: u.email.clone(),
            role: u.role,
            client_id: u.client_id,
        })
    }

    /// Sets the logged-in user (and what the page frame shows of them).
    fn set_user(&mut self, user: User) {
        self.view.who = Some((user.name.clone(), user.role));
        self.user = Some(user);
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
        view: ViewCx {
            lang: cookie(cookies, auth::LANG_COOKIE)
                .and_then(Lang::parse)
                .or(if is_api { accept } else { None })
                .unwrap_or_default(),
            csrf: cookie(cookies, auth::CSRF_COOKIE).unwrap_or("").to_string(),
            who: None,
            path: String::new(),
        },
        user: None,
        session_hash: None,
        is_api,
        client_addr: String::new(),
    };
    if is_api {
        let bearer = headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if let Some(token) = bearer {
            match state.app.user_by_api_token(token).await? {
                Some(u) => ctx.set_user(u),
                None => return Err(AppError::Unauthenticated),
            }
        }
        if let Some(u) = &ctx.user {
            ctx.lang = accept.or_else(|| Lang::parse(&u.lang)).unwrap_or_default();
        }
    } else if let Some(token) = cookie(cookies, auth::SESSION_COOKIE) {
        let hash = rumbo_app::credentials::token_hash(token);
        if let Some(s) = state.app.session(&hash).await? {
            ctx.lang = Lang::parse(&s.user.lang).unwrap_or_default();
            ctx.set_user(s.user);
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
    let client_addr = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_default();
    let ctx = match build_ctx(&state, &headers, is_api).await {
        Ok(mut c) => {
            c.client_addr = client_addr;
            if req.method() == axum::http::Method::GET {
                c.view.path = req
                    .uri()
                    .path_and_query()
                    .map(|p| p.as_str().to_string())
                    .unwrap_or_default();
            }
            c
        }
        Err(e) => {
            let fallback = Ctx {
                view: ViewCx::default(),
                user: None,
                session_hash: None,
                is_api,
                client_addr: String::new(),
            };
            return render_error(&state, &fallback, &e);
        }
    };
    req.extensions_mut().insert(ctx.clone());
    let res = next.run(req).await;
    match res.extensions().get::<ErrorMarker>() {
        Some(ErrorMarker(err)) => render_error(&state, &ctx, err),
        None if is_rejection(&res) => {
            // An extractor's rejection (bad path, query, body or multipart) carries axum's
            // English text: log it, answer with the catalogued message and the same status.
            let status = res.status();
            let text = axum::body::to_bytes(res.into_body(), 4096)
                .await
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            let mut out = render_error(&state, &ctx, &AppError::BadRequest(text));
            if ctx.is_api {
                out = with_status(out, status).await;
            } else {
                *out.status_mut() = status;
            }
            out
        }
        None => res,
    }
}

/// Whether a response is an extractor rejection: a client error in plain text. Handlers answer
/// errors through `AppError`, so plain text in a 4xx comes only from axum.
fn is_rejection(res: &Response) -> bool {
    res.status().is_client_error()
        && res
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/plain"))
}

/// A problem+json response with another status (in the header and the body's `status`).
async fn with_status(res: Response, status: StatusCode) -> Response {
    let (mut parts, body) = res.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024)
        .await
        .unwrap_or_default();
    let mut json: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
    if json.is_object() {
        json["status"] = status.as_u16().into();
    }
    parts.status = status;
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(json.to_string()))
}

fn render_error(state: &AppState, ctx: &Ctx, err: &AppError) -> Response {
    match err {
        AppError::Internal(cause) => tracing::error!(%cause, "request failed"),
        AppError::BadRequest(cause) => tracing::info!(%cause, "bad request"),
        AppError::Unavailable(cause) => tracing::warn!(%cause, "database unavailable"),
        _ => {}
    }
    let mut res = render_error_body(ctx, err);
    if matches!(err, AppError::Unavailable(_)) {
        res.headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from_static("2"));
    }
    let _ = state;
    res
}

fn render_error_body(ctx: &Ctx, err: &AppError) -> Response {
    if ctx.is_api {
        let invalid: Vec<_> = err
            .invalids()
            .iter()
            .map(
                |i| serde_json::json!({ "field": i.field, "code": i.key, "message": ctx.t(i.key) }),
            )
            .collect();
        let detail = match err {
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
        let html = crate::view::error_page(ctx, err.title_key(), err.invalids());
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
