/* The jobs against a real database, with --now on the days that matter and
 * every run repeated to show it does nothing twice. Jobs see every workspace
 * in the test database, so assertions look at this test's workspace only,
 * and each test uses its own days (one recorded run per job and day). */
#include "harness.h"
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Sends a request, asserts the status, returns data (owned, may be NULL). */
static void cj_settings(const harness_ws *w, const char *json)
{
	json_decref(harness_call(200, w->admin_tok, "PATCH", "/api/v1/time/settings", "%s", json));
}

/* A manual entry of hours on the workspace's first demo project. */
static void cj_entry(const harness_ws *w, const char *tok, const char *day, const char *hours, bool billable)
{
	json_decref(harness_call(201, tok, "POST", "/api/v1/time-entries",
			    "{\"entity_type\":\"project\",\"entity_id\":\"%s\",\"log_date\":\"%s\",\"hours\":%s,\"billable\":%s}",
			    harness_demo_id(w, "projects", 0), day, hours, billable ? "true" : "false"));
}

/* Like cj_entry; returns the entry's timesheet id (owned). */
static char *cj_entry_sheet(const harness_ws *w, const char *tok, const char *day, const char *hours)
{
	json_t *e = harness_call(201, tok, "POST", "/api/v1/time-entries",
				 "{\"entity_type\":\"project\",\"entity_id\":\"%s\",\"log_date\":\"%s\",\"hours\":%s}",
				 harness_demo_id(w, "projects", 0), day, hours);
	char *ts = strdup(json_string_value(json_object_get(e, "timesheet_id")));
	json_decref(e);
	return ts;
}

/* The owner (tok) submits timesheet ts, approver_tok approves it, or rejects
 * it when approve is false. */
static void cj_decide(const char *tok, const char *approver_tok, const char *ts, bool approve)
{
	char path[160];
	snprintf(path, sizeof path, "/api/v1/timesheets/%s/submit", ts);
	json_decref(harness_call(200, tok, "POST", path, "%s", ""));
	snprintf(path, sizeof path, "/api/v1/timesheets/%s/%s", ts, approve ? "approve" : "reject");
	json_decref(harness_call(200, approver_tok, "POST", path, "%s", approve ? "" : "{\"reason\":\"not this project\"}"));
}

/* Starts tok's timer and moves its start to started_at; returns the entry id (owned). */
static char *cj_timer(const harness_ws *w, const char *tok, const char *started_at)
{
	json_t *e = harness_call(201, tok, "POST", "/api/v1/time/timer/start", "{\"entity_type\":\"project\",\"entity_id\":\"%s\"}",
			    harness_demo_id(w, "projects", 0));
	char *id = strdup(json_string_value(json_object_get(e, "id")));
	json_decref(e);
	PQclear(harness_sql("UPDATE time_entries SET started_at = $2::timestamptz WHERE id = $1", 2, id, started_at));
	return id;
}

/* Runs job at now twice: the second is the recorded answer. Returns the first. */
static json_t *cj_run_twice(const char *job, const char *now)
{
	json_t *first = harness_cron(job, now);
	cr_assert(first, "%s --now %s failed", job, now);
	cr_assert_str_eq(json_string_value(json_object_get(first, "status")), "succeeded");
	json_t *second = harness_cron(job, now);
	cr_assert(second);
	cr_assert(json_is_true(json_object_get(second, "replayed")), "second run of %s was not replayed", job);
	json_decref(second);
	return first;
}

static long cj_notes(const harness_ws *w, const char *user, const char *kind)
{
	return harness_sql_long("SELECT count(*) FROM notifications WHERE workspace_id = $1 AND user_id = $2 AND kind = $3", 3,
				w->ws, user, kind);
}

static long cj_running(const char *id)
{
	return harness_sql_long("SELECT count(*) FROM time_entries WHERE id = $1 AND ended_at IS NULL", 1, id);
}

/* ------------------------------------------------------------ timer nudges */

