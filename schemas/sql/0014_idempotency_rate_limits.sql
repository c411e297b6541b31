-- Idempotency-Key on REST writes: the answer a request got, stored in the
-- transaction of the change it made (so neither exists without the other),
-- and replayed to a retry with the same key for 24 hours. A key belongs to
-- the credential that sent it: an API token's id, or "jwt:<user id>" for a
-- session JWT. The fingerprint (SHA-256 of method, path, query and body)
-- tells a retry from another request that reuses the key.
CREATE TABLE api_idempotency_keys (
  workspace_id text NOT NULL,
  scope        text NOT NULL,
  key          text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
  fingerprint  text NOT NULL,
  method       text NOT NULL,
  path         text NOT NULL,
  status       integer NOT NULL,
  body         text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL DEFAULT now() + interval '24 hours',
  PRIMARY KEY (workspace_id, scope, key)
);
-- The bounded sweep of expired keys (each new key removes a few).
CREATE INDEX api_idempotency_keys_expires ON api_idempotency_keys (expires_at);

-- Rate limits shared by every instance: one fixed one-minute window per
-- bucket ("workspace", or "credential:<scope>"), counted by one upsert per
-- request. One row per bucket, reused from window to window, so nothing
-- piles up.
CREATE TABLE api_rate_limits (
  workspace_id text NOT NULL,
  bucket       text NOT NULL,
  window_start timestamptz NOT NULL,
  count        integer NOT NULL,
  PRIMARY KEY (workspace_id, bucket)
);
