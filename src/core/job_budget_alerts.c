/* time-budget-alerts: every project with a time_budget_hours. When its
 * actuals (approved hours, counted by estimate-vs-actual: the same figures the
 * project rollup shows) reach 80 % or 100 % of the budget, the workspace admins
 * are notified, once per threshold (remembered in time_budget_alerts);
 * reaching 100 % also emails them. A project that falls back below a
 * threshold (an approval undone by a rejection, entries deleted) forgets it,
 * so crossing it again alerts again. */
#include "core/jobs.h"
#include "core/mail.h"
#include "core/notifications.h"
#include "core/reports.h"
#include "core/tx.h"
#include "util/arena.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const int THRESHOLDS[] = { 80, 100 };

/* One project's row of estimate-vs-actual (borrowed) and what it says. */
typedef struct {
	const char *id, *name;
	json_t *row;
	long long actual_seconds, budget_seconds;
	char hours[32], budget[32]; /* the actual and budget hours, as decimals */
	double percent;             /* budget_used_ratio × 100, for the text */
} project_use;

/* A decimal as the API shows it, without trailing zeros: 11, 11.9997, 0.5. */
static void decimal_text(json_t *v, char out[32])
{
	snprintf(out, 32, "%.4f", json_number_value(v));
	char *end = out + strlen(out) - 1;
	while (*end == '0')
		*end-- = '\0';
	if (*end == '.')
		*end = '\0';
}

static bool tell_admins(job_run *run, core_ctx *c, const project_use *p, int threshold, err_t *err)
{
	PGresult *admins = jobs_users(c, true, err);
	if (!admins)
		return false;
	arena_t *a = arena_new();
	char *title = arena_sprintf(a, "Project %s has used %.0f%% of its %s-hour time budget", p->name, p->percent, p->budget);
	/* The figures as estimate-vs-actual and the project rollup give them. */
	json_t *data = json_pack("{s:s, s:i, s:O, s:I, s:O, s:O, s:f}", "project_id", p->id, "threshold", threshold, "hours",
				 json_object_get(p->row, "actual_hours"), "actual_seconds", (json_int_t)p->actual_seconds,
				 "budget_hours", json_object_get(p->row, "time_budget_hours"), "budget_used_ratio",
				 json_object_get(p->row, "budget_used_ratio"), "percent", round(p->percent * 100) / 100);
	char *key = arena_sprintf(a, "budget:%s:%d", p->id, threshold);
	char *ename = mail_html_escape(p->name);
	char *html = arena_sprintf(a, "<p>Project <strong>%s</strong> has %s approved hours against a time budget of %s hours"
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
					   .text = arena_sprintf(a, "%s: %s of %s hours approved.", title, p->hours, p->budget),
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
	for (size_t i = 0; i < sizeof THRESHOLDS / sizeof THRESHOLDS[0] && !err_any(err); i++) {
		char t[8];
		snprintf(t, sizeof t, "%d", THRESHOLDS[i]);
		/* In whole seconds: no rounded ratio decides a threshold. */
		if (p->actual_seconds * 100 < (long long)THRESHOLDS[i] * p->budget_seconds) {
			DB_EXEC(c->db, err, "DELETE FROM time_budget_alerts WHERE workspace_id = $1 AND project_id = $2 AND threshold = $3::smallint",
				c->actor->workspace_id, p->id, t);
			continue;
		}
		PGresult *r = DB_QUERY(c->db, err,
				       "INSERT INTO time_budget_alerts (workspace_id, project_id, threshold, hours, budget_hours)"
				       " VALUES ($1, $2, $3::smallint, $4::numeric, $5::numeric) ON CONFLICT DO NOTHING RETURNING 1",
				       c->actor->workspace_id, p->id, t, p->hours, p->budget);
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
	json_t *report = reports_estimate_vs_actual(c, NULL, err);
	if (!report)
		return false;
	size_t i;
	json_t *row;
	json_array_foreach(json_object_get(report, "projects"), i, row) {
		json_t *budget = json_object_get(row, "time_budget_seconds");
		if (!json_is_integer(budget) || json_integer_value(budget) <= 0)
			continue;
		project_use p = { json_string_value(json_object_get(row, "project_id")),
				  json_string_value(json_object_get(row, "name")), row,
				  json_integer_value(json_object_get(row, "actual_seconds")), json_integer_value(budget) };
		decimal_text(json_object_get(row, "actual_hours"), p.hours);
		decimal_text(json_object_get(row, "time_budget_hours"), p.budget);
		p.percent = 100.0 * json_number_value(json_object_get(row, "budget_used_ratio"));
		jobs_count(run, "projects", 1);
		err_t e = { 0 };
		if (check_project(run, c, &p, &e))
			continue;
		if (e.kind == ERR_UNAVAILABLE) {
			*err = e;
			json_decref(report);
			return false;
		}
		jobs_error(run, c->actor->workspace_id, p.id, &e);
	}
	json_decref(report);
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
