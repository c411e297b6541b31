/* The time rollup (schemas/sql/0016) behind the workspace summary and
 * utilization: after creates, moves between days, months, projects, users,
 * billable and rates, deletes (soft and hard), a timer started and stopped,
 * bulk SQL and rounding changes, the reports over whole months (rollup), over
 * months with edge days (rollup and entries) and within a month (entries)
 * equal the figures recomputed here from the entries themselves, each rounded
 * by core/rounding.c; the rollup's rows equal a fresh recomputation; and the
 * triggers' SQL rounding equals rounding_apply. */
#include "harness.h"
#include "core/rounding.h"
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RU_ENTRIES "/api/v1/time-entries"

/* ------------------------------------------------------------------ oracle */

/* Adds one entry's figures to the tally at key of map (created at zero). */
static void ru_add(json_t *map, const char *key, long secs, bool billable, long raw)
{
	json_t *t = json_object_get(map, key);
	if (!t) {
		t = json_pack("{s:I, s:I, s:I, s:I}", "total", (json_int_t)0, "billable", (json_int_t)0, "n", (json_int_t)0,
			      "raw", (json_int_t)0);
		json_object_set_new(map, key, t);
	}
	static const char *const keys[] = { "total", "billable", "n", "raw" };
	long add[] = { secs, billable ? secs : 0, 1, raw };
	for (int i = 0; i < 4; i++)
		json_object_set_new(t, keys[i], json_integer(json_integer_value(json_object_get(t, keys[i])) + add[i]));
}

/* The figures of ws's live, stopped entries of from..to (of user or project
 * when given), each rounded by rounding_apply at the workspace's setting:
 * {all, users, projects ("" for none), types: tallies; amounts: currency ->
 * rate × rounded seconds of the billable entries with a rate}. */
static json_t *ru_expected(const char *ws, const char *from, const char *to, const char *user, const char *project)
{
	PGresult *set = harness_sql("SELECT coalesce((SELECT rounding_mode FROM time_tracking_settings WHERE workspace_id = $1), 'none'),"
				    " coalesce((SELECT rounding_minutes FROM time_tracking_settings WHERE workspace_id = $1), 15)",
				    1, ws);
	cr_assert_eq(PQresultStatus(set), PGRES_TUPLES_OK);
	rounding_mode mode;
	cr_assert(rounding_parse(PQgetvalue(set, 0, 0), &mode));
	int minutes = atoi(PQgetvalue(set, 0, 1));
	PQclear(set);
	PGresult *r = harness_sql("SELECT user_id, coalesce(project_id, ''), entity_type, coalesce(currency, ''), billable,"
				  " hourly_rate, duration_seconds FROM time_entries WHERE workspace_id = $1"
				  " AND deleted_at IS NULL AND duration_seconds IS NOT NULL AND log_date BETWEEN $2::date AND $3::date"
				  " AND ($4 = '' OR user_id = $4) AND ($5 = '' OR project_id = $5)",
				  5, ws, from, to, user ? user : "", project ? project : "");
	cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQresultErrorMessage(r));
	json_t *out = json_pack("{s:{}, s:{}, s:{}, s:{}, s:{}}", "all", "users", "projects", "types", "amounts");
	for (int i = 0; i < PQntuples(r); i++) {
		long raw = atol(PQgetvalue(r, i, 6)), secs = rounding_apply(raw, mode, minutes);
		bool billable = !strcmp(PQgetvalue(r, i, 4), "t");
		ru_add(json_object_get(out, "all"), "all", secs, billable, raw);
		ru_add(json_object_get(out, "users"), PQgetvalue(r, i, 0), secs, billable, raw);
		ru_add(json_object_get(out, "projects"), PQgetvalue(r, i, 1), secs, billable, raw);
		ru_add(json_object_get(out, "types"), PQgetvalue(r, i, 2), secs, billable, raw);
		if (billable && !PQgetisnull(r, i, 5)) {
			json_t *amounts = json_object_get(out, "amounts");
			const char *cur = PQgetvalue(r, i, 3);
			json_int_t sum = json_integer_value(json_object_get(amounts, cur));
			json_object_set_new(amounts, cur, json_integer(sum + atoll(PQgetvalue(r, i, 5)) * secs));
		}
	}
	PQclear(r);
	return out;
}

static long ru_int(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	cr_assert(json_is_integer(v), "'%s' should be an integer in %s", key, json_dumps(obj, JSON_COMPACT));
	return (long)json_integer_value(v);
}

