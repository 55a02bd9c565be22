//! Reports of a programme in the browser and the API: the reports page (choose a report,
//! period, format and language; distribution schedules with their recipients; the
//! distribution record with each stored copy), the download itself, and the JSON API.
//!
//! Pages: `GET /programs/{code}/reports`, `GET /programs/{code}/reports/download` (the file, or
//! the page again with the message beside the field), `POST /programs/{code}/report-schedules`,
//! `POST /programs/{code}/report-schedules/{id}/run`, `POST …/{id}/delete`,
//! `GET /programs/{code}/distributions/{id}` (a stored copy). API:
//! `GET /programs/{code}/reports/{kind}?from&to&format&lang`,
//! `GET|POST /programs/{code}/report-schedules`, `DELETE /programs/{code}/report-schedules/{id}`,
//! `POST /programs/{code}/report-schedules/{id}/run`, `GET /programs/{code}/distributions`,
//! `GET /programs/{code}/distributions/{id}`. Client viewers get the client-safe report only,
//! and see only the distributions shared with the client.

use std::sync::Arc;

use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use maud::{html, Markup};
use rumbo_app::model::Programme;
use rumbo_app::report::build::{Kind, Rendered, RequestInput, Words, WordsHandle};
use rumbo_app::report::distribute::{Distribution, Frequency, ScheduleInput, ScheduleView};
use rumbo_app::report::{Format, Lang as ReportLang};
use rumbo_domain::access::Role;
use rumbo_domain::Invalid;
use serde::{Deserialize, Serialize};

use crate::http::access::{ProgrammeAccess, Read, Update};
use crate::http::ctx::{ApiJson, Ctx, Form};
use crate::http::error::AppError;
use crate::view::i18n::Lang;
use crate::view::{csrf_field, field_errors, fmt_instant, layout, redirect, Section};
use crate::AppState;

struct CatalogueWords;

impl Words for CatalogueWords {
    fn t(&self, lang: ReportLang, key: &str) -> String {
        let l = match lang {
            ReportLang::Es => Lang::Es,
            ReportLang::En => Lang::En,
        };
        l.t(key).to_string()
    }
}

/// The words of reports from the server's catalogues, for `rumbo_app::Settings::report_words`.
pub fn report_words() -> WordsHandle {
    WordsHandle(Arc::new(CatalogueWords))
}

pub fn page_router() -> Router<AppState> {
    Router::new()
        .route("/programs/{code}/reports", get(reports_page))
        .route("/programs/{code}/reports/download", get(download_page))
        .route(
            "/programs/{code}/report-schedules",
            post(create_schedule_form),
        )
        .route(
            "/programs/{code}/report-schedules/{id}/run",
            post(run_schedule_form),
        )
        .route(
            "/programs/{code}/report-schedules/{id}/delete",
            post(delete_schedule_form),
        )
        .route("/programs/{code}/distributions/{id}", get(stored_copy))
        .route(
            "/reports/identity",
            get(identity_page)
                .post(identity_form)
                .layer(axum::extract::DefaultBodyLimit::max(LOGO_LIMIT + 64 * 1024)),
        )
}

pub fn api_router() -> Router<AppState> {
    Router::new()
        .route("/programs/{code}/reports/{kind}", get(api_report))
        .route(
            "/programs/{code}/report-schedules",
            get(api_schedules).post(api_create_schedule),
        )
        .route(
            "/programs/{code}/report-schedules/{id}",
            axum::routing::delete(api_delete_schedule),
        )
        .route(
            "/programs/{code}/report-schedules/{id}/run",
            post(api_run_schedule),
        )
        .route("/report-identity", get(api_identity).put(api_set_identity))
        .route("/programs/{code}/distributions", get(api_distributions))
        .route("/programs/{code}/distributions/{id}", get(stored_copy))
}

/// Query of a download: every field optional (defaults: PDF, Spanish, last 30 days of data).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ReportQuery {
    pub kind: String,
    pub from: String,
    pub to: String,
    pub format: String,
    pub lang: String,
}

