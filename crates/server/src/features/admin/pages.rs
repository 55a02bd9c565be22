//! Administration: clients and products (managers), people, user accounts (admins), recent audit.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup};
use rumbo_domain::access::Role;
use rumbo_domain::Invalid;

use crate::http::access::MANAGERS;
use crate::http::ctx::{Ctx, Form, FormData};
use crate::http::error::AppError;
use crate::view::changes::{audit_actor, audit_diff, audit_subject_of, audit_what};
use crate::view::redirect;
use crate::view::{csrf_field, field_errors, fmt_instant, input, layout, Section};
use crate::AppState;
use rumbo_app::accounts::TOTP_ROLES;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(page))
        .route("/admin/clients", post(add_client))
        .route("/admin/products", post(add_product))
        .route("/admin/users", post(add_user))
        .route("/admin/users/{id}/totp-reset", post(reset_totp))
        .route("/admin/people", post(add_person))
}

async fn page(State(state): State<AppState>, ctx: Ctx) -> Result<Markup, AppError> {
    ctx.require_role(MANAGERS)?;
    render(&state, &ctx, &[], &FormData::default()).await
}

async fn render(
    state: &AppState,
    ctx: &Ctx,
    errors: &[Invalid],
    f: &FormData,
) -> Result<Markup, AppError> {
    let is_admin = ctx.role()? == Role::Admin;
    let who = ctx.principal()?;
    let clients = state.app.clients(&who).await?;
    let products = state.app.products(&who).await?;
    let people = state.app.people(&who).await?;
    let users = if is_admin {
        state.app.users(&who).await?
    } else {
        vec![]
    };
    let audit = if is_admin {
        state.app.audit_recent(&who, 30).await?
    } else {
        vec![]
    };
    Ok(layout(
        ctx,
        Section::Admin,
        ctx.t("admin.title"),
        html! {
            @if is_admin {
                p { a href="/admin/archive" { (ctx.t("roles.archive.link")) } }
            }
            @if !errors.is_empty() {
                div.problems role="alert" { ul { @for e in errors { li { (ctx.t(e.key)) } } } }
            }
            h2 { (ctx.t("admin.clients")) }
            table {
                thead { tr { th { (ctx.t("client.name")) } th { (ctx.t("client.rut")) } } }
                tbody { @for c in &clients { tr { td { (c.name) } td { (c.rut) } } } }
            }
            form method="post" action="/admin/clients" {
                (csrf_field(ctx))
                (input(ctx, errors, "client_name", "client.name", "text", f.get("client_name"), true))
                (input(ctx, errors, "rut", "client.rut", "text", f.get("rut"), true))
                button type="submit" { (ctx.t("admin.add_client")) }
            }
            h2 { (ctx.t("admin.products")) }
            table {
                thead { tr { th { (ctx.t("product.name")) } th { (ctx.t("programme.client")) } th { (ctx.t("product.description")) } } }
                tbody { @for p in &products { tr {
                    td { (p.name) }
                    td { (clients.iter().find(|c| c.id == p.client_id).map(|c| c.name.as_str()).unwrap_or("")) }
                    td { (p.description) }
                } } }
            }
            form method="post" action="/admin/products" {
                (csrf_field(ctx))
                div.field {
                    label for="product_client" { (ctx.t("programme.client")) " *" }
                    select id="product_client" name="client_id" required {
                        option value="" { (ctx.t("form.choose")) }
                        @for c in &clients { option value=(c.id) { (c.name) } }
                    }
                    (field_errors(ctx, errors, "client_id"))
                }
                (input(ctx, errors, "name", "product.name", "text", f.get("name"), true))
                (input(ctx, errors, "description", "product.description", "text", f.get("description"), false))
                button type="submit" { (ctx.t("admin.add_product")) }
            }
            h2 { (ctx.t("admin.people")) }
            table {
                thead { tr { th { (ctx.t("person.name")) } th { (ctx.t("person.email")) } th { (ctx.t("person.org_role")) } } }
                tbody { @for p in &people { tr { td { (p.name) } td { (p.email.as_deref().unwrap_or("")) } td { (p.org_role) } } } }
            }
            form method="post" action="/admin/people" {
                (csrf_field(ctx))
                (input(ctx, errors, "person_name", "person.name", "text", f.get("person_name"), true))
                (input(ctx, errors, "person_email", "person.email", "email", f.get("person_email"), false))
                (input(ctx, errors, "org_role", "person.org_role", "text", f.get("org_role"), false))
                button type="submit" { (ctx.t("admin.add_person")) }
            }
            @if is_admin {
                p { a href="/privacy" { (ctx.t("privacy.nav")) } }
                h2 { (ctx.t("admin.users")) }
                table {
                    thead { tr { th { (ctx.t("user.email")) } th { (ctx.t("user.name")) } th { (ctx.t("user.role")) } th { (ctx.t("user.lang")) } th { (ctx.t("totp.admin.column")) } } }
                    tbody { @for u in &users { tr {
                        td { (u.email) } td { (u.name) } td { (ctx.t(&format!("role.{}", u.role))) } td { (ctx.t(&format!("lang.{}", u.lang))) }
                        td { @if TOTP_ROLES.contains(&u.role) {
                            form method="post" action=(format!("/admin/users/{}/totp-reset", u.id)) {
                                (csrf_field(ctx))
                                button type="submit" { (ctx.t("totp.admin.reset")) }
                            }
                        } }
                    } } }
                }
                form method="post" action="/admin/users" {
                    (csrf_field(ctx))
                    (input(ctx, errors, "email", "user.email", "email", f.get("email"), true))
                    (input(ctx, errors, "user_name", "user.name", "text", f.get("user_name"), true))
                    div.field {
                        label for="role" { (ctx.t("user.role")) }
                        select id="role" name="role" {
                            @for r in Role::ALL { option value=(r.as_str()) { (ctx.t(&format!("role.{}", r.as_str()))) } }
                        }
                        (field_errors(ctx, errors, "role"))
                    }
                    div.field {
                        label for="user_client" { (ctx.t("user.client")) }
                        select id="user_client" name="client_id" {
                            option value="" { (ctx.t("form.none")) }
                            @for c in &clients { option value=(c.id) { (c.name) } }
                        }
                    }
                    (input(ctx, errors, "password", "user.password", "password", "", true))
                    button type="submit" { (ctx.t("admin.add_user")) }
                }
                h2 { (ctx.t("admin.audit")) }
                table {
                    thead { tr { th { (ctx.t("audit.when")) } th { (ctx.t("audit.who")) } th { (ctx.t("audit.what")) } th { (ctx.t("audit.changes")) } } }
                    tbody { @for a in &audit { tr {
                        td { (fmt_instant(ctx, a.at, rumbo_domain::programme::DEFAULT_TIME_ZONE)) }
                        td { (audit_actor(ctx, &a.actor)) }
                        td { (audit_what(ctx, &a.action, &a.entity, &audit_subject_of(&a.entity, &a.entity_id, a.before.as_ref(), a.after.as_ref()))) }
                        td { (audit_diff(ctx, &a.entity, &a.action, a.before.as_ref(), a.after.as_ref())) }
                    } } }
                }
            }
        },
    ))
}

