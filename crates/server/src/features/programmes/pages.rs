//! Programme pages: list, create, show (with history), edit, delete.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup};
use rumbo_app::model::Programme;
use rumbo_domain::access::Action;
use rumbo_domain::programme::{Channel, ProgrammeInput, Status, DEFAULT_TIME_ZONE};
use rumbo_domain::Invalid;

use crate::http::access::{self, ProgrammeAccess, Read, Update};
use crate::http::ctx::{Ctx, Form, FormData};
use crate::http::error::AppError;
use crate::view::changes::{audit_actor, audit_diff, audit_subject_of, audit_what};
use crate::view::{
    csrf_field, field_errors, fmt_date, fmt_instant, input, layout, status_badge, Section,
};
use crate::view::{paging, redirect};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/programs", get(list).post(create))
        .route("/programs/new", get(new_form))
        .route("/programs/{code}", get(show))
        .route("/programs/{code}/edit", get(edit_form).post(update))
        .route("/programs/{code}/delete", post(delete))
        .route("/programs/{code}/members", post(add_member))
        .route(
            "/programs/{code}/members/{user_id}/remove",
            post(remove_member),
        )
}

async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::extract::Query(done): axum::extract::Query<super::archive::Done>,
) -> Result<Markup, AppError> {
    let rows = access::visible_programmes(&state, &ctx).await?;
    let can_create = access::may_create(&state, &ctx).is_ok();
    let count_key = if rows.len() == 1 {
        "roles.programmes.one"
    } else {
        "roles.programmes.many"
    };
    Ok(layout(
        &ctx,
        Section::Programmes,
        ctx.t("programmes.title"),
        html! {
            (done.notice(&ctx))
            p.count { (ctx.tf(count_key, &[("n", &crate::view::fmt_int(ctx.lang, rows.len() as i64))])) }
            @if can_create {
                div.actions { a.button href="/programs/new" { (ctx.t("programmes.new")) } }
            }
            @if rows.is_empty() {
                p { (ctx.t("programmes.empty")) }
            } @else {
                table {
                    caption.sr { (ctx.t("programmes.title")) }
                    thead { tr {
                        th scope="col" { (ctx.t("programme.code")) }
                        th scope="col" { (ctx.t("programme.name")) }
                        th scope="col" { (ctx.t("programme.client")) }
                        th scope="col" { (ctx.t("programme.channels")) }
                        th scope="col" { (ctx.t("programme.dates")) }
                        th scope="col" { (ctx.t("programme.status")) }
                    } }
                    tbody {
                        @for r in &rows {
                            tr {
                                td { a href={ "/programs/" (r.programme.code) } { (r.programme.code) } }
                                td { (r.programme.name) }
                                td { (r.programme.client_name) }
                                td { (channels_text(&ctx, &r.programme.channels)) }
                                td { (fmt_date(&ctx, &r.programme.start_date)) " – " (r.programme.end_date.as_ref().map(|d| fmt_date(&ctx, d)).unwrap_or_default()) }
                                td { (status_badge(&ctx, r.programme.status)) }
                            }
                        }
                    }
                }
            }
        },
    ))
}

fn channels_text(ctx: &Ctx, channels: &[Channel]) -> String {
    channels
        .iter()
        .map(|c| ctx.t(&format!("channel.{c}")))
        .collect::<Vec<_>>()
        .join(", ")
}

fn input_from_form(f: &FormData) -> ProgrammeInput {
    ProgrammeInput {
        code: f.get("code").to_string(),
        name: f.get("name").to_string(),
        client_id: f.get("client_id").trim().parse().ok(),
        product_id: f.get("product_id").trim().parse().ok(),
        channels: f.all("channels"),
        start_date: f.get("start_date").to_string(),
        end_date: f.opt("end_date"),
        status: f.opt("status"),
        time_zone: f.opt("time_zone"),
        description: f.opt("description"),
    }
}

