#define _GNU_SOURCE /* asprintf */
/* /api/v1/time-entries over HTTP: create, list with every filter, read,
 * update, soft delete, and the refusals (validation, permissions, invoiced). */
#include "harness.h"
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TE_PATH "/api/v1/time-entries"

/* printf into a new string; the caller frees it. */
static char *te_vfmt(const char *fmt, va_list ap)
{
	char *s = NULL;
	int n = vasprintf(&s, fmt, ap);
	cr_assert(n >= 0 && s, "out of memory");
	return s;
}

static char *te_fmt(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = te_vfmt(fmt, ap);
	va_end(ap);
	return s;
}

static const char *te_str(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* method on /api/v1/time-entries/{id}. */
static harness_response te_one(const char *method, const char *id, const char *tok, const char *body)
{
	char path[256];
	snprintf(path, sizeof path, TE_PATH "/%s", id);
	return harness_request(method, path, tok, body, NULL);
}

/* Appends to report (a buffer of size n) why r is not the expected error:
 * status, error code, a message (naming needle when given), no data. Frees r. */
static void te_check_error(harness_response *r, long status, const char *code, const char *needle, const char *what,
			   char *report, size_t n)
{
	const char *got = harness_error_code(r);
	const char *msg = json_string_value(json_object_get(json_object_get(r->json, "error"), "message"));
	const char *why = NULL;
	if (r->status != status)
		why = "status";
	else if (!got || strcmp(got, code))
		why = "error code";
	else if (!msg || !*msg || (needle && !strstr(msg, needle)))
		why = "message does not name the field";
	else if (harness_data(r))
		why = "an error carries no data";
	if (why) {
		size_t used = strlen(report);
		snprintf(report + used, n - used, "\n  %s: %s (expected %ld %s%s%s), got %ld: %.300s", what, why, status,
			 code, needle ? " naming " : "", needle ? needle : "", r->status, r->body);
	}
	harness_response_free(r);
}

/* Asserts r's status, error code and (when needle) that the message names it; frees r. */
static void te_expect_error(harness_response *r, long status, const char *code, const char *needle, const char *what)
{
	char report[1024] = "";
	te_check_error(r, status, code, needle, what, report, sizeof report);
	cr_assert(!report[0], "%s", report);
}

/* Asserts r is status with an object in data; returns that data (new reference) and frees r. */
static json_t *te_expect_data(harness_response *r, long status, const char *what)
{
	cr_assert_eq(r->status, status, "%s: expected %ld, got %ld: %s", what, status, r->status, r->body);
	json_t *d = harness_data(r);
	cr_assert(json_is_object(d), "%s: data should be an object: %s", what, r->body);
	json_incref(d);
	harness_response_free(r);
	return d;
}

/* POSTs the formatted body as tok and returns the created entry (asserting 201). */
static json_t *te_create(const char *tok, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *body = te_vfmt(fmt, ap);
	va_end(ap);
	harness_response r = harness_request("POST", TE_PATH, tok, body, NULL);
	cr_assert_eq(r.status, 201, "create %s: %ld %s", body, r.status, r.body);
	free(body);
	return te_expect_data(&r, 201, "create");
}

/* Like te_create, but returns only the new entry's id (malloc'd). */
static char *te_create_id(const char *tok, const char *entity_type, const char *entity_id, const char *hours,
			  const char *log_date, const char *extra)
{
	json_t *e = te_create(tok, "{\"entity_type\":\"%s\",\"entity_id\":\"%s\",\"hours\":%s,\"log_date\":\"%s\"%s%s}",
			      entity_type, entity_id, hours, log_date, extra ? "," : "", extra ? extra : "");
	char *id = strdup(te_str(e, "id"));
	json_decref(e);
	return id;
}

/* GET the list with query ("" or "a=b&c=d"), asserting 200 and a pagination object; returns the response. */
static harness_response te_list(const char *tok, const char *query)
{
	char path[512];
	snprintf(path, sizeof path, TE_PATH "%s%s", *query ? "?" : "", query);
	harness_response r = harness_request("GET", path, tok, NULL, NULL);
	cr_assert_eq(r.status, 200, "list ?%s: %ld %s", query, r.status, r.body);
	cr_assert(json_is_array(harness_data(&r)), "list ?%s: data should be an array: %s", query, r.body);
	json_t *p = json_object_get(r.json, "pagination");
	cr_assert(json_is_integer(json_object_get(p, "page")) && json_is_integer(json_object_get(p, "limit")) &&
			  json_is_integer(json_object_get(p, "total")),
		  "list ?%s: pagination {page, limit, total} expected: %s", query, r.body);
	return r;
}

static bool te_list_has(json_t *data, const char *id)
{
	size_t i;
	json_t *e;
	json_array_foreach(data, i, e) {
		const char *have = te_str(e, "id");
		if (have && !strcmp(have, id))
			return true;
	}
	return false;
}

/* Appends to report why the list with query does not hold exactly the n ids in ap (any order). */
static void te_check_list_v(const char *tok, const char *query, char *report, size_t rn, size_t n, va_list ap)
{
	char path[512];
	snprintf(path, sizeof path, TE_PATH "%s%s", *query ? "?" : "", query);
	harness_response r = harness_request("GET", path, tok, NULL, NULL);
	json_t *data = harness_data(&r);
	json_t *total = json_object_get(json_object_get(r.json, "pagination"), "total");
	char why[160] = "";
	if (r.status != 200 || !json_is_array(data) || !json_is_integer(total))
		snprintf(why, sizeof why, "expected 200 with data and pagination");
	else if (json_integer_value(total) != (json_int_t)n || json_array_size(data) != n)
		snprintf(why, sizeof why, "expected %zu entries", n);
	for (size_t i = 0; i < n; i++) {
		const char *id = va_arg(ap, const char *);
		if (!why[0] && !te_list_has(data, id))
			snprintf(why, sizeof why, "%s missing", id);
	}
	if (why[0]) {
		size_t used = strlen(report);
		snprintf(report + used, rn - used, "\n  ?%s: %s, got %ld: %.300s", query, why, r.status, r.body);
	}
	harness_response_free(&r);
}

static void te_check_list(const char *tok, const char *query, char *report, size_t rn, size_t n, ...)
{
	va_list ap;
	va_start(ap, n);
	te_check_list_v(tok, query, report, rn, n, ap);
	va_end(ap);
}

/* Asserts the list with query holds exactly the n ids that follow (any order). */
static void te_expect_list(const char *tok, const char *query, size_t n, ...)
{
	char report[1024] = "";
	va_list ap;
	va_start(ap, n);
	te_check_list_v(tok, query, report, sizeof report, n, ap);
	va_end(ap);
	cr_assert(!report[0], "%s", report);
}

/* Checks that the list with query answers 422 validation_failed naming needle. */
static void te_check_bad_filter(const char *tok, const char *query, const char *needle, char *report, size_t n)
{
	char path[512];
	snprintf(path, sizeof path, TE_PATH "?%s", query);
	harness_response r = harness_request("GET", path, tok, NULL, NULL);
	te_check_error(&r, 422, "validation_failed", needle, query, report, n);
}

/* POST /api/v1/timesheets/{id}/{action} as tok; asserts 200 and the new status. */
static void te_transition(const char *tok, const char *ts_id, const char *action, const char *body, const char *status)
{
	char path[256];
	snprintf(path, sizeof path, "/api/v1/timesheets/%s/%s", ts_id, action);
	harness_response r = harness_request("POST", path, tok, body, NULL);
	json_t *d = te_expect_data(&r, 200, action);
	cr_assert_str_eq(te_str(d, "status"), status);
	json_decref(d);
}

/* The timesheet of an entry, as GET /api/v1/timesheets/{id} shows it. */
static json_t *te_timesheet(const char *tok, const char *ts_id)
{
	char path[256];
	snprintf(path, sizeof path, "/api/v1/timesheets/%s", ts_id);
	harness_response r = harness_request("GET", path, tok, NULL, NULL);
	return te_expect_data(&r, 200, "timesheet");
}

static char *te_timesheet_of(const char *tok, const char *entry_id)
{
	harness_response r = te_one("GET", entry_id, tok, NULL);
	json_t *d = te_expect_data(&r, 200, "get entry");
	char *ts = strdup(te_str(d, "timesheet_id"));
	json_decref(d);
	return ts;
}

static long te_live_entries(const harness_ws *w)
{
	return harness_sql_long("SELECT count(*) FROM time_entries WHERE workspace_id = $1 AND deleted_at IS NULL", 1,
				w->ws);
}

/* ------------------------------------------------------------------ create */


Test(entries, create_manual_entry_on_a_task)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	const char *task = harness_demo_id(&w, "tasks", 0);
	const char *project = te_str(json_array_get(json_object_get(w.demo, "tasks"), 0), "project_id");
	cr_assert(task && project, "the demo has a task with a project");

	json_t *e = te_create(w.member_tok,
			      "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":1.5,\"log_date\":\"2026-03-02\","
			      "\"description\":\"Workshop prep\"}",
			      task);
	const char *id = te_str(e, "id");
	cr_assert(id && !strncmp(id, "te_", 3), "id with the te_ prefix: %s", id);
	cr_assert_str_eq(te_str(e, "workspace_id"), w.ws);
	cr_assert_str_eq(te_str(e, "user_id"), w.member);
	cr_assert_str_eq(te_str(e, "entity_type"), "task");
	cr_assert_str_eq(te_str(e, "entity_id"), task);
	cr_assert_str_eq(te_str(e, "project_id"), project, "the task's project is filled in");
	cr_assert_str_eq(te_str(e, "description"), "Workshop prep");
	cr_assert_str_eq(te_str(e, "log_date"), "2026-03-02");
	cr_assert_eq(json_integer_value(json_object_get(e, "duration_seconds")), 5400);
	cr_assert(json_is_number(json_object_get(e, "hours")) && json_number_value(json_object_get(e, "hours")) == 1.5,
		  "hours 1.5");
	cr_assert_str_eq(te_str(e, "status"), "draft");
	cr_assert(json_is_true(json_object_get(e, "billable")), "billable by default");
	cr_assert(json_is_false(json_object_get(e, "running")));
	const char *ts = te_str(e, "timesheet_id");
	cr_assert(ts && !strncmp(ts, "ts_", 3), "timesheet_id set: %s", ts);

	/* What the database holds: integer seconds, the derived project. */
	PGresult *row = harness_sql("SELECT duration_seconds, project_id, user_id, deleted_at IS NULL FROM time_entries"
				    " WHERE id = $1",
				    1, id);
	cr_assert_eq(PQntuples(row), 1);
	cr_assert_str_eq(PQgetvalue(row, 0, 0), "5400");
	cr_assert_str_eq(PQgetvalue(row, 0, 1), project);
	cr_assert_str_eq(PQgetvalue(row, 0, 2), w.member);
	cr_assert_str_eq(PQgetvalue(row, 0, 3), "t");
	PQclear(row);

	/* The entry opened the member's Monday-to-Sunday timesheet. */
	json_t *sheet = te_timesheet(w.member_tok, ts);
	cr_assert_str_eq(te_str(sheet, "user_id"), w.member);
	cr_assert_str_eq(te_str(sheet, "period_start"), "2026-03-02");
	cr_assert_str_eq(te_str(sheet, "period_end"), "2026-03-08");
	cr_assert_eq(json_integer_value(json_object_get(sheet, "total_seconds")), 5400);
	json_decref(sheet);

	/* GET answers the same representation. */
	harness_response r = te_one("GET", id, w.member_tok, NULL);
	json_t *again = te_expect_data(&r, 200, "get");
	cr_assert(json_equal(again, e), "GET equals the created entry");
	json_decref(again);
	json_decref(e);
	harness_workspace_free(&w);
}

