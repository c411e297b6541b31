/* time-auto-submit-timesheets (Pro): on the workspace's auto_submit_dow (in
 * its time zone), the draft timesheets of the period that has ended (it ended
 * in the last 7 days) are submitted as the system actor. A timesheet with a
 * running timer is skipped, reported in details.skipped and its owner told. */
#include "core/jobs.h"
#include "core/notifications.h"
#include "core/plans.h"
#include "core/settings.h"
#include "core/timesheets.h"
#include "core/tx.h"
#include "util/dates.h"
#include <stdio.h>
#include <string.h>

/* Reports a timesheet skipped for a running timer and tells its owner, in
 * the caller's unit of work. */
static bool skipped(job_run *run, core_ctx *c, const char *ts, const char *user, const char *start, const err_t *why,
		    err_t *err)
{
	jobs_count(run, "skipped", 1);
	jobs_detail(run, "skipped", json_pack("{s:s, s:s, s:s, s:s, s:s}", "workspace_id", c->actor->workspace_id,
					      "timesheet_id", ts, "user_id", user, "period_start", start, "reason", why->code));
	char key[160], title[200];
	snprintf(key, sizeof key, "timesheet.auto_submit_skipped:%s:%s", ts, run->day);
	snprintf(title, sizeof title, "Your timesheet for the week of %s was not submitted: a timer is still running", start);
	notification_input n = { .user_id = user, .kind = "timesheet.auto_submit_skipped", .title = title, .dedupe_key = key };
	bool created;
	return notifications_create(c, &n, &created, err);
}

/* One timesheet, in a unit of its own: the submit nests in it, and when it is
 * refused for a running timer (and so rolled back to itself) the owner's
 * notice commits in its place. False with err set for the caller to judge:
 * the submit's refusal, the notice's failure, or the unit's own. */
static bool submit_one(job_run *run, core_ctx *c, PGresult *r, int i, err_t *err)
{
	const char *id = PQgetvalue(r, i, 0), *user = PQgetvalue(r, i, 1);
	tx_unit u;
	if (!tx_begin(c, &u, err))
		return false;
	err_t why = { 0 };
	json_t *done = timesheets_transition(c, id, TS_SUBMIT, NULL, false, &why);
	bool ok;
	if (done) {
		ok = tx_commit(&u, err);
	} else if (!strcmp(why.code, "timer_running")) {
		ok = skipped(run, c, id, user, PQgetvalue(r, i, 2), &why, err) && tx_commit(&u, err);
	} else {
		*err = why;
		ok = false;
	}
	tx_rollback(&u); /* a no-op once committed */
	if (ok && done) {
		jobs_count(run, "submitted", 1);
		jobs_detail(run, "submitted", json_pack("{s:s, s:s}", "timesheet_id", id, "user_id", user));
	}
	json_decref(done);
	return ok;
}

static bool submit_workspace(job_run *run, core_ctx *c, void *arg, err_t *err)
{
	(void)arg;
	settings_t s;
	char today[11];
	long day;
	if (!plans_allows(c->actor, FEATURE_AUTO_SUBMIT) || !settings_load(c, &s, err))
		return !err_any(err);
	if (s.auto_submit_dow < 0 || !jobs_local_day(run, c, s.timezone, today, err) || !dates_parse(today, &day) ||
	    dates_dow(day) != s.auto_submit_dow)
		return !err_any(err);
	jobs_count(run, "workspaces_due", 1);
	PGresult *r = DB_QUERY(c->db, err,
			       "SELECT id, user_id, period_start::text FROM timesheets WHERE workspace_id = $1 AND status = 'draft'"
			       " AND period_end < $2::date AND period_end >= $2::date - 7 ORDER BY user_id, period_start",
			       c->actor->workspace_id, today);
	if (!r)
		return false;
	for (int i = 0; i < PQntuples(r); i++) {
		err_t e = { 0 };
		if (submit_one(run, c, r, i, &e))
			continue;
		if (e.kind == ERR_UNAVAILABLE) {
			*err = e;
			PQclear(r);
			return false;
		}
		if (strcmp(e.code, "invalid_transition")) /* submitted by its owner meanwhile: fine */
			jobs_error(run, c->actor->workspace_id, PQgetvalue(r, i, 0), &e);
	}
	PQclear(r);
	return true;
}

bool jobs_auto_submit_timesheets(job_run *run, err_t *err)
{
	jobs_count(run, "workspaces_due", 0);
	jobs_count(run, "submitted", 0);
	jobs_count(run, "skipped", 0);
	return jobs_each_workspace(run, submit_workspace, NULL, err);
}
