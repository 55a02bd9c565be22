//! Clients (the BPO's customers) and their products.

use rumbo_domain::rut::Rut;
use serde_json::json;
use sqlx::any::AnyRow;

use crate::audit::{self, Actor, Change};
use crate::{col, now, Result, Store, StoreError};

#[derive(Debug, Clone, PartialEq)]
pub struct Client {
    pub id: i64,
    pub name: String,
    /// A company's tax id (not personal data); displays as `12.345.678-5`.
    pub rut: Rut,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    pub id: i64,
    pub client_id: i64,
    pub name: String,
    pub description: String,
}

fn client_row(r: &AnyRow) -> Result<Client> {
    let body: i64 = col(r, "rut_body")?;
    let dv: String = col(r, "rut_dv")?;
    Ok(Client {
        id: col(r, "id")?,
        name: col(r, "name")?,
        rut: Rut::parse(&format!("{body}-{dv}"))
            .map_err(|_| StoreError::Corrupt(format!("client rut {body}-{dv}")))?,
    })
}

fn product_row(r: &AnyRow) -> Result<Product> {
    Ok(Product {
        id: col(r, "id")?,
        client_id: col(r, "client_id")?,
        name: col(r, "name")?,
        description: col(r, "description")?,
    })
}

impl Store {
    pub async fn clients(&self) -> Result<Vec<Client>> {
        let rows = sqlx::query("SELECT * FROM clients ORDER BY name")
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(client_row).collect()
    }

    pub async fn client(&self, id: i64) -> Result<Client> {
        let row = sqlx::query("SELECT * FROM clients WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        client_row(&row)
    }

    /// Creates a client; a RUT already registered is a [`StoreError::Conflict`].
    pub async fn create_client(&self, actor: &Actor, name: &str, rut: Rut) -> Result<Client> {
        let mut tx = self.write_tx().await?;
        let t = now();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO clients (name, rut_body, rut_dv, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING id",
        )
        .bind(name.trim())
        .bind(rut.body() as i64)
        .bind(rut.dv().to_string())
        .bind(t)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            if StoreError::is_unique_violation(&e) {
                StoreError::Conflict("client.rut")
            } else {
                e.into()
            }
        })?;
        let client = Client {
            id,
            name: name.trim().to_string(),
            rut,
        };
        audit::record(
            &mut tx,
            actor,
            Change {
                entity: "client",
                entity_id: id.to_string(),
                programme_id: None,
                action: "create",
                before: None,
                after: Some(json!({
                    "id": client.id,
                    "name": client.name,
                    "rut": client.rut.to_string(),
                })),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(client)
    }

    pub async fn products(&self, client_id: Option<i64>) -> Result<Vec<Product>> {
        let rows = match client_id {
            Some(c) => {
                sqlx::query("SELECT * FROM products WHERE client_id = $1 ORDER BY name")
                    .bind(c)
                    .fetch_all(self.pool())
                    .await?
            }
            None => {
                sqlx::query("SELECT * FROM products ORDER BY name")
                    .fetch_all(self.pool())
                    .await?
            }
        };
        rows.iter().map(product_row).collect()
    }

    pub async fn create_product(
        &self,
        actor: &Actor,
        client_id: i64,
        name: &str,
        description: &str,
    ) -> Result<Product> {
        let mut tx = self.write_tx().await?;
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM clients WHERE id = $1")
            .bind(client_id)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(StoreError::UnknownReference("client"));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO products (client_id, name, description) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(client_id)
        .bind(name.trim())
        .bind(description.trim())
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            if StoreError::is_unique_violation(&e) {
                StoreError::Conflict("product.name")
            } else {
                e.into()
            }
        })?;
        let product = Product {
            id,
            client_id,
            name: name.trim().to_string(),
            description: description.trim().to_string(),
        };
        audit::record(
            &mut tx,
            actor,
            Change {
                entity: "product",
                entity_id: id.to_string(),
                programme_id: None,
                action: "create",
                before: None,
                after: Some(json!({
                    "id": product.id,
                    "client_id": product.client_id,
                    "name": product.name,
                    "description": product.description,
                })),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(product)
    }
}
