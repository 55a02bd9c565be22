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
use rumbo_domain::access::Role;
use rumbo_domain::plan::budget::GroupBy;
use rumbo_domain::plan::coordination::{Approver, PlanHistory};
use rumbo_domain::plan::roles::{
    assignment_warnings, Person, Raci, RaciEntry, RaciMatrix, RoleDef,
};
use rumbo_domain::plan::staffing::{weekly_plan, IntervalNeed, StaffingInput, StaffingParams};
use rumbo_domain::plan::workplan::{Activity, ActivityId};
use rumbo_domain::{Invalid, Invalids};
use rumbo_store::plan::{
    NewPlanItem, PlanCommit, PlanItem, PlanVersion, CODE_CONFLICT, VERSION_CONFLICT,
};
use rumbo_store::StoreError;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::compute::{self, PlanProblem};
use super::docs::*;
use super::{Plan, PlanCx, Read, Update};
use crate::http::access::MANAGERS;
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
        get(list::<MeetingBody>).post(create_meeting),
    )
    .route(
        "/api/v1/programs/{code}/meetings/{id}",
        get(read::<MeetingBody>).delete(remove::<MeetingBody>),
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
        "/api/v1/programs/{code}/plan/from-template",
        post(super::template::from_template),
    )
    .route("/api/v1/practices", get(practices).post(create_practice))
    .route(
        "/api/v1/practices/{id}/adoptions",
        get(adoptions).post(create_adoption),
    )
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

/// A store error with plan-specific messages for duplicate codes.
fn store_err(e: StoreError) -> AppError {
    match e {
        StoreError::Conflict(c) if c == CODE_CONFLICT => {
            AppError::Conflict(Invalid::new("code", "error.plan.duplicate_code").into())
        }
        StoreError::Conflict(c) if c == VERSION_CONFLICT => {
            AppError::Conflict(Invalid::new("status", "error.change.concurrent").into())
        }
        other => other.into(),
    }
}

