/* Saved report views: CRUD, validation and who may do what
 * (suite saved_views), and the time-scheduled-reports job that mails them
 * with a CSV attachment through a local SMTP server (suite saved_reports).
 * The job sees every workspace in the test database, so assertions look at
 * this test's recipients only, and each test uses its own days. */
#include "harness.h"
#include "smtp_sink.h"
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((format(printf, 5, 6))) static json_t *sv_call(long want, const char *tok, const char *method,
							      const char *path, const char *fmt, ...)
{
	char body[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(body, sizeof body, fmt, ap);
	va_end(ap);
	harness_response r = harness_request(method, path, tok, *body ? body : NULL, NULL);
	cr_assert_eq(r.status, want, "%s %s %s: want %ld, got %ld: %s", method, path, body, want, r.status, r.body);
	json_t *d = json_incref(harness_data(&r));
	harness_response_free(&r);
	return d;
}

static char *sv_email(const char *user)
{
	PGresult *r = harness_sql("SELECT email FROM users WHERE id = $1", 1, user);
	char *e = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	return e;
}

static const char *sv_str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Creates a view as tok; returns its id (owned). */
static char *sv_create(const char *tok, const char *name, const char *filters, const char *recipients,
		       const char *schedule)
{
	json_t *v = sv_call(201, tok, "POST", "/api/v1/time/saved-views",
			    "{\"name\":\"%s\",\"filters\":%s,\"recipients\":%s,\"schedule\":\"%s\"}", name, filters,
			    recipients, schedule);
	char *id = strdup(sv_str(v, "id"));
	json_decref(v);
	return id;
}

static long sv_audits(const char *id, const char *action)
{
	return harness_sql_long("SELECT count(*) FROM audit_log WHERE entity_id = $1 AND action = $2", 2, id, action);
}

/* ------------------------------------------------------------- saved_views */

Test(saved_views, crud_with_audit)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char *id = sv_create(w.manager_tok, "Team week", "{\"range\":\"last_week\"}",
			     "[\"lead@example.com\",\"pm@example.com\"]", "weekly");
	char path[160];
	snprintf(path, sizeof path, "/api/v1/time/saved-views/%s", id);
	json_t *v = sv_call(200, w.manager_tok, "GET", path, "%s", "");
	cr_assert_str_eq(sv_str(v, "user_id"), w.manager);
	cr_assert_str_eq(sv_str(v, "name"), "Team week");
	cr_assert_str_eq(sv_str(v, "schedule"), "weekly");
	cr_assert_str_eq(sv_str(json_object_get(v, "filters"), "range"), "last_week");
	cr_assert_eq(json_array_size(json_object_get(v, "recipients")), 2);
	cr_assert(json_is_true(json_object_get(v, "enabled")));
	json_decref(v);

	json_t *list = sv_call(200, w.manager_tok, "GET", "/api/v1/time/saved-views", "%s", "");
	cr_assert_eq(json_array_size(list), 1);
	json_decref(list);

	v = sv_call(200, w.manager_tok, "PATCH", path,
		    "{\"name\":\"Team month\",\"schedule\":\"monthly\",\"enabled\":false,"
		    "\"filters\":{\"range\":\"custom\",\"from\":\"2026-01-01\",\"to\":\"2026-01-31\"}}");
	cr_assert_str_eq(sv_str(v, "name"), "Team month");
	cr_assert_str_eq(sv_str(v, "schedule"), "monthly");
	cr_assert(json_is_false(json_object_get(v, "enabled")));
	cr_assert_str_eq(sv_str(json_object_get(v, "filters"), "from"), "2026-01-01");
	cr_assert_eq(json_array_size(json_object_get(v, "recipients")), 2, "untouched fields stay");
	json_decref(v);
	cr_assert_eq(sv_audits(id, "time_saved_view.upserted"), 2);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM audit_log WHERE entity_id = $1 AND action = 'time_saved_view.upserted'"
				      " AND changes ? 'schedule' AND user_id = $2",
				      2, id, w.manager),
		     2);

	json_decref(sv_call(200, w.manager_tok, "DELETE", path, "%s", ""));
	json_decref(sv_call(404, w.manager_tok, "GET", path, "%s", ""));
	json_decref(sv_call(404, w.manager_tok, "DELETE", path, "%s", ""));
	cr_assert_eq(sv_audits(id, "time_saved_view.deleted"), 1);
	free(id);
	harness_workspace_free(&w);
}

