//! The JSON API under `/api/v1`: the same use cases as the pages, for scripts.
//! Authentication is a bearer token (`rumbo token create EMAIL`); errors are problem+json.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use rumbo_store::clients::{Client, Product};
use rumbo_store::users::{Person, User};
use serde::Deserialize;

use crate::http::ctx::{ApiJson, Ctx};
use crate::http::error::AppError;
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/me", get(me))
        .route("/clients", get(clients).post(create_client))
        .route("/products", get(products).post(create_product))
        .route("/people", get(people).post(create_person))
        .route("/users", get(users).post(create_user))
}

async fn me(ctx: Ctx) -> Result<Json<User>, AppError> {
    Ok(Json(ctx.user()?.clone()))
}

async fn clients(State(state): State<AppState>, ctx: Ctx) -> Result<Json<Vec<Client>>, AppError> {
    Ok(Json(state.app.clients(&ctx.principal()?).await?))
}

#[derive(Deserialize)]
struct NewClient {
    name: String,
    rut: String,
}

async fn create_client(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(b): ApiJson<NewClient>,
) -> Result<(StatusCode, Json<Client>), AppError> {
    let c = state
        .app
        .create_client(&ctx.principal()?, &b.name, &b.rut)
        .await?;
    Ok((StatusCode::CREATED, Json(c)))
}

async fn products(State(state): State<AppState>, ctx: Ctx) -> Result<Json<Vec<Product>>, AppError> {
    Ok(Json(state.app.products(&ctx.principal()?).await?))
}

#[derive(Deserialize)]
struct NewProduct {
    client_id: i64,
    name: String,
    #[serde(default)]
    description: String,
}

async fn create_product(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(b): ApiJson<NewProduct>,
) -> Result<(StatusCode, Json<Product>), AppError> {
    let p = state
        .app
        .create_product(&ctx.principal()?, b.client_id, &b.name, &b.description)
        .await?;
    Ok((StatusCode::CREATED, Json(p)))
}

async fn people(State(state): State<AppState>, ctx: Ctx) -> Result<Json<Vec<Person>>, AppError> {
    Ok(Json(state.app.people(&ctx.principal()?).await?))
}

#[derive(Deserialize)]
struct NewPerson {
    name: String,
    email: Option<String>,
    #[serde(default)]
    org_role: String,
}

async fn create_person(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(b): ApiJson<NewPerson>,
) -> Result<(StatusCode, Json<Person>), AppError> {
    let p = state
        .app
        .create_person(&ctx.principal()?, &b.name, b.email.as_deref(), &b.org_role)
        .await?;
    Ok((StatusCode::CREATED, Json(p)))
}

async fn users(State(state): State<AppState>, ctx: Ctx) -> Result<Json<Vec<User>>, AppError> {
    Ok(Json(state.app.users(&ctx.principal()?).await?))
}

#[derive(Deserialize)]
struct NewUserBody {
    email: String,
    name: String,
    role: String,
    client_id: Option<i64>,
    password: String,
}

async fn create_user(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(b): ApiJson<NewUserBody>,
) -> Result<(StatusCode, Json<User>), AppError> {
    let u = state
        .app
        .create_user(
            Some(&ctx.principal()?),
            rumbo_app::accounts::NewAccount {
                email: &b.email,
                name: &b.name,
                role: &b.role,
                client_id: b.client_id,
                password: &b.password,
                lang: ctx.lang.code(),
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(u)))
}
