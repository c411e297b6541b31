-- Time rolled up per month, so the workspace summary and utilization read a
-- few rows per user and month instead of every entry of the range (issue 15).
-- Kept in the writing statement's transaction by triggers on time_entries, so
-- every path that writes entries (REST, MCP, chat, crons, imports, deletes,
-- timer stops, bulk SQL) keeps it exact. A row holds what core/reports.c sums
-- for the entries it covers: live, stopped ones only, each rounded by the
-- workspace rounding setting before it is summed, and rate × rounded seconds
-- for the billable ones. Since the rounded sums depend on the setting, a
-- change of the setting rebuilds the workspace's rows in the changing
-- transaction (time_rollup_rebuild).
--
-- Writers only append: each writing statement adds its grouped changes to
-- time_rollup_delta, so no writer waits for another's rollup row (a counter
-- row updated by every writer would queue concurrent writes until each
-- commits, and could deadlock two transactions moving entries). The reports
-- fold the deltas into time_rollup first (time_rollup_compact, one
-- transaction, one folder at a time) and read both, so the figures are the
-- same whether or not a fold ran.
--
-- Three shapes (dim), each the grouping a report needs:
--   'u'  per user (project_id NULL): by user, utilization of one user;
--   'p'  per project and user (entries on a project): utilization of a project;
--   'k'  per project, entity type and currency (user_id NULL): totals, by
--        project, by entity type, amounts.
-- A group whose entries all went keeps n = 0; readers skip groups without entries.
CREATE TABLE time_rollup (
  workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  dim          "char" NOT NULL CHECK (dim IN ('u', 'p', 'k')),
  project_id   text,
  user_id      text,
  month        date NOT NULL,
  entity_type  text,
  currency     text,
  total        bigint NOT NULL,   -- rounded seconds
  billable     bigint NOT NULL,   -- rounded seconds of billable entries
  raw          bigint NOT NULL,   -- seconds as logged
  n            bigint NOT NULL,   -- entries
  rate_seconds numeric NOT NULL,  -- Σ hourly_rate × rounded seconds, billable entries with a rate
  rated        bigint NOT NULL,   -- how many entries rate_seconds sums (none: no amount)
  -- project and user lead, so one user's or one project's rows are one range
  CONSTRAINT time_rollup_key UNIQUE NULLS NOT DISTINCT
    (workspace_id, dim, project_id, user_id, month, entity_type, currency)
);

-- The reports' reads of one user's or one project's months, from the index
-- alone (writers never touch time_rollup: only the folds maintain it).
CREATE INDEX time_rollup_read ON time_rollup (workspace_id, dim, project_id, user_id, month)
  INCLUDE (total, billable, raw, n);

-- Changes not folded in yet: signed, any number per group. No foreign key:
-- its check would lock the workspace row on every write.
-- A queue: rows come and go, so it is vacuumed and analyzed after every
-- 10,000 changes rather than a fraction of its size (a bulk write folded
-- leaves its rows dead, and stale statistics would send the readers and the
-- folds through them).
CREATE TABLE time_rollup_delta (LIKE time_rollup)
  WITH (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 10000,
        autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 10000);
CREATE INDEX time_rollup_delta_key ON time_rollup_delta (workspace_id, dim, project_id, user_id, month);

-- Both, as the reports read them.
CREATE VIEW time_rollup_all AS
SELECT * FROM time_rollup UNION ALL SELECT * FROM time_rollup_delta;

-- The one rounding rule of core/rounding.c (rounding_apply), in SQL for the
-- triggers; tests/integration/test_rollup.c holds the two to each other.
CREATE FUNCTION time_rollup_round(secs bigint, mode text, minutes int) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN minutes <= 0 OR mode = 'none' THEN secs
    WHEN mode = 'up' THEN CASE WHEN secs % (minutes * 60) = 0 THEN secs ELSE secs / (minutes * 60) * (minutes * 60) + minutes * 60 END
    WHEN mode = 'down' THEN secs / (minutes * 60) * (minutes * 60)
    WHEN mode = 'nearest' THEN secs / (minutes * 60) * (minutes * 60)
      + CASE WHEN secs % (minutes * 60) >= (minutes * 60 + 1) / 2 THEN minutes * 60 ELSE 0 END
    ELSE secs END
$$;

