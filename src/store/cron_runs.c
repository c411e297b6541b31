#include "store/cron_runs.h"
#include <stdio.h>
#include <stdlib.h>

/* A cron_runs row as the triggers show it. */
#define RUN_OBJECT                                                                                               \
	"jsonb_build_object('job', job, 'run_date', run_date::text, 'now', wt_iso(run_now), 'status', status,"    \
	" 'counts', counts, 'errors', errors, 'details', details, 'attempts', attempts,"                           \
	" 'started_at', wt_iso(started_at), 'finished_at', wt_iso(finished_at))"

bool cron_runs_clock(db_t *db, const char *now_iso, char now[32], char day[11], char started[32], err_t *err)
{
	PGresult *r = DB_QUERY(db, err,
			       "WITH t AS (SELECT coalesce($1::timestamptz, now()) AS at)"
			       " SELECT wt_iso(t.at), (t.at AT TIME ZONE 'UTC')::date::text, wt_iso(clock_timestamp()) FROM t",
			       now_iso);
	if (!r)
		return false;
	snprintf(now, 32, "%s", PQgetvalue(r, 0, 0));
	snprintf(day, 11, "%s", PQgetvalue(r, 0, 1));
	snprintf(started, 32, "%s", PQgetvalue(r, 0, 2));
	PQclear(r);
	return true;
}

bool cron_runs_lock(db_t *lk, const char *job, err_t *err)
{
	return db_begin(lk, err) && DB_EXEC(lk, err, "SET LOCAL statement_timeout = 0") &&
	       DB_EXEC(lk, err, "SELECT pg_advisory_xact_lock(hashtext('workestra-cron'), hashtext($1))", job);
}

json_t *cron_runs_succeeded(db_t *lk, const char *job, const char *day, err_t *err)
{
	return DB_QUERY_JSON(lk, err,
			     "SELECT " RUN_OBJECT " FROM cron_runs WHERE job = $1 AND run_date = $2::date AND status = 'succeeded'",
			     job, day);
}

json_t *cron_runs_record(db_t *lk, const char *job, const char *day, bool ok, const char *now, json_t *counts,
			 json_t *errors, json_t *details, const char *started, err_t *err)
{
	char *c = json_dumps(counts, JSON_COMPACT), *e = json_dumps(errors, JSON_COMPACT),
	     *d = json_dumps(details, JSON_COMPACT);
	json_t *out = DB_QUERY_JSON(
		lk, err,
		"WITH up AS (INSERT INTO cron_runs (job, run_date, status, run_now, counts, errors, details, started_at)"
		" VALUES ($1, $2::date, $3, $4::timestamptz, $5::jsonb, $6::jsonb, $7::jsonb, $8::timestamptz)"
		" ON CONFLICT (job, run_date) DO UPDATE SET status = excluded.status, run_now = excluded.run_now,"
		" counts = excluded.counts, errors = excluded.errors, details = excluded.details,"
		" started_at = excluded.started_at, finished_at = clock_timestamp(), attempts = cron_runs.attempts + 1"
		" RETURNING *) SELECT " RUN_OBJECT " FROM up",
		job, day, ok ? "succeeded" : "failed", now, c, e, d, started);
	free(c);
	free(e);
	free(d);
	return out;
}
