//! Corrective actions in the browser and the API: the form (from an alarm or by hand), the
//! options compared side by side (expected SL per interval, cost, cost per point of SL), the
//! status and the effectiveness check.

use axum::extract::{Path as UrlPath, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use maud::{html, Markup};
use rumbo_app::control::{
    ActionInput, ActionRow, ActionStatus, ApprovalRequest, OptionInput, PRIORITIES, STATUSES,
};
use serde::Deserialize;
use serde_json::Value;

use super::money;
use crate::http::access::{ProgrammeAccess, Read, Update};
use crate::http::ctx::{ApiJson, Ctx, Form, FormData};
use crate::http::error::AppError;
use crate::view::{csrf_field, fmt_date, fmt_dec, fmt_instant, layout, redirect, Section};
use crate::AppState;

pub fn page_router() -> Router<AppState> {
    Router::new()
        .route("/programs/{code}/actions", get(list_page).post(create_form))
        .route("/programs/{code}/actions/new", get(new_page))
        .route("/programs/{code}/actions/{id}", get(action_page))
        .route("/programs/{code}/actions/{id}/status", post(status_form))
        .route("/programs/{code}/actions/{id}/check", post(check_form))
        .route(
            "/programs/{code}/actions/{id}/approval",
            post(approval_form),
        )
        .route("/programs/{code}/actions/{id}/approve", post(approve_form))
}

pub fn api_router() -> Router<AppState> {
    Router::new()
        .route("/programs/{code}/actions", get(api_list).post(api_create))
        .route("/programs/{code}/actions/{id}", get(api_one))
        .route("/programs/{code}/actions/{id}/status", put(api_status))
        .route("/programs/{code}/actions/{id}/check", post(api_check))
        .route("/programs/{code}/actions/{id}/approval", post(api_approval))
        .route("/programs/{code}/actions/{id}/approve", post(api_approve))
}

async fn api_approval(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Update>,
    UrlPath((_, id)): UrlPath<(String, i64)>,
    ApiJson(body): ApiJson<ApprovalRequest>,
) -> Result<Json<Value>, AppError> {
    let r = state
        .app
        .request_action_approval(&ctx.principal()?, &access.programme.code, id, body)
        .await?;
    Ok(Json(out(&r)))
}

async fn api_approve(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Update>,
    UrlPath((_, id)): UrlPath<(String, i64)>,
) -> Result<Json<Value>, AppError> {
    let (r, _) = state
        .app
        .approve_action(&ctx.principal()?, &access.programme.code, id)
        .await?;
    Ok(Json(out(&r)))
}

fn out(r: &ActionRow) -> Value {
    let mut v = r.data.clone();
    v["id"] = r.id.into();
    v["alarm_id"] = r.alarm_id.into();
    v["created_at"] = r.created_at.into();
    v["updated_at"] = r.updated_at.into();
    v
}

async fn api_list(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Read>,
) -> Result<Json<Vec<Value>>, AppError> {
    let rows = state
        .app
        .actions(&ctx.principal()?, &access.programme.code)
        .await?;
    Ok(Json(rows.iter().map(out).collect()))
}

async fn api_create(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Update>,
    ApiJson(body): ApiJson<ActionInput>,
) -> Result<(axum::http::StatusCode, Json<Value>), AppError> {
    let r = state
        .app
        .create_action(&ctx.principal()?, &access.programme.code, body)
        .await?;
    Ok((axum::http::StatusCode::CREATED, Json(out(&r))))
}

async fn api_one(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Read>,
    UrlPath((_, id)): UrlPath<(String, i64)>,
) -> Result<Json<Value>, AppError> {
    let r = state
        .app
        .action(&ctx.principal()?, &access.programme.code, id)
        .await?;
    Ok(Json(out(&r)))
}

async fn api_status(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Update>,
    UrlPath((_, id)): UrlPath<(String, i64)>,
    ApiJson(body): ApiJson<ActionStatus>,
) -> Result<Json<Value>, AppError> {
    let r = state
        .app
        .set_action_status(&ctx.principal()?, &access.programme.code, id, body)
        .await?;
    Ok(Json(out(&r)))
}

async fn api_check(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Update>,
    UrlPath((_, id)): UrlPath<(String, i64)>,
) -> Result<Json<Value>, AppError> {
    let r = state
        .app
        .check_action(&ctx.principal()?, &access.programme.code, id)
        .await?;
    Ok(Json(out(&r)))
}

// --- pages -------------------------------------------------------------------------------------

fn tabs(ctx: &Ctx, code: &str) -> Markup {
    html! {
        nav.tabs aria-label=(ctx.t("control.title")) {
            a href={ "/programs/" (code) } { "← " (code) }
            " · " a href={ "/programs/" (code) "/alarms" } { (ctx.t("alarm.title")) }
            " · " a href={ "/programs/" (code) "/actions" } { (ctx.t("action.title")) }
        }
    }
}

fn word(ctx: &Ctx, family: &str, v: &Value) -> String {
    ctx.t(&format!("{family}.{}", v.as_str().unwrap_or_default()))
        .to_string()
}

async fn list_page(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Read>,
) -> Result<Response, AppError> {
    let p = &access.programme;
    let rows = state.app.actions(&ctx.principal()?, &p.code).await?;
    let body = html! {
        (tabs(&ctx, &p.code))
        p { a.button href={ "/programs/" (p.code) "/actions/new" } { (ctx.t("action.new")) } }
        (crate::view::report_links(&ctx, &p.code, "actions", "", ""))
        @if rows.is_empty() { p { (ctx.t("action.none")) } }
        @else {
            table {
                thead { tr {
                    th scope="col" { (ctx.t("action.action")) }
                    th scope="col" { (ctx.t("action.priority")) }
                    th scope="col" { (ctx.t("action.due_date")) }
                    th scope="col" { (ctx.t("action.status")) }
                    th scope="col" { (ctx.t("action.effect")) }
                } }
                tbody { @for r in &rows { tr {
                    td { a href={ "/programs/" (p.code) "/actions/" (r.id) } { (r.data["action"].as_str().unwrap_or_default()) } }
                    td { (word(&ctx, "action.priority", &r.data["priority"])) }
                    td { (r.data["due_date"].as_str().unwrap_or_default()) }
                    td { (word(&ctx, "action.status", &r.data["status"])) }
                    td { @if r.data["effect"].is_null() { "—" } @else { (word(&ctx, "action.verdict", &r.data["effect"]["verdict"])) } }
                } } }
            }
        }
    };
    let title = format!("{} · {}", ctx.t("action.title"), p.code);
    Ok(layout(&ctx, Section::Control, &title, body).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct NewQuery {
    alarm: Option<i64>,
}

async fn new_page(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Update>,
    Query(q): Query<NewQuery>,
) -> Result<Response, AppError> {
    let mut f = FormData::default();
    if let Some(a) = q.alarm {
        f.0.push(("alarm_id".into(), a.to_string()));
    }
    new_form_page(&state, &ctx, &access.programme.code, &f, &[]).await
}

/// The corrective-action form, filled with `f` and each message beside its field (422 when
/// there are messages).
async fn new_form_page(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    f: &FormData,
    errors: &[rumbo_domain::Invalid],
) -> Result<Response, AppError> {
    // The directory of people is the managers'; a supervisor picks no assignee here.
    let people = match state.app.people(&ctx.principal()?).await {
        Err(rumbo_app::Error::Forbidden) => Vec::new(),
        other => other?,
    };
    let err = |field: &str| crate::view::field_errors(ctx, errors, field);
    let priority = f.opt("priority").unwrap_or_else(|| "high".into());
    let body = html! {
        (tabs(ctx, code))
        @if !errors.is_empty() {
            div.problems role="alert" {
                p { (ctx.t("form.has_errors")) }
                ul { @for e in errors { li { (ctx.t(e.key)) } } }
            }
        }
        form method="post" action={ "/programs/" (code) "/actions" } {
            (csrf_field(ctx))
            @if let Some(a) = f.opt("alarm_id") { input type="hidden" name="alarm_id" value=(a); }
            (err("alarm_id"))
            div.field { label for="cause" { (ctx.t("action.cause")) } textarea id="cause" name="cause" required { (f.get("cause")) } (err("cause")) }
            div.field { label for="action" { (ctx.t("action.action")) } textarea id="action" name="action" required { (f.get("action")) } (err("action")) }
            div.grid {
                div.field { label for="owner_id" { (ctx.t("action.owner")) }
                    select id="owner_id" name="owner_id" { @for person in &people { option value=(person.id) selected[person.id.to_string() == f.get("owner_id")] { (person.name) } } } (err("owner_id")) }
                div.field { label for="due_date" { (ctx.t("action.due_date")) } input id="due_date" name="due_date" type="date" required value=(f.get("due_date")); (err("due_date")) }
                div.field { label for="priority" { (ctx.t("action.priority")) }
                    select id="priority" name="priority" { @for pr in PRIORITIES { option value=(pr) selected[pr == priority] { (ctx.t(&format!("action.priority.{pr}"))) } } } (err("priority")) }
                div.field { label for="day" { (ctx.t("action.day")) } input id="day" name="day" type="date" value=(f.get("day")); (err("day")) }
            }
            h2 { (ctx.t("action.options")) }
            p { (ctx.t("action.options_help")) }
            (err("options"))
            @for i in 1..=3 {
                fieldset {
                    legend { (ctx.tf("action.option_n", &[("n", &i.to_string())])) }
                    div.grid {
                        div.field { label for={ "label_" (i) } { (ctx.t("action.option_label")) } input id={ "label_" (i) } name={ "label_" (i) } type="text" value=(f.get(&format!("label_{i}"))); }
                        div.field { label for={ "agents_" (i) } { (ctx.t("action.extra_agents")) } input id={ "agents_" (i) } name={ "agents_" (i) } type="number" min="1" max="500" value=(f.get(&format!("agents_{i}"))); }
                        div.field { label for={ "from_" (i) } { (ctx.t("action.from")) } input id={ "from_" (i) } name={ "from_" (i) } type="time" step="900" value=(f.get(&format!("from_{i}"))); }
                        div.field { label for={ "to_" (i) } { (ctx.t("action.to")) } input id={ "to_" (i) } name={ "to_" (i) } type="time" step="900" value=(f.get(&format!("to_{i}"))); }
                    }
                }
            }
            button type="submit" { (ctx.t("action.create")) }
        }
    };
    let title = format!("{} · {}", ctx.t("action.new"), code);
    let page = layout(ctx, Section::Control, &title, body);
    let status = if errors.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, page).into_response())
}

fn input_of(f: &FormData) -> Result<ActionInput, AppError> {
    let id = |name: &'static str| -> Result<Option<i64>, AppError> {
        f.opt(name)
            .map(|v| {
                v.parse::<i64>()
                    .map_err(|_| AppError::invalid(name, "error.action.alarm"))
            })
            .transpose()
    };
    let mut options = Vec::new();
    for i in 1..=3 {
        let Some(agents) = f.opt(&format!("agents_{i}")) else {
            continue;
        };
        options.push(OptionInput {
            label: f.get(&format!("label_{i}")).trim().to_string(),
            extra_agents: agents
                .parse()
                .map_err(|_| AppError::invalid("options", "error.action.options"))?,
            from: f.get(&format!("from_{i}")).to_string(),
            to: f.get(&format!("to_{i}")).to_string(),
        });
    }
    Ok(ActionInput {
        alarm_id: id("alarm_id")?,
        cause: f.get("cause").to_string(),
        action: f.get("action").to_string(),
        owner_id: id("owner_id")?,
        due_date: f.get("due_date").to_string(),
        priority: f.get("priority").to_string(),
        day: f.opt("day"),
        options,
    })
}

