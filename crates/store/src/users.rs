//! User accounts, sessions, API tokens, login attempts and the people of the organisation.
//!
//! Secrets are never stored in clear: passwords arrive already hashed (argon2id, by the server
//! crate) and session/API tokens are stored as SHA-256 hashes.

use rumbo_domain::access::Role;
use serde_json::json;
use sqlx::any::AnyRow;

use crate::audit::{self, Actor, Change};
use crate::{col, now, parsed_col, Result, Store, StoreError};

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub client_id: Option<i64>,
    pub lang: String,
    pub active: bool,
}

/// A user with the stored password hash, for login only.
#[derive(Debug, Clone)]
pub struct UserWithHash {
    pub user: User,
    pub password_hash: String,
}

/// A live session: the user and the CSRF token bound to it.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub csrf: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
    pub org_role: String,
}

pub(crate) fn user_row(r: &AnyRow) -> Result<User> {
    let active: i64 = col(r, "active")?;
    Ok(User {
        id: col(r, "id")?,
        email: col(r, "email")?,
        name: col(r, "name")?,
        role: parsed_col(r, "role")?,
        client_id: col(r, "client_id")?,
        lang: col(r, "lang")?,
        active: active != 0,
    })
}

/// The fields of a new account.
pub struct NewUser<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
    pub client_id: Option<i64>,
    pub lang: &'a str,
}