Test(cron_jobs, nudges_notify_on_free_plans)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	/* runaway_timer_hours 12 (default); the run is at 06:30. */
	char *over = cj_timer(&w, w.admin_tok, "2025-02-02T18:29:00Z");
	char *under = cj_timer(&w, w.member_tok, "2025-02-02T18:31:00Z");
	json_decref(cj_run_twice("time-running-timer-nudges", "2025-02-03T06:30:00Z"));
	cr_assert_eq(cj_notes(&w, w.admin, "timer.runaway"), 1);
	cr_assert_eq(cj_notes(&w, w.member, "timer.runaway"), 0);
	cr_assert_eq(cj_running(over), 1, "free plans are never stopped");
	cr_assert_eq(cj_running(under), 1);
	free(over);
	free(under);
	harness_workspace_free(&w);
}

Test(cron_jobs, nudges_stop_pro_timers_at_the_threshold)
{
	harness_ws w;
	harness_workspace(&w, "pro", NULL);
	cj_settings(&w, "{\"runaway_timer_hours\": 10}");
	char *over = cj_timer(&w, w.member_tok, "2025-02-05T20:29:00Z");
	char *under = cj_timer(&w, w.member2_tok, "2025-02-05T20:31:00Z");
	json_decref(cj_run_twice("time-running-timer-nudges", "2025-02-06T06:30:00Z"));
	cr_assert_eq(cj_running(over), 0);
	cr_assert_eq(cj_running(under), 1);
	PGresult *r = harness_sql("SELECT wt_iso(ended_at), duration_seconds FROM time_entries WHERE id = $1", 1, over);
	cr_assert_str_eq(PQgetvalue(r, 0, 0), "2025-02-06T06:29:00Z");
	cr_assert_str_eq(PQgetvalue(r, 0, 1), "36000");
	PQclear(r);
	/* The cron's audit rows name the user whose timer it stopped. */
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM audit_log WHERE entity_id = $1 AND action = 'timer.stopped'"
				      " AND source = 'cron' AND user_id = $2",
				      2, over, w.member),
		     1);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM audit_log WHERE entity_id = $1 AND source = 'cron'"
				      " AND (user_id IS DISTINCT FROM $2)",
				      2, over, w.member),
		     0, "every cron row of the entry names its owner");
	cr_assert_eq(cj_notes(&w, w.member, "timer.auto_stopped"), 1);
	cr_assert_eq(cj_notes(&w, w.member2, "timer.auto_stopped"), 0);
	free(over);
	free(under);
	harness_workspace_free(&w);
}

/* A timer started through the API (at a whole second: no fraction to lose)
 * and stopped by the cron at its 12 h threshold lasts exactly 12 h. */
Test(cron_jobs, auto_stop_at_twelve_hours_records_exactly_twelve_hours)
{
	harness_ws w;
	harness_workspace(&w, "pro", NULL);
	json_t *e = harness_call(201, w.member_tok, "POST", "/api/v1/time/timer/start",
				 "{\"entity_type\":\"project\",\"entity_id\":\"%s\"}", harness_demo_id(&w, "projects", 0));
	char *id = strdup(json_string_value(json_object_get(e, "id")));
	json_decref(e);
	/* Moved to 05:00 on the run's day, keeping any fraction of the start. */
	PQclear(harness_sql("UPDATE time_entries SET started_at = '2025-07-07T05:00:00Z'::timestamptz"
			    " + (started_at - date_trunc('second', started_at)) WHERE id = $1",
			    1, id));
	json_decref(cj_run_twice("time-running-timer-nudges", "2025-07-07T18:00:00Z"));
	cr_assert_eq(cj_running(id), 0);
	PGresult *r = harness_sql("SELECT wt_iso(ended_at), duration_seconds, ended_at = date_trunc('second', ended_at)"
				  " FROM time_entries WHERE id = $1",
				  1, id);
	cr_assert_str_eq(PQgetvalue(r, 0, 0), "2025-07-07T17:00:00Z");
	cr_assert_str_eq(PQgetvalue(r, 0, 1), "43200", "12 h exactly, not 11.9997 h");
	cr_assert_str_eq(PQgetvalue(r, 0, 2), "t");
	PQclear(r);
	char path[128];
	snprintf(path, sizeof path, "/api/v1/time-entries/%s", id);
	harness_response g = harness_request("GET", path, w.member_tok, NULL, NULL);
	cr_assert_eq(g.status, 200);
	cr_assert(strstr(g.body, "\"hours\":12.0,") || strstr(g.body, "\"hours\":12,"), "REST hours: %s", g.body);
	harness_response_free(&g);
	free(id);
	harness_workspace_free(&w);
}

