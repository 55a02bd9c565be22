//! The person's own account: change the password (page `/account`, API
//! `PUT /api/v1/me/password`); and an administrator's password reset for an account
//! (`PUT /api/v1/users/{id}/password`). A change ends every other session of the account.
//!
//! The optional second factor (admins and managers) is enrolled and disabled on the same page:
//! a new secret is shown as text and as an `otpauth://` URI until a current code confirms it,
//! then the recovery codes are shown once. An administrator removes an account's second factor
//! with `DELETE /api/v1/users/{id}/totp` or from the administration page. API tokens are not
//! affected by the second factor.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::Router;
use maud::{html, Markup};
use rumbo_domain::Invalid;
use serde::Deserialize;

use crate::http::ctx::{ApiJson, Ctx, Form};
use crate::http::error::AppError;
use crate::view::{csrf_field, field_errors, layout, redirect, Section};
use crate::AppState;
use rumbo_app::accounts::{TotpEnrolment, TotpStatus};

pub fn page_router() -> Router<AppState> {
    Router::new()
        .route("/account", get(page))
        .route("/account/password", post(change))
        .route("/account/totp", post(totp_begin))
        .route("/account/totp/confirm", post(totp_confirm))
        .route("/account/totp/disable", post(totp_disable))
}

pub fn api_router() -> Router<AppState> {
    Router::new()
        .route("/me/password", put(api_change))
        .route("/users/{id}/password", put(api_reset))
        .route("/users/{id}/totp", delete(api_totp_reset))
}

#[derive(Deserialize, Default)]
struct PageQuery {
    #[serde(default)]
    changed: bool,
    #[serde(default)]
    totp_off: bool,
}

fn form(ctx: &Ctx, errors: &[Invalid], changed: bool) -> Markup {
    html! {
        @if changed { p.notice role="status" { (ctx.t("account.password.changed")) } }
        h2 { (ctx.t("account.password.title")) }
        form method="post" action="/account/password" {
            (csrf_field(ctx))
            div.field {
                label for="current_password" { (ctx.t("account.password.current")) " *" }
                input id="current_password" name="current_password" type="password"
                    autocomplete="current-password" required;
                (field_errors(ctx, errors, "current_password"))
            }
            div.field {
                label for="new_password" { (ctx.t("account.password.new")) " *" }
                input id="new_password" name="new_password" type="password"
                    autocomplete="new-password" minlength="10" required;
                (field_errors(ctx, errors, "new_password"))
            }
            button type="submit" { (ctx.t("account.password.submit")) }
        }
    }
}

async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<PageQuery>,
) -> Result<Markup, AppError> {
    ctx.user()?;
    render(&state, &ctx, &[], &[], q.changed, q.totp_off).await
}

/// The whole page: the password form, then the second factor's section.
async fn render(
    state: &AppState,
    ctx: &Ctx,
    password_errors: &[Invalid],
    totp_errors: &[Invalid],
    changed: bool,
    totp_off: bool,
) -> Result<Markup, AppError> {
    let who = ctx.principal()?;
    let status = state.app.totp_status(&who).await?;
    let enrolment = if status.enabled {
        None
    } else {
        state.app.totp_enrolment(&who).await?
    };
    Ok(layout(
        ctx,
        Section::None,
        ctx.t("account.title"),
        html! {
            (form(ctx, password_errors, changed))
            (totp_section(ctx, status, enrolment.as_ref(), totp_errors, totp_off))
        },
    ))
}

