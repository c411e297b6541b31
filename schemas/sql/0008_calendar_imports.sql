-- Calendar import: ICS feeds a user connects, and the events the nightly
-- time-calendar-refresh job pulls from them ("ghost blocks" in the timer's
-- calendar view until converted into entries).

CREATE TABLE calendar_connections (
  id                text PRIMARY KEY DEFAULT wt_id('calc'),
  workspace_id      text NOT NULL,
  user_id           text NOT NULL,
  provider          text NOT NULL DEFAULT 'ics' CHECK (provider IN ('ics')),
  url               text NOT NULL,
  name              text NOT NULL DEFAULT '',
  enabled           boolean NOT NULL DEFAULT true,
  last_refreshed_at timestamptz,
  last_error        text,
  created_at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workspace_id, id),
  FOREIGN KEY (workspace_id, user_id) REFERENCES users(workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX calendar_connections_user ON calendar_connections (workspace_id, user_id);

-- One row per event instance of a feed: uid plus recurrence_id, the
-- instance's original start as written in the feed ('' for a single event),
-- so a refresh updates rather than duplicates.
CREATE TABLE time_calendar_imports (
  id                 text PRIMARY KEY DEFAULT wt_id('cimp'),
  workspace_id       text NOT NULL,
  user_id            text NOT NULL,
  connection_id      text NOT NULL,
  uid                text NOT NULL,
  recurrence_id      text NOT NULL DEFAULT '',
  title              text NOT NULL DEFAULT '',
  starts_at          timestamptz NOT NULL,
  ends_at            timestamptz NOT NULL CHECK (ends_at >= starts_at),
  all_day            boolean NOT NULL DEFAULT false,
  status             text NOT NULL DEFAULT 'confirmed' CHECK (status IN ('confirmed', 'cancelled')),
  converted_entry_id text,
  calendar_event_id  text,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  UNIQUE (connection_id, uid, recurrence_id),
  FOREIGN KEY (workspace_id, connection_id) REFERENCES calendar_connections(workspace_id, id) ON DELETE CASCADE,
  FOREIGN KEY (workspace_id, user_id) REFERENCES users(workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX time_calendar_imports_user ON time_calendar_imports (workspace_id, user_id, starts_at);

-- A feed's wall-clock time in its TZID, or in fallback (the workspace's zone)
-- for floating times, all-day dates and TZIDs PostgreSQL does not know
-- (e.g. Windows names such as 'Pacific Standard Time').
CREATE FUNCTION wt_ics_time(local timestamp, tzid text, fallback text) RETURNS timestamptz
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN local AT TIME ZONE coalesce(nullif(tzid, ''), fallback);
EXCEPTION WHEN invalid_parameter_value THEN
  RETURN local AT TIME ZONE fallback;
END $$;