Test(entries, create_accepts_exact_hours_up_to_24)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	const char *task = harness_demo_id(&w, "tasks", 1);
	static const struct {
		const char *hours;
		long seconds;
	} cases[] = { { "\"2.25\"", 8100 }, { "8", 28800 }, { "24", 86400 }, { "0.25", 900 }, { "\"0.5\"", 1800 } };
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *e = te_create(w.member_tok, "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":%s,"
						    "\"log_date\":\"2026-03-0%zu\"}",
				      task, cases[i].hours, i + 2);
		cr_assert_eq(json_integer_value(json_object_get(e, "duration_seconds")), cases[i].seconds, "hours %s",
			     cases[i].hours);
		cr_assert(json_number_value(json_object_get(e, "hours")) == (double)cases[i].seconds / 3600.0, "hours %s",
			  cases[i].hours);
		json_decref(e);
	}
	harness_workspace_free(&w);
}

Test(entries, create_on_every_entity_type_of_the_demo)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	static const struct {
		const char *type, *list;
	} kinds[] = {
		{ "task", "tasks" },		 { "ticket", "tickets" },
		{ "deal", "deals" },		 { "candidate", "candidates" },
		{ "calendar_event", "calendar_events" }, { "conversation", "conversations" },
		{ "project", "projects" },
	};
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		json_t *rec = json_array_get(json_object_get(w.demo, kinds[i].list), 0);
		const char *rid = te_str(rec, "id");
		cr_assert(rid, "the demo has %s", kinds[i].list);
		json_t *e = te_create(w.member_tok,
				      "{\"entity_type\":\"%s\",\"entity_id\":\"%s\",\"hours\":1,\"log_date\":\"2026-03-03\","
				      "\"description\":\"on a %s\"}",
				      kinds[i].type, rid, kinds[i].type);
		cr_assert_str_eq(te_str(e, "entity_type"), kinds[i].type);
		cr_assert_str_eq(te_str(e, "entity_id"), rid);
		const char *want_project = !strcmp(kinds[i].type, "project") ? rid : te_str(rec, "project_id");
		if (want_project)
			cr_assert_str_eq(te_str(e, "project_id"), want_project, "%s: project", kinds[i].type);
		else
			cr_assert(json_is_null(json_object_get(e, "project_id")), "%s: no project", kinds[i].type);
		json_decref(e);
	}
	cr_assert_eq(te_live_entries(&w), 7);
	harness_workspace_free(&w);
}