static void sv_invalid(const harness_ws *w, const char *body, const char *needle)
{
	harness_response r = harness_request("POST", "/api/v1/time/saved-views", w->admin_tok, body, NULL);
	cr_assert_eq(r.status, 422, "%s: %ld %s", body, r.status, r.body);
	cr_assert_str_eq(harness_error_code(&r), "validation_failed");
	cr_assert(strstr(r.body, needle), "%s: %s lacks %s", body, r.body, needle);
	harness_response_free(&r);
}

Test(saved_views, validation)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	const char *ok_rest = "\"filters\":{\"range\":\"last_day\"},\"recipients\":[\"a@example.com\"],\"schedule\":\"daily\"";
	char body[512];
	snprintf(body, sizeof body, "{%s}", ok_rest);
	sv_invalid(&w, body, "name");
	snprintf(body, sizeof body, "{\"name\":\"\",%s}", ok_rest);
	sv_invalid(&w, body, "name");
	snprintf(body, sizeof body, "{\"name\":\"x\\ny\",%s}", ok_rest);
	sv_invalid(&w, body, "control characters");
	snprintf(body, sizeof body, "{\"name\":\"x\",\"colour\":\"red\",%s}", ok_rest);
	sv_invalid(&w, body, "colour");
	sv_invalid(&w, "{\"name\":\"x\",\"filters\":{\"range\":\"last_day\"},\"recipients\":[\"a@example.com\"],\"schedule\":\"hourly\"}",
		   "schedule");
	sv_invalid(&w, "{\"name\":\"x\",\"recipients\":[\"a@example.com\"],\"schedule\":\"daily\"}", "filters");
	sv_invalid(&w, "{\"name\":\"x\",\"filters\":{\"range\":\"forever\"},\"recipients\":[\"a@example.com\"],\"schedule\":\"daily\"}",
		   "range");
	sv_invalid(&w,
		   "{\"name\":\"x\",\"filters\":{\"range\":\"custom\",\"from\":\"2026-02-01\",\"to\":\"2026-01-01\"},"
		   "\"recipients\":[\"a@example.com\"],\"schedule\":\"daily\"}",
		   "after");
	sv_invalid(&w, "{\"name\":\"x\",\"filters\":{\"range\":\"last_day\"},\"recipients\":[],\"schedule\":\"daily\"}",
		   "recipients");
	sv_invalid(&w, "{\"name\":\"x\",\"filters\":{\"range\":\"last_day\"},\"recipients\":\"a@example.com\",\"schedule\":\"daily\"}",
		   "recipients");
	sv_invalid(&w,
		   "{\"name\":\"x\",\"filters\":{\"range\":\"last_day\"},\"recipients\":[\"a@example.com\",\"bad address\"],"
		   "\"schedule\":\"daily\"}",
		   "recipients[1]");
	sv_invalid(&w,
		   "{\"name\":\"x\",\"filters\":{\"range\":\"last_day\"},\"recipients\":[\"a@example.com\",\"A@Example.com\"],"
		   "\"schedule\":\"daily\"}",
		   "listed twice");
	sv_invalid(&w,
		   "{\"name\":\"x\",\"filters\":{\"range\":\"last_day\"},\"recipients\":[\"a@example.com\"],\"schedule\":\"daily\","
		   "\"enabled\":\"yes\"}",
		   "enabled");
	/* A PATCH is checked as the whole view it makes. */
	char *id = sv_create(w.admin_tok, "ok", "{\"range\":\"last_day\"}", "[\"a@example.com\"]", "daily");
	char path[160];
	snprintf(path, sizeof path, "/api/v1/time/saved-views/%s", id);
	json_decref(sv_call(422, w.admin_tok, "PATCH", path, "{\"filters\":{\"range\":\"custom\"}}"));
	json_decref(sv_call(422, w.admin_tok, "PATCH", path, "{\"name\":null}"));
	json_decref(sv_call(422, w.admin_tok, "PATCH", path, "{\"user_id\":\"%s\"}", w.member));
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_saved_views WHERE workspace_id = $1", 1, w.ws), 1);
	free(id);
	harness_workspace_free(&w);
}

