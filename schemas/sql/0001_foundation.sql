-- Foundation: tenants, people, the other modules' minimal tables the time
-- integrations link to, and the time-tracking core (entries, timesheets,
-- settings, tokens, audit log, webhook outbox).

CREATE EXTENSION IF NOT EXISTS btree_gist;

-- Opaque, random, prefixed identifiers: the same string in API, payloads, DB.
CREATE OR REPLACE FUNCTION wt_id(prefix text) RETURNS text
LANGUAGE sql VOLATILE AS $$
  SELECT prefix || '_' || replace(gen_random_uuid()::text, '-', '')
$$;

CREATE TABLE workspaces (
  id         text PRIMARY KEY DEFAULT wt_id('ws'),
  name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  plan       text NOT NULL DEFAULT 'free' CHECK (plan IN ('free', 'pro')),
  modules    text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
  id           text PRIMARY KEY DEFAULT wt_id('u'),
  workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  email        text NOT NULL CHECK (length(email) BETWEEN 3 AND 320),
  name         text NOT NULL DEFAULT '',
  role         text NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'manager', 'admin')),
  created_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workspace_id, email),
  UNIQUE (workspace_id, id)
);

-- Personal API tokens: only a SHA-256 of the secret is kept.
CREATE TABLE api_tokens (
  id           text PRIMARY KEY DEFAULT wt_id('tok'),
  workspace_id text NOT NULL,
  user_id      text NOT NULL,
  name         text NOT NULL DEFAULT '',
  secret_hash  text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at   timestamptz,
  FOREIGN KEY (workspace_id, user_id) REFERENCES users(workspace_id, id) ON DELETE CASCADE
);

CREATE TABLE time_tracking_settings (
  workspace_id              text PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
  week_start_dow            smallint NOT NULL DEFAULT 1 CHECK (week_start_dow BETWEEN 0 AND 6),
  timezone                  text NOT NULL DEFAULT 'UTC',
  default_weekly_hours      numeric(6,2) NOT NULL DEFAULT 40 CHECK (default_weekly_hours >= 0 AND default_weekly_hours <= 168),
  runaway_timer_hours       numeric(6,2) NOT NULL DEFAULT 12 CHECK (runaway_timer_hours > 0 AND runaway_timer_hours <= 168),
  auto_submit_dow           smallint CHECK (auto_submit_dow BETWEEN 0 AND 6),
  reminder_min_daily_hours  numeric(6,2) CHECK (reminder_min_daily_hours >= 0 AND reminder_min_daily_hours <= 24),
  reminder_min_weekly_hours numeric(6,2) CHECK (reminder_min_weekly_hours >= 0 AND reminder_min_weekly_hours <= 168),
  rounding_mode             text NOT NULL DEFAULT 'none' CHECK (rounding_mode IN ('none', 'up', 'down', 'nearest')),
  rounding_minutes          smallint NOT NULL DEFAULT 15 CHECK (rounding_minutes BETWEEN 1 AND 60),
  default_currency          text NOT NULL DEFAULT 'USD' CHECK (default_currency ~ '^[A-Z]{3}$'),
  default_hourly_rate       bigint NOT NULL DEFAULT 0 CHECK (default_hourly_rate >= 0),
  updated_at                timestamptz NOT NULL DEFAULT now()
);

-- The other modules' tables, as far as time tracking needs them.
CREATE TABLE employees (
  id           text PRIMARY KEY DEFAULT wt_id('emp'),
  workspace_id text NOT NULL,
  user_id      text NOT NULL,
  weekly_hours numeric(6,2) NOT NULL CHECK (weekly_hours >= 0 AND weekly_hours <= 168),
  UNIQUE (workspace_id, user_id),
  FOREIGN KEY (workspace_id, user_id) REFERENCES users(workspace_id, id) ON DELETE CASCADE
);

CREATE TABLE contacts (
  id           text PRIMARY KEY DEFAULT wt_id('ct'),
  workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name         text NOT NULL,
  email        text,
  UNIQUE (workspace_id, id)
);

