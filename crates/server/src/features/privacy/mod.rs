//! Data protection pages (admins, who act as the DPO): `/privacy` with the reminders, the
//! request register, the person search with export and erasure, and the suppression list;
//! a request's page with its extension and reply; the breach register with the notices to the
//! Agencia and to the people (es and en); settings with the DPO's contact, deadlines,
//! retention and the purge; each programme's record of processing; and the public
//! information policy at `/privacy/policy` (no login).

pub mod api;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup};
use rumbo_app::privacy::{
    Breach, DpoContact, Findings, NewRequest, PersonQuery, ProcessingRecord, Reply, RequestView,
    PRIVACY_OFFICERS,
};
use rumbo_domain::privacy::{
    DataClass, Deadlines, LegalBasis, ProcessingRole, RequestKind, SuppressionReason,
};
use rumbo_domain::Invalid;

use crate::http::ctx::{Ctx, Form, FormData};
use crate::http::error::AppError;
use crate::view::{
    csrf_field, field_errors, fmt_date, fmt_instant, input, layout, redirect, Section,
};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/privacy", get(home))
        .route("/privacy/requests", post(create_request))
        .route("/privacy/requests/{id}", get(request_page))
        .route("/privacy/requests/{id}/extension", post(extend))
        .route("/privacy/requests/{id}/reply", post(reply))
        .route("/privacy/search", post(search))
        .route("/privacy/export", post(export))
        .route("/privacy/erase", post(erase))
        .route("/privacy/suppressions", post(suppress))
        .route("/privacy/breaches", get(breaches_page).post(create_breach))
        .route(
            "/privacy/breaches/{id}",
            get(breach_page).post(update_breach),
        )
        .route("/privacy/settings", get(settings_page).post(save_settings))
        .route("/privacy/purge", post(purge))
        .route("/privacy/policy", get(policy_page))
        .route(
            "/programs/{code}/processing",
            get(record_page).post(save_record),
        )
}

/// The notices a breach calls for, from the catalogues (both languages serve the API).
pub mod notices {
    use rumbo_app::privacy::{Breach, DpoContact};

    use crate::view::i18n::Lang;

    fn args(lang: Lang, b: &Breach, dpo: &DpoContact) -> Vec<(&'static str, String)> {
        vec![
            ("what", b.what.clone()),
            ("occurred", super::date_in(lang, &b.occurred_on)),
            ("detected", super::date_in(lang, &b.detected_on)),
            ("data", b.data_classes.clone()),
            ("people", b.people_affected.to_string()),
            ("measures", b.measures.clone()),
            (
                "dpo",
                format!("{} {} {}", dpo.name, dpo.email, dpo.phone)
                    .trim()
                    .to_string(),
            ),
        ]
    }

    fn fill(lang: Lang, key: &str, b: &Breach, dpo: &DpoContact) -> String {
        let a = args(lang, b, dpo);
        let refs: Vec<(&str, &str)> = a.iter().map(|(k, v)| (*k, v.as_str())).collect();
        lang.tf(key, &refs)
    }

    /// The report to the Agencia (art. 14 sexies).
    pub fn agency(lang: Lang, b: &Breach, dpo: &DpoContact) -> String {
        fill(lang, "privacy.notice.agency", b, dpo)
    }

    /// The notice to the people affected (sensitive, children's or financial data).
    pub fn people(lang: Lang, b: &Breach, dpo: &DpoContact) -> String {
        fill(lang, "privacy.notice.people", b, dpo)
    }
}

/// A date stored as ISO text, in the language's format (`21-11-2026` in Spanish).
fn date_in(lang: crate::view::i18n::Lang, iso: &str) -> String {
    let cx = crate::view::ViewCx {
        lang,
        ..Default::default()
    };
    iso.parse::<jiff::civil::Date>()
        .map(|d| fmt_date(&cx, &d))
        .unwrap_or_else(|_| iso.to_string())
}

fn nav(ctx: &Ctx) -> Markup {
    html! {
        nav.subnav aria-label=(ctx.t("privacy.title")) {
            ul {
                li { a href="/privacy" { (ctx.t("privacy.requests")) } }
                li { a href="/privacy/breaches" { (ctx.t("privacy.breaches")) } }
                li { a href="/privacy/settings" { (ctx.t("privacy.settings")) } }
                li { a href="/privacy/policy" { (ctx.t("privacy.policy")) } }
            }
        }
    }
}

fn problems(ctx: &Ctx, errors: &[Invalid]) -> Markup {
    html! {
        @if !errors.is_empty() {
            div.problems role="alert" { ul { @for e in errors { li { (ctx.t(e.key)) } } } }
        }
    }
}

fn select(ctx: &Ctx, field: &str, label: &str, options: &[(&str, String)], chosen: &str) -> Markup {
    html! {
        div.field {
            label for=(field) { (ctx.t(label)) }
            select id=(field) name=(field) {
                @for (v, text) in options {
                    option value=(v) selected[*v == chosen] { (text) }
                }
            }
        }
    }
}

fn urgency_text(ctx: &Ctx, v: &RequestView) -> String {
    v.urgency
        .map(|u| {
            ctx.t(&format!("privacy.urgency.{}", u.as_str()))
                .to_string()
        })
        .unwrap_or_default()
}