async fn create_form(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Update>,
    Form(f): Form,
) -> Result<Response, AppError> {
    let code = access.programme.code;
    let r = match input_of(&f) {
        Ok(input) => state
            .app
            .create_action(&ctx.principal()?, &code, input)
            .await
            .map_err(AppError::from),
        Err(e) => Err(e),
    };
    match r {
        Ok(r) => Ok(redirect(&format!("/programs/{code}/actions/{}", r.id))),
        // A refused form comes back with what was typed and the messages beside the fields.
        Err(e) if !e.invalids().is_empty() => {
            new_form_page(&state, &ctx, &code, &f, e.invalids()).await
        }
        Err(e) => Err(e),
    }
}

fn options_table(ctx: &Ctx, options: &[Value], tz: &str) -> Markup {
    let l = ctx.lang;
    let pct = |v: &Value| fmt_dec(l, v.as_f64().unwrap_or(0.0) * 100.0, 1);
    let starts: Vec<i64> = options
        .first()
        .and_then(|o| o["rows"].as_array())
        .map(|rows| rows.iter().filter_map(|r| r["start"].as_i64()).collect())
        .unwrap_or_default();
    html! {
        table.compare {
            caption { (ctx.t("action.compare")) }
            thead { tr {
                th scope="col" { (ctx.t("alarm.when")) }
                @for o in options { th scope="col" { (o["label"].as_str().unwrap_or_default()) " (+" (o["extra_agents"]) ")" } }
            } }
            tbody {
                @for s in &starts { tr {
                    td { (fmt_instant(ctx, *s, tz)) }
                    @for o in options {
                        @let row = o["rows"].as_array().and_then(|rows| rows.iter().find(|r| r["start"].as_i64() == Some(*s)));
                        td.num { @if let Some(r) = row {
                            (ctx.tf("action.cell", &[("now", &pct(&r["sl_now"])), ("with", &pct(&r["sl"])), ("agents", &r["agents"].to_string()), ("abandon", &pct(&r["abandon"]))]))
                        } @else { "—" } }
                    }
                } }
                tr {
                    th scope="row" { (ctx.t("action.expected_sl")) }
                    @for o in options { td.num { (pct(&o["sl_now"])) " → " strong { (pct(&o["sl"])) } " %" } }
                }
                tr {
                    th scope="row" { (ctx.t("action.expected_asa")) }
                    @for o in options { td.num { (fmt_dec(l, o["asa_s"].as_f64().unwrap_or(0.0), 1)) " s" } }
                }
                tr {
                    th scope="row" { (ctx.t("action.cost")) }
                    @for o in options { td.num { @match (o["cost"].as_f64(), o["currency"].as_str()) {
                        (Some(c), Some(cur)) => (money(ctx, c, cur)),
                        _ => (ctx.t("action.no_cost_rate")),
                    } } }
                }
                tr {
                    th scope="row" { (ctx.t("action.cost_per_point")) }
                    @for o in options { td.num { @match (o["cost_per_point"].as_f64(), o["currency"].as_str()) {
                        (Some(c), Some(cur)) => (money(ctx, c, cur)),
                        _ => "—",
                    } } }
                }
                tr {
                    th scope="row" { (ctx.t("control3.feasibility")) }
                    @for o in options { td { (feasibility_cell(ctx, &o["feasibility"])) } }
                }
            }
        }
    }
}

