//! Accounts: creating users (one set of rules for the web and the command line), logging in with
//! throttling, sessions, API tokens and the language preference.

use rumbo_domain::access::Role;
use rumbo_domain::{Invalid, Invalids};
use rumbo_store::users::NewUser;
use rumbo_store::Actor;

use crate::access::ADMINS;
use crate::credentials::{
    self, FAILURE_WINDOW_S, MAX_FAILURES, MAX_FAILURES_PER_ACCOUNT, SESSION_TTL_S,
};
use crate::model::{Session, User};
use crate::totp;
use crate::{App, Error, Principal, Result};

/// The fields of a new account.
#[derive(Debug, Clone)]
pub struct NewAccount<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: &'a str,
    pub client_id: Option<i64>,
    pub password: &'a str,
    pub lang: &'a str,
}

/// A successful login: the session token for the cookie (only its hash is stored).
#[derive(Debug, Clone)]
pub struct LoggedIn {
    pub token: String,
    pub user: User,
}

/// What a correct password leads to: a session, or (with a second factor) a login that waits
/// for a code.
#[derive(Debug, Clone)]
pub enum LoginStep {
    /// The session is open.
    Done(LoggedIn),
    /// The account has a second factor: [`App::login_with_code`] with this token and a code
    /// (or a recovery code) opens the session, within [`PENDING_LOGIN_TTL_S`] seconds.
    NeedsCode {
        /// The waiting login's token (only its hash is stored).
        pending: String,
    },
}

/// How long a login may wait for its second-factor code.
pub const PENDING_LOGIN_TTL_S: i64 = 300;

/// Roles that may enrol a second factor.
pub const TOTP_ROLES: &[Role] = &[Role::Admin, Role::Manager];

/// A second factor being enrolled: the secret (base32) to type into an authenticator app and
/// the `otpauth://` URI carrying it.
#[derive(Debug, Clone)]
pub struct TotpEnrolment {
    /// The secret in base32, to type into the app.
    pub secret: String,
    /// The `otpauth://totp/Rumbo:EMAIL?secret=…&issuer=Rumbo` URI.
    pub uri: String,
}

/// The second factor of an account, as its owner sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TotpStatus {
    /// The account's role may enrol.
    pub allowed: bool,
    /// A confirmed second factor is on (an enrolment waiting for its code is not).
    pub enabled: bool,
    /// Unused recovery codes (0 when off).
    pub recovery_codes_left: i64,
}

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// A plausible e-mail address: `user@domain.tld`, no spaces.
pub fn looks_like_email(e: &str) -> bool {
    let e = e.trim();
    matches!(e.split_once('@'), Some((u, d)) if !u.is_empty() && d.contains('.') && !d.starts_with('.') && !e.contains(' '))
}

/// Every rule a new account must meet, all problems at once.
pub fn check_new_account(a: &NewAccount<'_>) -> Result<Role, Invalids> {
    let mut errors = Vec::new();
    if !looks_like_email(a.email) {
        errors.push(Invalid::new("email", "error.email"));
    }
    if a.name.trim().is_empty() {
        errors.push(Invalid::new("user_name", "error.user.name"));
    }
    let role = Role::parse(a.role).ok();
    match role {
        None => errors.push(Invalid::new("role", "error.user.role")),
        Some(Role::ClientViewer) if a.client_id.is_none() => {
            errors.push(Invalid::new("client_id", "error.user.viewer_needs_client"))
        }
        _ => {}
    }
    if a.password.chars().count() < MIN_PASSWORD_CHARS {
        errors.push(Invalid::new("password", "error.user.password_short"));
    }
    match role {
        Some(r) if errors.is_empty() => Ok(r),
        _ => Err(Invalids(errors)),
    }
}

/// Masks an e-mail for logs (`j***@demo.cl`).
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((user, domain)) => format!("{}***@{domain}", user.chars().next().unwrap_or('*')),
        None => "***".into(),
    }
}

/// An argon2id hash of a random string, used to equalise timing for unknown accounts.
fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| credentials::hash_password(&credentials::new_token()).unwrap_or_default())
}

