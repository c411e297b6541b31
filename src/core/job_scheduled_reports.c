/* time-scheduled-reports: each enabled saved view that is due on the run's
 * date in the workspace's time zone (daily: always; weekly: on Mondays;
 * monthly: on the 1st) is computed as the summary report its owner would see
 * over the view's range (relative ranges end yesterday) and emailed to each
 * recipient: the table as plain text and HTML, and a CSV attachment with the
 * by_user and by_project rows. The mail of a view, recipient and day is
 * queued once (dedupe key); a view's recipients are queued together or not
 * at all. A member's view only ever goes to the member's own address, even if
 * the stored recipients say otherwise (e.g. the owner was demoted). */
#include "core/jobs.h"
#include "core/mail.h"
#include "core/reports.h"
#include "core/saved_views.h"
#include "core/settings.h"
#include "util/arena.h"
#include "util/dates.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { WEEKLY_DOW = 1 /* Monday */, MONTHLY_DAY = 1 };

/* Columns of the due views query. */
enum { V_ID, V_NAME, V_FILTERS, V_RECIPIENTS, V_OWNER, V_ROLE, V_EMAIL };

static double num(json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

static void table(arena_t *a, json_t *rows, const char *title, const char *none, char **text, char **html)
{
	*text = arena_sprintf(a, "%s\n%s:\n", *text, title);
	char *et = mail_html_escape(title);
	*html = arena_sprintf(a, "%s<h3>%s</h3><table><tr><th>Name</th><th>Hours</th><th>Billable</th><th>Entries</th></tr>",
			      *html, et);
	free(et);
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r) {
		const char *name = json_string_value(json_object_get(r, "name"));
		name = name ? name : none;
		long long n = (long long)json_integer_value(json_object_get(r, "entry_count"));
		char *en = mail_html_escape(name);
		*text = arena_sprintf(a, "%s  %-30s %8.2f h  %8.2f h billable  %lld entries\n", *text, name,
				      num(r, "total_hours"), num(r, "billable_hours"), n);
		*html = arena_sprintf(a, "%s<tr><td>%s</td><td>%.2f</td><td>%.2f</td><td>%lld</td></tr>", *html, en,
				      num(r, "total_hours"), num(r, "billable_hours"), n);
		free(en);
	}
	if (json_array_size(rows) == 0)
		*text = arena_sprintf(a, "%s  (no time)\n", *text);
	*html = arena_sprintf(a, "%s</table>", *html);
}

static void bodies(arena_t *a, const char *name, const char *from, const char *to, json_t *sum, char **text, char **html)
{
	double total = num(sum, "total_hours"), billable = num(sum, "billable_hours");
	char *en = mail_html_escape(name);
	*text = arena_sprintf(a, "%s\n%s to %s\n\nTotal: %.2f h\nBillable: %.2f h\nEntries: %lld\n", name, from, to, total,
			      billable, (long long)json_integer_value(json_object_get(sum, "entry_count")));
	*html = arena_sprintf(a, "<h2>%s</h2><p>%s to %s</p><ul><li>Total: %.2f h</li><li>Billable: %.2f h</li>"
			      "<li>Entries: %lld</li></ul>",
			      en, from, to, total, billable, (long long)json_integer_value(json_object_get(sum, "entry_count")));
	free(en);
	table(a, json_object_get(sum, "by_user"), "By user", "", text, html);
	table(a, json_object_get(sum, "by_project"), "By project", "(no project)", text, html);
	*text = arena_sprintf(a, "%s\nThe CSV attachment holds the same rows.\n", *text);
}

