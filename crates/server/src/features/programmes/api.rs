//! `/api/v1/programs`: list, create, read, update (PUT replaces, PATCH merges), delete, history.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use rumbo_app::model::{AuditEntry, Programme};
use rumbo_domain::access::Action;
use rumbo_domain::programme::ProgrammeInput;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::http::access::{self, ProgrammeAccess, ReadInternal, Update};
use crate::http::ctx::{ApiJson, Ctx};
use crate::http::error::AppError;
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/programs", get(list).post(create))
        .route(
            "/programs/{code}",
            get(read).put(replace).patch(patch).delete(delete),
        )
        .route("/programs/{code}/audit", get(history))
        .route("/programs/{code}/members", get(members).post(add_member))
        .route(
            "/programs/{code}/members/{user_id}",
            axum::routing::delete(remove_member),
        )
}

/// A programme as the API shows it: dates as ISO text, status and channels by wire name.
#[derive(Serialize)]
pub struct ProgrammeDto {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub client_id: i64,
    pub client_name: String,
    pub product_id: Option<i64>,
    pub product_name: Option<String>,
    pub channels: Vec<&'static str>,
    pub start_date: String,
    pub end_date: Option<String>,
    pub status: &'static str,
    pub time_zone: String,
    pub description: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<&Programme> for ProgrammeDto {
    fn from(p: &Programme) -> Self {
        ProgrammeDto {
            id: p.id,
            code: p.code.clone(),
            name: p.name.clone(),
            client_id: p.client_id,
            client_name: p.client_name.clone(),
            product_id: p.product_id,
            product_name: p.product_name.clone(),
            channels: p.channels.iter().map(|c| c.as_str()).collect(),
            start_date: p.start_date.to_string(),
            end_date: p.end_date.map(|d| d.to_string()),
            status: p.status.as_str(),
            time_zone: p.time_zone.clone(),
            description: p.description.clone(),
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

/// One change of a programme's history as the API shows it.
#[derive(Serialize)]
pub struct AuditEntryDto {
    pub id: i64,
    pub at: i64,
    pub actor: String,
    pub entity: String,
    pub entity_id: String,
    pub programme_id: Option<i64>,
    pub action: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl From<AuditEntry> for AuditEntryDto {
    fn from(a: AuditEntry) -> Self {
        AuditEntryDto {
            id: a.id,
            at: a.at,
            actor: a.actor,
            entity: a.entity,
            entity_id: a.entity_id,
            programme_id: a.programme_id,
            action: a.action,
            before: a.before,
            after: a.after,
        }
    }
}

/// The JSON body for a programme; every field optional so PATCH can merge.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ProgrammeBody {
    code: Option<String>,
    name: Option<String>,
    client_id: Option<i64>,
    product_id: Option<i64>,
    channels: Option<Vec<String>>,
    start_date: Option<String>,
    end_date: Option<String>,
    status: Option<String>,
    time_zone: Option<String>,
    description: Option<String>,
}

impl ProgrammeBody {
    fn merge_into(self, mut base: ProgrammeInput) -> ProgrammeInput {
        if let Some(v) = self.code {
            base.code = v;
        }
        if let Some(v) = self.name {
            base.name = v;
        }
        if self.client_id.is_some() {
            base.client_id = self.client_id;
        }
        if self.product_id.is_some() {
            base.product_id = self.product_id;
        }
        if let Some(v) = self.channels {
            base.channels = v;
        }
        if let Some(v) = self.start_date {
            base.start_date = v;
        }
        if self.end_date.is_some() {
            base.end_date = self.end_date;
        }
        if self.status.is_some() {
            base.status = self.status;
        }
        if self.time_zone.is_some() {
            base.time_zone = self.time_zone;
        }
        if self.description.is_some() {
            base.description = self.description;
        }
        base
    }
}

async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<ProgrammeDto>>, AppError> {
    let rows = access::visible_programmes(&state, &ctx).await?;
    Ok(Json(rows.iter().map(|r| (&r.programme).into()).collect()))
}

async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(body): ApiJson<ProgrammeBody>,
) -> Result<(StatusCode, Json<ProgrammeDto>), AppError> {
    let p = state
        .app
        .create_programme(
            &ctx.principal()?,
            body.merge_into(ProgrammeInput::default()),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(ProgrammeDto::from(&p))))
}

async fn read(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Result<Json<ProgrammeDto>, AppError> {
    Ok(Json(
        (&access::programme(&state, &ctx, &code, Action::Read)
            .await?
            .programme)
            .into(),
    ))
}

async fn replace(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    ApiJson(body): ApiJson<ProgrammeBody>,
) -> Result<Json<ProgrammeDto>, AppError> {
    Ok(Json(
        state
            .app
            .update_programme(
                &ctx.principal()?,
                &code,
                body.merge_into(ProgrammeInput::default()),
            )
            .await
            .map(|p| ProgrammeDto::from(&p))?,
    ))
}

async fn patch(
    State(state): State<AppState>,
    ctx: Ctx,
    ProgrammeAccess {
        programme: current, ..
    }: ProgrammeAccess<Update>,
    Path(code): Path<String>,
    ApiJson(body): ApiJson<ProgrammeBody>,
) -> Result<Json<ProgrammeDto>, AppError> {
    let input = body.merge_into(rumbo_app::programmes::input_from(&current));
    Ok(Json(
        state
            .app
            .update_programme(&ctx.principal()?, &code, input)
            .await
            .map(|p| ProgrammeDto::from(&p))?,
    ))
}

#[derive(Deserialize)]
struct DeleteQuery {
    /// The programme's code typed again: needed when it holds data (it is then archived).
    confirm: Option<String>,
}

async fn delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    axum::extract::Query(q): axum::extract::Query<DeleteQuery>,
) -> Result<StatusCode, AppError> {
    state
        .app
        .delete_programme(&ctx.principal()?, &code, q.confirm.as_deref())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn history(
    State(state): State<AppState>,
    ProgrammeAccess { programme: p, .. }: ProgrammeAccess<ReadInternal>,
) -> Result<Json<Vec<AuditEntryDto>>, AppError> {
    let history = state.app.programme_history(&p, 500).await?;
    Ok(Json(history.into_iter().map(AuditEntryDto::from).collect()))
}

#[derive(serde::Serialize)]
struct Member {
    user_id: i64,
    name: String,
    email: String,
    role: &'static str,
}

async fn members(
    State(state): State<AppState>,
    ProgrammeAccess { programme: p, .. }: ProgrammeAccess<ReadInternal>,
) -> Result<Json<Vec<Member>>, AppError> {
    Ok(Json(
        state
            .app
            .members(&p)
            .await?
            .into_iter()
            .map(|(user_id, name, email, role)| Member {
                user_id,
                name,
                email,
                role: role.as_str(),
            })
            .collect(),
    ))
}

#[derive(Deserialize)]
struct NewMember {
    user_id: i64,
}

async fn add_member(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    ApiJson(b): ApiJson<NewMember>,
) -> Result<StatusCode, AppError> {
    state
        .app
        .add_member(&ctx.principal()?, &code, b.user_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn remove_member(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, user_id)): Path<(String, i64)>,
) -> Result<StatusCode, AppError> {
    state
        .app
        .remove_member(&ctx.principal()?, &code, user_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
