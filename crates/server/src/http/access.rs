//! The access check on a programme, as an extractor.
//!
//! A handler that works on `/…/programs/{code}/…` takes a [`ProgrammeAccess<A>`]: the programme
//! is loaded through `rumbo_app`'s access matrix for the action `A` before the handler runs (not
//! visible → 404, visible but not allowed → 403), so no handler repeats that prologue.

use std::marker::PhantomData;

use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use rumbo_app::model::{Programme, ProgrammeFor};
use rumbo_domain::access::Action;

use crate::http::ctx::Ctx;
use crate::{AppError, AppState};

/// An action on a programme, as a type for [`ProgrammeAccess`].
pub trait AccessKind: Send + Sync + 'static {
    const ACTION: Action;
}

/// Reading a programme and what is in it.
pub struct Read;
/// Changing a programme or what is in it.
pub struct Update;
/// Deleting a programme.
pub struct Delete;
/// Reading what stays inside the BPO (imports, audit log, team e-mails, budget…).
pub struct ReadInternal;
/// The analyst's work: imports, mappings, forecasts, staffing and schedules.
pub struct Operate;

impl AccessKind for Read {
    const ACTION: Action = Action::Read;
}
impl AccessKind for Update {
    const ACTION: Action = Action::Update;
}
impl AccessKind for Delete {
    const ACTION: Action = Action::Delete;
}
impl AccessKind for ReadInternal {
    const ACTION: Action = Action::ReadInternal;
}
impl AccessKind for Operate {
    const ACTION: Action = Action::Operate;
}

/// The programme named by the path's `{code}`, which the user may `A`.
pub struct ProgrammeAccess<A: AccessKind = Read> {
    pub programme: Programme,
    /// Whether the user is on the programme's team.
    pub member: bool,
    _action: PhantomData<A>,
}

impl<A: AccessKind> ProgrammeAccess<A> {
    /// The programme with the user's relation to it.
    pub fn programme_for(&self) -> ProgrammeFor {
        ProgrammeFor {
            programme: self.programme.clone(),
            member: self.member,
        }
    }
}

impl<A: AccessKind> FromRequestParts<AppState> for ProgrammeAccess<A> {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ctx = Ctx::from_request_parts(parts, state).await?;
        let code = path_code(parts, state).await?;
        let p = programme(state, &ctx, &code, A::ACTION).await?;
        Ok(ProgrammeAccess {
            programme: p.programme,
            member: p.member,
            _action: PhantomData,
        })
    }
}

/// The `{code}` of the request's path (a route without one is not found).
pub async fn path_code(parts: &mut Parts, state: &AppState) -> Result<String, AppError> {
    let params = RawPathParams::from_request_parts(parts, state)
        .await
        .map_err(|_| AppError::NotFound)?;
    params
        .iter()
        .find(|(k, _)| *k == "code")
        .map(|(_, v)| v.to_string())
        .ok_or(AppError::NotFound)
}

/// The programme `code` if the user may do `action` on it.
pub async fn programme(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    action: Action,
) -> Result<ProgrammeFor, AppError> {
    Ok(state
        .app
        .programme_for(&ctx.principal()?, code, action)
        .await?)
}

/// The programmes the user may see.
pub async fn visible_programmes(
    state: &AppState,
    ctx: &Ctx,
) -> Result<Vec<ProgrammeFor>, AppError> {
    Ok(state.app.visible_programmes(&ctx.principal()?).await?)
}

/// May the user create programmes?
pub fn may_create(state: &AppState, ctx: &Ctx) -> Result<(), AppError> {
    Ok(state.app.may_create_programme(&ctx.principal()?)?)
}

pub use rumbo_app::access::{ADMINS, MANAGERS};