Test(entries, conversation_entry_takes_the_subject_as_description)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	json_t *conv = json_array_get(json_object_get(w.demo, "conversations"), 0);
	const char *subject = te_str(conv, "subject");
	cr_assert(subject && *subject);
	json_t *e = te_create(w.member_tok,
			      "{\"entity_type\":\"conversation\",\"entity_id\":\"%s\",\"hours\":0.5,\"log_date\":\"2026-03-04\"}",
			      te_str(conv, "id"));
	cr_assert_str_eq(te_str(e, "description"), subject);
	json_decref(e);
	/* A description given by the user wins. */
	e = te_create(w.member_tok,
		      "{\"entity_type\":\"conversation\",\"entity_id\":\"%s\",\"hours\":0.5,\"log_date\":\"2026-03-04\","
		      "\"description\":\"Replied to the SSO questions\"}",
		      te_str(conv, "id"));
	cr_assert_str_eq(te_str(e, "description"), "Replied to the SSO questions");
	json_decref(e);
	harness_workspace_free(&w);
}

Test(entries, create_refusals)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	const char *task = harness_demo_id(&w, "tasks", 0);       /* Acme's task */
	const char *other_project = harness_demo_id(&w, "projects", 1); /* Globex */
	/* Each body may use two %s: the task id, then another project's id. */
	static const struct {
		const char *body;
		long status;
		const char *code, *needle;
	} cases[] = {
		{ "{\"entity_id\":\"%s\",\"hours\":1,\"log_date\":\"2026-03-02\"}", 422, "validation_failed", "entity_type" },
		{ "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"log_date\":\"2026-03-02\"}", 422, "validation_failed", "hours" },
		{ "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":1}", 422, "validation_failed", "log_date" },
		{ "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":1,\"log_date\":\"2026-03-02\",\"colour\":\"blue\"}",
		  422, "validation_failed", "colour" },
		{ "{\"entity_type\":\"spaceship\",\"entity_id\":\"%s\",\"hours\":1,\"log_date\":\"2026-03-02\"}", 422,
		  "validation_failed", "entity_type" },
		{ "{\"entity_type\":\"task\",\"entity_id\":\"tsk_doesnotexist\",\"hours\":1,\"log_date\":\"2026-03-02\"}", 422,
		  "validation_failed", "entity_id" },
		{ "{\"entity_type\":\"ticket\",\"entity_id\":\"%s\",\"hours\":1,\"log_date\":\"2026-03-02\"}", 422,
		  "validation_failed", "entity_id" },
		{ "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"project_id\":\"%s\",\"hours\":1,\"log_date\":\"2026-03-02\"}",
		  422, "validation_failed", "project_id" },
		{ "{\"entity_type\":\"project\",\"project_id\":\"prj_doesnotexist\",\"hours\":1,\"log_date\":\"2026-03-02\"}",
		  422, "validation_failed", "project_id" },
		{ "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":0,\"log_date\":\"2026-03-02\"}", 422,
		  "validation_failed", "hours" },
		{ "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":-1.5,\"log_date\":\"2026-03-02\"}", 422,
		  "validation_failed", "hours" },
		{ "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":24.01,\"log_date\":\"2026-03-02\"}", 422,
		  "validation_failed", "hours" },
		{ "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":25,\"log_date\":\"2026-03-02\"}", 422,
		  "validation_failed", "hours" },
		{ "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":\"abc\",\"log_date\":\"2026-03-02\"}", 422,
		  "validation_failed", "hours" },
		{ "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":true,\"log_date\":\"2026-03-02\"}", 422,
		  "validation_failed", "hours" },
		{ "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":null,\"log_date\":\"2026-03-02\"}", 422,
		  "validation_failed", "hours" },
		{ "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":1,\"log_date\":\"2026-02-30\"}", 422,
		  "validation_failed", "log_date" },
		{ "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":1,\"log_date\":\"2026-13-01\"}", 422,
		  "validation_failed", "log_date" },
		{ "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":1,\"log_date\":\"yesterday\"}", 422,
		  "validation_failed", "log_date" },
		{ "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":1,\"log_date\":20260302}", 422,
		  "validation_failed", "log_date" },
		{ "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":1,\"log_date\":\"2026-03-02\",\"billable\":\"yes\"}",
		  422, "validation_failed", "billable" },
		{ "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":1,\"log_date\":\"2026-03-02\",\"description\":7}",
		  422, "validation_failed", "description" },
		{ "{\"entity_type\":\"task\",", 400, "invalid_json", NULL },
		{ "{\"entity_type\":\"task\",\"entity_type\":\"deal\"}", 400, "invalid_json", NULL },
		{ "[\"task\", 1.5]", 400, "invalid_body", NULL },
		{ "", 400, "invalid_body", NULL },
	};
	char report[8192] = "";
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *body = te_fmt(cases[i].body, task, other_project);
		harness_response r = harness_request("POST", TE_PATH, w.member_tok, body, NULL);
		te_check_error(&r, cases[i].status, cases[i].code, cases[i].needle, body, report, sizeof report);
		free(body);
	}
	long written = te_live_entries(&w);
	harness_workspace_free(&w);
	cr_assert(!report[0], "refusals that went wrong:%s", report);
	cr_assert_eq(written, 0, "no refused request wrote an entry");
}

/* An entry names the record it is logged against, or a project: with neither,
 * a create, a timer start, a PATCH that drops both and the AI tool's preview
 * are refused as validation_failed naming 'entity_id', and nothing is written. */
Test(entries, an_entry_names_a_record_or_a_project)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	static const char *const creates[] = {
		"{\"entity_type\":\"deal\",\"hours\":1,\"log_date\":\"2026-03-02\"}",
		"{\"entity_type\":\"task\",\"hours\":1,\"log_date\":\"2026-03-02\"}",
		"{\"entity_type\":\"project\",\"hours\":1,\"log_date\":\"2026-03-02\"}",
		"{\"entity_type\":\"ticket\",\"entity_id\":null,\"project_id\":null,\"hours\":1,\"log_date\":\"2026-03-02\"}",
		"{\"entity_type\":\"task\",\"entity_id\":\"\",\"hours\":1,\"log_date\":\"2026-03-02\"}",
	};
	static const char *const starts[] = { "{\"entity_type\":\"task\"}", "{\"entity_type\":\"project\"}",
					       "{\"entity_type\":\"deal\",\"description\":\"pre-sales\"}" };
	char report[8192] = "";
	for (size_t i = 0; i < sizeof creates / sizeof creates[0]; i++) {
		harness_response r = harness_request("POST", TE_PATH, w.member_tok, creates[i], NULL);
		te_check_error(&r, 422, "validation_failed", "'entity_id'", creates[i], report, sizeof report);
	}
	for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++) {
		harness_response r = harness_request("POST", "/api/v1/time/timer/start", w.member_tok, starts[i], NULL);
		te_check_error(&r, 422, "validation_failed", "'entity_id'", starts[i], report, sizeof report);
	}
	cr_assert(!report[0], "entries attached to nothing that were not refused:%s", report);
	cr_assert_eq(te_live_entries(&w), 0);

	/* A project alone is enough, for either kind. */
	char *id = te_create_id(w.member_tok, "task", harness_demo_id(&w, "tasks", 0), "1", "2026-03-02", NULL);
	json_t *e = te_create(w.member_tok, "{\"entity_type\":\"deal\",\"project_id\":\"%s\",\"hours\":1,\"log_date\":\"2026-03-02\"}",
			      harness_demo_id(&w, "projects", 0));
	cr_assert_str_eq(te_str(e, "project_id"), harness_demo_id(&w, "projects", 0));
	cr_assert(json_is_null(json_object_get(e, "entity_id")));
	json_decref(e);

	/* A PATCH that would leave it attached to nothing. */
	static const char *const patches[] = { "{\"entity_id\":null}", "{\"entity_type\":\"deal\"}",
					       "{\"entity_id\":null,\"project_id\":null}" };
	for (size_t i = 0; i < sizeof patches / sizeof patches[0]; i++) {
		harness_response r = te_one("PATCH", id, w.member_tok, patches[i]);
		te_check_error(&r, 422, "validation_failed", "'entity_id'", patches[i], report, sizeof report);
	}
	cr_assert(!report[0], "PATCHes that were not refused:%s", report);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_entries WHERE id = $1 AND entity_id IS NOT NULL"
				      " AND project_id IS NOT NULL",
				      1, id),
		     1);

	/* The AI tools check the same rule before they propose anything. */
	harness_response r = harness_request("POST", "/api/ai/tools/log_time_entry", w.member_tok,
					     "{\"entity_type\":\"task\",\"hours\":1,\"log_date\":\"2026-03-02\"}", NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert(strstr(r.body, "validation_failed: 'entity_id'"), "%s", r.body);
	harness_response_free(&r);
	r = harness_request("POST", "/api/ai/tools/start_timer", w.member_tok, "{\"entity_type\":\"deal\"}", NULL);
	cr_assert(strstr(r.body, "validation_failed: 'entity_id'"), "%s", r.body);
	harness_response_free(&r);
	cr_assert_eq(te_live_entries(&w), 2);
	free(id);
	harness_workspace_free(&w);
}

