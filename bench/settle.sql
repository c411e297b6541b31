-- After a bulk insert into workspace :ws (seed.sql, scale.sql): the
-- rollup's changes from those inserts folded in (schemas/sql/0016), as the
-- first report would, and fresh statistics with a visibility map, so the
-- report index serves index-only scans.
SELECT time_rollup_compact(:'ws');
VACUUM ANALYZE time_rollup;
VACUUM ANALYZE time_rollup_delta;
VACUUM ANALYZE time_entries;
VACUUM ANALYZE timesheets;
VACUUM ANALYZE users;
