-- API tokens expire and can be revoked; both stay on record (never deleted) for the audit.
ALTER TABLE api_tokens ADD COLUMN expires_at BIGINT;
ALTER TABLE api_tokens ADD COLUMN revoked_at BIGINT;

-- Login throttling per account and client address (an attacker elsewhere cannot lock a user
-- out); an attempt is reserved before the password is checked, so concurrent tries count.
ALTER TABLE login_attempts ADD COLUMN addr TEXT NOT NULL DEFAULT '';
CREATE INDEX login_attempts_email_addr_at ON login_attempts(email, addr, at);
