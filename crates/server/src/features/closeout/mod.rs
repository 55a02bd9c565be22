//! Close-out, lessons and the best-practice library in the browser.
//!
//! Pages: `/programs/{code}/closeout` (the evaluation prefilled from the data, the manager's
//! assessment, sign-off, versions, close and reopen), `/programs/{code}/lessons` (a
//! programme's lessons and the form to record one), `/programs/{code}/suggestions` (practices
//! and lessons relevant to the programme), `/library` (full-text search over lessons and
//! practices, and the form to add a practice), `/practices/{id}` (a practice with its
//! adoptions per team) and `/lessons/{id}/promote`. The JSON API is in [`api`].

pub mod api;

use axum::extract::{Path as UrlPath, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup};
use rumbo_app::closeout::Closeout;
use rumbo_app::lessons::LibraryItem;
use rumbo_app::plan::docs::{AdoptionDoc, PracticeDoc};
use rumbo_domain::plan::budget::Currency;
use rumbo_domain::plan::closeout::{AssessmentInput, AREAS};
use rumbo_domain::plan::lessons::LessonInput;
use rumbo_domain::programme::{Channel, Status};
use rumbo_domain::Invalid;
use serde::Deserialize;
use serde_json::Value;

use crate::http::access::{ProgrammeAccess, Read};
use crate::http::ctx::{Ctx, Form, FormData};
use crate::http::error::AppError;
use crate::view::{
    csrf_field, field_errors, fmt_dec, fmt_instant, layout, money_text, redirect, status_badge,
    Section,
};
use crate::AppState;

pub fn page_router() -> Router<AppState> {
    Router::new()
        .route(
            "/programs/{code}/closeout",
            get(closeout_page).post(closeout_form),
        )
        .route("/programs/{code}/close", post(close_form))
        .route("/programs/{code}/reopen", post(reopen_form))
        .route(
            "/programs/{code}/lessons",
            get(lessons_page).post(lesson_form),
        )
        .route("/programs/{code}/suggestions", get(suggestions_page))
        .route("/lessons/{id}/promote", post(promote_form))
        .route("/library", get(library_page).post(practice_form))
        .route("/practices/{id}", get(practice_page))
        .route("/practices/{id}/adoptions", post(adoption_form))
}

pub use api::router as api_router;

/// What a page re-renders a refused form with: the user's input and the problems found.
#[derive(Default)]
struct Refused {
    form: FormData,
    errors: Vec<Invalid>,
}

impl Refused {
    fn get(&self, name: &str) -> &str {
        self.form.get(name)
    }
}

/// Splits an app error into the problems a form shows beside its fields, or the error itself.
fn refused(e: rumbo_app::Error, form: FormData) -> Result<Refused, AppError> {
    match e {
        rumbo_app::Error::Invalid(i) | rumbo_app::Error::Conflict(i) if !i.0.is_empty() => {
            Ok(Refused { form, errors: i.0 })
        }
        other => Err(other.into()),
    }
}

fn tabs(ctx: &Ctx, code: &str) -> Markup {
    html! {
        nav.tabs aria-label=(ctx.t("closeout.tabs")) {
            a href={ "/programs/" (code) } { "← " (code) }
            " · " a href={ "/programs/" (code) "/closeout" } { (ctx.t("closeout.title")) }
            " · " a href={ "/programs/" (code) "/lessons" } { (ctx.t("lesson.title")) }
            " · " a href={ "/programs/" (code) "/suggestions" } { (ctx.t("closeout.suggestions")) }
            " · " a href="/library" { (ctx.t("practice.library")) }
        }
    }
}

/// Links to the report engine's download of `kind` in each format.
fn downloads(ctx: &Ctx, code: &str, kind: &str) -> Markup {
    html! {
        p.downloads {
            (ctx.t(&format!("closeout.download.{kind}"))) " "
            @for (i, f) in ["pdf", "xlsx", "csv"].iter().enumerate() {
                @if i > 0 { " · " }
                a href={ "/programs/" (code) "/reports/download?kind=" (kind) "&format=" (f) } { (ctx.t(&format!("closeout.format.{f}"))) }
            }
        }
    }
}

fn text_area(
    ctx: &Ctx,
    r: &Refused,
    field: &str,
    label: &str,
    value: &str,
    required: bool,
) -> Markup {
    let has_error = r.errors.iter().any(|e| e.field == field);
    html! {
        div.field {
            label for=(field) { (ctx.t(label)) @if required { " *" } }
            textarea id=(field) name=(field) required[required]
                aria-invalid=[has_error.then_some("true")]
                aria-describedby=[has_error.then(|| format!("err-{field}"))] { (value) }
            (field_errors(ctx, &r.errors, field))
        }
    }
}

