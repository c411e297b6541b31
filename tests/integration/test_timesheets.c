/* Timesheets: created with a period's first entry, periods that follow the
 * workspace's week start and never overlap, the list filters, one timesheet
 * with its entries and totals, notes, the transitions and their refusals,
 * locked periods, and who may see whose timesheet. */
#include "harness.h"
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TSH_LIST "/api/v1/timesheets"

/* Sends a request, asserts its status and returns the parsed body (owned). */
static json_t *tsh_callv(long want, const char *tok, const char *method, const char *body, const char *fmt, va_list ap)
{
	char path[512];
	vsnprintf(path, sizeof path, fmt, ap);
	harness_response r = harness_request(method, path, tok, body, NULL);
	cr_assert_eq(r.status, want, "%s %s %s: expected %ld, got %ld: %s", method, path, body ? body : "", want,
		     r.status, r.body);
	json_t *j = json_incref(r.json);
	harness_response_free(&r);
	return j;
}

/* The whole answer (owned), status asserted. */
__attribute__((format(printf, 5, 6))) static json_t *tsh_call(long want, const char *tok, const char *method,
							       const char *body, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	json_t *env = tsh_callv(want, tok, method, body, fmt, ap);
	va_end(ap);
	return env;
}

/* The `data` of a successful answer (owned). */
__attribute__((format(printf, 5, 6))) static json_t *tsh_data(long want, const char *tok, const char *method,
							       const char *body, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	json_t *env = tsh_callv(want, tok, method, body, fmt, ap);
	va_end(ap);
	cr_assert(json_object_get(env, "data"), "no data in the answer");
	json_t *d = json_incref(json_object_get(env, "data"));
	json_decref(env);
	return d;
}

static const char *tsh_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static const char *tsh_err_code(json_t *env)
{
	const char *s = json_string_value(json_object_get(json_object_get(env, "error"), "code"));
	return s ? s : "(none)";
}

static const char *tsh_err_message(json_t *env)
{
	const char *s = json_string_value(json_object_get(json_object_get(env, "error"), "message"));
	return s ? s : "";
}

/* Asserts an error answer with this status and code; returns it (owned). */
__attribute__((format(printf, 6, 7))) static json_t *tsh_refused(long want, const char *code, const char *tok,
								  const char *method, const char *body, const char *fmt,
								  ...)
{
	va_list ap;
	va_start(ap, fmt);
	json_t *env = tsh_callv(want, tok, method, body, fmt, ap);
	va_end(ap);
	cr_assert_str_eq(tsh_err_code(env), code, "expected error code %s: %s", code, tsh_err_message(env));
	return env;
}

#define TSH_REFUSED(...) json_decref(tsh_refused(__VA_ARGS__))

/* Logs hours (a JSON number as text) on the first demo task; returns the entry. */
static json_t *tsh_entry(const harness_ws *w, const char *tok, const char *date, const char *hours, bool billable)
{
	char body[512];
	snprintf(body, sizeof body,
		 "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"log_date\":\"%s\",\"hours\":%s,\"billable\":%s}",
		 harness_demo_id(w, "tasks", 0), date, hours, billable ? "true" : "false");
	json_t *e = tsh_data(201, tok, "POST", body, "/api/v1/time-entries");
	cr_assert(strlen(tsh_str(e, "timesheet_id")) > 3, "the entry belongs to a timesheet");
	return e;
}

/* The timesheet id of a new entry (copied into id). */
static void tsh_entry_sheet(const harness_ws *w, const char *tok, const char *date, char id[64])
{
	json_t *e = tsh_entry(w, tok, date, "1", true);
	snprintf(id, 64, "%s", tsh_str(e, "timesheet_id"));
	json_decref(e);
}

static void tsh_expect_period(const char *tok, const char *ts, const char *start, const char *end)
{
	json_t *t = tsh_data(200, tok, "GET", NULL, "/api/v1/timesheets/%s", ts);
	cr_assert_str_eq(tsh_str(t, "period_start"), start, "timesheet %s", ts);
	cr_assert_str_eq(tsh_str(t, "period_end"), end, "timesheet %s", ts);
	json_decref(t);
}

static const char *tsh_status_of(json_t *t)
{
	return tsh_str(t, "status");
}

static double tsh_num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	cr_assert(json_is_number(v), "'%s' must be a number", key);
	return json_number_value(v);
}

static long tsh_total(json_t *env)
{
	return (long)json_integer_value(json_object_get(json_object_get(env, "pagination"), "total"));
}

/* Whether list data holds a timesheet with this id. */
static bool tsh_has(json_t *list, const char *id)
{
	size_t i;
	json_t *t;
	json_array_foreach(list, i, t) if (!strcmp(tsh_str(t, "id"), id)) return true;
	return false;
}

static void tsh_set_week_start(const harness_ws *w, const char *dow)
{
	PGresult *r = harness_sql("UPDATE time_tracking_settings SET week_start_dow = $2::smallint WHERE workspace_id = $1",
				  2, w->ws, dow);
	cr_assert_str_eq(PQcmdTuples(r), "1", "the workspace has a settings row");
	PQclear(r);
}