/* ---------------------------------------------------------- auto-submit */

static const char *cj_sheet_status(const harness_ws *w, const char *user, const char *day)
{
	static char status[16];
	PGresult *r = harness_sql("SELECT status FROM timesheets WHERE workspace_id = $1 AND user_id = $2"
				  " AND period_start <= $3::date AND period_end >= $3::date",
				  3, w->ws, user, day);
	snprintf(status, sizeof status, "%s", PQntuples(r) ? PQgetvalue(r, 0, 0) : "none");
	PQclear(r);
	return status;
}

Test(cron_jobs, auto_submit_on_the_day_skipping_running_timers)
{
	harness_ws w, free_ws;
	harness_workspace(&w, "pro", NULL);
	harness_workspace(&free_ws, "free", NULL);
	cj_settings(&w, "{\"auto_submit_dow\": 1, \"week_start_dow\": 1}");
	cj_settings(&free_ws, "{\"auto_submit_dow\": 1, \"week_start_dow\": 1}");
	/* The week of Monday 2025-03-03. */
	cj_entry(&w, w.member_tok, "2025-03-04", "2", true);
	cj_entry(&w, w.member2_tok, "2025-03-05", "3", true);
	cj_entry(&free_ws, free_ws.member_tok, "2025-03-04", "2", true);
	/* member2 left a timer running in that week. */
	char *timer = cj_timer(&w, w.member2_tok, "2025-03-05T09:00:00Z");
	PQclear(harness_sql("UPDATE time_entries SET log_date = '2025-03-05', timesheet_id = (SELECT id FROM timesheets"
			    " WHERE user_id = $2 AND period_start = '2025-03-03') WHERE id = $1",
			    2, timer, w.member2));

	/* Tuesday is not the day. */
	json_decref(cj_run_twice("time-auto-submit-timesheets", "2025-03-11T05:30:00Z"));
	cr_assert_str_eq(cj_sheet_status(&w, w.member, "2025-03-04"), "draft");

	json_t *run = cj_run_twice("time-auto-submit-timesheets", "2025-03-10T05:30:00Z");
	cr_assert_str_eq(cj_sheet_status(&w, w.member, "2025-03-04"), "submitted");
	cr_assert_str_eq(cj_sheet_status(&w, w.member2, "2025-03-05"), "draft");
	cr_assert_str_eq(cj_sheet_status(&free_ws, free_ws.member, "2025-03-04"), "draft", "auto-submit is Pro");
	bool reported = false;
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(json_object_get(run, "details"), "skipped"), i, s)
		reported |= !strcmp(json_string_value(json_object_get(s, "user_id")), w.member2) &&
			    !strcmp(json_string_value(json_object_get(s, "reason")), "timer_running");
	cr_assert(reported, "the skipped timesheet is reported");
	cr_assert_eq(cj_notes(&w, w.member2, "timesheet.auto_submit_skipped"), 1);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM audit_log WHERE workspace_id = $1 AND action = 'timesheet.submitted'"
				      " AND source = 'cron'",
				      1, w.ws),
		     1);
	/* It names the owner of the timesheet it submitted; the row itself says nobody submitted it by hand. */
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM audit_log a JOIN timesheets t ON t.id = a.entity_id"
				      " WHERE a.workspace_id = $1 AND a.action = 'timesheet.submitted' AND a.source = 'cron'"
				      " AND a.user_id = $2 AND t.user_id = $2 AND t.submitted_by IS NULL",
				      2, w.ws, w.member),
		     1);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_webhook_events WHERE workspace_id = $1"
				      " AND event = 'timesheet.submitted'",
				      1, w.ws),
		     1);
	json_decref(run);
	free(timer);
	harness_workspace_free(&w);
	harness_workspace_free(&free_ws);
}

/* -------------------------------------------------------- weekly digest */