/* A report's tally object against an expected tally (NULL: none expected). */
static void ru_check_tally(json_t *got, json_t *want, const char *what)
{
	long total = want ? ru_int(want, "total") : 0, billable = want ? ru_int(want, "billable") : 0;
	cr_assert_eq(ru_int(got, "total_seconds"), total, "%s: total_seconds %ld, expected %ld", what,
		     ru_int(got, "total_seconds"), total);
	cr_assert_eq(ru_int(got, "billable_seconds"), billable, "%s: billable_seconds", what);
	cr_assert_eq(ru_int(got, "non_billable_seconds"), total - billable, "%s: non_billable_seconds", what);
	cr_assert_eq(ru_int(got, "entry_count"), want ? ru_int(want, "n") : 0, "%s: entry_count", what);
}

/* A breakdown (array of objects with id_key) against the expected tallies:
 * the same groups, each with its figures. */
static void ru_check_breakdown(json_t *array, const char *id_key, json_t *want, const char *what)
{
	cr_assert(json_is_array(array), "%s: no %s breakdown", what, id_key);
	cr_assert_eq(json_array_size(array), json_object_size(want), "%s: %zu groups by %s, expected %zu: %s", what,
		     json_array_size(array), id_key, json_object_size(want), json_dumps(array, JSON_COMPACT));
	size_t i;
	json_t *item;
	json_array_foreach(array, i, item) {
		const char *id = json_string_value(json_object_get(item, id_key));
		json_t *w = json_object_get(want, id ? id : "");
		cr_assert(w, "%s: unexpected %s %s", what, id_key, id ? id : "null");
		char label[256];
		snprintf(label, sizeof label, "%s, %s %s", what, id_key, id ? id : "null");
		ru_check_tally(item, w, label);
	}
}

/* The summary of from..to as the admin against the entries. */
static void ru_check_summary(const harness_ws *w, const char *from, const char *to, const char *what)
{
	char path[160];
	snprintf(path, sizeof path, "/api/v1/time/reports/summary?from=%s&to=%s", from, to);
	json_t *s = harness_call(200, w->admin_tok, "GET", path, "%s", "");
	json_t *want = ru_expected(w->ws, from, to, NULL, NULL);
	char label[256];
	snprintf(label, sizeof label, "%s, summary %s..%s", what, from, to);
	ru_check_tally(s, json_object_get(json_object_get(want, "all"), "all"), label);
	json_t *all = json_object_get(json_object_get(want, "all"), "all");
	cr_assert_eq(ru_int(s, "raw_total_seconds"), all ? ru_int(all, "raw") : 0, "%s: raw_total_seconds", label);
	ru_check_breakdown(json_object_get(s, "by_user"), "user_id", json_object_get(want, "users"), label);
	ru_check_breakdown(json_object_get(s, "by_project"), "project_id", json_object_get(want, "projects"), label);
	ru_check_breakdown(json_object_get(s, "by_entity_type"), "entity_type", json_object_get(want, "types"), label);
	json_t *amounts = json_object_get(s, "amounts"), *wa = json_object_get(want, "amounts");
	cr_assert_eq(json_array_size(amounts), json_object_size(wa), "%s: amounts %s", label, json_dumps(amounts, JSON_COMPACT));
	size_t i;
	json_t *a;
	json_array_foreach(amounts, i, a) {
		json_t *sum = json_object_get(wa, json_string_value(json_object_get(a, "currency")));
		cr_assert(sum, "%s: unexpected amount %s", label, json_dumps(a, JSON_COMPACT));
		cr_assert_eq(ru_int(a, "amount"), rounding_amount(json_integer_value(sum)), "%s: amount %s", label,
			     json_dumps(a, JSON_COMPACT));
	}
	json_decref(want);
	json_decref(s);
}

/* Utilization of user or project over from..to against the entries: the
 * totals and each user's figures. */
static void ru_check_utilization(const harness_ws *w, const char *user, const char *project, const char *from,
				 const char *to, const char *what)
{
	char path[256], label[256];
	snprintf(path, sizeof path, "/api/v1/time/reports/utilization?%s=%s&from=%s&to=%s", user ? "user_id" : "project_id",
		 user ? user : project, from, to);
	snprintf(label, sizeof label, "%s, utilization of %s %s..%s", what, user ? user : project, from, to);
	json_t *u = harness_call(200, w->admin_tok, "GET", path, "%s", "");
	json_t *want = ru_expected(w->ws, from, to, user, project);
	json_t *all = json_object_get(json_object_get(want, "all"), "all");
	ru_check_tally(u, all, label);
	cr_assert_eq(ru_int(u, "raw_total_seconds"), all ? ru_int(all, "raw") : 0, "%s: raw_total_seconds", label);
	json_t *users = json_object_get(want, "users");
	if (user && !json_object_get(users, user)) /* the user asked about is listed, time or not */
		json_object_set_new(users, user, json_pack("{s:i, s:i, s:i, s:i}", "total", 0, "billable", 0, "n", 0, "raw", 0));
	ru_check_breakdown(json_object_get(u, "users"), "user_id", users, label);
	json_decref(want);
	json_decref(u);
}