static bool send_view(job_run *run, core_ctx *c, PGresult *v, int i, const char *today, err_t *err)
{
	json_t *filters = json_loads(PQgetvalue(v, i, V_FILTERS), 0, NULL);
	json_t *rcpt = json_loads(PQgetvalue(v, i, V_RECIPIENTS), 0, NULL);
	json_t *sum = NULL;
	char from[11], to[11];
	bool ok = false;
	if (!saved_views_range(filters, today, from, to, err))
		goto done;
	actor_t owner;
	jobs_user_actor(c->actor, PQgetvalue(v, i, V_OWNER), &owner);
	snprintf(owner.role, sizeof owner.role, "%s", PQgetvalue(v, i, V_ROLE));
	core_ctx oc = { c->db, &owner };
	if (!(sum = reports_summary(&oc, from, to, err)))
		goto done;
	arena_t *a = arena_new();
	const char *name = PQgetvalue(v, i, V_NAME);
	char *text, *html, *csv = saved_views_csv(sum);
	bodies(a, name, from, to, sum, &text, &html);
	bool member = !strcmp(owner.role, "member");
	long queued_n = 0;
	ok = csv && db_begin(c->db, err);
	size_t k;
	json_t *r;
	json_array_foreach(rcpt, k, r) {
		const char *to_addr = json_string_value(r);
		if (!ok)
			break;
		if (!to_addr || (member && strcasecmp(to_addr, PQgetvalue(v, i, V_EMAIL)))) {
			jobs_count(run, "recipients_refused", 1);
			continue;
		}
		char *key = arena_sprintf(a, "saved-report:%s:%s:%s", PQgetvalue(v, i, V_ID), today, to_addr);
		for (char *p = key; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		mail_message m = { .to = to_addr,
				   .subject = arena_sprintf(a, "%s: %.2f hours (%s to %s)", name, num(sum, "total_hours"), from, to),
				   .text = text,
				   .html = html,
				   .attachment_name = arena_sprintf(a, "time-report-%s-to-%s.csv", from, to),
				   .attachment_type = "text/csv",
				   .attachment = csv,
				   .dedupe_key = key };
		bool queued;
		ok = mail_enqueue(c, &m, &queued, err);
		queued_n += ok && queued;
	}
	ok = ok && db_commit(c->db, err);
	if (ok) {
		jobs_count(run, "emails_queued", queued_n);
		jobs_count(run, "views_sent", queued_n > 0);
	} else {
		db_rollback(c->db);
		if (!csv && !err_any(err))
			err_set(err, ERR_INTERNAL, "internal_error", "out of memory");
	}
	free(csv);
	arena_free(a);
done:
	json_decref(sum);
	json_decref(filters);
	json_decref(rcpt);
	return ok;
}

static bool reports_workspace(job_run *run, core_ctx *c, void *arg, err_t *err)
{
	(void)arg;
	settings_t s;
	char today[11];
	long day;
	int y, m, d;
	if (!settings_load(c, &s, err) || !jobs_local_day(run, c, s.timezone, today, err))
		return false;
	if (!dates_parse(today, &day))
		return err_set(err, ERR_INTERNAL, "internal_error", "bad local date %s", today);
	dates_to_civil(day, &y, &m, &d);
	PGresult *v = DB_QUERY(
		c->db, err,
		"SELECT v.id, v.name, v.filters::text, v.recipients::text, v.user_id, u.role, u.email"
		" FROM time_saved_views v JOIN users u ON u.workspace_id = v.workspace_id AND u.id = v.user_id"
		" WHERE v.workspace_id = $1 AND v.enabled AND (v.schedule = 'daily'"
		"  OR (v.schedule = 'weekly' AND $2::boolean) OR (v.schedule = 'monthly' AND $3::boolean))"
		" ORDER BY v.created_at, v.id",
		c->actor->workspace_id, dates_dow(day) == WEEKLY_DOW ? "true" : "false", d == MONTHLY_DAY ? "true" : "false");
	if (!v)
		return false;
	for (int i = 0; i < PQntuples(v); i++) {
		err_t e = { 0 };
		jobs_count(run, "views_due", 1);
		if (send_view(run, c, v, i, today, &e))
			continue;
		if (e.kind == ERR_UNAVAILABLE) {
			*err = e;
			PQclear(v);
			return false;
		}
		jobs_error(run, c->actor->workspace_id, PQgetvalue(v, i, V_ID), &e);
	}
	PQclear(v);
	return true;
}

bool jobs_scheduled_reports(job_run *run, err_t *err)
{
	jobs_count(run, "views_due", 0);
	jobs_count(run, "views_sent", 0);
	jobs_count(run, "emails_queued", 0);
	return jobs_each_workspace(run, reports_workspace, NULL, err);
}