async fn programme_form(
    state: &AppState,
    ctx: &Ctx,
    action: &str,
    v: &ProgrammeInput,
    errors: &[Invalid],
    editing: bool,
) -> Result<Markup, AppError> {
    let who = ctx.principal()?;
    let clients = state.app.clients(&who).await?;
    let products = state.app.products(&who).await?;
    Ok(html! {
        @if !errors.is_empty() {
            div.problems role="alert" {
                p { (ctx.t("form.has_errors")) }
                ul { @for e in errors { li { (ctx.t(e.key)) } } }
            }
        }
        form method="post" action=(action) novalidate {
            (csrf_field(ctx))
            @if editing {
                p { strong { (ctx.t("programme.code")) ": " } (v.code) }
            } @else {
                (input(ctx, errors, "code", "programme.code", "text", &v.code, true))
            }
            (input(ctx, errors, "name", "programme.name", "text", &v.name, true))
            div.field {
                label for="client_id" { (ctx.t("programme.client")) " *" }
                select id="client_id" name="client_id" required {
                    option value="" { (ctx.t("form.choose")) }
                    @for c in &clients {
                        option value=(c.id) selected[v.client_id == Some(c.id)] { (c.name) " (" (c.rut) ")" }
                    }
                }
                (field_errors(ctx, errors, "client_id"))
            }
            div.field {
                label for="product_id" { (ctx.t("programme.product")) }
                select id="product_id" name="product_id" {
                    option value="" { (ctx.t("form.none")) }
                    @for p in &products {
                        option value=(p.id) selected[v.product_id == Some(p.id)] { (p.name) }
                    }
                }
                (field_errors(ctx, errors, "product_id"))
            }
            fieldset {
                legend { (ctx.t("programme.channels")) " *" }
                @for ch in Channel::ALL {
                    label.check {
                        input type="checkbox" name="channels" value=(ch.as_str()) checked[v.channels.iter().any(|c| c == ch.as_str())];
                        " " (ctx.t(&format!("channel.{}", ch.as_str())))
                    }
                    " "
                }
                (field_errors(ctx, errors, "channels"))
            }
            (input(ctx, errors, "start_date", "programme.start_date", "date", &v.start_date, true))
            (input(ctx, errors, "end_date", "programme.end_date", "date", v.end_date.as_deref().unwrap_or(""), false))
            div.field {
                label for="status" { (ctx.t("programme.status")) }
                select id="status" name="status" {
                    @for s in Status::ALL {
                        option value=(s.as_str()) selected[v.status.as_deref().unwrap_or("draft") == s.as_str()] { (ctx.t(&format!("status.{}", s.as_str()))) }
                    }
                }
                (field_errors(ctx, errors, "status"))
            }
            (input(ctx, errors, "time_zone", "programme.time_zone", "text", v.time_zone.as_deref().unwrap_or(DEFAULT_TIME_ZONE), false))
            div.field {
                label for="description" { (ctx.t("programme.description")) }
                textarea id="description" name="description" rows="4" { (v.description.as_deref().unwrap_or("")) }
            }
            button type="submit" { (ctx.t("form.save")) }
        }
    })
}

async fn new_form(State(state): State<AppState>, ctx: Ctx) -> Result<Markup, AppError> {
    access::may_create(&state, &ctx)?;
    let v = ProgrammeInput {
        channels: vec![Channel::VoiceInbound.as_str().into()],
        ..Default::default()
    };
    let form = programme_form(&state, &ctx, "/programs", &v, &[], false).await?;
    Ok(layout(
        &ctx,
        Section::Programmes,
        ctx.t("programmes.new"),
        form,
    ))
}

/// Re-renders a form with its errors (422/409), or passes other errors on.
async fn form_error(
    state: &AppState,
    ctx: &Ctx,
    err: AppError,
    action: &str,
    v: &ProgrammeInput,
    title: &str,
    editing: bool,
) -> Result<Response, AppError> {
    match &err {
        AppError::Invalid(_) | AppError::Conflict(_) => {
            let form = programme_form(state, ctx, action, v, err.invalids(), editing).await?;
            Ok((err.status(), layout(ctx, Section::Programmes, title, form)).into_response())
        }
        _ => Err(err),
    }
}

async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form,
) -> Result<Response, AppError> {
    let v = input_from_form(&f);
    match state
        .app
        .create_programme(&ctx.principal()?, v.clone())
        .await
    {
        Ok(p) => Ok(redirect(&format!("/programs/{}", p.code))),
        Err(e) => {
            form_error(
                &state,
                &ctx,
                e.into(),
                "/programs",
                &v,
                ctx.t("programmes.new"),
                false,
            )
            .await
        }
    }
}