/// What a person search shows, plus the forms to export or erase (the identifier is carried
/// in hidden fields of POST forms, never in a URL).
fn findings_view(ctx: &Ctx, q: &PersonQuery<'_>, f: &Findings) -> Markup {
    let per = {
        let mut m: std::collections::BTreeMap<&str, (usize, usize)> = Default::default();
        for r in &f.records {
            let e = m.entry(r.programme.as_str()).or_default();
            if r.linked {
                e.1 += 1;
            } else {
                e.0 += 1;
            }
        }
        m
    };
    let hidden = html! {
        (csrf_field(ctx))
        input type="hidden" name="by" value=(q.kind);
        input type="hidden" name="value" value=(q.value);
        input type="hidden" name="request_id" value=(q.request_id.map(|i| i.to_string()).unwrap_or_default());
    };
    html! {
        section id="findings" {
            h2 { (ctx.t("privacy.search.results")) }
            @if f.is_empty() {
                p { (ctx.t("privacy.search.nothing")) }
            } @else {
                table {
                    thead { tr { th { (ctx.t("privacy.programme")) } th { (ctx.t("privacy.search.records")) } th { (ctx.t("privacy.search.linked")) } } }
                    tbody { @for (code, (n, l)) in &per { tr { td { (code) } td { (n) } td { (l) } } } }
                }
                ul {
                    li { (ctx.t("privacy.search.issues")) ": " (f.issues.len()) }
                    li { (ctx.t("privacy.search.audit")) ": " (f.audit.len()) }
                    li { (ctx.t("privacy.search.accounts")) ": " (f.users.len() + f.people.len()) }
                }
            }
            @if let Some(s) = f.suppressed {
                p.notice { (ctx.t(&format!("privacy.suppression.{}", s.as_str()))) }
            }
            form method="post" action="/privacy/export" { (hidden) button type="submit" { (ctx.t("privacy.export")) } }
            @if !f.is_empty() {
                form method="post" action="/privacy/erase" {
                    (hidden)
                    p { (ctx.t("privacy.erase.warning")) }
                    button.danger type="submit" { (ctx.t("privacy.erase")) }
                }
            }
        }
    }
}

async fn home_page(
    state: &AppState,
    ctx: &Ctx,
    errors: &[Invalid],
    extra: Markup,
) -> Result<Markup, AppError> {
    let who = ctx.principal()?;
    let list = state.app.rights_requests(Some(&who)).await?;
    let counts = state.app.suppression_counts(Some(&who)).await?;
    let programmes = state.app.visible_programmes(&who).await?;
    let due: Vec<&RequestView> = list
        .iter()
        .filter(|v| v.urgency.is_some_and(|u| u.as_str() != "on_time"))
        .collect();
    let kinds: Vec<(&str, String)> = RequestKind::ALL
        .iter()
        .map(|k| {
            (
                k.as_str(),
                ctx.t(&format!("privacy.kind.{}", k.as_str())).to_string(),
            )
        })
        .collect();
    let by: Vec<(&str, String)> = ["phone", "rut", "email", "name"]
        .iter()
        .map(|k| (*k, ctx.t(&format!("privacy.by.{k}")).to_string()))
        .collect();
    let reasons: Vec<(&str, String)> = SuppressionReason::ALL
        .iter()
        .map(|k| {
            (
                k.as_str(),
                ctx.t(&format!("privacy.suppression.{}", k.as_str()))
                    .to_string(),
            )
        })
        .collect();
    Ok(layout(
        ctx,
        Section::Admin,
        ctx.t("privacy.title"),
        html! {
            (nav(ctx))
            (problems(ctx, errors))
            (extra)
            h2 { (ctx.t("privacy.reminders")) }
            @if due.is_empty() {
                p { (ctx.t("privacy.reminders.none")) }
            } @else {
                ul.reminders { @for v in &due {
                    li { a href={ "/privacy/requests/" (v.request.id) } { "#" (v.request.id) " · " (ctx.t(&format!("privacy.kind.{}", v.request.kind.as_str()))) } " · " (urgency_text(ctx, v)) " · " (fmt_date(ctx, &v.request.due_on)) }
                } }
            }
            h2 { (ctx.t("privacy.requests")) }
            table {
                thead { tr {
                    th { "#" } th { (ctx.t("privacy.kind")) } th { (ctx.t("privacy.subject")) } th { (ctx.t("privacy.received_on")) }
                    th { (ctx.t("privacy.due_on")) } th { (ctx.t("privacy.status")) }
                } }
                tbody { @for v in &list { tr {
                    td { a href={ "/privacy/requests/" (v.request.id) } { (v.request.id) } }
                    td { (ctx.t(&format!("privacy.kind.{}", v.request.kind.as_str()))) }
                    td { (v.request.subject) }
                    td { (fmt_date(ctx, &v.request.received_on)) }
                    td { (fmt_date(ctx, &v.request.due_on)) " " (urgency_text(ctx, v)) }
                    td { (ctx.t(&format!("privacy.status.{}", v.request.status.as_str()))) }
                } } }
            }
            h3 { (ctx.t("privacy.request.new")) }
            form method="post" action="/privacy/requests" {
                (csrf_field(ctx))
                (select(ctx, "kind", "privacy.kind", &kinds, "access"))
                (input(ctx, errors, "subject", "privacy.subject", "text", "", true))
                p.hint { (ctx.t("privacy.subject.hint")) }
                (input(ctx, errors, "channel", "privacy.channel", "text", "", false))
                (input(ctx, errors, "received_on", "privacy.received_on", "date", "", false))
                div.field { label { input type="checkbox" name="identity_checked" value="true"; " " (ctx.t("privacy.identity_checked")) } }
                button type="submit" { (ctx.t("privacy.request.register")) }
            }
            h2 { (ctx.t("privacy.search")) }
            form method="post" action="/privacy/search" {
                (csrf_field(ctx))
                (select(ctx, "by", "privacy.search.by", &by, "phone"))
                (input(ctx, errors, "value", "privacy.search.value", "text", "", true))
                (input(ctx, errors, "request_id", "privacy.search.request", "number", "", false))
                button type="submit" { (ctx.t("privacy.search.submit")) }
            }
            h2 { (ctx.t("privacy.records")) }
            ul.records { @for p in &programmes {
                li { a href={ "/programs/" (p.programme.code) "/processing" } { (p.programme.code) " · " (p.programme.name) } }
            } }
            h2 { (ctx.t("privacy.suppression")) }
            ul { @for (r, n) in &counts { li { (ctx.t(&format!("privacy.suppression.{}", r.as_str()))) ": " (n) } } }
            form method="post" action="/privacy/suppressions" {
                (csrf_field(ctx))
                (input(ctx, errors, "number", "privacy.suppression.number", "tel", "", true))
                (select(ctx, "reason", "privacy.suppression.reason", &reasons, "objection"))
                (input(ctx, errors, "request_id", "privacy.search.request", "number", "", false))
                button type="submit" { (ctx.t("privacy.suppression.add")) }
            }
        },
    ))
}

