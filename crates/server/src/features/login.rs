//! Login (with the second step for accounts with a second factor), logout and the language
//! switch.

use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::html;

use crate::http::auth;
use crate::http::ctx::{Ctx, Form};
use crate::http::error::AppError;
use crate::view::i18n::Lang;
use crate::view::{csrf_field, layout, redirect, Section};
use crate::AppState;
use rumbo_app::accounts::LoginStep;
use rumbo_app::credentials::{new_token, SESSION_TTL_S};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/login/code", post(login_code))
        .route("/logout", post(logout))
        .route("/lang", post(switch_lang))
}

fn login_form(ctx: &Ctx, email: &str, problem: Option<&str>) -> maud::Markup {
    layout(
        ctx,
        Section::None,
        ctx.t("login.title"),
        html! {
            @if let Some(p) = problem { p.problems role="alert" { (ctx.t(p)) } }
            form method="post" action="/login" {
                (csrf_field(ctx))
                div.field {
                    label for="email" { (ctx.t("login.email")) }
                    input id="email" name="email" type="email" autocomplete="username" required value=(email);
                }
                div.field {
                    label for="password" { (ctx.t("login.password")) }
                    input id="password" name="password" type="password" autocomplete="current-password" required;
                }
                button type="submit" { (ctx.t("login.submit")) }
            }
        },
    )
}

/// The second step: the waiting login's token travels in a hidden field; it is random,
/// stored server-side (hashed) and short-lived, and no session exists until the code is right.
fn code_form(ctx: &Ctx, pending: &str, problem: Option<&str>) -> maud::Markup {
    layout(
        ctx,
        Section::None,
        ctx.t("totp.login.title"),
        html! {
            @if let Some(p) = problem { p.problems role="alert" { (ctx.t(p)) } }
            p { (ctx.t("totp.login.hint")) }
            form method="post" action="/login/code" {
                (csrf_field(ctx))
                input type="hidden" name="pending" value=(pending);
                div.field {
                    label for="code" { (ctx.t("totp.login.code")) }
                    input id="code" name="code" type="text" inputmode="text"
                        autocomplete="one-time-code" required autofocus;
                }
                button type="submit" { (ctx.t("login.submit")) }
            }
        },
    )
}

async fn login_page(State(state): State<AppState>, mut ctx: Ctx) -> Response {
    if ctx.user.is_some() {
        return redirect("/");
    }
    let mut cookie = None;
    if ctx.csrf.is_empty() {
        ctx.csrf = new_token();
        cookie = Some(auth::set_cookie(
            auth::CSRF_COOKIE,
            &ctx.csrf,
            3600,
            state.config.secure_cookies,
        ));
    }
    let mut res = login_form(&ctx, "", None).into_response();
    if let Some(c) = cookie {
        if let Ok(v) = c.parse() {
            res.headers_mut().insert(SET_COOKIE, v);
        }
    }
    res
}

async fn login(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form,
) -> Result<Response, AppError> {
    let email = form.get("email").trim().to_ascii_lowercase();
    let password = form.get("password");
    let session = match state.app.login(&email, password, &ctx.client_addr).await {
        Ok(s) => s,
        Err(rumbo_app::Error::Throttled) => {
            let page = login_form(&ctx, &email, Some("login.throttled"));
            return Ok((StatusCode::TOO_MANY_REQUESTS, page).into_response());
        }
        Err(rumbo_app::Error::Unauthenticated) => {
            let page = login_form(&ctx, &email, Some("login.failed"));
            return Ok((StatusCode::UNAUTHORIZED, page).into_response());
        }
        Err(e) => return Err(e.into()),
    };
    match session {
        LoginStep::Done(s) => session_response(&state, &s.token),
        LoginStep::NeedsCode { pending } => Ok(code_form(&ctx, &pending, None).into_response()),
    }
}

async fn login_code(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form,
) -> Result<Response, AppError> {
    let pending = form.get("pending");
    match state
        .app
        .login_with_code(pending, form.get("code"), &ctx.client_addr)
        .await
    {
        Ok(s) => session_response(&state, &s.token),
        Err(rumbo_app::Error::Throttled) => {
            let page = code_form(&ctx, pending, Some("login.throttled"));
            Ok((StatusCode::TOO_MANY_REQUESTS, page).into_response())
        }
        Err(rumbo_app::Error::Unauthenticated) => {
            let page = code_form(&ctx, pending, Some("totp.login.failed"));
            Ok((StatusCode::UNAUTHORIZED, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// The answer that opens a session: its cookie and the way home.
fn session_response(state: &AppState, token: &str) -> Result<Response, AppError> {
    // The cockpit is the home page after login.
    let mut res = redirect("/");
    let cookie = auth::set_cookie(
        auth::SESSION_COOKIE,
        token,
        SESSION_TTL_S,
        state.config.secure_cookies,
    );
    res.headers_mut().append(
        SET_COOKIE,
        cookie
            .parse()
            .map_err(|_| AppError::Internal("cookie".into()))?,
    );
    Ok(res)
}

async fn logout(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(_): Form,
) -> Result<Response, AppError> {
    if let Some(h) = &ctx.session_hash {
        state.app.logout(h).await?;
    }
    let mut res = redirect("/login");
    let cookie = auth::set_cookie(auth::SESSION_COOKIE, "", 0, state.config.secure_cookies);
    res.headers_mut().append(
        SET_COOKIE,
        cookie
            .parse()
            .map_err(|_| AppError::Internal("cookie".into()))?,
    );
    Ok(res)
}

async fn switch_lang(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form,
) -> Result<Response, AppError> {
    let lang = Lang::parse(form.get("lang")).ok_or_else(|| AppError::BadRequest("lang".into()))?;
    if let Some(u) = &ctx.user {
        state.app.set_language(u.id, lang.code()).await?;
    }
    let back = form
        .opt("back")
        .filter(|b| is_local_path(b))
        .unwrap_or_else(|| {
            if ctx.user.is_some() {
                "/programs".into()
            } else {
                "/login".into()
            }
        });
    let mut res = redirect(&back);
    let cookie = auth::set_cookie(
        auth::LANG_COOKIE,
        lang.code(),
        365 * 86400,
        state.config.secure_cookies,
    );
    res.headers_mut().append(
        SET_COOKIE,
        cookie
            .parse()
            .map_err(|_| AppError::Internal("cookie".into()))?,
    );
    Ok(res)
}

/// A path on this site only: `/…`, never `//host`, a backslash (browsers read it as a slash,
/// so `/\host` is another host), a scheme, or control characters, so the language switch
/// cannot redirect elsewhere.
fn is_local_path(p: &str) -> bool {
    p.starts_with('/')
        && !p.starts_with("//")
        && !p.starts_with("/\\")
        && !p.chars().any(|c| c.is_control() || c == '\\')
}

#[cfg(test)]
mod tests {
    use super::is_local_path;

    #[test]
    fn the_language_switch_returns_only_to_local_paths() {
        for ok in ["/programs", "/programs/X/plan?x=1", "/"] {
            assert!(is_local_path(ok), "{ok}");
        }
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "evil",
            "/a\\b",
            "/x\r\nLocation: http://evil",
            "",
        ] {
            assert!(!is_local_path(bad), "{bad:?}");
        }
    }
}
