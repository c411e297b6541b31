/* Reports and rollups over HTTP: exact totals for known entries, who sees
 * what, rounding and amounts, each rollup type, the task list column, the
 * estimate-vs-actual chart, utilization (Pro, People or the default hours) and
 * the refusals. */
#define _GNU_SOURCE /* vasprintf */
#include "harness.h"
#include <criterion/criterion.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RP_SUMMARY "/api/v1/time/reports/summary"
#define RP_UTILIZATION "/api/v1/time/reports/utilization"

/* printf into a new string; the caller frees it. */
static char *rp_fmt(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	cr_assert(n >= 0 && s, "out of memory");
	return s;
}

static const char *rp_str(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static double rp_num(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	cr_assert(json_is_number(v), "'%s' should be a number in %s", key, json_dumps(obj, JSON_COMPACT));
	return json_number_value(v);
}

static long rp_int(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	cr_assert(json_is_integer(v), "'%s' should be an integer in %s", key, json_dumps(obj, JSON_COMPACT));
	return (long)json_integer_value(v);
}

/* Asserts obj's <name>_seconds and <name>_hours (4 places). */
static void rp_expect_seconds(json_t *obj, const char *name, long seconds, const char *what)
{
	char key[64];
	snprintf(key, sizeof key, "%s_seconds", name);
	long got = rp_int(obj, key);
	cr_assert_eq(got, seconds, "%s: %s is %ld, expected %ld", what, key, got, seconds);
	snprintf(key, sizeof key, "%s_hours", name);
	double hours = round((double)seconds / 3600.0 * 10000.0) / 10000.0; /* half away from zero, like SQL round */
	cr_assert_float_eq(rp_num(obj, key), hours, 1e-9, "%s: %s", what, key);
}

/* The usual four: total, billable, non-billable seconds and the entry count. */
static void rp_expect_tally(json_t *obj, long total, long billable, long count, const char *what)
{
	rp_expect_seconds(obj, "total", total, what);
	rp_expect_seconds(obj, "billable", billable, what);
	rp_expect_seconds(obj, "non_billable", total - billable, what);
	cr_assert_eq(rp_int(obj, "entry_count"), count, "%s: entry_count", what);
}

/* GET path as tok, asserting 200 and an object in data; returns data (new reference). */
static json_t *rp_get(const char *tok, const char *path)
{
	harness_response r = harness_request("GET", path, tok, NULL, NULL);
	cr_assert_eq(r.status, 200, "GET %s: %ld %s", path, r.status, r.body);
	json_t *d = harness_data(&r);
	cr_assert(json_is_object(d), "GET %s: data should be an object: %s", path, r.body);
	json_incref(d);
	harness_response_free(&r);
	return d;
}

/* Asserts GET path answers status with code, the message naming needle (when given). */
static void rp_expect_error(const char *tok, const char *path, long status, const char *code, const char *needle)
{
	harness_response r = harness_request("GET", path, tok, NULL, NULL);
	cr_assert_eq(r.status, status, "GET %s: expected %ld, got %ld: %s", path, status, r.status, r.body);
	const char *got = harness_error_code(&r);
	cr_assert(got && !strcmp(got, code), "GET %s: expected error %s: %s", path, code, r.body);
	const char *msg = json_string_value(json_object_get(json_object_get(r.json, "error"), "message"));
	cr_assert(msg && *msg, "GET %s: error without a message", path);
	if (needle)
		cr_assert(strstr(msg, needle), "GET %s: message should name '%s': %s", path, needle, msg);
	harness_response_free(&r);
}

/* Sends body (formatted; fmt NULL: none) as tok with method to path; asserts the status. */
static void rp_send(const char *method, const char *path, const char *tok, long status, const char *fmt, ...)
{
	char *body = NULL;
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		int n = vasprintf(&body, fmt, ap);
		va_end(ap);
		cr_assert(n >= 0);
	}
	harness_response r = harness_request(method, path, tok, body, NULL);
	cr_assert_eq(r.status, status, "%s %s %s: %ld %s", method, path, body ? body : "", r.status, r.body);
	harness_response_free(&r);
	free(body);
}

/* Logs hours on a record as tok; extra is more JSON members or NULL. Returns the new entry (new reference). */
static json_t *rp_entry(const char *tok, const char *type, const char *id, const char *hours, const char *date,
			const char *extra)
{
	char *body = rp_fmt("{\"entity_type\":\"%s\",\"entity_id\":\"%s\",\"hours\":\"%s\",\"log_date\":\"%s\"%s%s}", type,
			    id, hours, date, extra ? "," : "", extra ? extra : "");
	harness_response r = harness_request("POST", "/api/v1/time-entries", tok, body, NULL);
	cr_assert_eq(r.status, 201, "create %s: %ld %s", body, r.status, r.body);
	free(body);
	json_t *e = harness_data(&r);
	json_incref(e);
	harness_response_free(&r);
	return e;
}

/* Like rp_entry, returning only the id (malloc'd). */
static char *rp_entry_id(const char *tok, const char *type, const char *id, const char *hours, const char *date,
			 const char *extra)
{
	json_t *e = rp_entry(tok, type, id, hours, date, extra);
	char *out = strdup(rp_str(e, "id"));
	json_decref(e);
	return out;
}

/* Submits (as the owner) and approves (as the manager) the timesheet of entry. */
static void rp_approve(const harness_ws *w, const char *owner_tok, const char *entry_id)
{
	char path[256];
	snprintf(path, sizeof path, "/api/v1/time-entries/%s", entry_id);
	json_t *e = rp_get(owner_tok, path);
	snprintf(path, sizeof path, "/api/v1/timesheets/%s/submit", rp_str(e, "timesheet_id"));
	rp_send("POST", path, owner_tok, 200, NULL);
	snprintf(path, sizeof path, "/api/v1/timesheets/%s/approve", rp_str(e, "timesheet_id"));
	rp_send("POST", path, w->manager_tok, 200, NULL);
	json_decref(e);
}

static void rp_settings(const harness_ws *w, const char *body)
{
	rp_send("PATCH", "/api/v1/time/settings", w->admin_tok, 200, "%s", body);
}

/* The item of array whose key equals value (NULL value: JSON null), or NULL. */
static json_t *rp_find(json_t *array, const char *key, const char *value)
{
	size_t i;
	json_t *item;
	json_array_foreach(array, i, item) {
		const char *v = rp_str(item, key);
		if (value ? v && !strcmp(v, value) : json_is_null(json_object_get(item, key)))
			return item;
	}
	return NULL;
}

static json_t *rp_must_find(json_t *array, const char *key, const char *value)
{
	json_t *item = rp_find(array, key, value);
	cr_assert(item, "no item with %s = %s in %s", key, value ? value : "null", json_dumps(array, JSON_COMPACT));
	return item;
}