Test(entries, only_managers_log_time_for_someone_else)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	const char *task = harness_demo_id(&w, "tasks", 0);
	char *body = te_fmt("{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":1,\"log_date\":\"2026-03-02\","
			    "\"user_id\":\"%s\"}",
			    task, w.member2);
	harness_response r = harness_request("POST", TE_PATH, w.member_tok, body, NULL);
	te_expect_error(&r, 403, "forbidden", NULL, "member logs for member2");
	cr_assert_eq(te_live_entries(&w), 0);

	json_t *e = te_create(w.manager_tok, "%s", body);
	cr_assert_str_eq(te_str(e, "user_id"), w.member2, "the manager logged it for member2");
	/* It is member2's entry: member2 reads it, in member2's timesheet. */
	harness_response got = te_one("GET", te_str(e, "id"), w.member2_tok, NULL);
	json_t *d = te_expect_data(&got, 200, "member2 reads it");
	cr_assert_str_eq(te_str(d, "user_id"), w.member2);
	json_decref(d);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM timesheets WHERE id = $1 AND user_id = $2", 2,
				      te_str(e, "timesheet_id"), w.member2),
		     1);
	json_decref(e);
	free(body);

	/* Someone who is not in the workspace cannot be logged for. */
	body = te_fmt("{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":1,\"log_date\":\"2026-03-02\","
		      "\"user_id\":\"u_doesnotexist\"}",
		      task);
	r = harness_request("POST", TE_PATH, w.admin_tok, body, NULL);
	te_expect_error(&r, 422, "validation_failed", "user_id", "admin logs for an unknown user");
	free(body);
	harness_workspace_free(&w);
}

/* ------------------------------------------------------------------- list */

/* Five entries for the list tests, in e[0..4]:
 *   e[0] member,  task of Acme,     2026-03-02, 1 h
 *   e[1] member,  ticket of Globex, 2026-03-04, 2 h, not billable
 *   e[2] member,  deal,             2026-03-10, 0.5 h
 *   e[3] member2, task of Acme,     2026-03-03, 3 h
 *   e[4] manager, project Globex,   2026-03-05, 1 h */
static void te_seed_list(const harness_ws *w, char *e[5])
{
	e[0] = te_create_id(w->member_tok, "task", harness_demo_id(w, "tasks", 0), "1", "2026-03-02", NULL);
	e[1] = te_create_id(w->member_tok, "ticket", harness_demo_id(w, "tickets", 1), "2", "2026-03-04",
			    "\"billable\":false");
	e[2] = te_create_id(w->member_tok, "deal", harness_demo_id(w, "deals", 0), "0.5", "2026-03-10", NULL);
	e[3] = te_create_id(w->member2_tok, "task", harness_demo_id(w, "tasks", 0), "3", "2026-03-03", NULL);
	e[4] = te_create_id(w->manager_tok, "project", harness_demo_id(w, "projects", 1), "1", "2026-03-05", NULL);
}

static void te_free_ids(char **ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
}

Test(entries, list_filters)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char *e[5];
	te_seed_list(&w, e);
	const char *task = harness_demo_id(&w, "tasks", 0);
	const char *acme = harness_demo_id(&w, "projects", 0), *globex = harness_demo_id(&w, "projects", 1);
	const char *mgr = w.manager_tok;
	char q[256];

	te_expect_list(mgr, "", 5, e[0], e[1], e[2], e[3], e[4]);
	te_expect_list(mgr, "entity_type=task", 2, e[0], e[3]);
	te_expect_list(mgr, "entity_type=ticket", 1, e[1]);
	te_expect_list(mgr, "entity_type=project", 1, e[4]);
	te_expect_list(mgr, "entity_type=candidate", 0);
	snprintf(q, sizeof q, "entity_id=%s", task);
	te_expect_list(mgr, q, 2, e[0], e[3]);
	snprintf(q, sizeof q, "entity_id=%s", harness_demo_id(&w, "deals", 0));
	te_expect_list(mgr, q, 1, e[2]);
	snprintf(q, sizeof q, "project_id=%s", acme);
	te_expect_list(mgr, q, 2, e[0], e[3]);
	snprintf(q, sizeof q, "project_id=%s", globex);
	te_expect_list(mgr, q, 2, e[1], e[4]);
	snprintf(q, sizeof q, "user_id=%s", w.member);
	te_expect_list(mgr, q, 3, e[0], e[1], e[2]);
	snprintf(q, sizeof q, "user_id=%s", w.member2);
	te_expect_list(mgr, q, 1, e[3]);
	te_expect_list(mgr, "from=2026-03-04", 3, e[1], e[2], e[4]);
	te_expect_list(mgr, "to=2026-03-04", 3, e[0], e[1], e[3]);
	te_expect_list(mgr, "from=2026-03-11", 0);
	te_expect_list(mgr, "billable=false", 1, e[1]);
	te_expect_list(mgr, "billable=0", 1, e[1]);
	te_expect_list(mgr, "billable=true", 4, e[0], e[2], e[3], e[4]);
	te_expect_list(mgr, "status=draft", 5, e[0], e[1], e[2], e[3], e[4]);
	te_expect_list(mgr, "status=submitted", 0);
	/* An empty value is no filter. */
	te_expect_list(mgr, "entity_type=", 5, e[0], e[1], e[2], e[3], e[4]);

	te_free_ids(e, 5);
	harness_workspace_free(&w);
}

