/* time-weekly-digest (Pro): on Fridays (the end of the working week, in the
 * workspace's time zone) each user who logged time this period is emailed
 * their week so far: total and billable hours, the billable share, and hours
 * per project, from the summary report as they would see it themselves.
 * Each user's digest for a period is queued once (dedupe key). */
#include "core/jobs.h"
#include "core/mail.h"
#include "core/plans.h"
#include "core/reports.h"
#include "core/settings.h"
#include "util/arena.h"
#include "util/dates.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { DIGEST_DOW = 5 /* Friday */ };

static double num(json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

/* Text and HTML bodies of one digest, in arena a. */
static void digest_bodies(arena_t *a, const char *name, const char *from, const char *to, json_t *sum, char **text,
			  char **html)
{
	double total = num(sum, "total_hours"), billable = num(sum, "billable_hours");
	double share = total > 0 ? 100.0 * billable / total : 0;
	char *ename = mail_html_escape(name);
	*text = arena_sprintf(a, "Hi %s,\n\nYour week so far (%s to %s):\n  Total: %.2f h\n  Billable: %.2f h (%.0f%%)\n\nBy project:\n",
			      name, from, to, total, billable, share);
	*html = arena_sprintf(a, "<p>Hi %s,</p><p>Your week so far (%s to %s):</p><ul><li>Total: %.2f h</li>"
			      "<li>Billable: %.2f h (%.0f%%)</li></ul><table><tr><th>Project</th><th>Hours</th>"
			      "<th>Billable</th></tr>",
			      ename, from, to, total, billable, share);
	free(ename);
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(sum, "by_project"), i, p) {
		const char *pname = json_string_value(json_object_get(p, "name"));
		pname = pname ? pname : "(no project)";
		char *ep = mail_html_escape(pname);
		*text = arena_sprintf(a, "%s  %s: %.2f h (%.2f h billable)\n", *text, pname, num(p, "total_hours"),
				      num(p, "billable_hours"));
		*html = arena_sprintf(a, "%s<tr><td>%s</td><td>%.2f</td><td>%.2f</td></tr>", *html, ep, num(p, "total_hours"),
				      num(p, "billable_hours"));
		free(ep);
	}
	*html = arena_sprintf(a, "%s</table>", *html);
}

static bool digest_user(job_run *run, core_ctx *c, PGresult *users, int i, const char *from, const char *to, err_t *err)
{
	actor_t ua;
	jobs_user_actor(c->actor, PQgetvalue(users, i, 0), &ua);
	core_ctx uc = { c->db, &ua };
	json_t *sum = reports_summary(&uc, from, to, err);
	if (!sum)
		return false;
	bool ok = true;
	if (json_integer_value(json_object_get(sum, "entry_count")) == 0) {
		jobs_count(run, "skipped_no_time", 1);
	} else {
		arena_t *a = arena_new();
		char *text, *html, key[160];
		digest_bodies(a, PQgetvalue(users, i, 2), from, to, sum, &text, &html);
		snprintf(key, sizeof key, "weekly-digest:%s:%s", PQgetvalue(users, i, 0), from);
		mail_message m = { .to = PQgetvalue(users, i, 1),
				   .subject = arena_sprintf(a, "Your week so far: %.2f hours", num(sum, "total_hours")),
				   .text = text, .html = html, .dedupe_key = key };
		bool queued;
		ok = mail_enqueue(c, &m, &queued, err);
		if (ok)
			jobs_count(run, "emails_queued", queued ? 1 : 0);
		arena_free(a);
	}
	json_decref(sum);
	return ok;
}

static bool digest_workspace(job_run *run, core_ctx *c, void *arg, err_t *err)
{
	(void)arg;
	settings_t s;
	char today[11], from[11];
	long day;
	if (!plans_allows(c->actor, FEATURE_WEEKLY_DIGEST))
		return true;
	if (!settings_load(c, &s, err) || !jobs_local_day(run, c, s.timezone, today, err))
		return false;
	if (!dates_parse(today, &day) || dates_dow(day) != DIGEST_DOW)
		return true;
	jobs_count(run, "workspaces_due", 1);
	dates_format(dates_period_start(day, s.week_start_dow), from);
	PGresult *users = jobs_users(c, false, err);
	if (!users)
		return false;
	for (int i = 0; i < PQntuples(users); i++) {
		err_t e = { 0 };
		if (digest_user(run, c, users, i, from, today, &e))
			continue;
		if (e.kind == ERR_UNAVAILABLE) {
			*err = e;
			PQclear(users);
			return false;
		}
		jobs_error(run, c->actor->workspace_id, PQgetvalue(users, i, 0), &e);
	}
	PQclear(users);
	return true;
}

bool jobs_weekly_digest(job_run *run, err_t *err)
{
	jobs_count(run, "workspaces_due", 0);
	jobs_count(run, "emails_queued", 0);
	return jobs_each_workspace(run, digest_workspace, NULL, err);
}
