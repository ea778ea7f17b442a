-- Credentials: users can be disabled; API tokens get a stable id, an expiry, the time of
-- their last use and a revocation time. Tokens made before expiry existed expire 90
-- days after this migration.
ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE api_tokens ADD COLUMN id INTEGER;
ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;
ALTER TABLE api_tokens ADD COLUMN last_used_at TEXT;
ALTER TABLE api_tokens ADD COLUMN revoked_at TEXT;
UPDATE api_tokens SET id = rowid,
    expires_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '+90 days');
CREATE UNIQUE INDEX api_tokens_id ON api_tokens (id);
CREATE INDEX sessions_user ON sessions (user_name);
CREATE INDEX api_tokens_user ON api_tokens (user_name);