async fn home(State(state): State<AppState>, ctx: Ctx) -> Result<Markup, AppError> {
    ctx.require_role(PRIVACY_OFFICERS)?;
    home_page(&state, &ctx, &[], html! {}).await
}

/// A page again with the errors of a refused form (422), or the error itself.
async fn refused(state: &AppState, ctx: &Ctx, e: AppError) -> Result<Response, AppError> {
    match e {
        e @ (AppError::Invalid(_) | AppError::Conflict(_)) => {
            let page = home_page(state, ctx, e.invalids(), html! {}).await?;
            Ok((e.status(), page).into_response())
        }
        e => Err(e),
    }
}

fn opt_id(f: &FormData, name: &str) -> Result<Option<i64>, AppError> {
    let v = f.get(name).trim();
    if v.is_empty() {
        return Ok(None);
    }
    v.parse().map(Some).map_err(|_| {
        AppError::Invalid(Invalid::new(name_static(name), "error.privacy.request_id").into())
    })
}

fn name_static(name: &str) -> &'static str {
    match name {
        "request_id" => "request_id",
        _ => "id",
    }
}

async fn create_request(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form,
) -> Result<Response, AppError> {
    let who = ctx.principal()?;
    let r = state
        .app
        .register_request(
            Some(&who),
            NewRequest {
                kind: f.get("kind"),
                subject: f.get("subject"),
                channel: f.get("channel"),
                received_on: f.get("received_on"),
                identity_checked: f.get("identity_checked") == "true",
            },
        )
        .await;
    match r {
        Ok(v) => Ok(redirect(&format!("/privacy/requests/{}", v.request.id))),
        Err(e) => refused(&state, &ctx, e.into()).await,
    }
}

