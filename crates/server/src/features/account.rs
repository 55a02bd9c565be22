//! The person's own account: change the password (page `/account`, API
//! `PUT /api/v1/me/password`); and an administrator's password reset for an account
//! (`PUT /api/v1/users/{id}/password`). A change ends every other session of the account.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Router;
use maud::{html, Markup};
use rumbo_domain::Invalid;
use serde::Deserialize;

use crate::http::ctx::{ApiJson, Ctx, Form};
use crate::http::error::AppError;
use crate::view::{csrf_field, field_errors, layout, redirect, Section};
use crate::AppState;

pub fn page_router() -> Router<AppState> {
    Router::new()
        .route("/account", get(page))
        .route("/account/password", post(change))
}

pub fn api_router() -> Router<AppState> {
    Router::new()
        .route("/me/password", put(api_change))
        .route("/users/{id}/password", put(api_reset))
}

#[derive(Deserialize, Default)]
struct PageQuery {
    #[serde(default)]
    changed: bool,
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

async fn page(ctx: Ctx, Query(q): Query<PageQuery>) -> Result<Markup, AppError> {
    ctx.user()?;
    Ok(layout(
        &ctx,
        Section::None,
        ctx.t("account.title"),
        form(&ctx, &[], q.changed),
    ))
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
            let page = layout(
                &ctx,
                Section::None,
                ctx.t("account.title"),
                form(&ctx, e.invalids(), false),
            );
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
