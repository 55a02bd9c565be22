//! Loading programmes through the access matrix (shared by pages and API).

use rumbo_domain::access::{can_see, decide, Action, Decision, Relation, Role};
use rumbo_store::programmes::ProgrammeFor;

use crate::http::ctx::Ctx;
use crate::{AppError, AppState};

fn relation(ctx: &Ctx, p: &ProgrammeFor) -> Relation {
    Relation {
        member: p.member,
        same_client: ctx
            .user
            .as_ref()
            .and_then(|u| u.client_id)
            .is_some_and(|c| c == p.programme.client_id),
    }
}

/// The programme `code` if the user may do `action` on it: 404 when they may not see it,
/// 403 when they see it but may not do this.
pub async fn programme(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    action: Action,
) -> Result<ProgrammeFor, AppError> {
    let role = ctx.role()?;
    let user_id = ctx.user()?.id;
    let p = state.store.programme_for(code, Some(user_id)).await?;
    match decide(role, action, Some(relation(ctx, &p))) {
        Decision::Allow => Ok(p),
        Decision::Forbidden => Err(AppError::Forbidden),
        Decision::NotFound => Err(AppError::NotFound),
    }
}

/// The programmes the user may see.
pub async fn visible_programmes(
    state: &AppState,
    ctx: &Ctx,
) -> Result<Vec<ProgrammeFor>, AppError> {
    let role = ctx.role()?;
    let user_id = ctx.user()?.id;
    let all = state.store.programmes_for(Some(user_id)).await?;
    Ok(all
        .into_iter()
        .filter(|p| can_see(role, relation(ctx, p)))
        .collect())
}

/// May the user create programmes?
pub fn may_create(ctx: &Ctx) -> Result<(), AppError> {
    match decide(ctx.role()?, Action::Create, None) {
        Decision::Allow => Ok(()),
        _ => Err(AppError::Forbidden),
    }
}

/// Roles that may administer accounts and clients.
pub const ADMINS: &[Role] = &[Role::Admin];
/// Roles that may manage master data such as clients and products.
pub const MANAGERS: &[Role] = &[Role::Admin, Role::Manager];