fn text_input(
    ctx: &Ctx,
    r: &Refused,
    field: &str,
    label: &str,
    value: &str,
    required: bool,
) -> Markup {
    crate::view::input(ctx, &r.errors, field, label, "text", value, required)
}

fn num(ctx: &Ctx, v: &Value, digits: usize) -> String {
    v.as_f64()
        .map(|x| fmt_dec(ctx.lang, x, digits))
        .unwrap_or_else(|| "—".into())
}

/// An indicator's value with its unit (percent for rates and scores, seconds for times).
fn figure(ctx: &Ctx, indicator: &str, v: &Value) -> String {
    if v.is_null() {
        return "—".into();
    }
    match indicator {
        "asa" | "aht" => format!("{} s", num(ctx, v, 1)),
        "contacts_handled" | "sales" => int_text(ctx, v),
        "qa_score" | "sph" | "nps" => num(ctx, v, 1),
        "cost_per_contact" => money_text(ctx, &format!("{:.0}", v.as_f64().unwrap_or(0.0))),
        _ => format!("{} %", num(ctx, v, 1)),
    }
}

/// A whole number with the language's thousands separator (`234.000` / `234,000`).
fn int_text(ctx: &Ctx, v: &Value) -> String {
    match v.as_f64() {
        Some(x) => money_text(ctx, &format!("{x:.0}")).replacen('$', "", 1),
        None => "—".into(),
    }
}

fn money(ctx: &Ctx, minor: &Value, code: &str) -> String {
    let Some(minor) = minor.as_f64() else {
        return "—".into();
    };
    let decimals = Currency::parse(code).map(|c| c.decimals()).unwrap_or(0);
    let v = minor / 10f64.powi(decimals as i32);
    let text = money_text(ctx, &format!("{v:.prec$}", prec = decimals as usize));
    if code == "CLP" {
        text
    } else {
        format!("{text} {code}")
    }
}

fn date(ctx: &Ctx, v: &Value) -> String {
    match v.as_str().and_then(|s| s.parse::<jiff::civil::Date>().ok()) {
        Some(d) => crate::view::fmt_date(ctx, &d),
        None => "—".into(),
    }
}

fn yes_no(ctx: &Ctx, v: &Value) -> &'static str {
    match v.as_bool() {
        Some(true) => ctx.t("closeout.met"),
        Some(false) => ctx.t("closeout.not_met"),
        None => ctx.t("closeout.no_data"),
    }
}

fn monthly(ctx: &Ctx, indicator: &str, v: &Value) -> String {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|m| {
                    let month = m["month"].as_str().unwrap_or_default();
                    let (y, mo) = month.split_once('-').unwrap_or((month, ""));
                    format!("{mo}-{y}: {}", figure(ctx, indicator, &m["value"]))
                })
                .collect::<Vec<_>>()
                .join(" · ")
        })
        .unwrap_or_default()
}

fn indicator_name(ctx: &Ctx, i: &Value) -> &'static str {
    ctx.t(&format!("kpi.{}", i.as_str().unwrap_or_default()))
}