Test(saved_views, permissions)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char *me = sv_email(w.member), rcpt[400];
	snprintf(rcpt, sizeof rcpt, "[\"%s\"]", me);
	/* A member's view goes to the member only. */
	char *mine = sv_create(w.member_tok, "My week", "{\"range\":\"last_week\"}", rcpt, "weekly");
	harness_response r = harness_request("POST", "/api/v1/time/saved-views", w.member_tok,
					     "{\"name\":\"Leak\",\"filters\":{\"range\":\"last_week\"},"
					     "\"recipients\":[\"someone@example.com\"],\"schedule\":\"weekly\"}",
					     NULL);
	cr_assert_eq(r.status, 403, "%s", r.body);
	harness_response_free(&r);
	snprintf(rcpt, sizeof rcpt, "[\"%s\",\"someone@example.com\"]", me);
	json_decref(sv_call(403, w.member_tok, "POST", "/api/v1/time/saved-views",
			    "{\"name\":\"Leak\",\"filters\":{\"range\":\"last_week\"},\"recipients\":%s,\"schedule\":\"weekly\"}",
			    rcpt));
	char *team = sv_create(w.manager_tok, "Team", "{\"range\":\"last_day\"}", "[\"x@example.com\"]", "daily");
	char mpath[160], tpath[160];
	snprintf(mpath, sizeof mpath, "/api/v1/time/saved-views/%s", mine);
	snprintf(tpath, sizeof tpath, "/api/v1/time/saved-views/%s", team);

	/* Lists: own views; admins see all. */
	json_t *l = sv_call(200, w.member_tok, "GET", "/api/v1/time/saved-views", "%s", "");
	cr_assert_eq(json_array_size(l), 1);
	cr_assert_str_eq(sv_str(json_array_get(l, 0), "id"), mine);
	json_decref(l);
	l = sv_call(200, w.manager_tok, "GET", "/api/v1/time/saved-views", "%s", "");
	cr_assert_eq(json_array_size(l), 1);
	cr_assert_str_eq(sv_str(json_array_get(l, 0), "id"), team);
	json_decref(l);
	l = sv_call(200, w.admin_tok, "GET", "/api/v1/time/saved-views?limit=1", "%s", "");
	cr_assert_eq(json_array_size(l), 1);
	json_decref(l);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_saved_views WHERE workspace_id = $1", 1, w.ws), 2);
	l = sv_call(200, w.admin_tok, "GET", "/api/v1/time/saved-views", "%s", "");
	cr_assert_eq(json_array_size(l), 2);
	json_decref(l);

	/* Someone else's view does not exist for members and managers. */
	json_decref(sv_call(404, w.member_tok, "GET", tpath, "%s", ""));
	json_decref(sv_call(404, w.member_tok, "PATCH", tpath, "{\"name\":\"mine now\"}"));
	json_decref(sv_call(404, w.member_tok, "DELETE", tpath, "%s", ""));
	json_decref(sv_call(404, w.manager_tok, "GET", mpath, "%s", ""));
	json_decref(sv_call(404, w.member2_tok, "DELETE", mpath, "%s", ""));
	/* Admins may change any view, but a member's still goes to the member only. */
	json_decref(sv_call(403, w.admin_tok, "PATCH", mpath, "{\"recipients\":[\"boss@example.com\"]}"));
	json_t *v = sv_call(200, w.admin_tok, "PATCH", mpath, "{\"schedule\":\"daily\"}");
	cr_assert_str_eq(sv_str(v, "user_id"), w.member, "the owner stays");
	json_decref(v);
	/* The member changes their own. */
	json_decref(sv_call(200, w.member_tok, "PATCH", mpath, "{\"enabled\":false}"));
	json_decref(sv_call(200, w.admin_tok, "DELETE", tpath, "%s", ""));
	cr_assert_eq(sv_audits(team, "time_saved_view.deleted"), 1);
	r = harness_request("GET", "/api/v1/time/saved-views", NULL, NULL, NULL);
	cr_assert_eq(r.status, 401);
	harness_response_free(&r);
	/* Another workspace's admin sees nothing of it. */
	harness_ws w2;
	harness_workspace(&w2, "free", NULL);
	json_decref(sv_call(404, w2.admin_tok, "GET", mpath, "%s", ""));
	l = sv_call(200, w2.admin_tok, "GET", "/api/v1/time/saved-views", "%s", "");
	cr_assert_eq(json_array_size(l), 0);
	json_decref(l);
	harness_workspace_free(&w2);
	free(mine);
	free(team);
	free(me);
	harness_workspace_free(&w);
}