Test(cron_jobs, weekly_digest_emails_the_week_so_far_on_fridays)
{
	harness_ws w, free_ws;
	harness_workspace(&w, "pro", NULL);
	harness_workspace(&free_ws, "free", NULL);
	cj_entry(&w, w.member_tok, "2025-04-08", "3", true);
	cj_entry(&w, w.member_tok, "2025-04-09", "1", false);
	cj_entry(&w, w.member_tok, "2025-04-14", "5", true); /* next week: not counted */
	cj_entry(&free_ws, free_ws.member_tok, "2025-04-08", "3", true);

	json_decref(cj_run_twice("time-weekly-digest", "2025-04-10T07:30:00Z"));
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM email_outbox WHERE workspace_id = $1", 1, w.ws), 0);
	json_decref(cj_run_twice("time-weekly-digest", "2025-04-11T07:30:00Z"));
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM email_outbox WHERE workspace_id = $1", 1, w.ws), 1,
		     "only the user with time this week");
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM email_outbox WHERE workspace_id = $1", 1, free_ws.ws), 0);
	PGresult *r = harness_sql("SELECT o.subject, o.body_text, o.body_html FROM email_outbox o JOIN users u"
				  " ON u.email = o.to_address AND u.workspace_id = o.workspace_id WHERE o.workspace_id = $1"
				  " AND u.id = $2",
				  2, w.ws, w.member);
	cr_assert_eq(PQntuples(r), 1);
	cr_assert(strstr(PQgetvalue(r, 0, 0), "4.00 hours"), "subject: %s", PQgetvalue(r, 0, 0));
	cr_assert(strstr(PQgetvalue(r, 0, 1), "Billable: 3.00 h (75%)"), "text: %s", PQgetvalue(r, 0, 1));
	cr_assert(strstr(PQgetvalue(r, 0, 1), "2025-04-07 to 2025-04-11"), "text: %s", PQgetvalue(r, 0, 1));
	cr_assert(strstr(PQgetvalue(r, 0, 2), "<table>"), "html: %s", PQgetvalue(r, 0, 2));
	PQclear(r);
	harness_workspace_free(&w);
	harness_workspace_free(&free_ws);
}

/* -------------------------------------------------------- budget alerts */

static long cj_outbox_to(const harness_ws *w, const char *user)
{
	return harness_sql_long("SELECT count(*) FROM email_outbox o JOIN users u ON u.email = o.to_address"
				" AND u.workspace_id = o.workspace_id WHERE o.workspace_id = $1 AND u.id = $2",
				2, w->ws, user);
}

Test(cron_jobs, budget_alerts_each_threshold_once)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	const char *prj = harness_demo_id(&w, "projects", 0);
	PQclear(harness_sql("UPDATE projects SET time_budget_hours = NULL WHERE workspace_id = $1", 1, w.ws));
	PQclear(harness_sql("UPDATE projects SET time_budget_hours = 10 WHERE id = $1", 1, prj));
	/* Actuals are approved hours: each week is approved before the run. */
	char *ts = cj_entry_sheet(&w, w.member_tok, "2025-04-15", "7.5");
	cj_decide(w.member_tok, w.manager_tok, ts, true);
	free(ts);
	json_decref(cj_run_twice("time-budget-alerts", "2025-05-05T16:45:00Z"));
	cr_assert_eq(cj_notes(&w, w.admin, "budget.threshold"), 0, "75%% is below 80%%");

	ts = cj_entry_sheet(&w, w.member_tok, "2025-04-22", "1");
	cj_decide(w.member_tok, w.manager_tok, ts, true);
	free(ts);
	json_decref(cj_run_twice("time-budget-alerts", "2025-05-06T16:45:00Z"));
	cr_assert_eq(cj_notes(&w, w.admin, "budget.threshold"), 1);
	cr_assert_eq(cj_notes(&w, w.manager, "budget.threshold"), 0, "admins only");
	cr_assert_eq(cj_outbox_to(&w, w.admin), 0, "no email below 100%%");

	/* Still at 85 % the next day: nothing new. */
	json_decref(cj_run_twice("time-budget-alerts", "2025-05-07T16:45:00Z"));
	cr_assert_eq(cj_notes(&w, w.admin, "budget.threshold"), 1);

	ts = cj_entry_sheet(&w, w.member_tok, "2025-04-29", "2");
	cj_decide(w.member_tok, w.manager_tok, ts, true);
	free(ts);
	json_decref(cj_run_twice("time-budget-alerts", "2025-05-08T16:45:00Z"));
	cr_assert_eq(cj_notes(&w, w.admin, "budget.threshold"), 2);
	cr_assert_eq(cj_outbox_to(&w, w.admin), 1, "over 100%% emails the admins");
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_budget_alerts WHERE project_id = $1", 1, prj), 2);

	json_decref(cj_run_twice("time-budget-alerts", "2025-05-09T16:45:00Z"));
	cr_assert_eq(cj_notes(&w, w.admin, "budget.threshold"), 2);
	cr_assert_eq(cj_outbox_to(&w, w.admin), 1);
	harness_workspace_free(&w);
}

