/* The invoice bridge (POST /api/v1/invoices/{id}/pull-from-time) and the
 * calendar door (POST /api/v1/time/calendar-events/{id}/convert) over HTTP:
 * preview, lines with exact seconds and amounts, grouping, rounding, the
 * refusals, the concurrent double pull (no entry billed twice), and meetings
 * converted into entries. */
#include "harness.h"
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A past week, Monday to Sunday: one timesheet per user with the default week start. */
#define INV_FROM "2026-03-02"
#define INV_TO "2026-03-08"
#define INV_WEEK "{\"from\":\"" INV_FROM "\",\"to\":\"" INV_TO "\""
#define INV_RATES "/api/v1/time/rates"
#define INV_SETTINGS "/api/v1/time/settings"
#define INV_DASH "\xe2\x80\x94"

enum { INV_RACERS = 8, INV_RACE_ENTRIES = 12 };

static const char *inv_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static long inv_int(json_t *o, const char *key)
{
	return (long)json_integer_value(json_object_get(o, key));
}

/* Sends a request, asserts its status and returns the whole answer (owned). */
__attribute__((format(printf, 5, 6))) static json_t *inv_call(long want, const char *tok, const char *method,
							       const char *body, const char *fmt, ...)
{
	char path[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(path, sizeof path, fmt, ap);
	va_end(ap);
	harness_response r = harness_request(method, path, tok, body, NULL);
	cr_assert_eq(r.status, want, "%s %s %s: expected %ld, got %ld: %s", method, path, body ? body : "", want,
		     r.status, r.body);
	json_t *j = json_incref(r.json);
	harness_response_free(&r);
	return j;
}

/* The data of an answer (owned); takes the answer. */
static json_t *inv_data(json_t *env)
{
	json_t *d = json_object_get(env, "data");
	cr_assert(d, "no data in the answer");
	json_incref(d);
	json_decref(env);
	return d;
}

/* Asserts the answer is an error with this code and a message; takes the answer. */
static void inv_code(json_t *env, const char *code)
{
	json_t *e = json_object_get(env, "error");
	cr_assert_str_eq(inv_str(e, "code"), code, "expected error code %s", code);
	cr_assert(*inv_str(e, "message"), "an error carries a message");
	json_decref(env);
}

static json_t *inv_pull(long want, const char *tok, const char *invoice, const char *body)
{
	return inv_call(want, tok, "POST", body, "/api/v1/invoices/%s/pull-from-time", invoice);
}

/* Logs hours of tok's user on an entity on day; extra: more JSON members or NULL.
 * Returns the new entry id (malloc'd). */
static char *inv_log_on(const char *tok, const char *entity_type, const char *entity_id, const char *hours,
			const char *day, const char *extra)
{
	char body[1024];
	snprintf(body, sizeof body, "{\"entity_type\":\"%s\",\"entity_id\":\"%s\",\"hours\":%s,\"log_date\":\"%s\"%s%s}",
		 entity_type, entity_id, hours, day, extra ? "," : "", extra ? extra : "");
	json_t *e = inv_data(inv_call(201, tok, "POST", body, "/api/v1/time-entries"));
	char *id = strdup(inv_str(e, "id"));
	json_decref(e);
	return id;
}

static char *inv_log(const harness_ws *w, const char *tok, size_t task, const char *hours, const char *day,
		     const char *extra)
{
	return inv_log_on(tok, "task", harness_demo_id(w, "tasks", task), hours, day, extra);
}

/* Submits (as its owner) and approves (as the manager) the timesheet holding the entry. */
static void inv_approve(const harness_ws *w, const char *owner_tok, const char *entry_id)
{
	json_t *e = inv_data(inv_call(200, owner_tok, "GET", NULL, "/api/v1/time-entries/%s", entry_id));
	char ts[64];
	snprintf(ts, sizeof ts, "%s", inv_str(e, "timesheet_id"));
	json_decref(e);
	json_decref(inv_call(200, owner_tok, "POST", NULL, "/api/v1/timesheets/%s/submit", ts));
	json_decref(inv_call(200, w->manager_tok, "POST", NULL, "/api/v1/timesheets/%s/approve", ts));
}

/* A rate override: target is the JSON members naming what it applies to. */
static void inv_rate(const harness_ws *w, const char *target, long rate, const char *currency)
{
	char body[512];
	snprintf(body, sizeof body, "{%s,\"hourly_rate\":%ld,\"currency\":\"%s\"}", target, rate, currency);
	json_decref(inv_call(201, w->admin_tok, "POST", body, INV_RATES));
}

static void inv_project_rate(const harness_ws *w, size_t project, long rate, const char *currency)
{
	char target[128];
	snprintf(target, sizeof target, "\"project_id\":\"%s\"", harness_demo_id(w, "projects", project));
	inv_rate(w, target, rate, currency);
}

static void inv_settings(const harness_ws *w, const char *body)
{
	json_decref(inv_call(200, w->admin_tok, "PATCH", body, INV_SETTINGS));
}

static long inv_count(const char *sql, const harness_ws *w, const char *arg)
{
	return arg ? harness_sql_long(sql, 2, w->ws, arg) : harness_sql_long(sql, 1, w->ws);
}

static long inv_lines_in_db(const harness_ws *w)
{
	return inv_count("SELECT count(*) FROM invoice_lines WHERE workspace_id = $1", w, NULL);
}

static long inv_billed(const harness_ws *w)
{
	return inv_count("SELECT count(*) FROM time_entries WHERE workspace_id = $1 AND invoice_line_id IS NOT NULL", w,
			 NULL);
}

static long inv_events(const harness_ws *w, const char *event)
{
	return inv_count("SELECT count(*) FROM time_webhook_events WHERE workspace_id = $1 AND event = $2", w, event);
}

static long inv_audits(const harness_ws *w, const char *action)
{
	return inv_count("SELECT count(*) FROM audit_log WHERE workspace_id = $1 AND action = $2", w, action);
}

/* Asserts a line's numbers and description. */
static void inv_expect_line(json_t *line, const char *description, long seconds, long unit, long amount, long entries)
{
	cr_assert_str_eq(inv_str(line, "description"), description);
	cr_assert_eq(inv_int(line, "seconds"), seconds, "%s: seconds", description);
	cr_assert_eq(inv_int(line, "unit_amount"), unit, "%s: unit_amount", description);
	cr_assert_eq(inv_int(line, "amount"), amount, "%s: amount", description);
	cr_assert_eq(inv_int(line, "entry_count"), entries, "%s: entry_count", description);
	cr_assert_eq(json_array_size(json_object_get(line, "entry_ids")), (size_t)entries, "%s: entry_ids", description);
	cr_assert_str_eq(inv_str(line, "currency"), "USD");
}

/* ------------------------------------------------------------ invoice bridge */

Test(invoicing, preview_shows_the_lines_and_writes_nothing)
{
	harness_ws w;
	harness_workspace(&w, "pro", "projects,finance");
	const char *invoice = harness_demo_id(&w, "invoices", 0);
	inv_project_rate(&w, 0, 12000, "USD");
	char *e1 = inv_log(&w, w.member_tok, 0, "1.5", "2026-03-03", NULL);
	inv_approve(&w, w.member_tok, e1);

	json_t *d = inv_data(inv_pull(200, w.manager_tok, invoice, INV_WEEK ",\"preview\":true}"));
	cr_assert_str_eq(inv_str(d, "invoice_id"), invoice);
	cr_assert(json_is_true(json_object_get(d, "preview")));
	cr_assert_str_eq(inv_str(d, "currency"), "USD");
	cr_assert_str_eq(inv_str(d, "group_by"), "project", "project is the default grouping");
	cr_assert_eq(inv_int(d, "entry_count"), 1);
	cr_assert_eq(inv_int(d, "total_seconds"), 5400);
	cr_assert_eq(inv_int(d, "total_amount"), 18000, "1.5 h at 120.00 is 180.00");
	cr_assert_eq(json_array_size(json_object_get(d, "skipped")), 0);
	json_t *lines = json_object_get(d, "lines");
	cr_assert_eq(json_array_size(lines), 1);
	json_t *line = json_array_get(lines, 0);
	inv_expect_line(line, "Acme onboarding " INV_DASH " 1.5 h", 5400, 12000, 18000, 1);
	cr_assert_null(json_object_get(line, "id"), "a preview line has no id");
	cr_assert_str_eq(json_string_value(json_array_get(json_object_get(line, "entry_ids"), 0)), e1);

	cr_assert_eq(inv_lines_in_db(&w), 0, "a preview writes no line");
	cr_assert_eq(inv_billed(&w), 0, "a preview bills no entry");
	cr_assert_eq(inv_events(&w, "time_entry.invoiced"), 0);
	cr_assert_eq(inv_audits(&w, "invoice.lines_filled_from_time"), 0);
	json_decref(d);
	free(e1);
	harness_workspace_free(&w);
}

Test(invoicing, pull_writes_lines_marks_entries_announces_and_audits)
{
	harness_ws w;
	harness_workspace(&w, "pro", "projects,finance");
	const char *invoice = harness_demo_id(&w, "invoices", 0);
	inv_project_rate(&w, 0, 12000, "USD");
	char *e1 = inv_log(&w, w.member_tok, 0, "1.5", "2026-03-03", NULL);
	char *e2 = inv_log(&w, w.member_tok, 1, "1", "2026-03-04", NULL);
	inv_approve(&w, w.member_tok, e1);

	json_t *d = inv_data(inv_pull(200, w.manager_tok, invoice, INV_WEEK "}"));
	cr_assert(json_is_false(json_object_get(d, "preview")));
	cr_assert_eq(inv_int(d, "entry_count"), 2);
	cr_assert_eq(inv_int(d, "total_amount"), 30000);
	json_t *line = json_array_get(json_object_get(d, "lines"), 0);
	cr_assert_eq(json_array_size(json_object_get(d, "lines")), 1);
	inv_expect_line(line, "Acme onboarding " INV_DASH " 2.5 h", 9000, 12000, 30000, 2);
	const char *line_id = inv_str(line, "id");
	cr_assert(!strncmp(line_id, "il_", 3), "the line comes back with its id: %s", line_id);

	PGresult *r = harness_sql("SELECT invoice_id, description, seconds, unit_amount, amount FROM invoice_lines"
				  " WHERE workspace_id = $1",
				  1, w.ws);
	cr_assert_eq(PQntuples(r), 1);
	cr_assert_str_eq(PQgetvalue(r, 0, 0), invoice);
	cr_assert_str_eq(PQgetvalue(r, 0, 1), "Acme onboarding " INV_DASH " 2.5 h");
	cr_assert_str_eq(PQgetvalue(r, 0, 2), "9000");
	cr_assert_str_eq(PQgetvalue(r, 0, 3), "12000");
	cr_assert_str_eq(PQgetvalue(r, 0, 4), "30000");
	PQclear(r);
	cr_assert_eq(inv_count("SELECT count(*) FROM time_entries WHERE workspace_id = $1 AND invoice_line_id = $2", &w,
			       line_id),
		     2, "both entries point at the line");

	/* One time_entry.invoiced per entry, carrying the entry as it now is. */
	cr_assert_eq(inv_events(&w, "time_entry.invoiced"), 2);
	cr_assert_eq(inv_count("SELECT count(DISTINCT payload->'data'->>'id') FROM time_webhook_events"
			       " WHERE workspace_id = $1 AND event = 'time_entry.invoiced'"
			       " AND payload->'data'->>'invoice_line_id' = $2 AND (payload->'data'->>'invoiced')::boolean",
			       &w, line_id),
		     2);
	r = harness_sql("SELECT entity_type, entity_id, user_id, changes->>'entry_count', changes->>'total_amount',"
			" changes->'line_ids'->>0, jsonb_array_length(changes->'line_ids') FROM audit_log"
			" WHERE workspace_id = $1 AND action = 'invoice.lines_filled_from_time'",
			1, w.ws);
	cr_assert_eq(PQntuples(r), 1, "one audit row for the pull");
	cr_assert_str_eq(PQgetvalue(r, 0, 0), "invoice");
	cr_assert_str_eq(PQgetvalue(r, 0, 1), invoice);
	cr_assert_str_eq(PQgetvalue(r, 0, 2), w.manager);
	cr_assert_str_eq(PQgetvalue(r, 0, 3), "2");
	cr_assert_str_eq(PQgetvalue(r, 0, 4), "30000");
	cr_assert_str_eq(PQgetvalue(r, 0, 5), line_id);
	cr_assert_str_eq(PQgetvalue(r, 0, 6), "1");
	PQclear(r);

	json_t *e = inv_data(inv_call(200, w.member_tok, "GET", NULL, "/api/v1/time-entries/%s", e2));
	cr_assert(json_is_true(json_object_get(e, "invoiced")));
	cr_assert_str_eq(inv_str(e, "invoice_line_id"), line_id);
	json_decref(e);
	/* Billed time is final, for its owner and for an admin alike. */
	inv_code(inv_call(409, w.member_tok, "PATCH", "{\"description\":\"rewritten\"}", "/api/v1/time-entries/%s", e1),
		 "entry_invoiced");
	inv_code(inv_call(409, w.admin_tok, "PATCH", "{\"hours\":3}", "/api/v1/time-entries/%s", e2), "entry_invoiced");

	/* Pulling again finds nothing new: 200 with no lines, and nothing written. */
	json_t *again = inv_data(inv_pull(200, w.admin_tok, invoice, INV_WEEK "}"));
	cr_assert_eq(json_array_size(json_object_get(again, "lines")), 0);
	cr_assert_eq(inv_int(again, "entry_count"), 0);
	cr_assert_eq(inv_int(again, "total_amount"), 0);
	cr_assert_eq(inv_lines_in_db(&w), 1);
	cr_assert_eq(inv_events(&w, "time_entry.invoiced"), 2);
	cr_assert_eq(inv_audits(&w, "invoice.lines_filled_from_time"), 1, "an empty pull is not audited");
	json_decref(again);
	json_decref(d);
	free(e1);
	free(e2);
	harness_workspace_free(&w);
}

Test(invoicing, only_approved_billable_time_in_the_range_is_taken)
{
	harness_ws w;
	harness_workspace(&w, "pro", "projects,finance");
	const char *invoice = harness_demo_id(&w, "invoices", 0);
	inv_project_rate(&w, 0, 12000, "USD");
	char *taken = inv_log(&w, w.member_tok, 0, "1", "2026-03-03", NULL);
	char *unbillable = inv_log(&w, w.member_tok, 0, "2", "2026-03-04", "\"billable\":false");
	char *next_week = inv_log(&w, w.member_tok, 0, "1", "2026-03-10", NULL);
	char *draft = inv_log(&w, w.member2_tok, 0, "1", "2026-03-03", NULL);
	char *submitted = inv_log(&w, w.member2_tok, 0, "1", "2026-03-10", NULL);
	inv_approve(&w, w.member_tok, taken);
	inv_approve(&w, w.member_tok, next_week);
	json_t *e = inv_data(inv_call(200, w.member2_tok, "GET", NULL, "/api/v1/time-entries/%s", submitted));
	json_decref(inv_call(200, w.member2_tok, "POST", NULL, "/api/v1/timesheets/%s/submit", inv_str(e, "timesheet_id")));
	json_decref(e);

	json_t *d = inv_data(inv_pull(200, w.admin_tok, invoice, INV_WEEK ",\"group_by\":\"entry\"}"));
	cr_assert_eq(inv_int(d, "entry_count"), 1, "only the approved billable entry of the week");
	json_t *ids = json_object_get(json_array_get(json_object_get(d, "lines"), 0), "entry_ids");
	cr_assert_str_eq(json_string_value(json_array_get(ids, 0)), taken);
	json_decref(d);
	/* The next week: only the approved entry; the submitted one waits for approval. */
	d = inv_data(inv_pull(200, w.admin_tok, invoice, "{\"from\":\"2026-03-09\",\"to\":\"2026-03-15\"}"));
	cr_assert_eq(inv_int(d, "entry_count"), 1);
	ids = json_object_get(json_array_get(json_object_get(d, "lines"), 0), "entry_ids");
	cr_assert_str_eq(json_string_value(json_array_get(ids, 0)), next_week);
	json_decref(d);
	cr_assert_eq(inv_billed(&w), 2);
	char list[256];
	snprintf(list, sizeof list, "%s,%s,%s", unbillable, draft, submitted);
	cr_assert_eq(inv_count("SELECT count(*) FROM time_entries WHERE workspace_id = $1 AND invoice_line_id IS NULL"
			       " AND id = ANY(string_to_array($2, ','))",
			       &w, list),
		     3, "non-billable, draft and submitted time stays unbilled");
	free(taken);
	free(unbillable);
	free(next_week);
	free(draft);
	free(submitted);
	harness_workspace_free(&w);
}

/* Four entries at three rates on two projects, for the groupings: the default
 * rate 100.00, Acme's 120.00 and the member's own rate on Acme, 150.00. */
static void inv_grouping_fixture(harness_ws *w)
{
	harness_workspace(w, "pro", "projects,finance");
	inv_settings(w, "{\"default_hourly_rate\":10000}");
	inv_project_rate(w, 0, 12000, "USD");
	char target[256];
	snprintf(target, sizeof target, "\"user_id\":\"%s\",\"project_id\":\"%s\"", w->member,
		 harness_demo_id(w, "projects", 0));
	inv_rate(w, target, 15000, "USD");
	char *ids[] = {
		inv_log(w, w->member_tok, 0, "1", "2026-03-02", "\"description\":\"Kickoff prep\""),
		inv_log(w, w->member_tok, 1, "2", "2026-03-03", NULL),
		inv_log(w, w->member2_tok, 0, "0.5", "2026-03-04", "\"description\":\"Kickoff notes\""),
		inv_log(w, w->member2_tok, 3, "1", "2026-03-05", NULL),
	};
	inv_approve(w, w->member_tok, ids[0]);
	inv_approve(w, w->member2_tok, ids[2]);
	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
		free(ids[i]);
}

typedef struct {
	const char *description;
	long seconds, unit, amount, entries;
} inv_line_want;

/* Previews with group_by and asserts exactly these lines, in order, and the total. */
static void inv_expect_grouping(const harness_ws *w, const char *group_by, const inv_line_want *want, size_t n)
{
	char body[256];
	snprintf(body, sizeof body, INV_WEEK ",\"group_by\":\"%s\",\"preview\":true}", group_by);
	json_t *d = inv_data(inv_pull(200, w->manager_tok, harness_demo_id(w, "invoices", 0), body));
	cr_assert_str_eq(inv_str(d, "group_by"), group_by);
	json_t *lines = json_object_get(d, "lines");
	cr_assert_eq(json_array_size(lines), n, "group_by %s: %zu lines expected", group_by, n);
	for (size_t i = 0; i < n; i++)
		inv_expect_line(json_array_get(lines, i), want[i].description, want[i].seconds, want[i].unit,
				want[i].amount, want[i].entries);
	cr_assert_eq(inv_int(d, "entry_count"), 4);
	cr_assert_eq(inv_int(d, "total_seconds"), 16200);
	cr_assert_eq(inv_int(d, "total_amount"), 61000, "150.00 × 3 h + 120.00 × 0.5 h + 100.00 × 1 h");
	json_decref(d);
}

Test(invoicing, group_by_project_task_user_and_entry_splits_lines_by_rate)
{
	harness_ws w;
	inv_grouping_fixture(&w);
	static const inv_line_want by_project[] = {
		{ "Acme onboarding " INV_DASH " 0.5 h", 1800, 12000, 6000, 1 },
		{ "Acme onboarding " INV_DASH " 3 h", 10800, 15000, 45000, 2 },
		{ "Globex website redesign " INV_DASH " 1 h", 3600, 10000, 10000, 1 },
	};
	static const inv_line_want by_task[] = {
		{ "Kickoff workshop " INV_DASH " 0.5 h", 1800, 12000, 6000, 1 },
		{ "Kickoff workshop " INV_DASH " 1 h", 3600, 15000, 15000, 1 },
		{ "Migrate customer data from the legacy CRM " INV_DASH " 2 h", 7200, 15000, 30000, 1 },
		{ "Content audit and sitemap " INV_DASH " 1 h", 3600, 10000, 10000, 1 },
	};
	static const inv_line_want by_user[] = {
		{ "member " INV_DASH " 3 h", 10800, 15000, 45000, 2 },
		{ "member2 " INV_DASH " 1 h", 3600, 10000, 10000, 1 },
		{ "member2 " INV_DASH " 0.5 h", 1800, 12000, 6000, 1 },
	};
	static const inv_line_want by_entry[] = {
		{ "Kickoff prep (2026-03-02) " INV_DASH " 1 h", 3600, 15000, 15000, 1 },
		{ "Migrate customer data from the legacy CRM (2026-03-03) " INV_DASH " 2 h", 7200, 15000, 30000, 1 },
		{ "Kickoff notes (2026-03-04) " INV_DASH " 0.5 h", 1800, 12000, 6000, 1 },
		{ "Content audit and sitemap (2026-03-05) " INV_DASH " 1 h", 3600, 10000, 10000, 1 },
	};
	inv_expect_grouping(&w, "project", by_project, 3);
	inv_expect_grouping(&w, "task", by_task, 4);
	inv_expect_grouping(&w, "user", by_user, 3);
	inv_expect_grouping(&w, "entry", by_entry, 4);

	/* A real pull by task writes the same four lines. */
	const char *invoice = harness_demo_id(&w, "invoices", 0);
	json_t *d = inv_data(inv_pull(200, w.admin_tok, invoice, INV_WEEK ",\"group_by\":\"task\"}"));
	cr_assert_eq(json_array_size(json_object_get(d, "lines")), 4);
	cr_assert_eq(inv_lines_in_db(&w), 4);
	cr_assert_eq(inv_count("SELECT sum(amount) FROM invoice_lines WHERE workspace_id = $1", &w, NULL), 61000);
	cr_assert_eq(inv_billed(&w), 4);
	json_decref(d);
	harness_workspace_free(&w);
}

Test(invoicing, project_and_customer_filters)
{
	harness_ws w;
	harness_workspace(&w, "pro", "projects,finance");
	const char *invoice = harness_demo_id(&w, "invoices", 0);
	/* Acme's time: its project, its ticket, its deal and its conversation. */
	char *ids[] = {
		inv_log(&w, w.member_tok, 0, "1", "2026-03-02", NULL),
		inv_log_on(w.member_tok, "ticket", harness_demo_id(&w, "tickets", 0), "1", "2026-03-02", NULL),
		inv_log_on(w.member_tok, "deal", harness_demo_id(&w, "deals", 0), "1", "2026-03-03", NULL),
		inv_log_on(w.member_tok, "conversation", harness_demo_id(&w, "conversations", 0), "1", "2026-03-03", NULL),
		/* Initech's ticket (no project) and Globex's project. */
		inv_log_on(w.member_tok, "ticket", harness_demo_id(&w, "tickets", 2), "1", "2026-03-04", NULL),
		inv_log(&w, w.member_tok, 3, "1", "2026-03-04", NULL),
	};
	inv_approve(&w, w.member_tok, ids[0]);
	static const struct {
		const char *field, *list;
		size_t index;
		long entries;
	} cases[] = {
		{ "contact_id", "contacts", 0, 4 }, /* Acme */
		{ "contact_id", "contacts", 2, 1 }, /* Initech: its ticket */
		{ "contact_id", "contacts", 3, 0 }, /* Soylent: nothing logged */
		{ "project_id", "projects", 0, 2 }, /* the Acme task and the Acme ticket */
		{ "project_id", "projects", 1, 1 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char body[256];
		snprintf(body, sizeof body, INV_WEEK ",\"%s\":\"%s\",\"preview\":true}", cases[i].field,
			 harness_demo_id(&w, cases[i].list, cases[i].index));
		json_t *d = inv_data(inv_pull(200, w.manager_tok, invoice, body));
		cr_assert_eq(inv_int(d, "entry_count"), cases[i].entries, "%s", body);
		json_decref(d);
	}
	inv_code(inv_pull(422, w.manager_tok, invoice, INV_WEEK ",\"contact_id\":\"ct_nope\"}"), "validation_failed");
	inv_code(inv_pull(422, w.manager_tok, invoice, INV_WEEK ",\"project_id\":\"prj_nope\"}"), "validation_failed");
	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
		free(ids[i]);
	harness_workspace_free(&w);
}

Test(invoicing, rounding_up_to_15_minutes_applies_per_entry_and_keeps_raw_time)
{
	harness_ws w;
	harness_workspace(&w, "pro", "projects,finance");
	inv_settings(&w, "{\"rounding\":\"up\",\"rounding_minutes\":15}");
	inv_project_rate(&w, 0, 12000, "USD");
	char *short_one = inv_log(&w, w.member_tok, 0, "0.1", "2026-03-03", NULL); /* 6 min → 15 */
	char *long_one = inv_log(&w, w.member_tok, 1, "1.05", "2026-03-04", NULL); /* 63 min → 75 */
	inv_approve(&w, w.member_tok, short_one);
	json_t *d = inv_data(inv_pull(200, w.manager_tok, harness_demo_id(&w, "invoices", 0), INV_WEEK "}"));
	inv_expect_line(json_array_get(json_object_get(d, "lines"), 0), "Acme onboarding " INV_DASH " 1.5 h", 5400, 12000,
			18000, 2);
	cr_assert_eq(inv_count("SELECT sum(duration_seconds) FROM time_entries WHERE workspace_id = $1", &w, NULL), 4140,
		     "the entries keep their raw 6 + 63 minutes");
	json_decref(d);
	free(short_one);
	free(long_one);
	harness_workspace_free(&w);
}

Test(invoicing, amount_is_rounded_once_per_line)
{
	harness_ws w;
	harness_workspace(&w, "pro", "projects,finance");
	inv_project_rate(&w, 0, 12345, "USD");
	char *ids[3];
	for (size_t i = 0; i < 3; i++)
		ids[i] = inv_log(&w, w.member_tok, i, "0.1", "2026-03-03", NULL);
	inv_approve(&w, w.member_tok, ids[0]);
	/* 123.45 × 0.1 h = 12.345 each: rounded per entry that would be 37.05;
	 * summed first it is 37.035, rounded once half up to 37.04. */
	json_t *d = inv_data(inv_pull(200, w.manager_tok, harness_demo_id(&w, "invoices", 0), INV_WEEK "}"));
	inv_expect_line(json_array_get(json_object_get(d, "lines"), 0), "Acme onboarding " INV_DASH " 0.3 h", 1080, 12345,
			3704, 3);
	json_decref(d);
	for (size_t i = 0; i < 3; i++)
		free(ids[i]);
	harness_workspace_free(&w);
}

Test(invoicing, only_entries_in_the_invoice_currency_are_taken)
{
	harness_ws w;
	harness_workspace(&w, "pro", "projects,finance");
	inv_project_rate(&w, 0, 12000, "USD");
	inv_project_rate(&w, 1, 9000, "EUR");
	char *usd = inv_log(&w, w.member_tok, 0, "1", "2026-03-03", NULL);
	char *eur = inv_log(&w, w.member_tok, 3, "2", "2026-03-03", NULL);
	inv_approve(&w, w.member_tok, usd);
	json_t *d = inv_data(inv_pull(200, w.manager_tok, harness_demo_id(&w, "invoices", 0), INV_WEEK "}"));
	cr_assert_eq(inv_int(d, "entry_count"), 1);
	cr_assert_eq(inv_int(d, "total_amount"), 12000);
	json_t *skipped = json_object_get(d, "skipped");
	cr_assert_eq(json_array_size(skipped), 1, "the EUR time is reported");
	cr_assert_str_eq(inv_str(json_array_get(skipped, 0), "reason"), "other_currency");
	cr_assert_str_eq(inv_str(json_array_get(skipped, 0), "currency"), "EUR");
	cr_assert_eq(inv_int(json_array_get(skipped, 0), "entry_count"), 1);
	cr_assert_eq(inv_count("SELECT count(*) FROM time_entries WHERE workspace_id = $1 AND id = $2"
			       " AND invoice_line_id IS NULL",
			       &w, eur),
		     1, "the EUR entry waits for a EUR invoice");
	json_decref(d);
	free(usd);
	free(eur);
	harness_workspace_free(&w);
}

Test(invoicing, pro_plan_and_managers_only)
{
	harness_ws free_ws, w;
	harness_workspace(&free_ws, "free", "projects,finance");
	inv_code(inv_pull(402, free_ws.admin_tok, harness_demo_id(&free_ws, "invoices", 0), INV_WEEK "}"), "plan_required");
	harness_workspace(&w, "pro", "projects,finance");
	const char *invoice = harness_demo_id(&w, "invoices", 0);
	inv_code(inv_pull(403, w.member_tok, invoice, INV_WEEK ",\"preview\":true}"), "forbidden");
	json_decref(inv_pull(200, w.manager_tok, invoice, INV_WEEK ",\"preview\":true}"));
	json_decref(inv_pull(200, w.admin_tok, invoice, INV_WEEK ",\"preview\":true}"));
	harness_workspace_free(&free_ws);
	harness_workspace_free(&w);
}

Test(invoicing, refusals_of_the_request_and_the_invoice)
{
	harness_ws w, other;
	harness_workspace(&w, "pro", "projects,finance");
	harness_workspace(&other, "pro", "projects,finance");
	const char *invoice = harness_demo_id(&w, "invoices", 0);
	static const char *const bad_bodies[] = {
		INV_WEEK ",\"rate\":1}",                       /* unknown field */
		"{\"from\":\"" INV_FROM "\"}",                 /* no 'to' */
		"{\"from\":\"2026-03-09\",\"to\":\"2026-03-02\"}", /* from after to */
		"{\"from\":\"2026-02-30\",\"to\":\"2026-03-02\"}", /* not a date */
		INV_WEEK ",\"group_by\":\"client\"}",
		INV_WEEK ",\"preview\":\"yes\"}",
	};
	for (size_t i = 0; i < sizeof bad_bodies / sizeof bad_bodies[0]; i++)
		inv_code(inv_pull(422, w.manager_tok, invoice, bad_bodies[i]), "validation_failed");
	inv_code(inv_pull(400, w.manager_tok, invoice, NULL), "invalid_body");
	inv_code(inv_pull(404, w.manager_tok, "inv_nope", INV_WEEK "}"), "not_found");
	inv_code(inv_pull(404, w.manager_tok, harness_demo_id(&other, "invoices", 0), INV_WEEK "}"), "not_found");
	PQclear(harness_sql("UPDATE invoices SET status = 'sent' WHERE id = $1", 1, invoice));
	inv_code(inv_pull(409, w.manager_tok, invoice, INV_WEEK ",\"preview\":true}"), "invoice_not_draft");
	harness_workspace_free(&w);
	harness_workspace_free(&other);
}

Test(invoicing, a_running_timer_in_the_range_is_refused)
{
	harness_ws w;
	harness_workspace(&w, "pro", "projects,finance");
	const char *invoice = harness_demo_id(&w, "invoices", 0);
	char body[256], around_today[128];
	snprintf(body, sizeof body, "{\"entity_type\":\"task\",\"entity_id\":\"%s\"}", harness_demo_id(&w, "tasks", 0));
	json_t *timer = inv_data(inv_call(201, w.member_tok, "POST", body, "/api/v1/time/timer/start"));
	PGresult *r = harness_sql("SELECT (current_date - 3)::text, (current_date + 3)::text", 0);
	snprintf(around_today, sizeof around_today, "{\"from\":\"%s\",\"to\":\"%s\"}", PQgetvalue(r, 0, 0),
		 PQgetvalue(r, 0, 1));
	PQclear(r);
	inv_code(inv_pull(409, w.manager_tok, invoice, around_today), "timer_running");
	/* A range that does not hold the timer's day is fine. */
	json_decref(inv_pull(200, w.manager_tok, invoice, INV_WEEK "}"));
	json_decref(inv_call(200, w.member_tok, "POST", NULL, "/api/v1/time/timer/stop"));
	json_decref(inv_pull(200, w.manager_tok, invoice, around_today));
	json_decref(timer);
	harness_workspace_free(&w);
}

/* One racer of the concurrent pull: waits at the barrier, then pulls. */
typedef struct {
	pthread_barrier_t *barrier;
	const char *token, *invoice;
	long status, entries, lines;
	char answer[512];
} inv_racer;

static void *inv_race(void *arg)
{
	inv_racer *r = arg;
	pthread_barrier_wait(r->barrier);
	char path[256];
	snprintf(path, sizeof path, "/api/v1/invoices/%s/pull-from-time", r->invoice);
	harness_response resp = harness_request("POST", path, r->token, INV_WEEK ",\"group_by\":\"entry\"}", NULL);
	r->status = resp.status;
	json_t *d = harness_data(&resp);
	r->entries = (long)json_integer_value(json_object_get(d, "entry_count"));
	r->lines = (long)json_array_size(json_object_get(d, "lines"));
	snprintf(r->answer, sizeof r->answer, "%s", resp.body ? resp.body : "");
	harness_response_free(&resp);
	return NULL;
}

Test(invoicing, concurrent_pulls_bill_every_entry_exactly_once, .timeout = 120)
{
	harness_ws w;
	harness_workspace(&w, "pro", "projects,finance");
	inv_project_rate(&w, 0, 12000, "USD");
	const char *toks[] = { w.member_tok, w.member2_tok };
	char *first[2] = { NULL, NULL };
	long logged = 0;
	for (int i = 0; i < INV_RACE_ENTRIES; i++) {
		char day[16], hours[16];
		snprintf(day, sizeof day, "2026-03-0%d", 2 + i % 6);
		snprintf(hours, sizeof hours, "%d.25", 1 + i % 3);
		logged += (1 + i % 3) * 3600 + 900;
		char *id = inv_log(&w, toks[i % 2], (size_t)(i % 3), hours, day, NULL);
		if (!first[i % 2])
			first[i % 2] = id;
		else
			free(id);
	}
	inv_approve(&w, w.member_tok, first[0]);
	inv_approve(&w, w.member2_tok, first[1]);
	/* Two invoices: racers on one invoice take turns on its lock, racers on
	 * different invoices meet only on the entries' row locks. */
	PGresult *r = harness_sql("INSERT INTO invoices (workspace_id, number, status, currency)"
				  " VALUES ($1, 'INV-RACE-2', 'draft', 'USD') RETURNING id",
				  1, w.ws);
	char second[64];
	snprintf(second, sizeof second, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	const char *invoices[] = { harness_demo_id(&w, "invoices", 0), second };

	pthread_barrier_t barrier;
	pthread_barrier_init(&barrier, NULL, INV_RACERS);
	inv_racer racers[INV_RACERS];
	pthread_t threads[INV_RACERS];
	memset(racers, 0, sizeof racers);
	for (int i = 0; i < INV_RACERS; i++) {
		racers[i].barrier = &barrier;
		racers[i].token = i % 2 ? w.admin_tok : w.manager_tok;
		racers[i].invoice = invoices[(i / 2) % 2];
		cr_assert_eq(pthread_create(&threads[i], NULL, inv_race, &racers[i]), 0);
	}
	for (int i = 0; i < INV_RACERS; i++)
		pthread_join(threads[i], NULL);
	pthread_barrier_destroy(&barrier);

	long entries = 0, lines = 0, winners = 0;
	for (int i = 0; i < INV_RACERS; i++) {
		cr_assert_eq(racers[i].status, 200, "racer %d: %ld %s", i, racers[i].status, racers[i].answer);
		entries += racers[i].entries;
		lines += racers[i].lines;
		winners += racers[i].entries > 0;
	}
	cr_assert_eq(entries, INV_RACE_ENTRIES, "the racers billed %ld entries between them, not %d", entries,
		     INV_RACE_ENTRIES);
	cr_assert_eq(lines, INV_RACE_ENTRIES, "one line per entry (group_by entry)");
	cr_assert_eq(inv_billed(&w), INV_RACE_ENTRIES);
	cr_assert_eq(inv_lines_in_db(&w), INV_RACE_ENTRIES, "no line was written twice");
	cr_assert_eq(inv_count("SELECT count(DISTINCT invoice_line_id) FROM time_entries WHERE workspace_id = $1", &w,
			       NULL),
		     INV_RACE_ENTRIES, "one line per entry");
	cr_assert_eq(inv_count("SELECT sum(seconds) FROM invoice_lines WHERE workspace_id = $1", &w, NULL), logged,
		     "the lines hold exactly the logged time");
	cr_assert_eq(inv_count("SELECT count(DISTINCT payload->'data'->>'id') FROM time_webhook_events"
			       " WHERE workspace_id = $1 AND event = 'time_entry.invoiced'",
			       &w, NULL),
		     INV_RACE_ENTRIES);
	cr_assert_eq(inv_events(&w, "time_entry.invoiced"), INV_RACE_ENTRIES, "each entry announced once");
	cr_assert_eq(inv_audits(&w, "invoice.lines_filled_from_time"), winners, "one audit row per pull that billed");
	free(first[0]);
	free(first[1]);
	harness_workspace_free(&w);
}

/* ------------------------------------------------------ calendar conversion */

#define INV_CONVERT "/api/v1/time/calendar-events/%s/convert"

/* A calendar event of user (inserted directly: Calendar owns that table). */
static char *inv_event(const harness_ws *w, const char *user, const char *title, const char *starts, const char *ends,
		       const char *entity_type, const char *entity_id)
{
	PGresult *r = harness_sql("INSERT INTO calendar_events (workspace_id, user_id, title, starts_at, ends_at,"
				  " entity_type, entity_id) VALUES ($1, $2, $3, $4::timestamptz, $5::timestamptz, $6, $7)"
				  " RETURNING id",
				  7, w->ws, user, title, starts, ends, entity_type, entity_id);
	char *id = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	return id;
}

static json_t *inv_demo_event(const harness_ws *w, size_t index)
{
	return json_array_get(json_object_get(w->demo, "calendar_events"), index);
}

Test(calendar_convert, a_meeting_becomes_an_entry_once)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	/* The demo gives events to the users in turn: the third is the member's call on the Initech deal. */
	json_t *ev = inv_demo_event(&w, 2);
	cr_assert_str_eq(inv_str(ev, "user_id"), w.member);
	const char *ev_id = inv_str(ev, "id");
	json_t *e = inv_data(inv_call(201, w.member_tok, "POST", NULL, INV_CONVERT, ev_id));
	cr_assert_str_eq(inv_str(e, "user_id"), w.member);
	cr_assert_str_eq(inv_str(e, "description"), "Initech intranet discovery call");
	cr_assert_str_eq(inv_str(e, "entity_type"), "deal");
	cr_assert_str_eq(inv_str(e, "entity_id"), harness_demo_id(&w, "deals", 1));
	cr_assert_eq(inv_int(e, "duration_seconds"), 2700, "45 minutes");
	cr_assert(json_real_value(json_object_get(e, "hours")) == 0.75);
	cr_assert(!strncmp(inv_str(e, "log_date"), inv_str(ev, "starts_at"), 10), "logged on the day it starts (UTC)");
	cr_assert(json_is_true(json_object_get(e, "billable")));
	cr_assert_str_eq(inv_str(e, "status"), "draft");
	const char *id = inv_str(e, "id");
	cr_assert_eq(inv_count("SELECT count(*) FROM time_entries WHERE workspace_id = $1 AND calendar_event_id = $2", &w,
			       ev_id),
		     1);
	cr_assert_eq(inv_count("SELECT count(*) FROM audit_log WHERE workspace_id = $1 AND action = 'time_entry.created'"
			       " AND entity_id = $2",
			       &w, id),
		     1);
	cr_assert_eq(inv_count("SELECT count(*) FROM time_webhook_events WHERE workspace_id = $1"
			       " AND event = 'time_entry.created' AND payload->'data'->>'id' = $2",
			       &w, id),
		     1);

	/* Twice is refused, whoever asks. */
	inv_code(inv_call(409, w.member_tok, "POST", NULL, INV_CONVERT, ev_id), "already_converted");
	inv_code(inv_call(409, w.manager_tok, "POST", "{}", INV_CONVERT, ev_id), "already_converted");
	/* Deleting the entry lets the meeting be converted again. */
	json_decref(inv_call(200, w.member_tok, "DELETE", NULL, "/api/v1/time-entries/%s", id));
	json_decref(inv_call(201, w.member_tok, "POST", NULL, INV_CONVERT, ev_id));
	json_decref(e);
	harness_workspace_free(&w);
}

Test(calendar_convert, who_may_convert_what_and_overrides)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	const char *admins = inv_str(inv_demo_event(&w, 0), "id");    /* Acme kickoff, on the Acme project */
	const char *member2s = inv_str(inv_demo_event(&w, 3), "id"); /* Studio planning, linked to nothing */
	inv_code(inv_call(404, w.member_tok, "POST", NULL, INV_CONVERT, member2s), "not_found");
	inv_code(inv_call(404, w.member_tok, "POST", NULL, INV_CONVERT, admins), "not_found");
	inv_code(inv_call(404, w.manager_tok, "POST", NULL, INV_CONVERT, "cal_nope"), "not_found");

	/* A manager converts a member's meeting: the entry is the member's. */
	json_t *e = inv_data(inv_call(201, w.manager_tok, "POST", NULL, INV_CONVERT, member2s));
	cr_assert_str_eq(inv_str(e, "user_id"), w.member2);
	cr_assert_str_eq(inv_str(e, "entity_type"), "calendar_event", "an unlinked event is its own entity");
	cr_assert_str_eq(inv_str(e, "entity_id"), member2s);
	cr_assert_eq(inv_int(e, "duration_seconds"), 3600);
	json_decref(e);

	e = inv_data(inv_call(201, w.admin_tok, "POST", "{\"billable\":false,\"description\":\"Kickoff incl. prep\"}",
			      INV_CONVERT, admins));
	cr_assert_str_eq(inv_str(e, "entity_type"), "project");
	cr_assert_str_eq(inv_str(e, "entity_id"), harness_demo_id(&w, "projects", 0));
	cr_assert_str_eq(inv_str(e, "project_id"), harness_demo_id(&w, "projects", 0));
	cr_assert_str_eq(inv_str(e, "description"), "Kickoff incl. prep");
	cr_assert(json_is_false(json_object_get(e, "billable")));
	cr_assert_eq(inv_int(e, "duration_seconds"), 5400);
	json_decref(e);

	/* Overrides are validated like any entry's fields. */
	const char *managers = inv_str(inv_demo_event(&w, 1), "id");
	inv_code(inv_call(422, w.manager_tok, "POST", "{\"hours\":2}", INV_CONVERT, managers), "validation_failed");
	inv_code(inv_call(422, w.manager_tok, "POST", "{\"entity_id\":\"x\"}", INV_CONVERT, managers), "validation_failed");
	inv_code(inv_call(422, w.manager_tok, "POST", "{\"billable\":\"no\"}", INV_CONVERT, managers), "validation_failed");
	inv_code(inv_call(400, w.manager_tok, "POST", "[]", INV_CONVERT, managers), "invalid_body");
	char body[256];
	snprintf(body, sizeof body, "{\"entity_type\":\"task\",\"entity_id\":\"%s\"}", harness_demo_id(&w, "tasks", 4));
	e = inv_data(inv_call(201, w.manager_tok, "POST", body, INV_CONVERT, managers));
	cr_assert_str_eq(inv_str(e, "entity_id"), harness_demo_id(&w, "tasks", 4));
	cr_assert_str_eq(inv_str(e, "project_id"), harness_demo_id(&w, "projects", 1));
	json_decref(e);
	harness_workspace_free(&w);
}

Test(calendar_convert, workspace_time_zone_long_events_and_locked_weeks)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	inv_settings(&w, "{\"timezone\":\"Europe/Berlin\"}");
	/* 23:30 UTC on the 3rd is 00:30 on the 4th in Berlin. */
	char *late = inv_event(&w, w.member, "Late call with Acme", "2026-03-03T23:30:00Z", "2026-03-04T00:45:00Z", NULL,
			       NULL);
	json_t *e = inv_data(inv_call(201, w.member_tok, "POST", NULL, INV_CONVERT, late));
	cr_assert_str_eq(inv_str(e, "log_date"), "2026-03-04");
	cr_assert_eq(inv_int(e, "duration_seconds"), 4500);
	json_decref(e);

	char *marathon = inv_event(&w, w.member, "Offsite", "2026-03-05T08:00:00Z", "2026-03-06T09:00:00Z", NULL, NULL);
	inv_code(inv_call(422, w.member_tok, "POST", NULL, INV_CONVERT, marathon), "validation_failed");

	/* A link to a record that is gone falls back to the event itself. */
	char *orphan = inv_event(&w, w.member, "Support call", "2026-03-05T10:00:00Z", "2026-03-05T10:20:00Z", "ticket",
				 "tkt_gone");
	e = inv_data(inv_call(201, w.member_tok, "POST", NULL, INV_CONVERT, orphan));
	cr_assert_str_eq(inv_str(e, "entity_type"), "calendar_event");
	cr_assert_str_eq(inv_str(e, "entity_id"), orphan);
	cr_assert_eq(inv_int(e, "duration_seconds"), 1200);
	json_decref(e);

	/* A submitted week takes no converted meeting either. */
	char *logged = inv_log(&w, w.member_tok, 0, "1", "2026-03-17", NULL);
	json_t *entry = inv_data(inv_call(200, w.member_tok, "GET", NULL, "/api/v1/time-entries/%s", logged));
	json_decref(
		inv_call(200, w.member_tok, "POST", NULL, "/api/v1/timesheets/%s/submit", inv_str(entry, "timesheet_id")));
	json_decref(entry);
	char *locked = inv_event(&w, w.member, "Retro", "2026-03-18T15:00:00Z", "2026-03-18T16:00:00Z", NULL, NULL);
	inv_code(inv_call(409, w.member_tok, "POST", NULL, INV_CONVERT, locked), "timesheet_locked");
	cr_assert_eq(inv_count("SELECT count(*) FROM time_entries WHERE workspace_id = $1 AND calendar_event_id = $2", &w,
			       locked),
		     0);
	free(late);
	free(marathon);
	free(orphan);
	free(logged);
	free(locked);
	harness_workspace_free(&w);
}

Test(calendar_convert, a_conversation_entry_without_description_takes_the_subject)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char *id = inv_log_on(w.member_tok, "conversation", harness_demo_id(&w, "conversations", 0), "0.5", "2026-03-03",
			      NULL);
	json_t *e = inv_data(inv_call(200, w.member_tok, "GET", NULL, "/api/v1/time-entries/%s", id));
	cr_assert_str_eq(inv_str(e, "description"), "Onboarding checklist and SSO questions");
	json_decref(e);
	free(id);
	harness_workspace_free(&w);
}