Test(entries, list_filters_combine)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char *e[5];
	te_seed_list(&w, e);
	const char *mgr = w.manager_tok;
	char q[256], report[4096] = "";

	snprintf(q, sizeof q, "entity_type=deal&entity_id=%s", harness_demo_id(&w, "deals", 0));
	te_check_list(mgr, q, report, sizeof report, 1, e[2]);
	snprintf(q, sizeof q, "entity_id=%s&entity_type=task", harness_demo_id(&w, "tasks", 0));
	te_check_list(mgr, q, report, sizeof report, 2, e[0], e[3]);
	te_check_list(mgr, "from=2026-03-03&to=2026-03-05", report, sizeof report, 3, e[1], e[3], e[4]);
	te_check_list(mgr, "billable=true&entity_type=task", report, sizeof report, 2, e[0], e[3]);
	snprintf(q, sizeof q, "user_id=%s&billable=true&from=2026-03-01&to=2026-03-31", w.member);
	te_check_list(mgr, q, report, sizeof report, 2, e[0], e[2]);
	snprintf(q, sizeof q, "project_id=%s&status=draft&limit=10", harness_demo_id(&w, "projects", 1));
	te_check_list(mgr, q, report, sizeof report, 2, e[1], e[4]);

	te_free_ids(e, 5);
	harness_workspace_free(&w);
	cr_assert(!report[0], "combined filters that went wrong:%s", report);
}

Test(entries, list_pagination)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char *e[5];
	te_seed_list(&w, e);
	const char *mgr = w.manager_tok;
	char q[256];

	harness_response r = te_list(mgr, "");
	json_t *p = json_object_get(r.json, "pagination");
	cr_assert_eq(json_integer_value(json_object_get(p, "page")), 1, "default page");
	cr_assert_eq(json_integer_value(json_object_get(p, "limit")), 50, "default limit");
	cr_assert_eq(json_integer_value(json_object_get(p, "total")), 5);
	harness_response_free(&r);
	r = te_list(mgr, "limit=200");
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(r.json, "pagination"), "limit")), 200);
	harness_response_free(&r);
	r = te_list(mgr, "limit=2");
	p = json_object_get(r.json, "pagination");
	cr_assert_eq(json_integer_value(json_object_get(p, "limit")), 2, "%s", r.body);
	cr_assert_eq(json_integer_value(json_object_get(p, "total")), 5, "%s", r.body);
	cr_assert_eq(json_array_size(harness_data(&r)), 2, "%s", r.body);
	harness_response_free(&r);

	/* Newest log_date first; each page knows the total. */
	const char *pages[][2] = { { e[2], e[4] }, { e[1], e[3] }, { e[0], NULL } };
	for (int page = 1; page <= 4; page++) {
		snprintf(q, sizeof q, "limit=2&page=%d", page);
		r = te_list(mgr, q);
		p = json_object_get(r.json, "pagination");
		cr_assert_eq(json_integer_value(json_object_get(p, "page")), page, "?%s: %s", q, r.body);
		cr_assert_eq(json_integer_value(json_object_get(p, "limit")), 2, "?%s: %s", q, r.body);
		cr_assert_eq(json_integer_value(json_object_get(p, "total")), 5, "?%s: %s", q, r.body);
		json_t *data = harness_data(&r);
		size_t want = page <= 2 ? 2 : page == 3 ? 1 : 0;
		cr_assert_eq(json_array_size(data), want, "?%s: %s", q, r.body);
		for (size_t i = 0; i < want; i++)
			cr_assert_str_eq(te_str(json_array_get(data, i), "id"), pages[page - 1][i], "?%s item %zu", q, i);
		harness_response_free(&r);
	}
	/* A member's pages count only the member's entries. */
	r = te_list(w.member_tok, "page=1&limit=1");
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(r.json, "pagination"), "total")), 3, "%s", r.body);
	cr_assert_eq(json_array_size(harness_data(&r)), 1, "%s", r.body);
	harness_response_free(&r);

	te_free_ids(e, 5);
	harness_workspace_free(&w);
}

/* pagination's total and total_exact on the manager's list ?query. */
static void te_expect_total(const char *tok, const char *query, long total, bool exact, size_t rows)
{
	harness_response r = te_list(tok, query);
	json_t *p = json_object_get(r.json, "pagination");
	cr_assert_eq(json_integer_value(json_object_get(p, "total")), total, "?%s: %s", query, r.body);
	cr_assert(json_is_boolean(json_object_get(p, "total_exact")), "?%s: %s", query, r.body);
	cr_assert_eq(json_is_true(json_object_get(p, "total_exact")), exact, "?%s: %s", query, r.body);
	cr_assert_eq(json_array_size(harness_data(&r)), rows, "?%s: %s", query, r.body);
	harness_response_free(&r);
}

/* A page's total is counted up to 1,000 rows (or the end of the page asked
 * for): past that it says total_exact false; ?total=exact counts them all. */
Test(entries, list_total_is_counted_up_to_a_bound)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char *e[5];
	te_seed_list(&w, e);
	/* 1,000 more of the member's, copies of its first: 1,005 in all. */
	PQclear(harness_sql("INSERT INTO time_entries (workspace_id, user_id, entity_type, entity_id, project_id,"
			    " description, log_date, duration_seconds, billable, timesheet_id, source)"
			    " SELECT workspace_id, user_id, entity_type, entity_id, project_id, 'copy', log_date,"
			    " duration_seconds, billable, timesheet_id, source"
			    " FROM time_entries, generate_series(1, 1000) WHERE id = $1",
			    1, e[0]));
	const char *mgr = w.manager_tok;

	te_expect_total(mgr, "limit=10", 1000, false, 10);
	te_expect_total(mgr, "limit=10&total=exact", 1005, true, 10);
	te_expect_total(w.member_tok, "limit=10", 1000, false, 10);
	te_expect_total(w.member_tok, "limit=10&total=exact", 1003, true, 10);
	/* Below the bound the total is exact without asking. */
	te_expect_total(mgr, "entity_type=ticket", 1, true, 1);
	te_expect_total(w.member2_tok, "", 1, true, 1);
	/* The timesheet's status filter (the count joins timesheets for it). */
	te_expect_total(mgr, "status=draft&limit=5", 1000, false, 5);
	te_expect_total(mgr, "status=draft&limit=5&total=exact", 1005, true, 5);
	te_expect_total(mgr, "status=approved", 0, true, 0);
	/* A page that ends past the bound counts up to its own end. */
	te_expect_total(mgr, "limit=100&page=10", 1000, false, 100);
	te_expect_total(mgr, "limit=100&page=11", 1005, true, 5);
	te_expect_total(mgr, "limit=200&page=6", 1005, true, 5);

	harness_response r = te_list(mgr, "limit=3");
	char path[512];
	snprintf(path, sizeof path, TE_PATH "?limit=3&starting_after=%s",
		 json_string_value(json_object_get(json_object_get(r.json, "pagination"), "next_cursor")));
	harness_response_free(&r);
	/* Cursor mode is unchanged: no page, total or total_exact. */
	r = harness_request("GET", path, mgr, NULL, NULL);
	json_t *p = json_object_get(r.json, "pagination");
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_eq(json_array_size(harness_data(&r)), 3, "%s", r.body);
	cr_assert(!json_object_get(p, "total") && !json_object_get(p, "total_exact") && !json_object_get(p, "page"),
		  "%s", r.body);
	cr_assert(json_is_true(json_object_get(p, "has_more")), "%s", r.body);
	harness_response_free(&r);

	r = harness_request("GET", TE_PATH "?total=estimate", mgr, NULL, NULL);
	cr_assert_eq(r.status, 422, "%s", r.body);
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(r.json, "error"), "param")), "total", "%s",
			 r.body);
	harness_response_free(&r);

	te_free_ids(e, 5);
	harness_workspace_free(&w);
}