Test(timesheets, created_with_the_period_first_entry)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	json_t *env = tsh_call(200, w.member_tok, "GET", NULL, TSH_LIST);
	cr_assert_eq(json_array_size(json_object_get(env, "data")), 0, "no timesheet before any entry");
	cr_assert_eq(tsh_total(env), 0);
	json_decref(env);

	/* 2026-04-29 is a Wednesday: with the default Monday start, 04-27..05-03. */
	json_t *e = tsh_entry(&w, w.member_tok, "2026-04-29", "2", true);
	json_t *t = tsh_data(200, w.member_tok, "GET", NULL, "/api/v1/timesheets/%s", tsh_str(e, "timesheet_id"));
	cr_assert(!strncmp(tsh_str(t, "id"), "ts_", 3), "timesheet ids start with ts_");
	cr_assert_str_eq(tsh_str(t, "period_start"), "2026-04-27");
	cr_assert_str_eq(tsh_str(t, "period_end"), "2026-05-03");
	cr_assert_str_eq(tsh_status_of(t), "draft");
	cr_assert_str_eq(tsh_str(t, "user_id"), w.member);
	cr_assert_str_eq(tsh_str(t, "workspace_id"), w.ws);
	cr_assert_str_eq(tsh_str(e, "status"), "draft", "an entry shows its timesheet's status");

	/* Same week, the period's first and last day: the same timesheet. */
	json_t *mon = tsh_entry(&w, w.member_tok, "2026-04-27", "1", true);
	json_t *sun = tsh_entry(&w, w.member_tok, "2026-05-03", "1", true);
	cr_assert_str_eq(tsh_str(mon, "timesheet_id"), tsh_str(t, "id"));
	cr_assert_str_eq(tsh_str(sun, "timesheet_id"), tsh_str(t, "id"));
	/* The days either side belong to their own weeks. */
	json_t *next = tsh_entry(&w, w.member_tok, "2026-05-04", "1", true);
	json_t *prev = tsh_entry(&w, w.member_tok, "2026-04-26", "1", true);
	tsh_expect_period(w.member_tok, tsh_str(next, "timesheet_id"), "2026-05-04", "2026-05-10");
	tsh_expect_period(w.member_tok, tsh_str(prev, "timesheet_id"), "2026-04-20", "2026-04-26");
	/* Another user's entry in the same week gets their own timesheet. */
	json_t *other = tsh_entry(&w, w.member2_tok, "2026-04-29", "1", true);
	cr_assert_str_neq(tsh_str(other, "timesheet_id"), tsh_str(t, "id"));
	tsh_expect_period(w.member2_tok, tsh_str(other, "timesheet_id"), "2026-04-27", "2026-05-03");
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM timesheets WHERE workspace_id = $1 AND user_id = $2", 2, w.ws,
				      w.member),
		     3);
	json_decref(other);
	json_decref(prev);
	json_decref(next);
	json_decref(sun);
	json_decref(mon);
	json_decref(t);
	json_decref(e);
	harness_workspace_free(&w);
}

Test(timesheets, periods_follow_the_week_start_and_never_overlap)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char old[64], later[64], after_old[64], before_old[64], id[64];
	tsh_entry_sheet(&w, w.member_tok, "2026-04-29", old);
	tsh_expect_period(w.member_tok, old, "2026-04-27", "2026-05-03");

	tsh_set_week_start(&w, "0"); /* Sunday */
	/* The existing timesheet is frozen. */
	tsh_expect_period(w.member_tok, old, "2026-04-27", "2026-05-03");
	tsh_entry_sheet(&w, w.member_tok, "2026-05-01", id);
	cr_assert_str_eq(id, old, "a day of an existing period stays in it");
	/* A later week gets a Sunday-start period: 2026-05-13 is a Wednesday. */
	tsh_entry_sheet(&w, w.member_tok, "2026-05-13", later);
	tsh_expect_period(w.member_tok, later, "2026-05-10", "2026-05-16");
	/* The Sunday week 05-03..05-09 would overlap the old period's last day: clipped. */
	tsh_entry_sheet(&w, w.member_tok, "2026-05-05", after_old);
	tsh_expect_period(w.member_tok, after_old, "2026-05-04", "2026-05-09");
	tsh_entry_sheet(&w, w.member_tok, "2026-05-09", id);
	cr_assert_str_eq(id, after_old);
	/* The Sunday week 04-26..05-02 would overlap the old period from its second day. */
	tsh_entry_sheet(&w, w.member_tok, "2026-04-26", before_old);
	tsh_expect_period(w.member_tok, before_old, "2026-04-26", "2026-04-26");
	tsh_entry_sheet(&w, w.member_tok, "2026-05-03", id);
	cr_assert_str_eq(id, old, "the old period's last day stays in the old period");
	/* Well before the old period: a whole Sunday week. */
	tsh_entry_sheet(&w, w.member_tok, "2026-04-15", id);
	tsh_expect_period(w.member_tok, id, "2026-04-12", "2026-04-18");

	cr_assert_eq(harness_sql_long("SELECT count(*) FROM timesheets a JOIN timesheets b ON a.workspace_id = b.workspace_id"
				      " AND a.user_id = b.user_id AND a.id < b.id"
				      " AND daterange(a.period_start, a.period_end, '[]') && daterange(b.period_start, b.period_end, '[]')"
				      " WHERE a.workspace_id = $1",
				      1, w.ws),
		     0, "no two periods of one user overlap");
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_entries e JOIN timesheets t ON t.id = e.timesheet_id"
				      " WHERE e.workspace_id = $1 AND (e.log_date < t.period_start OR e.log_date > t.period_end"
				      " OR t.user_id <> e.user_id)",
				      1, w.ws),
		     0, "every entry lies in its own timesheet's period");
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM timesheets WHERE workspace_id = $1", 1, w.ws), 5);
	harness_workspace_free(&w);
}

/* The member's timesheets of the weeks of 04-13, 04-20 (submitted) and 04-27,
 * and member2's of the week of 04-27. */