/* The project a demo task belongs to. */
static const char *rp_task_project(const harness_ws *w, size_t task)
{
	return rp_str(json_array_get(json_object_get(w->demo, "tasks"), task), "project_id");
}

/* Today (UTC) moved by days, as YYYY-MM-DD into out (11 bytes). */
static void rp_day(int days, char out[11])
{
	time_t t = time(NULL) + (time_t)days * 86400;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

static json_t *rp_summary(const char *tok, const char *from, const char *to)
{
	char path[128];
	snprintf(path, sizeof path, RP_SUMMARY "?from=%s&to=%s", from, to);
	return rp_get(tok, path);
}

static json_t *rp_rollup(const char *tok, const char *type, const char *id)
{
	char path[256];
	snprintf(path, sizeof path, "/api/v1/time/rollups/%s/%s", type, id);
	return rp_get(tok, path);
}

/* ----------------------------------------------------------------- summary */

Test(reports, summary_exact_totals_breakdowns_and_visibility)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	const char *acme_task = harness_demo_id(&w, "tasks", 0), *globex_task = harness_demo_id(&w, "tasks", 3);
	const char *ticket = harness_demo_id(&w, "tickets", 2), *deal = harness_demo_id(&w, "deals", 0);
	json_decref(rp_entry(w.member_tok, "task", acme_task, "1.5", "2026-03-02", NULL));
	json_decref(rp_entry(w.member_tok, "ticket", ticket, "0.25", "2026-03-03", "\"billable\":false"));
	json_decref(rp_entry(w.member2_tok, "deal", deal, "2", "2026-03-10", NULL));
	json_decref(rp_entry(w.manager_tok, "task", globex_task, "1", "2026-03-31", NULL));
	/* Outside the range, and deleted: none of these count. */
	json_decref(rp_entry(w.manager_tok, "task", globex_task, "0.5", "2026-04-01", NULL));
	json_decref(rp_entry(w.admin_tok, "deal", deal, "1", "2026-02-28", NULL));
	char *gone = rp_entry_id(w.member_tok, "deal", deal, "3", "2026-03-05", NULL);
	char path[256];
	snprintf(path, sizeof path, "/api/v1/time-entries/%s", gone);
	rp_send("DELETE", path, w.member_tok, 200, NULL);

	json_t *s = rp_summary(w.manager_tok, "2026-03-01", "2026-03-31");
	rp_expect_tally(s, 17100, 16200, 4, "manager summary");
	cr_assert_eq(rp_int(s, "raw_total_seconds"), 17100);
	cr_assert_str_eq(rp_str(s, "from"), "2026-03-01");
	cr_assert_str_eq(rp_str(s, "to"), "2026-03-31");
	json_t *rounding = json_object_get(s, "rounding");
	cr_assert_str_eq(rp_str(rounding, "mode"), "none");
	cr_assert_eq(rp_int(rounding, "minutes"), 15);

	json_t *by_user = json_object_get(s, "by_user");
	cr_assert_eq(json_array_size(by_user), 3, "%s", json_dumps(by_user, JSON_COMPACT));
	json_t *u = rp_must_find(by_user, "user_id", w.member);
	cr_assert_str_eq(rp_str(u, "name"), "member");
	rp_expect_tally(u, 6300, 5400, 2, "member's row");
	rp_expect_tally(rp_must_find(by_user, "user_id", w.member2), 7200, 7200, 1, "member2's row");
	rp_expect_tally(rp_must_find(by_user, "user_id", w.manager), 3600, 3600, 1, "manager's row");
	cr_assert_str_eq(rp_str(json_array_get(by_user, 0), "user_id"), w.member2, "biggest first");

	json_t *by_project = json_object_get(s, "by_project");
	cr_assert_eq(json_array_size(by_project), 3, "%s", json_dumps(by_project, JSON_COMPACT));
	json_t *acme = rp_must_find(by_project, "project_id", rp_task_project(&w, 0));
	cr_assert_str_eq(rp_str(acme, "name"), "Acme onboarding");
	rp_expect_tally(acme, 5400, 5400, 1, "Acme");
	rp_expect_tally(rp_must_find(by_project, "project_id", rp_task_project(&w, 3)), 3600, 3600, 1, "Globex");
	json_t *none = rp_must_find(by_project, "project_id", NULL);
	cr_assert(json_is_null(json_object_get(none, "name")));
	rp_expect_tally(none, 8100, 7200, 2, "no project");

	json_t *by_type = json_object_get(s, "by_entity_type");
	cr_assert_eq(json_array_size(by_type), 3);
	rp_expect_tally(rp_must_find(by_type, "entity_type", "task"), 9000, 9000, 2, "tasks");
	rp_expect_tally(rp_must_find(by_type, "entity_type", "ticket"), 900, 0, 1, "tickets");
	rp_expect_tally(rp_must_find(by_type, "entity_type", "deal"), 7200, 7200, 1, "deals");
	json_decref(s);

	/* The admin sees the same; a member only their own entries, in every number. */
	s = rp_summary(w.admin_tok, "2026-03-01", "2026-03-31");
	rp_expect_tally(s, 17100, 16200, 4, "admin summary");
	json_decref(s);
	s = rp_summary(w.member_tok, "2026-03-01", "2026-03-31");
	rp_expect_tally(s, 6300, 5400, 2, "member summary");
	cr_assert_eq(json_array_size(json_object_get(s, "by_user")), 1);
	cr_assert_str_eq(rp_str(json_array_get(json_object_get(s, "by_user"), 0), "user_id"), w.member);
	cr_assert_eq(json_array_size(json_object_get(s, "by_project")), 2);
	json_decref(s);

	/* A day range holds that day's entries; an empty range is zeros, not an error. */
	s = rp_summary(w.manager_tok, "2026-03-31", "2026-03-31");
	rp_expect_tally(s, 3600, 3600, 1, "one day");
	json_decref(s);
	s = rp_summary(w.manager_tok, "2025-01-01", "2025-01-31");
	rp_expect_tally(s, 0, 0, 0, "empty range");
	cr_assert_eq(json_array_size(json_object_get(s, "by_user")), 0);
	cr_assert_eq(json_array_size(json_object_get(s, "amounts")), 0);
	json_decref(s);
	free(gone);
	harness_workspace_free(&w);
}