/// A work plan that does not hold together, as problem+json; a cycle is named in the message.
fn problem(ctx: &Ctx, p: PlanProblem) -> Response {
    match p {
        PlanProblem::Invalid(i) => AppError::Invalid(i).into_response(),
        PlanProblem::App(e) => e.into_response(),
        PlanProblem::Cycle(path) => {
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
    }
}

fn enriched<T: Doc>(mut item: PlanItem) -> PlanItemDto {
    T::enrich(&mut item.data);
    item.into()
}

async fn list<T: Doc>(
    State(state): State<AppState>,
    Plan(cx, ..): Plan<Read>,
) -> Result<Json<Vec<PlanItemDto>>, AppError> {
    let items = state.store.plan_items(Some(cx.id()), T::KIND).await?;
    Ok(Json(items.into_iter().map(enriched::<T>).collect()))
}

async fn read<T: Doc>(
    State(state): State<AppState>,
    Plan(cx, ..): Plan<Read>,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Json<PlanItemDto>, AppError> {
    let item = state.store.plan_item(Some(cx.id()), T::KIND, id).await?;
    Ok(Json(enriched::<T>(item)))
}

async fn create<T: Doc>(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<Update>,
    ApiJson(body): ApiJson<T>,
) -> Result<(StatusCode, Json<PlanItemDto>), AppError> {
    let check = compute::check_cx(&state, &cx).await?;
    let (code, data) = body.check(&check)?;
    let item = NewPlanItem {
        kind: T::KIND,
        code,
        data,
    };
    let mut saved = state
        .store
        .create_plan_items(&ctx.actor()?, Some(cx.id()), &[item])
        .await
        .map_err(store_err)?;
    let item = saved
        .pop()
        .ok_or_else(|| AppError::Internal("nothing saved".into()))?;
    Ok((StatusCode::CREATED, Json(enriched::<T>(item))))
}

async fn update<T: Doc>(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<Update>,
    Path((_, id)): Path<(String, i64)>,
    ApiJson(body): ApiJson<T>,
) -> Result<Json<PlanItemDto>, AppError> {
    let check = compute::check_cx(&state, &cx).await?;
    let (code, data) = body.check(&check)?;
    let item = state
        .store
        .update_plan_item(
            &ctx.actor()?,
            Some(cx.id()),
            T::KIND,
            id,
            code.as_deref(),
            &data,
        )
        .await
        .map_err(store_err)?;
    Ok(Json(enriched::<T>(item)))
}

async fn remove<T: Doc>(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<Update>,
    Path((_, id)): Path<(String, i64)>,
) -> Result<StatusCode, AppError> {
    state
        .store
        .delete_plan_item(&ctx.actor()?, Some(cx.id()), T::KIND, id)
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
    let check = compute::check_cx(&state, &cx).await?;
    let mut items = Vec::new();
    let mut errors = Vec::new();
    for b in body.into_vec() {
        match b.check(&check) {
            Ok((code, data)) => items.push(NewPlanItem {
                kind: T::KIND,
                code,
                data,
            }),
            Err(Invalids(e)) => errors.extend(e),
        }
    }
    if !errors.is_empty() {
        return Err(Invalids(errors).into());
    }
    let saved = state
        .store
        .upsert_plan_items(&ctx.actor()?, cx.id(), &items)
        .await
        .map_err(store_err)?;
    Ok(Json(dtos(saved)))
}

async fn methodology(
    State(state): State<AppState>,
    Plan(cx, ..): Plan<Read>,
) -> Result<Json<Value>, AppError> {
    let items = state.store.plan_items(Some(cx.id()), "methodology").await?;
    Ok(Json(
        items
            .into_iter()
            .next()
            .map(|i| i.data)
            .unwrap_or_else(|| json!({ "text": "" })),
    ))
}

async fn set_methodology(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<Update>,
    ApiJson(body): ApiJson<MethodologyDoc>,
) -> Result<Json<Value>, AppError> {
    let check = compute::check_cx(&state, &cx).await?;
    let (code, data) = body.check(&check)?;
    let item = NewPlanItem {
        kind: MethodologyDoc::KIND,
        code,
        data,
    };
    let mut saved = state
        .store
        .upsert_plan_items(&ctx.actor()?, cx.id(), &[item])
        .await?;
    Ok(Json(saved.pop().map(|i| i.data).unwrap_or_default()))
}

async fn heatmap(
    State(state): State<AppState>,
    Plan(cx, ..): Plan<Read>,
) -> Result<Json<Value>, AppError> {
    let risks = compute::risks(&state, &cx).await?;
    Ok(Json(compute::heat_json(&compute::heat_grid(&risks))))
}

fn svg_response(svg: String) -> Response {
    ([(CONTENT_TYPE, "image/svg+xml; charset=utf-8")], svg).into_response()
}

async fn heatmap_svg(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<Read>,
) -> Result<Response, AppError> {
    let risks = compute::risks(&state, &cx).await?;
    Ok(svg_response(compute::heat_svg(
        &ctx,
        &compute::heat_grid(&risks),
    )))
}

/// Parses activity bodies, reporting every problem of every activity.
fn parse_activities(
    check: &Check,
    bodies: Vec<ActivityDoc>,
) -> Result<Vec<(Option<String>, Value)>, AppError> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for b in bodies {
        match b.check(check) {
            Ok(x) => out.push(x),
            Err(Invalids(e)) => errors.extend(e),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(Invalids(errors).into())
    }
}

fn activity_of(data: &Value) -> Result<Activity, AppError> {
    reparse::<ActivityDoc>(data)
        .and_then(|d| d.parse().ok())
        .ok_or_else(|| AppError::Internal("canonical activity does not parse".into()))
}

async fn add_activity(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<Update>,
    ApiJson(body): ApiJson<OneOrMany<ActivityDoc>>,
) -> Result<Response, AppError> {
    let check = compute::check_cx(&state, &cx).await?;
    let new = parse_activities(&check, body.into_vec())?;
    let mut all: Vec<Activity> = compute::activities(&state, &cx)
        .await?
        .into_iter()
        .map(|(_, a)| a)
        .collect();
    for (_, data) in &new {
        all.push(activity_of(data)?);
    }
    if let Err(p) = compute::work_plan(&cx, all) {
        return Ok(problem(&ctx, p));
    }
    let items: Vec<NewPlanItem> = new
        .into_iter()
        .map(|(code, data)| NewPlanItem {
            kind: "activity",
            code,
            data,
        })
        .collect();
    let saved = state
        .store
        .create_plan_items(&ctx.actor()?, Some(cx.id()), &items)
        .await
        .map_err(store_err)?;
    Ok((StatusCode::CREATED, Json(dtos::<_, PlanItemDto>(saved))).into_response())
}

async fn replace_activities(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<Update>,
    ApiJson(body): ApiJson<Vec<ActivityDoc>>,
) -> Result<Response, AppError> {
    let check = compute::check_cx(&state, &cx).await?;
    let new = parse_activities(&check, body)?;
    let all = new
        .iter()
        .map(|(_, d)| activity_of(d))
        .collect::<Result<Vec<_>, _>>()?;
    if let Err(p) = compute::work_plan(&cx, all) {
        return Ok(problem(&ctx, p));
    }
    let items: Vec<NewPlanItem> = new
        .into_iter()
        .map(|(code, data)| NewPlanItem {
            kind: "activity",
            code,
            data,
        })
        .collect();
    let saved = state
        .store
        .replace_plan_items(&ctx.actor()?, cx.id(), "activity", &items)
        .await
        .map_err(store_err)?;
    Ok(Json(dtos::<_, PlanItemDto>(saved)).into_response())
}

async fn update_activity(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<Update>,
    Path((_, id)): Path<(String, i64)>,
    ApiJson(body): ApiJson<ActivityDoc>,
) -> Result<Response, AppError> {
    let check = compute::check_cx(&state, &cx).await?;
    let (new_code, data) = body.check(&check)?;
    let mut found = false;
    let mut all = Vec::new();
    for (item, a) in compute::activities(&state, &cx).await? {
        if item.id == id {
            found = true;
            all.push(activity_of(&data)?);
        } else {
            all.push(a);
        }
    }
    if !found {
        return Err(AppError::NotFound);
    }
    if let Err(p) = compute::work_plan(&cx, all) {
        return Ok(problem(&ctx, p));
    }
    let item = state
        .store
        .update_plan_item(
            &ctx.actor()?,
            Some(cx.id()),
            "activity",
            id,
            new_code.as_deref(),
            &data,
        )
        .await
        .map_err(store_err)?;
    Ok(Json(PlanItemDto::from(item)).into_response())
}

async fn delete_activity(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<Update>,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let acts = compute::activities(&state, &cx).await?;
    if !acts.iter().any(|(i, _)| i.id == id) {
        return Err(AppError::NotFound);
    }
    let rest: Vec<Activity> = acts
        .into_iter()
        .filter(|(i, _)| i.id != id)
        .map(|(_, a)| a)
        .collect();
    // Removing an activity others depend on would leave them pointing at nothing.
    if let Err(p) = compute::work_plan(&cx, rest) {
        return Ok(problem(&ctx, p));
    }
    state
        .store
        .delete_plan_item(&ctx.actor()?, Some(cx.id()), "activity", id)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn scheduled(
    state: &AppState,
    cx: &PlanCx,
) -> Result<rumbo_domain::plan::workplan::WorkPlan, AppError> {
    let acts: Vec<Activity> = compute::activities(state, cx)
        .await?
        .into_iter()
        .map(|(_, a)| a)
        .collect();
    compute::work_plan(cx, acts)
        .map_err(|_| AppError::Internal("stored work plan is inconsistent".into()))
}

async fn schedule(
    State(state): State<AppState>,
    Plan(cx, ..): Plan<Read>,
) -> Result<Json<Value>, AppError> {
    let plan = scheduled(&state, &cx).await?;
    Ok(Json(compute::schedule_json(&plan, &plan.schedule())))
}

async fn gantt(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<Read>,
) -> Result<Response, AppError> {
    let plan = scheduled(&state, &cx).await?;
    Ok(svg_response(compute::gantt_svg(
        &ctx,
        &cx,
        &plan,
        &plan.schedule(),
    )))
}

#[derive(Deserialize, Default)]
struct RaciEntryBody {
    #[serde(default, deserialize_with = "text")]
    activity: String,
    person_id: Option<i64>,
    #[serde(default, deserialize_with = "text")]
    role: String,
}

#[derive(Deserialize, Default)]
struct RaciBody {
    #[serde(default)]
    entries: Vec<RaciEntryBody>,
}

async fn raci(
    State(state): State<AppState>,
    Plan(cx, ..): Plan<Read>,
) -> Result<Json<Value>, AppError> {
    let items = state.store.plan_items(Some(cx.id()), "raci").await?;
    Ok(Json(
        items
            .into_iter()
            .next()
            .map(|i| i.data)
            .unwrap_or_else(|| json!({ "entries": [] })),
    ))
}

/// Replaces the whole RACI matrix: every activity of the work plan needs exactly one A.
async fn set_raci(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<Update>,
    ApiJson(body): ApiJson<RaciBody>,
) -> Result<Json<Value>, AppError> {
    let check = compute::check_cx(&state, &cx).await?;
    let mut errors = Vec::new();
    let mut entries = Vec::new();
    for e in body.entries {
        let activity = ActivityId::parse("activity", &e.activity)
            .map_err(|x| errors.push(x))
            .ok();
        let role = Raci::parse(&e.role).map_err(|x| errors.push(x)).ok();
        match e.person_id {
            Some(p) if check.person_ids.contains(&p) => {}
            _ => errors.push(Invalid::new("person_id", "error.unknown.person")),
        }
        if let (Some(activity), Some(role), Some(person_id)) = (activity, role, e.person_id) {
            entries.push(RaciEntry {
                activity,
                person_id,
                role,
            });
        }
    }
    if !errors.is_empty() {
        errors.dedup();
        return Err(Invalids(errors).into());
    }
    let activities: Vec<ActivityId> = compute::activities(&state, &cx)
        .await?
        .into_iter()
        .map(|(_, a)| a.id)
        .collect();
    let m = RaciMatrix::new(activities, entries.clone())?;
    let data = json!({
        "entries": entries.iter().map(|e| json!({ "activity": e.activity.as_str(), "person_id": e.person_id, "role": e.role.letter().to_string() })).collect::<Vec<_>>(),
        "people": m.people(),
    });
    let item = NewPlanItem {
        kind: "raci",
        code: Some("raci".into()),
        data,
    };
    let mut saved = state
        .store
        .upsert_plan_items(&ctx.actor()?, cx.id(), &[item])
        .await?;
    Ok(Json(saved.pop().map(|i| i.data).unwrap_or_default()))
}

/// An assignment is saved even when it raises warnings: the planner decides.
async fn assign(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<Update>,
    ApiJson(body): ApiJson<AssignmentDoc>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let check = compute::check_cx(&state, &cx).await?;
    let (_, data) = body.check(&check)?;
    let new = reparse::<AssignmentDoc>(&data)
        .and_then(|d| d.parse().ok())
        .ok_or_else(|| AppError::Internal("canonical assignment".into()))?;
    let role_items = state.store.plan_items(Some(cx.id()), "role").await?;
    let role: RoleDef = role_items
        .iter()
        .find(|r| r.code.as_deref() == Some(new.role.to_lowercase().as_str()))
        .and_then(|r| reparse::<RoleDoc>(&r.data))
        .and_then(|d| d.parse().ok())
        .ok_or_else(|| AppError::invalid("role", "error.role.unknown"))?;
    let profile: Person = state
        .store
        .plan_items(Some(cx.id()), "profile")
        .await?
        .into_iter()
        .find(|p| p.code.as_deref() == Some(new.person_id.to_string().as_str()))
        .and_then(|p| reparse::<ProfileDoc>(&p.data))
        .and_then(|d| d.parse().ok())
        .unwrap_or(Person {
            name: String::new(),
            competencies: vec![],
            languages: vec![],
            experience_months: 0,
        });
    // Allocation counts across every programme the person works in.
    let existing: Vec<_> = state
        .store
        .plan_items_everywhere("assignment")
        .await?
        .into_iter()
        .filter_map(|i| reparse::<AssignmentDoc>(&i.data).and_then(|d| d.parse().ok()))
        .collect();
    let warnings = assignment_warnings(&profile, &role, &new, &existing);
    let mut saved = state
        .store
        .create_plan_items(
            &ctx.actor()?,
            Some(cx.id()),
            &[NewPlanItem {
                kind: "assignment",
                code: None,
                data,
            }],
        )
        .await?;
    let item = saved
        .pop()
        .ok_or_else(|| AppError::Internal("nothing saved".into()))?;
    let warnings: Vec<Value> = warnings
        .iter()
        .map(|w| json!({ "code": w.key(), "message": ctx.t(w.key()), "detail": format!("{w:?}") }))
        .collect();
    Ok((
        StatusCode::CREATED,
        Json(json!({ "item": PlanItemDto::from(item), "warnings": warnings })),
    ))
}

/// A meeting document (the meeting's own kind).
#[derive(Deserialize, Default)]
pub struct MeetingBody(MeetingDoc);

impl Doc for MeetingBody {
    const KIND: &'static str = "meeting";
    fn check(self, cx: &Check) -> Result<(Option<String>, Value), Invalids> {
        let m = self.0.parse(cx)?;
        Ok((None, meeting_json(&m)))
    }
}

/// Creates a meeting; its follow-up tasks land in the work plan as activities `FU-<n>.<k>`,
/// all in one transaction.
async fn create_meeting(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<Update>,
    ApiJson(body): ApiJson<MeetingDoc>,
) -> Result<Response, AppError> {
    let check = compute::check_cx(&state, &cx).await?;
    let meeting = body.parse(&check)?;
    let meetings = state.store.plan_items(Some(cx.id()), "meeting").await?;
    let acts = compute::activities(&state, &cx).await?;
    let n = meetings.len() + 1;
    let mut all: Vec<Activity> = acts.into_iter().map(|(_, a)| a).collect();
    let mut items = vec![NewPlanItem {
        kind: "meeting",
        code: None,
        data: meeting_json(&meeting),
    }];
    for a in compute::follow_up_activities(&meeting, n)? {
        items.push(NewPlanItem {
            kind: "activity",
            code: Some(a.id.to_string()),
            data: activity_json(&a),
        });
        all.push(a);
    }
    if let Err(p) = compute::work_plan(&cx, all) {
        return Ok(problem(&ctx, p));
    }
    let saved = state
        .store
        .create_plan_items(&ctx.actor()?, Some(cx.id()), &items)
        .await
        .map_err(store_err)?;
    let mut saved = saved.into_iter();
    let meeting = saved.next().map(PlanItemDto::from);
    let activities: Vec<PlanItemDto> = saved.map(PlanItemDto::from).collect();
    Ok((
        StatusCode::CREATED,
        Json(json!({ "meeting": meeting, "follow_up_activities": activities })),
    )
        .into_response())
}

/// The decision log: decisions recorded on their own and those taken in meetings, by date.
async fn decision_log(
    State(state): State<AppState>,
    Plan(cx, ..): Plan<Read>,
) -> Result<Json<Vec<Value>>, AppError> {
    let mut log: Vec<Value> = state
        .store
        .plan_items(Some(cx.id()), "decision")
        .await?
        .into_iter()
        .map(|i| {
            let mut d = i.data;
            d["id"] = json!(i.id);
            d
        })
        .collect();
    for m in state.store.plan_items(Some(cx.id()), "meeting").await? {
        for d in m.data["decisions"].as_array().into_iter().flatten() {
            log.push(json!({
                "date": m.data["date"], "summary": d, "meeting_id": m.id,
                "meeting": m.data["title"], "decided_by": null, "rationale": "",
            }));
        }
    }
    log.sort_by(|a, b| a["date"].as_str().cmp(&b["date"].as_str()));
    Ok(Json(log))
}

#[derive(Deserialize)]
struct VarianceQuery {
    by: Option<String>,
}

async fn budget_variance(
    State(state): State<AppState>,
    Plan(cx, ..): Plan<Read>,
    Query(q): Query<VarianceQuery>,
) -> Result<Json<Value>, AppError> {
    let by = match q.by.as_deref().unwrap_or("category") {
        "line" => GroupBy::Line,
        "month" => GroupBy::Month,
        "category" => GroupBy::Category,
        "total" => GroupBy::Total,
        _ => return Err(AppError::invalid("by", "error.budget.group_by")),
    };
    let check = compute::check_cx(&state, &cx).await?;
    let data = compute::budget(&state, &cx, &check).await?;
    Ok(Json(compute::variance_json(&data, by)?))
}

/// Volumes for one local day: contacts per interval from the first interval of the day.
#[derive(Deserialize)]
pub(crate) struct DayVolumes {
    #[serde(default, deserialize_with = "text")]
    date: String,
    contacts: Vec<f64>,
}

#[derive(Deserialize)]
pub(crate) struct StaffingBody {
    #[serde(default, deserialize_with = "text")]
    interval_minutes: String,
    #[serde(default, deserialize_with = "text")]
    weekly_hours: String,
    #[serde(default, deserialize_with = "text")]
    starting_headcount: String,
    #[serde(default, deserialize_with = "text")]
    weekly_attrition: String,
    #[serde(default, deserialize_with = "text")]
    training_days: String,
    aht_s: f64,
    /// Service-level target as a fraction (0.8 for 80 %).
    service_level: f64,
    answer_s: f64,
    #[serde(default = "one")]
    max_occupancy: f64,
    #[serde(default)]
    shrinkage: f64,
    volumes: Vec<DayVolumes>,
}

fn one() -> f64 {
    1.0
}

async fn staffing(
    State(state): State<AppState>,
    Plan(cx, ..): Plan<Read>,
) -> Result<Json<Value>, AppError> {
    let items = state.store.plan_items(Some(cx.id()), "staffing").await?;
    items
        .into_iter()
        .next()
        .map(|i| Json(i.data))
        .ok_or(AppError::NotFound)
}

/// Volumes → positions per interval (WFM engine) → FTE per week → hires and training starts.
async fn plan_staffing(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<Update>,
    ApiJson(b): ApiJson<StaffingBody>,
) -> Result<Json<Value>, AppError> {
    let data = staffing_plan(b)?;
    let item = NewPlanItem {
        kind: "staffing",
        code: Some("staffing".into()),
        data,
    };
    let mut saved = state
        .store
        .upsert_plan_items(&ctx.actor()?, cx.id(), &[item])
        .await?;
    Ok(Json(saved.pop().map(|i| i.data).unwrap_or_default()))
}

/// The staffing plan document for a request.
pub(crate) fn staffing_plan(b: StaffingBody) -> Result<Value, AppError> {
    use rumbo_wfm::staffing::{required, Model, Policy, SlDefinition, Target};
    let params = StaffingParams::try_from(StaffingInput {
        interval_minutes: b.interval_minutes,
        weekly_hours: b.weekly_hours,
        starting_headcount: b.starting_headcount,
        weekly_attrition: b.weekly_attrition,
        training_days: b.training_days,
    })?;
    let policy = Policy::new(
        Target::ServiceLevel {
            answer_s: b.answer_s,
            fraction: b.service_level,
            definition: SlDefinition::Offered,
        },
        b.max_occupancy,
        b.shrinkage,
        Model::ErlangC,
    )
    .map_err(|_| AppError::invalid("service_level", "error.staffing.policy"))?;
    let interval_s = f64::from(params.interval_minutes * 60);
    let per_day = 24 * 60 / params.interval_minutes as usize;
    let mut needs = Vec::new();
    let mut peak = 0u32;
    for day in &b.volumes {
        let date = day
            .date
            .trim()
            .parse()
            .map_err(|_| AppError::invalid("volumes", "error.date.format"))?;
        if day.contacts.len() > per_day + 4 {
            return Err(AppError::invalid("volumes", "error.staffing.volumes"));
        }
        for c in &day.contacts {
            let load = rumbo_wfm::Load::new(*c, interval_s, b.aht_s)
                .map_err(|_| AppError::invalid("volumes", "error.staffing.volumes"))?;
            let positions = required(&load, &policy).positions;
            peak = peak.max(positions);
            needs.push(IntervalNeed { date, positions });
        }
    }
    if needs.is_empty() {
        return Err(AppError::invalid("volumes", "error.staffing.volumes"));
    }
    let weeks = weekly_plan(&needs, &params);
    Ok(json!({
        "params": {
            "interval_minutes": params.interval_minutes, "weekly_hours": params.weekly_hours,
            "starting_headcount": params.starting_headcount,
            "weekly_attrition_bp": params.weekly_attrition.basis_points(),
            "training_days": params.training_days, "aht_s": b.aht_s, "service_level": b.service_level,
            "answer_s": b.answer_s, "max_occupancy": b.max_occupancy, "shrinkage": b.shrinkage,
        },
        "days": b.volumes.len(),
        "peak_positions": peak,
        "weeks": weeks.iter().map(|w| json!({
            "week_start": w.week_start.to_string(), "workload_hours": w.workload_hours,
            "fte": (w.fte * 100.0).round() / 100.0, "headcount_needed": w.headcount_needed,
            "headcount_available": w.headcount_available, "hires": w.hires,
            "training_start": w.training_start.to_string(),
        })).collect::<Vec<_>>(),
        "total_hires": weeks.iter().map(|w| w.hires).sum::<u32>(),
    }))
}

fn approver(ctx: &Ctx, cx: &PlanCx) -> Result<Approver, AppError> {
    Ok(Approver {
        user_id: ctx.user()?.id,
        role: ctx.role()?,
        member: cx.member,
    })
}

/// The approver rule is an access rule (403); anything else about the request is a 422.
fn decision_err(e: Invalid) -> AppError {
    if e.key == "error.change.approver" {
        AppError::Forbidden
    } else {
        AppError::Invalid(e.into())
    }
}

async fn stored_request(
    state: &AppState,
    cx: &PlanCx,
    id: i64,
) -> Result<rumbo_domain::plan::coordination::ChangeRequest, AppError> {
    let item = state
        .store
        .plan_item(Some(cx.id()), "change_request", id)
        .await?;
    reparse::<ChangeRequestDoc>(&item.data)
        .and_then(|d| d.parse().ok())
        .ok_or_else(|| AppError::Internal(format!("stored change request #{id}")))
}

/// Approves a change request and applies it: the changed items, the request's new status and
/// the new plan version are written in one transaction; the previous version is kept.
async fn approve(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<Update>,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let approver = approver(&ctx, &cx)?;
    match apply_approval(&state, &ctx.actor()?, &cx, approver, id).await {
        Ok((cr, version)) => {
            let version = PlanVersionDto::from(version);
            Ok(Json(json!({ "change_request": cr, "version": version })).into_response())
        }
        Err(p) => Ok(problem(&ctx, p)),
    }
}

/// The approval use case, shared by the API, the plan page and the demo seed.
pub(crate) async fn apply_approval(
    state: &AppState,
    actor: &rumbo_store::Actor,
    cx: &PlanCx,
    approver: Approver,
    id: i64,
) -> Result<(Value, PlanVersion), PlanProblem> {
    let app = PlanProblem::App;
    let cr = stored_request(state, cx, id).await.map_err(app)?;
    let approved = cr
        .approve(approver, compute::today(cx))
        .map_err(|e| app(decision_err(e)))?;
    let check = compute::check_cx(state, cx).await.map_err(app)?;
    let now_values = compute::current_values(state, cx, &check)
        .await
        .map_err(app)?;
    let stored = state
        .store
        .plan_versions(cx.id())
        .await
        .map_err(|e| app(e.into()))?;
    let baseline = stored.is_empty().then(|| compute::values_json(&now_values));
    let number = stored.last().map_or(2, |v| v.number + 1);
    let mut history = PlanHistory::new(now_values);
    let snapshot = history
        .apply(&approved, id)
        .map_err(|e| PlanProblem::Invalid(e.into()))?
        .clone();
    let (updates, inserts) = compute::item_changes(state, cx, &check, &snapshot.changes).await?;
    let cr_json = change_request_json(&approved);
    let commit = PlanCommit {
        baseline,
        change_request: (id, cr_json.clone()),
        updates,
        inserts,
        version: (
            number,
            compute::values_json(&snapshot.values),
            compute::changes_json(&snapshot.changes),
        ),
    };
    let version = state
        .store
        .commit_plan_change(actor, cx.id(), &commit)
        .await
        .map_err(|e| app(store_err(e)))?;
    Ok((cr_json, version))
}

async fn reject(
    State(state): State<AppState>,
    ctx: Ctx,
    Plan(cx, ..): Plan<Update>,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Json<PlanItemDto>, AppError> {
    let cr = stored_request(&state, &cx, id).await?;
    let rejected = cr
        .reject(approver(&ctx, &cx)?, compute::today(&cx))
        .map_err(decision_err)?;
    let item = state
        .store
        .update_plan_item(
            &ctx.actor()?,
            Some(cx.id()),
            "change_request",
            id,
            None,
            &change_request_json(&rejected),
        )
        .await?;
    Ok(Json(item.into()))
}

async fn versions(
    State(state): State<AppState>,
    Plan(cx, ..): Plan<Read>,
) -> Result<Json<Vec<PlanVersionDto>>, AppError> {
    Ok(Json(dtos(state.store.plan_versions(cx.id()).await?)))
}

async fn practices(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<PlanItemDto>>, AppError> {
    ctx.user()?;
    Ok(Json(dtos(state.store.plan_items(None, "practice").await?)))
}

async fn create_practice(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(body): ApiJson<PracticeDoc>,
) -> Result<(StatusCode, Json<PlanItemDto>), AppError> {
    ctx.require_role(MANAGERS)?;
    let (code, data) = body.check(&compute::library_check()?)?;
    let mut saved = state
        .store
        .create_plan_items(
            &ctx.actor()?,
            None,
            &[NewPlanItem {
                kind: "practice",
                code,
                data,
            }],
        )
        .await?;
    let item = saved
        .pop()
        .ok_or_else(|| AppError::Internal("nothing saved".into()))?;
    Ok((StatusCode::CREATED, Json(item.into())))
}

async fn adoptions(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Json<Vec<PlanItemDto>>, AppError> {
    ctx.user()?;
    state.store.plan_item(None, "practice", id).await?;
    let all = state.store.plan_items(None, "adoption").await?;
    Ok(Json(
        all.into_iter()
            .filter(|a| a.data["practice_id"].as_i64() == Some(id))
            .map(PlanItemDto::from)
            .collect(),
    ))
}

async fn create_adoption(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    ApiJson(mut body): ApiJson<AdoptionDoc>,
) -> Result<(StatusCode, Json<PlanItemDto>), AppError> {
    ctx.require_role(&[Role::Admin, Role::Manager, Role::Supervisor])?;
    state.store.plan_item(None, "practice", id).await?;
    body.practice_id = Some(id);
    let (code, data) = body.check(&compute::library_check()?)?;
    let mut saved = state
        .store
        .create_plan_items(
            &ctx.actor()?,
            None,
            &[NewPlanItem {
                kind: "adoption",
                code,
                data,
            }],
        )
        .await
        .map_err(store_err)?;
    let item = saved
        .pop()
        .ok_or_else(|| AppError::Internal("nothing saved".into()))?;
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
    let item = state.store.plan_item(Some(cx.id()), "target", id).await?;
    let check = compute::check_cx(&state, &cx).await?;
    let (_, target) = reparse::<TargetDoc>(&item.data)
        .and_then(|d| d.parse(&check).ok())
        .ok_or_else(|| AppError::Internal(format!("stored target #{id}")))?;
    let actual: f64 = q
        .actual
        .trim()
        .replace(',', ".")
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite())
        .ok_or_else(|| AppError::invalid("actual", "error.kpi_target.value"))?;
    let rag = target.judge(actual);
    Ok(Json(json!({
        "indicator": target.indicator,
        "target": item.data["target"],
        "tolerance": item.data["tolerance"],
        "actual": actual,
        "rag": rag.as_str(),
        "label": ctx.t(&format!("plan.rag.{}", rag.as_str())),
    })))
}