async fn request_view(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    errors: &[Invalid],
) -> Result<Markup, AppError> {
    let who = ctx.principal()?;
    let v = state.app.rights_request(Some(&who), id).await?;
    let r = &v.request;
    let open = r.status.as_str() == "open";
    Ok(layout(
        ctx,
        Section::Admin,
        &ctx.tf("privacy.request.title", &[("id", &r.id.to_string())]),
        html! {
            (nav(ctx))
            (problems(ctx, errors))
            dl {
                dt { (ctx.t("privacy.kind")) } dd { (ctx.t(&format!("privacy.kind.{}", r.kind.as_str()))) }
                dt { (ctx.t("privacy.subject")) } dd { (r.subject) }
                dt { (ctx.t("privacy.channel")) } dd { (r.channel) }
                dt { (ctx.t("privacy.received_on")) } dd { (fmt_date(ctx, &r.received_on)) }
                dt { (ctx.t("privacy.acknowledged_at")) } dd { (r.acknowledged_at.map(|t| fmt_instant(ctx, t, rumbo_domain::programme::DEFAULT_TIME_ZONE)).unwrap_or_default()) }
                dt { (ctx.t("privacy.identity_checked")) } dd { (ctx.t(if r.identity_checked { "privacy.yes" } else { "privacy.no" })) }
                dt { (ctx.t("privacy.due_on")) } dd id="due-on" { (fmt_date(ctx, &r.due_on)) " " (urgency_text(ctx, &v)) }
                @if r.extended { dt { (ctx.t("privacy.extension")) } dd { (r.extension_reason) } }
                dt { (ctx.t("privacy.status")) } dd id="status" { (ctx.t(&format!("privacy.status.{}", r.status.as_str()))) }
                @if let Some(d) = r.answered_on { dt { (ctx.t("privacy.answered_on")) } dd { (fmt_date(ctx, &d)) } }
                @if !r.answer.is_empty() { dt { (ctx.t("privacy.answer")) } dd { (r.answer) } }
                @if !r.denial_reason.is_empty() { dt { (ctx.t("privacy.denial_reason")) } dd { (r.denial_reason) } }
                @if let Some(d) = r.complain_until { dt { (ctx.t("privacy.complain_until")) } dd id="complain-until" { (fmt_date(ctx, &d)) } }
                @if !r.proof.is_empty() { dt { (ctx.t("privacy.proof")) } dd id="proof" { (r.proof) } }
            }
            @if open && !r.extended {
                h2 { (ctx.t("privacy.extension")) }
                form method="post" action={ "/privacy/requests/" (r.id) "/extension" } {
                    (csrf_field(ctx))
                    (input(ctx, errors, "reason", "privacy.extension.reason", "text", "", true))
                    button type="submit" { (ctx.t("privacy.extension.submit")) }
                }
            }
            @if open {
                h2 { (ctx.t("privacy.reply")) }
                form method="post" action={ "/privacy/requests/" (r.id) "/reply" } {
                    (csrf_field(ctx))
                    (select(ctx, "outcome", "privacy.reply.outcome", &[("answered", ctx.t("privacy.status.answered").to_string()), ("denied", ctx.t("privacy.status.denied").to_string())], "answered"))
                    div.field {
                        label for="text" { (ctx.t("privacy.reply.text")) " *" }
                        textarea id="text" name="text" required {}
                        (field_errors(ctx, errors, "answer"))
                        (field_errors(ctx, errors, "reason"))
                    }
                    (input(ctx, errors, "proof", "privacy.proof", "text", "", true))
                    (input(ctx, errors, "answered_on", "privacy.answered_on", "date", "", false))
                    button type="submit" { (ctx.t("privacy.reply.submit")) }
                }
            }
        },
    ))
}

async fn request_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Markup, AppError> {
    request_view(&state, &ctx, id, &[]).await
}

async fn request_refused(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    e: AppError,
) -> Result<Response, AppError> {
    match e {
        e @ (AppError::Invalid(_) | AppError::Conflict(_)) => {
            let page = request_view(state, ctx, id, e.invalids()).await?;
            Ok((e.status(), page).into_response())
        }
        e => Err(e),
    }
}

async fn extend(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form,
) -> Result<Response, AppError> {
    let who = ctx.principal()?;
    match state
        .app
        .extend_request(Some(&who), id, f.get("reason"))
        .await
    {
        Ok(_) => Ok(redirect(&format!("/privacy/requests/{id}"))),
        Err(e) => request_refused(&state, &ctx, id, e.into()).await,
    }
}

async fn reply(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form,
) -> Result<Response, AppError> {
    let who = ctx.principal()?;
    let r = if f.get("outcome") == "denied" {
        Reply::Denied {
            reason: f.get("text"),
        }
    } else {
        Reply::Answered {
            answer: f.get("text"),
        }
    };
    match state
        .app
        .reply_request(Some(&who), id, r, f.get("proof"), f.get("answered_on"))
        .await
    {
        Ok(_) => Ok(redirect(&format!("/privacy/requests/{id}"))),
        Err(e) => request_refused(&state, &ctx, id, e.into()).await,
    }
}

async fn search(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form,
) -> Result<Response, AppError> {
    let who = ctx.principal()?;
    let request_id = match opt_id(&f, "request_id") {
        Ok(v) => v,
        Err(e) => return refused(&state, &ctx, e).await,
    };
    let q = PersonQuery {
        kind: f.get("by"),
        value: f.get("value"),
        request_id,
    };
    match state.app.find_person(Some(&who), &q).await {
        Ok(found) => Ok(
            home_page(&state, &ctx, &[], findings_view(&ctx, &q, &found))
                .await?
                .into_response(),
        ),
        Err(e) => refused(&state, &ctx, e.into()).await,
    }
}

async fn export(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form,
) -> Result<Response, AppError> {
    let who = ctx.principal()?;
    let q = PersonQuery {
        kind: f.get("by"),
        value: f.get("value"),
        request_id: opt_id(&f, "request_id")?,
    };
    match state.app.export_person(Some(&who), &q).await {
        Ok(zip) => Ok(api::zip_response(zip)),
        Err(e) => refused(&state, &ctx, e.into()).await,
    }
}

async fn erase(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form,
) -> Result<Response, AppError> {
    let who = ctx.principal()?;
    let q = PersonQuery {
        kind: f.get("by"),
        value: f.get("value"),
        request_id: opt_id(&f, "request_id")?,
    };
    match state.app.erase_person(Some(&who), &q).await {
        Ok(e) => {
            let done = html! {
                p.notice role="status" {
                    (ctx.tf("privacy.erase.done", &[
                        ("records", &e.records.to_string()),
                        ("issues", &e.issues.to_string()),
                        ("audit", &e.audit.to_string()),
                    ]))
                }
            };
            Ok(home_page(&state, &ctx, &[], done).await?.into_response())
        }
        Err(e) => refused(&state, &ctx, e.into()).await,
    }
}