fn totp_section(
    ctx: &Ctx,
    status: TotpStatus,
    enrolment: Option<&TotpEnrolment>,
    errors: &[Invalid],
    off: bool,
) -> Markup {
    html! {
        h2 { (ctx.t("totp.account.title")) }
        @if off { p.notice role="status" { (ctx.t("totp.account.disabled")) } }
        @if !errors.is_empty() {
            div.problems role="alert" { ul { @for e in errors { li { (ctx.t(e.key)) } } } }
        }
        @if !status.allowed {
            p { (ctx.t("totp.error.role")) }
        } @else if status.enabled {
            p { (ctx.t("totp.account.on")) " "
                (ctx.t("totp.account.codes_left").replace("{n}", &status.recovery_codes_left.to_string())) }
            form method="post" action="/account/totp/disable" {
                (csrf_field(ctx))
                div.field {
                    label for="totp_password" { (ctx.t("account.password.current")) " *" }
                    input id="totp_password" name="current_password" type="password"
                        autocomplete="current-password" required;
                }
                div.field {
                    label for="disable_code" { (ctx.t("totp.login.code")) " *" }
                    input id="disable_code" name="code" type="text" autocomplete="one-time-code" required;
                }
                button type="submit" { (ctx.t("totp.account.disable")) }
            }
        } @else if let Some(e) = enrolment {
            p { (ctx.t("totp.account.scan")) }
            dl {
                dt { (ctx.t("totp.account.secret")) }
                dd { code { (e.secret) } }
                dt { (ctx.t("totp.account.uri")) }
                dd { code { (e.uri) } }
            }
            form method="post" action="/account/totp/confirm" {
                (csrf_field(ctx))
                div.field {
                    label for="confirm_code" { (ctx.t("totp.account.confirm_code")) " *" }
                    input id="confirm_code" name="code" type="text" inputmode="numeric"
                        autocomplete="one-time-code" pattern="[0-9]{6}" required;
                }
                button type="submit" { (ctx.t("totp.account.confirm")) }
            }
            form method="post" action="/account/totp" {
                (csrf_field(ctx))
                button type="submit" { (ctx.t("totp.account.restart")) }
            }
        } @else {
            p { (ctx.t("totp.account.off")) }
            form method="post" action="/account/totp" {
                (csrf_field(ctx))
                button type="submit" { (ctx.t("totp.account.enable")) }
            }
        }
    }
}

/// A use case's answer on the account page: invalid input shows the page again with the
/// problems in the second factor's section.
async fn totp_respond(
    state: &AppState,
    ctx: &Ctx,
    r: Result<Response, AppError>,
) -> Result<Response, AppError> {
    match r {
        Err(e @ AppError::Invalid(_)) => {
            let page = render(state, ctx, &[], e.invalids(), false, false).await?;
            Ok((e.status(), page).into_response())
        }
        r => r,
    }
}

async fn totp_begin(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(_): Form,
) -> Result<Response, AppError> {
    let who = ctx.principal()?;
    let r = state
        .app
        .begin_totp(&who)
        .await
        .map(|_| redirect("/account"))
        .map_err(AppError::from);
    totp_respond(&state, &ctx, r).await
}

async fn totp_confirm(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form,
) -> Result<Response, AppError> {
    let who = ctx.principal()?;
    let r = state
        .app
        .confirm_totp(&who, f.get("code"))
        .await
        .map(|codes| {
            layout(
                &ctx,
                Section::None,
                ctx.t("account.title"),
                html! {
                    h2 { (ctx.t("totp.account.title")) }
                    p.notice role="status" { (ctx.t("totp.account.enabled")) }
                    p { (ctx.t("totp.account.recovery_hint")) }
                    ul.recovery-codes { @for c in &codes { li { code { (c) } } } }
                    p { a href="/account" { (ctx.t("totp.account.back")) } }
                },
            )
            .into_response()
        })
        .map_err(AppError::from);
    totp_respond(&state, &ctx, r).await
}

async fn totp_disable(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form,
) -> Result<Response, AppError> {
    let who = ctx.principal()?;
    let r = state
        .app
        .disable_own_totp(&who, f.get("current_password"), f.get("code"))
        .await
        .map(|()| redirect("/account?totp_off=true"))
        .map_err(AppError::from);
    totp_respond(&state, &ctx, r).await
}

async fn change(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form,
) -> Result<Response, AppError> {
    let who = ctx.principal()?;
    let r = state
        .app
        .change_own_password(
            &who,
            f.get("current_password"),
            f.get("new_password"),
            ctx.session_hash.as_deref(),
        )
        .await
        .map_err(AppError::from);
    match r {
        Ok(()) => Ok(redirect("/account?changed=true")),
        Err(e @ AppError::Invalid(_)) => {
            let page = render(&state, &ctx, e.invalids(), &[], false, false).await?;
            Ok((e.status(), page).into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
struct ChangeBody {
    current_password: String,
    new_password: String,
}

async fn api_change(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(b): ApiJson<ChangeBody>,
) -> Result<StatusCode, AppError> {
    state
        .app
        .change_own_password(
            &ctx.principal()?,
            &b.current_password,
            &b.new_password,
            None,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct ResetBody {
    password: String,
}

async fn api_reset(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<ResetBody>,
) -> Result<StatusCode, AppError> {
    state
        .app
        .reset_password(&ctx.principal()?, id, &b.password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `204` when the account's second factor was removed, `404` when it had none.
async fn api_totp_reset(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    if state.app.reset_totp(&ctx.principal()?, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::NotFound)
    }
}
