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

CREATE TEMP VIEW people AS SELECT id, n FROM new_users;
\ir year_of_entries.sql
DROP VIEW people;

COMMIT;

\ir settle.sql
