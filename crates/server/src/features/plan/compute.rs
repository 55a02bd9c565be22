//! Plan figures computed from stored data: schedule and Gantt, risk heat-map, budget variance
//! and cost per contact, staffing, current plan values and change-request application.
//!
//! Stored documents are parsed back through the domain before any computation, so a figure is
//! always computed from values the domain accepts.

use std::collections::BTreeMap;

use jiff::civil::Date;
use rumbo_charts::{
    gantt_chart, risk_heat_map, Frame, Gantt, GanttBar, GanttLabels, HeatMap, Tone,
};
use rumbo_domain::plan::budget::{
    cost_per_contact, variance, BudgetLine, GroupBy, LineAmount, Money, VarianceKey, YearMonth,
};
use rumbo_domain::plan::coordination::{AppliedChange, PlanKey, PlanValue, ScopeSideKey};
use rumbo_domain::plan::strategy::{HeatMap as RiskGrid, Risk, RiskLevel};
use rumbo_domain::plan::workplan::{Activity, Schedule, WorkPlan, WorkPlanError};
use rumbo_domain::{Invalid, Invalids};
use rumbo_store::plan::{NewPlanItem, PlanItem};
use serde_json::{json, Map, Value};

use super::docs::{
    activity_json, reparse, ActivityDoc, AmountDoc, AssignmentDoc, Check, ContactsDoc, Doc,
    MilestoneDoc, RiskDoc, TargetDoc,
};
use super::{PlanCx, INDICATORS};
use crate::http::ctx::Ctx;
use crate::{AppError, AppState};

/// A stored document that no longer parses is corrupt data, not a user error.
fn corrupt(kind: &str, id: i64) -> AppError {
    AppError::Internal(format!("stored plan item {kind} #{id} does not parse"))
}

/// What a plan document is checked against, loaded from the store.
pub async fn check_cx(state: &AppState, cx: &PlanCx) -> Result<Check, AppError> {
    let objectives = state.store.plan_items(Some(cx.id()), "objective").await?;
    let lines = state.store.plan_items(Some(cx.id()), "budget_line").await?;
    let people = state.store.people().await?;
    Ok(Check {
        programme: cx.dates,
        objective_ids: objectives.iter().map(|o| o.id).collect(),
        person_ids: people.iter().map(|p| p.id).collect(),
        budget_line_ids: lines.iter().map(|l| l.id).collect(),
        indicators: INDICATORS.iter().map(|s| s.to_string()).collect(),
    })
}

/// The programme's activities, stored and parsed, in creation order.
pub async fn activities(
    state: &AppState,
    cx: &PlanCx,
) -> Result<Vec<(PlanItem, Activity)>, AppError> {
    let items = state.store.plan_items(Some(cx.id()), "activity").await?;
    items
        .into_iter()
        .map(|i| {
            let a = reparse::<ActivityDoc>(&i.data)
                .and_then(|d| d.parse().ok())
                .ok_or_else(|| corrupt("activity", i.id))?;
            Ok((i, a))
        })
        .collect()
}

/// The error of a work plan that does not hold together: field keys, or the cycle's path.
pub enum PlanProblem {
    Invalid(Invalids),
    Cycle(Vec<String>),
    /// Anything else (missing item, database).
    App(AppError),
}

impl From<WorkPlanError> for PlanProblem {
    fn from(e: WorkPlanError) -> Self {
        match e {
            WorkPlanError::Invalid(i) => PlanProblem::Invalid(i),
            WorkPlanError::Cycle(path) => {
                PlanProblem::Cycle(path.iter().map(|a| a.to_string()).collect())
            }
        }
    }
}

/// Checks activities as a whole work plan of the programme.
pub fn work_plan(cx: &PlanCx, acts: Vec<Activity>) -> Result<WorkPlan, PlanProblem> {
    WorkPlan::new(acts, cx.dates).map_err(PlanProblem::from)
}