/* ----------------------------------------------------------- saved_reports */

static const char *const JOB = "time-scheduled-reports";

static void sv_smtp_on(void)
{
	char url[64];
	snprintf(url, sizeof url, "smtp://127.0.0.1:%d", smtp_sink_start());
	setenv("SMTP_URL", url, 1);
	setenv("SMTP_FROM", "Workestra Time <time@example.test>", 1);
}

static void sv_smtp_off(void)
{
	unsetenv("SMTP_URL");
	smtp_sink_stop();
}

/* Decodes standard base64, skipping line breaks (malloc'd). */
static char *sv_unbase64(const char *s, size_t n)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = calloc(1, n + 1), *o = out;
	unsigned acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n && s[i] != '='; i++) {
		const char *p = strchr(alphabet, s[i]);
		if (!p || !s[i])
			continue;
		acc = (acc << 6) | (unsigned)(p - alphabet);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			*o++ = (char)((acc >> bits) & 0xff);
		}
	}
	return out;
}

/* The mail the sink got for address to: how many, and (when out is not NULL)
 * the first one's raw data and decoded attachment (both malloc'd, or NULL). */
static size_t sv_mail(const char *to, char **data, char **attachment)
{
	size_t found = 0;
	if (data)
		*data = NULL;
	if (attachment)
		*attachment = NULL;
	for (size_t i = 0; i < smtp_sink_count(); i++) {
		smtp_sink_message m = smtp_sink_get(i);
		if (strstr(m.rcpt, to) && found++ == 0) {
			if (data)
				*data = strdup(m.data);
			const char *fn = strstr(m.data, "filename=\"time-report-");
			const char *start = fn ? strstr(fn, "\r\n\r\n") : NULL;
			const char *end = start ? strstr(start + 4, "\r\n--") : NULL;
			if (attachment && end)
				*attachment = sv_unbase64(start + 4, (size_t)(end - start - 4));
		}
		smtp_sink_message_free(&m);
	}
	return found;
}

/* An address unique to this test and label. */
static void sv_addr(char out[160], const harness_ws *w, const char *label)
{
	snprintf(out, 160, "%s+%s@example.test", label, w->ws);
}

static char *sv_view(const harness_ws *w, const char *tok, const char *name, const char *range, const char *schedule,
		     const char *to)
{
	char rcpt[200];
	snprintf(rcpt, sizeof rcpt, "[\"%s\"]", to);
	char filters[80];
	snprintf(filters, sizeof filters, "{\"range\":\"%s\"}", range);
	(void)w;
	return sv_create(tok, name, filters, rcpt, schedule);
}

/* hours on the workspace's first demo project, logged by tok on day. */
static void sv_entry(const harness_ws *w, const char *tok, const char *day, const char *hours)
{
	json_decref(sv_call(201, tok, "POST", "/api/v1/time-entries",
			    "{\"entity_type\":\"project\",\"entity_id\":\"%s\",\"log_date\":\"%s\",\"hours\":%s,\"billable\":true}",
			    harness_demo_id(w, "projects", 0), day, hours));
}