async fn suppress(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form,
) -> Result<Response, AppError> {
    let who = ctx.principal()?;
    let request_id = match opt_id(&f, "request_id") {
        Ok(v) => v,
        Err(e) => return refused(&state, &ctx, e).await,
    };
    match state
        .app
        .suppress_number(Some(&who), f.get("number"), f.get("reason"), request_id)
        .await
    {
        Ok(_) => Ok(redirect("/privacy")),
        Err(e) => refused(&state, &ctx, e.into()).await,
    }
}

fn breach_form(ctx: &Ctx, errors: &[Invalid], b: Option<&Breach>, action: &str) -> Markup {
    let empty = Breach::default();
    let v = b.unwrap_or(&empty);
    let people = if b.is_some() {
        v.people_affected.to_string()
    } else {
        "0".to_string()
    };
    let flags = [
        ("risk", "privacy.breach.risk", v.risk),
        ("sensitive", "privacy.breach.sensitive", v.sensitive),
        ("children", "privacy.breach.children", v.children),
        ("financial", "privacy.breach.financial", v.financial),
    ];
    html! {
        form method="post" action=(action) {
            (csrf_field(ctx))
            div.field {
                label for="what" { (ctx.t("privacy.breach.what")) " *" }
                textarea id="what" name="what" required { (v.what) }
                (field_errors(ctx, errors, "what"))
            }
            (input(ctx, errors, "occurred_on", "privacy.breach.occurred_on", "date", &v.occurred_on, true))
            (input(ctx, errors, "detected_on", "privacy.breach.detected_on", "date", &v.detected_on, true))
            (input(ctx, errors, "data_classes", "privacy.breach.data_classes", "text", &v.data_classes, true))
            (input(ctx, errors, "people_affected", "privacy.breach.people_affected", "number", &people, true))
            div.field {
                label for="measures" { (ctx.t("privacy.breach.measures")) " *" }
                textarea id="measures" name="measures" required { (v.measures) }
                (field_errors(ctx, errors, "measures"))
            }
            @for (f, k, on) in flags {
                div.field { label { input type="checkbox" name=(f) value="true" checked[on]; " " (ctx.t(k)) } }
            }
            (input(ctx, errors, "agency_notified_on", "privacy.breach.agency_notified_on", "date", v.agency_notified_on.as_deref().unwrap_or(""), false))
            (input(ctx, errors, "people_notified_on", "privacy.breach.people_notified_on", "date", v.people_notified_on.as_deref().unwrap_or(""), false))
            button type="submit" { (ctx.t(if b.is_some() { "privacy.breach.save" } else { "privacy.breach.register" })) }
        }
    }
}

async fn breaches_view(
    state: &AppState,
    ctx: &Ctx,
    errors: &[Invalid],
) -> Result<Markup, AppError> {
    let who = ctx.principal()?;
    let list = state.app.breaches(&who).await?;
    Ok(layout(
        ctx,
        Section::Admin,
        ctx.t("privacy.breaches"),
        html! {
            (nav(ctx))
            (problems(ctx, errors))
            table {
                thead { tr { th { "#" } th { (ctx.t("privacy.breach.detected_on")) } th { (ctx.t("privacy.breach.what")) } th { (ctx.t("privacy.breach.people_affected")) } } }
                tbody { @for b in &list { tr {
                    td { a href={ "/privacy/breaches/" (b.id) } { (b.id) } }
                    td { (date_in(ctx.lang, &b.detected_on)) } td { (b.what) } td { (crate::view::fmt_int(ctx.lang, b.people_affected)) }
                } } }
            }
            h2 { (ctx.t("privacy.breach.new")) }
            (breach_form(ctx, errors, None, "/privacy/breaches"))
        },
    ))
}

async fn breaches_page(State(state): State<AppState>, ctx: Ctx) -> Result<Markup, AppError> {
    breaches_view(&state, &ctx, &[]).await
}

fn breach_from_form(f: &FormData) -> Result<Breach, AppError> {
    let opt = |n: &str| Some(f.get(n).trim().to_string()).filter(|s| !s.is_empty());
    Ok(Breach {
        id: 0,
        what: f.get("what").to_string(),
        occurred_on: f.get("occurred_on").to_string(),
        detected_on: f.get("detected_on").to_string(),
        data_classes: f.get("data_classes").to_string(),
        people_affected: f.get("people_affected").trim().parse().map_err(|_| {
            AppError::Invalid(Invalid::new("people_affected", "error.privacy.people").into())
        })?,
        measures: f.get("measures").to_string(),
        risk: f.get("risk") == "true",
        sensitive: f.get("sensitive") == "true",
        children: f.get("children") == "true",
        financial: f.get("financial") == "true",
        agency_notified_on: opt("agency_notified_on"),
        people_notified_on: opt("people_notified_on"),
    })
}