/* The review's project: a 12 h budget, 11 h approved, 29 h logged (drafts, a
 * rejected week) and a timer still running. The rollup, estimate-vs-actual and
 * the alert all say 11 h, 92 %; approving 15 h more, all say 26 h, 217 %. */
Test(cron_jobs, budget_alerts_count_the_actuals_the_rollup_shows)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	const char *prj = harness_demo_id(&w, "projects", 0);
	PQclear(harness_sql("UPDATE projects SET time_budget_hours = NULL WHERE workspace_id = $1", 1, w.ws));
	PQclear(harness_sql("UPDATE projects SET time_budget_hours = 12 WHERE id = $1", 1, prj));
	char *ts = cj_entry_sheet(&w, w.member_tok, "2025-06-09", "6");
	free(cj_entry_sheet(&w, w.member_tok, "2025-06-10", "5"));
	cj_decide(w.member_tok, w.manager_tok, ts, true); /* 11 h approved */
	free(ts);
	char *drafts = cj_entry_sheet(&w, w.member2_tok, "2025-06-09", "8");
	free(cj_entry_sheet(&w, w.member2_tok, "2025-06-11", "7")); /* 15 h draft */
	ts = cj_entry_sheet(&w, w.manager_tok, "2025-06-12", "3");
	cj_decide(w.manager_tok, w.admin_tok, ts, false); /* 3 h rejected */
	free(ts);
	json_decref(harness_call(201, w.admin_tok, "POST", "/api/v1/time/timer/start",
				 "{\"entity_type\":\"project\",\"entity_id\":\"%s\"}", prj)); /* running */

	char rollup_path[160], eva_path[200];
	snprintf(rollup_path, sizeof rollup_path, "/api/v1/time/rollups/project/%s", prj);
	snprintf(eva_path, sizeof eva_path, "/api/v1/time/reports/estimate-vs-actual?project_id=%s", prj);
	static const struct {
		const char *day;
		long actual, logged;
		double ratio;
		int notes, emails;
		const char *title, *text;
	} steps[] = {
		{ "2025-07-14T16:45:00Z", 11 * 3600, 29 * 3600, 0.9167, 1, 0, "has used 92% of its 12-hour time budget", NULL },
		{ "2025-07-15T16:45:00Z", 26 * 3600, 29 * 3600, 2.1667, 2, 1, "has used 217% of its 12-hour time budget",
		  "26 of 12 hours approved" },
	};
	for (size_t i = 0; i < 2; i++) {
		if (i == 1)
			cj_decide(w.member2_tok, w.manager_tok, drafts, true);
		json_t *rollup = harness_call(200, w.manager_tok, "GET", rollup_path, "%s", "");
		json_t *eva = harness_call(200, w.manager_tok, "GET", eva_path, "%s", "");
		json_t *row = json_array_get(json_object_get(eva, "projects"), 0);
		json_decref(cj_run_twice("time-budget-alerts", steps[i].day));
		PGresult *r = harness_sql("SELECT title, data::text FROM notifications WHERE workspace_id = $1 AND user_id = $2"
					  " AND kind = 'budget.threshold' ORDER BY created_at DESC LIMIT 1",
					  2, w.ws, w.admin);
		cr_assert_eq(PQntuples(r), 1);
		json_t *data = json_loads(PQgetvalue(r, 0, 1), 0, NULL);
		for (int k = 0; k < 3; k++) {
			json_t *o = k == 0 ? rollup : k == 1 ? row : data;
			const char *what = k == 0 ? "rollup" : k == 1 ? "estimate-vs-actual" : "alert";
			cr_assert_eq(json_integer_value(json_object_get(o, "actual_seconds")), steps[i].actual, "%s: actual seconds",
				     what);
			cr_assert_float_eq(json_number_value(json_object_get(o, k == 2 ? "hours" : "actual_hours")),
					   steps[i].actual / 3600.0, 1e-9, "%s: actual hours", what);
			cr_assert_float_eq(json_number_value(json_object_get(o, "budget_used_ratio")), steps[i].ratio, 1e-9,
					   "%s: budget_used_ratio", what);
			if (k < 2)
				cr_assert_eq(json_integer_value(json_object_get(o, "logged_seconds")), steps[i].logged,
					     "%s: logged seconds", what);
		}
		cr_assert(strstr(PQgetvalue(r, 0, 0), steps[i].title), "title: %s", PQgetvalue(r, 0, 0));
		PQclear(r);
		cr_assert_eq(cj_notes(&w, w.admin, "budget.threshold"), steps[i].notes);
		cr_assert_eq(cj_outbox_to(&w, w.admin), steps[i].emails);
		if (steps[i].text) {
			r = harness_sql("SELECT o.body_text, o.body_html FROM email_outbox o JOIN users u ON u.email = o.to_address"
					" AND u.workspace_id = o.workspace_id WHERE o.workspace_id = $1 AND u.id = $2",
					2, w.ws, w.admin);
			cr_assert(strstr(PQgetvalue(r, 0, 0), steps[i].text), "email: %s", PQgetvalue(r, 0, 0));
			cr_assert(strstr(PQgetvalue(r, 0, 0), steps[i].title), "email: %s", PQgetvalue(r, 0, 0));
			cr_assert(strstr(PQgetvalue(r, 0, 1), "has 26 approved hours"), "html: %s", PQgetvalue(r, 0, 1));
			PQclear(r);
		}
		json_decref(data);
		json_decref(eva);
		json_decref(rollup);
	}
	free(drafts);
	harness_workspace_free(&w);
}

