-- API tokens expire and can be revoked; both stay on record (never deleted) for the audit.
ALTER TABLE api_tokens ADD COLUMN expires_at INTEGER;
ALTER TABLE api_tokens ADD COLUMN revoked_at INTEGER;