typedef struct {
	char t13[64], t20[64], t27[64], other[64];
} tsh_weeks;

static void tsh_make_weeks(const harness_ws *w, tsh_weeks *k)
{
	tsh_entry_sheet(w, w->member_tok, "2026-04-15", k->t13);
	tsh_entry_sheet(w, w->member_tok, "2026-04-22", k->t20);
	tsh_entry_sheet(w, w->member_tok, "2026-04-29", k->t27);
	tsh_entry_sheet(w, w->member2_tok, "2026-04-29", k->other);
	json_decref(tsh_data(200, w->member_tok, "POST", NULL, "/api/v1/timesheets/%s/submit", k->t20));
}

Test(timesheets, list_filters_one_at_a_time)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	tsh_weeks k;
	tsh_make_weeks(&w, &k);

	/* user_id: the member's three, newest period first. */
	json_t *env = tsh_call(200, w.manager_tok, "GET", NULL, TSH_LIST "?user_id=%s", w.member);
	json_t *list = json_object_get(env, "data");
	cr_assert_eq(json_array_size(list), 3);
	cr_assert_eq(tsh_total(env), 3);
	cr_assert_str_eq(tsh_str(json_array_get(list, 0), "id"), k.t27);
	cr_assert_str_eq(tsh_str(json_array_get(list, 1), "id"), k.t20);
	cr_assert_str_eq(tsh_str(json_array_get(list, 2), "id"), k.t13);
	for (size_t i = 0; i < 3; i++)
		cr_assert_str_eq(tsh_str(json_array_get(list, i), "user_id"), w.member);
	json_decref(env);

	/* Without user_id a manager sees the team. */
	env = tsh_call(200, w.manager_tok, "GET", NULL, TSH_LIST);
	cr_assert_eq(tsh_total(env), 4);
	cr_assert(tsh_has(json_object_get(env, "data"), k.other));
	json_decref(env);

	/* status */
	env = tsh_call(200, w.manager_tok, "GET", NULL, TSH_LIST "?status=submitted");
	list = json_object_get(env, "data");
	cr_assert_eq(json_array_size(list), 1);
	cr_assert_str_eq(tsh_str(json_array_get(list, 0), "id"), k.t20);
	cr_assert_str_eq(tsh_str(json_array_get(list, 0), "status"), "submitted");
	json_decref(env);
	env = tsh_call(200, w.manager_tok, "GET", NULL, TSH_LIST "?status=draft");
	cr_assert_eq(tsh_total(env), 3);
	cr_assert(!tsh_has(json_object_get(env, "data"), k.t20));
	json_decref(env);
	env = tsh_call(200, w.manager_tok, "GET", NULL, TSH_LIST "?status=approved");
	cr_assert_eq(tsh_total(env), 0);
	json_decref(env);

	/* period_start_from / period_start_to, inclusive */
	env = tsh_call(200, w.manager_tok, "GET", NULL, TSH_LIST "?period_start_from=2026-04-20");
	cr_assert_eq(tsh_total(env), 3, "t20, t27 and member2's week");
	cr_assert(!tsh_has(json_object_get(env, "data"), k.t13));
	json_decref(env);
	env = tsh_call(200, w.manager_tok, "GET", NULL, TSH_LIST "?period_start_to=2026-04-20");
	cr_assert_eq(tsh_total(env), 2);
	cr_assert(tsh_has(json_object_get(env, "data"), k.t13) && tsh_has(json_object_get(env, "data"), k.t20));
	json_decref(env);

	/* A member lists only their own, and may not ask for someone else's. */
	env = tsh_call(200, w.member_tok, "GET", NULL, TSH_LIST);
	cr_assert_eq(tsh_total(env), 3);
	cr_assert(!tsh_has(json_object_get(env, "data"), k.other));
	json_decref(env);
	env = tsh_call(200, w.member_tok, "GET", NULL, TSH_LIST "?user_id=%s", w.member);
	cr_assert_eq(tsh_total(env), 3);
	json_decref(env);
	TSH_REFUSED(403, "forbidden", w.member_tok, "GET", NULL, TSH_LIST "?user_id=%s", w.member2);

	/* Bad filters */
	TSH_REFUSED(422, "validation_failed", w.manager_tok, "GET", NULL, TSH_LIST "?status=pending");
	TSH_REFUSED(422, "validation_failed", w.manager_tok, "GET", NULL, TSH_LIST "?period_start_from=2026-02-30");
	TSH_REFUSED(422, "validation_failed", w.manager_tok, "GET", NULL, TSH_LIST "?period_start_to=yesterday");
	TSH_REFUSED(422, "validation_failed", w.manager_tok, "GET", NULL, TSH_LIST "?limit=0");
	TSH_REFUSED(422, "validation_failed", w.manager_tok, "GET", NULL, TSH_LIST "?page=0");
	harness_workspace_free(&w);
}