Test(reports, summary_refuses_bad_ranges)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	rp_expect_error(w.member_tok, RP_SUMMARY, 422, "validation_failed", "'from'");
	rp_expect_error(w.member_tok, RP_SUMMARY "?from=2026-03-01", 422, "validation_failed", "'to'");
	rp_expect_error(w.member_tok, RP_SUMMARY "?to=2026-03-01", 422, "validation_failed", "'from'");
	rp_expect_error(w.member_tok, RP_SUMMARY "?from=2026-02-30&to=2026-03-31", 422, "validation_failed", "'from'");
	rp_expect_error(w.member_tok, RP_SUMMARY "?from=2026-03-01&to=31.03.2026", 422, "validation_failed", "'to'");
	rp_expect_error(w.member_tok, RP_SUMMARY "?from=2026-03-02&to=2026-03-01", 422, "validation_failed", "'to'");
	rp_expect_error(w.member_tok, RP_SUMMARY "?from=2023-01-01&to=2024-01-02", 422, "validation_failed", "366");
	/* A leap year is the longest range allowed, both ends included. */
	json_decref(rp_summary(w.member_tok, "2024-01-01", "2024-12-31"));
	json_decref(rp_summary(w.member_tok, "2023-01-01", "2024-01-01"));
	harness_response r = harness_request("GET", RP_SUMMARY "?from=2026-03-01&to=2026-03-31", NULL, NULL, NULL);
	cr_assert_eq(r.status, 401);
	harness_response_free(&r);
	harness_workspace_free(&w);
}

Test(reports, summary_filters_by_log_date_whatever_the_time_zone)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	rp_settings(&w, "{\"timezone\":\"America/Los_Angeles\"}");
	const char *deal = harness_demo_id(&w, "deals", 1);
	json_decref(rp_entry(w.member_tok, "deal", deal, "1", "2026-02-28", NULL));
	json_decref(rp_entry(w.member_tok, "deal", deal, "2", "2026-03-01", NULL));
	json_decref(rp_entry(w.member_tok, "deal", deal, "4", "2026-03-31", NULL));
	json_decref(rp_entry(w.member_tok, "deal", deal, "8", "2026-04-01", NULL));
	/* Both ends are log dates, included: no shift by the zone's offset. */
	json_t *s = rp_summary(w.manager_tok, "2026-03-01", "2026-03-31");
	rp_expect_tally(s, 6 * 3600, 6 * 3600, 2, "March in Los Angeles");
	json_decref(s);
	s = rp_summary(w.manager_tok, "2026-02-28", "2026-03-01");
	rp_expect_tally(s, 3 * 3600, 3 * 3600, 2, "across the month end");
	json_decref(s);
	harness_workspace_free(&w);
}

Test(reports, running_timers_and_deleted_entries_count_nothing)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	const char *deal = harness_demo_id(&w, "deals", 2);
	char today[11];
	rp_day(0, today);
	rp_send("POST", "/api/v1/time/timer/start", w.member2_tok, 201, "{\"entity_type\":\"deal\",\"entity_id\":\"%s\"}",
		deal);
	json_t *s = rp_summary(w.manager_tok, today, today);
	rp_expect_tally(s, 0, 0, 0, "a running timer");
	json_decref(s);
	json_t *r = rp_rollup(w.manager_tok, "deal", deal);
	rp_expect_tally(r, 0, 0, 0, "deal with a running timer");
	json_decref(r);

	char *id = rp_entry_id(w.member_tok, "deal", deal, "1.25", today, NULL);
	s = rp_summary(w.manager_tok, today, today);
	rp_expect_tally(s, 4500, 4500, 1, "one stopped entry");
	json_decref(s);
	char path[256];
	snprintf(path, sizeof path, "/api/v1/time-entries/%s", id);
	rp_send("DELETE", path, w.member_tok, 200, NULL);
	s = rp_summary(w.manager_tok, today, today);
	rp_expect_tally(s, 0, 0, 0, "after the delete");
	json_decref(s);
	free(id);
	harness_workspace_free(&w);
}

/* Entries of 6, 12, 7.5 and 15 minutes: off the unit, both sides of the half, on it. */
static void rp_rounding_entries(const harness_ws *w)
{
	const char *deal = harness_demo_id(w, "deals", 0);
	static const char *const hours[] = { "0.1", "0.2", "0.125", "0.25" };
	for (size_t i = 0; i < 4; i++)
		json_decref(rp_entry(w->member_tok, "deal", deal, hours[i], "2026-03-02", NULL));
}

static void rp_expect_rounded(const harness_ws *w, const char *settings, long total, const char *mode, int minutes)
{
	rp_settings(w, settings);
	json_t *s = rp_summary(w->member_tok, "2026-03-01", "2026-03-31");
	rp_expect_tally(s, total, total, 4, settings);
	cr_assert_eq(rp_int(s, "raw_total_seconds"), 2430, "%s: raw time is kept", settings);
	json_t *r = json_object_get(s, "rounding");
	cr_assert_str_eq(rp_str(r, "mode"), mode);
	cr_assert_eq(rp_int(r, "minutes"), minutes);
	cr_assert_eq(rp_int(rp_must_find(json_object_get(s, "by_user"), "user_id", w->member), "total_seconds"), total,
		     "%s: breakdowns are rounded the same way", settings);
	json_decref(s);
}

Test(reports, summary_rounds_each_entry_by_the_workspace_setting)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	rp_rounding_entries(&w);
	rp_expect_rounded(&w, "{\"rounding\":\"none\"}", 360 + 720 + 450 + 900, "none", 15);
	rp_expect_rounded(&w, "{\"rounding\":\"up\",\"rounding_minutes\":15}", 4 * 900, "up", 15);
	rp_expect_rounded(&w, "{\"rounding\":\"down\"}", 900, "down", 15);
	/* Nearest: 6 min down, 12 min up, the half (7.5 min) up. */
	rp_expect_rounded(&w, "{\"rounding\":\"nearest\"}", 0 + 900 + 900 + 900, "nearest", 15);
	/* Tenths of an hour: 6 → 6, 12 → 12, 7.5 → 6, 15 → 18 (the half of 12..18). */
	rp_expect_rounded(&w, "{\"rounding\":\"nearest\",\"rounding_minutes\":6}", 360 + 720 + 360 + 1080, "nearest", 6);
	rp_expect_rounded(&w, "{\"rounding\":\"up\",\"rounding_minutes\":60}", 4 * 3600, "up", 60);
	harness_workspace_free(&w);
}

