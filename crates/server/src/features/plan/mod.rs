//! Programme planning and coordination: the `/api/v1/programs/{code}/…` plan routes and the plan
//! pages.
//!
//! Handlers are thin: the [`Plan`] extractor gets the programme's plan through the access check
//! (reading the plan needs `Read`, changing it `Update`), and each handler makes one call into
//! `rumbo_app` (the plan use cases, documents and figures live in `rumbo_app::plan`), then
//! renders JSON, SVG or a page.

pub mod api;
mod charts;
mod pages;

use std::marker::PhantomData;

use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use axum::Router;
pub use rumbo_app::plan::PlanCx;

pub use crate::http::access::{AccessKind, Read, Update};
use crate::http::ctx::Ctx;
use crate::{AppError, AppState};

/// Every plan route, API and pages, with full paths (mounted once at the root).
pub fn router() -> Router<AppState> {
    api::router().merge(pages::router())
}

/// The plan of the programme named by the path's `{code}`, which the user may `A` (the
/// access check runs before the handler, as for `ProgrammeAccess`).
pub struct Plan<A: AccessKind = Read>(pub PlanCx, PhantomData<A>);

impl<A: AccessKind> FromRequestParts<AppState> for Plan<A> {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ctx = Ctx::from_request_parts(parts, state).await?;
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::NotFound)?;
        let code = params
            .iter()
            .find(|(k, _)| *k == "code")
            .map(|(_, v)| v.to_string())
            .ok_or(AppError::NotFound)?;
        let cx = state.app.plan(&ctx.principal()?, &code, A::ACTION).await?;
        Ok(Plan(cx, PhantomData))
    }
}