/// The technical feasibility of an option: its status as a word, then the agents needed at
/// the peak against the roster, and the hires with the day they are ready.
fn feasibility_cell(ctx: &Ctx, f: &Value) -> Markup {
    let n = |k: &str| f[k].as_u64().map(|v| v.to_string()).unwrap_or_default();
    let Some(status) = f["status"].as_str() else {
        return html! { "—" };
    };
    html! {
        strong { (ctx.t(&format!("control3.feas.{status}"))) }
        br;
        (ctx.tf("control3.feas_need", &[("needed", &n("needed")), ("on_phones", &n("on_phones"))]))
        @if status != "unknown" {
            br;
            (ctx.tf("control3.feas_roster", &[("spare", &n("spare")), ("headcount", &n("headcount"))]))
            @if f["hires"].as_u64().unwrap_or(0) > 0 {
                @let ready = f["ready_on"].as_str().and_then(|d| d.parse::<jiff::civil::Date>().ok()).map(|d| fmt_date(ctx, &d)).unwrap_or_default();
                br;
                (ctx.tf("control3.feas_hires", &[("hires", &n("hires")), ("date", &ready), ("days", &n("lead_days"))]))
            }
        }
    }
}

async fn action_page(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Read>,
    UrlPath((_, id)): UrlPath<(String, i64)>,
) -> Result<Response, AppError> {
    let p = &access.programme;
    let r = state.app.action(&ctx.principal()?, &p.code, id).await?;
    let d = &r.data;
    let options: Vec<Value> = d["options"].as_array().cloned().unwrap_or_default();
    let l = ctx.lang;
    // The plan values an approval may set, offered by name so nobody types an item id.
    let cx = state
        .app
        .plan(
            &ctx.principal()?,
            &p.code,
            rumbo_domain::access::Action::Read,
        )
        .await?;
    let change_keys: Vec<(String, String)> = state
        .app
        .kpi_targets(&cx)
        .await?
        .into_iter()
        .map(|(item, t)| {
            let dir = match t.direction {
                rumbo_domain::plan::objectives::Direction::HigherIsBetter => "higher",
                _ => "lower",
            };
            (
                format!("target.{}.value", item.id),
                format!(
                    "{} {} {}",
                    ctx.t(&format!("kpi.{}", t.indicator)),
                    ctx.t(&format!("plan.direction.{dir}")),
                    fmt_dec(l, t.target, 1)
                ),
            )
        })
        .collect();
    let body = html! {
        (tabs(&ctx, &p.code))
        dl {
            dt { (ctx.t("action.cause")) } dd { (d["cause"].as_str().unwrap_or_default()) }
            dt { (ctx.t("action.action")) } dd { (d["action"].as_str().unwrap_or_default()) }
            dt { (ctx.t("action.priority")) } dd { (word(&ctx, "action.priority", &d["priority"])) }
            dt { (ctx.t("action.due_date")) } dd { (d["due_date"].as_str().unwrap_or_default()) }
            dt { (ctx.t("action.status")) } dd { (word(&ctx, "action.status", &d["status"])) }
            @if let Some(a) = r.alarm_id { dt { (ctx.t("alarm.title")) } dd { a href={ "/programs/" (p.code) "/alarms/" (a) } { "#" (a) } } }
        }
        (options_table(&ctx, &options, &p.time_zone))
        form method="post" action={ "/programs/" (p.code) "/actions/" (r.id) "/status" } {
            (csrf_field(&ctx))
            label for="status" { (ctx.t("action.status")) }
            select id="status" name="status" { @for s in STATUSES { option value=(s) selected[d["status"] == s] { (ctx.t(&format!("action.status.{s}"))) } } }
            button type="submit" { (ctx.t("action.save_status")) }
        }
        h2 { (ctx.t("action.approval")) }
        @if let Some(cr) = d["change_request_id"].as_i64() {
            p { (ctx.tf("action.approval_requested", &[("id", &cr.to_string())])) " "
                a href={ "/programs/" (p.code) "/plan#coordination" } { (ctx.t("cockpit.evidence")) } }
            @if let Some(v) = d["plan_version"].as_i64() {
                p { (ctx.tf("action.approved_version", &[("version", &v.to_string())])) }
            } @else {
                form method="post" action={ "/programs/" (p.code) "/actions/" (r.id) "/approve" } {
                    (csrf_field(&ctx))
                    button type="submit" { (ctx.t("action.approve")) }
                }
            }
        } @else {
            form method="post" action={ "/programs/" (p.code) "/actions/" (r.id) "/approval" } {
                (csrf_field(&ctx))
                div.grid {
                    div.field { label for="kind" { (ctx.t("action.change_kind")) }
                        select id="kind" name="kind" { @for k in ["targets", "dates", "resources", "scope"] { option value=(k) { (ctx.t(&format!("plan.change.kind.{k}"))) } } } }
                    div.field { label for="impact" { (ctx.t("action.impact")) } input id="impact" name="impact" type="text" required; }
                }
                @for i in 1..=3 {
                    div.grid {
                        div.field { label for={ "key_" (i) } { (ctx.t("action.change_key")) } input id={ "key_" (i) } name={ "key_" (i) } type="text" list="change-keys" placeholder="target.7.value"; }
                        div.field { label for={ "value_" (i) } { (ctx.t("action.change_value")) } input id={ "value_" (i) } name={ "value_" (i) } type="text"; }
                    }
                }
                datalist id="change-keys" { @for (k, label) in &change_keys { option value=(k) { (label) } } }
                button type="submit" { (ctx.t("action.request_approval")) }
            }
        }
        h2 { (ctx.t("action.effect")) }
        @if d["effect"].is_null() {
            p { (ctx.t("action.effect_pending")) }
        } @else {
            @let e = &d["effect"];
            p {
                strong { (word(&ctx, "action.verdict", &e["verdict"])) } " · "
                (ctx.tf("action.effect_line", &[
                    ("before", &e["median_before"].as_f64().map(|x| fmt_dec(l, x, 1)).unwrap_or_else(|| "—".into())),
                    ("after", &e["median_after"].as_f64().map(|x| fmt_dec(l, x, 1)).unwrap_or_else(|| "—".into())),
                    ("n_before", &e["n_before"].to_string()),
                    ("n_after", &e["n_after"].to_string()),
                    ("p", &fmt_dec(l, e["p_value"].as_f64().unwrap_or(1.0), 3)),
                ]))
            }
            @if let Some(on) = e["checked_on"].as_str().and_then(|s| s.parse::<jiff::civil::Date>().ok()) {
                @let until = e["data_until"].as_i64().map(|t| fmt_instant(&ctx, t, &p.time_zone)).unwrap_or_else(|| ctx.t("control3.no_data").to_string());
                p id="effect-when" {
                    (ctx.tf(if e["auto"] == true { "control3.effect_auto" } else { "control3.effect_manual" },
                        &[("date", &fmt_date(&ctx, &on)), ("until", &until)]))
                }
            }
        }
        @if d["status"] == "done" && d["effect"].is_null() {
            p { (ctx.t("control3.effect_waiting")) }
        }
        @if d["status"] == "done" {
            form method="post" action={ "/programs/" (p.code) "/actions/" (r.id) "/check" } {
                (csrf_field(&ctx))
                button type="submit" { (ctx.t("action.check")) }
            }
        }
    };
    let title = format!("{} · {}", ctx.t("action.title"), p.code);
    Ok(layout(&ctx, Section::Control, &title, body).into_response())
}