Test(reports, summary_amounts_per_currency_from_snapshotted_rates)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	const char *acme_task = harness_demo_id(&w, "tasks", 0), *globex_task = harness_demo_id(&w, "tasks", 3);
	const char *deal = harness_demo_id(&w, "deals", 0), *deal2 = harness_demo_id(&w, "deals", 1);
	rp_settings(&w, "{\"default_hourly_rate\":5000,\"default_currency\":\"USD\"}");
	rp_send("POST", "/api/v1/time/rates", w.admin_tok, 201,
		"{\"user_id\":\"%s\",\"hourly_rate\":12000,\"currency\":\"USD\"}", w.member);
	rp_send("POST", "/api/v1/time/rates", w.admin_tok, 201,
		"{\"project_id\":\"%s\",\"hourly_rate\":9000,\"currency\":\"EUR\"}", rp_task_project(&w, 3));
	rp_send("POST", "/api/v1/time/rates", w.admin_tok, 201,
		"{\"user_id\":\"%s\",\"hourly_rate\":1200,\"currency\":\"GBP\"}", w.manager);

	json_decref(rp_entry(w.member_tok, "task", acme_task, "1.5", "2026-03-02", NULL));   /* 12000 × 1.5 = 18000 USD */
	json_decref(rp_entry(w.member_tok, "task", globex_task, "1", "2026-03-03", NULL));   /* project rate: 9000 EUR */
	json_decref(rp_entry(w.member2_tok, "deal", deal, "2", "2026-03-04", NULL));         /* default: 10000 USD */
	json_decref(rp_entry(w.member_tok, "task", acme_task, "1", "2026-03-05", "\"billable\":false"));
	/* A billable entry without a rate adds nothing. */
	char *unrated = rp_entry_id(w.member2_tok, "deal", deal, "3", "2026-03-06", NULL);
	PQclear(harness_sql("UPDATE time_entries SET hourly_rate = NULL, currency = NULL WHERE id = $1", 1, unrated));
	/* Three 1-second entries at 12.00/h are 0.33 each: rounded once, the sum is 1. */
	for (int i = 0; i < 3; i++)
		json_decref(rp_entry(w.manager_tok, "deal", deal2, "0.000278", "2026-03-07", NULL));
	/* A rate changed later does not rewrite the entries logged before. */
	rp_send("POST", "/api/v1/time/rates", w.admin_tok, 201,
		"{\"user_id\":\"%s\",\"hourly_rate\":99999,\"currency\":\"USD\",\"effective_from\":\"2026-03-20\"}", w.member);

	json_t *s = rp_summary(w.manager_tok, "2026-03-01", "2026-03-31");
	json_t *amounts = json_object_get(s, "amounts");
	cr_assert_eq(json_array_size(amounts), 3, "%s", json_dumps(amounts, JSON_COMPACT));
	cr_assert_eq(rp_int(rp_must_find(amounts, "currency", "USD"), "amount"), 28000);
	cr_assert_eq(rp_int(rp_must_find(amounts, "currency", "EUR"), "amount"), 9000);
	cr_assert_eq(rp_int(rp_must_find(amounts, "currency", "GBP"), "amount"), 1);
	cr_assert_str_eq(rp_str(json_array_get(amounts, 0), "currency"), "EUR", "sorted by currency");
	json_decref(s);

	/* Amounts follow the rounded time: 0.1 h rounded up to 0.25 h at 120.00/h is 30.00. */
	json_decref(rp_entry(w.member_tok, "task", acme_task, "0.1", "2026-03-09", NULL));
	rp_settings(&w, "{\"rounding\":\"up\",\"rounding_minutes\":15}");
	s = rp_summary(w.member_tok, "2026-03-09", "2026-03-09");
	amounts = json_object_get(s, "amounts");
	cr_assert_eq(json_array_size(amounts), 1);
	cr_assert_eq(rp_int(rp_must_find(amounts, "currency", "USD"), "amount"), 3000);
	json_decref(s);
	free(unrated);
	harness_workspace_free(&w);
}

/* ----------------------------------------------------------------- rollups */

Test(reports, project_rollup_budget_estimate_and_approved_actuals)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	const char *project = rp_task_project(&w, 0);
	const char *ticket = harness_demo_id(&w, "tickets", 0); /* on the Acme project */
	char *mine = rp_entry_id(w.member_tok, "task", harness_demo_id(&w, "tasks", 0), "2", "2026-03-02", NULL);
	json_decref(rp_entry(w.member_tok, "ticket", ticket, "1", "2026-03-03", NULL));
	json_decref(rp_entry(w.member2_tok, "task", harness_demo_id(&w, "tasks", 1), "3", "2026-03-10", NULL));
	char *last = rp_entry_id(w.manager_tok, "project", project, "0.5", "2026-03-11", "\"billable\":false");
	json_decref(rp_entry(w.member_tok, "task", harness_demo_id(&w, "tasks", 3), "5", "2026-03-02", NULL)); /* Globex */
	rp_approve(&w, w.member_tok, mine); /* the member's week: the task and the ticket, 3 h */

	json_t *r = rp_rollup(w.manager_tok, "project", project);
	cr_assert_str_eq(rp_str(r, "entity_type"), "project");
	cr_assert_str_eq(rp_str(r, "entity_id"), project);
	rp_expect_tally(r, 23400, 21600, 4, "project");
	rp_expect_seconds(r, "approved", 10800, "project");
	rp_expect_seconds(r, "actual_approved", 10800, "project");
	rp_expect_seconds(r, "time_budget", 120 * 3600, "project");
	cr_assert_float_eq(rp_num(r, "budget_used_ratio"), 0.025, 1e-9);
	cr_assert_eq(rp_int(r, "budget_amount"), 1500000);
	cr_assert_str_eq(rp_str(r, "currency"), "USD");
	cr_assert_str_eq(rp_str(r, "name"), "Acme onboarding");
	rp_expect_seconds(r, "estimate", 40 * 3600, "project"); /* 4 + 24 + 12 */
	rp_expect_seconds(r, "actual", 10800, "project: actuals are the approved hours");
	rp_expect_seconds(r, "logged", 23400, "project");
	rp_expect_seconds(r, "delta", 10800 - 40 * 3600, "project");
	json_t *recent = json_object_get(r, "recent_entries");
	cr_assert_eq(json_array_size(recent), 4);
	cr_assert_str_eq(rp_str(json_array_get(recent, 0), "id"), last, "latest first");
	cr_assert_str_eq(rp_str(json_array_get(recent, 0), "status"), "draft");
	cr_assert(json_is_integer(json_object_get(json_array_get(recent, 0), "duration_seconds")), "the entry shape");
	cr_assert_str_eq(rp_str(json_array_get(recent, 3), "status"), "approved");
	json_decref(r);

	/* The member's view of the same project counts only their own time. */
	r = rp_rollup(w.member_tok, "project", project);
	rp_expect_tally(r, 10800, 10800, 2, "member's project");
	rp_expect_seconds(r, "approved", 10800, "member's project");
	cr_assert_eq(json_array_size(json_object_get(r, "recent_entries")), 2);
	json_decref(r);
	free(mine);
	free(last);
	harness_workspace_free(&w);
}

Test(reports, recent_entries_are_the_latest_ten)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	const char *deal = harness_demo_id(&w, "deals", 0);
	for (unsigned d = 1; d <= 12; d++) {
		char date[16];
		snprintf(date, sizeof date, "2026-03-%02u", d);
		json_decref(rp_entry(w.member_tok, "deal", deal, "0.5", date, NULL));
	}
	json_t *r = rp_rollup(w.member_tok, "deal", deal);
	rp_expect_tally(r, 12 * 1800, 12 * 1800, 12, "deal");
	json_t *recent = json_object_get(r, "recent_entries");
	cr_assert_eq(json_array_size(recent), 10);
	cr_assert_str_eq(rp_str(json_array_get(recent, 0), "log_date"), "2026-03-12");
	cr_assert_str_eq(rp_str(json_array_get(recent, 9), "log_date"), "2026-03-03");
	json_decref(r);
	harness_workspace_free(&w);
}