impl ReportQuery {
    fn input(&self, kind: &str, ctx: &Ctx) -> RequestInput {
        RequestInput {
            kind: kind.to_string(),
            from: self.from.clone(),
            to: self.to.clone(),
            format: self.format.clone(),
            lang: if self.lang.trim().is_empty() {
                ctx.lang.code().to_string()
            } else {
                self.lang.clone()
            },
        }
    }
}

/// A rendered report as a download.
fn file_response(r: &Rendered) -> Response {
    (
        [
            (header::CONTENT_TYPE, r.format.content_type().to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", r.file_name),
            ),
            (
                header::HeaderName::from_static("x-content-sha256"),
                r.sha256.clone(),
            ),
        ],
        r.bytes.clone(),
    )
        .into_response()
}

async fn api_report(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Read>,
    UrlPath((_, kind)): UrlPath<(String, String)>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, AppError> {
    let req = q.input(&kind, &ctx).parse()?;
    let r = state
        .app
        .report(&ctx.principal()?, &access.programme.code, &req)
        .await?;
    Ok(file_response(&r))
}

async fn download_page(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Read>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, AppError> {
    let p = &access.programme;
    let who = ctx.principal()?;
    let result = match q.input(&q.kind, &ctx).parse() {
        Ok(req) => state.app.report(&who, &p.code, &req).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(r) => Ok(file_response(&r)),
        Err(rumbo_app::Error::Invalid(v)) => {
            let page =
                render_page(&state, &ctx, p, &q, &v.0, &ScheduleForm::default(), &[]).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

async fn reports_page(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Read>,
) -> Result<Response, AppError> {
    let page = render_page(
        &state,
        &ctx,
        &access.programme,
        &ReportQuery::default(),
        &[],
        &ScheduleForm::default(),
        &[],
    )
    .await?;
    Ok(page.into_response())
}

/// The schedule form's fields as typed.
#[derive(Debug, Clone, Default)]
struct ScheduleForm(ScheduleInput);

fn schedule_input(f: &crate::http::ctx::FormData) -> ScheduleInput {
    ScheduleInput {
        kind: f.get("kind").to_string(),
        format: f.get("format").to_string(),
        lang: f.get("lang").to_string(),
        frequency: f.get("frequency").to_string(),
        areas: f.get("areas").to_string(),
        people: f.get("people").to_string(),
        client_contacts: f.get("client_contacts").to_string(),
    }
}

async fn create_schedule_form(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Update>,
    Form(f): Form,
) -> Result<Response, AppError> {
    let p = &access.programme;
    let input = schedule_input(&f);
    match state
        .app
        .create_report_schedule(&ctx.principal()?, &p.code, &input)
        .await
    {
        Ok(_) => Ok(redirect(&format!("/programs/{}/reports#schedules", p.code))),
        Err(rumbo_app::Error::Invalid(v)) => {
            let page = render_page(
                &state,
                &ctx,
                p,
                &ReportQuery::default(),
                &[],
                &ScheduleForm(input),
                &v.0,
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

async fn run_schedule_form(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Update>,
    UrlPath((_, id)): UrlPath<(String, i64)>,
    Form(_): Form,
) -> Result<Response, AppError> {
    let code = &access.programme.code;
    let job = state
        .app
        .run_report_schedule_now(&ctx.principal()?, code, id)
        .await?;
    Ok(redirect(&format!("/imports/jobs/{job}")))
}

async fn delete_schedule_form(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Update>,
    UrlPath((_, id)): UrlPath<(String, i64)>,
    Form(_): Form,
) -> Result<Response, AppError> {
    let code = &access.programme.code;
    state
        .app
        .delete_report_schedule(&ctx.principal()?, code, id)
        .await?;
    Ok(redirect(&format!("/programs/{code}/reports#schedules")))
}

async fn stored_copy(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Read>,
    UrlPath((_, id)): UrlPath<(String, i64)>,
) -> Result<Response, AppError> {
    let (d, bytes) = state
        .app
        .distribution_file(&ctx.principal()?, &access.programme.code, id)
        .await?;
    let format = Format::parse(&d.format).unwrap_or(Format::Pdf);
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type().to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", d.file_name),
            ),
            (
                header::HeaderName::from_static("x-content-sha256"),
                d.sha256.clone(),
            ),
        ],
        bytes,
    )
        .into_response())
}

fn select(
    ctx: &Ctx,
    errors: &[Invalid],
    field: &'static str,
    label: &str,
    options: &[(String, String)],
    chosen: &str,
) -> Markup {
    let has_error = errors.iter().any(|e| e.field == field);
    html! {
        div.field {
            label for=(field) { (ctx.t(label)) }
            select id=(field) name=(field) aria-invalid=[has_error.then_some("true")]
                aria-describedby=[has_error.then(|| format!("err-{field}"))] {
                @for (v, text) in options { option value=(v) selected[v == chosen] { (text) } }
            }
            (field_errors(ctx, errors, field))
        }
    }
}

fn textarea(
    ctx: &Ctx,
    errors: &[Invalid],
    field: &'static str,
    label: &str,
    value: &str,
) -> Markup {
    let has_error = errors.iter().any(|e| e.field == field);
    html! {
        div.field {
            label for=(field) { (ctx.t(label)) }
            textarea id=(field) name=(field) rows="3" aria-invalid=[has_error.then_some("true")]
                aria-describedby=[has_error.then(|| format!("err-{field}"))] { (value) }
            (field_errors(ctx, errors, field))
        }
    }
}

async fn render_page(
    state: &AppState,
    ctx: &Ctx,
    p: &Programme,
    q: &ReportQuery,
    errors: &[Invalid],
    sched: &ScheduleForm,
    sched_errors: &[Invalid],
) -> Result<Markup, AppError> {
    let who = ctx.principal()?;
    let client_viewer = who.role == Role::ClientViewer;
    let may_update = state
        .app
        .programme_for(&who, &p.code, rumbo_domain::access::Action::Update)
        .await
        .is_ok();
    let schedules = state.app.report_schedules(&who, &p.code).await?;
    let distributions = state.app.distributions(&who, &p.code).await?;
    let kinds: Vec<(String, String)> = Kind::ALL
        .iter()
        .filter(|k| !client_viewer || k.client_safe())
        .map(|k| {
            (
                k.as_str().to_string(),
                ctx.t(&format!("report.kind.{}", k.as_str())).to_string(),
            )
        })
        .collect();
    let formats: Vec<(String, String)> = Format::ALL
        .iter()
        .map(|f| (f.as_str().to_string(), f.as_str().to_uppercase()))
        .collect();
    let langs: Vec<(String, String)> = ReportLang::ALL
        .iter()
        .map(|l| {
            (
                l.as_str().to_string(),
                ctx.t(&format!("report.page.lang_{}", l.as_str()))
                    .to_string(),
            )
        })
        .collect();
    let freqs: Vec<(String, String)> = Frequency::ALL
        .iter()
        .map(|f| {
            (
                f.as_str().to_string(),
                ctx.t(&format!("report.page.frequency_{}", f.as_str()))
                    .to_string(),
            )
        })
        .collect();
    let lang_now = if q.lang.is_empty() {
        ctx.lang.code().to_string()
    } else {
        q.lang.clone()
    };
    let s = &sched.0;
    let body = html! {
        nav.tabs aria-label=(ctx.t("report.page.title")) {
            a href={ "/programs/" (p.code) } { "← " (p.code) }
            " · " a href={ "/programs/" (p.code) "/control" } { (ctx.t("control.kpis")) }
            " · " a href={ "/programs/" (p.code) "/actions" } { (ctx.t("action.title")) }
        }
        @if matches!(who.role, Role::Admin | Role::Manager) {
            p { a href="/reports/identity" { (ctx.t("report.identity.title")) } }
        }
        h2 { (ctx.t("report.page.download")) }
        form method="get" action={ "/programs/" (p.code) "/reports/download" } {
            div.grid {
                (select(ctx, errors, "kind", "report.page.kind", &kinds, &q.kind))
                div.field {
                    label for="from" { (ctx.t("report.page.from")) }
                    input id="from" name="from" type="date" value=(q.from)
                        aria-invalid=[errors.iter().any(|e| e.field == "from").then_some("true")];
                    (field_errors(ctx, errors, "from"))
                }
                div.field {
                    label for="to" { (ctx.t("report.page.to")) }
                    input id="to" name="to" type="date" value=(q.to)
                        aria-invalid=[errors.iter().any(|e| e.field == "to").then_some("true")];
                    (field_errors(ctx, errors, "to"))
                }
                (select(ctx, errors, "format", "report.page.format", &formats, &q.format))
                (select(ctx, errors, "lang", "report.page.lang", &langs, &lang_now))
            }
            p.hint { (ctx.t("report.page.period_hint")) }
            button type="submit" { (ctx.t("report.page.get")) }
        }
        @if !client_viewer {
            h2 id="schedules" { (ctx.t("report.page.schedules")) }
            @if schedules.is_empty() { p { (ctx.t("report.page.no_schedules")) } }
            @else {
                table {
                    thead { tr {
                        th scope="col" { (ctx.t("report.page.kind")) }
                        th scope="col" { (ctx.t("report.page.format")) }
                        th scope="col" { (ctx.t("report.page.frequency")) }
                        th scope="col" { (ctx.t("report.page.recipients")) }
                        th scope="col" { (ctx.t("report.page.next_run")) }
                        @if may_update { th scope="col" { (ctx.t("report.page.actions")) } }
                    } }
                    tbody { @for v in &schedules { (schedule_row(ctx, p, v, may_update)) } }
                }
            }
            @if may_update {
                h3 { (ctx.t("report.page.new_schedule")) }
                form method="post" action={ "/programs/" (p.code) "/report-schedules" } {
                    (csrf_field(ctx))
                    div.grid {
                        (select(ctx, sched_errors, "kind", "report.page.kind", &kinds, &s.kind))
                        (select(ctx, sched_errors, "format", "report.page.format", &formats, &s.format))
                        (select(ctx, sched_errors, "lang", "report.page.lang", &langs, if s.lang.is_empty() { ctx.lang.code() } else { &s.lang }))
                        (select(ctx, sched_errors, "frequency", "report.page.frequency", &freqs, &s.frequency))
                    }
                    p.hint { (ctx.t("report.page.recipients_hint")) }
                    div.grid {
                        (textarea(ctx, sched_errors, "areas", "report.page.areas", &s.areas))
                        (textarea(ctx, sched_errors, "people", "report.page.people", &s.people))
                        (textarea(ctx, sched_errors, "client_contacts", "report.page.client_contacts", &s.client_contacts))
                    }
                    button type="submit" { (ctx.t("report.page.add_schedule")) }
                }
            }
        }
        h2 id="distributions" { (ctx.t(if client_viewer { "report.page.shared" } else { "report.page.distributions" })) }
        @if distributions.is_empty() { p { (ctx.t("report.page.no_distributions")) } }
        @else {
            table {
                thead { tr {
                    th scope="col" { (ctx.t("report.page.sent_at")) }
                    th scope="col" { (ctx.t("report.page.kind")) }
                    th scope="col" { (ctx.t("report.page.version")) }
                    th scope="col" { (ctx.t("report.page.period")) }
                    @if !client_viewer { th scope="col" { (ctx.t("report.page.recipients")) } }
                    th scope="col" { (ctx.t("report.page.status")) }
                    th scope="col" { (ctx.t("report.page.sha256")) }
                    th scope="col" { (ctx.t("report.page.copy")) }
                } }
                tbody { @for d in &distributions { (distribution_row(ctx, p, d, client_viewer)) } }
            }
        }
    };
    let title = format!("{} · {}", ctx.t("report.page.title"), p.code);
    Ok(layout(ctx, Section::Reports, &title, body))
}

fn recipients_text(ctx: &Ctx, recipients: &[rumbo_app::report::distribute::Recipient]) -> String {
    recipients
        .iter()
        .map(|r| {
            format!(
                "{} ({})",
                r.email,
                ctx.t(&format!("report.page.audience_{}", r.audience.as_str()))
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn schedule_row(ctx: &Ctx, p: &Programme, v: &ScheduleView, may_update: bool) -> Markup {
    let s = &v.schedule;
    html! {
        tr {
            td { (ctx.t(&format!("report.kind.{}", s.kind))) }
            td { (s.format.to_uppercase()) " · " (s.lang) }
            td { (ctx.t(&format!("report.page.frequency_{}", s.frequency))) }
            td { (recipients_text(ctx, &v.recipients)) }
            td { (fmt_instant(ctx, s.next_run, &p.time_zone)) }
            @if may_update {
                td {
                    form.inline method="post" action={ "/programs/" (p.code) "/report-schedules/" (s.id) "/run" } {
                        (csrf_field(ctx)) button type="submit" { (ctx.t("report.page.run_now")) }
                    }
                    " "
                    form.inline method="post" action={ "/programs/" (p.code) "/report-schedules/" (s.id) "/delete" } {
                        (csrf_field(ctx)) button type="submit" { (ctx.t("report.page.delete")) }
                    }
                }
            }
        }
    }
}

fn distribution_row(ctx: &Ctx, p: &Programme, d: &Distribution, client_viewer: bool) -> Markup {
    let recipients: Vec<rumbo_app::report::distribute::Recipient> =
        serde_json::from_str(&d.recipients).unwrap_or_default();
    let period = |s: &str| {
        s.parse::<jiff::civil::Date>()
            .map(|d| crate::view::fmt_date(ctx, &d))
            .unwrap_or_default()
    };
    html! {
        tr {
            td { (fmt_instant(ctx, d.created_at, &p.time_zone)) }
            td { (ctx.t(&format!("report.kind.{}", d.kind))) }
            td.num { "v" (d.version) }
            td { (period(&d.period_from)) " – " (period(&d.period_to)) }
            @if !client_viewer { td { (recipients_text(ctx, &recipients)) } }
            td {
                (ctx.t(&format!("report.page.status_{}", d.status)))
                @if let Some(e) = &d.error { " · " (ctx.t(e)) }
            }
            td { code { (d.sha256.get(..16).unwrap_or_default()) "…" } }
            td { a href={ "/programs/" (p.code) "/distributions/" (d.id) } download { (d.file_name) } }
        }
    }
}

// --- the BPO's name and logo in every report's header ------------------------------------------

/// The largest logo accepted (bytes).
const LOGO_LIMIT: usize = 512 * 1024;

fn identity_body(ctx: &Ctx, name: &str, errors: &[Invalid]) -> Markup {
    html! {
        p { (ctx.t("report.identity.help")) }
        form method="post" action="/reports/identity" enctype="multipart/form-data" {
            (csrf_field(ctx))
            (crate::view::input(ctx, errors, "organisation", "report.identity.name", "text", name, true))
            div.field {
                label for="logo" { (ctx.t("report.identity.logo")) }
                input id="logo" name="logo" type="file" accept="image/png,image/jpeg"
                    aria-invalid=[errors.iter().any(|e| e.field == "logo").then_some("true")];
                (field_errors(ctx, errors, "logo"))
            }
            button type="submit" { (ctx.t("report.identity.save")) }
        }
    }
}

async fn identity_page(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    ctx.require_role(rumbo_app::access::MANAGERS)?;
    let name = state.app.report_organisation().await?;
    let body = identity_body(&ctx, &name, &[]);
    Ok(layout(&ctx, Section::Reports, ctx.t("report.identity.title"), body).into_response())
}

async fn identity_form(
    State(state): State<AppState>,
    ctx: Ctx,
    mp: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, AppError> {
    let who = ctx.principal()?;
    // Access first: a refused user learns nothing from how their body was read.
    who.require_role(rumbo_app::access::MANAGERS)?;
    let mut mp = mp.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let mut csrf_ok = false;
    let mut name = String::new();
    let mut logo: Option<Vec<u8>> = None;
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|e| AppError::BadRequest(e.body_text()))?
    {
        match field.name().unwrap_or("") {
            "_csrf" => {
                csrf_ok = crate::http::ctx::csrf_matches(
                    &ctx,
                    &crate::http::ctx::multipart_text(field).await?,
                )
            }
            "organisation" => name = crate::http::ctx::multipart_text(field).await?,
            "logo" => {
                if !csrf_ok {
                    return Err(AppError::Csrf);
                }
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| AppError::BadRequest(e.body_text()))?;
                if bytes.len() > LOGO_LIMIT {
                    return Err(AppError::TooLarge);
                }
                if !bytes.is_empty() {
                    logo = Some(bytes.to_vec());
                }
            }
            _ => {}
        }
    }
    if !csrf_ok {
        return Err(AppError::Csrf);
    }
    match state
        .app
        .set_report_identity(&who, &name, logo.as_deref())
        .await
    {
        Ok(()) => Ok(redirect("/reports/identity")),
        Err(rumbo_app::Error::Invalid(v)) => {
            let body = identity_body(&ctx, &name, &v.0);
            let page = layout(&ctx, Section::Reports, ctx.t("report.identity.title"), body);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// The BPO's identity in reports.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IdentityBody {
    pub organisation: String,
    /// Base64 of a JPEG or 8-bit PNG without transparency; absent: the logo is kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logo_base64: Option<String>,
}

async fn api_identity(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<IdentityBody>, AppError> {
    ctx.require_role(rumbo_app::access::MANAGERS)?;
    Ok(Json(IdentityBody {
        organisation: state.app.report_organisation().await?,
        logo_base64: None,
    }))
}

async fn api_set_identity(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(body): ApiJson<IdentityBody>,
) -> Result<StatusCode, AppError> {
    let logo = match &body.logo_base64 {
        Some(b) => Some(
            rumbo_app::report::base64_decode(b)
                .ok_or_else(|| AppError::invalid("logo", "error.report.logo"))?,
        ),
        None => None,
    };
    state
        .app
        .set_report_identity(&ctx.principal()?, &body.organisation, logo.as_deref())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

// --- API -------------------------------------------------------------------------------------

/// A schedule as the API returns it.
#[derive(Debug, Serialize)]
pub struct ScheduleOut {
    pub id: i64,
    pub kind: String,
    pub format: String,
    pub lang: String,
    pub frequency: String,
    pub recipients: Vec<RecipientOut>,
    /// Epoch seconds of the next run.
    pub next_run: i64,
}

#[derive(Debug, Serialize)]
pub struct RecipientOut {
    pub email: String,
    /// `area`, `person` or `client`.
    pub audience: &'static str,
}

fn schedule_out(v: &ScheduleView) -> ScheduleOut {
    ScheduleOut {
        id: v.schedule.id,
        kind: v.schedule.kind.clone(),
        format: v.schedule.format.clone(),
        lang: v.schedule.lang.clone(),
        frequency: v.schedule.frequency.clone(),
        recipients: v
            .recipients
            .iter()
            .map(|r| RecipientOut {
                email: r.email.clone(),
                audience: r.audience.as_str(),
            })
            .collect(),
        next_run: v.schedule.next_run,
    }
}

/// A distribution record as the API returns it.
#[derive(Debug, Serialize)]
pub struct DistributionOut {
    pub id: i64,
    pub schedule_id: Option<i64>,
    pub kind: String,
    pub format: String,
    pub lang: String,
    pub period_from: String,
    pub period_to: String,
    pub version: i64,
    pub sha256: String,
    pub file_name: String,
    pub size: i64,
    /// Omitted for client viewers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipients: Option<serde_json::Value>,
    /// `delivered` or `failed`.
    pub status: String,
    pub error: Option<String>,
    pub client_safe: bool,
    pub created_at: i64,
    /// The stored copy.
    pub href: String,
}

async fn api_distributions(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Read>,
) -> Result<Json<Vec<DistributionOut>>, AppError> {
    let who = ctx.principal()?;
    let code = &access.programme.code;
    let list = state.app.distributions(&who, code).await?;
    Ok(Json(
        list.into_iter()
            .map(|d| DistributionOut {
                href: format!("/api/v1/programs/{code}/distributions/{}", d.id),
                recipients: (who.role != Role::ClientViewer)
                    .then(|| serde_json::from_str(&d.recipients).unwrap_or_default()),
                id: d.id,
                schedule_id: d.schedule_id,
                kind: d.kind,
                format: d.format,
                lang: d.lang,
                period_from: d.period_from,
                period_to: d.period_to,
                version: d.version,
                sha256: d.sha256,
                file_name: d.file_name,
                size: d.size,
                status: d.status,
                error: d.error,
                client_safe: d.client_safe,
                created_at: d.created_at,
            })
            .collect(),
    ))
}

async fn api_schedules(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Read>,
) -> Result<Json<Vec<ScheduleOut>>, AppError> {
    let list = state
        .app
        .report_schedules(&ctx.principal()?, &access.programme.code)
        .await?;
    Ok(Json(list.iter().map(schedule_out).collect()))
}

async fn api_create_schedule(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Update>,
    ApiJson(body): ApiJson<ScheduleInput>,
) -> Result<(StatusCode, Json<ScheduleOut>), AppError> {
    let v = state
        .app
        .create_report_schedule(&ctx.principal()?, &access.programme.code, &body)
        .await?;
    Ok((StatusCode::CREATED, Json(schedule_out(&v))))
}

async fn api_delete_schedule(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Update>,
    UrlPath((_, id)): UrlPath<(String, i64)>,
) -> Result<StatusCode, AppError> {
    state
        .app
        .delete_report_schedule(&ctx.principal()?, &access.programme.code, id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize)]
struct JobRef {
    job_id: i64,
    href: String,
}

async fn api_run_schedule(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Update>,
    UrlPath((_, id)): UrlPath<(String, i64)>,
) -> Result<(StatusCode, Json<JobRef>), AppError> {
    let job = state
        .app
        .run_report_schedule_now(&ctx.principal()?, &access.programme.code, id)
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(JobRef {
            job_id: job,
            href: format!("/api/v1/imports/jobs/{job}"),
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rumbo_app::report::distribute::Audience;

    #[test]
    fn every_report_word_the_app_uses_is_in_both_catalogues() {
        let mut keys: Vec<String> = vec![
            "report.page_of",
            "report.generated",
            "report.figures_sheet",
            "report.figure",
            "report.value",
            "report.mail.subject",
            "report.mail.body",
        ]
        .into_iter()
        .map(String::from)
        .collect();
        for k in Kind::ALL {
            keys.push(format!("report.kind.{}", k.as_str()));
        }
        for f in Frequency::ALL {
            keys.push(format!("report.page.frequency_{}", f.as_str()));
        }
        for a in Audience::ALL {
            keys.push(format!("report.page.audience_{}", a.as_str()));
        }
        for s in ["delivered", "failed"] {
            keys.push(format!("report.page.status_{s}"));
        }
        for l in ReportLang::ALL {
            keys.push(format!("report.page.lang_{}", l.as_str()));
        }
        for r in ["green", "amber", "red"] {
            keys.push(format!("report.rag.{r}"));
        }
        for lang in Lang::ALL {
            for k in &keys {
                assert!(lang.t_opt(k).is_some(), "{} lacks {k}", lang.code());
            }
        }
    }
}
