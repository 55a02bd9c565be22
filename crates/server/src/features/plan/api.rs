//! `/api/v1/programs/{code}/…` plan routes, and the best-practice library under
//! `/api/v1/practices`.
//!
//! Simple entities share five generic handlers (list, create, read, replace, delete). The work
//! plan, RACI, meetings, budget amounts, staffing and change requests have their own, because
//! they are checked as a whole or write several items at once.

use axum::extract::{Path, Query, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rumbo_app::plan::compute::{heat_grid, heat_json, schedule_json};
use rumbo_app::plan::docs::*;
use rumbo_app::plan::{PlanItem, PlanVersion};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{charts, Operate, Plan, PlanCx, Read, ReadInternal, Update};
use crate::http::ctx::{ApiJson, Ctx};
use crate::{AppError, AppState};

macro_rules! crud {
    ($router:expr, $path:literal, $doc:ty) => {
        $router
            .route(
                concat!("/api/v1/programs/{code}/", $path),
                get(list::<$doc>).post(create::<$doc>),
            )
            .route(
                concat!("/api/v1/programs/{code}/", $path, "/{id}"),
                get(read::<$doc>).put(update::<$doc>).delete(remove::<$doc>),
            )
    };
}

pub fn router() -> Router<AppState> {
    let r = Router::new();
    let r = crud!(r, "objectives", ObjectiveDoc);
    let r = crud!(r, "targets", TargetDoc);
    let r = crud!(r, "milestones", MilestoneDoc);
    let r = crud!(r, "requirements", RequirementDoc);
    let r = crud!(r, "scope", ScopeDoc);
    let r = crud!(r, "stages", StageDoc);
    let r = crud!(r, "risks", RiskDoc);
    let r = crud!(r, "cost-rates", CostRateDoc);
    let r = crud!(r, "supplies", SupplyDoc);
    let r = crud!(r, "budget-lines", BudgetLineDoc);
    let r = crud!(r, "rates", RateDoc);
    let r = crud!(r, "profiles", ProfileDoc);
    let r = crud!(r, "roles", RoleDoc);
    let r = crud!(r, "communications", CommunicationDoc);
    let r = crud!(r, "decisions", DecisionDoc);
    let r = crud!(r, "diffusion", DiffusionDoc);
    r.route(
        "/api/v1/programs/{code}/methodology",
        get(methodology).put(set_methodology),
    )
    .route("/api/v1/programs/{code}/risks/heatmap", get(heatmap))
    .route(
        "/api/v1/programs/{code}/risks/heatmap.svg",
        get(heatmap_svg),
    )
    .route(
        "/api/v1/programs/{code}/activities",
        get(list::<ActivityDoc>)
            .post(add_activity)
            .put(replace_activities),
    )
    .route(
        "/api/v1/programs/{code}/activities/{id}",
        get(read::<ActivityDoc>)
            .put(update_activity)
            .delete(delete_activity),
    )
    .route("/api/v1/programs/{code}/schedule", get(schedule))
    .route("/api/v1/programs/{code}/gantt.svg", get(gantt))
    .route("/api/v1/programs/{code}/raci", get(raci).put(set_raci))
    .route(
        "/api/v1/programs/{code}/assignments",
        get(list::<AssignmentDoc>).post(assign),
    )
    .route(
        "/api/v1/programs/{code}/assignments/{id}",
        get(read::<AssignmentDoc>).delete(remove::<AssignmentDoc>),
    )
    .route(
        "/api/v1/programs/{code}/meetings",
        get(list::<MeetingDoc>).post(create_meeting),
    )
    .route(
        "/api/v1/programs/{code}/meetings/{id}",
        get(read::<MeetingDoc>).delete(remove::<MeetingDoc>),
    )
    .route("/api/v1/programs/{code}/decision-log", get(decision_log))
    .route(
        "/api/v1/programs/{code}/budget/amounts",
        get(list::<AmountDoc>).post(upsert::<AmountDoc>),
    )
    .route(
        "/api/v1/programs/{code}/contacts",
        get(list::<ContactsDoc>).post(upsert::<ContactsDoc>),
    )
    .route(
        "/api/v1/programs/{code}/budget/variance",
        get(budget_variance),
    )
    .route(
        "/api/v1/programs/{code}/staffing",
        get(staffing).post(plan_staffing),
    )
    .route(
        "/api/v1/programs/{code}/change-requests",
        get(list::<ChangeRequestDoc>).post(create::<ChangeRequestDoc>),
    )
    .route(
        "/api/v1/programs/{code}/change-requests/{id}",
        get(read::<ChangeRequestDoc>),
    )
    .route(
        "/api/v1/programs/{code}/change-requests/{id}/approve",
        post(approve),
    )
    .route(
        "/api/v1/programs/{code}/change-requests/{id}/reject",
        post(reject),
    )
    .route(
        "/api/v1/programs/{code}/targets/{id}/judge",
        get(judge_target),
    )
    .route("/api/v1/programs/{code}/plan/versions", get(versions))
    .route(
        "/api/v1/programs/{code}/change-requests/{id}/comments",
        post(comment),
    )
    .route(
        "/api/v1/programs/{code}/calendar",
        get(calendar).put(set_calendar),
    )
    .route("/api/v1/programs/{code}/plan/late", get(late))
    .route(
        "/api/v1/programs/{code}/plan/from-template",
        post(from_template),
    )
    .route("/api/v1/practices", get(practices).post(create_practice))
    .route(
        "/api/v1/practices/{id}/adoptions",
        get(adoptions).post(create_adoption),
    )
}

/// A plan change's outcome as a response: a work plan whose dependencies form a cycle is a
/// problem+json naming the cycle; any other error is rendered as usual.
fn outcome<T: IntoResponse>(ctx: &Ctx, r: rumbo_app::Result<T>) -> Result<Response, AppError> {
    match r {
        Ok(t) => Ok(t.into_response()),
        Err(rumbo_app::Error::Cycle(path)) => Ok(cycle_problem(ctx, path)),
        Err(e) => Err(e.into()),
    }
}

fn cycle_problem(ctx: &Ctx, path: Vec<String>) -> Response {
    let cycle = path.join(" → ");
    let message = ctx.tf("error.workplan.cycle_path", &[("cycle", &cycle)]);
    let body = json!({
        "type": "/problems/validation",
        "title": ctx.t("error.invalid"),
        "status": 422,
        "detail": message,
        "errors": [{
            "field": "dependencies",
            "code": "error.workplan.cycle",
            "message": message,
            "cycle": path,
        }],
    });
    let mut res = (StatusCode::UNPROCESSABLE_ENTITY, body.to_string()).into_response();
    res.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    res
}
/// A plan item as the API shows it.
#[derive(Serialize)]
pub struct PlanItemDto {
    pub id: i64,
    pub programme_id: Option<i64>,
    pub kind: String,
    pub code: Option<String>,
    pub data: Value,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<PlanItem> for PlanItemDto {
    fn from(i: PlanItem) -> Self {
        PlanItemDto {
            id: i.id,
            programme_id: i.programme_id,
            kind: i.kind,
            code: i.code,
            data: i.data,
            created_at: i.created_at,
            updated_at: i.updated_at,
        }
    }
}

/// A plan version as the API shows it.
#[derive(Serialize)]
pub struct PlanVersionDto {
    pub id: i64,
    pub programme_id: i64,
    pub number: i64,
    pub change_request_id: Option<i64>,
    pub values: Value,
    pub changes: Value,
    pub created_at: i64,
}

impl From<PlanVersion> for PlanVersionDto {
    fn from(v: PlanVersion) -> Self {
        PlanVersionDto {
            id: v.id,
            programme_id: v.programme_id,
            number: v.number,
            change_request_id: v.change_request_id,
            values: v.values,
            changes: v.changes,
            created_at: v.created_at,
        }
    }
}

fn dtos<T, D: From<T>>(rows: Vec<T>) -> Vec<D> {
    rows.into_iter().map(D::from).collect()
}

async fn list<T: Doc>(
    State(state): State<AppState>,
    Plan(cx, ..): Plan<Read>,
) -> Result<Json<Vec<PlanItemDto>>, AppError> {
    internal_kind_readable::<T>(&cx)?;
    Ok(Json(dtos(state.app.plan_items::<T>(&cx).await?)))
}

async fn read<T: Doc>(
    State(state): State<AppState>,
    Plan(cx, ..): Plan<Read>,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Json<PlanItemDto>, AppError> {
    internal_kind_readable::<T>(&cx)?;
    Ok(Json(state.app.plan_item::<T>(&cx, id).await?.into()))
}

/// A client viewer asking for the BPO's internal plan items (budget, risks…) is refused.
fn internal_kind_readable<T: Doc>(cx: &PlanCx) -> Result<(), AppError> {
    if cx.may_read_kind(T::KIND) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

async fn create<T: Doc>(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<Update>,
    ApiJson(body): ApiJson<T>,
) -> Result<(StatusCode, Json<PlanItemDto>), AppError> {
    let item = state
        .app
        .create_plan_item(&ctx.principal()?, &cx, body)
        .await?;
    Ok((StatusCode::CREATED, Json(item.into())))
}

async fn update<T: Doc>(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<Update>,
    Path((_, id)): Path<(String, i64)>,
    ApiJson(body): ApiJson<T>,
) -> Result<Json<PlanItemDto>, AppError> {
    let item = state
        .app
        .update_plan_item(&ctx.principal()?, &cx, id, body)
        .await?;
    Ok(Json(item.into()))
}

async fn remove<T: Doc>(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<Update>,
    Path((_, id)): Path<(String, i64)>,
) -> Result<StatusCode, AppError> {
    state
        .app
        .delete_plan_item::<T>(&ctx.principal()?, &cx, id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One body or a list of bodies.
#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany<T> {
    Many(Vec<T>),
    One(T),
}

impl<T> OneOrMany<T> {
    fn into_vec(self) -> Vec<T> {
        match self {
            OneOrMany::Many(v) => v,
            OneOrMany::One(t) => vec![t],
        }
    }
}

/// Checks every body first, then inserts or updates them by code in one transaction.
async fn upsert<T: Doc>(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<Update>,
    ApiJson(body): ApiJson<OneOrMany<T>>,
) -> Result<Json<Vec<PlanItemDto>>, AppError> {
    let saved = state
        .app
        .upsert_plan_items(&ctx.principal()?, &cx, body.into_vec())
        .await?;
    Ok(Json(dtos(saved)))
}

async fn methodology(
    State(state): State<AppState>,
    Plan(cx, ..): Plan<Read>,
) -> Result<Json<Value>, AppError> {
    Ok(Json(state.app.methodology(&cx).await?))
}

async fn set_methodology(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<Update>,
    ApiJson(body): ApiJson<MethodologyDoc>,
) -> Result<Json<Value>, AppError> {
    let data = state
        .app
        .set_methodology(&ctx.principal()?, &cx, body)
        .await?;
    Ok(Json(data))
}

async fn heatmap(
    State(state): State<AppState>,
    Plan(cx, ..): Plan<ReadInternal>,
) -> Result<Json<Value>, AppError> {
    let risks = state.app.risks(&cx).await?;
    Ok(Json(heat_json(&heat_grid(&risks))))
}

fn svg_response(svg: String) -> Response {
    ([(CONTENT_TYPE, "image/svg+xml; charset=utf-8")], svg).into_response()
}

async fn heatmap_svg(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<ReadInternal>,
) -> Result<Response, AppError> {
    let risks = state.app.risks(&cx).await?;
    Ok(svg_response(charts::heat_svg(&ctx, &heat_grid(&risks))))
}

async fn add_activity(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<Update>,
    ApiJson(body): ApiJson<OneOrMany<ActivityDoc>>,
) -> Result<Response, AppError> {
    let r = state
        .app
        .add_activities(&ctx.principal()?, &cx, body.into_vec())
        .await;
    outcome(
        &ctx,
        r.map(|saved| (StatusCode::CREATED, Json(dtos::<_, PlanItemDto>(saved)))),
    )
}

async fn replace_activities(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<Update>,
    ApiJson(body): ApiJson<Vec<ActivityDoc>>,
) -> Result<Response, AppError> {
    let r = state
        .app
        .replace_activities(&ctx.principal()?, &cx, body)
        .await;
    outcome(&ctx, r.map(|v| Json(dtos::<_, PlanItemDto>(v))))
}

async fn update_activity(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<Update>,
    Path((_, id)): Path<(String, i64)>,
    ApiJson(body): ApiJson<ActivityDoc>,
) -> Result<Response, AppError> {
    let r = state
        .app
        .update_activity(&ctx.principal()?, &cx, id, body)
        .await;
    outcome(&ctx, r.map(|i| Json(PlanItemDto::from(i))))
}

async fn delete_activity(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<Update>,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let r = state.app.delete_activity(&ctx.principal()?, &cx, id).await;
    outcome(&ctx, r.map(|()| StatusCode::NO_CONTENT))
}

/// The stored work plan, which must hold together (every change to it was checked).
async fn scheduled(
    state: &AppState,
    cx: &super::PlanCx,
) -> Result<rumbo_domain::plan::workplan::WorkPlan, AppError> {
    state
        .app
        .work_plan(cx)
        .await?
        .ok_or_else(|| AppError::Internal("stored work plan is inconsistent".into()))
}

async fn schedule(
    State(state): State<AppState>,
    Plan(cx, ..): Plan<Read>,
) -> Result<Json<Value>, AppError> {
    let plan = scheduled(&state, &cx).await?;
    Ok(Json(schedule_json(&plan, &plan.schedule())))
}

async fn gantt(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<Read>,
) -> Result<Response, AppError> {
    let plan = scheduled(&state, &cx).await?;
    Ok(svg_response(charts::gantt_svg(
        &ctx,
        &cx,
        &plan,
        &plan.schedule(),
    )))
}

async fn raci(
    State(state): State<AppState>,
    Plan(cx, ..): Plan<Read>,
) -> Result<Json<Value>, AppError> {
    Ok(Json(state.app.raci(&cx).await?))
}

/// Replaces the whole RACI matrix: every activity of the work plan needs exactly one A.
async fn set_raci(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<Update>,
    ApiJson(body): ApiJson<RaciBody>,
) -> Result<Json<Value>, AppError> {
    Ok(Json(
        state.app.set_raci(&ctx.principal()?, &cx, body).await?,
    ))
}

/// An assignment is saved even when it raises warnings: the planner decides.
async fn assign(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<Update>,
    ApiJson(body): ApiJson<AssignmentDoc>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let (item, warnings) = state.app.assign(&ctx.principal()?, &cx, body).await?;
    let warnings: Vec<Value> = warnings
        .iter()
        .map(|w| json!({ "code": w.key(), "message": ctx.t(w.key()), "detail": format!("{w:?}") }))
        .collect();
    Ok((
        StatusCode::CREATED,
        Json(json!({ "item": PlanItemDto::from(item), "warnings": warnings })),
    ))
}

/// Creates a meeting; its follow-up tasks land in the work plan as activities `FU-<n>.<k>`,
/// all in one transaction.
async fn create_meeting(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<Update>,
    ApiJson(body): ApiJson<MeetingDoc>,
) -> Result<Response, AppError> {
    let r = state.app.create_meeting(&ctx.principal()?, &cx, body).await;
    outcome(
        &ctx,
        r.map(|(meeting, activities)| {
            (
                StatusCode::CREATED,
                Json(json!({ "meeting": PlanItemDto::from(meeting), "follow_up_activities": dtos::<_, PlanItemDto>(activities) })),
            )
        }),
    )
}

/// The decision log: decisions recorded on their own and those taken in meetings, by date.
async fn decision_log(
    State(state): State<AppState>,
    Plan(cx, ..): Plan<ReadInternal>,
) -> Result<Json<Vec<Value>>, AppError> {
    Ok(Json(state.app.decision_log(&cx).await?))
}

#[derive(Deserialize)]
struct VarianceQuery {
    by: Option<String>,
}

async fn budget_variance(
    State(state): State<AppState>,
    Plan(cx, ..): Plan<ReadInternal>,
    Query(q): Query<VarianceQuery>,
) -> Result<Json<Value>, AppError> {
    let by = q.by.as_deref().unwrap_or("category");
    Ok(Json(state.app.budget_variance(&cx, by).await?))
}

async fn staffing(
    State(state): State<AppState>,
    Plan(cx, ..): Plan<ReadInternal>,
) -> Result<Json<Value>, AppError> {
    state
        .app
        .staffing(&cx)
        .await?
        .map(Json)
        .ok_or(AppError::NotFound)
}

/// Volumes → positions per interval (WFM engine) → FTE per week → hires and training starts.
async fn plan_staffing(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<Operate>,
    ApiJson(b): ApiJson<StaffingBody>,
) -> Result<Json<Value>, AppError> {
    Ok(Json(
        state.app.plan_staffing(&ctx.principal()?, &cx, b).await?,
    ))
}

/// Approves a change request and applies it: the changed items, the request's new status and
/// the new plan version are written in one transaction; the previous version is kept.
async fn approve(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<Update>,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let r = state.app.approve_change(&ctx.principal()?, &cx, id).await;
    outcome(
        &ctx,
        r.map(|(cr, version)| {
            Json(json!({ "change_request": cr, "version": PlanVersionDto::from(version) }))
        }),
    )
}

async fn reject(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<Update>,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Json<PlanItemDto>, AppError> {
    Ok(Json(
        state
            .app
            .reject_change(&ctx.principal()?, &cx, id)
            .await?
            .into(),
    ))
}

async fn versions(
    State(state): State<AppState>,
    Plan(cx, ..): Plan<Read>,
) -> Result<Json<Vec<PlanVersionDto>>, AppError> {
    Ok(Json(dtos(state.app.plan_versions(&cx).await?)))
}

#[derive(Deserialize)]
struct TemplateBody {
    /// Code of the past programme to copy from.
    source: String,
}

/// A new programme's plan from a past one: everything fits the new programme, or nothing is
/// copied.
async fn from_template(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    ApiJson(body): ApiJson<TemplateBody>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let copy = state
        .app
        .plan_from_template(&ctx.principal()?, &code, &body.source)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "source": copy.source, "copied": copy.copied })),
    ))
}

async fn practices(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<PlanItemDto>>, AppError> {
    Ok(Json(dtos(state.app.practices(&ctx.principal()?).await?)))
}

async fn create_practice(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(body): ApiJson<PracticeDoc>,
) -> Result<(StatusCode, Json<PlanItemDto>), AppError> {
    let item = state.app.create_practice(&ctx.principal()?, body).await?;
    Ok((StatusCode::CREATED, Json(item.into())))
}

async fn adoptions(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Json<Vec<PlanItemDto>>, AppError> {
    Ok(Json(dtos(
        state.app.adoptions(&ctx.principal()?, id).await?,
    )))
}

async fn create_adoption(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<AdoptionDoc>,
) -> Result<(StatusCode, Json<PlanItemDto>), AppError> {
    let item = state
        .app
        .create_adoption(&ctx.principal()?, id, body)
        .await?;
    Ok((StatusCode::CREATED, Json(item.into())))
}

#[derive(Deserialize)]
struct JudgeQuery {
    #[serde(default, deserialize_with = "text")]
    actual: String,
}

/// Judges an actual value against a KPI target: green, amber (within tolerance) or red.
async fn judge_target(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<Read>,
    Path((_, id)): Path<(String, i64)>,
    Query(q): Query<JudgeQuery>,
) -> Result<Json<Value>, AppError> {
    let j = state.app.judge_target(&cx, id, &q.actual).await?;
    Ok(Json(json!({
        "indicator": j.target.indicator,
        "target": j.item.data["target"],
        "tolerance": j.item.data["tolerance"],
        "actual": j.actual,
        "rag": j.rag.as_str(),
        "label": ctx.t(&format!("plan.rag.{}", j.rag.as_str())),
    })))
}

#[derive(Deserialize)]
struct CommentBody {
    #[serde(default)]
    text: String,
}

/// Adds a comment to a change request; its status does not change.
async fn comment(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<Update>,
    Path((_, id)): Path<(String, i64)>,
    ApiJson(body): ApiJson<CommentBody>,
) -> Result<(StatusCode, Json<PlanItemDto>), AppError> {
    let item = state
        .app
        .comment_change(&ctx.principal()?, &cx, id, &body.text)
        .await?;
    Ok((StatusCode::CREATED, Json(item.into())))
}

/// How the programme counts activity durations.
async fn calendar(
    State(state): State<AppState>,
    Plan(cx, ..): Plan<Read>,
) -> Result<Json<Value>, AppError> {
    let d = state.app.day_count(&cx).await?;
    Ok(Json(rumbo_app::plan::calendar::day_count_json(d)))
}

async fn set_calendar(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<Update>,
    ApiJson(body): ApiJson<CalendarDoc>,
) -> Result<Json<Value>, AppError> {
    Ok(Json(
        state
            .app
            .set_day_count(&ctx.principal()?, &cx, body)
            .await?,
    ))
}

/// What is late today in the programme's time zone.
async fn late(
    State(state): State<AppState>,
    Plan(cx, ..): Plan<Read>,
) -> Result<Json<Value>, AppError> {
    let f = state.app.plan_flags(&cx).await?;
    Ok(Json(json!({
        "today": f.today.map(|d| d.to_string()),
        "overdue_activities": f.overdue_activities.iter().map(|a| json!({
            "id": a.id, "name": a.name, "finish": a.finish.to_string(), "progress": a.progress,
        })).collect::<Vec<_>>(),
        "late_milestones": f.late_milestones.iter().map(|(n, d)| json!({ "name": n, "date": d.to_string() })).collect::<Vec<_>>(),
        "late_gates": f.late_gates.iter().map(|(n, d)| json!({ "name": n, "end_date": d.to_string() })).collect::<Vec<_>>(),
    })))
}
