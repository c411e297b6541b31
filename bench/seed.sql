-- A realistic-size data set for the reports benchmark: 50 users logging about
-- three entries a working day through 2025 (≈ 50 × 250 × 3 entries), on the
-- tasks of 20 projects, on tickets and on deals, in weekly timesheets that
-- are approved up to December. Run against a migrated database with the
-- workspace id in the psql variable ws:
--   psql "$DATABASE_URL" -v ws=ws_… -v ON_ERROR_STOP=1 -f bench/seed.sql
-- setseed makes every run produce the same data.
\set ON_ERROR_STOP on
SELECT setseed(0.4242);

BEGIN;

INSERT INTO users (workspace_id, email, name, role)
SELECT :'ws', format('bench-user-%s@example.test', i), format('Bench User %s', i),
       CASE WHEN i <= 3 THEN 'manager' ELSE 'member' END
FROM generate_series(1, 50) AS i;

-- People module hours: most full time, some on 32 h.
INSERT INTO employees (workspace_id, user_id, weekly_hours)
SELECT workspace_id, id, CASE WHEN random() < 0.2 THEN 32 ELSE 40 END
FROM users WHERE workspace_id = :'ws' AND email LIKE 'bench-user-%'
ON CONFLICT (workspace_id, user_id) DO NOTHING;

INSERT INTO contacts (workspace_id, name, email)
SELECT :'ws', format('Customer %s', i), format('buyer%s@customer.example', i)
FROM generate_series(1, 10) AS i;

-- Every fifth project is internal (not billable); every fourth bills in EUR.
INSERT INTO projects (workspace_id, name, contact_id, billable, budget_amount, currency, time_budget_hours)
SELECT :'ws', format('Project %s', i), c.id, i % 5 <> 0, 2500000 + i * 100000,
       CASE WHEN i % 4 = 0 THEN 'EUR' ELSE 'USD' END, 600 + i * 20
FROM generate_series(1, 20) AS i
JOIN (SELECT id, row_number() OVER (ORDER BY id) AS n FROM contacts WHERE workspace_id = :'ws') AS c
  ON c.n = 1 + i % 10;

INSERT INTO tasks (workspace_id, project_id, title, estimate_hours)
SELECT p.workspace_id, p.id, format('%s, task %s', p.name, t), 4 + t * 6
FROM projects p CROSS JOIN generate_series(1, 10) AS t
WHERE p.workspace_id = :'ws';

INSERT INTO tickets (workspace_id, subject, contact_id, project_id)
SELECT p.workspace_id, format('%s, ticket %s', p.name, t), p.contact_id, p.id
FROM projects p CROSS JOIN generate_series(1, 2) AS t
WHERE p.workspace_id = :'ws';

INSERT INTO deals (workspace_id, name, contact_id)
SELECT c.workspace_id, format('%s, deal %s', c.name, d), c.id
FROM contacts c CROSS JOIN generate_series(1, 2) AS d
WHERE c.workspace_id = :'ws';

-- One timesheet per user and Monday-to-Sunday week.
INSERT INTO timesheets (workspace_id, user_id, period_start, period_end, status)
SELECT u.workspace_id, u.id, w::date, w::date + 6,
       CASE WHEN w < '2025-12-01' THEN 'approved' WHEN w < '2025-12-15' THEN 'submitted' ELSE 'draft' END
FROM users u CROSS JOIN generate_series(DATE '2024-12-30', DATE '2025-12-29', interval '7 days') AS w
WHERE u.workspace_id = :'ws' AND u.email LIKE 'bench-user-%';

CREATE TEMP TABLE people AS
SELECT id, row_number() OVER (ORDER BY id) AS n
FROM users WHERE workspace_id = :'ws' AND email LIKE 'bench-user-%';
\ir year_of_entries.sql
DROP TABLE people;

-- A few entries deleted again: reports must skip them.
UPDATE time_entries SET deleted_at = now()
WHERE workspace_id = :'ws' AND id IN (SELECT id FROM time_entries WHERE workspace_id = :'ws' ORDER BY id LIMIT 300);

COMMIT;

\ir settle.sql