Test(timesheets, list_filters_combined_and_pagination)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	tsh_weeks k;
	tsh_make_weeks(&w, &k);

	json_t *env = tsh_call(200, w.manager_tok, "GET", NULL, TSH_LIST "?status=draft&user_id=%s", w.member);
	cr_assert_eq(tsh_total(env), 2);
	cr_assert(tsh_has(json_object_get(env, "data"), k.t13) && tsh_has(json_object_get(env, "data"), k.t27));
	json_decref(env);
	env = tsh_call(200, w.manager_tok, "GET", NULL, TSH_LIST "?user_id=%s&status=submitted", w.member);
	cr_assert_eq(tsh_total(env), 1);
	cr_assert_str_eq(tsh_str(json_array_get(json_object_get(env, "data"), 0), "id"), k.t20);
	json_decref(env);
	env = tsh_call(200, w.manager_tok, "GET", NULL, TSH_LIST "?period_start_from=2026-04-20&period_start_to=2026-04-20");
	cr_assert_eq(tsh_total(env), 1);
	cr_assert_str_eq(tsh_str(json_array_get(json_object_get(env, "data"), 0), "id"), k.t20);
	json_decref(env);
	env = tsh_call(200, w.manager_tok, "GET", NULL, TSH_LIST "?period_start_to=2026-04-26&user_id=%s", w.member);
	cr_assert_eq(tsh_total(env), 2);
	cr_assert(tsh_has(json_object_get(env, "data"), k.t13) && tsh_has(json_object_get(env, "data"), k.t20));
	json_decref(env);
	env = tsh_call(200, w.manager_tok, "GET", NULL, TSH_LIST "?user_id=%s&period_start_from=2026-04-27", w.member2);
	cr_assert_eq(tsh_total(env), 1);
	cr_assert_str_eq(tsh_str(json_array_get(json_object_get(env, "data"), 0), "id"), k.other);
	json_decref(env);
	TSH_REFUSED(403, "forbidden", w.member_tok, "GET", NULL, TSH_LIST "?status=draft&user_id=%s", w.member2);

	/* Pagination: the pages partition the list, newest first. */
	env = tsh_call(200, w.manager_tok, "GET", NULL, TSH_LIST "?user_id=%s&limit=2&page=1", w.member);
	json_t *pg = json_object_get(env, "pagination");
	cr_assert_eq(json_integer_value(json_object_get(pg, "page")), 1);
	cr_assert_eq(json_integer_value(json_object_get(pg, "limit")), 2);
	cr_assert_eq(json_integer_value(json_object_get(pg, "total")), 3);
	json_t *list = json_object_get(env, "data");
	cr_assert_eq(json_array_size(list), 2);
	cr_assert_str_eq(tsh_str(json_array_get(list, 0), "id"), k.t27);
	cr_assert_str_eq(tsh_str(json_array_get(list, 1), "id"), k.t20);
	json_decref(env);
	env = tsh_call(200, w.manager_tok, "GET", NULL, TSH_LIST "?user_id=%s&limit=2&page=2", w.member);
	list = json_object_get(env, "data");
	cr_assert_eq(json_array_size(list), 1);
	cr_assert_str_eq(tsh_str(json_array_get(list, 0), "id"), k.t13);
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(env, "pagination"), "page")), 2);
	json_decref(env);
	env = tsh_call(200, w.manager_tok, "GET", NULL, TSH_LIST "?user_id=%s&limit=2&page=3", w.member);
	cr_assert_eq(json_array_size(json_object_get(env, "data")), 0);
	cr_assert_eq(tsh_total(env), 3);
	json_decref(env);
	harness_workspace_free(&w);
}

Test(timesheets, list_pagination_with_one_parameter)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	tsh_weeks k;
	tsh_make_weeks(&w, &k);
	json_t *env = tsh_call(200, w.member_tok, "GET", NULL, TSH_LIST "?limit=2");
	json_t *pg = json_object_get(env, "pagination");
	cr_assert_eq(json_integer_value(json_object_get(pg, "page")), 1);
	cr_assert_eq(json_integer_value(json_object_get(pg, "limit")), 2);
	cr_assert_eq(json_integer_value(json_object_get(pg, "total")), 3);
	cr_assert_eq(json_array_size(json_object_get(env, "data")), 2);
	cr_assert_str_eq(tsh_str(json_array_get(json_object_get(env, "data"), 0), "id"), k.t27);
	json_decref(env);
	env = tsh_call(200, w.member_tok, "GET", NULL, TSH_LIST "?page=2");
	cr_assert_eq(json_array_size(json_object_get(env, "data")), 0, "the default limit holds all three on page 1");
	cr_assert_eq(tsh_total(env), 3);
	json_decref(env);
	harness_workspace_free(&w);
}

