//! The close-out and lessons API: `GET|POST /programs/{code}/closeout` (the evaluation and a
//! new version of it), `POST /programs/{code}/close` and `/reopen`, `GET|POST
//! /programs/{code}/lessons`, `GET /programs/{code}/suggestions`, `GET /lessons/{id}`,
//! `POST /lessons/{id}/promote` and `GET /library/search?q=`.

use axum::extract::{Path as UrlPath, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use rumbo_app::closeout::{Closeout, CloseoutVersion};
use rumbo_app::lessons::{LessonRow, LibraryItem};
use rumbo_app::model::Programme;
use rumbo_domain::plan::closeout::{AssessmentInput, AREAS};
use rumbo_domain::plan::lessons::LessonInput;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::http::access::{ProgrammeAccess, Read};
use crate::http::ctx::{ApiJson, Ctx};
use crate::http::error::AppError;
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/programs/{code}/closeout",
            get(api_closeout).post(api_save),
        )
        .route("/programs/{code}/close", post(api_close))
        .route("/programs/{code}/reopen", post(api_reopen))
        .route(
            "/programs/{code}/lessons",
            get(api_lessons).post(api_create_lesson),
        )
        .route("/programs/{code}/suggestions", get(api_suggestions))
        .route("/lessons/{id}", get(api_lesson))
        .route("/lessons/{id}/promote", post(api_promote))
        .route("/library/search", get(api_search))
}

fn version_json(v: &CloseoutVersion) -> Value {
    json!({
        "version": v.version, "signed": v.signed, "created_at": v.created_at,
        "created_by": v.created_by, "reopened": v.data.get("reopened").is_some(),
        "assessment": v.data.get("assessment").cloned().unwrap_or(Value::Null),
        "signed_by": v.data.get("signed_by").cloned().unwrap_or(Value::Null),
    })
}

fn closeout_json(c: &Closeout) -> Value {
    json!({
        "code": c.programme.code, "status": c.programme.status.as_str(),
        "signed": c.signed(), "may_edit": c.may_edit, "facts": c.facts,
        "versions": c.versions.iter().map(version_json).collect::<Vec<_>>(),
    })
}

fn programme_json(p: &Programme) -> Value {
    json!({ "code": p.code, "status": p.status.as_str() })
}

pub(crate) fn lesson_json(l: &LessonRow) -> Value {
    let mut v = l.data.clone();
    v["id"] = l.id.into();
    v["practice_id"] = l.practice_id.into();
    v["created_at"] = l.created_at.into();
    v["created_by"] = l.created_by.clone().into();
    v
}

fn item_json(i: &LibraryItem) -> Value {
    let mut v = i.data().clone();
    v["id"] = i.id().into();
    v["type"] = i.kind().into();
    if let LibraryItem::Lesson(l) = i {
        v["practice_id"] = l.practice_id.into();
    }
    v
}

async fn api_closeout(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Read>,
) -> Result<Json<Value>, AppError> {
    let c = state
        .app
        .closeout(&ctx.principal()?, &access.programme.code)
        .await?;
    Ok(Json(closeout_json(&c)))
}

/// A new version of the evaluation: a comment per area, the overall text, the verdict, and
/// whether it is signed.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AssessmentBody {
    pub comments: Map<String, Value>,
    pub overall: String,
    pub verdict: String,
    pub sign: bool,
}

async fn api_save(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Read>,
    ApiJson(body): ApiJson<AssessmentBody>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let input = AssessmentInput {
        comments: AREAS
            .iter()
            .map(|a| {
                body.comments
                    .get(*a)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            })
            .collect(),
        overall: body.overall,
        verdict: body.verdict,
    };
    let v = state
        .app
        .save_closeout(&ctx.principal()?, &access.programme.code, input, body.sign)
        .await?;
    Ok((StatusCode::CREATED, Json(version_json(&v))))
}

async fn api_close(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Read>,
) -> Result<Json<Value>, AppError> {
    let p = state
        .app
        .close_programme(&ctx.principal()?, &access.programme.code)
        .await?;
    Ok(Json(programme_json(&p)))
}

async fn api_reopen(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Read>,
) -> Result<Json<Value>, AppError> {
    let p = state
        .app
        .reopen_programme(&ctx.principal()?, &access.programme.code)
        .await?;
    Ok(Json(programme_json(&p)))
}

async fn api_lessons(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Read>,
) -> Result<Json<Vec<Value>>, AppError> {
    let rows = state
        .app
        .programme_lessons(&ctx.principal()?, &access.programme.code)
        .await?;
    Ok(Json(rows.iter().map(lesson_json).collect()))
}

/// A lesson as the API takes it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LessonBody {
    pub title: String,
    pub kind: String,
    pub summary: String,
    pub factors: Vec<String>,
    pub recommendation: Option<String>,
    pub evidence: Vec<EvidenceBody>,
    pub tags: Vec<String>,
    pub channel: Option<String>,
    pub product: Option<String>,
    pub shared: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EvidenceBody {
    pub kind: String,
    pub text: String,
}

async fn api_create_lesson(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Read>,
    ApiJson(b): ApiJson<LessonBody>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let input = LessonInput {
        title: b.title,
        kind: b.kind,
        summary: b.summary,
        factors: b.factors,
        recommendation: b.recommendation,
        evidence: b.evidence.into_iter().map(|e| (e.kind, e.text)).collect(),
        tags: b.tags,
        channel: b.channel,
        product: b.product,
        shared: b.shared,
    };
    let l = state
        .app
        .create_lesson(&ctx.principal()?, &access.programme.code, input)
        .await?;
    Ok((StatusCode::CREATED, Json(lesson_json(&l))))
}

async fn api_lesson(
    State(state): State<AppState>,
    ctx: Ctx,
    UrlPath(id): UrlPath<i64>,
) -> Result<Json<Value>, AppError> {
    let l = state.app.lesson(&ctx.principal()?, id).await?;
    Ok(Json(lesson_json(&l)))
}

async fn api_promote(
    State(state): State<AppState>,
    ctx: Ctx,
    UrlPath(id): UrlPath<i64>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let p = state.app.promote_lesson(&ctx.principal()?, id).await?;
    let mut v = p.data.clone();
    v["id"] = p.id.into();
    Ok((StatusCode::CREATED, Json(v)))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SearchQuery {
    q: String,
}

async fn api_search(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<SearchQuery>,
) -> Result<Json<Vec<Value>>, AppError> {
    let items = state.app.search_library(&ctx.principal()?, &q.q).await?;
    Ok(Json(items.iter().map(item_json).collect()))
}

async fn api_suggestions(
    State(state): State<AppState>,
    ctx: Ctx,
    access: ProgrammeAccess<Read>,
) -> Result<Json<Vec<Value>>, AppError> {
    let items = state
        .app
        .suggestions(&ctx.principal()?, &access.programme.code)
        .await?;
    Ok(Json(
        items
            .iter()
            .map(|(score, i)| {
                let mut v = item_json(i);
                v["score"] = (*score).into();
                v
            })
            .collect(),
    ))
}
