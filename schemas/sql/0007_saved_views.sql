-- Saved report views: stored parameters of the summary report, emailed on a
-- schedule by the time-scheduled-reports cron. filters holds the range:
-- {"range": "last_day" | "last_week" | "last_month"} or
-- {"range": "custom", "from": "YYYY-MM-DD", "to": "YYYY-MM-DD"}. The report is
-- computed as the owner (user_id) would see it; recipients is a JSON array of
-- email addresses (validated by the core).
CREATE TABLE time_saved_views (
  id           text PRIMARY KEY DEFAULT wt_id('tsv'),
  workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  user_id      text NOT NULL,
  name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  filters      jsonb NOT NULL CHECK (jsonb_typeof(filters) = 'object'),
  recipients   jsonb NOT NULL CHECK (jsonb_typeof(recipients) = 'array'),
  schedule     text NOT NULL CHECK (schedule IN ('daily', 'weekly', 'monthly')),
  enabled      boolean NOT NULL DEFAULT true,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (workspace_id, user_id) REFERENCES users(workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX time_saved_views_owner ON time_saved_views (workspace_id, user_id, created_at, id);
CREATE INDEX time_saved_views_enabled ON time_saved_views (workspace_id) WHERE enabled;
