//! The JSON API under `/api/v1`: the same use cases as the pages, for scripts.
//! Authentication is a bearer token (`rumbo token create EMAIL`); errors are problem+json.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use rumbo_app::model::{Client, Person, Product, User};
use serde::{Deserialize, Serialize};

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

/// A user account as the API shows it.
#[derive(Serialize)]
pub struct UserDto {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: &'static str,
    pub client_id: Option<i64>,
    pub lang: String,
    pub active: bool,
}

impl From<&User> for UserDto {
    fn from(u: &User) -> Self {
        UserDto {
            id: u.id,
            email: u.email.clone(),
            name: u.name.clone(),
            role: u.role.as_str(),
            client_id: u.client_id,
            lang: u.lang.clone(),
            active: u.active,
        }
    }
}

/// A client as the API shows it, its RUT formatted `12.345.678-5`.
#[derive(Serialize)]
pub struct ClientDto {
    pub id: i64,
    pub name: String,
    pub rut: String,
}

impl From<&Client> for ClientDto {
    fn from(c: &Client) -> Self {
        ClientDto {
            id: c.id,
            name: c.name.clone(),
            rut: c.rut.to_string(),
        }
    }
}

/// A product as the API shows it.
#[derive(Serialize)]
pub struct ProductDto {
    pub id: i64,
    pub client_id: i64,
    pub name: String,
    pub description: String,
}

impl From<&Product> for ProductDto {
    fn from(p: &Product) -> Self {
        ProductDto {
            id: p.id,
            client_id: p.client_id,
            name: p.name.clone(),
            description: p.description.clone(),
        }
    }
}

/// A person of the organisation as the API shows them.
#[derive(Serialize)]
pub struct PersonDto {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
    pub org_role: String,
}

impl From<&Person> for PersonDto {
    fn from(p: &Person) -> Self {
        PersonDto {
            id: p.id,
            name: p.name.clone(),
            email: p.email.clone(),
            org_role: p.org_role.clone(),
        }
    }
}

/// Rows as their API form.
fn dtos<'a, T: 'a, D: From<&'a T>>(rows: &'a [T]) -> Vec<D> {
    rows.iter().map(D::from).collect()
}

async fn me(ctx: Ctx) -> Result<Json<UserDto>, AppError> {
    Ok(Json(ctx.user()?.into()))
}

async fn clients(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<ClientDto>>, AppError> {
    Ok(Json(dtos(&state.app.clients(&ctx.principal()?).await?)))
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
) -> Result<(StatusCode, Json<ClientDto>), AppError> {
    let c = state
        .app
        .create_client(&ctx.principal()?, &b.name, &b.rut)
        .await?;
    Ok((StatusCode::CREATED, Json((&c).into())))
}

async fn products(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<ProductDto>>, AppError> {
    Ok(Json(dtos(&state.app.products(&ctx.principal()?).await?)))
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
) -> Result<(StatusCode, Json<ProductDto>), AppError> {
    let p = state
        .app
        .create_product(&ctx.principal()?, b.client_id, &b.name, &b.description)
        .await?;
    Ok((StatusCode::CREATED, Json((&p).into())))
}

async fn people(State(state): State<AppState>, ctx: Ctx) -> Result<Json<Vec<PersonDto>>, AppError> {
    Ok(Json(dtos(&state.app.people(&ctx.principal()?).await?)))
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
) -> Result<(StatusCode, Json<PersonDto>), AppError> {
    let p = state
        .app
        .create_person(&ctx.principal()?, &b.name, b.email.as_deref(), &b.org_role)
        .await?;
    Ok((StatusCode::CREATED, Json((&p).into())))
}

async fn users(State(state): State<AppState>, ctx: Ctx) -> Result<Json<Vec<UserDto>>, AppError> {
    Ok(Json(dtos(&state.app.users(&ctx.principal()?).await?)))
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
) -> Result<(StatusCode, Json<UserDto>), AppError> {
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
    Ok((StatusCode::CREATED, Json((&u).into())))
}