impl App {
    /// Creates an account. `by` is the admin doing it, or `None` for the operator at the
    /// console (`rumbo user add`). The password is hashed here and never stored or logged in
    /// clear.
    pub async fn create_user(&self, by: Option<&Principal>, a: NewAccount<'_>) -> Result<User> {
        let actor = match by {
            Some(p) => {
                p.require_role(ADMINS)?;
                p.actor()
            }
            None => Actor::system("cli"),
        };
        let role = check_new_account(&a)?;
        let hash = credentials::hash_password(a.password)
            .map_err(|e| Error::internal_msg(format!("hashing a password: {e}")))?;
        let email = a.email.trim().to_ascii_lowercase();
        Ok(self
            .store
            .create_user(
                &actor,
                NewUser {
                    email: &email,
                    name: a.name.trim(),
                    password_hash: &hash,
                    role,
                    client_id: a.client_id,
                    lang: a.lang,
                },
            )
            .await?)
    }

    /// Every account (admins only).
    pub async fn users(&self, who: &Principal) -> Result<Vec<User>> {
        who.require_role(ADMINS)?;
        Ok(self.store.users().await?)
    }

    /// Every account, for the operator at the console.
    pub async fn users_for_operator(&self) -> Result<Vec<User>> {
        Ok(self.store.users().await?)
    }

    /// Checks a password and opens a session, or, when the account has a second factor,
    /// a login that waits for its code ([`LoginStep::NeedsCode`]). Five failures for one account from one client
    /// address within a minute (or 50 from anywhere) throttle further tries
    /// ([`Error::Throttled`]) without locking the account out for its owner elsewhere; a wrong
    /// e-mail or password is [`Error::Unauthenticated`], indistinguishable by answer or timing.
    pub async fn login(&self, email: &str, password: &str, addr: &str) -> Result<LoginStep> {
        let email = email.trim().to_ascii_lowercase();
        let Some(attempt) = self
            .store
            .reserve_login_attempt(
                &email,
                addr,
                FAILURE_WINDOW_S,
                MAX_FAILURES,
                MAX_FAILURES_PER_ACCOUNT,
            )
            .await?
        else {
            tracing::warn!(email = %mask_email(&email), "login throttled");
            return Err(Error::Throttled);
        };
        let user = self.store.user_by_email(&email).await.ok();
        let ok = match &user {
            Some(u) => u.user.active && credentials::verify_password(password, &u.password_hash),
            None => {
                let _ = credentials::verify_password(password, dummy_hash());
                false
            }
        };
        let Some(u) = user.filter(|_| ok) else {
            tracing::info!(email = %mask_email(&email), "login failed");
            return Err(Error::Unauthenticated);
        };
        self.store.login_succeeded(attempt).await?;
        if self.store.totp(u.user.id).await?.is_some_and(|t| t.enabled) {
            let pending = credentials::new_token();
            self.store
                .create_pending_login(
                    &credentials::token_hash(&pending),
                    u.user.id,
                    PENDING_LOGIN_TTL_S,
                )
                .await?;
            tracing::info!(
                user_id = u.user.id,
                "password accepted, waiting for the code"
            );
            return Ok(LoginStep::NeedsCode { pending });
        }
        self.open_session(u.user).await.map(LoginStep::Done)
    }

    /// Second step of a login with a second factor: the token of the waiting login and a
    /// current code (each code works once) or an unused recovery code. Wrong codes count as
    /// failed logins of the account and address ([`Error::Throttled`] past the limit); an
    /// unknown or expired token is [`Error::Unauthenticated`].
    pub async fn login_with_code(&self, pending: &str, code: &str, addr: &str) -> Result<LoggedIn> {
        let pending_hash = credentials::token_hash(pending.trim());
        let Some(u) = self.store.pending_login(&pending_hash).await? else {
            return Err(Error::Unauthenticated);
        };
        let Some(attempt) = self
            .store
            .reserve_login_attempt(
                &u.user.email,
                addr,
                FAILURE_WINDOW_S,
                MAX_FAILURES,
                MAX_FAILURES_PER_ACCOUNT,
            )
            .await?
        else {
            tracing::warn!(email = %mask_email(&u.user.email), "second factor throttled");
            return Err(Error::Throttled);
        };
        if !self.check_second_factor(u.user.id, code).await? {
            tracing::info!(user_id = u.user.id, "wrong second-factor code");
            return Err(Error::Unauthenticated);
        }
        if !self.store.delete_pending_login(&pending_hash).await? {
            return Err(Error::Unauthenticated);
        }
        self.store.login_succeeded(attempt).await?;
        self.open_session(u.user).await
    }