Test(timesheets, get_one_joins_entries_and_totals)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	json_t *a = tsh_entry(&w, w.member_tok, "2026-04-27", "2.5", true);
	json_t *b = tsh_entry(&w, w.member_tok, "2026-04-28", "1.25", false);
	json_t *c = tsh_entry(&w, w.member_tok, "2026-04-29", "0.75", true);
	const char *ts = tsh_str(a, "timesheet_id");
	cr_assert_str_eq(tsh_str(b, "timesheet_id"), ts);
	cr_assert_str_eq(tsh_str(c, "timesheet_id"), ts);

	json_t *t = tsh_data(200, w.member_tok, "GET", NULL, "/api/v1/timesheets/%s", ts);
	cr_assert_eq(tsh_num(t, "total_hours"), 4.5);
	cr_assert_eq(tsh_num(t, "billable_hours"), 3.25);
	json_t *entries = json_object_get(t, "entries");
	cr_assert(json_is_array(entries), "GET one includes entries[]");
	cr_assert_eq(json_array_size(entries), 3);
	cr_assert_str_eq(tsh_str(json_array_get(entries, 0), "id"), tsh_str(a, "id"), "entries in date order");
	cr_assert_str_eq(tsh_str(json_array_get(entries, 1), "id"), tsh_str(b, "id"));
	cr_assert_str_eq(tsh_str(json_array_get(entries, 2), "id"), tsh_str(c, "id"));
	cr_assert_eq(tsh_num(json_array_get(entries, 1), "hours"), 1.25);
	cr_assert(json_is_false(json_object_get(json_array_get(entries, 1), "billable")));
	cr_assert_str_eq(tsh_str(json_array_get(entries, 2), "log_date"), "2026-04-29");
	json_decref(t);

	/* The list carries the same totals. */
	json_t *env = tsh_call(200, w.member_tok, "GET", NULL, TSH_LIST);
	json_t *row = json_array_get(json_object_get(env, "data"), 0);
	cr_assert_str_eq(tsh_str(row, "id"), ts);
	cr_assert_eq(tsh_num(row, "total_hours"), 4.5);
	cr_assert_eq(tsh_num(row, "billable_hours"), 3.25);
	json_decref(env);

	/* A deleted entry leaves the timesheet and its totals. */
	json_decref(tsh_data(200, w.member_tok, "DELETE", NULL, "/api/v1/time-entries/%s", tsh_str(c, "id")));
	t = tsh_data(200, w.member_tok, "GET", NULL, "/api/v1/timesheets/%s", ts);
	cr_assert_eq(tsh_num(t, "total_hours"), 3.75);
	cr_assert_eq(tsh_num(t, "billable_hours"), 2.5);
	cr_assert_eq(json_array_size(json_object_get(t, "entries")), 2);
	json_decref(t);
	/* An edit changes them too. */
	json_decref(tsh_data(200, w.member_tok, "PATCH", "{\"billable\":true}", "/api/v1/time-entries/%s", tsh_str(b, "id")));
	t = tsh_data(200, w.member_tok, "GET", NULL, "/api/v1/timesheets/%s", ts);
	cr_assert_eq(tsh_num(t, "total_hours"), 3.75);
	cr_assert_eq(tsh_num(t, "billable_hours"), 3.75);
	json_decref(t);
	json_decref(c);
	json_decref(b);
	json_decref(a);
	harness_workspace_free(&w);
}

Test(timesheets, patch_changes_notes_only)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char ts[64];
	tsh_entry_sheet(&w, w.member_tok, "2026-04-29", ts);
	json_t *t = tsh_data(200, w.member_tok, "PATCH", "{\"notes\":\"Client workshop on Thursday\"}", "/api/v1/timesheets/%s", ts);
	cr_assert_str_eq(tsh_str(t, "notes"), "Client workshop on Thursday");
	cr_assert_str_eq(tsh_str(t, "status"), "draft");
	cr_assert_str_eq(tsh_str(t, "id"), ts);
	json_decref(t);

	TSH_REFUSED(422, "validation_failed", w.member_tok, "PATCH", "{\"status\":\"approved\"}", "/api/v1/timesheets/%s", ts);
	TSH_REFUSED(422, "validation_failed", w.member_tok, "PATCH", "{\"notes\":\"x\",\"period_start\":\"2026-04-20\"}",
		    "/api/v1/timesheets/%s", ts);
	TSH_REFUSED(422, "validation_failed", w.member_tok, "PATCH", "{\"notes\":42}", "/api/v1/timesheets/%s", ts);
	TSH_REFUSED(404, "not_found", w.member_tok, "PATCH", "{\"notes\":\"x\"}", "/api/v1/timesheets/ts_doesnotexist");

	t = tsh_data(200, w.member_tok, "GET", NULL, "/api/v1/timesheets/%s", ts);
	cr_assert_str_eq(tsh_str(t, "notes"), "Client workshop on Thursday", "refused patches change nothing");
	cr_assert_str_eq(tsh_str(t, "status"), "draft");
	cr_assert_str_eq(tsh_str(t, "period_start"), "2026-04-27");
	json_decref(t);
	harness_workspace_free(&w);
}

/* Asserts a 409 invalid_transition whose message names both states. */
static void tsh_invalid(const char *tok, const char *ts, const char *action, const char *body, const char *from,
			const char *needed)
{
	json_t *env = tsh_refused(409, "invalid_transition", tok, "POST", body, "/api/v1/timesheets/%s/%s", ts, action);
	const char *msg = tsh_err_message(env);
	cr_assert(strstr(msg, from), "%s: the message names the current state %s: %s", action, from, msg);
	cr_assert(strstr(msg, needed), "%s: the message names the needed state %s: %s", action, needed, msg);
	json_decref(env);
}

#define TSH_REASON "{\"reason\":\"Friday is missing\"}"

