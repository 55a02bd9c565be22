//! Login, logout and the language switch.

use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::html;

use crate::http::auth::{self, MAX_FAILURES};
use crate::http::ctx::{Ctx, Form};
use crate::http::error::AppError;
use crate::view::i18n::Lang;
use crate::view::{csrf_field, layout, redirect, Section};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login))
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

async fn login_page(State(state): State<AppState>, mut ctx: Ctx) -> Response {
    if ctx.user.is_some() {
        return redirect("/programs");
    }
    let mut cookie = None;
    if ctx.csrf.is_empty() {
        ctx.csrf = auth::new_token();
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
    // Throttle by account: five failures in a minute lock further tries for that minute.
    if state
        .store
        .recent_login_failures(&email, auth::FAILURE_WINDOW_S)
        .await?
        >= MAX_FAILURES
    {
        tracing::warn!(email = %mask_email(&email), "login throttled");
        let page = login_form(&ctx, &email, Some("login.throttled"));
        return Ok((StatusCode::TOO_MANY_REQUESTS, page).into_response());
    }
    let user = state.store.user_by_email(&email).await.ok();
    let ok = match &user {
        Some(u) => u.user.active && auth::verify_password(password, &u.password_hash),
        None => {
            // Spend comparable time so unknown accounts cannot be told apart by timing.
            let _ = auth::verify_password(password, dummy_hash());
            false
        }
    };
    state.store.record_login_attempt(&email, ok).await?;
    let Some(u) = user.filter(|_| ok) else {
        tracing::info!(email = %mask_email(&email), "login failed");
        let page = login_form(&ctx, &email, Some("login.failed"));
        return Ok((StatusCode::UNAUTHORIZED, page).into_response());
    };
    let token = auth::new_token();
    let csrf = auth::new_token();
    state
        .store
        .create_session(
            &auth::token_hash(&token),
            u.user.id,
            &csrf,
            auth::SESSION_TTL_S,
        )
        .await?;
    tracing::info!(user_id = u.user.id, "login");
    let mut res = redirect("/programs");
    let cookie = auth::set_cookie(
        auth::SESSION_COOKIE,
        &token,
        auth::SESSION_TTL_S,
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

/// An argon2id hash of a random string, used to equalise timing for unknown accounts.
fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| auth::hash_password(&auth::new_token()).unwrap_or_default())
}

fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((user, domain)) => format!("{}***@{domain}", user.chars().next().unwrap_or('*')),
        None => "***".into(),
    }
}

async fn logout(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(_): Form,
) -> Result<Response, AppError> {
    if let Some(h) = &ctx.session_hash {
        state.store.delete_session(h).await?;
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
        state.store.set_user_lang(u.id, lang.code()).await?;
    }
    let back = form
        .opt("back")
        .filter(|b| b.starts_with('/') && !b.starts_with("//"))
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