async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Read>,
    axum::extract::Query(q): axum::extract::Query<crate::view::paging::PageQuery>,
) -> Result<Markup, AppError> {
    let page = q.page();
    let pf = access.programme_for();
    let who = ctx.principal()?;
    let role = ctx.role()?;
    // A closed programme is read-only until it is reopened: no edit forms.
    let closed = pf.programme.status == rumbo_domain::programme::Status::Closed;
    let can_edit = !closed && state.app.may(&who, Action::Update, &pf);
    let can_delete = state.app.may(&who, Action::Delete, &pf);
    // A client viewer sees the client view: no audit log, no staff e-mails.
    let internal = state.app.may(&who, Action::ReadInternal, &pf);
    let p = &pf.programme;
    // A programme being created or planned is offered the library's relevant practices.
    let suggested = if matches!(
        p.status,
        rumbo_domain::programme::Status::Draft | rumbo_domain::programme::Status::Planned
    ) {
        let mut s = state.app.suggestions(&who, &p.code).await?;
        s.truncate(3);
        s
    } else {
        Vec::new()
    };
    let (history, more) = if internal {
        paging::page_of(
            state
                .app
                .programme_history(p, paging::fetch_for(page))
                .await?,
            page,
        )
    } else {
        (vec![], false)
    };
    let members = if internal {
        state.app.members(p).await?
    } else {
        vec![]
    };
    let plan = state.app.plan(&who, &p.code, Action::Read).await?;
    let late = state.app.plan_flags(&plan).await?;
    let distributions = state.app.distributions(&who, &p.code).await?;
    let candidates: Vec<_> = if can_edit {
        state
            .app
            .member_candidates(&ctx.principal()?, &p.code)
            .await?
    } else {
        vec![]
    };
    Ok(layout(
        &ctx,
        Section::Programmes,
        &format!("{} · {}", p.code, p.name),
        html! {
            (facts(&ctx, p))
            (crate::view::late::late_flags(&ctx, &late))
            div.actions {
                @if can_edit { a.button href={ "/programs/" (p.code) "/edit" } { (ctx.t("programme.edit")) } }
                a.button href={ "/programs/" (p.code) "/plan" } { (ctx.t("nav.planning")) }
                a.button href={ "/programs/" (p.code) "/control" } { (ctx.t("nav.control")) }
                a.button href={ "/programs/" (p.code) "/closeout" } { (ctx.t("closeout.title")) }
                a.button href={ "/programs/" (p.code) "/lessons" } { (ctx.t("lesson.title")) }
                a.button href={ "/programs/" (p.code) "/reports" } { (ctx.t("report.page.title")) }
            }
            @if can_delete {
                (delete_form(&ctx, p, "", &[]))
            }
            @if closed { p.notice role="status" { (ctx.t("closeout.read_only_notice")) } }
            @if !suggested.is_empty() {
                section aria-labelledby="suggested" {
                    h2 id="suggested" { (ctx.t("closeout.suggested")) }
                    ul { @for (_, item) in &suggested { li {
                        (ctx.t(&format!("closeout.item.{}", item.kind()))) ": "
                        @if item.kind() == "practice" { a href={ "/practices/" (item.id()) } { (item.data()["title"].as_str().unwrap_or_default()) } }
                        @else { (item.data()["title"].as_str().unwrap_or_default()) }
                    } } }
                    p { a href={ "/programs/" (p.code) "/suggestions" } { (ctx.t("closeout.see_all_suggestions")) } }
                }
            }
            (crate::view::report_links(&ctx, &p.code, if role == rumbo_domain::access::Role::ClientViewer { "client" } else { "status" }, "", ""))
            h2 { (ctx.t("report.page.distributions")) }
            @if distributions.is_empty() { p { (ctx.t("report.page.no_distributions")) } }
            ul { @for d in distributions.iter().take(5) { li {
                (crate::view::fmt_instant(&ctx, d.created_at, &p.time_zone)) " · "
                (ctx.t(&format!("report.kind.{}", d.kind))) " v" (d.version) " · "
                (ctx.t(&format!("report.page.status_{}", d.status))) " · "
                a href={ "/programs/" (p.code) "/distributions/" (d.id) } download { (d.file_name) }
            } } }
            @if internal {
            h2 { (ctx.t("programme.team")) }
            @if members.is_empty() { p { (ctx.t("programme.no_team")) } }
            ul { @for (uid, name, email, role) in &members { li {
                (name) " (" (email) ", " (ctx.t(&format!("role.{role}"))) ") "
                @if can_edit {
                    form.inline method="post" action={ "/programs/" (p.code) "/members/" (uid) "/remove" } {
                        (csrf_field(&ctx))
                        button.secondary type="submit" aria-label={ (ctx.t("programme.remove_member")) " " (name) } { (ctx.t("programme.remove_member")) }
                    }
                }
            } } }
            @if can_edit && !candidates.is_empty() {
                form method="post" action={ "/programs/" (p.code) "/members" } {
                    (csrf_field(&ctx))
                    div.field {
                        label for="member" { (ctx.t("programme.add_member")) }
                        select id="member" name="user_id" {
                            @for u in &candidates { option value=(u.id) { (u.name) " (" (ctx.t(&format!("role.{}", u.role))) ")" } }
                        }
                    }
                    button type="submit" { (ctx.t("programme.add_member")) }
                }
            }
            h2 id="history" { (ctx.t("programme.history")) }
            table {
                thead { tr {
                    th scope="col" { (ctx.t("audit.when")) }
                    th scope="col" { (ctx.t("audit.who")) }
                    th scope="col" { (ctx.t("audit.what")) }
                    th scope="col" { (ctx.t("audit.changes")) }
                } }
                tbody {
                    @for a in &history {
                        tr {
                            td { (fmt_instant(&ctx, a.at, &p.time_zone)) }
                            td { (audit_actor(&ctx, &a.actor)) }
                            td { (audit_what(&ctx, &a.action, &a.entity, &audit_subject_of(&a.entity, &a.entity_id, a.before.as_ref(), a.after.as_ref()))) }
                            td { (audit_diff(&ctx, &a.entity, &a.action, a.before.as_ref(), a.after.as_ref())) }
                        }
                    }
                }
            }
            (paging::pager(&ctx, &format!("/programs/{}", p.code), page, more))
            }
        },
    ))
}

