/* What the crons send: in-app notifications (own only, paginated, marked
 * read) and email, kept in the outbox without SMTP and delivered through a
 * local SMTP server with it, once. */
#include "harness.h"
#include "smtp_sink.h"
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *cd_call(long want, const char *tok, const char *method, const char *path, const char *body,
		       json_t **pagination)
{
	harness_response r = harness_request(method, path, tok, body, NULL);
	cr_assert_eq(r.status, want, "%s %s: want %ld, got %ld: %s", method, path, want, r.status, r.body);
	json_t *d = json_incref(harness_data(&r));
	if (pagination)
		*pagination = json_incref(json_object_get(r.json, "pagination"));
	harness_response_free(&r);
	return d;
}

static void cd_setup_reminders(harness_ws *w, const char *plan)
{
	harness_workspace(w, plan, NULL);
	json_decref(cd_call(200, w->admin_tok, "PATCH", "/api/v1/time/settings", "{\"reminder_min_daily_hours\": 2}", NULL));
}

Test(cron_delivery, notifications_are_read_by_their_owner_only)
{
	harness_ws w;
	cd_setup_reminders(&w, "free");
	json_t *run = harness_cron("time-tracking-reminders", "2025-08-04T17:25:00Z");
	cr_assert(run);
	json_decref(run);
	json_t *page;
	json_t *mine = cd_call(200, w.member_tok, "GET", "/api/v1/notifications?limit=1", NULL, &page);
	cr_assert_eq(json_array_size(mine), 1);
	cr_assert_eq(json_integer_value(json_object_get(page, "total")), 1);
	json_decref(page);
	json_t *n = json_array_get(mine, 0);
	cr_assert_str_eq(json_string_value(json_object_get(n, "kind")), "reminder.daily");
	cr_assert(json_is_false(json_object_get(n, "read")));
	char path[160];
	snprintf(path, sizeof path, "/api/v1/notifications/%s/read", json_string_value(json_object_get(n, "id")));

	/* Someone else's notification does not exist for them, admins included. */
	harness_response r = harness_request("POST", path, w.member2_tok, NULL, NULL);
	cr_assert_eq(r.status, 404);
	harness_response_free(&r);
	r = harness_request("POST", path, w.admin_tok, NULL, NULL);
	cr_assert_eq(r.status, 404);
	harness_response_free(&r);

	json_t *read = cd_call(200, w.member_tok, "POST", path, NULL, NULL);
	cr_assert(json_is_true(json_object_get(read, "read")));
	json_decref(read);
	json_t *unread = cd_call(200, w.member_tok, "GET", "/api/v1/notifications?unread=true", NULL, NULL);
	cr_assert_eq(json_array_size(unread), 0);
	json_decref(unread);
	/* The other users got their own reminder and see only it. */
	json_t *theirs = cd_call(200, w.member2_tok, "GET", "/api/v1/notifications", NULL, NULL);
	cr_assert_eq(json_array_size(theirs), 1);
	cr_assert_str_neq(json_string_value(json_object_get(json_array_get(theirs, 0), "id")),
			  json_string_value(json_object_get(n, "id")));
	json_decref(theirs);
	json_decref(mine);
	r = harness_request("GET", "/api/v1/notifications", NULL, NULL, NULL);
	cr_assert_eq(r.status, 401);
	harness_response_free(&r);
	harness_workspace_free(&w);
}

/* A project of w over its time budget, so the next budget run emails the admin. */
static void cd_over_budget(harness_ws *w, const char *day)
{
	const char *prj = harness_demo_id(w, "projects", 0);
	PQclear(harness_sql("UPDATE projects SET time_budget_hours = NULL WHERE workspace_id = $1", 1, w->ws));
	PQclear(harness_sql("UPDATE projects SET time_budget_hours = 1, name = 'Café <Launch>' WHERE id = $1", 1, prj));
	char body[256];
	snprintf(body, sizeof body, "{\"entity_type\":\"project\",\"entity_id\":\"%s\",\"log_date\":\"%s\",\"hours\":2}", prj, day);
	json_t *e = cd_call(201, w->member_tok, "POST", "/api/v1/time-entries", body, NULL);
	/* Approved: a project's actuals are its approved hours. */
	char path[160];
	snprintf(path, sizeof path, "/api/v1/timesheets/%s/submit", json_string_value(json_object_get(e, "timesheet_id")));
	json_decref(cd_call(200, w->member_tok, "POST", path, NULL, NULL));
	snprintf(path, sizeof path, "/api/v1/timesheets/%s/approve", json_string_value(json_object_get(e, "timesheet_id")));
	json_decref(cd_call(200, w->manager_tok, "POST", path, NULL, NULL));
	json_decref(e);
}