Test(timesheets, transitions_and_their_guards)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char ts[64];
	tsh_entry_sheet(&w, w.member_tok, "2026-04-29", ts);

	/* From draft only submit is allowed. */
	tsh_invalid(w.manager_tok, ts, "approve", NULL, "draft", "submitted");
	tsh_invalid(w.manager_tok, ts, "reject", TSH_REASON, "draft", "submitted");

	json_t *t = tsh_data(200, w.member_tok, "POST", NULL, "/api/v1/timesheets/%s/submit", ts);
	cr_assert_str_eq(tsh_status_of(t), "submitted");
	cr_assert_str_eq(tsh_str(t, "submitted_by"), w.member);
	cr_assert_eq(strlen(tsh_str(t, "submitted_at")), 20, "submitted_at is ISO 8601 UTC");
	cr_assert(json_is_array(json_object_get(t, "entries")), "the transition answers the timesheet with entries");
	json_decref(t);
	tsh_invalid(w.member_tok, ts, "submit", NULL, "submitted", "draft");

	/* Only time:approve may approve or reject. */
	TSH_REFUSED(403, "forbidden", w.member_tok, "POST", NULL, "/api/v1/timesheets/%s/approve", ts);
	TSH_REFUSED(403, "forbidden", w.member_tok, "POST", TSH_REASON, "/api/v1/timesheets/%s/reject", ts);
	/* Reject needs a non-empty reason. */
	TSH_REFUSED(422, "validation_failed", w.manager_tok, "POST", NULL, "/api/v1/timesheets/%s/reject", ts);
	TSH_REFUSED(422, "validation_failed", w.manager_tok, "POST", "{}", "/api/v1/timesheets/%s/reject", ts);
	TSH_REFUSED(422, "validation_failed", w.manager_tok, "POST", "{\"reason\":\"\"}", "/api/v1/timesheets/%s/reject", ts);
	TSH_REFUSED(422, "validation_failed", w.manager_tok, "POST", "{\"reason\":null}", "/api/v1/timesheets/%s/reject", ts);
	TSH_REFUSED(422, "validation_failed", w.manager_tok, "POST", "{\"reason\":\"x\",\"why\":\"y\"}",
		    "/api/v1/timesheets/%s/reject", ts);
	t = tsh_data(200, w.manager_tok, "GET", NULL, "/api/v1/timesheets/%s", ts);
	cr_assert_str_eq(tsh_status_of(t), "submitted", "refused transitions change nothing");
	json_decref(t);

	t = tsh_data(200, w.manager_tok, "POST", TSH_REASON, "/api/v1/timesheets/%s/reject", ts);
	cr_assert_str_eq(tsh_status_of(t), "rejected");
	cr_assert_str_eq(tsh_str(t, "rejection_reason"), "Friday is missing");
	cr_assert_str_eq(tsh_str(t, "rejected_by"), w.manager);
	cr_assert_eq(strlen(tsh_str(t, "rejected_at")), 20);
	json_decref(t);
	tsh_invalid(w.manager_tok, ts, "approve", NULL, "rejected", "submitted");
	tsh_invalid(w.manager_tok, ts, "reject", TSH_REASON, "rejected", "submitted");

	/* A rejected timesheet can be submitted again, then approved. */
	t = tsh_data(200, w.member_tok, "POST", NULL, "/api/v1/timesheets/%s/submit", ts);
	cr_assert_str_eq(tsh_status_of(t), "submitted");
	json_decref(t);
	t = tsh_data(200, w.manager_tok, "POST", NULL, "/api/v1/timesheets/%s/approve", ts);
	cr_assert_str_eq(tsh_status_of(t), "approved");
	cr_assert_str_eq(tsh_str(t, "approved_by"), w.manager);
	cr_assert_eq(strlen(tsh_str(t, "approved_at")), 20, "approved_at is ISO 8601 UTC");
	cr_assert_eq(tsh_str(t, "approved_at")[19], 'Z');
	json_decref(t);
	tsh_invalid(w.manager_tok, ts, "approve", NULL, "approved", "submitted");
	tsh_invalid(w.manager_tok, ts, "reject", TSH_REASON, "approved", "submitted");
	tsh_invalid(w.member_tok, ts, "submit", NULL, "approved", "draft");

	t = tsh_data(200, w.member_tok, "GET", NULL, "/api/v1/timesheets/%s", ts);
	cr_assert_str_eq(tsh_status_of(t), "approved");
	cr_assert_str_eq(tsh_str(t, "approved_by"), w.manager);
	json_decref(t);
	PGresult *r = harness_sql("SELECT status, approved_by, approved_at IS NOT NULL FROM timesheets WHERE id = $1", 1, ts);
	cr_assert_str_eq(PQgetvalue(r, 0, 0), "approved");
	cr_assert_str_eq(PQgetvalue(r, 0, 1), w.manager);
	cr_assert_str_eq(PQgetvalue(r, 0, 2), "t");
	PQclear(r);
	harness_workspace_free(&w);
}

Test(timesheets, admin_may_approve_and_unknown_ids_are_404)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char ts[64];
	tsh_entry_sheet(&w, w.member_tok, "2026-04-29", ts);
	json_decref(tsh_data(200, w.member_tok, "POST", NULL, "/api/v1/timesheets/%s/submit", ts));
	json_t *t = tsh_data(200, w.admin_tok, "POST", "{}", "/api/v1/timesheets/%s/approve", ts);
	cr_assert_str_eq(tsh_status_of(t), "approved");
	cr_assert_str_eq(tsh_str(t, "approved_by"), w.admin);
	json_decref(t);
	TSH_REFUSED(404, "not_found", w.manager_tok, "GET", NULL, "/api/v1/timesheets/ts_doesnotexist");
	TSH_REFUSED(404, "not_found", w.member_tok, "POST", NULL, "/api/v1/timesheets/ts_doesnotexist/submit");
	TSH_REFUSED(404, "not_found", w.manager_tok, "POST", NULL, "/api/v1/timesheets/ts_doesnotexist/approve");
	TSH_REFUSED(404, "not_found", w.manager_tok, "POST", TSH_REASON, "/api/v1/timesheets/ts_doesnotexist/reject");
	harness_workspace_free(&w);
}

/* Approvers may not approve or reject their own timesheet (403 forbidden,
 * naming the setting) unless an admin turns on allow_self_approval. */