CREATE TABLE projects (
  id                text PRIMARY KEY DEFAULT wt_id('prj'),
  workspace_id      text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name              text NOT NULL,
  contact_id        text REFERENCES contacts(id) ON DELETE SET NULL,
  billable          boolean NOT NULL DEFAULT true,
  budget_amount     bigint CHECK (budget_amount >= 0),
  currency          text NOT NULL DEFAULT 'USD',
  time_budget_hours numeric(10,2) CHECK (time_budget_hours >= 0),
  created_at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workspace_id, id)
);

CREATE TABLE tasks (
  id             text PRIMARY KEY DEFAULT wt_id('tsk'),
  workspace_id   text NOT NULL,
  project_id     text NOT NULL,
  title          text NOT NULL,
  estimate_hours numeric(10,2) CHECK (estimate_hours >= 0),
  UNIQUE (workspace_id, id),
  FOREIGN KEY (workspace_id, project_id) REFERENCES projects(workspace_id, id) ON DELETE CASCADE
);

CREATE TABLE tickets (
  id           text PRIMARY KEY DEFAULT wt_id('tkt'),
  workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  subject      text NOT NULL,
  contact_id   text REFERENCES contacts(id) ON DELETE SET NULL,
  project_id   text REFERENCES projects(id) ON DELETE SET NULL,
  UNIQUE (workspace_id, id)
);

CREATE TABLE deals (
  id           text PRIMARY KEY DEFAULT wt_id('deal'),
  workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name         text NOT NULL,
  contact_id   text REFERENCES contacts(id) ON DELETE SET NULL,
  UNIQUE (workspace_id, id)
);

CREATE TABLE candidates (
  id           text PRIMARY KEY DEFAULT wt_id('cand'),
  workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name         text NOT NULL,
  stage        text NOT NULL DEFAULT 'applied',
  UNIQUE (workspace_id, id)
);

CREATE TABLE candidate_stage_history (
  workspace_id text NOT NULL,
  candidate_id text NOT NULL,
  stage        text NOT NULL,
  entered_at   timestamptz NOT NULL,
  PRIMARY KEY (candidate_id, entered_at),
  FOREIGN KEY (workspace_id, candidate_id) REFERENCES candidates(workspace_id, id) ON DELETE CASCADE
);

CREATE TABLE calendar_events (
  id           text PRIMARY KEY DEFAULT wt_id('cal'),
  workspace_id text NOT NULL,
  user_id      text NOT NULL,
  title        text NOT NULL,
  starts_at    timestamptz NOT NULL,
  ends_at      timestamptz NOT NULL CHECK (ends_at > starts_at),
  entity_type  text,
  entity_id    text,
  UNIQUE (workspace_id, id),
  FOREIGN KEY (workspace_id, user_id) REFERENCES users(workspace_id, id) ON DELETE CASCADE
);

CREATE TABLE conversations (
  id           text PRIMARY KEY DEFAULT wt_id('conv'),
  workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  subject      text NOT NULL,
  contact_id   text REFERENCES contacts(id) ON DELETE SET NULL,
  UNIQUE (workspace_id, id)
);

CREATE TABLE invoices (
  id           text PRIMARY KEY DEFAULT wt_id('inv'),
  workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  number       text NOT NULL,
  contact_id   text REFERENCES contacts(id) ON DELETE SET NULL,
  status       text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'sent', 'paid', 'void')),
  currency     text NOT NULL DEFAULT 'USD',
  created_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workspace_id, number),
  UNIQUE (workspace_id, id)
);

CREATE TABLE invoice_lines (
  id           text PRIMARY KEY DEFAULT wt_id('il'),
  workspace_id text NOT NULL,
  invoice_id   text NOT NULL,
  description  text NOT NULL,
  seconds      bigint NOT NULL DEFAULT 0,
  unit_amount  bigint NOT NULL DEFAULT 0,
  amount       bigint NOT NULL DEFAULT 0,
  created_at   timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (workspace_id, invoice_id) REFERENCES invoices(workspace_id, id) ON DELETE CASCADE
);

