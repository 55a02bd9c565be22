//! Plan pages: the programme's plan at a glance (objectives and targets, stages, risks with the
//! heat-map, work plan with the Gantt chart and critical path, budget variance and cost per
//! contact, RACI, meetings and decisions, change requests and versions), and a form to add a
//! risk.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use jiff::civil::Date;
use maud::{html, Markup};
use rumbo_app::model::Person;
use rumbo_app::plan::compute::heat_grid;
use rumbo_app::plan::docs::{
    AssignmentDoc, BudgetLineDoc, ChangeRequestDoc, MeetingDoc, MilestoneDoc, ObjectiveDoc,
    RiskDoc, StageDoc, TargetDoc,
};
use rumbo_domain::Invalid;
use serde_json::Value;

use super::charts;
use super::{Plan, PlanCx, Read, Update};
use crate::http::ctx::{Ctx, Form};
use crate::view::changes::{plan_changes, PlanNames};
use crate::view::i18n::Lang;
use crate::view::{csrf_field, field_errors, input, layout, money_text, svg, Section};
use crate::{AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/programs/{code}/plan", get(overview))
        .route(
            "/programs/{code}/plan/change-requests/{id}/approve",
            axum::routing::post(approve_change),
        )
        .route(
            "/programs/{code}/plan/change-requests/{id}/reject",
            axum::routing::post(reject_change),
        )
        .route(
            "/programs/{code}/plan/activities/new",
            get(activity_form).post(add_activity),
        )
        .route(
            "/programs/{code}/plan/risks/new",
            get(risk_form).post(add_risk),
        )
}

/// A date for people: `02-03-2026` in Spanish, `2026-03-02` in English.
pub fn date_text(ctx: &Ctx, d: Date) -> String {
    match ctx.lang {
        Lang::Es => d.strftime("%d-%m-%Y").to_string(),
        Lang::En => d.to_string(),
    }
}

/// A short date for chart ticks: `02-03` or `03-02`.
pub fn short_date(ctx: &Ctx, d: Date) -> String {
    match ctx.lang {
        Lang::Es => d.strftime("%d-%m").to_string(),
        Lang::En => d.strftime("%m-%d").to_string(),
    }
}

/// A stored ISO date as people read it (`30-03-2026` in Spanish); other text as it is.
fn day(ctx: &Ctx, v: &Value) -> String {
    let text = s(v);
    match text.parse::<Date>() {
        Ok(d) => date_text(ctx, d),
        Err(_) => text,
    }
}

/// A stored number (JSON number or decimal text) with the language's decimal separator.
fn num(ctx: &Ctx, v: &Value) -> String {
    let text = s(v);
    match text.parse::<f64>() {
        Ok(x) => crate::view::changes::number_text(ctx, x),
        Err(_) => text,
    }
}

