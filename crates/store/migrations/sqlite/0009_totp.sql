-- Optional second factor (TOTP) for admins and managers. The secret is stored encrypted under
-- a key outside the database (the app layer does it); `enabled` is 0 while an enrolment
-- waits for its first code; `last_step` is the last TOTP step used, so a code works once.
CREATE TABLE user_totp (
    user_id    INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    secret     TEXT NOT NULL,
    enabled    INTEGER NOT NULL DEFAULT 0,
    last_step  INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

-- Single-use recovery codes, stored as SHA-256 hashes; a used code is deleted.
CREATE TABLE totp_recovery_codes (
    user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    PRIMARY KEY (user_id, code_hash)
);

-- Logins whose password was right and that wait for a code: the hash of a random token,
-- valid for a few minutes; no session exists until the code is given.
CREATE TABLE login_pending (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL
);