async fn create_breach(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form,
) -> Result<Response, AppError> {
    let who = ctx.principal()?;
    let r = match breach_from_form(&f) {
        Ok(b) => state
            .app
            .register_breach(&who, b)
            .await
            .map_err(AppError::from),
        Err(e) => Err(e),
    };
    match r {
        Ok(b) => Ok(redirect(&format!("/privacy/breaches/{}", b.id))),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let page = breaches_view(&state, &ctx, e.invalids()).await?;
            Ok((e.status(), page).into_response())
        }
        Err(e) => Err(e),
    }
}

async fn breach_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Markup, AppError> {
    breach_view(&state, &ctx, id, &[]).await
}

async fn update_breach(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form,
) -> Result<Response, AppError> {
    let who = ctx.principal()?;
    state.app.breach(&who, id).await?;
    let r = match breach_from_form(&f) {
        Ok(b) => state
            .app
            .update_breach(&who, id, b)
            .await
            .map_err(AppError::from),
        Err(e) => Err(e),
    };
    match r {
        Ok(_) => Ok(redirect(&format!("/privacy/breaches/{id}"))),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let page = breach_view(&state, &ctx, id, e.invalids()).await?;
            Ok((e.status(), page).into_response())
        }
        Err(e) => Err(e),
    }
}

async fn breach_view(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    errors: &[Invalid],
) -> Result<Markup, AppError> {
    let who = ctx.principal()?;
    let b = state.app.breach(&who, id).await?;
    let dpo = state.app.dpo_contact().await?;
    let yes_no = |v: bool| ctx.t(if v { "privacy.yes" } else { "privacy.no" });
    use crate::view::i18n::Lang;
    Ok(layout(
        ctx,
        Section::Admin,
        &ctx.tf("privacy.breach.title", &[("id", &b.id.to_string())]),
        html! {
            (nav(ctx))
            dl {
                dt { (ctx.t("privacy.breach.what")) } dd { (b.what) }
                dt { (ctx.t("privacy.breach.occurred_on")) } dd { (date_in(ctx.lang, &b.occurred_on)) }
                dt { (ctx.t("privacy.breach.detected_on")) } dd { (date_in(ctx.lang, &b.detected_on)) }
                dt { (ctx.t("privacy.breach.data_classes")) } dd { (b.data_classes) }
                dt { (ctx.t("privacy.breach.people_affected")) } dd { (b.people_affected) }
                dt { (ctx.t("privacy.breach.measures")) } dd { (b.measures) }
                dt { (ctx.t("privacy.breach.risk")) } dd { (yes_no(b.risk)) }
                dt { (ctx.t("privacy.breach.people_must")) } dd id="people-must" { (yes_no(b.people_must_be_notified())) }
                dt { (ctx.t("privacy.breach.agency_notified_on")) } dd { (b.agency_notified_on.clone().unwrap_or_default()) }
                dt { (ctx.t("privacy.breach.people_notified_on")) } dd { (b.people_notified_on.clone().unwrap_or_default()) }
            }
            @if b.risk {
                h2 { (ctx.t("privacy.notice.agency.title")) }
                @for l in [Lang::Es, Lang::En] {
                    h3 { (ctx.t(&format!("lang.{}", l.code()))) }
                    pre.notice lang=(l.html_lang()) { (notices::agency(l, &b, &dpo)) }
                }
            }
            @if b.people_must_be_notified() {
                h2 { (ctx.t("privacy.notice.people.title")) }
                @for l in [Lang::Es, Lang::En] {
                    h3 { (ctx.t(&format!("lang.{}", l.code()))) }
                    pre.notice lang=(l.html_lang()) { (notices::people(l, &b, &dpo)) }
                }
            }
            h2 { (ctx.t("privacy.breach.edit")) }
            (problems(ctx, errors))
            (breach_form(ctx, errors, Some(&b), &format!("/privacy/breaches/{}", b.id)))
        },
    ))
}

