//! Deleting a programme that holds data archives it (its code must be typed again); an admin
//! can restore it for `ARCHIVE_DAYS` days from `/admin/archive` or
//! `POST /api/v1/archive/{code}/restore`, then the daily purge deletes it.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use maud::{html, Markup};
use rumbo_app::model::Programme;
use rumbo_app::programmes::ARCHIVE_DAYS;
use rumbo_domain::access::Action;
use serde::{Deserialize, Serialize};

use super::api::ProgrammeDto;
use crate::http::access;
use crate::http::ctx::{Ctx, Form};
use crate::http::error::AppError;
use crate::view::{csrf_field, fmt_instant, layout, redirect, Section};
use crate::AppState;

pub fn page_router() -> Router<AppState> {
    Router::new()
        .route("/admin/archive", get(archive_page))
        .route("/admin/archive/{code}/restore", post(restore_post))
}

pub fn api_router() -> Router<AppState> {
    Router::new()
        .route("/archive", get(api_list))
        .route("/archive/{code}/restore", post(api_restore))
}

/// The outcome named in `?done=` after an action, shown as a success message.
#[derive(Deserialize, Default)]
pub struct Done {
    pub done: Option<String>,
}

impl Done {
    /// The success message of a known outcome (unknown values show nothing).
    pub fn notice(&self, ctx: &Ctx) -> Markup {
        let key = match self.done.as_deref() {
            Some("archived") => "roles.done.archived",
            Some("deleted") => "roles.done.deleted",
            Some("restored") => "roles.done.restored",
            _ => return html! {},
        };
        html! { p.notice.success role="status" { (ctx.t(key)) } }
    }
}

/// `POST /programs/{code}/delete`: archives (code typed) or deletes; a wrong or missing code
/// shows the form again with the message beside the field.
pub async fn delete_post(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    confirm: &str,
) -> Result<Response, AppError> {
    let who = ctx.principal()?;
    match state.app.delete_programme(&who, code, Some(confirm)).await {
        Ok(true) => Ok(redirect("/programs?done=archived")),
        Ok(false) => Ok(redirect("/programs?done=deleted")),
        Err(rumbo_app::Error::Invalid(errors)) => {
            let p = access::programme(state, ctx, code, Action::Delete)
                .await?
                .programme;
            let page = layout(
                ctx,
                Section::Programmes,
                &format!("{} · {}", p.code, ctx.t("programme.delete")),
                html! {
                    (super::pages::delete_form(ctx, &p, confirm, &errors.0))
                    p { a href={ "/programs/" (p.code) } { (ctx.t("roles.delete.back")) } }
                },
            );
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

fn days_left(p: &Programme) -> i64 {
    rumbo_app::programmes::archive_days_left(p)
}

async fn archive_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(done): Query<Done>,
) -> Result<Markup, AppError> {
    let rows = state.app.archived_programmes(&ctx.principal()?).await?;
    Ok(layout(
        &ctx,
        Section::Admin,
        ctx.t("roles.archive.title"),
        html! {
            (done.notice(&ctx))
            p { (ctx.tf("roles.archive.intro", &[("days", &ARCHIVE_DAYS.to_string())])) }
            @if rows.is_empty() {
                p { (ctx.t("roles.archive.empty")) }
            } @else {
                div.table-wrap { table.stack {
                    thead { tr {
                        th scope="col" { (ctx.t("programme.code")) }
                        th scope="col" { (ctx.t("programme.name")) }
                        th scope="col" { (ctx.t("programme.client")) }
                        th scope="col" { (ctx.t("roles.archive.archived_at")) }
                        th scope="col" { (ctx.t("roles.archive.days_left")) }
                        th scope="col" { span.sr { (ctx.t("roles.archive.restore")) } }
                    } }
                    tbody { @for p in &rows { tr {
                        td data-label=(ctx.t("programme.code")) { (p.code) }
                        td data-label=(ctx.t("programme.name")) { (p.name) }
                        td data-label=(ctx.t("programme.client")) { (p.client_name) }
                        td data-label=(ctx.t("roles.archive.archived_at")) { (fmt_instant(&ctx, p.archived_at.unwrap_or(0), &p.time_zone)) }
                        td data-label=(ctx.t("roles.archive.days_left")) { (ctx.tf(if days_left(p) == 1 { "roles.archive.day" } else { "roles.archive.days" }, &[("n", &days_left(p).to_string())])) }
                        td {
                            @if days_left(p) > 0 {
                                form.inline method="post" action={ "/admin/archive/" (p.code) "/restore" } {
                                    (csrf_field(&ctx))
                                    button type="submit" { (ctx.t("roles.archive.restore")) }
                                }
                            }
                        }
                    } } }
                } }
            }
        },
    ))
}

async fn restore_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Form(_): Form,
) -> Result<Response, AppError> {
    state
        .app
        .restore_programme(&ctx.principal()?, &code)
        .await?;
    Ok(redirect("/admin/archive?done=restored"))
}

/// An archived programme as the API shows it.
#[derive(Serialize)]
struct ArchivedDto {
    #[serde(flatten)]
    programme: ProgrammeDto,
    archived_at: i64,
    days_left: i64,
}

async fn api_list(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<ArchivedDto>>, AppError> {
    let rows = state.app.archived_programmes(&ctx.principal()?).await?;
    Ok(Json(
        rows.iter()
            .map(|p| ArchivedDto {
                programme: ProgrammeDto::from(p),
                archived_at: p.archived_at.unwrap_or(0),
                days_left: days_left(p),
            })
            .collect(),
    ))
}

async fn api_restore(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Result<Json<ProgrammeDto>, AppError> {
    let p = state
        .app
        .restore_programme(&ctx.principal()?, &code)
        .await?;
    Ok(Json(ProgrammeDto::from(&p)))
}
