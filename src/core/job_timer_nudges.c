/* time-running-timer-nudges: timers running longer than runaway_timer_hours.
 * Free plans: the user is notified (once per timer and day). Pro (auto-stop):
 * the timer is stopped at the threshold, started_at + runaway_timer_hours,
 * audited as timer.stopped with source cron, and the user is told. */
#include "core/jobs.h"
#include "core/notifications.h"
#include "core/plans.h"
#include "core/settings.h"
#include "core/representation.h"
#include "core/timer.h"
#include "core/tx.h"
#include <stdio.h>
#include <string.h>

static bool notify(core_ctx *c, const char *user, const char *kind, const char *title, const char *key, json_t *data,
		   bool *created, err_t *err)
{
	notification_input n = { .user_id = user, .kind = kind, .title = title, .data = data, .dedupe_key = key };
	return notifications_create(c, &n, created, err);
}

/* Pro: stops the timer at its threshold and tells its owner, in one unit of
 * work: a notice that fails leaves the timer running, for the next run to
 * stop and tell. */
static bool stop_and_tell(job_run *run, core_ctx *c, const char *id, const char *user, const char *threshold_at,
			  double hours, json_t *data, err_t *err)
{
	char key[160], title[160];
	tx_unit u;
	if (!tx_begin(c, &u, err))
		return false;
	err_t e = { 0 };
	json_t *stopped = timer_stop_at(c, id, threshold_at, false, &e);
	if (!stopped) {
		tx_rollback(&u);
		if (!strcmp(e.code, "no_active_timer"))
			return true; /* stopped by its owner meanwhile */
		*err = e;
		return false;
	}
	json_decref(stopped);
	json_object_set_new(data, "ended_at", json_string(threshold_at));
	snprintf(key, sizeof key, "timer.auto_stopped:%s", id);
	snprintf(title, sizeof title, "Your timer ran over %.4g hours and was stopped at that point", hours);
	bool created = false;
	bool ok = notify(c, user, "timer.auto_stopped", title, key, data, &created, err) && tx_commit(&u, err);
	tx_rollback(&u); /* a no-op once committed */
	if (ok) {
		jobs_count(run, "stopped", 1);
		jobs_count(run, "notified", created ? 1 : 0);
	}
	return ok;
}

static bool one_timer(job_run *run, core_ctx *c, PGresult *r, int i, double hours, bool stop, err_t *err)
{
	const char *id = PQgetvalue(r, i, 0), *user = PQgetvalue(r, i, 1), *threshold_at = PQgetvalue(r, i, 3);
	json_t *data = json_pack("{s:s, s:s, s:f}", "entry_id", id, "started_at", PQgetvalue(r, i, 2),
				 "runaway_timer_hours", hours);
	bool ok;
	if (stop) {
		ok = stop_and_tell(run, c, id, user, threshold_at, hours, data, err);
	} else {
		char key[160], title[160];
		bool created = false;
		snprintf(key, sizeof key, "timer.runaway:%s:%s", id, run->day);
		snprintf(title, sizeof title, "Your timer has been running for more than %.4g hours", hours);
		ok = notify(c, user, "timer.runaway", title, key, data, &created, err);
		if (ok)
			jobs_count(run, "notified", created ? 1 : 0);
	}
	json_decref(data);
	return ok;
}

static bool nudge_workspace(job_run *run, core_ctx *c, void *arg, err_t *err)
{
	(void)arg;
	settings_t s;
	if (!settings_load(c, &s, err))
		return false;
	char hours[32];
	snprintf(hours, sizeof hours, "%.2f", s.runaway_timer_hours);
	PGresult *r = DB_QUERY(c->db, err,
			       "SELECT e.id, e.user_id, wt_iso(e.started_at), wt_iso(e.started_at + $3::numeric * interval '1 hour')"
			       " FROM time_entries e WHERE e.workspace_id = $1 AND e.deleted_at IS NULL AND " ENTRY_RUNNING
			       " AND e.started_at + $3::numeric * interval '1 hour' <= $2::timestamptz ORDER BY e.started_at, e.id",
			       c->actor->workspace_id, run->now, hours);
	if (!r)
		return false;
	bool auto_stop = plans_allows(c->actor, FEATURE_AUTO_STOP);
	for (int i = 0; i < PQntuples(r); i++) {
		jobs_count(run, "runaway_timers", 1);
		err_t e = { 0 };
		if (!one_timer(run, c, r, i, s.runaway_timer_hours, auto_stop, &e)) {
			if (e.kind == ERR_UNAVAILABLE) {
				*err = e;
				PQclear(r);
				return false;
			}
			jobs_error(run, c->actor->workspace_id, PQgetvalue(r, i, 0), &e);
		}
	}
	PQclear(r);
	return true;
}

bool jobs_running_timer_nudges(job_run *run, err_t *err)
{
	jobs_count(run, "runaway_timers", 0);
	jobs_count(run, "stopped", 0);
	jobs_count(run, "notified", 0);
	return jobs_each_workspace(run, nudge_workspace, NULL, err);
}