Test(entries, list_status_filter_follows_the_timesheet_and_the_timer)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	const char *task = harness_demo_id(&w, "tasks", 0);
	char *draft = te_create_id(w.member_tok, "task", task, "1", "2026-03-02", NULL);
	char *submitted = te_create_id(w.member_tok, "task", task, "1", "2026-03-10", NULL);
	char *rejected = te_create_id(w.member_tok, "task", task, "1", "2026-03-17", NULL);
	char *approved = te_create_id(w.member2_tok, "task", task, "1", "2026-03-03", NULL);

	char *ts = te_timesheet_of(w.member_tok, submitted);
	te_transition(w.member_tok, ts, "submit", NULL, "submitted");
	free(ts);
	ts = te_timesheet_of(w.member_tok, rejected);
	te_transition(w.member_tok, ts, "submit", NULL, "submitted");
	te_transition(w.manager_tok, ts, "reject", "{\"reason\":\"split the hours per task\"}", "rejected");
	free(ts);
	ts = te_timesheet_of(w.member2_tok, approved);
	te_transition(w.member2_tok, ts, "submit", NULL, "submitted");
	te_transition(w.manager_tok, ts, "approve", NULL, "approved");
	free(ts);

	char *body = te_fmt("{\"entity_type\":\"task\",\"entity_id\":\"%s\"}", task);
	harness_response r = harness_request("POST", "/api/v1/time/timer/start", w.member2_tok, body, NULL);
	json_t *timer = te_expect_data(&r, 201, "timer start");
	char *running = strdup(te_str(timer, "id"));
	json_decref(timer);
	free(body);

	const char *mgr = w.manager_tok;
	te_expect_list(mgr, "status=draft", 1, draft);
	te_expect_list(mgr, "status=submitted", 1, submitted);
	te_expect_list(mgr, "status=rejected", 1, rejected);
	te_expect_list(mgr, "status=approved", 1, approved);
	te_expect_list(mgr, "status=running", 1, running);
	te_expect_list(mgr, "", 5, draft, submitted, rejected, approved, running);
	/* Each entry shows its status. */
	harness_response one = te_one("GET", submitted, w.member_tok, NULL);
	json_t *d = te_expect_data(&one, 200, "get submitted");
	cr_assert_str_eq(te_str(d, "status"), "submitted");
	json_decref(d);
	/* The member's own view with a status filter. */
	te_expect_list(w.member_tok, "status=draft", 1, draft);
	te_expect_list(w.member_tok, "status=running", 0);
	te_expect_list(w.member2_tok, "status=running", 1, running);

	free(draft), free(submitted), free(rejected), free(approved), free(running);
	harness_workspace_free(&w);
}

Test(entries, list_refuses_bad_filter_values)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	static const struct {
		const char *query, *needle;
	} cases[] = {
		{ "status=bogus", "status" },	{ "from=2026-13-01", "from" },  { "to=2026-02-30", "to" },
		{ "from=yesterday", "from" },	{ "limit=0", "limit" },	{ "limit=201", "limit" },
		{ "limit=-5", "limit" },	{ "limit=ten", "limit" },	{ "page=0", "page" },
		{ "page=-1", "page" },		{ "page=one", "page" },	{ "billable=maybe", "billable" },
		{ "entity_type=spaceship", "entity_type" },
	};
	char report[8192] = "";
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		te_check_bad_filter(w.manager_tok, cases[i].query, cases[i].needle, report, sizeof report);
		te_check_bad_filter(w.member_tok, cases[i].query, cases[i].needle, report, sizeof report);
	}
	cr_assert(!report[0], "bad filters that were not refused as expected:%s", report);
	harness_workspace_free(&w);
}

Test(entries, members_list_only_their_own_entries)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	const char *task = harness_demo_id(&w, "tasks", 0);
	char *m1 = te_create_id(w.member_tok, "task", task, "1", "2026-03-02", NULL);
	char *m2 = te_create_id(w.member_tok, "task", task, "2", "2026-03-03", NULL);
	char *o1 = te_create_id(w.member2_tok, "task", task, "1", "2026-03-02", NULL);
	char *g1 = te_create_id(w.manager_tok, "task", task, "1", "2026-03-02", NULL);
	char q[160];

	te_expect_list(w.member_tok, "", 2, m1, m2);
	te_expect_list(w.member2_tok, "", 1, o1);
	te_expect_list(w.manager_tok, "", 4, m1, m2, o1, g1);
	te_expect_list(w.admin_tok, "", 4, m1, m2, o1, g1);
	snprintf(q, sizeof q, "entity_id=%s", task);
	te_expect_list(w.member_tok, q, 2, m1, m2);
	snprintf(q, sizeof q, "user_id=%s", w.member);
	te_expect_list(w.member_tok, q, 2, m1, m2);
	te_expect_list(w.manager_tok, q, 2, m1, m2);

	snprintf(q, sizeof q, TE_PATH "?user_id=%s", w.member2);
	harness_response r = harness_request("GET", q, w.member_tok, NULL, NULL);
	cr_assert(!strstr(r.body, o1), "the refusal does not show member2's entry");
	te_expect_error(&r, 403, "forbidden", NULL, "member lists member2's entries");
	snprintf(q, sizeof q, TE_PATH "?user_id=%s", w.manager);
	r = harness_request("GET", q, w.member_tok, NULL, NULL);
	te_expect_error(&r, 403, "forbidden", NULL, "member lists the manager's entries");

	free(m1), free(m2), free(o1), free(g1);
	harness_workspace_free(&w);
}

/* ---------------------------------------------------------------- get one */

Test(entries, get_one_respects_ownership)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	const char *task = harness_demo_id(&w, "tasks", 0);
	char *mine = te_create_id(w.member_tok, "task", task, "1", "2026-03-02", "\"description\":\"private notes\"");
	char *theirs = te_create_id(w.member2_tok, "task", task, "1", "2026-03-02", NULL);

	harness_response r = te_one("GET", mine, w.member_tok, NULL);
	json_t *d = te_expect_data(&r, 200, "own entry");
	cr_assert_str_eq(te_str(d, "id"), mine);
	cr_assert_str_eq(te_str(d, "description"), "private notes");
	cr_assert_null(json_object_get(r.json, "pagination"));
	json_decref(d);

	r = te_one("GET", mine, w.member2_tok, NULL);
	cr_assert(!strstr(r.body, "private notes"), "a 404 shows none of the entry: %s", r.body);
	te_expect_error(&r, 404, "not_found", NULL, "member2 reads member's entry");
	r = te_one("GET", theirs, w.member_tok, NULL);
	te_expect_error(&r, 404, "not_found", NULL, "member reads member2's entry");

	const char *team[] = { w.manager_tok, w.admin_tok };
	for (size_t i = 0; i < 2; i++) {
		r = te_one("GET", mine, team[i], NULL);
		d = te_expect_data(&r, 200, "the team reads it");
		cr_assert_str_eq(te_str(d, "user_id"), w.member);
		json_decref(d);
	}
	r = te_one("GET", "te_doesnotexist", w.admin_tok, NULL);
	te_expect_error(&r, 404, "not_found", NULL, "unknown id");

	free(mine), free(theirs);
	harness_workspace_free(&w);
}