static json_t *sv_run(const char *now)
{
	json_t *run = harness_cron(JOB, now);
	cr_assert(run, "%s --now %s failed", JOB, now);
	cr_assert_str_eq(json_string_value(json_object_get(run, "status")), "succeeded");
	cr_assert_eq(json_array_size(json_object_get(run, "errors")), 0, "%s", json_dumps(run, 0));
	return run;
}

static long sv_outbox(const harness_ws *w)
{
	return harness_sql_long("SELECT count(*) FROM email_outbox WHERE workspace_id = $1", 1, w->ws);
}

Test(saved_reports, monday_sends_daily_and_weekly_with_csv_once)
{
	sv_smtp_on();
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	const char *prj = harness_demo_id(&w, "projects", 0);
	PQclear(harness_sql("UPDATE projects SET name = 'Acme, \"Big\" <Co>' WHERE id = $1", 1, prj));
	sv_entry(&w, w.member_tok, "2026-02-26", "2");
	sv_entry(&w, w.member2_tok, "2026-02-27", "1.5");
	sv_entry(&w, w.member_tok, "2026-03-02", "4"); /* today: in no range */
	char daily[160], weekly[160], monthly[160], off[160];
	sv_addr(daily, &w, "daily");
	sv_addr(weekly, &w, "weekly");
	sv_addr(monthly, &w, "monthly");
	sv_addr(off, &w, "off");
	free(sv_view(&w, w.admin_tok, "Yesterday", "last_day", "daily", daily));
	char *wk = sv_view(&w, w.admin_tok, "Team week", "last_week", "weekly", weekly);
	free(sv_view(&w, w.admin_tok, "Team month", "last_month", "monthly", monthly));
	char *dis = sv_view(&w, w.admin_tok, "Disabled", "last_day", "daily", off);
	char path[160];
	snprintf(path, sizeof path, "/api/v1/time/saved-views/%s", dis);
	json_decref(sv_call(200, w.admin_tok, "PATCH", path, "{\"enabled\":false}"));

	json_t *run = sv_run("2026-03-02T06:20:00Z"); /* a Monday */
	cr_assert_geq(json_integer_value(json_object_get(json_object_get(run, "counts"), "emails_sent")), 2);
	json_decref(run);
	cr_assert_eq(sv_mail(daily, NULL, NULL), 1);
	cr_assert_eq(sv_mail(monthly, NULL, NULL), 0, "monthly views wait for the 1st");
	cr_assert_eq(sv_mail(off, NULL, NULL), 0, "disabled views are not sent");
	char *data, *csv;
	cr_assert_eq(sv_mail(weekly, &data, &csv), 1);
	cr_assert(strstr(data, "Subject: Team week: 3.50 hours (2026-02-23 to 2026-03-01)"), "%s", data);
	cr_assert(strstr(data, "multipart/alternative"), "%s", data);
	cr_assert(strstr(data, "Content-Type: text/csv"), "%s", data);
	cr_assert(strstr(data, "filename=\"time-report-2026-02-23-to-2026-03-01.csv\""), "%s", data);
	cr_assert_not_null(csv, "no CSV attachment: %s", data);
	char want[512];
	static const char header[] = "section,id,name,total_hours,billable_hours,non_billable_hours,entry_count\r\n";
	cr_assert(!strncmp(csv, header, sizeof header - 1), "%s", csv);
	snprintf(want, sizeof want, "project,%s,\"Acme, \"\"Big\"\" <Co>\",3.5000,3.5000,0.0000,2\r\n", prj);
	cr_assert(strstr(csv, want), "%s lacks %s", csv, want);
	snprintf(want, sizeof want, "user,%s,", w.member);
	cr_assert(strstr(csv, want), "%s", csv);
	snprintf(want, sizeof want, "user,%s,", w.member2);
	cr_assert(strstr(csv, want), "the admin's view counts the team: %s", csv);
	cr_assert(strstr(csv, ",2.0000,2.0000,0.0000,1\r\n") && strstr(csv, ",1.5000,1.5000,0.0000,1\r\n"), "%s", csv);
	free(data);
	free(csv);
	/* The HTML table is escaped; the text table is there. */
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM email_outbox WHERE workspace_id = $1 AND to_address = $2"
				      " AND body_html LIKE '%Acme, &quot;Big&quot; &lt;Co&gt;%' AND body_text LIKE '%By project:%'"
				      " AND body_text LIKE '%Acme, \"Big\" <Co>%'",
				      2, w.ws, weekly),
		     1);

	/* Again: the recorded run answers; and even with the record gone, the
	 * dedupe keys send nothing twice. */
	size_t before = smtp_sink_count();
	long queued = sv_outbox(&w);
	cr_assert_eq(queued, 2);
	json_t *again = harness_cron(JOB, "2026-03-02T09:00:00Z");
	cr_assert(json_is_true(json_object_get(again, "replayed")));
	json_decref(again);
	PQclear(harness_sql("DELETE FROM cron_runs WHERE job = $1 AND run_date = '2026-03-02'", 1, JOB));
	json_decref(sv_run("2026-03-02T10:00:00Z"));
	cr_assert_eq(smtp_sink_count(), before);
	cr_assert_eq(sv_outbox(&w), queued);
	free(wk);
	free(dis);
	sv_smtp_off();
	harness_workspace_free(&w);
}