/// The evaluation's figures, section by section.
fn facts_view(ctx: &Ctx, f: &Value) -> Markup {
    html! {
        @if f["period"]["from"].is_string() {
            p { (ctx.tf("closeout.period", &[("from", &date(ctx, &f["period"]["from"])), ("to", &date(ctx, &f["period"]["to"]))])) }
        } @else { p { (ctx.t("closeout.no_period")) } }
        h2 id="area-objectives" { (ctx.t("closeout.area.objectives")) }
        @if f["objectives"].as_array().is_none_or(|a| a.is_empty()) { p { (ctx.t("closeout.none")) } }
        @else {
            table {
                thead { tr { th scope="col" { (ctx.t("closeout.objective")) } th scope="col" { (ctx.t("closeout.targets_met")) } th scope="col" { (ctx.t("closeout.result")) } } }
                tbody { @for o in f["objectives"].as_array().into_iter().flatten() { tr {
                    td { (o["title"].as_str().unwrap_or_default()) }
                    td.num { (o["targets_met"]) " / " (o["targets"]) }
                    td { (yes_no(ctx, &o["met"])) }
                } } }
            }
        }
        @if let Some(ts) = f["targets"].as_array().filter(|a| !a.is_empty()) {
            table {
                thead { tr {
                    th scope="col" { (ctx.t("closeout.indicator")) } th scope="col" { (ctx.t("closeout.target")) }
                    th scope="col" { (ctx.t("closeout.actual")) } th scope="col" { (ctx.t("closeout.result")) }
                    th scope="col" { (ctx.t("closeout.trend")) }
                } }
                tbody { @for t in ts { @let ind = t["indicator"].as_str().unwrap_or_default(); tr {
                    td { (indicator_name(ctx, &t["indicator"])) }
                    td.num { (figure(ctx, ind, &t["target"])) }
                    td.num { (figure(ctx, ind, &t["actual"])) }
                    td { (yes_no(ctx, &t["met"])) }
                    td { (monthly(ctx, ind, &t["monthly"])) }
                } } }
            }
        }
        h2 id="area-quality" { (ctx.t("closeout.area.quality")) }
        table {
            thead { tr { th scope="col" { (ctx.t("closeout.indicator")) } th scope="col" { (ctx.t("closeout.whole_period")) } th scope="col" { (ctx.t("closeout.trend")) } } }
            tbody { @for q in f["quality"].as_array().into_iter().flatten() { @let ind = q["indicator"].as_str().unwrap_or_default(); tr {
                td { (indicator_name(ctx, &q["indicator"])) }
                td.num { (figure(ctx, ind, &q["total"])) }
                td { (monthly(ctx, ind, &q["monthly"])) }
            } } }
        }
        h2 id="area-time" { (ctx.t("closeout.area.time")) }
        @let t = &f["time"];
        p { (ctx.tf("closeout.end_line", &[("planned", &date(ctx, &t["planned_end"])), ("actual", &date(ctx, &t["actual_end"])), ("days", &num(ctx, &t["days_late"], 0))])) }
        @if let Some(ms) = t["milestones"].as_array().filter(|a| !a.is_empty()) {
            table {
                thead { tr { th scope="col" { (ctx.t("closeout.milestone")) } th scope="col" { (ctx.t("closeout.planned")) } th scope="col" { (ctx.t("closeout.actual_date")) } th scope="col" { (ctx.t("closeout.status")) } } }
                tbody { @for m in ms { tr {
                    td { (m["name"].as_str().unwrap_or_default()) }
                    td { (date(ctx, &m["planned"])) }
                    td { (date(ctx, &m["actual"])) }
                    td { (ctx.t(&format!("closeout.milestone.{}", m["status"].as_str().unwrap_or("pending")))) }
                } } }
            }
        }
        h2 id="area-resources" { (ctx.t("closeout.area.resources")) }
        @if f["resources"].as_array().is_none_or(|a| a.is_empty()) { p { (ctx.t("closeout.no_budget")) } }
        @else {
            table {
                thead { tr { th scope="col" { (ctx.t("closeout.planned")) } th scope="col" { (ctx.t("closeout.spent")) } th scope="col" { (ctx.t("closeout.variance")) } th scope="col" { (ctx.t("closeout.contacts")) } th scope="col" { (ctx.t("closeout.cost_per_contact")) } } }
                tbody { @for r in f["resources"].as_array().into_iter().flatten() { @let c = r["currency"].as_str().unwrap_or("CLP"); tr {
                    td.num { (money(ctx, &r["planned"], c)) }
                    td.num { (money(ctx, &r["actual"], c)) }
                    td.num { (money(ctx, &r["variance"], c)) }
                    td.num { (int_text(ctx, &r["contacts"])) }
                    td.num { (money(ctx, &r["cost_per_contact"], c)) }
                } } }
            }
        }
        h2 id="area-actions" { (ctx.t("closeout.area.actions")) }
        @if f["actions"].as_array().is_none_or(|a| a.is_empty()) { p { (ctx.t("closeout.none")) } }
        @else {
            table {
                thead { tr { th scope="col" { (ctx.t("closeout.action")) } th scope="col" { (ctx.t("closeout.status")) } th scope="col" { (ctx.t("closeout.effect")) } } }
                tbody { @for a in f["actions"].as_array().into_iter().flatten() { tr {
                    td { (a["action"].as_str().unwrap_or_default()) }
                    td { (ctx.t(&format!("action.status.{}", a["status"].as_str().unwrap_or("proposed")))) }
                    td { @if a["verdict"].is_string() {
                        (ctx.t(&format!("action.verdict.{}", a["verdict"].as_str().unwrap_or_default())))
                        " (" (num(ctx, &a["median_before"], 1)) " → " (num(ctx, &a["median_after"], 1)) ")"
                    } @else { (ctx.t("closeout.effect_pending")) } }
                } } }
            }
        }
    }
}