fn s(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

async fn overview(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<Read>,
) -> Result<Markup, AppError> {
    let title = ctx.tf("plan.title", &[("code", &cx.programme().code)]);
    let body = html! {
        p { a href={ "/programs/" (cx.programme().code) } { (cx.programme().name) } }
        nav aria-label=(ctx.t("plan.sections")) {
            ul.inline {
                @for (anchor, key) in SECTIONS {
                    li { a href={ "#" (anchor) } { (ctx.t(key)) } }
                }
            }
        }
        (objectives_section(&state, &ctx, &cx).await?)
        (strategy_section(&state, &ctx, &cx).await?)
        (work_plan_section(&state, &ctx, &cx).await?)
        (budget_section(&state, &ctx, &cx).await?)
        (coordination_section(&state, &ctx, &cx).await?)
    };
    Ok(layout(&ctx, Section::Planning, &title, body))
}

const SECTIONS: [(&str, &str); 5] = [
    ("objectives", "plan.objectives"),
    ("strategy", "plan.strategy"),
    ("work-plan", "plan.work_plan"),
    ("budget", "plan.budget"),
    ("coordination", "plan.coordination"),
];

async fn objectives_section(state: &AppState, ctx: &Ctx, cx: &PlanCx) -> Result<Markup, AppError> {
    let objectives = state.app.plan_items::<ObjectiveDoc>(cx).await?;
    let targets = state.app.plan_items::<TargetDoc>(cx).await?;
    let milestones = state.app.plan_items::<MilestoneDoc>(cx).await?;
    Ok(html! {
        section id="objectives" {
            h2 { (ctx.t("plan.objectives")) }
            @if objectives.is_empty() { p { (ctx.t("plan.empty")) } }
            @for o in &objectives {
                article.card {
                    h3 { (s(&o.data["title"])) }
                    @if let Some(results) = o.data["expected_results"].as_array() {
                        ul { @for r in results { li { (s(r)) } } }
                    }
                    @let mine: Vec<_> = targets.iter().filter(|t| t.data["objective_id"].as_i64() == Some(o.id)).collect();
                    @if !mine.is_empty() {
                        table {
                            caption.sr { (ctx.t("plan.targets")) }
                            thead { tr {
                                th scope="col" { (ctx.t("plan.target.indicator")) }
                                th scope="col" { (ctx.t("plan.target.value")) }
                                th scope="col" { (ctx.t("plan.target.tolerance")) }
                                th scope="col" { (ctx.t("plan.target.period")) }
                            } }
                            tbody { @for t in mine { tr {
                                td { (ctx.t(&format!("kpi.{}", s(&t.data["indicator"])))) }
                                td { (ctx.t(&format!("plan.direction.{}", s(&t.data["direction"])))) " " (num(ctx, &t.data["target"])) }
                                td { "± " (num(ctx, &t.data["tolerance"])) }
                                td { (day(ctx, &t.data["period_start"])) " – " (day(ctx, &t.data["period_end"])) }
                            } } }
                        }
                    }
                }
            }
            @if !milestones.is_empty() {
                h3 { (ctx.t("plan.milestones")) }
                ul { @for m in &milestones { li { strong { (day(ctx, &m.data["date"])) } " · " (s(&m.data["name"])) } } }
            }
        }
    })
}

async fn strategy_section(state: &AppState, ctx: &Ctx, cx: &PlanCx) -> Result<Markup, AppError> {
    let stages = state.app.plan_items::<StageDoc>(cx).await?;
    let risks = state.app.risks(cx).await?;
    let grid = heat_grid(&risks);
    let can_edit = cx.may_update();
    Ok(html! {
        section id="strategy" {
            h2 { (ctx.t("plan.strategy")) }
            h3 { (ctx.t("plan.stages")) }
            @if stages.is_empty() { p { (ctx.t("plan.empty")) } }
            ol { @for st in &stages { li {
                strong { (s(&st.data["name"])) }
                @if let Some(exit) = st.data["exit_criteria"].as_array() {
                    " — " (ctx.t("plan.stage.exit")) ": "
                    @for (n, c) in exit.iter().enumerate() {
                        @if n > 0 { "; " }
                        (s(&c["text"]))
                        @if c["met"].as_bool() == Some(true) { " ✓" }
                    }
                }
            } } }
            h3 { (ctx.t("plan.risks")) }
            @if can_edit {
                div.actions { a.button href={ "/programs/" (cx.programme().code) "/plan/risks/new" } { (ctx.t("plan.risk.new")) } }
            }
            div.grid {
                figure { (svg(charts::heat_svg(ctx, &grid))) }
                table {
                    caption.sr { (ctx.t("plan.risks")) }
                    thead { tr {
                        th scope="col" { (ctx.t("plan.risk.event")) }
                        th.num scope="col" { (ctx.t("plan.risk.score")) }
                        th scope="col" { (ctx.t("plan.risk.level")) }
                        th scope="col" { (ctx.t("plan.risk.status")) }
                    } }
                    tbody { @for (_, r) in &risks { tr {
                        td { (r.event) }
                        td.num { (r.score()) }
                        td { span class={ "badge risk-" (r.level().as_str()) } { (ctx.t(&format!("plan.risk.level.{}", r.level().as_str()))) } }
                        td { (ctx.t(&format!("plan.risk.status.{}", r.status.as_str()))) }
                    } } }
                }
            }
        }
    })
}

async fn work_plan_section(state: &AppState, ctx: &Ctx, cx: &PlanCx) -> Result<Markup, AppError> {
    let plan = state.app.work_plan(cx).await?;
    let can_edit = cx.may_update();
    let staffing = state.app.staffing(cx).await?;
    let raci = state.app.raci(cx).await?;
    let people = state.app.plan_people(cx).await?;
    let (raci_people, raci_rows) = raci_table(&raci, &people);
    Ok(html! {
        section id="work-plan" {
            h2 { (ctx.t("plan.work_plan")) }
            @if can_edit {
                div.actions { a.button href={ "/programs/" (cx.programme().code) "/plan/activities/new" } { (ctx.t("plan.activity.new")) } }
            }
            @match &plan {
                None => p.error { (ctx.t("plan.work_plan.inconsistent")) },
                Some(p) if p.activities().is_empty() => p { (ctx.t("plan.empty")) },
                Some(p) => {
                    @let sched = p.schedule();
                    p {
                        (ctx.tf("plan.work_plan.summary", &[
                            ("finish", &date_text(ctx, sched.finish)),
                            ("days", &sched.finish_offset.to_string()),
                            ("path", &sched.critical_path().iter().map(|i| i.as_str()).collect::<Vec<_>>().join(" → ")),
                        ]))
                    }
                    figure.wide { (svg(charts::gantt_svg(ctx, cx, p, &sched))) }
                    table {
                        caption.sr { (ctx.t("plan.work_plan")) }
                        thead { tr {
                            th scope="col" { (ctx.t("plan.activity.id")) }
                            th scope="col" { (ctx.t("plan.activity.name")) }
                            th scope="col" { (ctx.t("plan.activity.start")) }
                            th scope="col" { (ctx.t("plan.activity.finish")) }
                            th.num scope="col" { (ctx.t("plan.activity.slack")) }
                            th.num scope="col" { (ctx.t("plan.activity.progress")) }
                        } }
                        tbody { @for a in p.activities() { @if let Some(r) = sched.get(a.id.as_str()) { tr class=[r.is_critical().then_some("critical")] {
                            td { (a.id) }
                            td { (a.name) @if r.is_critical() { " " span.badge { (ctx.t("plan.gantt.critical")) } } }
                            td { (date_text(ctx, r.start)) }
                            td { (date_text(ctx, r.finish)) }
                            td.num { (r.slack) }
                            td.num { (a.progress) " %" }
                        } } } }
                    }
                }
            }
            @if let Some(st) = &staffing {
                h3 { (ctx.t("plan.staffing")) }
                table {
                    caption.sr { (ctx.t("plan.staffing")) }
                    thead { tr {
                        th scope="col" { (ctx.t("plan.staffing.week")) }
                        th.num scope="col" { (ctx.t("plan.staffing.fte")) }
                        th.num scope="col" { (ctx.t("plan.staffing.needed")) }
                        th.num scope="col" { (ctx.t("plan.staffing.available")) }
                        th.num scope="col" { (ctx.t("plan.staffing.hires")) }
                        th scope="col" { (ctx.t("plan.staffing.training_start")) }
                    } }
                    tbody { @for w in st["weeks"].as_array().into_iter().flatten() { tr {
                        td { (day(ctx, &w["week_start"])) }
                        td.num { (num(ctx, &w["fte"])) }
                        td.num { (s(&w["headcount_needed"])) }
                        td.num { (s(&w["headcount_available"])) }
                        td.num { (s(&w["hires"])) }
                        td { (day(ctx, &w["training_start"])) }
                    } } }
                }
            }
            @if !raci_people.is_empty() {
                h3 { (ctx.t("plan.raci")) }
                table {
                    caption.sr { (ctx.t("plan.raci")) }
                    thead { tr {
                        th scope="col" { (ctx.t("plan.activity.id")) }
                        @for p in &raci_people { th scope="col" { (p) } }
                    } }
                    tbody { @for (activity, letters) in &raci_rows { tr {
                        th scope="row" { (activity) }
                        @for l in letters { td { (l) } }
                    } } }
                }
            }
        }
    })
}

async fn budget_section(state: &AppState, ctx: &Ctx, cx: &PlanCx) -> Result<Markup, AppError> {
    if !cx.may_read_internal() {
        // Budget and costs stay inside the BPO: the client's view has no budget section.
        return Ok(html! {});
    }
    let v = state.app.budget_variance(cx, "category").await?;
    let empty = vec![];
    let rows = v["rows"].as_array().unwrap_or(&empty);
    let cpc = v["cost_per_contact"]["by_month"]
        .as_array()
        .unwrap_or(&empty);
    Ok(html! {
        section id="budget" {
            h2 { (ctx.t("plan.budget")) }
            @if rows.is_empty() { p { (ctx.t("plan.empty")) } } @else {
                table {
                    caption { (ctx.t("plan.budget.variance")) }
                    thead { tr {
                        th scope="col" { (ctx.t("plan.budget.category")) }
                        th.num scope="col" { (ctx.t("plan.budget.planned")) }
                        th.num scope="col" { (ctx.t("plan.budget.actual")) }
                        th.num scope="col" { (ctx.t("plan.budget.difference")) }
                    } }
                    tbody { @for r in rows { tr {
                        td { (ctx.t(&format!("plan.category.{}", s(&r["category"])))) }
                        td.num { (money_text(ctx, &s(&r["planned"]))) }
                        td.num { (money_text(ctx, &s(&r["actual"]))) }
                        td.num { (money_text(ctx, &s(&r["variance"]))) }
                    } } }
                }
                table {
                    caption { (ctx.t("plan.budget.cost_per_contact")) }
                    thead { tr {
                        th scope="col" { (ctx.t("plan.budget.month")) }
                        th.num scope="col" { (ctx.t("plan.budget.contacts")) }
                        th.num scope="col" { (ctx.t("plan.budget.cost_per_contact")) }
                    } }
                    tbody { @for r in cpc { tr {
                        td { (crate::view::changes::month_text(ctx, &s(&r["month"]))) }
                        td.num { (r["contacts"].as_i64().map(|n| crate::view::fmt_int(ctx.lang, n)).unwrap_or_else(|| s(&r["contacts"]))) }
                        td.num { @if r["cost_per_contact"].is_null() { "—" } @else { (money_text(ctx, &s(&r["cost_per_contact"]))) } }
                    } } }
                }
            }
        }
    })
}

async fn coordination_section(
    state: &AppState,
    ctx: &Ctx,
    cx: &PlanCx,
) -> Result<Markup, AppError> {
    let meetings = state.app.plan_items::<MeetingDoc>(cx).await?;
    let requests = state.app.plan_items::<ChangeRequestDoc>(cx).await?;
    let versions = state.app.plan_versions(cx).await?;
    let may_decide = cx.may_decide_changes();
    let names = plan_names(state, ctx, cx).await?;
    Ok(html! {
        section id="coordination" {
            h2 { (ctx.t("plan.coordination")) }
            h3 { (ctx.t("plan.meetings")) }
            @if meetings.is_empty() { p { (ctx.t("plan.empty")) } }
            @for m in &meetings {
                article.card {
                    h4 { (day(ctx, &m.data["date"])) " · " (s(&m.data["title"])) }
                    @if let Some(d) = m.data["decisions"].as_array() {
                        @if !d.is_empty() {
                            p { strong { (ctx.t("plan.decisions")) } }
                            ul { @for x in d { li { (s(x)) } } }
                        }
                    }
                }
            }
            h3 { (ctx.t("plan.change_requests")) }
            @if requests.is_empty() { p { (ctx.t("plan.empty")) } }
            ul { @for r in &requests { li {
                strong { (ctx.t(&format!("plan.change.kind.{}", s(&r.data["kind"])))) } " · "
                (s(&r.data["reason"])) " · "
                span.badge { (ctx.t(&format!("plan.change.status.{}", s(&r.data["status"])))) }
                (plan_changes(ctx, &r.data["changes"], &names))
                @if may_decide && r.data["status"] == "proposed" {
                    @for (action, key) in [("approve", "plan.change.approve"), ("reject", "plan.change.reject")] {
                        " "
                        form.inline method="post" action={ "/programs/" (cx.programme().code) "/plan/change-requests/" (r.id) "/" (action) } {
                            (csrf_field(ctx))
                            button type="submit" { (ctx.t(key)) }
                        }
                    }
                }
            } } }
            h3 { (ctx.t("plan.versions")) }
            @if versions.is_empty() { p { (ctx.t("plan.versions.none")) } }
            ol { @for v in &versions { li {
                (ctx.tf("plan.version.item", &[("n", &v.number.to_string()), ("changes", &v.changes.as_array().map_or(0, |c| c.len()).to_string())]))
                (plan_changes(ctx, &v.changes, &names))
            } } }
        }
    })
}

/// What the ids in plan keys stand for: milestone and budget-line names, targets by indicator,
/// assignments by role.
async fn plan_names(state: &AppState, ctx: &Ctx, cx: &PlanCx) -> Result<PlanNames, AppError> {
    let by_id = |items: Vec<rumbo_app::model::PlanItem>, field: &str| {
        items
            .into_iter()
            .map(|i| (i.id, s(&i.data[field])))
            .collect()
    };
    let targets = state.app.plan_items::<TargetDoc>(cx).await?;
    Ok(PlanNames {
        milestones: by_id(state.app.plan_items::<MilestoneDoc>(cx).await?, "name"),
        budget_lines: by_id(
            state.app.plan_items::<BudgetLineDoc>(cx).await?,
            "description",
        ),
        assignments: by_id(state.app.plan_items::<AssignmentDoc>(cx).await?, "role"),
        targets: targets
            .into_iter()
            .map(|t| {
                let ind = s(&t.data["indicator"]);
                let label = ctx
                    .lang
                    .t_opt(&format!("kpi.{ind}"))
                    .map_or(ind, str::to_string);
                (t.id, label)
            })
            .collect(),
    })
}

fn risk_form_markup(
    ctx: &Ctx,
    cx: &PlanCx,
    people: &[Person],
    f: &crate::http::ctx::FormData,
    errors: &[Invalid],
) -> Markup {
    let fields = [
        ("cause", "plan.risk.cause", "text"),
        ("event", "plan.risk.event", "text"),
        ("effect", "plan.risk.effect", "text"),
        ("probability", "plan.risk.probability", "number"),
        ("impact", "plan.risk.impact", "number"),
        ("mitigation", "plan.risk.mitigation", "text"),
        ("contingency", "plan.risk.contingency", "text"),
        ("review_date", "plan.risk.review_date", "date"),
    ];
    html! {
        @if !errors.is_empty() {
            div.problems role="alert" {
                p { (ctx.t("form.has_errors")) }
                ul { @for e in errors { li { (ctx.t(e.key)) } } }
            }
        }
        form method="post" action={ "/programs/" (cx.programme().code) "/plan/risks/new" } novalidate {
            (csrf_field(ctx))
            @for (name, label, kind) in fields {
                (input(ctx, errors, name, label, kind, f.get(name), !matches!(name, "mitigation" | "contingency")))
            }
            (person_select(ctx, errors, "owner_id", "plan.risk.owner", people, f.get("owner_id")))
            button type="submit" { (ctx.t("form.save")) }
        }
    }
}

async fn risk_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<Update>,
) -> Result<Markup, AppError> {
    let title = ctx.t("plan.risk.new");
    Ok(layout(
        &ctx,
        Section::Planning,
        title,
        risk_form_markup(
            &ctx,
            &cx,
            &state.app.plan_people(&cx).await?,
            &Default::default(),
            &[],
        ),
    ))
}

