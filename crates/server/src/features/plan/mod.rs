//! Programme planning and coordination: the `/api/v1/programs/{code}/…` plan routes and the plan
//! pages.
//!
//! Handlers are thin: the [`Plan`] extractor gets the programme's plan through the access check
//! (reading the plan needs `Read`, changing it `Update`), and each handler makes one call into
//! `rumbo_app` (the plan use cases, documents and figures live in `rumbo_app::plan`), then
//! renders JSON, SVG or a page.

pub mod api;
mod charts;
mod forms;
mod pages;
mod requests;

use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::Router;
pub use rumbo_app::plan::PlanCx;

pub use crate::http::access::{AccessKind, Operate, Read, ReadInternal, Update};
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
        let code = crate::http::access::path_code(parts, state).await?;
        let cx = state.app.plan(&ctx.principal()?, &code, A::ACTION).await?;
        Ok(Plan(cx, PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use crate::view::i18n::Lang;

    /// Every message key the plan use cases and the demo can return (`"error.…"`,
    /// `"warning.…"` literals in `rumbo-app`'s plan sources) has a message in both languages.
    #[test]
    fn every_message_key_of_the_plan_use_cases_is_in_both_catalogues() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../app/src/plan");
        let mut stack = vec![std::path::PathBuf::from(root)];
        let mut seen = 0;
        let mut missing = Vec::new();
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let src = std::fs::read_to_string(&path).unwrap();
                for prefix in ["\"error.", "\"warning."] {
                    for (i, _) in src.match_indices(prefix) {
                        let rest = &src[i + 1..];
                        let Some(end) = rest.find('"') else { continue };
                        let key = &rest[..end];
                        if key.contains(' ') || key.contains('{') {
                            continue;
                        }
                        seen += 1;
                        for lang in [Lang::Es, Lang::En] {
                            if lang.t_opt(key).is_none() {
                                missing.push(format!("{} ({lang:?}): {key}", path.display()));
                            }
                        }
                    }
                }
            }
        }
        assert!(seen > 20, "found only {seen} keys under {root}");
        assert!(missing.is_empty(), "keys without a message: {missing:#?}");
    }
}