-- One timesheet per user and period; the period is frozen on the row and two
-- periods of one user never overlap, whatever the week start was when made.
CREATE TABLE timesheets (
  id               text PRIMARY KEY DEFAULT wt_id('ts'),
  workspace_id     text NOT NULL,
  user_id          text NOT NULL,
  period_start     date NOT NULL,
  period_end       date NOT NULL CHECK (period_end >= period_start),
  status           text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'submitted', 'approved', 'rejected')),
  notes            text NOT NULL DEFAULT '',
  submitted_at     timestamptz,
  submitted_by     text,
  approved_at      timestamptz,
  approved_by      text,
  rejected_at      timestamptz,
  rejected_by      text,
  rejection_reason text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (workspace_id, user_id) REFERENCES users(workspace_id, id) ON DELETE CASCADE,
  EXCLUDE USING gist (workspace_id WITH =, user_id WITH =, daterange(period_start, period_end, '[]') WITH &&)
);
CREATE INDEX timesheets_ws_status ON timesheets (workspace_id, status, period_start);

CREATE TABLE time_entries (
  id              text PRIMARY KEY DEFAULT wt_id('te'),
  workspace_id    text NOT NULL,
  user_id         text NOT NULL,
  entity_type     text NOT NULL CHECK (entity_type IN ('task', 'ticket', 'deal', 'candidate', 'calendar_event', 'conversation', 'project')),
  entity_id       text,
  project_id      text,
  description     text NOT NULL DEFAULT '',
  log_date        date NOT NULL,
  duration_seconds integer CHECK (duration_seconds >= 0),
  started_at      timestamptz,
  ended_at        timestamptz,
  billable        boolean NOT NULL DEFAULT true,
  timesheet_id    text NOT NULL REFERENCES timesheets(id),
  invoice_line_id text REFERENCES invoice_lines(id) ON DELETE SET NULL,
  hourly_rate     bigint,
  currency        text,
  source          text NOT NULL DEFAULT 'api',
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  deleted_at      timestamptz,
  FOREIGN KEY (workspace_id, user_id) REFERENCES users(workspace_id, id) ON DELETE CASCADE,
  FOREIGN KEY (workspace_id, project_id) REFERENCES projects(workspace_id, id),
  -- a manual entry has a duration in (0, 24h]; a timer entry has a start, and a duration once stopped
  CHECK (started_at IS NOT NULL OR (duration_seconds > 0 AND duration_seconds <= 86400)),
  CHECK (ended_at IS NULL OR (started_at IS NOT NULL AND ended_at >= started_at AND duration_seconds IS NOT NULL)),
  CHECK (started_at IS NULL OR ended_at IS NOT NULL OR duration_seconds IS NULL)
);
-- The database itself keeps at most one running timer per user.
CREATE UNIQUE INDEX time_entries_one_running ON time_entries (workspace_id, user_id)
  WHERE started_at IS NOT NULL AND ended_at IS NULL AND deleted_at IS NULL;
CREATE INDEX time_entries_ws_date ON time_entries (workspace_id, log_date) WHERE deleted_at IS NULL;
CREATE INDEX time_entries_ws_user_date ON time_entries (workspace_id, user_id, log_date) WHERE deleted_at IS NULL;
CREATE INDEX time_entries_ws_entity ON time_entries (workspace_id, entity_type, entity_id) WHERE deleted_at IS NULL;
CREATE INDEX time_entries_ws_project ON time_entries (workspace_id, project_id) WHERE deleted_at IS NULL;
CREATE INDEX time_entries_timesheet ON time_entries (timesheet_id) WHERE deleted_at IS NULL;

CREATE TABLE audit_log (
  id           text PRIMARY KEY DEFAULT wt_id('aud'),
  workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  user_id      text,
  action       text NOT NULL,
  entity_type  text NOT NULL,
  entity_id    text,
  changes      jsonb NOT NULL DEFAULT '{}',
  ip_address   text,
  user_agent   text,
  source       text NOT NULL DEFAULT 'api',
  created_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX audit_log_ws_created ON audit_log (workspace_id, created_at);
CREATE INDEX audit_log_ws_entity ON audit_log (workspace_id, entity_type, entity_id);

-- Transactional outbox: one row per domain event, written with the change.
CREATE TABLE time_webhook_events (
  id           text PRIMARY KEY,
  workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  event        text NOT NULL,
  payload      jsonb NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX time_webhook_events_ws_created ON time_webhook_events (workspace_id, created_at);

-- ISO 8601 UTC text for API representations.
CREATE OR REPLACE FUNCTION wt_iso(t timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
$$;