/* ---------------------------------------------------------- reminders */

Test(cron_jobs, reminders_daily_on_working_days_and_weekly_on_fridays)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	cj_settings(&w, "{\"reminder_min_daily_hours\": 4, \"reminder_min_weekly_hours\": 30, \"week_start_dow\": 1}");
	cj_entry(&w, w.member_tok, "2025-06-02", "5", true);
	cj_entry(&w, w.member2_tok, "2025-06-02", "1", true);

	json_decref(cj_run_twice("time-tracking-reminders", "2025-06-02T17:25:00Z")); /* Monday */
	cr_assert_eq(cj_notes(&w, w.member, "reminder.daily"), 0);
	cr_assert_eq(cj_notes(&w, w.member2, "reminder.daily"), 1);
	cr_assert_eq(cj_notes(&w, w.member2, "reminder.weekly"), 0, "weekly reminders are for Fridays");

	json_decref(cj_run_twice("time-tracking-reminders", "2025-06-07T17:25:00Z")); /* Saturday */
	cr_assert_eq(cj_notes(&w, w.member2, "reminder.daily"), 1, "no daily reminder at weekends");

	cj_entry(&w, w.member_tok, "2025-06-06", "4", true);
	json_decref(cj_run_twice("time-tracking-reminders", "2025-06-06T17:25:00Z")); /* Friday */
	cr_assert_eq(cj_notes(&w, w.member, "reminder.daily"), 0);
	cr_assert_eq(cj_notes(&w, w.member2, "reminder.daily"), 2);
	cr_assert_eq(cj_notes(&w, w.member, "reminder.weekly"), 1, "9 of 30 hours");
	PGresult *r = harness_sql("SELECT data->>'logged_hours', data->>'from' FROM notifications WHERE user_id = $1"
				  " AND kind = 'reminder.weekly'",
				  1, w.member);
	cr_assert_str_eq(PQgetvalue(r, 0, 0), "9.0");
	cr_assert_str_eq(PQgetvalue(r, 0, 1), "2025-06-02");
	PQclear(r);
	harness_workspace_free(&w);
}
