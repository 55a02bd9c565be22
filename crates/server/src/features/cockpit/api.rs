//! The control loop's JSON API: the cockpit, alarms and their lifecycle, alarm rules.
//! Instants are UTC epoch seconds; amounts are minor units with their currency.

use axum::extract::{Path as UrlPath, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use rumbo_app::control::{Alarm, AlarmChange, AlarmRules, CockpitProgramme, Rules};
use serde::{Deserialize, Serialize};

use super::{evidence_href, period_text, what_text};
use crate::http::access::{ProgrammeAccess, Read, Update};
use crate::http::ctx::{ApiJson, Ctx};
use crate::http::error::AppError;
use crate::AppState;

pub fn api_router() -> Router<AppState> {
    Router::new()
        .route("/cockpit", get(cockpit))
        .route("/programs/{code}/alarms", get(alarms))
        .route("/programs/{code}/alarms/evaluate", post(evaluate))
        .route("/programs/{code}/alarms/{id}", get(alarm).patch(change))
        .route("/programs/{code}/alarm-rules", get(rules).put(set_rules))
        .merge(super::actions::api_router())
}

/// An alarm as the API returns it.
#[derive(Debug, Serialize)]
pub struct AlarmOut {
    pub id: i64,
    pub kind: String,
    pub metric: String,
    pub subject: String,
    pub period_start: i64,
    pub period_end: i64,
    /// The period in the programme's time zone, in the caller's language.
    pub period_text: String,
    pub expected: f64,
    pub observed: f64,
    pub magnitude: f64,
    pub score: f64,
    /// What and how big, in the caller's language.
    pub summary: String,
    pub status: &'static str,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<i64>,
    pub resolved_at: Option<i64>,
    pub assignee_id: Option<i64>,
    pub rules_version: i64,
    pub raised_at: i64,
    /// The page with the evidence (figures, work plan, budget, import report).
    pub evidence: String,
}

fn alarm_out(ctx: &Ctx, code: &str, tz: &str, a: &Alarm) -> AlarmOut {
    AlarmOut {
        id: a.id,
        kind: a.kind.clone(),
        metric: a.metric.clone(),
        subject: a.subject.clone(),
        period_start: a.period_start,
        period_end: a.period_end,
        period_text: period_text(ctx, a, tz),
        expected: a.expected,
        observed: a.observed,
        magnitude: a.magnitude,
        score: a.score,
        summary: what_text(ctx, a),
        status: a.status.as_str(),
        acknowledged_by: a.acknowledged_by.clone(),
        acknowledged_at: a.acknowledged_at,
        resolved_at: a.resolved_at,
        assignee_id: a.assignee_id,
        rules_version: a.rules_version,
        raised_at: a.raised_at,
        evidence: evidence_href(code, a, tz),
    }
}

#[derive(Debug, Serialize)]
struct KpiOut {
    indicator: String,
    target: f64,
    tolerance: f64,
    direction: &'static str,
    actual: Option<f64>,
    /// `green`, `amber`, `red`, or null when not measured.
    status: Option<&'static str>,
    trend: Vec<Option<f64>>,
}

#[derive(Debug, Serialize)]
struct OverdueOut {
    id: String,
    name: String,
    finish: String,
    progress: u8,
    days_late: i64,
}

#[derive(Debug, Serialize)]
struct MilestoneOut {
    id: String,
    name: String,
    date: String,
    at_risk: bool,
}

#[derive(Debug, Serialize)]
struct BudgetOut {
    currency: &'static str,
    planned_total: i64,
    planned_to_date: i64,
    actual_to_date: i64,
    projected_total: i64,
}

#[derive(Debug, Serialize)]
struct CockpitProgrammeOut {
    code: String,
    name: String,
    period_from: Option<String>,
    period_to: Option<String>,
    kpis: Vec<KpiOut>,
    alarms: Vec<AlarmOut>,
    overdue: Vec<OverdueOut>,
    budget: Option<BudgetOut>,
    milestones: Vec<MilestoneOut>,
    /// Corrective actions not cancelled: id, action, status, effectiveness verdict.
    actions: Vec<serde_json::Value>,
    evidence: String,
}

fn programme_out(ctx: &Ctx, c: CockpitProgramme) -> CockpitProgrammeOut {
    let p = &c.programme;
    CockpitProgrammeOut {
        code: p.code.clone(),
        name: p.name.clone(),
        period_from: c.period.map(|(f, _)| f.to_string()),
        period_to: c.period.map(|(_, t)| t.to_string()),
        kpis: c
            .kpis
            .into_iter()
            .map(|k| KpiOut {
                status: k.rag.map(|r| r.as_str()),
                direction: if k.higher_is_better {
                    "higher"
                } else {
                    "lower"
                },
                indicator: k.indicator,
                target: k.target,
                tolerance: k.tolerance,
                actual: k.actual,
                trend: k.trend,
            })
            .collect(),
        alarms: c
            .alarms
            .iter()
            .map(|a| alarm_out(ctx, &p.code, &p.time_zone, a))
            .collect(),
        overdue: c
            .overdue
            .into_iter()
            .map(|o| OverdueOut {
                id: o.id,
                name: o.name,
                finish: o.finish.to_string(),
                progress: o.progress,
                days_late: o.days_late,
            })
            .collect(),
        budget: c.budget.map(|b| BudgetOut {
            currency: b.currency,
            planned_total: b.planned_total,
            planned_to_date: b.planned_to_date,
            actual_to_date: b.actual_to_date,
            projected_total: b.projected_total,
        }),
        milestones: c
            .milestones
            .into_iter()
            .map(|m| MilestoneOut {
                id: m.id,
                name: m.name,
                date: m.date.to_string(),
                at_risk: m.at_risk,
            })
            .collect(),
        actions: c
            .actions
            .iter()
            .map(|a| {
                serde_json::json!({
                    "id": a.id, "action": a.data["action"], "status": a.data["status"],
                    "verdict": a.data["effect"]["verdict"],
                })
            })
            .collect(),
        evidence: format!("/programs/{}/control", p.code),
    }
}

/// The JSON is kept in the result cache under the cockpit's version and the language, so a
/// cockpit asked again is not serialised again.
async fn cockpit(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<axum::response::Response, AppError> {
    let c = state.app.cockpit(&ctx.principal()?).await?;
    let key = state
        .app
        .view_key_named("cockpit-api", format!("{:?}|{}", ctx.lang, c.version));
    let json = state
        .app
        .view_or_render(key, || async {
            let out: Vec<CockpitProgrammeOut> = c
                .programmes
                .into_iter()
                .map(|p| programme_out(&ctx, p))
                .collect();
            serde_json::to_string(&out).map_err(|e| AppError::Internal(e.to_string()))
        })
        .await?;
    Ok(crate::http::json_text(&json))
}

/// `?open=true` lists only alarms not resolved.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct AlarmsQuery {
    open: bool,
}

async fn alarms(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Read>,
    Query(q): Query<AlarmsQuery>,
) -> Result<Json<Vec<AlarmOut>>, AppError> {
    let p = &access.programme;
    let list = state.app.alarms(&ctx.principal()?, &p.code, q.open).await?;
    Ok(Json(
        list.iter()
            .map(|a| alarm_out(&ctx, &p.code, &p.time_zone, a))
            .collect(),
    ))
}

async fn evaluate(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Update>,
) -> Result<Json<Vec<AlarmOut>>, AppError> {
    let p = &access.programme;
    let list = state
        .app
        .evaluate_alarms(&ctx.principal()?, &p.code)
        .await?;
    Ok(Json(
        list.iter()
            .map(|a| alarm_out(&ctx, &p.code, &p.time_zone, a))
            .collect(),
    ))
}

async fn alarm(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Read>,
    UrlPath((_, id)): UrlPath<(String, i64)>,
) -> Result<Json<AlarmOut>, AppError> {
    let p = &access.programme;
    let a = state.app.alarm(&ctx.principal()?, &p.code, id).await?;
    Ok(Json(alarm_out(&ctx, &p.code, &p.time_zone, &a)))
}

async fn change(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Update>,
    UrlPath((_, id)): UrlPath<(String, i64)>,
    ApiJson(body): ApiJson<AlarmChange>,
) -> Result<Json<AlarmOut>, AppError> {
    let p = &access.programme;
    let a = state
        .app
        .change_alarm(&ctx.principal()?, &p.code, id, body)
        .await?;
    Ok(Json(alarm_out(&ctx, &p.code, &p.time_zone, &a)))
}

#[derive(Debug, Serialize)]
struct RulesOut {
    version: i64,
    rules: AlarmRules,
}

fn rules_out(r: Rules) -> RulesOut {
    RulesOut {
        version: r.version,
        rules: r.rules,
    }
}

async fn rules(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Read>,
) -> Result<Json<RulesOut>, AppError> {
    let r = state
        .app
        .alarm_rules(&ctx.principal()?, &access.programme.code)
        .await?;
    Ok(Json(rules_out(r)))
}

async fn set_rules(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Update>,
    ApiJson(body): ApiJson<AlarmRules>,
) -> Result<Json<RulesOut>, AppError> {
    let r = state
        .app
        .set_alarm_rules(&ctx.principal()?, &access.programme.code, body)
        .await?;
    Ok(Json(rules_out(r)))
}
