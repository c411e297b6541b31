-- A year (2025) of work for each person of the temp table people(id, n):
-- three slots a working day, in their weekly timesheets (which must exist),
-- on the workspace :ws's tasks, tickets and deals. Included by seed.sql and
-- scale.sql (psql \ir), so both make the same kind of entries.
-- Three slots a working day per user, a few days off. Two thirds are manual
-- quarter hours, the rest timer-like durations to the second; 85 % of the
-- work is on tasks, 10 % on tickets, 5 % on deals (no project).
WITH ids AS (
  SELECT (SELECT array_agg(id ORDER BY id) FROM tasks WHERE workspace_id = :'ws') AS tasks,
         (SELECT array_agg(id ORDER BY id) FROM tickets WHERE workspace_id = :'ws') AS tickets,
         (SELECT array_agg(id ORDER BY id) FROM deals WHERE workspace_id = :'ws') AS deals
), slots AS (
  SELECT u.id AS user_id, u.n, d::date AS day, random() AS kind, random() AS pick, random() AS len,
         random() AS bill, random() AS off
  FROM people u
  CROSS JOIN generate_series(DATE '2025-01-01', DATE '2025-12-31', interval '1 day') AS d
  CROSS JOIN generate_series(1, 3) AS slot
  WHERE extract(isodow FROM d) < 6
), work AS (
  SELECT s.*,
         CASE WHEN s.kind < 0.85 THEN 'task' WHEN s.kind < 0.95 THEN 'ticket' ELSE 'deal' END AS entity_type,
         CASE WHEN s.kind < 0.85 THEN ids.tasks[1 + floor(s.pick * array_length(ids.tasks, 1))::int]
              WHEN s.kind < 0.95 THEN ids.tickets[1 + floor(s.pick * array_length(ids.tickets, 1))::int]
              ELSE ids.deals[1 + floor(s.pick * array_length(ids.deals, 1))::int] END AS entity_id
  FROM slots s CROSS JOIN ids
  WHERE s.off >= 0.04
)
INSERT INTO time_entries (workspace_id, user_id, entity_type, entity_id, project_id, description, log_date,
                          duration_seconds, billable, timesheet_id, hourly_rate, currency, source)
SELECT :'ws', w.user_id, w.entity_type, w.entity_id, p.id, 'benchmark work', w.day,
       CASE WHEN w.len < 0.66 THEN (1 + floor(w.len / 0.66 * 16))::int * 900
            ELSE 300 + floor((w.len - 0.66) / 0.34 * 14000)::int END,
       coalesce(p.billable, true) AND w.bill < 0.85,
       ts.id, 8000 + (w.n % 10) * 1500, coalesce(p.currency, 'USD'), 'api'
FROM work w
LEFT JOIN tasks tk ON w.entity_type = 'task' AND tk.id = w.entity_id
LEFT JOIN tickets tt ON w.entity_type = 'ticket' AND tt.id = w.entity_id
LEFT JOIN projects p ON p.id = coalesce(tk.project_id, tt.project_id)
JOIN timesheets ts ON ts.workspace_id = :'ws' AND ts.user_id = w.user_id
 AND ts.period_start = date_trunc('week', w.day)::date;