/* Names that a spreadsheet would run as formulas reach the CSV attachment
 * neutralised: prefixed with a single quote. */
Test(saved_reports, csv_cells_never_start_a_formula)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	const char *prj = harness_demo_id(&w, "projects", 0);
	PQclear(harness_sql("UPDATE projects SET name = '=HYPERLINK(\"http://evil.example\",\"Acme\")' WHERE id = $1", 1, prj));
	PQclear(harness_sql("UPDATE users SET name = '@SUM(1+1)' WHERE id = $1", 1, w.member));
	PQclear(harness_sql("UPDATE users SET name = '-2+3' WHERE id = $1", 1, w.member2));
	sv_entry(&w, w.member_tok, "2026-06-08", "2");
	sv_entry(&w, w.member2_tok, "2026-06-08", "1");
	char to[160];
	sv_addr(to, &w, "formulas");
	free(sv_view(&w, w.admin_tok, "Formulas", "last_day", "daily", to));
	json_decref(sv_run("2026-06-09T06:20:00Z"));
	PGresult *r = harness_sql("SELECT attachment FROM email_outbox WHERE workspace_id = $1 AND to_address = $2", 2, w.ws, to);
	cr_assert_eq(PQntuples(r), 1);
	const char *csv = PQgetvalue(r, 0, 0);
	char want[256];
	snprintf(want, sizeof want, "project,%s,\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"Acme\"\")\",3.0000,", prj);
	cr_assert(strstr(csv, want), "%s lacks %s", csv, want);
	snprintf(want, sizeof want, "user,%s,'@SUM(1+1),2.0000,", w.member);
	cr_assert(strstr(csv, want), "%s lacks %s", csv, want);
	snprintf(want, sizeof want, "user,%s,'-2+3,1.0000,", w.member2);
	cr_assert(strstr(csv, want), "%s lacks %s", csv, want);
	PQclear(r);
	harness_workspace_free(&w);
}

Test(saved_reports, the_first_sends_daily_and_monthly)
{
	sv_smtp_on();
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	sv_entry(&w, w.member_tok, "2026-03-01", "1");
	sv_entry(&w, w.member_tok, "2026-03-31", "2.25");
	sv_entry(&w, w.member_tok, "2026-02-28", "5"); /* before the range */
	char daily[160], weekly[160], monthly[160];
	sv_addr(daily, &w, "daily");
	sv_addr(weekly, &w, "weekly");
	sv_addr(monthly, &w, "monthly");
	free(sv_view(&w, w.admin_tok, "Yesterday", "last_day", "daily", daily));
	free(sv_view(&w, w.admin_tok, "Team week", "last_week", "weekly", weekly));
	free(sv_view(&w, w.admin_tok, "Team month", "last_month", "monthly", monthly));
	json_decref(sv_run("2026-04-01T06:20:00Z")); /* a Wednesday */
	cr_assert_eq(sv_mail(weekly, NULL, NULL), 0, "weekly views wait for Monday");
	char *data, *csv;
	cr_assert_eq(sv_mail(daily, &data, &csv), 1);
	cr_assert(strstr(data, "Subject: Yesterday: 2.25 hours (2026-03-31 to 2026-03-31)"), "%s", data);
	free(data);
	free(csv);
	cr_assert_eq(sv_mail(monthly, &data, &csv), 1);
	cr_assert(strstr(data, "Subject: Team month: 3.25 hours (2026-03-01 to 2026-03-31)"), "%s", data);
	cr_assert(strstr(data, "filename=\"time-report-2026-03-01-to-2026-03-31.csv\""), "%s", data);
	cr_assert(strstr(csv, ",3.2500,3.2500,0.0000,2\r\n"), "%s", csv);
	free(data);
	free(csv);
	sv_smtp_off();
	harness_workspace_free(&w);
}

