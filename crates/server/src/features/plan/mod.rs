//! Programme planning and coordination: the `/api/v1/programs/{code}/…` plan routes and
//! the plan pages.
//!
//! Handlers follow the server's rule: load the programme through the access matrix (reading the
//! plan needs `Read`, changing it needs `Update` on the programme), parse the body through
//! `rumbo-domain` (see [`docs`]), and write through the store, which records audit rows in the
//! same transaction. Computations (critical path, heat-map, variance, staffing) live in
//! [`compute`] so the API and the pages show the same figures.

pub mod api;
pub mod compute;
pub mod demo;
pub mod docs;
mod pages;
pub mod template;

use axum::Router;
use rumbo_app::model::Programme;
use rumbo_domain::access::Action;
use rumbo_domain::plan::ProgrammeDates;

use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::http::access::{self, AccessKind, ProgrammeAccess};
pub use crate::http::access::{Read, Update};
use crate::http::ctx::Ctx;
use crate::{AppError, AppState};

/// Every plan route, API and pages, with full paths (mounted once at the root).
pub fn router() -> Router<AppState> {
    api::router().merge(pages::router())
}

/// The programme a plan request is about, after the access check.
#[derive(Debug, Clone)]
pub struct PlanCx {
    pub programme: Programme,
    pub dates: ProgrammeDates,
    /// Whether the user is on the programme's team.
    pub member: bool,
}

impl PlanCx {
    pub fn id(&self) -> i64 {
        self.programme.id
    }
}

/// The plan of the programme named by the path's `{code}`, which the user may `A` (the
/// access check runs before the handler, as for [`ProgrammeAccess`]).
pub struct Plan<A: AccessKind = Read>(pub PlanCx, PhantomData<A>);

impl<A: AccessKind> FromRequestParts<AppState> for Plan<A> {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let access = ProgrammeAccess::<A>::from_request_parts(parts, state).await?;
        Ok(Plan(
            PlanCx::new(access.programme, access.member)?,
            PhantomData,
        ))
    }
}

impl PlanCx {
    /// The plan context of a programme the user may reach.
    pub fn new(programme: Programme, member: bool) -> Result<PlanCx, AppError> {
        let dates = ProgrammeDates::new(programme.start_date, programme.end_date)
            .map_err(|e| AppError::Internal(e.key.into()))?;
        Ok(PlanCx {
            member,
            programme,
            dates,
        })
    }
}

/// Loads programme `code` if the user may do `action` on it (404 when they may not see it).
pub async fn load(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    action: Action,
) -> Result<PlanCx, AppError> {
    let p = access::programme(state, ctx, code, action).await?;
    PlanCx::new(p.programme, p.member)
}

/// Indicators a KPI target may name (the KPI registry's indicators).
pub const INDICATORS: &[&str] = &[
    "service_level",
    "asa",
    "aht",
    "abandon_rate",
    "occupancy",
    "adherence",
    "conformance",
    "fcr",
    "conversion",
    "sph",
    "qa_score",
    "csat",
    "nps",
    "cost_per_contact",
    "contacts_handled",
    "sales",
];
