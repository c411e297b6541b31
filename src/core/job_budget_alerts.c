/* time-budget-alerts: every project with a time_budget_hours. When its logged
 * hours (stopped, live entries up to the run's day) reach 80 % or 100 % of the
 * budget, the workspace admins are notified, once per threshold (remembered
 * in time_budget_alerts); reaching 100 % also emails them. A project that
 * falls back below a threshold (entries deleted) forgets it, so crossing it
 * again alerts again. */
#include "core/jobs.h"
#include "core/mail.h"
#include "core/notifications.h"
#include "core/settings.h"
#include "core/tx.h"
#include "util/arena.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const int THRESHOLDS[] = { 80, 100 };

typedef struct {
	const char *id, *name, *budget; /* budget: hours as text */
	double hours, percent;
} project_use;

static bool tell_admins(job_run *run, core_ctx *c, const project_use *p, int threshold, err_t *err)
{
	PGresult *admins = jobs_users(c, true, err);
	if (!admins)
		return false;
	arena_t *a = arena_new();
	char *title = arena_sprintf(a, "Project %s has used %.0f%% of its %s-hour time budget", p->name, p->percent, p->budget);
	json_t *data = json_pack("{s:s, s:i, s:f, s:s, s:f}", "project_id", p->id, "threshold", threshold, "hours", p->hours,
				 "budget_hours", p->budget, "percent", p->percent);
	char *key = arena_sprintf(a, "budget:%s:%d", p->id, threshold);
	char *ename = mail_html_escape(p->name);
	char *html = arena_sprintf(a, "<p>Project <strong>%s</strong> has logged %.2f hours against a time budget of %s hours"
				   " (%.0f%%).</p>", ename, p->hours, p->budget, p->percent);
	free(ename);
	bool ok = true;
	for (int i = 0; ok && i < PQntuples(admins); i++) {
		bool created;
		notification_input n = { .user_id = PQgetvalue(admins, i, 0), .kind = "budget.threshold", .title = title,
					 .data = data, .dedupe_key = arena_sprintf(a, "%s:%s", key, PQgetvalue(admins, i, 0)) };
		ok = notifications_create(c, &n, &created, err);
		if (ok)
			jobs_count(run, "notified", created ? 1 : 0);
		if (ok && threshold >= 100) {
			mail_message m = { .to = PQgetvalue(admins, i, 1), .subject = title,
					   .text = arena_sprintf(a, "%s: %.2f of %s hours logged.", title, p->hours, p->budget),
					   .html = html, .dedupe_key = n.dedupe_key };
			bool queued;
			ok = mail_enqueue(c, &m, &queued, err);
			if (ok)
				jobs_count(run, "emails_queued", queued ? 1 : 0);
		}
	}
	json_decref(data);
	arena_free(a);
	PQclear(admins);
	return ok;
}

/* Within one transaction: the thresholds newly reached are remembered and
 * announced together, or not at all. */
static bool check_project(job_run *run, core_ctx *c, const project_use *p, err_t *err)
{
	if (!db_begin(c->db, err))
		return false;
	char hours[32];
	snprintf(hours, sizeof hours, "%.4f", p->hours);
	for (size_t i = 0; i < sizeof THRESHOLDS / sizeof THRESHOLDS[0] && !err_any(err); i++) {
		char t[8];
		snprintf(t, sizeof t, "%d", THRESHOLDS[i]);
		if (p->percent < THRESHOLDS[i]) {
			DB_EXEC(c->db, err, "DELETE FROM time_budget_alerts WHERE workspace_id = $1 AND project_id = $2 AND threshold = $3::smallint",
				c->actor->workspace_id, p->id, t);
			continue;
		}
		PGresult *r = DB_QUERY(c->db, err,
				       "INSERT INTO time_budget_alerts (workspace_id, project_id, threshold, hours, budget_hours)"
				       " VALUES ($1, $2, $3::smallint, $4::numeric, $5::numeric) ON CONFLICT DO NOTHING RETURNING 1",
				       c->actor->workspace_id, p->id, t, hours, p->budget);
		if (!r)
			break;
		bool crossed = PQntuples(r) == 1;
		PQclear(r);
		if (crossed) {
			jobs_count(run, THRESHOLDS[i] >= 100 ? "crossed_100" : "crossed_80", 1);
			tell_admins(run, c, p, THRESHOLDS[i], err);
		}
	}
	return !err_any(err) ? db_commit(c->db, err) : (db_rollback(c->db), false);
}

static bool budget_workspace(job_run *run, core_ctx *c, void *arg, err_t *err)
{
	(void)arg;
	settings_t s;
	char today[11];
	if (!settings_load(c, &s, err) || !jobs_local_day(run, c, s.timezone, today, err))
		return false;
	PGresult *r = DB_QUERY(c->db, err,
			       "SELECT p.id, p.name, p.time_budget_hours::text,"
			       " coalesce(sum(e.duration_seconds), 0)::numeric / 3600"
			       " FROM projects p LEFT JOIN time_entries e ON e.workspace_id = p.workspace_id AND e.project_id = p.id"
			       "  AND e.deleted_at IS NULL AND e.duration_seconds IS NOT NULL AND e.log_date <= $2::date"
			       " WHERE p.workspace_id = $1 AND p.time_budget_hours > 0 GROUP BY p.id ORDER BY p.id",
			       c->actor->workspace_id, today);
	if (!r)
		return false;
	for (int i = 0; i < PQntuples(r); i++) {
		project_use p = { PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2), atof(PQgetvalue(r, i, 3)), 0 };
		p.percent = 100.0 * p.hours / atof(p.budget);
		jobs_count(run, "projects", 1);
		err_t e = { 0 };
		if (check_project(run, c, &p, &e))
			continue;
		if (e.kind == ERR_UNAVAILABLE) {
			*err = e;
			PQclear(r);
			return false;
		}
		jobs_error(run, c->actor->workspace_id, p.id, &e);
	}
	PQclear(r);
	return true;
}

bool jobs_budget_alerts(job_run *run, err_t *err)
{
	jobs_count(run, "projects", 0);
	jobs_count(run, "crossed_80", 0);
	jobs_count(run, "crossed_100", 0);
	jobs_count(run, "notified", 0);
	jobs_count(run, "emails_queued", 0);
	return jobs_each_workspace(run, budget_workspace, NULL, err);
}