Test(reports, ticket_rolls_up_to_the_customer_only_through_a_billable_project)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	const char *acme_ticket = harness_demo_id(&w, "tickets", 0), *initech_ticket = harness_demo_id(&w, "tickets", 2);
	const char *internal_ticket = harness_demo_id(&w, "tickets", 3);
	const char *internal = harness_demo_id(&w, "projects", 2); /* not billable */
	PQclear(harness_sql("UPDATE tickets SET project_id = $1 WHERE id = $2", 2, internal, internal_ticket));
	json_decref(rp_entry(w.member_tok, "ticket", acme_ticket, "1", "2026-03-02", NULL));
	json_decref(rp_entry(w.member_tok, "ticket", acme_ticket, "0.5", "2026-03-02", "\"billable\":false"));
	json_decref(rp_entry(w.member_tok, "ticket", initech_ticket, "2", "2026-03-02", NULL));
	json_decref(rp_entry(w.member_tok, "ticket", internal_ticket, "0.75", "2026-03-02", NULL));

	json_t *r = rp_rollup(w.manager_tok, "ticket", acme_ticket);
	rp_expect_tally(r, 5400, 3600, 2, "Acme ticket");
	rp_expect_seconds(r, "customer_billable", 3600, "Acme ticket");
	cr_assert(json_is_true(json_object_get(r, "rolls_up_to_customer")));
	cr_assert_str_eq(rp_str(r, "contact_id"), harness_demo_id(&w, "contacts", 0));
	cr_assert_str_eq(rp_str(r, "project_id"), harness_demo_id(&w, "projects", 0));
	json_decref(r);

	r = rp_rollup(w.manager_tok, "ticket", initech_ticket);
	rp_expect_tally(r, 7200, 7200, 1, "Initech ticket");
	rp_expect_seconds(r, "customer_billable", 0, "no project");
	cr_assert(json_is_false(json_object_get(r, "rolls_up_to_customer")));
	cr_assert_str_eq(rp_str(r, "contact_id"), harness_demo_id(&w, "contacts", 2));
	cr_assert(json_is_null(json_object_get(r, "project_id")));
	json_decref(r);

	r = rp_rollup(w.manager_tok, "ticket", internal_ticket);
	rp_expect_seconds(r, "customer_billable", 0, "internal project");
	cr_assert(json_is_false(json_object_get(r, "rolls_up_to_customer")));
	cr_assert(json_is_null(json_object_get(r, "contact_id")));
	json_decref(r);
	harness_workspace_free(&w);
}

Test(reports, contact_rollup_counts_every_linked_record)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	const char *acme = harness_demo_id(&w, "contacts", 0);
	json_decref(rp_entry(w.member_tok, "task", harness_demo_id(&w, "tasks", 0), "1", "2026-03-02", NULL));
	json_decref(rp_entry(w.member_tok, "ticket", harness_demo_id(&w, "tickets", 0), "0.5", "2026-03-02", NULL));
	json_decref(rp_entry(w.member2_tok, "deal", harness_demo_id(&w, "deals", 0), "2", "2026-03-03", NULL));
	json_decref(rp_entry(w.member2_tok, "conversation", harness_demo_id(&w, "conversations", 0), "0.25", "2026-03-03",
			     NULL));
	json_decref(rp_entry(w.manager_tok, "project", harness_demo_id(&w, "projects", 0), "1", "2026-03-04",
			     "\"billable\":false"));
	/* Other customers' records. */
	json_decref(rp_entry(w.member_tok, "deal", harness_demo_id(&w, "deals", 1), "3", "2026-03-02", NULL));
	json_decref(rp_entry(w.member_tok, "task", harness_demo_id(&w, "tasks", 3), "1", "2026-03-02", NULL));
	json_decref(rp_entry(w.member_tok, "conversation", harness_demo_id(&w, "conversations", 1), "1", "2026-03-02",
			     NULL));

	json_t *r = rp_rollup(w.manager_tok, "contact", acme);
	rp_expect_tally(r, 17100, 13500, 5, "Acme");
	cr_assert_str_eq(rp_str(r, "name"), "Acme Corporation");
	json_t *by_type = json_object_get(r, "by_entity_type");
	cr_assert_eq(json_array_size(by_type), 5, "%s", json_dumps(by_type, JSON_COMPACT));
	rp_expect_tally(rp_must_find(by_type, "entity_type", "task"), 3600, 3600, 1, "task");
	rp_expect_tally(rp_must_find(by_type, "entity_type", "ticket"), 1800, 1800, 1, "ticket");
	rp_expect_tally(rp_must_find(by_type, "entity_type", "deal"), 7200, 7200, 1, "deal");
	rp_expect_tally(rp_must_find(by_type, "entity_type", "conversation"), 900, 900, 1, "conversation");
	rp_expect_tally(rp_must_find(by_type, "entity_type", "project"), 3600, 0, 1, "project");
	cr_assert_eq(json_array_size(json_object_get(r, "recent_entries")), 5);
	json_decref(r);

	r = rp_rollup(w.member_tok, "contact", acme);
	rp_expect_tally(r, 5400, 5400, 2, "member's Acme");
	json_decref(r);

	/* Soylent: a deal and a conversation, no time yet. */
	r = rp_rollup(w.manager_tok, "contact", harness_demo_id(&w, "contacts", 3));
	rp_expect_tally(r, 0, 0, 0, "Soylent");
	cr_assert_eq(json_array_size(json_object_get(r, "by_entity_type")), 0);
	json_decref(r);
	harness_workspace_free(&w);
}

/* A ticket's hours reach its customer's total only when the ticket's own
 * rollup says rolls_up_to_customer: not a ticket without a project, not one on
 * the customer's own non-billable project, but one of theirs on a billable
 * project, whoever's project that is. */