Test(saved_reports, another_day_sends_only_daily)
{
	sv_smtp_on();
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char daily[160], weekly[160], monthly[160];
	sv_addr(daily, &w, "daily");
	sv_addr(weekly, &w, "weekly");
	sv_addr(monthly, &w, "monthly");
	free(sv_view(&w, w.admin_tok, "Yesterday", "last_day", "daily", daily));
	free(sv_view(&w, w.admin_tok, "Team week", "last_week", "weekly", weekly));
	free(sv_view(&w, w.admin_tok, "Team month", "last_month", "monthly", monthly));
	json_decref(sv_run("2026-04-15T06:20:00Z")); /* a Wednesday, not the 1st */
	char *data, *csv;
	cr_assert_eq(sv_mail(daily, &data, &csv), 1, "a day without time still gets its (empty) report");
	cr_assert(strstr(data, "Subject: Yesterday: 0.00 hours (2026-04-14 to 2026-04-14)"), "%s", data);
	cr_assert_str_eq(csv, "section,id,name,total_hours,billable_hours,non_billable_hours,entry_count\r\n");
	free(data);
	free(csv);
	cr_assert_eq(sv_mail(weekly, NULL, NULL), 0);
	cr_assert_eq(sv_mail(monthly, NULL, NULL), 0);
	cr_assert_eq(sv_outbox(&w), 1);
	sv_smtp_off();
	harness_workspace_free(&w);
}

Test(saved_reports, a_members_view_in_the_workspace_time_zone)
{
	sv_smtp_on();
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	json_decref(sv_call(200, w.admin_tok, "PATCH", "/api/v1/time/settings", "{\"timezone\":\"Pacific/Auckland\"}"));
	sv_entry(&w, w.member_tok, "2026-04-28", "3");
	sv_entry(&w, w.member2_tok, "2026-04-28", "7");
	char *me = sv_email(w.member);
	char *id = sv_view(&w, w.member_tok, "My week", "last_week", "weekly", me);
	/* Even if a member's stored recipients said otherwise, only they get it. */
	PQclear(harness_sql("UPDATE time_saved_views SET recipients = recipients || '[\"elsewhere@example.test\"]'"
			    " WHERE id = $1",
			    1, id));
	/* 13:00 UTC on Sunday 3 May is 01:00 on Monday 4 May in Auckland. */
	json_t *run = sv_run("2026-05-03T13:00:00Z");
	cr_assert_geq(json_integer_value(json_object_get(json_object_get(run, "counts"), "recipients_refused")), 1);
	json_decref(run);
	char *data, *csv;
	cr_assert_eq(sv_mail(me, &data, &csv), 1);
	cr_assert(strstr(data, "Subject: My week: 3.00 hours (2026-04-27 to 2026-05-03)"), "as the member sees it: %s", data);
	char want[160];
	snprintf(want, sizeof want, "user,%s,", w.member2);
	cr_assert_null(strstr(csv, want), "%s", csv);
	free(data);
	free(csv);
	cr_assert_eq(sv_mail("elsewhere@example.test", NULL, NULL), 0);
	cr_assert_eq(sv_outbox(&w), 1);
	free(id);
	free(me);
	sv_smtp_off();
	harness_workspace_free(&w);
}