/* The rollup, folded and not, sums per group to a recomputation from every
 * entry (time_rollup_fresh), and groups without entries hold nothing. */
static void ru_check_rows(const char *ws, const char *what)
{
	long off = harness_sql_long(
		"WITH kept AS (SELECT dim, project_id, user_id, month, entity_type, currency, sum(total) AS total,"
		"  sum(billable) AS billable, sum(raw) AS raw, sum(n) AS n, sum(rate_seconds) AS rate_seconds,"
		"  sum(rated) AS rated FROM time_rollup_all WHERE workspace_id = $1 GROUP BY 1, 2, 3, 4, 5, 6),"
		" fresh AS (SELECT dim, project_id, user_id, month, entity_type, currency, total, billable, raw, n,"
		"  rate_seconds, rated FROM time_rollup_fresh WHERE workspace_id = $1)"
		" SELECT (SELECT count(*) FROM (SELECT * FROM fresh EXCEPT SELECT * FROM kept WHERE n <> 0) a)"
		" + (SELECT count(*) FROM (SELECT * FROM kept WHERE n <> 0 EXCEPT SELECT * FROM fresh) b)"
		" + (SELECT count(*) FROM kept WHERE n = 0 AND (total, billable, raw, rate_seconds, rated) <> (0, 0, 0, 0, 0))",
		1, ws);
	cr_assert_eq(off, 0, "%s: %ld rollup groups differ from the entries", what, off);
}

static char g_today[11];
static char g_month_first[11], g_month_last[11];

/* Every check, on whole months (the rollup), months with edge days, days
 * within one month (the entries only) and this month. */
static void ru_check_all(const harness_ws *w, const char *what)
{
	static const char *const ranges[][2] = {
		{ "2025-10-01", "2025-12-31" }, /* three whole months */
		{ "2025-10-15", "2025-12-10" }, /* November and the edge days */
		{ "2025-11-03", "2025-11-20" }, /* no whole month */
		{ "2025-09-01", "2026-08-31" }, /* a year, a month of it empty */
	};
	ru_check_rows(w->ws, what);
	const char *projects[] = { json_string_value(json_object_get(json_array_get(json_object_get(w->demo, "tasks"), 0), "project_id")),
				   json_string_value(json_object_get(json_array_get(json_object_get(w->demo, "tasks"), 1), "project_id")) };
	for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
		ru_check_summary(w, ranges[i][0], ranges[i][1], what);
		ru_check_utilization(w, w->member, NULL, ranges[i][0], ranges[i][1], what);
		ru_check_utilization(w, w->member2, NULL, ranges[i][0], ranges[i][1], what);
		for (size_t p = 0; p < 2; p++)
			ru_check_utilization(w, NULL, projects[p], ranges[i][0], ranges[i][1], what);
	}
	ru_check_summary(w, g_month_first, g_month_last, what);
	ru_check_utilization(w, w->member, NULL, g_month_first, g_month_last, what);
}

/* ------------------------------------------------------------------ writes */

/* Creates an entry (as tok; extra JSON members or ""), returns its id (malloc'd). */
static char *ru_create(const char *tok, const char *type, const char *id, const char *hours, const char *date,
		       const char *extra)
{
	json_t *e = harness_call(201, tok, "POST", RU_ENTRIES,
				 "{\"entity_type\":\"%s\",\"entity_id\":\"%s\",\"hours\":\"%s\",\"log_date\":\"%s\"%s}", type, id,
				 hours, date, extra);
	char *out = strdup(json_string_value(json_object_get(e, "id")));
	json_decref(e);
	return out;
}

static void ru_patch(const char *tok, const char *id, const char *body)
{
	char path[160];
	snprintf(path, sizeof path, RU_ENTRIES "/%s", id);
	json_decref(harness_call(200, tok, "PATCH", path, "%s", body));
}

static void ru_settings(const harness_ws *w, const char *body)
{
	json_decref(harness_call(200, w->admin_tok, "PATCH", "/api/v1/time/settings", "%s", body));
}

