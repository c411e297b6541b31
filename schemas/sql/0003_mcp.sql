-- MCP and AI tools: single-use confirmation tokens and Streamable HTTP sessions.

-- A confirmation token (signed, expiring) is recorded here when it is redeemed,
-- so it runs at most once. Rows past expires_at can be deleted: an expired
-- token is refused before this table is consulted.
CREATE TABLE confirmations (
  jti          text PRIMARY KEY,
  workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  user_id      text NOT NULL,
  action       text NOT NULL,
  expires_at   timestamptz NOT NULL,
  used_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX confirmations_expires ON confirmations (expires_at);

-- MCP Streamable HTTP sessions, in the database so any instance can serve any
-- session and a restart does not end them. A session belongs to one user.
CREATE TABLE mcp_sessions (
  id               text PRIMARY KEY,
  workspace_id     text NOT NULL,
  user_id          text NOT NULL,
  protocol_version text NOT NULL,
  log_level        text NOT NULL DEFAULT 'off',
  client_info      jsonb NOT NULL DEFAULT '{}',
  created_at       timestamptz NOT NULL DEFAULT now(),
  last_seen_at     timestamptz NOT NULL DEFAULT now(),
  ended_at         timestamptz,
  FOREIGN KEY (workspace_id, user_id) REFERENCES users(workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX mcp_sessions_last_seen ON mcp_sessions (last_seen_at) WHERE ended_at IS NULL;