Test(reports, contact_total_takes_tickets_by_the_ticket_rule)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	const char *initech = harness_demo_id(&w, "contacts", 2), *internal = harness_demo_id(&w, "projects", 2);
	const char *globex_prj = harness_demo_id(&w, "projects", 1);
	const char *no_project = harness_demo_id(&w, "tickets", 2); /* Initech's, no project */
	const char *unbilled = harness_demo_id(&w, "tickets", 3), *billed = harness_demo_id(&w, "tickets", 1);
	PQclear(harness_sql("UPDATE projects SET contact_id = $1 WHERE id = $2", 2, initech, internal));
	PQclear(harness_sql("UPDATE tickets SET contact_id = $1, project_id = $2 WHERE id = $3", 3, initech, internal, unbilled));
	PQclear(harness_sql("UPDATE tickets SET contact_id = $1, project_id = $2 WHERE id = $3", 3, initech, globex_prj, billed));
	json_decref(rp_entry(w.member_tok, "ticket", no_project, "2", "2026-03-02", NULL));
	json_decref(rp_entry(w.member_tok, "ticket", unbilled, "0.75", "2026-03-02", NULL));
	json_decref(rp_entry(w.member_tok, "ticket", billed, "1.5", "2026-03-02", NULL));
	json_decref(rp_entry(w.member_tok, "deal", harness_demo_id(&w, "deals", 1), "3", "2026-03-03", NULL));
	json_decref(rp_entry(w.member_tok, "project", internal, "1", "2026-03-04", NULL));

	/* What the tickets' own rollups say rolls up to Initech. */
	const char *tickets[] = { no_project, unbilled, billed };
	long rolled = 0;
	for (size_t i = 0; i < 3; i++) {
		json_t *t = rp_rollup(w.manager_tok, "ticket", tickets[i]);
		cr_assert_str_eq(rp_str(t, "contact_id"), initech);
		cr_assert(json_is_true(json_object_get(t, "rolls_up_to_customer")) == (i == 2), "ticket %zu", i);
		if (json_is_true(json_object_get(t, "rolls_up_to_customer")))
			rolled += rp_int(t, "customer_billable_seconds");
		json_decref(t);
	}
	cr_assert_eq(rolled, 5400);

	json_t *r = rp_rollup(w.manager_tok, "contact", initech);
	rp_expect_tally(r, 5400 + 10800 + 3600, 5400 + 10800 + 3600, 3, "Initech: no ticket that does not roll up");
	json_t *by_type = json_object_get(r, "by_entity_type");
	rp_expect_tally(rp_must_find(by_type, "entity_type", "ticket"), rolled, rolled, 1, "Initech's tickets");
	rp_expect_tally(rp_must_find(by_type, "entity_type", "deal"), 10800, 10800, 1, "deal");
	rp_expect_tally(rp_must_find(by_type, "entity_type", "project"), 3600, 3600, 1, "project");
	cr_assert_eq(json_array_size(by_type), 3);
	cr_assert_eq(json_array_size(json_object_get(r, "recent_entries")), 3);
	json_decref(r);
	/* Globex's project carries the ticket, but the ticket is Initech's. */
	r = rp_rollup(w.manager_tok, "contact", harness_demo_id(&w, "contacts", 1));
	rp_expect_tally(r, 0, 0, 0, "Globex");
	json_decref(r);
	harness_workspace_free(&w);
}

Test(reports, candidate_rollup_breaks_time_to_hire_down_by_stage)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	/* Tomas Ruiz reached "offer": applied 24 days ago, then a stage every 5 days. */
	const char *cand = harness_demo_id(&w, "candidates", 3);
	static const struct {
		int day;
		const char *hours;
	} logs[] = { { -30, "0.5" }, { -22, "1" }, { -17, "2" }, { -12, "1.5" }, { -3, "0.25" } };
	for (size_t i = 0; i < sizeof logs / sizeof logs[0]; i++) {
		char date[11];
		rp_day(logs[i].day, date);
		json_decref(rp_entry(w.member_tok, "candidate", cand, logs[i].hours, date, NULL));
	}
	json_t *r = rp_rollup(w.manager_tok, "candidate", cand);
	rp_expect_tally(r, 18900, 18900, 5, "candidate");
	cr_assert_str_eq(rp_str(r, "stage"), "offer");
	cr_assert_str_eq(rp_str(r, "name"), "Tomas Ruiz");
	cr_assert_float_eq(rp_num(r, "total_days"), 24.0, 0.011);
	json_t *stages = json_object_get(r, "by_stage");
	cr_assert_eq(json_array_size(stages), 4, "%s", json_dumps(stages, JSON_COMPACT));
	static const struct {
		const char *stage;
		long seconds, count;
		double days;
	} want[] = { { "applied", 5400, 2, 5 }, { "screening", 7200, 1, 5 }, { "interview", 5400, 1, 5 }, { "offer", 900, 1, 9 } };
	for (size_t i = 0; i < 4; i++) {
		json_t *st = json_array_get(stages, i);
		cr_assert_str_eq(rp_str(st, "stage"), want[i].stage, "stages in order");
		rp_expect_tally(st, want[i].seconds, want[i].seconds, want[i].count, want[i].stage);
		cr_assert_float_eq(rp_num(st, "days"), want[i].days, 0.011, "%s days", want[i].stage);
		cr_assert(json_is_string(json_object_get(st, "entered_at")));
	}
	cr_assert(json_is_null(json_object_get(json_array_get(stages, 3), "left_at")), "the current stage is open");

	/* A candidate with no time still shows its stages. */
	json_decref(r);
	r = rp_rollup(w.manager_tok, "candidate", harness_demo_id(&w, "candidates", 1));
	rp_expect_tally(r, 0, 0, 0, "Marcus");
	cr_assert_eq(json_array_size(json_object_get(r, "by_stage")), 2);
	json_decref(r);
	harness_workspace_free(&w);
}

Test(reports, rollup_refusals)
{
	harness_ws w, other;
	harness_workspace(&w, "free", NULL);
	harness_workspace(&other, "free", NULL);
	rp_expect_error(w.member_tok, "/api/v1/time/rollups/widget/x1", 422, "validation_failed", "'entity_type'");
	rp_expect_error(w.member_tok, "/api/v1/time/rollups/project/prj_nope", 404, "not_found", "prj_nope");
	rp_expect_error(w.member_tok, "/api/v1/time/rollups/contact/ct_nope", 404, "not_found", "ct_nope");
	char path[256];
	snprintf(path, sizeof path, "/api/v1/time/rollups/project/%s", harness_demo_id(&other, "projects", 0));
	rp_expect_error(w.manager_tok, path, 404, "not_found", NULL);
	snprintf(path, sizeof path, "/api/v1/time/rollups/contact/%s", harness_demo_id(&other, "contacts", 0));
	rp_expect_error(w.manager_tok, path, 404, "not_found", NULL);
	snprintf(path, sizeof path, "/api/v1/time/rollups/ticket/%s", harness_demo_id(&w, "tasks", 0));
	rp_expect_error(w.manager_tok, path, 404, "not_found", NULL);
	harness_workspace_free(&w);
	harness_workspace_free(&other);
}

/* ------------------------------------------------ task list and the chart */