static char *cd_admin_email(const harness_ws *w)
{
	PGresult *r = harness_sql("SELECT email FROM users WHERE id = $1", 1, w->admin);
	char *e = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	return e;
}

Test(cron_delivery, without_smtp_email_waits_in_the_outbox)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	cd_over_budget(&w, "2025-09-01");
	unsetenv("SMTP_URL");
	json_t *run = harness_cron("time-budget-alerts", "2025-09-02T16:45:00Z");
	cr_assert(run);
	json_decref(run);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM email_outbox WHERE workspace_id = $1 AND status = 'pending'", 1, w.ws), 1);
	harness_workspace_free(&w);
}

Test(cron_delivery, smtp_delivers_multipart_mail_once)
{
	int port = smtp_sink_start();
	char url[64];
	snprintf(url, sizeof url, "smtp://127.0.0.1:%d", port);
	setenv("SMTP_URL", url, 1);
	setenv("SMTP_FROM", "Workestra Time <time@example.test>", 1);
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	cd_over_budget(&w, "2025-10-01");
	json_t *run = harness_cron("time-budget-alerts", "2025-10-02T16:45:00Z");
	cr_assert(run);
	cr_assert_geq(json_integer_value(json_object_get(json_object_get(run, "counts"), "emails_sent")), 1);
	json_decref(run);
	char *to = cd_admin_email(&w);
	/* The sink also gets whatever earlier tests left pending: find ours. */
	int found = 0;
	for (size_t i = 0; i < smtp_sink_count(); i++) {
		smtp_sink_message m = smtp_sink_get(i);
		if (strstr(m.rcpt, to)) {
			found++;
			cr_assert_str_eq(m.from, "<time@example.test>");
			cr_assert(strstr(m.data, "From: Workestra Time <time@example.test>"), "%s", m.data);
			cr_assert(strstr(m.data, "Subject: =?UTF-8?B?"), "non-ASCII subjects are encoded: %s", m.data);
			cr_assert(strstr(m.data, "multipart/alternative"), "%s", m.data);
			cr_assert(strstr(m.data, "text/plain; charset=utf-8"), "%s", m.data);
			cr_assert(strstr(m.data, "text/html; charset=utf-8"), "%s", m.data);
			cr_assert(strstr(m.data, "&lt;Launch&gt;"), "HTML is escaped: %s", m.data);
		}
		smtp_sink_message_free(&m);
	}
	cr_assert_eq(found, 1, "one email to the admin");
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM email_outbox WHERE workspace_id = $1 AND status = 'sent'"
				      " AND sent_at IS NOT NULL",
				      1, w.ws),
		     1);
	/* Again the same day, and the next day: nothing is sent twice. */
	size_t before = smtp_sink_count();
	json_decref(harness_cron("time-budget-alerts", "2025-10-02T18:00:00Z"));
	json_decref(harness_cron("time-budget-alerts", "2025-10-03T16:45:00Z"));
	cr_assert_eq(smtp_sink_count(), before);
	free(to);
	unsetenv("SMTP_URL");
	smtp_sink_stop();
	harness_workspace_free(&w);
}

Test(cron_delivery, a_down_smtp_server_keeps_mail_pending)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	cd_over_budget(&w, "2025-11-03");
	char url[64];
	snprintf(url, sizeof url, "smtp://127.0.0.1:%d", harness_free_port()); /* nobody listens */
	setenv("SMTP_URL", url, 1);
	json_t *run = harness_cron("time-budget-alerts", "2025-11-04T16:45:00Z");
	cr_assert(run);
	cr_assert_str_eq(json_string_value(json_object_get(run, "status")), "succeeded");
	json_decref(run);
	unsetenv("SMTP_URL");
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM email_outbox WHERE workspace_id = $1 AND status = 'pending'"
				      " AND attempts = 1 AND last_error LIKE 'SMTP delivery%'",
				      1, w.ws),
		     1);
	harness_workspace_free(&w);
}