    /// Checks a TOTP code (using its step) or a recovery code (using it up).
    async fn check_second_factor(&self, user_id: i64, code: &str) -> Result<bool> {
        let Some(t) = self.store.totp(user_id).await?.filter(|t| t.enabled) else {
            return Ok(false);
        };
        let code = code.trim();
        if code.len() == totp::DIGITS as usize {
            let secret = self.open_totp_secret(user_id, &t.secret).await?;
            let now = totp::step_at(rumbo_store::now());
            return Ok(match totp::matching_step(&secret, code, now) {
                Some(step) => self.store.use_totp_step(user_id, step).await?,
                None => false,
            });
        }
        let normal = totp::normalise_recovery_code(code);
        if normal.is_empty() {
            return Ok(false);
        }
        let used = self
            .store
            .use_recovery_code(user_id, &credentials::token_hash(&normal))
            .await?;
        if used {
            tracing::info!(user_id, "recovery code used");
        }
        Ok(used)
    }

    async fn open_session(&self, user: User) -> Result<LoggedIn> {
        let token = credentials::new_token();
        let csrf = credentials::new_token();
        self.store
            .create_session(
                &credentials::token_hash(&token),
                user.id,
                &csrf,
                SESSION_TTL_S,
            )
            .await?;
        tracing::info!(user_id = user.id, "login");
        Ok(LoggedIn { token, user })
    }

    /// The live session whose token hashes to `token_hash`.
    pub async fn session(&self, token_hash: &str) -> Result<Option<Session>> {
        Ok(self.store.session(token_hash).await?)
    }

    /// Ends the session whose token hashes to `token_hash`.
    pub async fn logout(&self, token_hash: &str) -> Result<()> {
        Ok(self.store.delete_session(token_hash).await?)
    }

    /// The user an API bearer token belongs to.
    pub async fn user_by_api_token(&self, token: &str) -> Result<Option<User>> {
        Ok(self
            .store
            .user_by_api_token(&credentials::token_hash(token.trim()))
            .await?)
    }

    /// A new API token for the account `email` (the operator at the console), valid for
    /// `valid_days` days; shown once.
    pub async fn create_api_token(
        &self,
        email: &str,
        name: &str,
        valid_days: u32,
    ) -> Result<String> {
        let u = self
            .store
            .user_by_email(&email.trim().to_ascii_lowercase())
            .await?;
        let token = credentials::new_token();
        let expires = rumbo_store::now() + i64::from(valid_days.max(1)) * 86_400;
        self.store
            .create_api_token_until(
                &Actor::system("cli"),
                u.user.id,
                &credentials::token_hash(&token),
                name,
                Some(expires),
            )
            .await?;
        Ok(token)
    }

    /// Revokes the account's live API tokens named `name` (all of them without a name), as the
    /// operator at the console; returns how many.
    pub async fn revoke_api_tokens(&self, email: &str, name: Option<&str>) -> Result<u64> {
        let u = self
            .store
            .user_by_email(&email.trim().to_ascii_lowercase())
            .await?;
        Ok(self
            .store
            .revoke_api_tokens(&Actor::system("cli"), u.user.id, name)
            .await?)
    }

    /// Deactivates or reactivates an account as the operator: a deactivated account cannot
    /// log in, its sessions end at once and its tokens stop working.
    pub async fn set_account_active(&self, email: &str, active: bool) -> Result<()> {
        let u = self
            .store
            .user_by_email(&email.trim().to_ascii_lowercase())
            .await?;
        Ok(self
            .store
            .set_user_active(&Actor::system("cli"), u.user.id, active)
            .await?)
    }

    /// Sets a new password for the account `email`, as the operator at the console
    /// (`rumbo user password`): the same length rule as new accounts; every session of the
    /// account ends.
    pub async fn set_password_as_operator(&self, email: &str, password: &str) -> Result<()> {
        let u = self
            .store
            .user_by_email(&email.trim().to_ascii_lowercase())
            .await?;
        self.set_password(&Actor::system("cli"), u.user.id, password, None)
            .await
    }

    /// Changes the principal's own password after checking the current one; the session
    /// that asked (`keep`, its token hash) stays open, every other one ends.
    pub async fn change_own_password(
        &self,
        who: &Principal,
        current: &str,
        new: &str,
        keep: Option<&str>,
    ) -> Result<()> {
        let u = self.store.user_by_email(&who.email).await?;
        if !credentials::verify_password(current, &u.password_hash) {
            return Err(Error::invalid("current_password", "error.password.current"));
        }
        self.set_password(&who.actor(), u.user.id, new, keep).await
    }

    /// Sets a new password for account `user_id` (admins); its sessions end.
    pub async fn reset_password(&self, who: &Principal, user_id: i64, new: &str) -> Result<()> {
        who.require_role(ADMINS)?;
        self.set_password(&who.actor(), user_id, new, None).await
    }