-- The rounding in effect: a workspace without a settings row rounds nothing
-- (core/settings.c's defaults).
CREATE VIEW time_rollup_rounding AS
SELECT w.id AS workspace_id, coalesce(s.rounding_mode, 'none') AS mode, coalesce(s.rounding_minutes, 15)::int AS minutes
FROM workspaces w LEFT JOIN time_tracking_settings s ON s.workspace_id = w.id;

-- The rollup rows one entry adds to (sign 1) or takes from (sign -1), with
-- its figures at its workspace's rounding; none for a deleted entry or a
-- running timer (or an entry of no workspace).
CREATE FUNCTION time_rollup_of(sign int, e time_entries)
RETURNS TABLE (workspace_id text, dim "char", project_id text, user_id text, month date,
               entity_type text, currency text, total bigint, billable bigint, raw bigint, n bigint,
               rate_seconds numeric, rated bigint)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT e.workspace_id, k.d, k.p, k.u, date_trunc('month', e.log_date::timestamp)::date, k.t, k.c,
         sign * r.secs, CASE WHEN e.billable THEN sign * r.secs ELSE 0 END, sign * e.duration_seconds::bigint, sign::bigint,
         (CASE WHEN e.billable AND e.hourly_rate IS NOT NULL THEN sign * e.hourly_rate * r.secs ELSE 0 END)::numeric,
         CASE WHEN e.billable AND e.hourly_rate IS NOT NULL THEN sign ELSE 0 END::bigint
  FROM (SELECT time_rollup_round(e.duration_seconds, w.mode, w.minutes) AS secs
        FROM time_rollup_rounding w WHERE w.workspace_id = e.workspace_id) r
  CROSS JOIN LATERAL (VALUES
    ('u'::"char", NULL::text, e.user_id, NULL::text, NULL::text),
    ('p'::"char", e.project_id, e.user_id, NULL::text, NULL::text),
    ('k'::"char", e.project_id, NULL::text, e.entity_type, e.currency)) AS k (d, p, u, t, c)
  WHERE e.deleted_at IS NULL AND e.duration_seconds IS NOT NULL AND (k.d <> 'p' OR k.p IS NOT NULL)
$$;

-- What the rollup holds, computed from the entries: the rebuild writes it, and
-- a test holds the rollup to it.
CREATE VIEW time_rollup_fresh AS
SELECT k.workspace_id, k.dim, k.project_id, k.user_id, k.month, k.entity_type, k.currency,
       sum(k.total)::bigint AS total, sum(k.billable)::bigint AS billable, sum(k.raw)::bigint AS raw,
       sum(k.n)::bigint AS n, sum(k.rate_seconds) AS rate_seconds, sum(k.rated)::bigint AS rated
FROM time_entries c CROSS JOIN LATERAL time_rollup_of(1, c) k
GROUP BY 1, 2, 3, 4, 5, 6, 7;

-- A rounding change and the writes of entries exclude each other per
-- workspace: writers share this lock, the rebuild takes it alone. So a write
-- either lands before the rebuild reads the entries (and is rebuilt with the
-- new rounding) or after its commit (and reads the new rounding itself).
CREATE FUNCTION time_rollup_lock_key(ws text) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$ SELECT (hashtext('workestra-time-rollup')::bigint << 32) | (hashtext(ws)::bigint & 4294967295) $$;

-- Statement triggers: one grouped append per writing statement, whatever
-- number of rows it wrote. TG_ARGV[0] is the sign: an insert adds, a delete
-- takes away.
CREATE FUNCTION time_rollup_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock_shared(time_rollup_lock_key(ws))
  FROM (SELECT DISTINCT workspace_id AS ws FROM changed ORDER BY 1) d;
  INSERT INTO time_rollup_delta
  SELECT k.workspace_id, k.dim, k.project_id, k.user_id, k.month, k.entity_type, k.currency,
         sum(k.total), sum(k.billable), sum(k.raw), sum(k.n), sum(k.rate_seconds), sum(k.rated)
  FROM changed c CROSS JOIN LATERAL time_rollup_of(TG_ARGV[0]::int, c) k
  GROUP BY 1, 2, 3, 4, 5, 6, 7;
  RETURN NULL;
END $$;

-- An update takes the old rows out and puts the new ones in, so an entry
-- moved between days, users, projects, billable or rates moves its time;
-- what cancels out (a new description, an invoice line) appends nothing.
CREATE FUNCTION time_rollup_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock_shared(time_rollup_lock_key(ws))
  FROM (SELECT workspace_id AS ws FROM old_rows UNION SELECT workspace_id FROM new_rows ORDER BY 1) d;
  INSERT INTO time_rollup_delta
  SELECT k.workspace_id, k.dim, k.project_id, k.user_id, k.month, k.entity_type, k.currency,
         sum(k.total), sum(k.billable), sum(k.raw), sum(k.n), sum(k.rate_seconds), sum(k.rated)
  FROM old_rows o FULL JOIN new_rows n ON n.id = o.id
  CROSS JOIN LATERAL (SELECT * FROM time_rollup_of(-1, o) UNION ALL SELECT * FROM time_rollup_of(1, n)) k
  GROUP BY 1, 2, 3, 4, 5, 6, 7
  HAVING (sum(k.total), sum(k.billable), sum(k.raw), sum(k.n), sum(k.rate_seconds), sum(k.rated)) <> (0, 0, 0, 0, 0, 0);
  RETURN NULL;
END $$;

CREATE TRIGGER time_entries_rollup_insert AFTER INSERT ON time_entries
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION time_rollup_apply('1');
CREATE TRIGGER time_entries_rollup_delete AFTER DELETE ON time_entries
  REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION time_rollup_apply('-1');
CREATE TRIGGER time_entries_rollup_update AFTER UPDATE ON time_entries
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION time_rollup_move();

-- Folds workspace ws's deltas into time_rollup; returns the groups written.
-- One folder at a time (another returns 0 at once: the readers read the
-- deltas too); a fold and a rebuild exclude each other like a write.
CREATE FUNCTION time_rollup_compact(ws text) RETURNS bigint LANGUAGE plpgsql
SET work_mem = '64MB' AS $$
DECLARE
  folded bigint;
BEGIN
  IF NOT pg_try_advisory_xact_lock(hashtext('workestra-time-rollup-fold'), hashtext(ws)) THEN
    RETURN 0;
  END IF;
  PERFORM pg_advisory_xact_lock_shared(time_rollup_lock_key(ws));
  WITH d AS (DELETE FROM time_rollup_delta WHERE workspace_id = ws RETURNING *)
  INSERT INTO time_rollup AS t
  SELECT workspace_id, dim, project_id, user_id, month, entity_type, currency,
         sum(total), sum(billable), sum(raw), sum(n), sum(rate_seconds), sum(rated)
  FROM d GROUP BY 1, 2, 3, 4, 5, 6, 7
  ORDER BY 1, 2, 3, 4, 5, 6, 7
  ON CONFLICT ON CONSTRAINT time_rollup_key DO UPDATE
  SET total = t.total + excluded.total, billable = t.billable + excluded.billable, raw = t.raw + excluded.raw,
      n = t.n + excluded.n, rate_seconds = t.rate_seconds + excluded.rate_seconds, rated = t.rated + excluded.rated;
  GET DIAGNOSTICS folded = ROW_COUNT;
  RETURN folded;
END $$;

-- Recomputes workspace ws's rows from its entries at its current rounding
-- (grouping them in memory rather than in temporary files).
CREATE FUNCTION time_rollup_rebuild(ws text) RETURNS void LANGUAGE plpgsql
SET work_mem = '64MB' AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(time_rollup_lock_key(ws));
  DELETE FROM time_rollup WHERE workspace_id = ws;
  DELETE FROM time_rollup_delta WHERE workspace_id = ws;
  INSERT INTO time_rollup SELECT * FROM time_rollup_fresh f WHERE f.workspace_id = ws;
END $$;

-- Whatever path changes the rounding (settings, admin, SQL, the settings row
-- appearing or going), the rows follow in its transaction; only when what
-- rounding does changed: 'none' at any minutes is the same rounding.
CREATE FUNCTION time_rollup_rounding_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ws text := CASE WHEN TG_OP = 'DELETE' THEN OLD.workspace_id ELSE NEW.workspace_id END;
  before_mode text := 'none';
  before_minutes int;
BEGIN
  IF TG_OP <> 'INSERT' THEN
    before_mode := OLD.rounding_mode;
    before_minutes := OLD.rounding_minutes;
  END IF;
  IF EXISTS (SELECT 1 FROM time_rollup_rounding r WHERE r.workspace_id = ws
             AND (r.mode, r.minutes) IS DISTINCT FROM (before_mode, before_minutes)
             AND NOT (r.mode = 'none' AND before_mode = 'none')) THEN
    PERFORM time_rollup_rebuild(ws);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER time_tracking_settings_rollup AFTER INSERT OR DELETE OR UPDATE OF rounding_mode, rounding_minutes
  ON time_tracking_settings FOR EACH ROW EXECUTE FUNCTION time_rollup_rounding_changed();

CREATE FUNCTION time_rollup_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE time_rollup, time_rollup_delta;
  RETURN NULL;
END $$;
CREATE TRIGGER time_entries_rollup_truncate AFTER TRUNCATE ON time_entries
  FOR EACH STATEMENT EXECUTE FUNCTION time_rollup_truncated();

-- The entries there already are.
SELECT time_rollup_rebuild(id) FROM workspaces;
