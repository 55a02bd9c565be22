//! `/api/v1/programs`: list, create, read, update (PUT replaces, PATCH merges), delete, history.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use rumbo_domain::access::Action;
use rumbo_domain::programme::ProgrammeInput;
use rumbo_store::audit::AuditEntry;
use rumbo_store::programmes::Programme;
use serde::Deserialize;

use crate::http::access::{self, ProgrammeAccess, Read, Update};
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

async fn list(State(state): State<AppState>, ctx: Ctx) -> Result<Json<Vec<Programme>>, AppError> {
    let rows = access::visible_programmes(&state, &ctx).await?;
    Ok(Json(rows.into_iter().map(|r| r.programme).collect()))
}

async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(body): ApiJson<ProgrammeBody>,
) -> Result<(StatusCode, Json<Programme>), AppError> {
    let p = state
        .app
        .create_programme(
            &ctx.principal()?,
            body.merge_into(ProgrammeInput::default()),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(p)))
}

async fn read(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Result<Json<Programme>, AppError> {
    Ok(Json(
        access::programme(&state, &ctx, &code, Action::Read)
            .await?
            .programme,
    ))
}

async fn replace(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    ApiJson(body): ApiJson<ProgrammeBody>,
) -> Result<Json<Programme>, AppError> {
    Ok(Json(
        state
            .app
            .update_programme(
                &ctx.principal()?,
                &code,
                body.merge_into(ProgrammeInput::default()),
            )
            .await?,
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
) -> Result<Json<Programme>, AppError> {
    let input = body.merge_into(rumbo_app::programmes::input_from(&current));
    Ok(Json(
        state
            .app
            .update_programme(&ctx.principal()?, &code, input)
            .await?,
    ))
}

async fn delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Result<StatusCode, AppError> {
    state.app.delete_programme(&ctx.principal()?, &code).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn history(
    State(state): State<AppState>,
    ProgrammeAccess { programme: p, .. }: ProgrammeAccess<Read>,
) -> Result<Json<Vec<AuditEntry>>, AppError> {
    Ok(Json(state.app.programme_history(&p, 500).await?))
}

#[derive(serde::Serialize)]
struct Member {
    user_id: i64,
    name: String,
    email: String,
    role: String,
}

async fn members(
    State(state): State<AppState>,
    ProgrammeAccess { programme: p, .. }: ProgrammeAccess<Read>,
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
                role,
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
