-- Crons: what each daily job did, in-app notifications, the email outbox and
-- the budget thresholds already announced.

-- One row per job and UTC day. A run that finished is the day's answer: running
-- the job again that day returns this row instead of doing the work twice.
CREATE TABLE cron_runs (
  job         text NOT NULL,
  run_date    date NOT NULL,
  status      text NOT NULL CHECK (status IN ('succeeded', 'failed')),
  run_now     timestamptz NOT NULL,
  counts      jsonb NOT NULL DEFAULT '{}',
  errors      jsonb NOT NULL DEFAULT '[]',
  details     jsonb NOT NULL DEFAULT '{}',
  attempts    integer NOT NULL DEFAULT 1,
  started_at  timestamptz NOT NULL,
  finished_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (job, run_date)
);

-- In-app notifications. dedupe_key makes a cron's notice idempotent: the same
-- key in a workspace is stored once, however often the job runs.
CREATE TABLE notifications (
  id           text PRIMARY KEY DEFAULT wt_id('ntf'),
  workspace_id text NOT NULL,
  user_id      text NOT NULL,
  kind         text NOT NULL,
  title        text NOT NULL,
  body         text NOT NULL DEFAULT '',
  data         jsonb NOT NULL DEFAULT '{}',
  dedupe_key   text,
  read_at      timestamptz,
  created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
  FOREIGN KEY (workspace_id, user_id) REFERENCES users(workspace_id, id) ON DELETE CASCADE,
  UNIQUE (workspace_id, dedupe_key)
);
CREATE INDEX notifications_user ON notifications (workspace_id, user_id, created_at DESC, id);

-- Every email is written here first, in the transaction that decided to send
-- it; a mailer delivers pending rows over SMTP when one is configured, so
-- nothing is lost and a key is never mailed twice.
CREATE TABLE email_outbox (
  id              text PRIMARY KEY DEFAULT wt_id('eml'),
  workspace_id    text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  to_address      text NOT NULL,
  subject         text NOT NULL,
  body_text       text NOT NULL,
  body_html       text NOT NULL,
  attachment_name text,
  attachment_type text,
  attachment      text,
  dedupe_key      text,
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
  attempts        integer NOT NULL DEFAULT 0,
  last_error      text,
  last_attempt_at timestamptz,
  created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
  sent_at         timestamptz,
  UNIQUE (workspace_id, dedupe_key)
);
CREATE INDEX email_outbox_pending ON email_outbox (created_at) WHERE status = 'pending';

-- Budget thresholds (80 and 100 %) a project has crossed and been announced.
CREATE TABLE time_budget_alerts (
  workspace_id text NOT NULL,
  project_id   text NOT NULL,
  threshold    smallint NOT NULL CHECK (threshold IN (80, 100)),
  hours        numeric(12,4) NOT NULL,
  budget_hours numeric(10,2) NOT NULL,
  alerted_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (workspace_id, project_id, threshold),
  FOREIGN KEY (workspace_id, project_id) REFERENCES projects(workspace_id, id) ON DELETE CASCADE
);
