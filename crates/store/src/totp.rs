//! The optional second factor: each account's TOTP secret (as the app layer encrypted it), the
//! last step used, its recovery codes (SHA-256 hashes) and logins waiting for a code.

use serde_json::json;

use crate::audit::{self, Actor, Change};
use crate::users::{user_row, UserWithHash};
use crate::{col, now, Result, Store, StoreError};

/// An account's second factor as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTotp {
    /// The secret in the form the app layer stored it (encrypted).
    pub secret: String,
    /// False while the enrolment waits for its first code.
    pub enabled: bool,
    /// The last TOTP step used; only later steps are accepted.
    pub last_step: i64,
}

impl Store {
    /// The account's second factor, enabled or waiting for confirmation, if any.
    pub async fn totp(&self, user_id: i64) -> Result<Option<StoredTotp>> {
        let r = sqlx::query("SELECT secret, enabled, last_step FROM user_totp WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(self.pool())
            .await?;
        r.map(|r| {
            let enabled: i64 = col(&r, "enabled")?;
            Ok(StoredTotp {
                secret: col(&r, "secret")?,
                enabled: enabled != 0,
                last_step: col(&r, "last_step")?,
            })
        })
        .transpose()
    }

    /// Starts (or restarts) an enrolment with a new secret, not yet enabled; refused
    /// ([`StoreError::Conflict`]) when the account already has an enabled second factor.
    pub async fn begin_totp(&self, user_id: i64, secret: &str) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let enabled: Option<i64> =
            sqlx::query_scalar("SELECT enabled FROM user_totp WHERE user_id = $1")
                .bind(user_id)
                .fetch_optional(&mut *tx)
                .await?;
        match enabled {
            Some(1) => return Err(StoreError::Conflict("totp enabled")),
            Some(_) => {
                sqlx::query("UPDATE user_totp SET secret = $1, created_at = $2 WHERE user_id = $3")
                    .bind(secret)
                    .bind(now())
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
            }
            None => {
                sqlx::query(
                    "INSERT INTO user_totp (user_id, secret, enabled, last_step, created_at)
                     VALUES ($1, $2, 0, 0, $3)",
                )
                .bind(user_id)
                .bind(secret)
                .bind(now())
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Enables a waiting enrolment whose first code was of `step`, replaces the recovery codes
    /// with `recovery_hashes` and records it in the audit log; false when there was no waiting
    /// enrolment.
    pub async fn enable_totp(
        &self,
        actor: &Actor,
        user_id: i64,
        step: i64,
        recovery_hashes: &[String],
    ) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        let n = sqlx::query(
            "UPDATE user_totp SET enabled = 1, last_step = $1 WHERE user_id = $2 AND enabled = 0",
        )
        .bind(step)
        .bind(user_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM totp_recovery_codes WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        for h in recovery_hashes {
            sqlx::query("INSERT INTO totp_recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                .bind(user_id)
                .bind(h)
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
                before: Some(json!({ "totp": false })),
                after: Some(json!({ "totp": true })),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Uses TOTP step `step` of an enabled second factor: true only if it is later than every
    /// step used before (one atomic update, so a code works once even under concurrency).
    pub async fn use_totp_step(&self, user_id: i64, step: i64) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE user_totp SET last_step = $1 WHERE user_id = $2 AND enabled = 1 AND last_step < $1",
        )
        .bind(step)
        .bind(user_id)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Uses (deletes) the recovery code hashing to `code_hash`; true if it existed.
    pub async fn use_recovery_code(&self, user_id: i64, code_hash: &str) -> Result<bool> {
        let n =
            sqlx::query("DELETE FROM totp_recovery_codes WHERE user_id = $1 AND code_hash = $2")
                .bind(user_id)
                .bind(code_hash)
                .execute(self.pool())
                .await?
                .rows_affected();
        Ok(n == 1)
    }

    /// Recovery codes the account has left.
    pub async fn recovery_codes_left(&self, user_id: i64) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM totp_recovery_codes WHERE user_id = $1")
                .bind(user_id)
                .fetch_one(self.pool())
                .await?,
        )
    }

    /// Removes the account's second factor, its recovery codes and its waiting logins, and
    /// records it in the audit log when there was an enabled one; false when there was none.
    pub async fn remove_totp(&self, actor: &Actor, user_id: i64) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        let enabled: Option<i64> =
            sqlx::query_scalar("SELECT enabled FROM user_totp WHERE user_id = $1")
                .bind(user_id)
                .fetch_optional(&mut *tx)
                .await?;
        for sql in [
            "DELETE FROM user_totp WHERE user_id = $1",
            "DELETE FROM totp_recovery_codes WHERE user_id = $1",
            "DELETE FROM login_pending WHERE user_id = $1",
        ] {
            sqlx::query(sql).bind(user_id).execute(&mut *tx).await?;
        }
        let was_enabled = enabled == Some(1);
        if was_enabled {
            audit::record(
                &mut tx,
                actor,
                Change {
                    entity: "user",
                    entity_id: user_id.to_string(),
                    programme_id: None,
                    action: "update",
                    before: Some(json!({ "totp": true })),
                    after: Some(json!({ "totp": false })),
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(was_enabled)
    }

    /// Records a login that waits for its code (the hash of its token), valid `ttl_s`
    /// seconds; expired ones are removed on the way.
    pub async fn create_pending_login(
        &self,
        token_hash: &str,
        user_id: i64,
        ttl_s: i64,
    ) -> Result<()> {
        let t = now();
        let mut tx = self.write_tx().await?;
        sqlx::query("DELETE FROM login_pending WHERE expires_at <= $1")
            .bind(t)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO login_pending (token_hash, user_id, expires_at) VALUES ($1, $2, $3)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(t + ttl_s)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The active account of a waiting login that has not expired.
    pub async fn pending_login(&self, token_hash: &str) -> Result<Option<UserWithHash>> {
        let r = sqlx::query(
            "SELECT u.* FROM login_pending p JOIN users u ON u.id = p.user_id
             WHERE p.token_hash = $1 AND p.expires_at > $2 AND u.active = 1",
        )
        .bind(token_hash)
        .bind(now())
        .fetch_optional(self.pool())
        .await?;
        r.map(|r| {
            Ok(UserWithHash {
                user: user_row(&r)?,
                password_hash: col(&r, "password_hash")?,
            })
        })
        .transpose()
    }

    /// Ends a waiting login; true if it was still there (so only one request completes it).
    pub async fn delete_pending_login(&self, token_hash: &str) -> Result<bool> {
        let n = sqlx::query("DELETE FROM login_pending WHERE token_hash = $1")
            .bind(token_hash)
            .execute(self.pool())
            .await?
            .rows_affected();
        Ok(n == 1)
    }
}