/* ------------------------------------------------------------------ patch */

Test(entries, patch_changes_fields)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	const char *task = harness_demo_id(&w, "tasks", 0);
	char *id = te_create_id(w.member_tok, "task", task, "1", "2026-03-02", "\"description\":\"draft\"");
	char *ts = te_timesheet_of(w.member_tok, id);

	harness_response r = te_one("PATCH", id, w.member_tok,
				    "{\"description\":\"Workshop follow-up\",\"hours\":\"2.25\",\"billable\":false,"
				    "\"log_date\":\"2026-03-04\"}");
	json_t *d = te_expect_data(&r, 200, "patch");
	cr_assert_str_eq(te_str(d, "description"), "Workshop follow-up");
	cr_assert_eq(json_integer_value(json_object_get(d, "duration_seconds")), 8100);
	cr_assert(json_number_value(json_object_get(d, "hours")) == 2.25);
	cr_assert(json_is_false(json_object_get(d, "billable")));
	cr_assert_str_eq(te_str(d, "log_date"), "2026-03-04");
	cr_assert_str_eq(te_str(d, "timesheet_id"), ts, "same week, same timesheet");
	cr_assert_str_eq(te_str(d, "entity_id"), task, "untouched fields stay");
	json_decref(d);
	PGresult *row = harness_sql("SELECT duration_seconds, billable, description, log_date::text FROM time_entries"
				    " WHERE id = $1",
				    1, id);
	cr_assert_str_eq(PQgetvalue(row, 0, 0), "8100");
	cr_assert_str_eq(PQgetvalue(row, 0, 1), "f");
	cr_assert_str_eq(PQgetvalue(row, 0, 2), "Workshop follow-up");
	cr_assert_str_eq(PQgetvalue(row, 0, 3), "2026-03-04");
	PQclear(row);

	/* A date in another week moves the entry to that week's timesheet. */
	r = te_one("PATCH", id, w.member_tok, "{\"log_date\":\"2026-03-12\"}");
	d = te_expect_data(&r, 200, "patch date");
	cr_assert_str_neq(te_str(d, "timesheet_id"), ts);
	json_t *sheet = te_timesheet(w.member_tok, te_str(d, "timesheet_id"));
	cr_assert_str_eq(te_str(sheet, "period_start"), "2026-03-09");
	cr_assert_eq(json_integer_value(json_object_get(sheet, "total_seconds")), 8100);
	json_decref(sheet);
	json_decref(d);
	sheet = te_timesheet(w.member_tok, ts);
	cr_assert_eq(json_integer_value(json_object_get(sheet, "total_seconds")), 0, "the old week lost the hours");
	json_decref(sheet);

	/* Refusals leave the entry as it was. */
	static const struct {
		const char *body;
		long status;
		const char *code, *needle;
	} bad[] = {
		{ "{\"colour\":\"red\"}", 422, "validation_failed", "colour" },
		{ "{\"user_id\":\"u_someone\"}", 422, "validation_failed", "user_id" },
		{ "{\"hours\":0}", 422, "validation_failed", "hours" },
		{ "{\"hours\":24.5}", 422, "validation_failed", "hours" },
		{ "{\"log_date\":\"2026-02-30\"}", 422, "validation_failed", "log_date" },
		{ "{\"entity_type\":\"spaceship\"}", 422, "validation_failed", "entity_type" },
		{ "{\"entity_id\":\"tsk_doesnotexist\"}", 422, "validation_failed", "entity_id" },
		{ "{\"billable\":\"no\"}", 422, "validation_failed", "billable" },
		{ "{\"description\":", 400, "invalid_json", NULL },
		{ "[]", 400, "invalid_body", NULL },
		{ "", 400, "invalid_body", NULL },
	};
	char report[8192] = "";
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		r = te_one("PATCH", id, w.member_tok, bad[i].body);
		te_check_error(&r, bad[i].status, bad[i].code, bad[i].needle, bad[i].body, report, sizeof report);
	}
	cr_assert(!report[0], "PATCH refusals that went wrong:%s", report);
	cr_assert_eq(harness_sql_long("SELECT duration_seconds FROM time_entries WHERE id = $1", 1, id), 8100);
	r = te_one("PATCH", "te_doesnotexist", w.member_tok, "{\"description\":\"x\"}");
	te_expect_error(&r, 404, "not_found", NULL, "patch unknown id");

	free(ts), free(id);
	harness_workspace_free(&w);
}

Test(entries, patch_moving_to_another_record_rederives_the_project)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	json_t *tasks = json_object_get(w.demo, "tasks");
	const char *acme_task = te_str(json_array_get(tasks, 0), "id");
	const char *globex_task = te_str(json_array_get(tasks, 3), "id");
	const char *globex = te_str(json_array_get(tasks, 3), "project_id");
	cr_assert_str_neq(te_str(json_array_get(tasks, 0), "project_id"), globex, "the two tasks are in two projects");
	char *id = te_create_id(w.member_tok, "task", acme_task, "1", "2026-03-02", NULL);

	char *body = te_fmt("{\"entity_id\":\"%s\"}", globex_task);
	harness_response r = te_one("PATCH", id, w.member_tok, body);
	json_t *d = te_expect_data(&r, 200, "move to the Globex task");
	cr_assert_str_eq(te_str(d, "entity_id"), globex_task);
	cr_assert_str_eq(te_str(d, "project_id"), globex);
	json_decref(d);
	free(body);
	PGresult *row = harness_sql("SELECT project_id, entity_id FROM time_entries WHERE id = $1", 1, id);
	cr_assert_str_eq(PQgetvalue(row, 0, 0), globex);
	cr_assert_str_eq(PQgetvalue(row, 0, 1), globex_task);
	PQclear(row);

	/* To a deal: no project any more. */
	body = te_fmt("{\"entity_type\":\"deal\",\"entity_id\":\"%s\"}", harness_demo_id(&w, "deals", 0));
	r = te_one("PATCH", id, w.member_tok, body);
	d = te_expect_data(&r, 200, "move to a deal");
	cr_assert_str_eq(te_str(d, "entity_type"), "deal");
	cr_assert(json_is_null(json_object_get(d, "project_id")), "a deal has no project: %s", te_str(d, "project_id"));
	json_decref(d);
	free(body);

	/* Back to a task with a project that is not the task's: refused. */
	body = te_fmt("{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"project_id\":\"%s\"}", acme_task, globex);
	r = te_one("PATCH", id, w.member_tok, body);
	te_expect_error(&r, 422, "validation_failed", "project_id", "task with another project");
	free(body);

	free(id);
	harness_workspace_free(&w);
}

