//! The Planning, Control and Reports landing pages: each lists the programmes the user may see
//! with the entry points of that activity.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::routing::get;
use axum::Router;
use maud::{html, Markup};

use crate::http::access;
use crate::http::ctx::Ctx;
use crate::http::error::AppError;
use crate::view::{fmt_date, layout, status_badge, Section};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/planning", get(planning))
        .route("/control", get(control))
        .route("/reports", get(reports))
}

async fn programme_table(state: &AppState, ctx: &Ctx, link: &str) -> Result<Markup, AppError> {
    let rows = access::visible_programmes(state, ctx).await?;
    Ok(html! {
        @if rows.is_empty() { p { (ctx.t("programmes.empty")) } }
        @else {
            table {
                thead { tr {
                    th scope="col" { (ctx.t("programme.code")) }
                    th scope="col" { (ctx.t("programme.name")) }
                    th scope="col" { (ctx.t("programme.status")) }
                    th scope="col" { (ctx.t("report.page.title")) }
                } }
                tbody { @for r in &rows { tr {
                    td { a href={ "/programs/" (r.programme.code) (link) } { (r.programme.code) } }
                    td { (r.programme.name) }
                    td { (status_badge(ctx, r.programme.status)) }
                } } }
            }
        }
    })
}

async fn planning(State(state): State<AppState>, ctx: Ctx) -> Result<Markup, AppError> {
    let table = programme_table(&state, &ctx, "/plan").await?;
    Ok(layout(
        &ctx,
        Section::Planning,
        ctx.t("planning.title"),
        html! {
            p { (ctx.t("planning.intro")) }
            div.actions { a.button href="/planning/staffing" { (ctx.t("staffing.title")) } }
            h2 { (ctx.t("programmes.title")) }
            (table)
        },
    ))
}

async fn control(State(state): State<AppState>, ctx: Ctx) -> Result<Markup, AppError> {
    let table = programme_table(&state, &ctx, "/control").await?;
    Ok(layout(
        &ctx,
        Section::Control,
        ctx.t("control.title"),
        html! {
            p { (ctx.t("control.intro")) }
            (table)
        },
    ))
}

async fn reports(State(state): State<AppState>, ctx: Ctx) -> Result<Markup, AppError> {
    let rows = access::visible_programmes(&state, &ctx).await?;
    let mut by_status: BTreeMap<String, usize> = BTreeMap::new();
    let mut by_client: BTreeMap<String, usize> = BTreeMap::new();
    for r in &rows {
        *by_status.entry(r.programme.status.to_string()).or_default() += 1;
        *by_client
            .entry(r.programme.client_name.clone())
            .or_default() += 1;
    }
    Ok(layout(
        &ctx,
        Section::Reports,
        ctx.t("reports.title"),
        html! {
            p { (ctx.t("reports.intro")) }
            h2 { (ctx.t("reports.portfolio")) }
            div.grid {
                @for (status, n) in &by_status {
                    div.card { (status_badge(&ctx, status)) p { strong { (n) } " " (ctx.t("reports.programmes")) } }
                }
            }
            h2 { (ctx.t("reports.by_client")) }
            table {
                thead { tr { th scope="col" { (ctx.t("programme.client")) } th.num scope="col" { (ctx.t("reports.programmes")) } } }
                tbody { @for (c, n) in &by_client { tr { td { (c) } td.num { (n) } } } }
            }
            h2 { (ctx.t("reports.calendar")) }
            table {
                thead { tr {
                    th scope="col" { (ctx.t("programme.code")) }
                    th scope="col" { (ctx.t("programme.client")) }
                    th scope="col" { (ctx.t("programme.start_date")) }
                    th scope="col" { (ctx.t("programme.end_date")) }
                    th scope="col" { (ctx.t("programme.status")) }
                } }
                tbody { @for r in &rows { tr {
                    td { a href={ "/programs/" (r.programme.code) } { (r.programme.code) } }
                    td { (r.programme.client_name) }
                    td { (fmt_date(&ctx, &r.programme.start_date)) }
                    td { (r.programme.end_date.as_ref().map(|d| fmt_date(&ctx, d)).unwrap_or_default()) }
                    td { (status_badge(&ctx, r.programme.status)) }
                    td { a href={ "/programs/" (r.programme.code) "/reports" } { (ctx.t("report.page.title")) } }
                } } }
            }
        },
    ))
}