async fn add_risk(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<Update>,
    Form(f): Form,
) -> Result<Response, AppError> {
    let doc = RiskDoc {
        cause: f.get("cause").into(),
        event: f.get("event").into(),
        effect: f.get("effect").into(),
        probability: f.get("probability").into(),
        impact: f.get("impact").into(),
        owner_id: f.get("owner_id").trim().parse().ok(),
        mitigation: f.opt("mitigation"),
        contingency: f.opt("contingency"),
        status: None,
        review_date: f.get("review_date").into(),
    };
    match state
        .app
        .create_plan_item(&ctx.principal()?, &cx, doc)
        .await
    {
        Ok(_) => Ok(axum::response::Redirect::to(&format!(
            "/programs/{}/plan#strategy",
            cx.programme().code
        ))
        .into_response()),
        Err(rumbo_app::Error::Invalid(e)) => {
            let title = ctx.t("plan.risk.new");
            let page = layout(
                &ctx,
                Section::Planning,
                title,
                risk_form_markup(&ctx, &cx, &state.app.plan_people(&cx).await?, &f, &e.0),
            );
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// Problems of a plan change as a page (the messages, and the way back to the plan); other
/// errors as usual.
fn problem_page(ctx: &Ctx, cx: &PlanCx, e: rumbo_app::Error) -> Response {
    let messages: Vec<String> = match e {
        rumbo_app::Error::Invalid(i) => i.0.iter().map(|e| ctx.t(e.key).to_string()).collect(),
        rumbo_app::Error::Cycle(path) => {
            vec![ctx.tf("error.workplan.cycle_path", &[("cycle", &path.join(" → "))])]
        }
        other => return AppError::from(other).into_response(),
    };
    let body = html! {
        div.problems role="alert" { ul { @for m in &messages { li { (m) } } } }
        p { a href={ "/programs/" (cx.programme().code) "/plan" } { (ctx.t("plan.back")) } }
    };
    let page = layout(ctx, Section::Planning, ctx.t("error.invalid"), body);
    (axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}

async fn approve_change(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<Update>,
    Path((_, id)): Path<(String, i64)>,
    Form(_): Form,
) -> Result<Response, AppError> {
    match state.app.approve_change(&ctx.principal()?, &cx, id).await {
        Ok(_) => Ok(axum::response::Redirect::to(&format!(
            "/programs/{}/plan#coordination",
            cx.programme().code
        ))
        .into_response()),
        Err(e) => Ok(problem_page(&ctx, &cx, e)),
    }
}

async fn reject_change(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<Update>,
    Path((_, id)): Path<(String, i64)>,
    Form(_): Form,
) -> Result<Response, AppError> {
    state.app.reject_change(&ctx.principal()?, &cx, id).await?;
    Ok(axum::response::Redirect::to(&format!(
        "/programs/{}/plan#coordination",
        cx.programme().code
    ))
    .into_response())
}

fn activity_form_markup(
    people: &[Person],
    ctx: &Ctx,
    cx: &PlanCx,
    f: &crate::http::ctx::FormData,
    errors: &[Invalid],
) -> Markup {
    let fields = [
        ("id", "plan.activity.id", "text", true),
        ("name", "plan.activity.name", "text", true),
        ("start_date", "plan.activity.start", "date", false),
        ("duration_days", "plan.activity.duration", "number", false),
        ("end_date", "plan.activity.finish", "date", false),
        ("dependencies", "plan.activity.dependencies", "text", false),
        ("deliverable", "plan.activity.deliverable", "text", false),
        ("progress", "plan.activity.progress", "number", false),
    ];
    html! {
        @if !errors.is_empty() {
            div.problems role="alert" {
                p { (ctx.t("form.has_errors")) }
                ul { @for e in errors { li { (ctx.t(e.key)) } } }
            }
        }
        form method="post" action={ "/programs/" (cx.programme().code) "/plan/activities/new" } novalidate {
            (csrf_field(ctx))
            @for (name, label, kind, required) in fields {
                (input(ctx, errors, name, label, kind, f.get(name), required))
            }
            (person_select(ctx, errors, "owner_id", "plan.activity.owner", people, f.get("owner_id")))
            div.field {
                label {
                    input type="checkbox" name="milestone" value="1" checked[f.get("milestone") == "1"];
                    " " (ctx.t("plan.gantt.milestone"))
                }
            }
            button type="submit" { (ctx.t("form.save")) }
        }
    }
}

async fn activity_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<Update>,
) -> Result<Markup, AppError> {
    Ok(layout(
        &ctx,
        Section::Planning,
        ctx.t("plan.activity.new"),
        activity_form_markup(
            &state.app.plan_people(&cx).await?,
            &ctx,
            &cx,
            &Default::default(),
            &[],
        ),
    ))
}

/// Adds one activity from the form; the whole work plan is checked (a cycle is named).
async fn add_activity(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<Update>,
    Form(f): Form,
) -> Result<Response, AppError> {
    use rumbo_app::plan::docs::{ActivityDoc, DependencyBody};
    let doc = ActivityDoc {
        id: f.get("id").into(),
        name: f.get("name").into(),
        start_date: f.opt("start_date"),
        duration_days: f.opt("duration_days"),
        end_date: f.opt("end_date"),
        dependencies: f
            .get("dependencies")
            .split([',', ' ', ';'])
            .filter(|d| !d.trim().is_empty())
            .map(|d| DependencyBody {
                predecessor: d.trim().into(),
                lag_days: 0,
            })
            .collect(),
        owner_id: f.get("owner_id").trim().parse().ok(),
        deliverable: f.opt("deliverable"),
        progress: f.opt("progress"),
        milestone: f.get("milestone") == "1",
    };
    let saved = state
        .app
        .add_activities(&ctx.principal()?, &cx, vec![doc])
        .await;
    let errors = match saved {
        Ok(_) => {
            return Ok(axum::response::Redirect::to(&format!(
                "/programs/{}/plan#work-plan",
                cx.programme().code
            ))
            .into_response())
        }
        Err(rumbo_app::Error::Invalid(e)) => e.0,
        Err(rumbo_app::Error::Conflict(_)) => {
            vec![Invalid::new("id", "error.plan.duplicate_code")]
        }
        Err(e) => return Ok(problem_page(&ctx, &cx, e)),
    };
    let people = state.app.plan_people(&cx).await?;
    let page = layout(
        &ctx,
        Section::Planning,
        ctx.t("plan.activity.new"),
        activity_form_markup(&people, &ctx, &cx, &f, &errors),
    );
    Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

/// The RACI matrix as column headers (people's names) and rows (activity, letter per person).
fn raci_table(data: &Value, people: &[Person]) -> (Vec<String>, Vec<(String, Vec<String>)>) {
    let ids: Vec<i64> = data["people"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_i64)
        .collect();
    let entries: Vec<&Value> = data["entries"].as_array().into_iter().flatten().collect();
    let names = ids
        .iter()
        .map(|id| {
            people
                .iter()
                .find(|p| p.id == *id)
                .map(|p| p.name.clone())
                .unwrap_or_else(|| id.to_string())
        })
        .collect();
    let mut rows: Vec<(String, Vec<String>)> = Vec::new();
    for e in &entries {
        let activity = s(&e["activity"]);
        if rows.iter().any(|(a, _)| *a == activity) {
            continue;
        }
        let letters = ids
            .iter()
            .map(|id| {
                entries
                    .iter()
                    .find(|x| {
                        x["activity"] == e["activity"] && x["person_id"].as_i64() == Some(*id)
                    })
                    .map(|x| s(&x["role"]))
                    .unwrap_or_default()
            })
            .collect();
        rows.push((activity, letters));
    }
    (names, rows)
}

/// A labelled choice of one of the organisation's people.
fn person_select(
    ctx: &Ctx,
    errors: &[Invalid],
    field: &str,
    label_key: &str,
    people: &[Person],
    selected: &str,
) -> Markup {
    let has_error = errors.iter().any(|e| e.field == field);
    html! {
        div.field {
            label for=(field) { (ctx.t(label_key)) }
            select id=(field) name=(field)
                aria-invalid=[has_error.then_some("true")]
                aria-describedby=[has_error.then(|| format!("err-{field}"))] {
                option value="" { (ctx.t("form.choose")) }
                @for p in people {
                    option value=(p.id) selected[p.id.to_string() == selected] { (p.name) }
                }
            }
            (field_errors(ctx, errors, field))
        }
    }
}