/// The delete button; a programme that holds data is archived and needs its code typed again.
pub(super) fn delete_form(ctx: &Ctx, p: &Programme, typed: &str, errors: &[Invalid]) -> Markup {
    html! {
        form.delete method="post" action={ "/programs/" (p.code) "/delete" } {
            (csrf_field(ctx))
            (input(ctx, errors, "confirm", "roles.delete.confirm", "text", typed, false))
            p.hint { (ctx.tf("roles.delete.hint", &[("code", &p.code), ("days", &rumbo_app::programmes::ARCHIVE_DAYS.to_string())])) }
            button.danger type="submit" { (ctx.t("programme.delete")) }
        }
    }
}

fn facts(ctx: &Ctx, p: &Programme) -> Markup {
    html! {
        dl.facts {
            dt { (ctx.t("programme.status")) } dd { (status_badge(ctx, p.status)) }
            dt { (ctx.t("programme.client")) } dd { (p.client_name) }
            dt { (ctx.t("programme.product")) } dd { (p.product_name.as_deref().unwrap_or("—")) }
            dt { (ctx.t("programme.channels")) } dd { (channels_text(ctx, &p.channels)) }
            dt { (ctx.t("programme.start_date")) } dd { (fmt_date(ctx, &p.start_date)) }
            dt { (ctx.t("programme.end_date")) } dd { (p.end_date.as_ref().map(|d| fmt_date(ctx, d)).unwrap_or_else(|| "—".into())) }
            dt { (ctx.t("programme.time_zone")) } dd { (p.time_zone) }
            dt { (ctx.t("programme.description")) } dd { (p.description) }
        }
    }
}

async fn edit_form(
    State(state): State<AppState>,
    ctx: Ctx,
    ProgrammeAccess { programme: p, .. }: ProgrammeAccess<Update>,
) -> Result<Markup, AppError> {
    let v = rumbo_app::programmes::input_from(&p);
    let action = format!("/programs/{}/edit", p.code);
    let form = programme_form(&state, &ctx, &action, &v, &[], true).await?;
    Ok(layout(
        &ctx,
        Section::Programmes,
        ctx.t("programme.edit"),
        form,
    ))
}

async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Form(f): Form,
) -> Result<Response, AppError> {
    let mut v = input_from_form(&f);
    v.code = code.to_ascii_uppercase();
    match state
        .app
        .update_programme(&ctx.principal()?, &code, v.clone())
        .await
    {
        Ok(p) => Ok(redirect(&format!("/programs/{}", p.code))),
        Err(e) => {
            let action = format!("/programs/{}/edit", v.code);
            form_error(
                &state,
                &ctx,
                e.into(),
                &action,
                &v,
                ctx.t("programme.edit"),
                true,
            )
            .await
        }
    }
}

async fn delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Form(f): Form,
) -> Result<Response, AppError> {
    super::archive::delete_post(&state, &ctx, &code, f.get("confirm")).await
}

async fn add_member(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    _access: ProgrammeAccess<Update>,
    Form(f): Form,
) -> Result<Response, AppError> {
    let user_id = f
        .get("user_id")
        .trim()
        .parse()
        .map_err(|_| AppError::invalid("user_id", "error.unknown.user"))?;
    state
        .app
        .add_member(&ctx.principal()?, &code, user_id)
        .await?;
    Ok(redirect(&format!(
        "/programs/{}",
        code.to_ascii_uppercase()
    )))
}

async fn remove_member(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, user_id)): Path<(String, i64)>,
    Form(_): Form,
) -> Result<Response, AppError> {
    state
        .app
        .remove_member(&ctx.principal()?, &code, user_id)
        .await?;
    Ok(redirect(&format!(
        "/programs/{}",
        code.to_ascii_uppercase()
    )))
}