Test(timesheets, approvers_do_not_approve_their_own_timesheets_unless_allowed)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char mine[64], admins[64], later[64], last[64];
	tsh_entry_sheet(&w, w.manager_tok, "2026-04-29", mine);
	tsh_entry_sheet(&w, w.admin_tok, "2026-04-29", admins);
	json_decref(tsh_data(200, w.manager_tok, "POST", NULL, "/api/v1/timesheets/%s/submit", mine));
	json_decref(tsh_data(200, w.admin_tok, "POST", NULL, "/api/v1/timesheets/%s/submit", admins));
	json_t *s = tsh_data(200, w.member_tok, "GET", NULL, "/api/v1/time/settings");
	cr_assert(json_is_false(json_object_get(s, "allow_self_approval")), "off by default");
	json_decref(s);

	json_t *env = tsh_refused(403, "forbidden", w.manager_tok, "POST", NULL, "/api/v1/timesheets/%s/approve", mine);
	cr_assert(strstr(tsh_err_message(env), "your own timesheet") && strstr(tsh_err_message(env), "allow_self_approval"),
		  "%s", tsh_err_message(env));
	json_decref(env);
	TSH_REFUSED(403, "forbidden", w.manager_tok, "POST", TSH_REASON, "/api/v1/timesheets/%s/reject", mine);
	TSH_REFUSED(403, "forbidden", w.admin_tok, "POST", NULL, "/api/v1/timesheets/%s/approve", admins);
	TSH_REFUSED(403, "forbidden", w.admin_tok, "POST", TSH_REASON, "/api/v1/timesheets/%s/reject", admins);
	/* The AI tool's preview runs the same check. */
	char body[160];
	snprintf(body, sizeof body, "{\"timesheet_id\":\"%s\"}", mine);
	harness_response r = harness_request("POST", "/api/ai/tools/approve_timesheet", w.manager_tok, body, NULL);
	cr_assert(strstr(r.body, "forbidden: you cannot approve your own timesheet"), "%s", r.body);
	harness_response_free(&r);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM timesheets WHERE id IN ($1, $2) AND status = 'submitted'", 2, mine,
				      admins),
		     2, "refused: still submitted");
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM audit_log WHERE entity_id IN ($1, $2)"
				      " AND action IN ('timesheet.approved', 'timesheet.rejected')",
				      2, mine, admins),
		     0);

	/* Someone else may: the admin the manager's, the manager the admin's. */
	json_t *t = tsh_data(200, w.admin_tok, "POST", NULL, "/api/v1/timesheets/%s/approve", mine);
	cr_assert_str_eq(tsh_str(t, "approved_by"), w.admin);
	json_decref(t);
	json_decref(tsh_data(200, w.manager_tok, "POST", TSH_REASON, "/api/v1/timesheets/%s/reject", admins));

	/* The setting: admins only, a boolean, audited. */
	TSH_REFUSED(403, "forbidden", w.manager_tok, "PATCH", "{\"allow_self_approval\":true}", "/api/v1/time/settings");
	env = tsh_refused(422, "validation_failed", w.admin_tok, "PATCH", "{\"allow_self_approval\":\"yes\"}",
			  "/api/v1/time/settings");
	cr_assert(strstr(tsh_err_message(env), "allow_self_approval"), "%s", tsh_err_message(env));
	json_decref(env);
	s = tsh_data(200, w.admin_tok, "PATCH", "{\"allow_self_approval\":true}", "/api/v1/time/settings");
	cr_assert(json_is_true(json_object_get(s, "allow_self_approval")));
	json_decref(s);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM audit_log WHERE workspace_id = $1 AND action = 'time_settings.updated'"
				      " AND changes->'allow_self_approval'->>'to' = 'true'",
				      1, w.ws),
		     1);

	/* Allowed: approving and rejecting one's own. */
	tsh_entry_sheet(&w, w.manager_tok, "2026-05-06", later);
	json_decref(tsh_data(200, w.manager_tok, "POST", NULL, "/api/v1/timesheets/%s/submit", later));
	t = tsh_data(200, w.manager_tok, "POST", NULL, "/api/v1/timesheets/%s/approve", later);
	cr_assert_str_eq(tsh_str(t, "approved_by"), w.manager);
	json_decref(t);
	tsh_entry_sheet(&w, w.admin_tok, "2026-05-13", last);
	json_decref(tsh_data(200, w.admin_tok, "POST", NULL, "/api/v1/timesheets/%s/submit", last));
	json_decref(tsh_data(200, w.admin_tok, "POST", TSH_REASON, "/api/v1/timesheets/%s/reject", last));
	harness_workspace_free(&w);
}

/* Asserts every write to entries of a locked period answers 409 timesheet_locked. */
static void tsh_expect_locked(const harness_ws *w, const char *tok, const char *entry, const char *outside_entry)
{
	char body[512];
	/* For the member, whoever calls (a manager logs for the member). */
	snprintf(body, sizeof body,
		 "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"log_date\":\"2026-04-30\",\"hours\":1,"
		 "\"user_id\":\"%s\"}",
		 harness_demo_id(w, "tasks", 0), w->member);
	TSH_REFUSED(409, "timesheet_locked", tok, "POST", body, "/api/v1/time-entries");
	TSH_REFUSED(409, "timesheet_locked", tok, "PATCH", "{\"description\":\"changed\"}", "/api/v1/time-entries/%s", entry);
	TSH_REFUSED(409, "timesheet_locked", tok, "PATCH", "{\"hours\":3}", "/api/v1/time-entries/%s", entry);
	TSH_REFUSED(409, "timesheet_locked", tok, "PATCH", "{\"log_date\":\"2026-04-22\"}", "/api/v1/time-entries/%s", entry);
	TSH_REFUSED(409, "timesheet_locked", tok, "DELETE", NULL, "/api/v1/time-entries/%s", entry);
	/* Moving an entry of an open week into the locked one is refused too. */
	TSH_REFUSED(409, "timesheet_locked", tok, "PATCH", "{\"log_date\":\"2026-04-28\"}", "/api/v1/time-entries/%s",
		    outside_entry);

	json_t *e = tsh_data(200, tok, "GET", NULL, "/api/v1/time-entries/%s", entry);
	cr_assert_str_eq(tsh_str(e, "description"), "", "a refused edit changes nothing");
	cr_assert_eq(tsh_num(e, "hours"), 2);
	cr_assert_str_eq(tsh_str(e, "log_date"), "2026-04-29");
	json_decref(e);
	e = tsh_data(200, tok, "GET", NULL, "/api/v1/time-entries/%s", outside_entry);
	cr_assert_str_eq(tsh_str(e, "log_date"), "2026-04-22");
	json_decref(e);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_entries WHERE workspace_id = $1 AND log_date = '2026-04-30'"
				      " AND deleted_at IS NULL",
				      1, w->ws),
		     0);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_entries WHERE id = $1 AND deleted_at IS NULL", 1, entry), 1);
}

