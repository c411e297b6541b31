-- Grows the bench/seed.sql workspace to about :target entries, generated in
-- SQL: more people like the seed's 50 (about 750 entries each over 2025, three
-- a working day, in weekly timesheets, on the same tasks, tickets and deals),
-- so each person's week and list stay the size they were and the
-- workspace-year grows. Run after seed.sql, with the psql variables ws and
-- target:
--   psql "$DATABASE_URL" -v ws=ws_… -v target=1000000 -v ON_ERROR_STOP=1 -f bench/scale.sql
\set ON_ERROR_STOP on
SELECT setseed(0.2121);

SELECT coalesce(max(substring(email FROM 'bench-scale-(\d+)@')::int), 0) AS have_users,
       greatest(0, ceil((:target - (SELECT count(*) FROM time_entries WHERE workspace_id = :'ws')) / 750.0))::int AS add_users
FROM users WHERE workspace_id = :'ws' AND email LIKE 'bench-scale-%' \gset

BEGIN;

CREATE TEMP TABLE new_users ON COMMIT DROP AS
WITH ins AS (
  INSERT INTO users (workspace_id, email, name, role)
  SELECT :'ws', format('bench-scale-%s@example.test', i), format('Scale User %s', i), 'member'
  FROM generate_series(:have_users + 1, :have_users + :add_users) AS i
  RETURNING id
)
SELECT id, row_number() OVER (ORDER BY id) AS n FROM ins;

INSERT INTO employees (workspace_id, user_id, weekly_hours)
SELECT :'ws', id, CASE WHEN random() < 0.2 THEN 32 ELSE 40 END FROM new_users
ON CONFLICT (workspace_id, user_id) DO NOTHING;

INSERT INTO timesheets (workspace_id, user_id, period_start, period_end, status)
SELECT :'ws', u.id, w::date, w::date + 6,
       CASE WHEN w < '2025-12-01' THEN 'approved' WHEN w < '2025-12-15' THEN 'submitted' ELSE 'draft' END
FROM new_users u CROSS JOIN generate_series(DATE '2024-12-30', DATE '2025-12-29', interval '7 days') AS w;

-- As in seed.sql: 85 % tasks (with their project), 10 % tickets, 5 % deals.
WITH ids AS (
  SELECT (SELECT array_agg(id ORDER BY id) FROM tasks WHERE workspace_id = :'ws') AS tasks,
         (SELECT array_agg(id ORDER BY id) FROM tickets WHERE workspace_id = :'ws') AS tickets,
         (SELECT array_agg(id ORDER BY id) FROM deals WHERE workspace_id = :'ws') AS deals
), work AS (
  SELECT u.id AS user_id, u.n, d::date AS day, random() AS kind, random() AS pick, random() AS len,
         random() AS bill, random() AS off
  FROM new_users u
  CROSS JOIN generate_series(DATE '2025-01-01', DATE '2025-12-31', interval '1 day') AS d
  CROSS JOIN generate_series(1, 3) AS slot
  WHERE extract(isodow FROM d) < 6
), typed AS (
  SELECT w.*,
         CASE WHEN w.kind < 0.85 THEN 'task' WHEN w.kind < 0.95 THEN 'ticket' ELSE 'deal' END AS entity_type,
         CASE WHEN w.kind < 0.85 THEN ids.tasks[1 + floor(w.pick * array_length(ids.tasks, 1))::int]
              WHEN w.kind < 0.95 THEN ids.tickets[1 + floor(w.pick * array_length(ids.tickets, 1))::int]
              ELSE ids.deals[1 + floor(w.pick * array_length(ids.deals, 1))::int] END AS entity_id
  FROM work w CROSS JOIN ids
  WHERE w.off >= 0.04
)
INSERT INTO time_entries (workspace_id, user_id, entity_type, entity_id, project_id, description, log_date,
                          duration_seconds, billable, timesheet_id, hourly_rate, currency, source)
SELECT :'ws', w.user_id, w.entity_type, w.entity_id, p.id, 'benchmark work', w.day,
       CASE WHEN w.len < 0.66 THEN (1 + floor(w.len / 0.66 * 16))::int * 900
            ELSE 300 + floor((w.len - 0.66) / 0.34 * 14000)::int END,
       coalesce(p.billable, true) AND w.bill < 0.85,
       ts.id, 8000 + (w.n % 10) * 1500, coalesce(p.currency, 'USD'), 'api'
FROM typed w
LEFT JOIN tasks tk ON w.entity_type = 'task' AND tk.id = w.entity_id
LEFT JOIN tickets tt ON w.entity_type = 'ticket' AND tt.id = w.entity_id
LEFT JOIN projects p ON p.id = coalesce(tk.project_id, tt.project_id)
JOIN timesheets ts ON ts.workspace_id = :'ws' AND ts.user_id = w.user_id
 AND ts.period_start = date_trunc('week', w.day)::date;

COMMIT;

VACUUM ANALYZE time_entries;
VACUUM ANALYZE timesheets;
VACUUM ANALYZE users;
