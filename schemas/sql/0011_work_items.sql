-- find_work_items lists the records time can be logged on, most recent first.
-- The other modules' minimal tables had no creation time (projects and
-- calendar events did); rows that exist already take the migration's time.
ALTER TABLE tasks ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE tickets ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE deals ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE candidates ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE conversations ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();

-- Word search (ILIKE '%word%') on names: trigram indexes let PostgreSQL answer
-- a name match from an index instead of reading every row. find_work_items
-- also matches a record through its project's or customer's name, which the
-- planner may answer by reading the workspace's rows; the indexes are for the
-- large tables. pg_trgm is a trusted extension shipped with Debian's
-- postgresql package.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX tasks_title_trgm ON tasks USING gin (title gin_trgm_ops);
CREATE INDEX tickets_subject_trgm ON tickets USING gin (subject gin_trgm_ops);
CREATE INDEX deals_name_trgm ON deals USING gin (name gin_trgm_ops);
CREATE INDEX candidates_name_trgm ON candidates USING gin (name gin_trgm_ops);
CREATE INDEX projects_name_trgm ON projects USING gin (name gin_trgm_ops);
CREATE INDEX calendar_events_title_trgm ON calendar_events USING gin (title gin_trgm_ops);
CREATE INDEX conversations_subject_trgm ON conversations USING gin (subject gin_trgm_ops);
CREATE INDEX contacts_name_trgm ON contacts USING gin (name gin_trgm_ops);