async fn settings_view(
    state: &AppState,
    ctx: &Ctx,
    errors: &[Invalid],
    extra: Markup,
) -> Result<Markup, AppError> {
    let who = ctx.principal()?;
    let s = state.app.privacy_settings(Some(&who)).await?;
    let log = state.app.purge_log(Some(&who), 50).await?;
    let d = s.deadlines;
    let num = |v: i32| v.to_string();
    Ok(layout(
        ctx,
        Section::Admin,
        ctx.t("privacy.settings"),
        html! {
            (nav(ctx))
            (problems(ctx, errors))
            (extra)
            form method="post" action="/privacy/settings" {
                (csrf_field(ctx))
                h2 { (ctx.t("privacy.dpo")) }
                (input(ctx, errors, "dpo_name", "privacy.dpo.name", "text", &s.dpo.name, false))
                (input(ctx, errors, "dpo_email", "privacy.dpo.email", "email", &s.dpo.email, false))
                (input(ctx, errors, "dpo_phone", "privacy.dpo.phone", "tel", &s.dpo.phone, false))
                h2 { (ctx.t("privacy.deadlines")) }
                (input(ctx, errors, "answer_days", "privacy.deadlines.answer_days", "number", &num(d.answer_days), true))
                (input(ctx, errors, "extension_days", "privacy.deadlines.extension_days", "number", &num(d.extension_days), true))
                (input(ctx, errors, "blocking_business_days", "privacy.deadlines.blocking_business_days", "number", &num(d.blocking_business_days), true))
                (input(ctx, errors, "complaint_business_days", "privacy.deadlines.complaint_business_days", "number", &num(d.complaint_business_days), true))
                (input(ctx, errors, "warn_days", "privacy.deadlines.warn_days", "number", &num(d.warn_days), true))
                h2 { (ctx.t("privacy.retention")) }
                p.hint { (ctx.t("privacy.retention.hint")) }
                @for c in DataClass::ALL {
                    (input(ctx, errors, &format!("retention_{}", c.as_str()), &format!("privacy.class.{}", c.as_str()), "number", &s.days(c).to_string(), true))
                }
                button type="submit" { (ctx.t("privacy.settings.save")) }
            }
            h2 { (ctx.t("privacy.purge")) }
            form method="post" action="/privacy/purge" {
                (csrf_field(ctx))
                div.field { label { input type="checkbox" name="dry_run" value="true" checked; " " (ctx.t("privacy.purge.dry_run")) } }
                button type="submit" { (ctx.t("privacy.purge.submit")) }
            }
            h3 { (ctx.t("privacy.purge.log")) }
            table {
                thead { tr { th { (ctx.t("privacy.purge.at")) } th { (ctx.t("privacy.purge.who")) } th { (ctx.t("privacy.purge.class")) } th { (ctx.t("privacy.purge.removed")) } } }
                tbody { @for e in &log { tr {
                    td { (fmt_instant(ctx, e.at, rumbo_domain::programme::DEFAULT_TIME_ZONE)) }
                    td { (e.actor) }
                    td { (ctx.t(&format!("privacy.class.{}", e.data_class.as_str()))) }
                    td { (e.removed) }
                } } }
            }
        },
    ))
}

async fn settings_page(State(state): State<AppState>, ctx: Ctx) -> Result<Markup, AppError> {
    settings_view(&state, &ctx, &[], html! {}).await
}

async fn save_settings(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form,
) -> Result<Response, AppError> {
    let who = ctx.principal()?;
    let mut s = state.app.privacy_settings(Some(&who)).await?;
    let n = |name: &'static str| -> Result<i32, Invalid> {
        f.get(name)
            .trim()
            .parse()
            .map_err(|_| Invalid::new(name, "error.privacy.days"))
    };
    let r = (|| -> Result<(), Invalid> {
        s.dpo = DpoContact {
            name: f.get("dpo_name").trim().to_string(),
            email: f.get("dpo_email").trim().to_string(),
            phone: f.get("dpo_phone").trim().to_string(),
        };
        s.deadlines = Deadlines::new(
            n("answer_days")?,
            n("extension_days")?,
            n("blocking_business_days")?,
            n("complaint_business_days")?,
            n("warn_days")?,
        )?;
        for c in DataClass::ALL {
            let v: u32 = f
                .get(&format!("retention_{}", c.as_str()))
                .trim()
                .parse()
                .map_err(|_| Invalid::new("retention", "error.privacy.days"))?;
            s.retention.insert(c, v);
        }
        Ok(())
    })();
    let r = match r {
        Ok(()) => state
            .app
            .save_privacy_settings(Some(&who), &s)
            .await
            .map_err(AppError::from),
        Err(i) => Err(AppError::Invalid(i.into())),
    };
    match r {
        Ok(()) => Ok(redirect("/privacy/settings")),
        Err(e @ AppError::Invalid(_)) => {
            let page = settings_view(&state, &ctx, e.invalids(), html! {}).await?;
            Ok((e.status(), page).into_response())
        }
        Err(e) => Err(e),
    }
}

async fn purge(State(state): State<AppState>, ctx: Ctx, Form(f): Form) -> Result<Markup, AppError> {
    let who = ctx.principal()?;
    let dry = f.get("dry_run") == "true";
    let lines = state.app.purge(Some(&who), dry).await?;
    let report = html! {
        section id="purge-report" role="status" {
            h2 { (ctx.t(if dry { "privacy.purge.would" } else { "privacy.purge.done" })) }
            table {
                thead { tr { th { (ctx.t("privacy.purge.class")) } th { (ctx.t("privacy.purge.days")) } th { (ctx.t("privacy.purge.removed")) } } }
                tbody { @for l in &lines { tr {
                    td { (ctx.t(&format!("privacy.class.{}", l.class.as_str()))) }
                    td { (l.days) }
                    td { (l.removed) }
                } } }
            }
        }
    };
    settings_view(&state, &ctx, &[], report).await
}

async fn policy_page(State(state): State<AppState>, ctx: Ctx) -> Result<Markup, AppError> {
    let p = state.app.public_policy().await?;
    Ok(layout(
        &ctx,
        Section::None,
        ctx.t("privacy.policy"),
        html! {
            p { (ctx.t("privacy.policy.intro")) }
            h2 { (ctx.t("privacy.dpo")) }
            p id="dpo" { (p.dpo.name) " · " (p.dpo.email) " · " (p.dpo.phone) }
            p { (ctx.t("privacy.policy.rights")) }
            @for (name, r) in &p.records {
                section {
                    h2 { (name) }
                    (record_dl(&ctx, r))
                }
            }
        },
    ))
}