Test(entries, patch_and_delete_of_someone_elses_entry)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	const char *task = harness_demo_id(&w, "tasks", 0);
	char *id = te_create_id(w.member_tok, "task", task, "1", "2026-03-02", "\"description\":\"mine\"");

	harness_response r = te_one("PATCH", id, w.member2_tok, "{\"description\":\"hijacked\"}");
	te_expect_error(&r, 404, "not_found", NULL, "member2 patches member's entry");
	r = te_one("DELETE", id, w.member2_tok, NULL);
	te_expect_error(&r, 404, "not_found", NULL, "member2 deletes member's entry");
	PGresult *row = harness_sql("SELECT description, deleted_at IS NULL FROM time_entries WHERE id = $1", 1, id);
	cr_assert_str_eq(PQgetvalue(row, 0, 0), "mine");
	cr_assert_str_eq(PQgetvalue(row, 0, 1), "t");
	PQclear(row);

	/* A manager may correct the team's entries. */
	r = te_one("PATCH", id, w.manager_tok, "{\"description\":\"corrected by the manager\"}");
	json_t *d = te_expect_data(&r, 200, "manager patch");
	cr_assert_str_eq(te_str(d, "description"), "corrected by the manager");
	cr_assert_str_eq(te_str(d, "user_id"), w.member, "still the member's entry");
	json_decref(d);
	free(id);
	harness_workspace_free(&w);
}

/* ----------------------------------------------------------------- delete */

Test(entries, delete_is_soft_and_leaves_lists_and_totals)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	const char *task = harness_demo_id(&w, "tasks", 0);
	char *keep = te_create_id(w.member_tok, "task", task, "2", "2026-03-02", NULL);
	char *gone = te_create_id(w.member_tok, "task", task, "1", "2026-03-03", "\"description\":\"to delete\"");
	char *ts = te_timesheet_of(w.member_tok, gone);
	json_t *sheet = te_timesheet(w.member_tok, ts);
	cr_assert_eq(json_integer_value(json_object_get(sheet, "total_seconds")), 3 * 3600);
	cr_assert_eq(json_array_size(json_object_get(sheet, "entries")), 2);
	json_decref(sheet);

	harness_response r = te_one("DELETE", gone, w.member_tok, NULL);
	json_t *d = te_expect_data(&r, 200, "delete");
	cr_assert_str_eq(te_str(d, "id"), gone, "the deleted entry as it was");
	cr_assert_str_eq(te_str(d, "description"), "to delete");
	json_decref(d);

	/* Soft: the row stays, with deleted_at set. */
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_entries WHERE id = $1 AND deleted_at IS NOT NULL", 1, gone),
		     1);
	r = te_one("GET", gone, w.member_tok, NULL);
	te_expect_error(&r, 404, "not_found", NULL, "get a deleted entry");
	r = te_one("GET", gone, w.admin_tok, NULL);
	te_expect_error(&r, 404, "not_found", NULL, "admin gets a deleted entry");
	te_expect_list(w.member_tok, "", 1, keep);
	te_expect_list(w.manager_tok, "", 1, keep);
	char q[160];
	snprintf(q, sizeof q, "entity_id=%s", task);
	te_expect_list(w.manager_tok, q, 1, keep);
	te_expect_list(w.manager_tok, "from=2026-03-03", 0);

	sheet = te_timesheet(w.member_tok, ts);
	cr_assert_eq(json_integer_value(json_object_get(sheet, "total_seconds")), 2 * 3600, "the total drops the entry");
	cr_assert_eq(json_integer_value(json_object_get(sheet, "billable_seconds")), 2 * 3600);
	json_t *entries = json_object_get(sheet, "entries");
	cr_assert_eq(json_array_size(entries), 1);
	cr_assert_str_eq(te_str(json_array_get(entries, 0), "id"), keep);
	json_decref(sheet);

	/* Deleting it again, or patching it, finds nothing. */
	r = te_one("DELETE", gone, w.member_tok, NULL);
	te_expect_error(&r, 404, "not_found", NULL, "delete twice");
	r = te_one("PATCH", gone, w.member_tok, "{\"description\":\"back\"}");
	te_expect_error(&r, 404, "not_found", NULL, "patch a deleted entry");

	free(keep), free(gone), free(ts);
	harness_workspace_free(&w);
}

Test(entries, invoiced_entry_cannot_change_until_its_line_goes)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	const char *task = harness_demo_id(&w, "tasks", 0);
	const char *invoice = harness_demo_id(&w, "invoices", 0);
	cr_assert(invoice, "the demo has a draft invoice");
	char *id = te_create_id(w.member_tok, "task", task, "1.5", "2026-03-02", "\"description\":\"billed work\"");

	PGresult *line = harness_sql("INSERT INTO invoice_lines (workspace_id, invoice_id, description, seconds)"
				     " VALUES ($1, $2, 'Kickoff workshop', 5400) RETURNING id",
				     2, w.ws, invoice);
	char *line_id = strdup(PQgetvalue(line, 0, 0));
	PQclear(line);
	PQclear(harness_sql("UPDATE time_entries SET invoice_line_id = $2 WHERE id = $1", 2, id, line_id));

	harness_response r = te_one("GET", id, w.member_tok, NULL);
	json_t *d = te_expect_data(&r, 200, "get invoiced");
	cr_assert(json_is_true(json_object_get(d, "invoiced")));
	cr_assert_str_eq(te_str(d, "invoice_line_id"), line_id);
	json_decref(d);

	const char *who[] = { w.member_tok, w.admin_tok };
	for (size_t i = 0; i < 2; i++) {
		r = te_one("PATCH", id, who[i], "{\"description\":\"rewritten\"}");
		te_expect_error(&r, 409, "entry_invoiced", NULL, "patch an invoiced entry");
		r = te_one("PATCH", id, who[i], "{\"hours\":3}");
		te_expect_error(&r, 409, "entry_invoiced", NULL, "patch the hours of an invoiced entry");
		r = te_one("DELETE", id, who[i], NULL);
		te_expect_error(&r, 409, "entry_invoiced", NULL, "delete an invoiced entry");
	}
	PGresult *row = harness_sql("SELECT description, duration_seconds, deleted_at IS NULL FROM time_entries WHERE id = $1",
				    1, id);
	cr_assert_str_eq(PQgetvalue(row, 0, 0), "billed work");
	cr_assert_str_eq(PQgetvalue(row, 0, 1), "5400");
	cr_assert_str_eq(PQgetvalue(row, 0, 2), "t");
	PQclear(row);

	/* invoice_line_id is ON DELETE SET NULL: removing the line frees the entry. */
	PQclear(harness_sql("DELETE FROM invoice_lines WHERE id = $1", 1, line_id));
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_entries WHERE id = $1 AND invoice_line_id IS NULL", 1, id),
		     1);
	r = te_one("PATCH", id, w.member_tok, "{\"description\":\"rewritten\"}");
	d = te_expect_data(&r, 200, "patch once the line is gone");
	cr_assert_str_eq(te_str(d, "description"), "rewritten");
	cr_assert(json_is_false(json_object_get(d, "invoiced")));
	cr_assert(json_is_null(json_object_get(d, "invoice_line_id")));
	json_decref(d);
	r = te_one("DELETE", id, w.member_tok, NULL);
	json_decref(te_expect_data(&r, 200, "delete once the line is gone"));

	free(line_id), free(id);
	harness_workspace_free(&w);
}