async fn render_closeout(ctx: &Ctx, c: &Closeout, r: &Refused) -> Markup {
    let p = &c.programme;
    let latest = c.latest();
    let assessment = latest.map(|v| &v.data["assessment"]);
    let prev = |k: &str| -> String {
        if !r.form.0.is_empty() {
            return r.get(k).to_string();
        }
        assessment
            .and_then(|a| a["comments"][k].as_str().or(a[k].as_str()))
            .unwrap_or_default()
            .to_string()
    };
    let verdict = if r.form.0.is_empty() {
        assessment
            .and_then(|a| a["verdict"].as_str())
            .unwrap_or("")
            .to_string()
    } else {
        r.get("verdict").to_string()
    };
    let body = html! {
        (tabs(ctx, &p.code))
        p { (ctx.t("closeout.status_label")) " " (status_badge(ctx, p.status)) }
        (downloads(ctx, &p.code, "closeout"))
        @if p.status == Status::Closed {
            p.notice role="status" { (ctx.t("closeout.read_only_notice")) }
        }
        @for e in r.errors.iter().filter(|e| e.field == "status") { p.error role="alert" { (ctx.t(e.key)) } }
        @if c.signed() {
            @if let Some(v) = latest {
                p.notice { strong { (ctx.tf("closeout.signed_line", &[("version", &v.version.to_string()), ("who", v.data["signed_by"].as_str().unwrap_or(&v.created_by)), ("when", &fmt_instant(ctx, v.created_at, &p.time_zone))])) } }
            }
        }
        (facts_view(ctx, &c.facts))
        @if c.may_edit && !c.signed() {
            h2 id="assessment" { (ctx.t("closeout.assessment")) }
            form method="post" action={ "/programs/" (p.code) "/closeout" } {
                (csrf_field(ctx))
                @for a in AREAS {
                    (text_area(ctx, r, a, &format!("closeout.comment.{a}"), &prev(a), false))
                }
                (text_area(ctx, r, "overall", "closeout.overall", &prev("overall"), true))
                div.field {
                    label for="verdict" { (ctx.t("closeout.verdict")) " *" }
                    select id="verdict" name="verdict" {
                        option value="" { "—" }
                        @for v in ["met", "partly_met", "not_met"] { option value=(v) selected[verdict == v] { (ctx.t(&format!("closeout.verdict.{v}"))) } }
                    }
                    (field_errors(ctx, &r.errors, "verdict"))
                }
                div.actions {
                    button type="submit" name="action" value="save" { (ctx.t("closeout.save")) }
                    button type="submit" name="action" value="sign" { (ctx.t("closeout.sign")) }
                }
            }
        } @else if let Some(a) = assessment {
            h2 id="assessment" { (ctx.t("closeout.assessment")) }
            dl {
                @for k in AREAS { @if let Some(t) = a["comments"][*k].as_str().filter(|t| !t.is_empty()) {
                    dt { (ctx.t(&format!("closeout.comment.{k}"))) } dd { (t) }
                } }
                dt { (ctx.t("closeout.overall")) } dd { (a["overall"].as_str().unwrap_or_default()) }
                dt { (ctx.t("closeout.verdict")) } dd { (ctx.t(&format!("closeout.verdict.{}", a["verdict"].as_str().unwrap_or("met")))) }
            }
        }
        @if !c.versions.is_empty() {
            h2 id="versions" { (ctx.t("closeout.versions")) }
            table {
                thead { tr { th scope="col" { (ctx.t("closeout.version")) } th scope="col" { (ctx.t("closeout.when")) } th scope="col" { (ctx.t("closeout.who")) } th scope="col" { (ctx.t("closeout.status")) } } }
                tbody { @for v in &c.versions { tr {
                    td.num { (v.version) }
                    td { (fmt_instant(ctx, v.created_at, &p.time_zone)) }
                    td { (v.created_by) }
                    td { @if v.data.get("reopened").is_some() { (ctx.t("closeout.reopened")) } @else if v.signed { (ctx.t("closeout.signed")) } @else { (ctx.t("closeout.draft")) } }
                } } }
            }
        }
        @if c.may_manage {
            @if p.status == Status::Running {
                form method="post" action={ "/programs/" (p.code) "/close" } {
                    (csrf_field(ctx))
                    p { (ctx.t("closeout.close_help")) }
                    button.danger type="submit" { (ctx.t("closeout.close")) }
                }
            }
            @if p.status == Status::Closed {
                form method="post" action={ "/programs/" (p.code) "/reopen" } {
                    (csrf_field(ctx))
                    button.secondary type="submit" { (ctx.t("closeout.reopen")) }
                }
            }
        }
        @if p.status == Status::Closed {
            p { a href={ "/programs/" (p.code) "/lessons" } { (ctx.t("closeout.record_lessons")) } }
        }
    };
    let title = format!("{} · {}", ctx.t("closeout.title"), p.code);
    layout(ctx, Section::Programmes, &title, body)
}