Test(timesheets, entries_of_submitted_or_approved_periods_are_locked)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	json_t *e = tsh_entry(&w, w.member_tok, "2026-04-29", "2", true);
	json_t *outside = tsh_entry(&w, w.member_tok, "2026-04-22", "1", true);
	const char *ts = tsh_str(e, "timesheet_id");
	const char *id = tsh_str(e, "id");
	json_decref(tsh_data(200, w.member_tok, "POST", NULL, "/api/v1/timesheets/%s/submit", ts));
	json_t *got = tsh_data(200, w.member_tok, "GET", NULL, "/api/v1/time-entries/%s", id);
	cr_assert_str_eq(tsh_str(got, "status"), "submitted");
	json_decref(got);
	tsh_expect_locked(&w, w.member_tok, id, tsh_str(outside, "id"));
	tsh_expect_locked(&w, w.manager_tok, id, tsh_str(outside, "id"));

	/* Rejected: editable again. */
	json_decref(tsh_data(200, w.manager_tok, "POST", TSH_REASON, "/api/v1/timesheets/%s/reject", ts));
	json_t *added = tsh_entry(&w, w.member_tok, "2026-04-30", "1", true);
	cr_assert_str_eq(tsh_str(added, "timesheet_id"), ts);
	json_t *patched = tsh_data(200, w.member_tok, "PATCH", "{\"description\":\"fixed\"}", "/api/v1/time-entries/%s", id);
	cr_assert_str_eq(tsh_str(patched, "description"), "fixed");
	json_decref(patched);
	json_decref(tsh_data(200, w.member_tok, "DELETE", NULL, "/api/v1/time-entries/%s", tsh_str(added, "id")));
	json_decref(tsh_data(200, w.member_tok, "PATCH", "{\"description\":\"\"}", "/api/v1/time-entries/%s", id));

	/* Submitted again and approved: locked again. */
	json_decref(tsh_data(200, w.member_tok, "POST", NULL, "/api/v1/timesheets/%s/submit", ts));
	json_decref(tsh_data(200, w.manager_tok, "POST", NULL, "/api/v1/timesheets/%s/approve", ts));
	got = tsh_data(200, w.member_tok, "GET", NULL, "/api/v1/time-entries/%s", id);
	cr_assert_str_eq(tsh_str(got, "status"), "approved");
	json_decref(got);
	tsh_expect_locked(&w, w.member_tok, id, tsh_str(outside, "id"));
	tsh_expect_locked(&w, w.admin_tok, id, tsh_str(outside, "id"));
	json_decref(added);
	json_decref(outside);
	json_decref(e);
	harness_workspace_free(&w);
}

Test(timesheets, members_see_only_their_own_managers_see_the_team)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char ts[64], mine2[64];
	tsh_entry_sheet(&w, w.member_tok, "2026-04-29", ts);
	tsh_entry_sheet(&w, w.member2_tok, "2026-04-29", mine2);

	TSH_REFUSED(404, "not_found", w.member2_tok, "GET", NULL, "/api/v1/timesheets/%s", ts);
	TSH_REFUSED(404, "not_found", w.member2_tok, "PATCH", "{\"notes\":\"mine now\"}", "/api/v1/timesheets/%s", ts);
	TSH_REFUSED(404, "not_found", w.member2_tok, "POST", NULL, "/api/v1/timesheets/%s/submit", ts);
	json_t *env = tsh_call(200, w.member2_tok, "GET", NULL, TSH_LIST);
	cr_assert(!tsh_has(json_object_get(env, "data"), ts), "a member's list holds no one else's timesheet");
	cr_assert(tsh_has(json_object_get(env, "data"), mine2));
	json_decref(env);

	json_t *t = tsh_data(200, w.manager_tok, "GET", NULL, "/api/v1/timesheets/%s", ts);
	cr_assert_str_eq(tsh_str(t, "user_id"), w.member);
	cr_assert_eq(json_array_size(json_object_get(t, "entries")), 1);
	json_decref(t);
	t = tsh_data(200, w.admin_tok, "GET", NULL, "/api/v1/timesheets/%s", ts);
	cr_assert_str_eq(tsh_str(t, "id"), ts);
	json_decref(t);
	env = tsh_call(200, w.manager_tok, "GET", NULL, TSH_LIST "?user_id=%s", w.member);
	cr_assert_eq(tsh_total(env), 1);
	cr_assert(tsh_has(json_object_get(env, "data"), ts));
	json_decref(env);

	t = tsh_data(200, w.member_tok, "GET", NULL, "/api/v1/timesheets/%s", ts);
	cr_assert_str_eq(tsh_str(t, "notes"), "", "the refused PATCH changed nothing");
	cr_assert_str_eq(tsh_status_of(t), "draft", "the refused submit changed nothing");
	json_decref(t);
	harness_workspace_free(&w);
}