Test(reports, task_rollups_list_every_task_of_the_project)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	const char *globex = rp_task_project(&w, 3);
	const char *audit = harness_demo_id(&w, "tasks", 3), *wireframes = harness_demo_id(&w, "tasks", 4);
	json_decref(rp_entry(w.member_tok, "task", audit, "2", "2026-03-02", NULL));
	json_decref(rp_entry(w.member2_tok, "task", audit, "0.5", "2026-03-02", "\"billable\":false"));
	json_decref(rp_entry(w.member_tok, "task", wireframes, "1", "2026-03-03", NULL));
	json_decref(rp_entry(w.member_tok, "ticket", harness_demo_id(&w, "tickets", 1), "4", "2026-03-03", NULL));

	char path[256];
	snprintf(path, sizeof path, "/api/v1/time/rollups/tasks?project_id=%s", globex);
	json_t *d = rp_get(w.manager_tok, path);
	cr_assert_str_eq(rp_str(d, "project_id"), globex);
	json_t *tasks = json_object_get(d, "tasks");
	cr_assert_eq(json_array_size(tasks), 5, "every task, with time or not: %s", json_dumps(tasks, JSON_COMPACT));
	json_t *t = rp_must_find(tasks, "task_id", audit);
	cr_assert_str_eq(rp_str(t, "title"), "Content audit and sitemap");
	rp_expect_tally(t, 9000, 7200, 2, "audit");
	rp_expect_seconds(t, "estimate", 10 * 3600, "audit");
	rp_expect_tally(rp_must_find(tasks, "task_id", wireframes), 3600, 3600, 1, "wireframes");
	json_t *idle = rp_must_find(tasks, "task_id", harness_demo_id(&w, "tasks", 6));
	rp_expect_tally(idle, 0, 0, 0, "front-end build");
	rp_expect_seconds(idle, "estimate", 60 * 3600, "front-end build");
	json_decref(d);

	d = rp_get(w.member2_tok, path);
	rp_expect_tally(rp_must_find(json_object_get(d, "tasks"), "task_id", audit), 1800, 0, 1, "member2's audit");
	rp_expect_tally(rp_must_find(json_object_get(d, "tasks"), "task_id", wireframes), 0, 0, 0, "member2's wireframes");
	json_decref(d);

	rp_expect_error(w.manager_tok, "/api/v1/time/rollups/tasks", 422, "validation_failed", "'project_id'");
	rp_expect_error(w.manager_tok, "/api/v1/time/rollups/tasks?project_id=prj_nope", 404, "not_found", "prj_nope");
	harness_workspace_free(&w);
}

Test(reports, estimate_vs_actual_per_project)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	const char *acme = rp_task_project(&w, 0), *globex = rp_task_project(&w, 3), *internal = rp_task_project(&w, 8);
	char *e = rp_entry_id(w.member_tok, "task", harness_demo_id(&w, "tasks", 0), "6", "2026-03-02", NULL);
	json_decref(rp_entry(w.member_tok, "ticket", harness_demo_id(&w, "tickets", 0), "1", "2026-03-09", NULL));
	json_decref(rp_entry(w.member2_tok, "task", harness_demo_id(&w, "tasks", 4), "20", "2026-03-02", NULL));
	json_decref(rp_entry(w.member2_tok, "deal", harness_demo_id(&w, "deals", 0), "3", "2026-03-02", NULL));
	rp_approve(&w, w.member_tok, e);

	json_t *d = rp_get(w.manager_tok, "/api/v1/time/reports/estimate-vs-actual");
	json_t *projects = json_object_get(d, "projects");
	cr_assert_eq(json_array_size(projects), 3, "%s", json_dumps(projects, JSON_COMPACT));
	json_t *p = rp_must_find(projects, "project_id", acme);
	cr_assert_str_eq(rp_str(p, "name"), "Acme onboarding");
	rp_expect_seconds(p, "estimate", 40 * 3600, "Acme");
	rp_expect_seconds(p, "actual", 6 * 3600, "Acme: actuals are the approved hours");
	rp_expect_seconds(p, "logged", 7 * 3600, "Acme");
	rp_expect_seconds(p, "approved", 6 * 3600, "Acme");
	rp_expect_seconds(p, "delta", -34 * 3600, "Acme");
	rp_expect_seconds(p, "time_budget", 120 * 3600, "Acme");
	cr_assert_float_eq(rp_num(p, "budget_used_ratio"), 0.05, 1e-9);
	p = rp_must_find(projects, "project_id", globex);
	rp_expect_seconds(p, "estimate", 128 * 3600, "Globex");
	rp_expect_seconds(p, "actual", 0, "Globex: nothing approved");
	rp_expect_seconds(p, "logged", 20 * 3600, "Globex");
	rp_expect_seconds(p, "approved", 0, "Globex");
	rp_expect_seconds(p, "delta", -128 * 3600, "Globex");
	p = rp_must_find(projects, "project_id", internal);
	rp_expect_seconds(p, "estimate", 27000, "internal"); /* 1.5 + 6 */
	rp_expect_seconds(p, "actual", 0, "internal");
	rp_expect_seconds(p, "logged", 0, "internal");
	rp_expect_seconds(p, "delta", -27000, "internal");
	json_decref(d);

	char path[256];
	snprintf(path, sizeof path, "/api/v1/time/reports/estimate-vs-actual?project_id=%s", globex);
	d = rp_get(w.member_tok, path);
	projects = json_object_get(d, "projects");
	cr_assert_eq(json_array_size(projects), 1);
	rp_expect_seconds(json_array_get(projects, 0), "actual", 0, "member sees none of member2's time");
	json_decref(d);
	rp_expect_error(w.manager_tok, "/api/v1/time/reports/estimate-vs-actual?project_id=prj_nope", 404, "not_found",
			NULL);
	free(e);
	harness_workspace_free(&w);
}

/* ------------------------------------------------------------- utilization */

static json_t *rp_utilization(const char *tok, const char *query)
{
	char path[512];
	snprintf(path, sizeof path, RP_UTILIZATION "?%s", query);
	return rp_get(tok, path);
}

Test(reports, utilization_needs_the_pro_plan)
{
	harness_ws w;
	harness_workspace(&w, "free", "people");
	rp_expect_error(w.admin_tok, RP_UTILIZATION "?from=2026-03-02&to=2026-03-13", 402, "plan_required", "Pro");
	rp_expect_error(w.member_tok, RP_UTILIZATION, 402, "plan_required", "Pro");
	harness_workspace_free(&w);
}

/* Two working weeks, 2026-03-02 (Monday) to 2026-03-15 (Sunday). */
#define RP_WEEKS "from=2026-03-02&to=2026-03-15"

