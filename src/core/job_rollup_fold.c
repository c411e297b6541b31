/* time-rollup-fold: folds every workspace's pending report changes
 * (time_rollup_delta, appended by the writes' triggers) into time_rollup.
 * A summary or utilization report folds its workspace first anyway
 * (core/reports.c); this bounds the queue to about a day of writes where
 * nobody asks for a report. Each workspace's fold is its own statement; a
 * fold already running elsewhere makes it a no-op (time_rollup_compact). */
#include "core/jobs.h"
#include <stdlib.h>

bool jobs_rollup_fold(job_run *run, err_t *err)
{
	PGresult *r = DB_QUERY(run->db, err, "SELECT DISTINCT workspace_id FROM time_rollup_delta ORDER BY 1");
	if (!r)
		return false;
	bool ok = true;
	for (int i = 0; i < PQntuples(r) && ok; i++) {
		const char *ws = PQgetvalue(r, i, 0);
		err_t e = { 0 };
		PGresult *f = DB_QUERY(run->db, &e, "SELECT time_rollup_compact($1)", ws);
		if (!f) {
			jobs_error(run, ws, NULL, &e);
			if (e.kind == ERR_UNAVAILABLE) {
				*err = e;
				ok = false;
			}
			continue;
		}
		jobs_count(run, "workspaces", 1);
		jobs_count(run, "groups_folded", atol(PQgetvalue(f, 0, 0)));
		PQclear(f);
	}
	PQclear(r);
	return ok;
}