Test(rollup, reports_equal_the_entries_after_every_kind_of_write)
{
	harness_ws w;
	harness_workspace(&w, "pro", "projects,people");
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(g_today, sizeof g_today, "%Y-%m-%d", &tm);
	snprintf(g_month_first, sizeof g_month_first, "%.8s01", g_today);
	tm.tm_mon += 1;
	tm.tm_mday = 0; /* the last day of this month */
	time_t last = timegm(&tm);
	gmtime_r(&last, &tm);
	strftime(g_month_last, sizeof g_month_last, "%Y-%m-%d", &tm);

	const char *task0 = harness_demo_id(&w, "tasks", 0), *task1 = harness_demo_id(&w, "tasks", 1);
	const char *ticket = harness_demo_id(&w, "tickets", 0), *deal = harness_demo_id(&w, "deals", 0);
	ru_settings(&w, "{\"default_hourly_rate\":6000,\"default_currency\":\"USD\"}");

	/* Creates by four people over three months, odd durations, some not billable. */
	char *a = ru_create(w.member_tok, "task", task0, "1.3", "2025-10-30", "");
	char *b = ru_create(w.member_tok, "task", task1, "0.1", "2025-11-03", "");
	char *c = ru_create(w.member2_tok, "ticket", ticket, "2.75", "2025-11-18", ",\"billable\":false");
	char *d = ru_create(w.manager_tok, "deal", deal, "0.125", "2025-12-01", "");
	char body[256];
	snprintf(body, sizeof body, ",\"user_id\":\"%s\"", w.member); /* the admin logs for the member */
	char *e = ru_create(w.admin_tok, "task", task0, "3.2", "2025-12-09", body);
	char *f = ru_create(w.member2_tok, "task", task1, "7.05", "2025-10-14", "");
	free(ru_create(w.member_tok, "deal", deal, "0.4", "2025-11-25", ",\"billable\":false"));
	ru_check_all(&w, "after the creates");

	/* Moves: to another month, another project, not billable, other hours, a new rate. */
	ru_patch(w.member_tok, a, "{\"log_date\":\"2025-11-02\"}");
	snprintf(body, sizeof body, "{\"entity_type\":\"task\",\"entity_id\":\"%s\"}", task1);
	ru_patch(w.member_tok, e, body);
	ru_patch(w.member2_tok, c, "{\"billable\":true}");
	ru_patch(w.manager_tok, d, "{\"hours\":\"1.15\"}");
	ru_settings(&w, "{\"default_hourly_rate\":9100}");
	ru_patch(w.member_tok, b, "{\"log_date\":\"2025-12-30\"}"); /* re-snapshots the rate */
	ru_check_all(&w, "after the moves");

	/* While another session folds (holds the fold lock), the reports read
	 * the changes not folded beside the rollup. */
	PGconn *folder = PQconnectdb(getenv("DATABASE_URL"));
	cr_assert_eq(PQstatus(folder), CONNECTION_OK);
	const char *params[1] = { w.ws };
	PGresult *held = PQexecParams(folder, "SELECT pg_advisory_lock(hashtext('workestra-time-rollup-fold'), hashtext($1))", 1,
				      NULL, params, NULL, NULL, 0);
	cr_assert_eq(PQresultStatus(held), PGRES_TUPLES_OK, "%s", PQerrorMessage(folder));
	PQclear(held);
	free(ru_create(w.member2_tok, "task", task0, "1.7", "2025-12-02", ""));
	ru_patch(w.member_tok, a, "{\"log_date\":\"2025-10-31\"}");
	ru_check_all(&w, "with changes not folded");
	cr_assert_gt(harness_sql_long("SELECT count(*) FROM time_rollup_delta WHERE workspace_id = $1", 1, w.ws), 0,
		     "the changes wait in time_rollup_delta");
	PQfinish(folder);

	/* Another user, by SQL; deletes: through the API and hard, in bulk. */
	PQclear(harness_sql("UPDATE time_entries SET user_id = $2 WHERE id = $1", 2, f, w.member));
	char path[160];
	snprintf(path, sizeof path, RU_ENTRIES "/%s", c);
	json_decref(harness_call(200, w.member2_tok, "DELETE", path, "%s", ""));
	PQclear(harness_sql("DELETE FROM time_entries WHERE id = $1", 1, d));
	PQclear(harness_sql("UPDATE time_entries SET duration_seconds = duration_seconds + 41, billable = NOT billable"
			    " WHERE workspace_id = $1 AND deleted_at IS NULL AND duration_seconds IS NOT NULL",
			    1, w.ws));
	ru_check_all(&w, "after the deletes and the bulk update");

	/* A running timer counts nothing; stopped, it counts. */
	snprintf(body, sizeof body, "{\"entity_type\":\"task\",\"entity_id\":\"%s\"}", task0);
	json_decref(harness_call(201, w.member_tok, "POST", "/api/v1/time/timer/start", "%s", body));
	ru_check_all(&w, "with a timer running");
	PQclear(harness_sql("UPDATE time_entries SET started_at = started_at - interval '1 hour 7 minutes 13 seconds'"
			    " WHERE user_id = $1 AND ended_at IS NULL AND started_at IS NOT NULL",
			    1, w.member));
	json_decref(harness_call(200, w.member_tok, "POST", "/api/v1/time/timer/stop", "%s", ""));
	ru_check_all(&w, "after the timer stopped");

	/* Rounding changes rebuild the rollup; writes after them round the new way. */
	ru_settings(&w, "{\"rounding\":\"up\",\"rounding_minutes\":15}");
	ru_check_all(&w, "rounding up to 15 minutes");
	ru_settings(&w, "{\"rounding\":\"nearest\",\"rounding_minutes\":7}");
	ru_check_all(&w, "rounding to the nearest 7 minutes");
	free(ru_create(w.member2_tok, "task", task0, "0.93", "2025-11-30", ""));
	ru_patch(w.member_tok, a, "{\"hours\":\"2.02\",\"log_date\":\"2025-10-01\"}");
	ru_check_all(&w, "writes after the rounding change");
	ru_settings(&w, "{\"rounding\":\"none\"}");
	ru_check_all(&w, "rounding none again");

	free(a);
	free(b);
	free(c);
	free(d);
	free(e);
	free(f);
	harness_workspace_free(&w);
}

