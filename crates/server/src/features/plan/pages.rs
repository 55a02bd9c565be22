//! Plan pages: the programme's plan at a glance (objectives and targets, stages, risks with the
//! heat-map, work plan with the Gantt chart and critical path, budget variance and cost per
//! contact, RACI, meetings and decisions, change requests and versions), and a form to add a
//! risk.

use axum::extract::{Query, State};
use axum::routing::get;
use axum::Router;
use jiff::civil::Date;
use maud::{html, Markup};
use rumbo_app::model::Person;
use rumbo_app::plan::compute::heat_grid;
use rumbo_app::plan::docs::{
    AssignmentDoc, BudgetLineDoc, ChangeRequestDoc, MeetingDoc, MilestoneDoc, ObjectiveDoc,
    StageDoc, TargetDoc,
};
use serde_json::Value;

use super::charts;
use super::forms;
use super::{Plan, PlanCx, Read};
use crate::http::ctx::Ctx;
use crate::view::changes::{plan_changes, PlanNames};
use crate::view::i18n::Lang;
use crate::view::{csrf_field, layout, money_text, svg, Section};
use crate::{AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/programs/{code}/plan", get(overview))
        .merge(super::forms::router())
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
    Query(q): forms::PlanQuery,
) -> Result<Markup, AppError> {
    let title = ctx.tf("plan.title", &[("code", &cx.programme().code)]);
    let choices = forms::Choices::load(&state, &ctx, &cx).await?;
    let today = rumbo_app::plan::compute::today(&cx);
    let flags = state.app.plan_flags_on(&cx, today).await?;
    let mut blocks: Vec<(&str, Markup)> = Vec::new();
    for kind in forms::Kind::ALL {
        let (items, single) = if kind.single() {
            (
                Vec::new(),
                Some(forms::single_doc(&state, &cx, kind).await?),
            )
        } else {
            (forms::items(&state, &cx, kind).await?, None)
        };
        let m = forms::manage_block(&ctx, &cx, kind, &choices, &items, single.as_ref(), today);
        blocks.push((kind.anchor(), m));
    }
    let extra = |anchor: &str| {
        html! {
            div.manage-all {
                h3.manage-title { (ctx.t("pf.manage")) }
                @for (a, m) in &blocks { @if *a == anchor { (m) } }
            }
        }
    };
    let body = html! {
        p { a href={ "/programs/" (cx.programme().code) } { (cx.programme().name) } }
        (forms::flash(&ctx, &q))
        (crate::view::late::late_flags(&ctx, &flags))
        nav aria-label=(ctx.t("plan.sections")) {
            ul.inline {
                @for (anchor, key) in SECTIONS {
                    li { a href={ "#" (anchor) } { (ctx.t(key)) } }
                }
            }
        }
        (objectives_section(&state, &ctx, &cx, extra("objectives")).await?)
        (strategy_section(&state, &ctx, &cx, extra("strategy")).await?)
        (work_plan_section(&state, &ctx, &cx, extra("work-plan")).await?)
        (budget_section(&state, &ctx, &cx, extra("budget")).await?)
        (coordination_section(&state, &ctx, &cx, extra("coordination")).await?)
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

async fn objectives_section(
    state: &AppState,
    ctx: &Ctx,
    cx: &PlanCx,
    extra: Markup,
) -> Result<Markup, AppError> {
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
            (extra)
        }
    })
}

async fn strategy_section(
    state: &AppState,
    ctx: &Ctx,
    cx: &PlanCx,
    extra: Markup,
) -> Result<Markup, AppError> {
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
            (extra)
        }
    })
}

async fn work_plan_section(
    state: &AppState,
    ctx: &Ctx,
    cx: &PlanCx,
    extra: Markup,
) -> Result<Markup, AppError> {
    let plan = state.app.work_plan(cx).await?;
    let can_edit = cx.may_update();
    let staffing = state.app.staffing(cx).await?;
    let raci = state.app.raci(cx).await?;
    let people = state.app.plan_people(cx).await?;
    let (raci_people, raci_rows) = raci_table(&raci, &people);
    let today = rumbo_app::plan::compute::today(cx);
    let counted = state.app.day_count(cx).await?;
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
                    p.hint { (ctx.t(&format!("pf.activities.counted.{}", counted.as_str()))) }
                    figure.wide { (svg(charts::gantt_svg(ctx, cx, p, &sched))) }
                    div.table-scroll { table {
                        caption.sr { (ctx.t("plan.work_plan")) }
                        thead { tr {
                            th scope="col" { (ctx.t("plan.activity.id")) }
                            th scope="col" { (ctx.t("plan.activity.name")) }
                            th scope="col" { (ctx.t("plan.activity.start")) }
                            th scope="col" { (ctx.t("plan.activity.finish")) }
                            th.num scope="col" { (ctx.t("plan.activity.slack")) }
                            th.num scope="col" { (ctx.t("plan.activity.progress")) }
                            th scope="col" { (ctx.t("pf.state")) }
                        } }
                        tbody { @for a in p.activities() { @if let Some(r) = sched.get(a.id.as_str()) { tr class=[r.is_critical().then_some("critical")] {
                            td { (a.id) }
                            td { (a.name) @if r.is_critical() { " " span.badge { (ctx.t("plan.gantt.critical")) } } }
                            td { (date_text(ctx, r.start)) }
                            td { (date_text(ctx, r.finish)) }
                            td.num { (r.slack) }
                            td.num { (a.progress) " %" }
                            td {
                                @if r.is_overdue(a, today) { span.badge.state-late { (ctx.t("pf.state.overdue")) } }
                                @else if a.progress >= 100 || a.actual_finish.is_some() { span.badge.state-met { (ctx.t("pf.state.done")) } }
                            }
                        } } } }
                    } }
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
            (extra)
        }
    })
}

async fn budget_section(
    state: &AppState,
    ctx: &Ctx,
    cx: &PlanCx,
    extra: Markup,
) -> Result<Markup, AppError> {
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
            (extra)
        }
    })
}

async fn coordination_section(
    state: &AppState,
    ctx: &Ctx,
    cx: &PlanCx,
    extra: Markup,
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
                    " "
                    form.inline method="post" action={ "/programs/" (cx.programme().code) "/plan/change-requests/" (r.id) "/approve" } {
                        (csrf_field(ctx))
                        button type="submit" { (ctx.t("plan.change.approve")) }
                    }
                }
                " "
                a href={ "/programs/" (cx.programme().code) "/plan/change-requests/" (r.id) } { (ctx.t("pf.change_requests.open")) }
            } } }
            h3 { (ctx.t("plan.versions")) }
            @if versions.is_empty() { p { (ctx.t("plan.versions.none")) } }
            ol { @for v in &versions { li {
                (ctx.tf("plan.version.item", &[("n", &v.number.to_string()), ("changes", &v.changes.as_array().map_or(0, |c| c.len()).to_string())]))
                (plan_changes(ctx, &v.changes, &names))
            } } }
            (extra)
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