    async fn set_password(
        &self,
        actor: &Actor,
        user_id: i64,
        password: &str,
        keep: Option<&str>,
    ) -> Result<()> {
        if password.chars().count() < MIN_PASSWORD_CHARS {
            return Err(Error::invalid("new_password", "error.user.password_short"));
        }
        let hash = credentials::hash_password(password)
            .map_err(|e| Error::internal_msg(format!("hashing a password: {e}")))?;
        self.store
            .change_password(actor, user_id, &hash, keep)
            .await?;
        tracing::info!(user_id, by = %actor.label, "password changed");
        Ok(())
    }

    /// The principal's second factor.
    pub async fn totp_status(&self, who: &Principal) -> Result<TotpStatus> {
        let t = self.store.totp(who.user_id).await?;
        let enabled = t.is_some_and(|t| t.enabled);
        Ok(TotpStatus {
            allowed: TOTP_ROLES.contains(&who.role),
            enabled,
            recovery_codes_left: if enabled {
                self.store.recovery_codes_left(who.user_id).await?
            } else {
                0
            },
        })
    }

    /// Starts enrolling a second factor for the principal (admins and managers only): a new
    /// secret, kept until [`App::confirm_totp`] receives a code of it. Refused while one is
    /// enabled.
    pub async fn begin_totp(&self, who: &Principal) -> Result<TotpEnrolment> {
        if !TOTP_ROLES.contains(&who.role) {
            return Err(Error::invalid("code", "totp.error.role"));
        }
        let secret = totp::new_secret();
        let sealed = self.seal_totp_secret(who.user_id, &secret).await?;
        match self.store.begin_totp(who.user_id, &sealed).await {
            Err(rumbo_store::StoreError::Conflict(_)) => {
                return Err(Error::invalid("code", "totp.error.already"))
            }
            r => r?,
        }
        Ok(TotpEnrolment {
            uri: totp::otpauth_uri(&who.email, &secret),
            secret,
        })
    }

    /// The principal's enrolment that waits for its confirming code, if any (to show the
    /// secret again until it is confirmed).
    pub async fn totp_enrolment(&self, who: &Principal) -> Result<Option<TotpEnrolment>> {
        let Some(t) = self.store.totp(who.user_id).await?.filter(|t| !t.enabled) else {
            return Ok(None);
        };
        let secret = totp::base32_encode(&self.open_totp_secret(who.user_id, &t.secret).await?);
        Ok(Some(TotpEnrolment {
            uri: totp::otpauth_uri(&who.email, &secret),
            secret,
        }))
    }

    /// Confirms the enrolment with a current code of the new secret and enables the second
    /// factor; returns the recovery codes, shown once (only their hashes are kept).
    pub async fn confirm_totp(&self, who: &Principal, code: &str) -> Result<Vec<String>> {
        let Some(t) = self.store.totp(who.user_id).await?.filter(|t| !t.enabled) else {
            return Err(Error::invalid("code", "totp.error.no_enrolment"));
        };
        let secret = self.open_totp_secret(who.user_id, &t.secret).await?;
        let now = totp::step_at(rumbo_store::now());
        let Some(step) = totp::matching_step(&secret, code, now) else {
            return Err(Error::invalid("code", "totp.error.code"));
        };
        let codes = totp::new_recovery_codes();
        let hashes: Vec<String> = codes
            .iter()
            .map(|c| credentials::token_hash(&totp::normalise_recovery_code(c)))
            .collect();
        if !self
            .store
            .enable_totp(&who.actor(), who.user_id, step, &hashes)
            .await?
        {
            return Err(Error::invalid("code", "totp.error.no_enrolment"));
        }
        tracing::info!(user_id = who.user_id, "second factor enabled");
        Ok(codes)
    }

    /// Turns the principal's own second factor off, with the password and a current code (or
    /// a recovery code).
    pub async fn disable_own_totp(
        &self,
        who: &Principal,
        password: &str,
        code: &str,
    ) -> Result<()> {
        let u = self.store.user_by_email(&who.email).await?;
        if !credentials::verify_password(password, &u.password_hash) {
            return Err(Error::invalid("current_password", "error.password.current"));
        }
        if !self.check_second_factor(who.user_id, code).await? {
            return Err(Error::invalid("code", "totp.error.code"));
        }
        self.store.remove_totp(&who.actor(), who.user_id).await?;
        tracing::info!(user_id = who.user_id, "second factor disabled");
        Ok(())
    }