fn record_dl(ctx: &Ctx, r: &ProcessingRecord) -> Markup {
    html! {
        dl {
            dt { (ctx.t("privacy.record.purpose")) } dd { (r.purpose) }
            dt { (ctx.t("privacy.record.legal_basis")) } dd { (ctx.t(&format!("privacy.basis.{}", r.legal_basis))) }
            dt { (ctx.t("privacy.record.role")) } dd { (ctx.t(&format!("privacy.role.{}", r.role))) }
            @if !r.controller.is_empty() { dt { (ctx.t("privacy.record.controller")) } dd { (r.controller) } }
            dt { (ctx.t("privacy.record.data_classes")) } dd { (r.data_classes) }
            dt { (ctx.t("privacy.record.recipients")) } dd { (r.recipients) }
            dt { (ctx.t("privacy.record.transfers")) } dd { (r.transfers) }
            dt { (ctx.t("privacy.record.retention")) } dd { (r.retention) }
        }
    }
}

async fn record_view(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    errors: &[Invalid],
    form: Option<ProcessingRecord>,
) -> Result<Markup, AppError> {
    let who = ctx.principal()?;
    let stored = state.app.processing_record(&who, code).await?;
    let r = form.or(stored).unwrap_or_default();
    let bases: Vec<(&str, String)> = LegalBasis::ALL
        .iter()
        .map(|b| {
            (
                b.as_str(),
                ctx.t(&format!("privacy.basis.{}", b.as_str())).to_string(),
            )
        })
        .collect();
    let roles: Vec<(&str, String)> = ProcessingRole::ALL
        .iter()
        .map(|b| {
            (
                b.as_str(),
                ctx.t(&format!("privacy.role.{}", b.as_str())).to_string(),
            )
        })
        .collect();
    let area = |field: &str, key: &str, value: &str, required: bool| {
        html! {
            div.field {
                label for=(field) { (ctx.t(key)) @if required { " *" } }
                textarea id=(field) name=(field) required[required] { (value) }
                (field_errors(ctx, errors, field))
            }
        }
    };
    Ok(layout(
        ctx,
        Section::Programmes,
        &ctx.tf("privacy.record.title", &[("code", code)]),
        html! {
            (problems(ctx, errors))
            form method="post" action={ "/programs/" (code) "/processing" } {
                (csrf_field(ctx))
                (area("purpose", "privacy.record.purpose", &r.purpose, true))
                (select(ctx, "legal_basis", "privacy.record.legal_basis", &bases, if r.legal_basis.is_empty() { "contract" } else { &r.legal_basis }))
                (select(ctx, "role", "privacy.record.role", &roles, if r.role.is_empty() { "processor" } else { &r.role }))
                (input(ctx, errors, "controller", "privacy.record.controller", "text", &r.controller, false))
                (input(ctx, errors, "contract_ref", "privacy.record.contract_ref", "text", &r.contract_ref, false))
                (area("data_classes", "privacy.record.data_classes", &r.data_classes, true))
                (area("recipients", "privacy.record.recipients", &r.recipients, false))
                (area("transfers", "privacy.record.transfers", &r.transfers, false))
                (area("retention", "privacy.record.retention", &r.retention, true))
                (input(ctx, errors, "end_action", "privacy.record.end_action", "text", &r.end_action, false))
                fieldset {
                    legend { (ctx.t("live.record.callback_roles")) }
                    @for role in rumbo_domain::access::Role::ALL {
                        label.inline {
                            input type="checkbox" name="callback_roles" value=(role.as_str()) checked[r.callback_roles.iter().any(|x| x == role.as_str())];
                            " " (ctx.t(&format!("role.{}", role.as_str())))
                        }
                        " "
                    }
                    (field_errors(ctx, errors, "callback_roles"))
                }
                button type="submit" { (ctx.t("privacy.record.save")) }
            }
        },
    ))
}

async fn record_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Result<Markup, AppError> {
    record_view(&state, &ctx, &code, &[], None).await
}

async fn save_record(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Form(f): Form,
) -> Result<Response, AppError> {
    let who = ctx.principal()?;
    let r = ProcessingRecord {
        purpose: f.get("purpose").to_string(),
        legal_basis: f.get("legal_basis").to_string(),
        role: f.get("role").to_string(),
        controller: f.get("controller").to_string(),
        contract_ref: f.get("contract_ref").to_string(),
        data_classes: f.get("data_classes").to_string(),
        recipients: f.get("recipients").to_string(),
        transfers: f.get("transfers").to_string(),
        retention: f.get("retention").to_string(),
        end_action: f.get("end_action").to_string(),
        callback_roles: f.all("callback_roles"),
    };
    match state
        .app
        .save_processing_record(&who, &code, r.clone())
        .await
    {
        Ok(_) => Ok(redirect(&format!("/programs/{code}/processing"))),
        Err(e) => match AppError::from(e) {
            e @ AppError::Invalid(_) => {
                let page = record_view(&state, &ctx, &code, e.invalids(), Some(r)).await?;
                Ok((e.status(), page).into_response())
            }
            e => Err(e),
        },
    }
}
