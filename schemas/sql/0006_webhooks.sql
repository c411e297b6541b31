-- Webhooks: subscriptions, one delivery per (event, subscription) written in
-- the same transaction as the event (see events_emit), and every attempt.

CREATE TABLE time_webhooks (
  id            text PRIMARY KEY,
  workspace_id  text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  url           text NOT NULL CHECK (length(url) BETWEEN 8 AND 2048),
  events        text[] NOT NULL CHECK (cardinality(events) > 0),
  enabled       boolean NOT NULL DEFAULT true,
  -- AES-256-GCM under a key derived from WORKESTRA_SECRET_KEY, bound to the
  -- row id; the plain secret is never stored and only shown on create.
  secret_sealed text NOT NULL,
  created_by    text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workspace_id, id)
);
-- events_emit looks up a workspace's enabled subscriptions on every change.
CREATE INDEX time_webhooks_ws_enabled ON time_webhooks (workspace_id) WHERE enabled;

CREATE TABLE time_webhook_deliveries (
  id              text PRIMARY KEY DEFAULT wt_id('dlv'),
  workspace_id    text NOT NULL,
  webhook_id      text NOT NULL,
  event_id        text NOT NULL REFERENCES time_webhook_events(id) ON DELETE CASCADE,
  event           text NOT NULL,
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts        smallint NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  -- 4 on the automatic schedule; a manual retry or a test allows one more.
  max_attempts    smallint NOT NULL DEFAULT 4 CHECK (max_attempts >= 1),
  next_attempt_at timestamptz,
  -- A dispatcher owns a delivery while lease_until is in the future; a
  -- process killed mid-delivery loses it when the lease runs out.
  lease_owner     text,
  lease_until     timestamptz,
  created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
  CHECK ((status = 'pending') = (next_attempt_at IS NOT NULL)),
  FOREIGN KEY (workspace_id, webhook_id) REFERENCES time_webhooks(workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX time_webhook_deliveries_due ON time_webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX time_webhook_deliveries_log ON time_webhook_deliveries (webhook_id, created_at DESC, id DESC);
CREATE INDEX time_webhook_deliveries_event ON time_webhook_deliveries (event_id);

CREATE TABLE time_webhook_attempts (
  delivery_id   text NOT NULL REFERENCES time_webhook_deliveries(id) ON DELETE CASCADE,
  workspace_id  text NOT NULL,
  attempt       smallint NOT NULL CHECK (attempt >= 1),
  at            timestamptz NOT NULL,
  duration_ms   integer NOT NULL CHECK (duration_ms >= 0),
  response_code smallint,
  response_body text,
  error         text,
  -- The database itself refuses a second record of the same attempt.
  PRIMARY KEY (delivery_id, attempt)
);