    /// Removes account `user_id`'s second factor (admins), recorded in the audit log; false
    /// when it had none.
    pub async fn reset_totp(&self, who: &Principal, user_id: i64) -> Result<bool> {
        who.require_role(ADMINS)?;
        let removed = self.store.remove_totp(&who.actor(), user_id).await?;
        tracing::info!(user_id, by = %who.email, removed, "second factor reset");
        Ok(removed)
    }

    /// Removes the second factor of the account `email`, as the operator at the console
    /// (`rumbo user totp-reset`); false when it had none.
    pub async fn reset_totp_as_operator(&self, email: &str) -> Result<bool> {
        let u = self
            .store
            .user_by_email(&email.trim().to_ascii_lowercase())
            .await?;
        let removed = self
            .store
            .remove_totp(&Actor::system("cli"), u.user.id)
            .await?;
        tracing::info!(
            user_id = u.user.id,
            removed,
            "second factor reset by the operator"
        );
        Ok(removed)
    }

    /// Encrypts a base32 TOTP secret for the database: XOR with HMAC-SHA256 under the current
    /// caller key (outside the database) of the account id and a random nonce, stored as
    /// `v<version>:<nonce hex>:<ciphertext hex>`.
    async fn seal_totp_secret(&self, user_id: i64, secret: &str) -> Result<String> {
        let raw = totp::base32_decode(secret)
            .ok_or_else(|| Error::internal_msg("a fresh TOTP secret is not base32"))?;
        let keys = self.caller_keys().await?;
        let nonce = credentials::new_token();
        let pad = secret_pad(keys.current(), user_id, &nonce);
        let ct: Vec<u8> = raw.iter().zip(pad.iter()).map(|(a, b)| a ^ b).collect();
        Ok(format!(
            "v{}:{nonce}:{}",
            keys.current_version(),
            hex::encode(ct)
        ))
    }

    /// The raw TOTP secret from its stored form.
    async fn open_totp_secret(&self, user_id: i64, stored: &str) -> Result<Vec<u8>> {
        let bad = || Error::internal_msg("a stored TOTP secret cannot be read");
        let mut parts = stored.splitn(3, ':');
        let (Some(v), Some(nonce), Some(ct)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad());
        };
        let version: u32 = v
            .strip_prefix('v')
            .and_then(|v| v.parse().ok())
            .ok_or_else(bad)?;
        let ct = hex::decode(ct).map_err(|_| bad())?;
        let keys = self.caller_keys().await?;
        let key = keys.key(version).ok_or_else(bad)?;
        let pad = secret_pad(key, user_id, nonce);
        if ct.len() > pad.len() {
            return Err(bad());
        }
        Ok(ct.iter().zip(pad.iter()).map(|(a, b)| a ^ b).collect())
    }

    /// Remembers the user's language.
    pub async fn set_language(&self, user_id: i64, lang: &str) -> Result<()> {
        Ok(self.store.set_user_lang(user_id, lang).await?)
    }
}

/// The key stream that hides a TOTP secret: HMAC-SHA256 of a label, the account id and the
/// nonce under a key kept outside the database.
fn secret_pad(key: &[u8], user_id: i64, nonce: &str) -> [u8; 32] {
    use hmac::{Hmac, Mac};
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(key) else {
        unreachable!("HMAC accepts keys of any length")
    };
    mac.update(b"rumbo totp secret\0");
    mac.update(&user_id.to_be_bytes());
    mac.update(nonce.as_bytes());
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account<'a>(email: &'a str, role: &'a str, password: &'a str) -> NewAccount<'a> {
        NewAccount {
            email,
            name: "Ana",
            role,
            client_id: None,
            password,
            lang: "es",
        }
    }

    #[test]
    fn a_valid_account_passes_the_rules() {
        let r = check_new_account(&account("ana@bpo.cl", "manager", "0123456789"));
        assert_eq!(r, Ok(Role::Manager));
    }

    #[test]
    fn every_broken_rule_is_reported_at_once() {
        let e = check_new_account(&account("not-an-email", "boss", "short")).unwrap_err();
        let fields: Vec<_> = e.0.iter().map(|i| i.field).collect();
        assert_eq!(fields, ["email", "role", "password"]);
    }

    #[test]
    fn a_client_viewer_needs_a_client() {
        let e = check_new_account(&account("c@x.cl", "client_viewer", "0123456789")).unwrap_err();
        assert_eq!(e.0[0].key, "error.user.viewer_needs_client");
    }

    #[test]
    fn emails_are_masked_in_logs() {
        assert_eq!(mask_email("jefa@demo.cl"), "j***@demo.cl");
        assert_eq!(mask_email("nonsense"), "***");
    }
}
