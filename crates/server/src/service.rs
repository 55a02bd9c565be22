//! Use cases shared by the HTML pages and the JSON API, so both enforce the same rules.

use rumbo_domain::access::Action;
use rumbo_domain::programme::{NewProgramme, ProgrammeInput};
use rumbo_domain::{Invalid, Invalids};
use rumbo_store::programmes::Programme;

use crate::ctx::Ctx;
use crate::{access, AppError, AppState};

pub async fn create_programme(
    state: &AppState,
    ctx: &Ctx,
    input: ProgrammeInput,
) -> Result<Programme, AppError> {
    access::may_create(ctx)?;
    let p = NewProgramme::try_from(input)?;
    Ok(state.store.create_programme(&ctx.actor()?, &p).await?)
}

pub async fn update_programme(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    mut input: ProgrammeInput,
) -> Result<Programme, AppError> {
    let current = access::programme(state, ctx, code, Action::Update)
        .await?
        .programme;
    input.code = current.code.clone();
    let p = NewProgramme::try_from(input)?;
    NewProgramme::check_transition(current.status, p.status).map_err(Invalids::from)?;
    Ok(state
        .store
        .update_programme(&ctx.actor()?, current.id, &p)
        .await?)
}

pub async fn delete_programme(state: &AppState, ctx: &Ctx, code: &str) -> Result<(), AppError> {
    let current = access::programme(state, ctx, code, Action::Delete)
        .await?
        .programme;
    Ok(state
        .store
        .delete_programme(&ctx.actor()?, current.id)
        .await?)
}

/// Merges a partial update onto the stored programme (API `PATCH`).
pub fn input_from(p: &Programme) -> ProgrammeInput {
    ProgrammeInput {
        code: p.code.clone(),
        name: p.name.clone(),
        client_id: Some(p.client_id),
        product_id: p.product_id,
        channels: p.channels.iter().map(|c| c.to_string()).collect(),
        start_date: p.start_date.to_string(),
        end_date: p.end_date.map(|d| d.to_string()),
        status: Some(p.status.to_string()),
        time_zone: Some(p.time_zone.clone()),
        description: Some(p.description.clone()),
    }
}

/// Parses an optional numeric id field.
pub fn parse_id(field: &'static str, s: Option<&str>) -> Result<Option<i64>, Invalid> {
    match s.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|_| Invalid::new(field, "error.unknown.reference")),
    }
}

pub async fn create_client(
    state: &AppState,
    ctx: &Ctx,
    name: &str,
    rut: &str,
) -> Result<rumbo_store::clients::Client, AppError> {
    ctx.require_role(crate::access::MANAGERS)?;
    let mut errors = Vec::new();
    if name.trim().is_empty() {
        errors.push(Invalid::new("client_name", "error.client.name"));
    }
    let rut = rumbo_domain::rut::Rut::parse(rut)
        .map_err(|e| errors.push(e))
        .ok();
    match rut {
        Some(rut) if errors.is_empty() => {
            Ok(state.store.create_client(&ctx.actor()?, name, rut).await?)
        }
        _ => Err(Invalids(errors).into()),
    }
}

pub async fn create_product(
    state: &AppState,
    ctx: &Ctx,
    client_id: i64,
    name: &str,
    description: &str,
) -> Result<rumbo_store::clients::Product, AppError> {
    ctx.require_role(crate::access::MANAGERS)?;
    if name.trim().is_empty() {
        return Err(AppError::invalid("name", "error.product.name"));
    }
    Ok(state
        .store
        .create_product(&ctx.actor()?, client_id, name, description)
        .await?)
}

pub async fn create_person(
    state: &AppState,
    ctx: &Ctx,
    name: &str,
    email: Option<&str>,
    org_role: &str,
) -> Result<rumbo_store::users::Person, AppError> {
    ctx.require_role(crate::access::MANAGERS)?;
    if name.trim().is_empty() {
        return Err(AppError::invalid("person_name", "error.person.name"));
    }
    if email.is_some_and(|e| !looks_like_email(e)) {
        return Err(AppError::invalid("person_email", "error.email"));
    }
    Ok(state
        .store
        .create_person(&ctx.actor()?, name, email, org_role)
        .await?)
}

pub fn looks_like_email(e: &str) -> bool {
    let e = e.trim();
    matches!(e.split_once('@'), Some((u, d)) if !u.is_empty() && d.contains('.') && !d.starts_with('.') && !e.contains(' '))
}

/// Creates a user account; the password is hashed here and never stored or logged in clear.
pub async fn create_user(
    state: &AppState,
    ctx: &Ctx,
    email: &str,
    name: &str,
    role: &str,
    client_id: Option<i64>,
    password: &str,
) -> Result<rumbo_store::users::User, AppError> {
    ctx.require_role(crate::access::ADMINS)?;
    let mut errors = Vec::new();
    if !looks_like_email(email) {
        errors.push(Invalid::new("email", "error.email"));
    }
    if name.trim().is_empty() {
        errors.push(Invalid::new("user_name", "error.user.name"));
    }
    let role = rumbo_domain::access::Role::parse(role).ok();
    match role {
        None => errors.push(Invalid::new("role", "error.user.role")),
        Some(rumbo_domain::access::Role::ClientViewer) if client_id.is_none() => {
            errors.push(Invalid::new("client_id", "error.user.viewer_needs_client"))
        }
        _ => {}
    }
    if password.chars().count() < 10 {
        errors.push(Invalid::new("password", "error.user.password_short"));
    }
    if !errors.is_empty() {
        return Err(Invalids(errors).into());
    }
    let role = role.unwrap_or(rumbo_domain::access::Role::Analyst);
    let hash =
        crate::auth::hash_password(password).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(state
        .store
        .create_user(
            &ctx.actor()?,
            rumbo_store::users::NewUser {
                email,
                name,
                password_hash: &hash,
                role,
                client_id,
                lang: ctx.lang.code(),
            },
        )
        .await?)
}

/// Adds a user to a programme's team (who may update the programme may change its team).
pub async fn add_member(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    user_id: i64,
) -> Result<(), AppError> {
    let p = access::programme(state, ctx, code, Action::Update)
        .await?
        .programme;
    if !state.store.users().await?.iter().any(|u| u.id == user_id) {
        return Err(AppError::invalid("user_id", "error.unknown.user"));
    }
    Ok(state.store.add_member(&ctx.actor()?, p.id, user_id).await?)
}

pub async fn remove_member(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    user_id: i64,
) -> Result<(), AppError> {
    let p = access::programme(state, ctx, code, Action::Update)
        .await?
        .programme;
    Ok(state
        .store
        .remove_member(&ctx.actor()?, p.id, user_id)
        .await?)
}