async fn closeout_page(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Read>,
) -> Result<Response, AppError> {
    let c = state
        .app
        .closeout(&ctx.principal()?, &access.programme.code)
        .await?;
    Ok(render_closeout(&ctx, &c, &Refused::default())
        .await
        .into_response())
}

async fn closeout_form(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Read>,
    Form(f): Form,
) -> Result<Response, AppError> {
    let code = access.programme.code;
    let who = ctx.principal()?;
    let input = AssessmentInput {
        comments: AREAS.iter().map(|a| f.get(a).to_string()).collect(),
        overall: f.get("overall").to_string(),
        verdict: f.get("verdict").to_string(),
    };
    let sign = f.get("action") == "sign";
    match state.app.save_closeout(&who, &code, input, sign).await {
        Ok(_) => Ok(redirect(&format!("/programs/{code}/closeout"))),
        Err(e) => {
            let r = refused(e, f)?;
            let c = state.app.closeout(&who, &code).await?;
            let mut res = render_closeout(&ctx, &c, &r).await.into_response();
            *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
    }
}

async fn close_form(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Read>,
    Form(_): Form,
) -> Result<Response, AppError> {
    let code = access.programme.code;
    state.app.close_programme(&ctx.principal()?, &code).await?;
    Ok(redirect(&format!("/programs/{code}/closeout")))
}

async fn reopen_form(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Read>,
    Form(_): Form,
) -> Result<Response, AppError> {
    let code = access.programme.code;
    state.app.reopen_programme(&ctx.principal()?, &code).await?;
    Ok(redirect(&format!("/programs/{code}")))
}

// --- lessons -----------------------------------------------------------------------------------

/// A lesson or practice as a short card: title, kind, where it came from, its text.
fn item_card(ctx: &Ctx, item: &LibraryItem, may_promote: bool) -> Markup {
    let d = item.data();
    html! {
        article.card {
            h3 {
                @match item {
                    LibraryItem::Practice(p) => a href={ "/practices/" (p.id) } { (d["title"].as_str().unwrap_or_default()) },
                    LibraryItem::Lesson(_) => (d["title"].as_str().unwrap_or_default()),
                }
            }
            p.meta {
                (ctx.t(&format!("closeout.item.{}", item.kind())))
                @if let LibraryItem::Lesson(_) = item { " · " (ctx.t(&format!("lesson.kind.{}", d["kind"].as_str().unwrap_or("success")))) }
                @if let Some(c) = d["channel"].as_str() { " · " (ctx.t(&format!("channel.{c}"))) }
                @if let Some(pr) = d["product"].as_str().filter(|s| !s.is_empty()) { " · " (pr) }
                @if let Some(src) = d["source_programme"].as_str() { " · " (src) }
                @if d["shared"].as_bool() == Some(true) { " · " (ctx.t("lesson.shared_badge")) }
            }
            @match item {
                LibraryItem::Lesson(l) => {
                    p { (d["summary"].as_str().unwrap_or_default()) }
                    @if let Some(fs) = d["factors"].as_array().filter(|a| !a.is_empty()) {
                        p { strong { (ctx.t("lesson.factors")) } }
                        ul { @for f in fs { li { (f.as_str().unwrap_or_default()) } } }
                    }
                    @if let Some(rec) = d["recommendation"].as_str().filter(|s| !s.is_empty()) {
                        p { strong { (ctx.t("lesson.recommendation")) ": " } (rec) }
                    }
                    @if let Some(ev) = d["evidence"].as_array().filter(|a| !a.is_empty()) {
                        p { strong { (ctx.t("practice.evidence")) } }
                        ul.evidence { @for e in ev { li { (ctx.t(&format!("lesson.evidence.{}", e["kind"].as_str().unwrap_or("figure")))) ": " (e["text"].as_str().unwrap_or_default()) } } }
                    }
                    @if let Some(pid) = l.practice_id {
                        p { a href={ "/practices/" (pid) } { (ctx.t("lesson.promoted")) } }
                    } @else if may_promote {
                        form method="post" action={ "/lessons/" (l.id) "/promote" } {
                            (csrf_field(ctx))
                            button.secondary type="submit" aria-label={ (ctx.t("lesson.promote")) ": " (d["title"].as_str().unwrap_or_default()) } { (ctx.t("lesson.promote")) }
                        }
                    }
                }
                LibraryItem::Practice(_) => {
                    p { (d["practice"].as_str().unwrap_or_default()) }
                    @if let Some(ctxt) = d["context"].as_str().filter(|s| !s.is_empty()) { p { strong { (ctx.t("practice.context")) ": " } (ctxt) } }
                }
            }
            @if let Some(tags) = d["tags"].as_array().filter(|a| !a.is_empty()) {
                p.tags { (ctx.t("lesson.tags")) ": " @for (i, t) in tags.iter().enumerate() { @if i > 0 { ", " } (t.as_str().unwrap_or_default()) } }
            }
        }
    }
}

fn is_manager(ctx: &Ctx) -> bool {
    matches!(
        ctx.role(),
        Ok(rumbo_domain::access::Role::Admin | rumbo_domain::access::Role::Manager)
    )
}

fn is_staff(ctx: &Ctx) -> bool {
    !matches!(
        ctx.role(),
        Ok(rumbo_domain::access::Role::ClientViewer) | Err(_)
    )
}

async fn render_lessons(
    state: &AppState,
    ctx: &Ctx,
    p: &rumbo_app::model::Programme,
    r: &Refused,
) -> Result<Response, AppError> {
    let lessons = state
        .app
        .programme_lessons(&ctx.principal()?, &p.code)
        .await?;
    let kind = if r.form.0.is_empty() {
        "success"
    } else {
        r.get("kind")
    };
    let channel = r.get("channel");
    let body = html! {
        (tabs(ctx, &p.code))
        @if is_staff(ctx) { (downloads(ctx, &p.code, "lessons")) }
        @if lessons.is_empty() { p { (ctx.t("lesson.none")) } }
        @for l in &lessons { (item_card(ctx, &LibraryItem::Lesson(l.clone()), is_manager(ctx))) }
        @if is_staff(ctx) {
            h2 id="new-lesson" { (ctx.t("lesson.new")) }
            form method="post" action={ "/programs/" (p.code) "/lessons" } {
                (csrf_field(ctx))
                (text_input(ctx, r, "title", "lesson.title_field", r.get("title"), true))
                div.field {
                    label for="kind" { (ctx.t("lesson.kind")) }
                    select id="kind" name="kind" { @for k in ["success", "failure"] { option value=(k) selected[kind == k] { (ctx.t(&format!("lesson.kind.{k}"))) } } }
                    (field_errors(ctx, &r.errors, "kind"))
                }
                (text_area(ctx, r, "summary", "lesson.summary", r.get("summary"), true))
                (text_area(ctx, r, "factors", "lesson.factors_field", r.get("factors"), false))
                (text_area(ctx, r, "recommendation", "lesson.recommendation", r.get("recommendation"), false))
                (text_area(ctx, r, "evidence_figure", "lesson.evidence_figures", r.get("evidence_figure"), false))
                (text_area(ctx, r, "evidence_action", "lesson.evidence_actions", r.get("evidence_action"), false))
                (text_area(ctx, r, "evidence_document", "lesson.evidence_documents", r.get("evidence_document"), false))
                (field_errors(ctx, &r.errors, "evidence"))
                (text_input(ctx, r, "tags", "lesson.tags_field", r.get("tags"), false))
                div.field {
                    label for="channel" { (ctx.t("lesson.channel")) }
                    select id="channel" name="channel" {
                        option value="" { (ctx.t("lesson.channel_programme")) }
                        @for c in Channel::ALL { option value=(c.as_str()) selected[channel == c.as_str()] { (ctx.t(&format!("channel.{}", c.as_str()))) } }
                    }
                    (field_errors(ctx, &r.errors, "channel"))
                }
                div.field {
                    label { input type="checkbox" name="shared" value="1" checked[r.get("shared") == "1"]; " " (ctx.t("lesson.shared")) }
                }
                button type="submit" { (ctx.t("lesson.save")) }
            }
        }
    };
    let title = format!("{} · {}", ctx.t("lesson.title"), p.code);
    let mut res = layout(ctx, Section::Programmes, &title, body).into_response();
    if !r.errors.is_empty() {
        *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

async fn lessons_page(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Read>,
) -> Result<Response, AppError> {
    render_lessons(&state, &ctx, &access.programme, &Refused::default()).await
}

fn lines(s: &str) -> Vec<String> {
    s.lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

fn lesson_input(f: &FormData) -> LessonInput {
    let mut evidence = Vec::new();
    for kind in ["figure", "action", "document"] {
        for l in lines(f.get(&format!("evidence_{kind}"))) {
            evidence.push((kind.to_string(), l));
        }
    }
    LessonInput {
        title: f.get("title").to_string(),
        kind: f.get("kind").to_string(),
        summary: f.get("summary").to_string(),
        factors: lines(f.get("factors")),
        recommendation: f.opt("recommendation"),
        evidence,
        tags: vec![f.get("tags").to_string()],
        channel: f.opt("channel"),
        product: f.opt("product"),
        shared: f.get("shared") == "1",
    }
}

async fn lesson_form(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Read>,
    Form(f): Form,
) -> Result<Response, AppError> {
    let p = access.programme;
    match state
        .app
        .create_lesson(&ctx.principal()?, &p.code, lesson_input(&f))
        .await
    {
        Ok(_) => Ok(redirect(&format!("/programs/{}/lessons", p.code))),
        Err(e) => render_lessons(&state, &ctx, &p, &refused(e, f)?).await,
    }
}

async fn promote_form(
    State(state): State<AppState>,
    ctx: Ctx,
    UrlPath(id): UrlPath<i64>,
    Form(_): Form,
) -> Result<Response, AppError> {
    let practice = state.app.promote_lesson(&ctx.principal()?, id).await?;
    Ok(redirect(&format!("/practices/{}", practice.id)))
}

async fn suggestions_page(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Read>,
) -> Result<Response, AppError> {
    let p = &access.programme;
    let items = state.app.suggestions(&ctx.principal()?, &p.code).await?;
    let body = html! {
        (tabs(&ctx, &p.code))
        p { (ctx.t("closeout.suggestions_help")) }
        @if items.is_empty() { p { (ctx.t("closeout.no_suggestions")) } }
        @for (_, i) in &items { (item_card(&ctx, i, false)) }
    };
    let title = format!("{} · {}", ctx.t("closeout.suggestions"), p.code);
    Ok(layout(&ctx, Section::Programmes, &title, body).into_response())
}

// --- the library -------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SearchQuery {
    q: String,
}

async fn render_library(
    state: &AppState,
    ctx: &Ctx,
    q: &str,
    r: &Refused,
) -> Result<Response, AppError> {
    let who = ctx.principal()?;
    let found: Vec<LibraryItem> = if q.trim().is_empty() {
        state
            .app
            .practices(&who)
            .await?
            .into_iter()
            .map(LibraryItem::Practice)
            .collect()
    } else {
        state.app.search_library(&who, q).await?
    };
    let channel = r.get("channel");
    let body = html! {
        form.search method="get" action="/library" role="search" {
            div.field {
                label for="q" { (ctx.t("practice.search")) }
                input id="q" name="q" type="search" value=(q);
            }
            button type="submit" { (ctx.t("practice.search_button")) }
        }
        @if q.trim().is_empty() { h2 { (ctx.t("practice.all")) } }
        @else { h2 { (ctx.tf("practice.results", &[("n", &found.len().to_string()), ("q", q.trim())])) } }
        @if found.is_empty() { p { (ctx.t("practice.none")) } }
        @for i in &found { (item_card(ctx, i, is_manager(ctx))) }
        @if is_manager(ctx) {
            h2 id="new-practice" { (ctx.t("practice.new")) }
            form method="post" action="/library" {
                (csrf_field(ctx))
                (text_input(ctx, r, "title", "practice.title_field", r.get("title"), true))
                (text_area(ctx, r, "context", "practice.context", r.get("context"), true))
                (text_area(ctx, r, "practice", "practice.practice", r.get("practice"), true))
                (text_area(ctx, r, "evidence", "practice.evidence", r.get("evidence"), false))
                (text_input(ctx, r, "tags", "lesson.tags_field", r.get("tags"), false))
                (text_input(ctx, r, "source_programme", "practice.source", r.get("source_programme"), false))
                div.field {
                    label for="channel" { (ctx.t("lesson.channel")) }
                    select id="channel" name="channel" {
                        option value="" { "—" }
                        @for c in Channel::ALL { option value=(c.as_str()) selected[channel == c.as_str()] { (ctx.t(&format!("channel.{}", c.as_str()))) } }
                    }
                }
                div.field {
                    label { input type="checkbox" name="shared" value="1" checked[r.get("shared") == "1"]; " " (ctx.t("lesson.shared")) }
                }
                button type="submit" { (ctx.t("practice.save")) }
            }
        }
    };
    let mut res = layout(ctx, Section::Planning, ctx.t("practice.library"), body).into_response();
    if !r.errors.is_empty() {
        *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

async fn library_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<SearchQuery>,
) -> Result<Response, AppError> {
    render_library(&state, &ctx, &q.q, &Refused::default()).await
}

async fn practice_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form,
) -> Result<Response, AppError> {
    let body = PracticeDoc {
        title: f.get("title").to_string(),
        context: f.get("context").to_string(),
        practice: f.get("practice").to_string(),
        evidence: f.opt("evidence"),
        tags: vec![f.get("tags").to_string()],
        source_programme: f.opt("source_programme"),
        client_id: None,
        shared: f.get("shared") == "1",
        channel: f.opt("channel"),
        product: None,
        lesson_id: None,
    };
    match state.app.create_practice(&ctx.principal()?, body).await {
        Ok(p) => Ok(redirect(&format!("/practices/{}", p.id))),
        Err(e) => render_library(&state, &ctx, "", &refused(e, f)?).await,
    }
}

async fn render_practice(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    r: &Refused,
) -> Result<Response, AppError> {
    let who = ctx.principal()?;
    let p = state.app.practice(&who, id).await?;
    let adoptions = state.app.adoptions(&who, id).await?;
    let d = &p.data;
    let status = if r.form.0.is_empty() {
        "adopted"
    } else {
        r.get("status")
    };
    let may_adopt = matches!(
        who.role,
        rumbo_domain::access::Role::Admin
            | rumbo_domain::access::Role::Manager
            | rumbo_domain::access::Role::Supervisor
    );
    let body = html! {
        p { a href="/library" { "← " (ctx.t("practice.library")) } }
        (item_card(ctx, &LibraryItem::Practice(p.clone()), false))
        @if let Some(ev) = d["evidence"].as_str().filter(|s| !s.is_empty()) { p { strong { (ctx.t("practice.evidence")) ": " } (ev) } }
        h2 id="adoptions" { (ctx.t("practice.adoptions")) }
        @if adoptions.is_empty() { p { (ctx.t("practice.no_adoptions")) } }
        @else {
            table {
                thead { tr {
                    th scope="col" { (ctx.t("practice.team")) } th scope="col" { (ctx.t("practice.adoption_status")) }
                    th scope="col" { (ctx.t("practice.since")) } th scope="col" { (ctx.t("practice.result")) } th scope="col" { (ctx.t("practice.adopted_by")) }
                } }
                tbody { @for a in &adoptions { tr {
                    td { (a.data["team"].as_str().unwrap_or_default()) }
                    td { (ctx.t(&format!("practice.adoption.{}", a.data["status"].as_str().unwrap_or("planned")))) }
                    td { (date(ctx, &a.data["since"])) }
                    td { (a.data["result"].as_str().unwrap_or_default()) }
                    td { (a.data["adopted_by"].as_str().unwrap_or("—")) }
                } } }
            }
        }
        @if may_adopt {
            h2 { (ctx.t("practice.adopt")) }
            form method="post" action={ "/practices/" (p.id) "/adoptions" } {
                (csrf_field(ctx))
                (text_input(ctx, r, "team", "practice.team", r.get("team"), true))
                div.field {
                    label for="status" { (ctx.t("practice.adoption_status")) }
                    select id="status" name="status" { @for s in ["planned", "piloting", "adopted", "dropped"] { option value=(s) selected[status == s] { (ctx.t(&format!("practice.adoption.{s}"))) } } }
                    (field_errors(ctx, &r.errors, "status"))
                }
                (crate::view::input(ctx, &r.errors, "since", "practice.since", "date", r.get("since"), true))
                (text_area(ctx, r, "result", "practice.result", r.get("result"), false))
                button type="submit" { (ctx.t("practice.save_adoption")) }
            }
        }
    };
    let title = d["title"].as_str().unwrap_or_default().to_string();
    let mut res = layout(ctx, Section::Planning, &title, body).into_response();
    if !r.errors.is_empty() {
        *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

async fn practice_page(
    State(state): State<AppState>,
    ctx: Ctx,
    UrlPath(id): UrlPath<i64>,
) -> Result<Response, AppError> {
    render_practice(&state, &ctx, id, &Refused::default()).await
}

async fn adoption_form(
    State(state): State<AppState>,
    ctx: Ctx,
    UrlPath(id): UrlPath<i64>,
    Form(f): Form,
) -> Result<Response, AppError> {
    let body = AdoptionDoc {
        practice_id: None,
        team: f.get("team").to_string(),
        status: f.get("status").to_string(),
        since: f.get("since").to_string(),
        result: f.opt("result"),
        adopted_by: None,
    };
    match state.app.create_adoption(&ctx.principal()?, id, body).await {
        Ok(_) => Ok(redirect(&format!("/practices/{id}#adoptions"))),
        Err(e) => render_practice(&state, &ctx, id, &refused(e, f)?).await,
    }
}