impl Store {
    pub async fn create_user(&self, actor: &Actor, u: NewUser<'_>) -> Result<User> {
        let mut tx = self.write_tx().await?;
        if let Some(c) = u.client_id {
            let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM clients WHERE id = $1")
                .bind(c)
                .fetch_optional(&mut *tx)
                .await?;
            if exists.is_none() {
                return Err(StoreError::UnknownReference("client"));
            }
        }
        let email = u.email.trim().to_ascii_lowercase();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (email, name, password_hash, role, client_id, lang, active, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, 1, $7) RETURNING id",
        )
        .bind(&email)
        .bind(u.name.trim())
        .bind(u.password_hash)
        .bind(u.role.as_str())
        .bind(u.client_id)
        .bind(u.lang)
        .bind(now())
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            if StoreError::is_unique_violation(&e) {
                StoreError::Conflict("user.email")
            } else {
                e.into()
            }
        })?;
        let user = User {
            id,
            email,
            name: u.name.trim().to_string(),
            role: u.role,
            client_id: u.client_id,
            lang: u.lang.to_string(),
            active: true,
        };
        audit::record(
            &mut tx,
            actor,
            Change {
                entity: "user",
                entity_id: id.to_string(),
                programme_id: None,
                action: "create",
                before: None,
                after: Some(json!({
                    "id": user.id,
                    "email": user.email,
                    "name": user.name,
                    "role": user.role.as_str(),
                    "client_id": user.client_id,
                    "lang": user.lang,
                    "active": user.active,
                })),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(user)
    }

    pub async fn users(&self) -> Result<Vec<User>> {
        let rows = sqlx::query("SELECT * FROM users ORDER BY email")
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(user_row).collect()
    }

    pub async fn user_by_email(&self, email: &str) -> Result<UserWithHash> {
        let r = sqlx::query("SELECT * FROM users WHERE email = $1")
            .bind(email.trim().to_ascii_lowercase())
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(UserWithHash {
            user: user_row(&r)?,
            password_hash: col(&r, "password_hash")?,
        })
    }

    pub async fn set_user_lang(&self, user_id: i64, lang: &str) -> Result<()> {
        sqlx::query("UPDATE users SET lang = $1 WHERE id = $2")
            .bind(lang)
            .bind(user_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn set_password_hash(&self, user_id: i64, hash: &str) -> Result<()> {
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(user_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    // --- sessions -------------------------------------------------------------------------

    /// Sets a new password hash, ends the user's sessions except `keep` (the session that made
    /// the change, if any), and records the change (never the hash) in the audit log, in one
    /// transaction.
    pub async fn change_password(
        &self,
        actor: &Actor,
        user_id: i64,
        hash: &str,
        keep: Option<&str>,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let n = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
            .bind(user_id)
            .bind(keep.unwrap_or(""))
            .execute(&mut *tx)
            .await?;
        audit::record(
            &mut tx,
            actor,
            Change {
                entity: "user",
                entity_id: user_id.to_string(),
                programme_id: None,
                action: "update",
                before: None,
                after: Some(serde_json::json!({ "password": "changed" })),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf: &str,
        ttl_s: i64,
    ) -> Result<()> {
        let t = now();
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(csrf)
        .bind(t)
        .bind(t + ttl_s)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The session for a token hash, if it exists, has not expired and its user is active.
    pub async fn session(&self, token_hash: &str) -> Result<Option<Session>> {
        let r = sqlx::query(
            "SELECT u.*, s.csrf FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.active = 1",
        )
        .bind(token_hash)
        .bind(now())
        .fetch_optional(self.pool())
        .await?;
        r.map(|r| {
            Ok(Session {
                user: user_row(&r)?,
                csrf: col(&r, "csrf")?,
            })
        })
        .transpose()
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1 OR expires_at <= $2")
            .bind(token_hash)
            .bind(now())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    // --- API tokens -----------------------------------------------------------------------

    pub async fn create_api_token(
        &self,
        actor: &Actor,
        user_id: i64,
        token_hash: &str,
        name: &str,
    ) -> Result<i64> {
        self.create_api_token_until(actor, user_id, token_hash, name, None)
            .await
    }

    /// Creates a token that stops working at `expires_at` (epoch seconds; `None`: never).
    pub async fn create_api_token_until(
        &self,
        actor: &Actor,
        user_id: i64,
        token_hash: &str,
        name: &str,
        expires_at: Option<i64>,
    ) -> Result<i64> {
        let mut tx = self.write_tx().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO api_tokens (user_id, token_hash, name, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(user_id)
        .bind(token_hash)
        .bind(name)
        .bind(now())
        .bind(expires_at)
        .fetch_one(&mut *tx)
        .await?;
        audit::record(
            &mut tx,
            actor,
            Change {
                entity: "api_token",
                entity_id: id.to_string(),
                programme_id: None,
                action: "create",
                before: None,
                after: Some(serde_json::json!({ "user_id": user_id, "name": name })),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn user_by_api_token(&self, token_hash: &str) -> Result<Option<User>> {
        let r = sqlx::query(
            "SELECT u.* FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.token_hash = $1 AND u.active = 1 AND t.revoked_at IS NULL
               AND (t.expires_at IS NULL OR t.expires_at > $2)",
        )
        .bind(token_hash)
        .bind(now())
        .fetch_optional(self.pool())
        .await?;
        r.as_ref().map(user_row).transpose()
    }

    /// Revokes a user's live tokens (those named `name`, or all); returns how many.
    pub async fn revoke_api_tokens(
        &self,
        actor: &Actor,
        user_id: i64,
        name: Option<&str>,
    ) -> Result<u64> {
        let mut tx = self.write_tx().await?;
        let n = match name {
            Some(name) => sqlx::query(
                "UPDATE api_tokens SET revoked_at = $1
                 WHERE user_id = $2 AND revoked_at IS NULL AND name = $3",
            )
            .bind(now())
            .bind(user_id)
            .bind(name),
            None => sqlx::query(
                "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
            )
            .bind(now())
            .bind(user_id),
        }
        .execute(&mut *tx)
        .await?
        .rows_affected();
        audit::record(
            &mut tx,
            actor,
            Change {
                entity: "api_token",
                entity_id: user_id.to_string(),
                programme_id: None,
                action: "update",
                before: None,
                after: Some(serde_json::json!({ "user_id": user_id, "name": name, "revoked": n })),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Deactivates (or reactivates) an account; deactivation ends its sessions at once.
    pub async fn set_user_active(&self, actor: &Actor, user_id: i64, active: bool) -> Result<()> {
        let mut tx = self.write_tx().await?;
        sqlx::query("UPDATE users SET active = $1 WHERE id = $2")
            .bind(active as i64)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        if !active {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        }
        audit::record(
            &mut tx,
            actor,
            Change {
                entity: "user",
                entity_id: user_id.to_string(),
                programme_id: None,
                action: "update",
                before: Some(serde_json::json!({ "active": !active })),
                after: Some(serde_json::json!({ "active": active })),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    // --- login throttling -----------------------------------------------------------------

    pub async fn record_login_attempt(&self, email: &str, success: bool) -> Result<()> {
        sqlx::query("INSERT INTO login_attempts (email, at, success) VALUES ($1, $2, $3)")
            .bind(email.trim().to_ascii_lowercase())
            .bind(now())
            .bind(success as i64)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Reserves a login attempt for `email` from client address `addr`, counted as a failure
    /// until [`Store::login_succeeded`] marks it: refused (`None`) when the pair already has
    /// `per_addr` failures, or the account `per_account` failures from anywhere, in the last
    /// `window_s` seconds. The check and the reservation are one serialised write, so
    /// concurrent attempts cannot slip past the limit.
    pub async fn reserve_login_attempt(
        &self,
        email: &str,
        addr: &str,
        window_s: i64,
        per_addr: i64,
        per_account: i64,
    ) -> Result<Option<i64>> {
        let email = email.trim().to_ascii_lowercase();
        let mut tx = self.write_tx().await?;
        if self.backend() == crate::Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock(7302, hashtext($1))")
                .bind(&email)
                .execute(&mut *tx)
                .await?;
        }
        let since = now() - window_s;
        let (from_addr, all): (i64, i64) = {
            let r = sqlx::query(
                "SELECT COALESCE(SUM(CASE WHEN addr = $3 THEN 1 ELSE 0 END), 0) AS from_addr,
                        COUNT(*) AS total
                 FROM login_attempts WHERE email = $1 AND at > $2 AND success = 0",
            )
            .bind(&email)
            .bind(since)
            .bind(addr)
            .fetch_one(&mut *tx)
            .await?;
            (col(&r, "from_addr")?, col(&r, "total")?)
        };
        if from_addr >= per_addr || all >= per_account {
            return Ok(None);
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO login_attempts (email, at, success, addr) VALUES ($1, $2, 0, $3) RETURNING id",
        )
        .bind(&email)
        .bind(now())
        .bind(addr)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(id))
    }

    /// Marks a reserved attempt as a successful login.
    pub async fn login_succeeded(&self, attempt: i64) -> Result<()> {
        sqlx::query("UPDATE login_attempts SET success = 1 WHERE id = $1")
            .bind(attempt)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Failed logins for `email` in the last `window_s` seconds.
    pub async fn recent_login_failures(&self, email: &str, window_s: i64) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM login_attempts WHERE email = $1 AND at > $2 AND success = 0",
        )
        .bind(email.trim().to_ascii_lowercase())
        .bind(now() - window_s)
        .fetch_one(self.pool())
        .await?)
    }

    // --- people ---------------------------------------------------------------------------

    pub async fn people(&self) -> Result<Vec<Person>> {
        let rows = sqlx::query("SELECT * FROM people ORDER BY name")
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Person {
                    id: col(r, "id")?,
                    name: col(r, "name")?,
                    email: col(r, "email")?,
                    org_role: col(r, "org_role")?,
                })
            })
            .collect()
    }

    pub async fn create_person(
        &self,
        actor: &Actor,
        name: &str,
        email: Option<&str>,
        org_role: &str,
    ) -> Result<Person> {
        let mut tx = self.write_tx().await?;
        let email = email
            .map(|e| e.trim().to_ascii_lowercase())
            .filter(|e| !e.is_empty());
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO people (name, email, org_role, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(name.trim())
        .bind(email.clone())
        .bind(org_role.trim())
        .bind(now())
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            if StoreError::is_unique_violation(&e) {
                StoreError::Conflict("person.email")
            } else {
                e.into()
            }
        })?;
        let person = Person {
            id,
            name: name.trim().to_string(),
            email,
            org_role: org_role.trim().to_string(),
        };
        audit::record(
            &mut tx,
            actor,
            Change {
                entity: "person",
                entity_id: id.to_string(),
                programme_id: None,
                action: "create",
                before: None,
                after: Some(json!({
                    "id": person.id,
                    "name": person.name,
                    "email": person.email,
                    "org_role": person.org_role,
                })),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(person)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::fresh_store;

    #[tokio::test]
    async fn a_stored_role_that_is_no_role_is_corrupt_data() {
        let store = fresh_store().await.unwrap();
        let u = store
            .create_user(
                &Actor::system("test"),
                NewUser {
                    email: "a@b.cl",
                    name: "A",
                    password_hash: "x",
                    role: Role::Supervisor,
                    client_id: None,
                    lang: "es",
                },
            )
            .await
            .unwrap();
        assert_eq!(store.users().await.unwrap(), vec![u.clone()]);
        sqlx::query("UPDATE users SET role = 'owner' WHERE id = $1")
            .bind(u.id)
            .execute(store.pool())
            .await
            .unwrap();
        let read = store.user_by_email("a@b.cl").await;
        assert!(
            matches!(&read, Err(StoreError::Corrupt(m)) if m.contains("owner")),
            "{read:?}"
        );
    }
}
