-- Rates, calendar conversion and the indexes the reports need.

CREATE TABLE time_rate_overrides (
  id             text PRIMARY KEY DEFAULT wt_id('rate'),
  workspace_id   text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  user_id        text,
  project_id     text,
  entity_type    text CHECK (entity_type IN ('task', 'ticket', 'deal', 'candidate', 'calendar_event', 'conversation', 'project')),
  entity_id      text,
  hourly_rate    bigint NOT NULL CHECK (hourly_rate >= 0),
  currency       text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  effective_from date NOT NULL DEFAULT DATE '1970-01-01',
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  CHECK ((entity_type IS NULL) = (entity_id IS NULL)),
  -- a target: a user, a project, a user on a project, or one entity
  CHECK ((entity_id IS NOT NULL AND user_id IS NULL AND project_id IS NULL)
         OR (entity_id IS NULL AND (user_id IS NOT NULL OR project_id IS NOT NULL))),
  FOREIGN KEY (workspace_id, user_id) REFERENCES users(workspace_id, id) ON DELETE CASCADE,
  FOREIGN KEY (workspace_id, project_id) REFERENCES projects(workspace_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX time_rate_overrides_target ON time_rate_overrides
  (workspace_id, coalesce(user_id, ''), coalesce(project_id, ''), coalesce(entity_type, ''), coalesce(entity_id, ''), effective_from);

-- An entry made from a calendar event remembers it, so converting twice is refused.
ALTER TABLE time_entries ADD COLUMN calendar_event_id text;
CREATE UNIQUE INDEX time_entries_calendar_event ON time_entries (workspace_id, calendar_event_id)
  WHERE calendar_event_id IS NOT NULL AND deleted_at IS NULL;

-- Reports scan a workspace's live entries by date with these columns at hand.
CREATE INDEX time_entries_report ON time_entries (workspace_id, log_date)
  INCLUDE (user_id, project_id, entity_type, billable, duration_seconds, hourly_rate, currency)
  WHERE deleted_at IS NULL;
CREATE INDEX time_entries_unbilled ON time_entries (workspace_id, log_date)
  WHERE deleted_at IS NULL AND invoice_line_id IS NULL AND billable;