async fn status_form(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Update>,
    UrlPath((_, id)): UrlPath<(String, i64)>,
    Form(f): Form,
) -> Result<Response, AppError> {
    let code = access.programme.code;
    state
        .app
        .set_action_status(
            &ctx.principal()?,
            &code,
            id,
            ActionStatus {
                status: f.get("status").to_string(),
            },
        )
        .await?;
    Ok(redirect(&format!("/programs/{code}/actions/{id}")))
}

async fn check_form(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Update>,
    UrlPath((_, id)): UrlPath<(String, i64)>,
    Form(_): Form,
) -> Result<Response, AppError> {
    let code = access.programme.code;
    state.app.check_action(&ctx.principal()?, &code, id).await?;
    Ok(redirect(&format!("/programs/{code}/actions/{id}")))
}

async fn approval_form(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Update>,
    UrlPath((_, id)): UrlPath<(String, i64)>,
    Form(f): Form,
) -> Result<Response, AppError> {
    let code = access.programme.code;
    let mut changes = Vec::new();
    for i in 1..=3 {
        if let Some(key) = f.opt(&format!("key_{i}")) {
            changes.push(rumbo_app::plan::docs::ChangeBody {
                key,
                value: f.get(&format!("value_{i}")).trim().to_string(),
            });
        }
    }
    let req = ApprovalRequest {
        kind: f.get("kind").to_string(),
        impact: f.get("impact").to_string(),
        changes,
    };
    state
        .app
        .request_action_approval(&ctx.principal()?, &code, id, req)
        .await?;
    Ok(redirect(&format!("/programs/{code}/actions/{id}")))
}

async fn approve_form(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Update>,
    UrlPath((_, id)): UrlPath<(String, i64)>,
    Form(_): Form,
) -> Result<Response, AppError> {
    let code = access.programme.code;
    state
        .app
        .approve_action(&ctx.principal()?, &code, id)
        .await?;
    Ok(redirect(&format!("/programs/{code}/actions/{id}")))
}