/* The triggers round in SQL (time_rollup_round): the same rule as
 * rounding_apply, for every mode and unit the settings allow. */
Test(rollup, sql_rounding_is_rounding_apply)
{
	static const char *const modes[] = { "none", "up", "down", "nearest" };
	for (int m = 0; m < 4; m++) {
		rounding_mode mode;
		cr_assert(rounding_parse(modes[m], &mode));
		for (int minutes = 1; minutes <= 60; minutes++) {
			char mins[16];
			snprintf(mins, sizeof mins, "%d", minutes);
			/* Every remainder of the unit, on either side of two multiples. */
			PGresult *r = harness_sql("SELECT s, time_rollup_round(s, $1, $2::int)"
						  " FROM generate_series(0, $2::int * 120 + 1) s",
						  2, modes[m], mins);
			cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQresultErrorMessage(r));
			for (int i = 0; i < PQntuples(r); i++) {
				long secs = atol(PQgetvalue(r, i, 0)), got = atol(PQgetvalue(r, i, 1));
				cr_assert_eq(got, rounding_apply(secs, mode, minutes), "%s %d min, %ld s: SQL %ld, C %ld", modes[m],
					     minutes, secs, got, rounding_apply(secs, mode, minutes));
			}
			PQclear(r);
		}
	}
}

/* time-rollup-fold empties the queue of a workspace nobody asked a report
 * of, and the rollup then equals a recomputation from its entries. */
Test(rollup, the_daily_fold_empties_the_queue)
{
	harness_ws w;
	harness_workspace(&w, "pro", "projects");
	free(ru_create(w.member_tok, "task", harness_demo_id(&w, "tasks", 0), "1.5", "2025-10-07", ""));
	free(ru_create(w.member2_tok, "task", harness_demo_id(&w, "tasks", 1), "0.75", "2025-11-12", ""));
	cr_assert_gt(harness_sql_long("SELECT count(*) FROM time_rollup_delta WHERE workspace_id = $1", 1, w.ws), 0,
		     "the writes queued their changes");
	json_t *run = harness_cron("time-rollup-fold", NULL);
	cr_assert(run, "time-rollup-fold failed");
	cr_assert_str_eq(json_string_value(json_object_get(run, "status")), "succeeded");
	cr_assert_geq(json_integer_value(json_object_get(json_object_get(run, "counts"), "workspaces")), 1);
	json_decref(run);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_rollup_delta WHERE workspace_id = $1", 1, w.ws), 0);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM (SELECT * FROM time_rollup WHERE workspace_id = $1"
				      " EXCEPT SELECT * FROM time_rollup_fresh WHERE workspace_id = $1) x",
				      1, w.ws),
		     0, "the folded rows are the recomputed ones");
	cr_assert_gt(harness_sql_long("SELECT count(*) FROM time_rollup WHERE workspace_id = $1", 1, w.ws), 0);
	harness_workspace_free(&w);
}