async fn respond(
    state: &AppState,
    ctx: &Ctx,
    f: &FormData,
    r: Result<(), AppError>,
) -> Result<Response, AppError> {
    match r {
        Ok(()) => Ok(redirect("/admin")),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let page = render(state, ctx, e.invalids(), f).await?;
            Ok((e.status(), page).into_response())
        }
        Err(e) => Err(e),
    }
}

async fn add_client(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form,
) -> Result<Response, AppError> {
    let r = state
        .app
        .create_client(&ctx.principal()?, f.get("client_name"), f.get("rut"))
        .await
        .map(|_| ())
        .map_err(AppError::from);
    respond(&state, &ctx, &f, r).await
}

async fn add_product(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form,
) -> Result<Response, AppError> {
    let r = async {
        let client_id = rumbo_app::programmes::parse_id("client_id", Some(f.get("client_id")))?
            .ok_or(Invalid::new("client_id", "error.client.required"))?;
        state
            .app
            .create_product(
                &ctx.principal()?,
                client_id,
                f.get("name"),
                f.get("description"),
            )
            .await?;
        Ok(())
    }
    .await;
    respond(&state, &ctx, &f, r).await
}

async fn add_person(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form,
) -> Result<Response, AppError> {
    let r = state
        .app
        .create_person(
            &ctx.principal()?,
            f.get("person_name"),
            f.opt("person_email").as_deref(),
            f.get("org_role"),
        )
        .await
        .map(|_| ())
        .map_err(AppError::from);
    respond(&state, &ctx, &f, r).await
}

async fn add_user(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form,
) -> Result<Response, AppError> {
    let r = async {
        let client_id = rumbo_app::programmes::parse_id("client_id", Some(f.get("client_id")))?;
        state
            .app
            .create_user(
                Some(&ctx.principal()?),
                rumbo_app::accounts::NewAccount {
                    email: f.get("email"),
                    name: f.get("user_name"),
                    role: f.get("role"),
                    client_id,
                    password: f.get("password"),
                    lang: ctx.lang.code(),
                },
            )
            .await?;
        Ok(())
    }
    .await;
    respond(&state, &ctx, &f, r).await
}

/// Removes an account's second factor (admins; audited). An account without one is left as
/// it is.
async fn reset_totp(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(_): Form,
) -> Result<Response, AppError> {
    state.app.reset_totp(&ctx.principal()?, id).await?;
    Ok(redirect("/admin"))
}