/// The critical-path schedule as JSON.
pub fn schedule_json(plan: &WorkPlan, s: &Schedule) -> Value {
    let rows: Vec<Value> = plan
        .activities()
        .iter()
        .filter_map(|a| s.get(a.id.as_str()).map(|r| (a, r)))
        .map(|(a, r)| {
            json!({
                "id": a.id.as_str(), "name": a.name, "milestone": a.milestone, "progress": a.progress,
                "duration_days": a.duration_days,
                "early_start": r.early_start, "early_finish": r.early_finish,
                "late_start": r.late_start, "late_finish": r.late_finish,
                "slack": r.slack, "critical": r.is_critical(),
                "start": r.start.to_string(), "finish": r.finish.to_string(),
            })
        })
        .collect();
    json!({
        "finish": s.finish.to_string(),
        "duration_days": s.finish_offset,
        "critical_path": s.critical_path().iter().map(|i| i.as_str()).collect::<Vec<_>>(),
        "progress": plan.progress(),
        "activities": rows,
    })
}

/// Today in the programme's time zone.
pub fn today(cx: &PlanCx) -> Date {
    let tz = jiff::tz::TimeZone::get(&cx.programme.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    jiff::Timestamp::now().to_zoned(tz).date()
}

fn offset(from: Date, to: Date) -> i64 {
    i64::from((to - from).get_days())
}

/// The Gantt chart of the work plan, labels in the user's language.
pub fn gantt_svg(ctx: &Ctx, cx: &PlanCx, plan: &WorkPlan, s: &Schedule) -> String {
    let start = cx.dates.start();
    let index = |id: &str| plan.activities().iter().position(|a| a.id.as_str() == id);
    let bars: Vec<GanttBar> = plan
        .activities()
        .iter()
        .filter_map(|a| s.get(a.id.as_str()).map(|r| (a, r)))
        .map(|(a, r)| GanttBar {
            label: format!("{} {}", a.id, a.name),
            description: ctx.tf(
                "plan.gantt.bar",
                &[
                    ("name", &a.name),
                    ("start", &super::pages::date_text(ctx, r.start)),
                    ("finish", &super::pages::date_text(ctx, r.finish)),
                    ("progress", &a.progress.to_string()),
                    ("slack", &r.slack.to_string()),
                ],
            ),
            start: r.early_start,
            days: i64::from(a.duration_days),
            progress: a.progress,
            critical: r.is_critical(),
            milestone: a.milestone,
        })
        .collect();
    let dependencies = plan
        .activities()
        .iter()
        .enumerate()
        .flat_map(|(to, a)| {
            a.dependencies
                .iter()
                .filter_map(move |d| index(d.predecessor.as_str()).map(|from| (from, to)))
        })
        .collect();
    // One tick per week (Mondays), at most 16 labels.
    let weeks = (s.finish_offset / 7 + 1).max(1);
    let step = (weeks / 16 + 1) * 7;
    let first_monday = i64::from(7 - start.weekday().to_monday_zero_offset()) % 7;
    let axis = (0..)
        .map(|k| first_monday + k * step)
        .take_while(|o| *o <= s.finish_offset)
        .map(|o| {
            let d = start
                .checked_add(jiff::Span::new().days(o))
                .unwrap_or(start);
            (o, super::pages::short_date(ctx, d))
        })
        .collect();
    let today = today(cx);
    let today_offset = cx.dates.contains(today).then(|| offset(start, today));
    gantt_chart(&Gantt {
        frame: Frame {
            width: 960,
            title: ctx.tf("plan.gantt.title", &[("code", &cx.programme.code)]),
            description: ctx.t("plan.gantt.description").to_string(),
            ..Frame::default()
        },
        bars,
        dependencies,
        today: today_offset,
        axis,
        labels: GanttLabels {
            critical: ctx.t("plan.gantt.critical").into(),
            normal: ctx.t("plan.gantt.activity").into(),
            milestone: ctx.t("plan.gantt.milestone").into(),
            today: ctx.t("plan.gantt.today").into(),
        },
    })
}

/// The programme's risks, stored and parsed.
pub async fn risks(state: &AppState, cx: &PlanCx) -> Result<Vec<(PlanItem, Risk)>, AppError> {
    let items = state.store.plan_items(Some(cx.id()), "risk").await?;
    items
        .into_iter()
        .map(|i| {
            let r = reparse::<RiskDoc>(&i.data)
                .and_then(|d| d.parse().ok())
                .ok_or_else(|| corrupt("risk", i.id))?;
            Ok((i, r))
        })
        .collect()
}

/// The 5×5 counts of active risks.
pub fn heat_grid(risks: &[(PlanItem, Risk)]) -> RiskGrid {
    RiskGrid::from_risks(risks.iter().map(|(_, r)| r).filter(|r| r.is_active()))
}

pub fn heat_json(grid: &RiskGrid) -> Value {
    json!({
        "cells": grid.cells,
        "axes": { "rows": "impact 1..5", "columns": "probability 1..5" },
        "total": grid.total(),
    })
}

/// The heat-map chart, labels in the user's language.
pub fn heat_svg(ctx: &Ctx, grid: &RiskGrid) -> String {
    let tone = |score: u8| match RiskLevel::from_score(score) {
        RiskLevel::Low => Tone::Low,
        RiskLevel::Medium => Tone::Medium,
        RiskLevel::High => Tone::High,
        RiskLevel::Critical => Tone::Critical,
    };
    let label = |p: u8, i: u8, n: u32| {
        ctx.tf(
            "plan.heatmap.cell",
            &[
                ("p", &p.to_string()),
                ("i", &i.to_string()),
                ("n", &n.to_string()),
            ],
        )
    };
    risk_heat_map(&HeatMap {
        frame: Frame {
            width: 380,
            height: 400,
            title: ctx.t("plan.heatmap.title").into(),
            description: ctx.t("plan.heatmap.description").into(),
            x_label: ctx.t("plan.risk.probability").into(),
            y_label: ctx.t("plan.risk.impact").into(),
            ..Frame::default()
        },
        counts: grid.cells,
        tone: &tone,
        tone_labels: [
            ctx.t("plan.risk.level.low").into(),
            ctx.t("plan.risk.level.medium").into(),
            ctx.t("plan.risk.level.high").into(),
            ctx.t("plan.risk.level.critical").into(),
        ],
        cell_label: &label,
    })
}

/// Budget lines, planned and actual amounts, and contacts per month, parsed.
pub struct BudgetData {
    /// The latest UF → CLP rate entered, for UF figures next to pesos.
    pub uf_rate: Option<rumbo_domain::plan::budget::Rate>,
    pub lines: Vec<BudgetLine>,
    pub planned: Vec<LineAmount>,
    pub actual: Vec<LineAmount>,
    pub contacts: BTreeMap<YearMonth, u64>,
}

pub async fn budget(state: &AppState, cx: &PlanCx, check: &Check) -> Result<BudgetData, AppError> {
    let pid = Some(cx.id());
    let mut lines = Vec::new();
    for i in state.store.plan_items(pid, "budget_line").await? {
        let d = &i.data;
        let line = BudgetLine::parse(
            i.id,
            d["category"].as_str().unwrap_or_default(),
            d["description"].as_str().unwrap_or_default(),
        )
        .map_err(|_| corrupt("budget_line", i.id))?;
        lines.push(line);
    }
    let (mut planned, mut actual) = (Vec::new(), Vec::new());
    for i in state.store.plan_items(pid, "budget_amount").await? {
        let (a, is_actual) = reparse::<AmountDoc>(&i.data)
            .and_then(|d| d.parse(check).ok())
            .ok_or_else(|| corrupt("budget_amount", i.id))?;
        if is_actual {
            actual.push(a);
        } else {
            planned.push(a);
        }
    }
    let mut contacts = BTreeMap::new();
    for i in state.store.plan_items(pid, "contacts").await? {
        let (m, n) = reparse::<ContactsDoc>(&i.data)
            .and_then(|d| d.parse().ok())
            .ok_or_else(|| corrupt("contacts", i.id))?;
        contacts.insert(m, n);
    }
    let mut rates = Vec::new();
    for i in state.store.plan_items(pid, "rate").await? {
        let r = reparse::<super::docs::RateDoc>(&i.data)
            .and_then(|d| d.parse().ok())
            .ok_or_else(|| corrupt("rate", i.id))?;
        rates.push(r);
    }
    let uf_rate = rates
        .into_iter()
        .filter(|r| {
            r.base() == rumbo_domain::plan::budget::Currency::Clf
                && r.quote() == rumbo_domain::plan::budget::Currency::Clp
        })
        .max_by_key(|r| r.date());
    Ok(BudgetData {
        uf_rate,
        lines,
        planned,
        actual,
        contacts,
    })
}

fn key_json(k: &VarianceKey) -> Value {
    match k {
        VarianceKey::Line(id) => json!({ "line_id": id }),
        VarianceKey::Month(m) => json!({ "month": m.to_string() }),
        VarianceKey::Category(c) => json!({ "category": c.as_str() }),
        VarianceKey::Total => json!({ "total": true }),
    }
}

/// Planned vs actual grouped as asked, with cost per contact by month and in total.
pub fn variance_json(b: &BudgetData, by: GroupBy) -> Result<Value, AppError> {
    let rows = variance(&b.lines, &b.planned, &b.actual, by).map_err(AppError::from)?;
    let rows: Vec<Value> = rows
        .iter()
        .map(|r| {
            let mut v = key_json(&r.key);
            v["planned"] = json!(super::docs::plain(r.planned));
            v["actual"] = json!(super::docs::plain(r.actual));
            v["variance"] = json!(super::docs::plain(r.variance));
            v["variance_percent"] = json!(r.percent);
            v["currency"] = json!(r.planned.currency().code());
            if let Some(rate) = &b.uf_rate {
                // Shown in UF at the stated rate, rounded half away from zero to 4 decimals.
                let uf = |m: Money| {
                    rate.convert(m, rumbo_domain::plan::budget::Rounding::HalfAwayFromZero)
                        .ok()
                        .map(super::docs::plain)
                };
                v["uf"] = json!({
                    "planned": uf(r.planned), "actual": uf(r.actual), "variance": uf(r.variance),
                    "rate_date": rate.date().to_string(),
                });
            }
            v
        })
        .collect();
    let by_month =
        variance(&b.lines, &b.planned, &b.actual, GroupBy::Month).map_err(AppError::from)?;
    let mut cpc = Vec::new();
    let (mut total_cost, mut total_contacts): (Option<Money>, u64) = (None, 0);
    for r in &by_month {
        let VarianceKey::Month(m) = r.key else {
            continue;
        };
        let contacts = b.contacts.get(&m).copied().unwrap_or(0);
        cpc.push(json!({
            "month": m.to_string(),
            "actual_cost": super::docs::plain(r.actual),
            "contacts": contacts,
            "cost_per_contact": cost_per_contact(r.actual, contacts).map(super::docs::plain),
        }));
        if contacts > 0 {
            total_cost = Some(match total_cost {
                Some(t) => t.checked_add(r.actual).map_err(AppError::from)?,
                None => r.actual,
            });
            total_contacts += contacts;
        }
    }
    let total_cpc = total_cost.and_then(|c| cost_per_contact(c, total_contacts));
    Ok(json!({
        "rows": rows,
        "cost_per_contact": {
            "by_month": cpc,
            "total": total_cpc.map(super::docs::plain),
            "months_counted": "months with contacts",
        },
    }))
}

/// A plan value as the text its key parses.
pub fn value_text(v: &PlanValue) -> String {
    match v {
        PlanValue::Money(m) => super::docs::plain(*m),
        other => other.to_string(),
    }
}

/// Plan values as a JSON object `{ key: text }`.
pub fn values_json(values: &BTreeMap<PlanKey, PlanValue>) -> Value {
    let mut m = Map::new();
    for (k, v) in values {
        m.insert(k.to_string(), json!(value_text(v)));
    }
    Value::Object(m)
}

pub fn changes_json(changes: &[AppliedChange]) -> Value {
    Value::Array(
        changes
            .iter()
            .map(|c| {
                json!({
                    "key": c.key.to_string(),
                    "before": c.before.as_ref().map(value_text),
                    "after": value_text(&c.after),
                })
            })
            .collect(),
    )
}

/// The plan values a change request may touch, as they are now.
pub async fn current_values(
    state: &AppState,
    cx: &PlanCx,
    check: &Check,
) -> Result<BTreeMap<PlanKey, PlanValue>, AppError> {
    let mut out = BTreeMap::new();
    let acts = activities(state, cx).await?;
    let ids: Vec<Activity> = acts.iter().map(|(_, a)| a.clone()).collect();
    if let Ok(plan) = WorkPlan::new(ids, cx.dates) {
        let s = plan.schedule();
        for a in plan.activities() {
            if let Some(r) = s.get(a.id.as_str()) {
                out.insert(
                    PlanKey::ActivityStart(a.id.clone()),
                    PlanValue::Date(r.start),
                );
            }
            out.insert(
                PlanKey::ActivityDuration(a.id.clone()),
                PlanValue::Count(a.duration_days),
            );
        }
    }
    for i in state.store.plan_items(Some(cx.id()), "milestone").await? {
        if let Some(m) = reparse::<MilestoneDoc>(&i.data).and_then(|d| d.parse(check).ok()) {
            out.insert(PlanKey::MilestoneDate(i.id), PlanValue::Date(m.date));
        }
    }
    for i in state.store.plan_items(Some(cx.id()), "target").await? {
        if let Some((_, t)) = reparse::<TargetDoc>(&i.data).and_then(|d| d.parse(check).ok()) {
            out.insert(PlanKey::TargetValue(i.id), PlanValue::Number(t.target));
            out.insert(
                PlanKey::TargetTolerance(i.id),
                PlanValue::Number(t.tolerance),
            );
        }
    }
    let b = budget(state, cx, check).await?;
    for a in &b.planned {
        out.insert(
            PlanKey::BudgetPlanned {
                line_id: a.line_id,
                month: a.month,
            },
            PlanValue::Money(a.amount),
        );
    }
    for i in state.store.plan_items(Some(cx.id()), "assignment").await? {
        if let Some(a) = reparse::<AssignmentDoc>(&i.data).and_then(|d| d.parse().ok()) {
            out.insert(
                PlanKey::Allocation(i.id),
                PlanValue::Count(u32::from(a.allocation)),
            );
        }
    }
    for i in state.store.plan_items(Some(cx.id()), "scope").await? {
        let side = match i.data["side"].as_str() {
            Some("in") => ScopeSideKey::In,
            _ => ScopeSideKey::Out,
        };
        let text = i.data["text"].as_str().unwrap_or_default().to_string();
        out.insert(PlanKey::Scope(side, i.id as u32), PlanValue::Text(text));
    }
    if let Some(end) = cx.dates.end() {
        out.insert(PlanKey::ProgrammeEnd, PlanValue::Date(end));
    }
    Ok(out)
}

/// Item updates and inserts that carry applied changes into the plan's documents, checked as a
/// whole (the work plan still holds together, milestones stay within the programme…). Keys with
/// no document of their own (headcount, scope, programme end) live in the version only.
pub async fn item_changes(
    state: &AppState,
    cx: &PlanCx,
    check: &Check,
    changes: &[AppliedChange],
) -> Result<(Vec<(i64, Value)>, Vec<NewPlanItem>), PlanProblem> {
    let db = PlanProblem::App;
    let mut updates: Vec<(i64, Value)> = Vec::new();
    let mut inserts = Vec::new();
    let mut acts = activities(state, cx).await.map_err(db)?;
    let mut acts_changed = false;
    for c in changes {
        match (&c.key, &c.after) {
            (PlanKey::ActivityStart(id), PlanValue::Date(d)) => {
                if let Some((_, a)) = acts.iter_mut().find(|(_, a)| &a.id == id) {
                    a.start_date = Some(*d);
                    acts_changed = true;
                }
            }
            (PlanKey::ActivityDuration(id), PlanValue::Count(n)) => {
                if let Some((_, a)) = acts.iter_mut().find(|(_, a)| &a.id == id) {
                    if a.milestone && *n != 0 {
                        return Err(PlanProblem::Invalid(
                            Invalid::new("changes", "error.activity.milestone_duration").into(),
                        ));
                    }
                    a.duration_days = *n;
                    acts_changed = true;
                }
            }
            (PlanKey::MilestoneDate(id), PlanValue::Date(d)) => {
                let item = state.store.plan_item(Some(cx.id()), "milestone", *id).await;
                let item = item.map_err(|e| db(e.into()))?;
                let mut data = item.data.clone();
                data["date"] = json!(d.to_string());
                let (_, v) = reparse::<MilestoneDoc>(&data)
                    .ok_or_else(|| db(corrupt("milestone", *id)))?
                    .check(check)
                    .map_err(PlanProblem::Invalid)?;
                updates.push((*id, v));
            }
            (PlanKey::TargetValue(id) | PlanKey::TargetTolerance(id), PlanValue::Number(n)) => {
                let item = state.store.plan_item(Some(cx.id()), "target", *id).await;
                let item = item.map_err(|e| db(e.into()))?;
                let mut data = updates
                    .iter()
                    .find(|(i, _)| i == id)
                    .map(|(_, v)| v.clone())
                    .unwrap_or(item.data);
                let field = if matches!(c.key, PlanKey::TargetValue(_)) {
                    "target"
                } else {
                    "tolerance"
                };
                data[field] = json!(n);
                let (_, v) = reparse::<TargetDoc>(&data)
                    .ok_or_else(|| db(corrupt("target", *id)))?
                    .check(check)
                    .map_err(PlanProblem::Invalid)?;
                updates.retain(|(i, _)| i != id);
                updates.push((*id, v));
            }
            (PlanKey::BudgetPlanned { line_id, month }, PlanValue::Money(m)) => {
                let doc = AmountDoc {
                    line_id: Some(*line_id),
                    month: month.to_string(),
                    kind: "planned".into(),
                    amount: super::docs::plain(*m),
                    currency: m.currency().code().into(),
                };
                let (code, v) = doc.check(check).map_err(PlanProblem::Invalid)?;
                let existing = state
                    .store
                    .plan_items(Some(cx.id()), "budget_amount")
                    .await
                    .map_err(|e| db(e.into()))?
                    .into_iter()
                    .find(|i| i.code == code);
                match existing {
                    Some(i) => updates.push((i.id, v)),
                    None => inserts.push(NewPlanItem {
                        kind: "budget_amount",
                        code,
                        data: v,
                    }),
                }
            }
            (PlanKey::Allocation(id), PlanValue::Count(n)) => {
                let item = state
                    .store
                    .plan_item(Some(cx.id()), "assignment", *id)
                    .await;
                let item = item.map_err(|e| db(e.into()))?;
                let mut data = item.data.clone();
                data["allocation"] = json!(n);
                let (_, v) = reparse::<AssignmentDoc>(&data)
                    .ok_or_else(|| db(corrupt("assignment", *id)))?
                    .check(check)
                    .map_err(PlanProblem::Invalid)?;
                updates.push((*id, v));
            }
            _ => {}
        }
    }
    if acts_changed {
        let list: Vec<Activity> = acts.iter().map(|(_, a)| a.clone()).collect();
        work_plan(cx, list)?;
        for (item, a) in &acts {
            let v = activity_json(a);
            if v != item.data {
                updates.push((item.id, v));
            }
        }
    }
    Ok((updates, inserts))
}

/// The follow-up tasks of the `n`-th meeting as work-plan activities `FU-<n>.<k>`.
pub fn follow_up_activities(
    meeting: &rumbo_domain::plan::coordination::Meeting,
    n: usize,
) -> Result<Vec<Activity>, Invalids> {
    meeting
        .follow_ups
        .iter()
        .enumerate()
        .map(|(k, f)| Activity::try_from(f.to_activity(&format!("FU-{n}.{}", k + 1), meeting.date)))
        .collect()
}

/// The library belongs to no programme: its entries are checked against an empty context.
pub fn library_check() -> Result<Check, AppError> {
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    Ok(Check {
        programme: rumbo_domain::plan::ProgrammeDates::new(today, None)
            .map_err(|e| AppError::Internal(e.key.into()))?,
        objective_ids: vec![],
        person_ids: vec![],
        budget_line_ids: vec![],
        indicators: vec![],
    })
}