static void rp_utilization_entries(const harness_ws *w)
{
	const char *task = harness_demo_id(w, "tasks", 1); /* Acme */
	json_decref(rp_entry(w->member_tok, "task", task, "8", "2026-03-02", NULL));
	json_decref(rp_entry(w->member_tok, "task", task, "8", "2026-03-03", NULL));
	json_decref(rp_entry(w->member_tok, "deal", harness_demo_id(w, "deals", 0), "4", "2026-03-04", "\"billable\":false"));
	json_decref(rp_entry(w->member2_tok, "task", task, "4", "2026-03-10", NULL));
	json_decref(rp_entry(w->member_tok, "task", task, "8", "2026-03-16", NULL)); /* after the range */
}

Test(reports, utilization_uses_people_weekly_hours)
{
	harness_ws w;
	harness_workspace(&w, "pro", "projects,people");
	PQclear(harness_sql("UPDATE employees SET weekly_hours = 32 WHERE workspace_id = $1 AND user_id = $2", 2, w.ws,
			    w.member));
	rp_utilization_entries(&w);

	/* 32 h a week over 10 working days: 64 h of capacity; 16 of 20 hours billable. */
	json_t *u = rp_utilization(w.member_tok, RP_WEEKS);
	cr_assert_str_eq(rp_str(u, "user_id"), w.member, "without a user, the caller");
	cr_assert(json_is_null(json_object_get(u, "project_id")));
	cr_assert_eq(rp_int(u, "working_days"), 10);
	rp_expect_tally(u, 20 * 3600, 16 * 3600, 3, "member");
	rp_expect_seconds(u, "capacity", 64 * 3600, "member");
	cr_assert_float_eq(rp_num(u, "utilization"), 0.25, 1e-9);
	cr_assert_float_eq(rp_num(u, "billable_share"), 0.8, 1e-9);
	json_t *users = json_object_get(u, "users");
	cr_assert_eq(json_array_size(users), 1);
	json_t *row = json_array_get(users, 0);
	cr_assert_str_eq(rp_str(row, "capacity_source"), "people");
	rp_expect_seconds(row, "weekly", 32 * 3600, "member's week");
	json_decref(u);

	char q[256];
	snprintf(q, sizeof q, "user_id=%s&" RP_WEEKS, w.member);
	u = rp_utilization(w.manager_tok, q);
	rp_expect_seconds(u, "capacity", 64 * 3600, "manager asking about the member");
	cr_assert_float_eq(rp_num(u, "utilization"), 0.25, 1e-9);
	json_decref(u);

	/* A project: the capacity of everyone who logged time on it in the range,
	 * member (64 h) and member2 (40 h a week: 80 h); billable 16 + 4 h. */
	snprintf(q, sizeof q, "project_id=%s&" RP_WEEKS, rp_task_project(&w, 1));
	u = rp_utilization(w.manager_tok, q);
	rp_expect_tally(u, 20 * 3600, 20 * 3600, 3, "project");
	rp_expect_seconds(u, "capacity", 144 * 3600, "project");
	cr_assert_float_eq(rp_num(u, "utilization"), 0.1389, 1e-9);
	cr_assert_float_eq(rp_num(u, "billable_share"), 1.0, 1e-9);
	users = json_object_get(u, "users");
	cr_assert_eq(json_array_size(users), 2);
	rp_expect_seconds(rp_must_find(users, "user_id", w.member2), "capacity", 80 * 3600, "member2");
	rp_expect_tally(rp_must_find(users, "user_id", w.member2), 4 * 3600, 4 * 3600, 1, "member2");
	json_decref(u);

	/* Members ask about themselves only. */
	snprintf(q, sizeof q, RP_UTILIZATION "?user_id=%s&" RP_WEEKS, w.member2);
	rp_expect_error(w.member_tok, q, 403, "forbidden", NULL);
	snprintf(q, sizeof q, RP_UTILIZATION "?project_id=%s&" RP_WEEKS, rp_task_project(&w, 1));
	rp_expect_error(w.member_tok, q, 403, "forbidden", NULL);
	snprintf(q, sizeof q, RP_UTILIZATION "?user_id=%s&project_id=%s&" RP_WEEKS, w.member, rp_task_project(&w, 1));
	rp_expect_error(w.manager_tok, q, 422, "validation_failed", "'project_id'");
	rp_expect_error(w.manager_tok, RP_UTILIZATION "?user_id=u_nope&" RP_WEEKS, 404, "not_found", "u_nope");
	rp_expect_error(w.manager_tok, RP_UTILIZATION "?project_id=prj_nope&" RP_WEEKS, 404, "not_found", "prj_nope");
	rp_expect_error(w.manager_tok, RP_UTILIZATION "?from=2026-03-15&to=2026-03-02", 422, "validation_failed", "'to'");
	rp_expect_error(w.manager_tok, RP_UTILIZATION "?from=2026-03-15", 422, "validation_failed", "'to'");
	harness_workspace_free(&w);
}

Test(reports, utilization_without_people_uses_the_default_weekly_hours)
{
	harness_ws w;
	harness_workspace(&w, "pro", "projects");
	/* The member has an employees row (40 h), but without People it is not used. */
	PQclear(harness_sql("UPDATE employees SET weekly_hours = 32 WHERE workspace_id = $1 AND user_id = $2", 2, w.ws,
			    w.member));
	rp_settings(&w, "{\"default_weekly_hours\":30}");
	rp_utilization_entries(&w);
	json_t *u = rp_utilization(w.member_tok, RP_WEEKS);
	rp_expect_seconds(u, "capacity", 60 * 3600, "30 h a week for two weeks");
	cr_assert_float_eq(rp_num(u, "utilization"), 0.2667, 1e-9);
	cr_assert_str_eq(rp_str(json_array_get(json_object_get(u, "users"), 0), "capacity_source"), "default");
	json_decref(u);

	/* A weekend has no capacity: no utilization rather than a division by zero. */
	u = rp_utilization(w.member_tok, "from=2026-03-07&to=2026-03-08");
	cr_assert_eq(rp_int(u, "working_days"), 0);
	rp_expect_seconds(u, "capacity", 0, "weekend");
	cr_assert(json_is_null(json_object_get(u, "utilization")));
	cr_assert(json_is_null(json_object_get(u, "billable_share")), "no hours: no share");
	json_decref(u);

	/* One day is a fifth of the week: 6 h; rounding applies to the hours. */
	rp_settings(&w, "{\"rounding\":\"up\",\"rounding_minutes\":60}");
	json_decref(rp_entry(w.member_tok, "task", harness_demo_id(&w, "tasks", 1), "0.25", "2026-03-05", NULL));
	u = rp_utilization(w.member_tok, "from=2026-03-05&to=2026-03-05");
	rp_expect_seconds(u, "capacity", 6 * 3600, "one day");
	rp_expect_tally(u, 3600, 3600, 1, "rounded up to the hour");
	cr_assert_eq(rp_int(u, "raw_total_seconds"), 900);
	cr_assert_float_eq(rp_num(u, "utilization"), 0.1667, 1e-9);
	json_decref(u);
	harness_workspace_free(&w);
}
