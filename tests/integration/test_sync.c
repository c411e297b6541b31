/* Keeping a copy in step: updated_since, tombstones and keyset cursors on
 * /api/v1/time-entries and /api/v1/timesheets, over HTTP against the real
 * serve, while other writes go on (a writer thread and writes between pages). */
#include "harness.h"
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* GET path; the whole parsed answer (data and pagination), status checked. */
static json_t *get(const char *tok, const char *path, long want)
{
	harness_response r = harness_request("GET", path, tok, NULL, NULL);
	cr_assert_eq(r.status, want, "GET %s: want %ld, got %ld: %s", path, want, r.status, r.body);
	json_t *out = json_incref(r.json);
	harness_response_free(&r);
	return out;
}

static const char *error_code(const char *tok, const char *path, long want)
{
	static char code[64];
	harness_response r = harness_request("GET", path, tok, NULL, NULL);
	cr_assert_eq(r.status, want, "GET %s: want %ld, got %ld: %s", path, want, r.status, r.body);
	snprintf(code, sizeof code, "%s", harness_error_code(&r) ? harness_error_code(&r) : "");
	harness_response_free(&r);
	return code;
}

/* An entry with this description on date; its id (malloc'd), or NULL when
 * the call failed (callable from the writer thread: no assertion). */
static char *create(const harness_ws *w, const char *description, const char *date)
{
	char body[512];
	snprintf(body, sizeof body,
		 "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":0.5,\"log_date\":\"%s\",\"description\":\"%s\"}",
		 harness_demo_id(w, "tasks", 0), date, description);
	harness_response r = harness_request("POST", "/api/v1/time-entries", w->admin_tok, body, NULL);
	char *id = r.status == 201 ? strdup(str(harness_data(&r), "id")) : NULL;
	harness_response_free(&r);
	return id;
}

static bool edit(const harness_ws *w, const char *id, const char *description)
{
	char path[128], body[256];
	snprintf(path, sizeof path, "/api/v1/time-entries/%s", id);
	snprintf(body, sizeof body, "{\"description\":\"%s\"}", description);
	harness_response r = harness_request("PATCH", path, w->admin_tok, body, NULL);
	bool ok = r.status == 200;
	harness_response_free(&r);
	return ok;
}

static bool delete(const harness_ws *w, const char *id)
{
	char path[128];
	snprintf(path, sizeof path, "/api/v1/time-entries/%s", id);
	harness_response r = harness_request("DELETE", path, w->admin_tok, NULL, NULL);
	bool ok = r.status == 200;
	harness_response_free(&r);
	return ok;
}

/* ---- the writer: creates, edits and deletes while the sync runs ---- */

typedef struct {
	const harness_ws *w;
	int ops, failures;
} writer_t;

static void *writer(void *arg)
{
	writer_t *wr = arg;
	char *ids[64] = { 0 };
	int n = 0;
	for (int i = 0; i < wr->ops; i++) {
		char desc[32];
		snprintf(desc, sizeof desc, "w%d", i); /* every version has its own description */
		if (i % 3 == 0 || n == 0) {
			char *id = create(wr->w, desc, i % 2 ? "2026-04-27" : "2026-04-28");
			if (id)
				ids[n++] = id;
			else
				wr->failures++;
		} else if (i % 3 == 1) {
			wr->failures += !edit(wr->w, ids[i % n], desc);
		} else if (ids[n - 1]) {
			wr->failures += !delete(wr->w, ids[n - 1]);
			free(ids[--n]);
			ids[n] = NULL;
		}
	}
	for (int i = 0; i < n; i++)
		free(ids[i]);
	return NULL;
}

/* ---- the copy ---- */

typedef struct {
	json_t *rows;     /* id -> entry, live ones only */
	json_t *versions; /* "id|description|deleted" seen, to catch a repeat */
	char cursor[512];
	long received;
} copy_t;

/* One page of the sync; applies it; returns has_more. */
static bool sync_page(const harness_ws *w, copy_t *c, const char *since, int limit)
{
	char path[1024];
	if (c->cursor[0])
		snprintf(path, sizeof path, "/api/v1/time-entries?updated_since=%s&limit=%d&starting_after=%s", since, limit,
			 c->cursor);
	else
		snprintf(path, sizeof path, "/api/v1/time-entries?updated_since=%s&limit=%d", since, limit);
	json_t *ans = get(w->admin_tok, path, 200);
	json_t *p = json_object_get(ans, "pagination"), *row;
	cr_assert_null(json_object_get(p, "page"), "a sync page has no page number");
	cr_assert_null(json_object_get(p, "total"));
	cr_assert(str(p, "next_cursor"), "a sync always says where to resume");
	size_t i;
	cr_assert_leq(json_array_size(json_object_get(ans, "data")), (size_t)limit);
	json_array_foreach(json_object_get(ans, "data"), i, row) {
		bool deleted = !json_is_null(json_object_get(row, "deleted_at"));
		cr_assert(json_object_get(row, "deleted_at"), "sync rows carry deleted_at");
		char version[160];
		snprintf(version, sizeof version, "%s|%s|%d", str(row, "id"), str(row, "description"), deleted);
		cr_assert_null(json_object_get(c->versions, version), "version %s came twice", version);
		json_object_set_new(c->versions, version, json_true());
		if (deleted)
			json_object_del(c->rows, str(row, "id"));
		else
			json_object_set(c->rows, str(row, "id"), row);
		c->received++;
	}
	snprintf(c->cursor, sizeof c->cursor, "%s", str(p, "next_cursor"));
	bool more = json_is_true(json_object_get(p, "has_more"));
	json_decref(ans);
	return more;
}

/* The copy equals the live entries (ids and descriptions). */
static void same_as_server(const harness_ws *w, copy_t *c)
{
	json_t *all = get(w->admin_tok, "/api/v1/time-entries?limit=200", 200), *row;
	json_t *data = json_object_get(all, "data");
	cr_assert_lt(json_array_size(data), 200);
	size_t i;
	json_array_foreach(data, i, row) {
		cr_assert_null(json_object_get(row, "deleted_at"), "the ordinary list is unchanged: no deleted_at");
		json_t *mine = json_object_get(c->rows, str(row, "id"));
		cr_assert(mine, "entry %s (%s) was skipped", str(row, "id"), str(row, "description"));
		cr_assert_str_eq(str(mine, "description"), str(row, "description"), "entry %s is stale", str(row, "id"));
		cr_assert_str_eq(str(mine, "updated_at"), str(row, "updated_at"));
	}
	cr_assert_eq(json_object_size(c->rows), json_array_size(data), "the copy holds %zu entries, the server %zu",
		     json_object_size(c->rows), json_array_size(data));
	json_decref(all);
}

Test(sync, follows_creates_edits_and_deletes_while_writes_go_on, .timeout = 180)
{
	harness_ws w;
	harness_workspace(&w, "pro", "projects");
	char *seed[6];
	for (int i = 0; i < 6; i++) {
		char d[16];
		snprintf(d, sizeof d, "m%d", i);
		cr_assert((seed[i] = create(&w, d, "2026-04-29")));
	}
	copy_t c = { .rows = json_object(), .versions = json_object() };
	const char *since = "2000-01-01T00:00:00Z";
	writer_t wr = { .w = &w, .ops = 45 };
	pthread_t t;
	cr_assert_eq(pthread_create(&t, NULL, writer, &wr), 0);

	/* The first page, then writes behind and ahead of the cursor. */
	bool more = sync_page(&w, &c, since, 3);
	cr_assert(more);
	json_t *copied = json_deep_copy(c.rows);
	const char *key;
	json_t *v;
	int k = 0;
	json_object_foreach(copied, key, v) {
		if (k == 0)
			cr_assert(edit(&w, key, "edited-after-copy"));
		else if (k == 1)
			cr_assert(delete(&w, key));
		k++;
	}
	for (int i = 0; i < 6; i++)
		if (!json_object_get(copied, seed[i])) {
			cr_assert(edit(&w, seed[i], "edited-before-copy"));
			break;
		}
	char *late = create(&w, "created-mid-sync", "2026-04-30");
	cr_assert(late);
	json_decref(copied);

	while (more)
		more = sync_page(&w, &c, since, 3);
	pthread_join(t, NULL);
	cr_assert_eq(wr.failures, 0, "the writer's calls failed %d times", wr.failures);
	/* Everything written has committed: drain until a page brings nothing
	 * (a transaction of another client may hold the bound back a moment). */
	long before;
	int empty = 0;
	for (int i = 0; i < 400 && empty < 2; i++) {
		before = c.received;
		while (sync_page(&w, &c, since, 3))
			;
		empty = c.received == before ? empty + 1 : 0;
		if (empty < 2)
			usleep(20 * 1000);
	}
	same_as_server(&w, &c);
	cr_assert(json_object_get(c.rows, late), "the entry created mid-sync is in the copy");
	/* An idle sync resumes where it was: nothing new, same cursor. */
	char cursor[512];
	snprintf(cursor, sizeof cursor, "%s", c.cursor);
	cr_assert(!sync_page(&w, &c, since, 3));
	cr_assert_str_eq(c.cursor, cursor);

	for (int i = 0; i < 6; i++)
		free(seed[i]);
	free(late);
	json_decref(c.rows), json_decref(c.versions);
	harness_workspace_free(&w);
}

/* Transactions commit out of order: one that began writing first commits
 * last. Its row must not be skipped although a later one's row was read
 * meanwhile: the sync holds back what follows a transaction still running. */
Test(sync, out_of_order_commits_are_not_skipped)
{
	harness_ws w;
	harness_workspace(&w, "pro", "projects");
	char *first = create(&w, "first", "2026-04-29");
	cr_assert(first);
	copy_t c = { .rows = json_object(), .versions = json_object() };
	const char *since = "2000-01-01T00:00:00Z";
	while (sync_page(&w, &c, since, 10))
		;
	cr_assert_eq(c.received, 1);
	/* A writer of our own takes its transaction id first and holds it. */
	PGconn *held = PQconnectdb(getenv("DATABASE_URL"));
	cr_assert_eq(PQstatus(held), CONNECTION_OK);
	PQclear(PQexec(held, "BEGIN"));
	const char *params[1] = { first };
	PGresult *r = PQexecParams(held, "UPDATE time_entries SET description = 'held' WHERE id = $1", 1, NULL, params,
				   NULL, NULL, 0);
	cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK, "%s", PQresultErrorMessage(r));
	PQclear(r);
	/* A later transaction commits meanwhile: the sync waits for the held one. */
	char *later = create(&w, "later", "2026-04-29");
	cr_assert(later);
	char cursor[512];
	snprintf(cursor, sizeof cursor, "%s", c.cursor);
	cr_assert(!sync_page(&w, &c, since, 10));
	cr_assert_eq(c.received, 1, "a row committed after a running transaction's came first");
	cr_assert_str_eq(c.cursor, cursor);
	PQclear(PQexec(held, "COMMIT"));
	PQfinish(held);
	while (sync_page(&w, &c, since, 10))
		;
	cr_assert_eq(c.received, 3);
	cr_assert_str_eq(str(json_object_get(c.rows, first), "description"), "held");
	cr_assert(json_object_get(c.rows, later));
	same_as_server(&w, &c);
	free(first), free(later);
	json_decref(c.rows), json_decref(c.versions);
	harness_workspace_free(&w);
}

/* A member's sync holds the member's entries only, tombstones included. */
Test(sync, members_follow_their_own_entries)
{
	harness_ws w;
	harness_workspace(&w, "pro", "projects");
	char *mine = NULL, body[512];
	snprintf(body, sizeof body,
		 "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":1,\"log_date\":\"2026-04-29\"}",
		 harness_demo_id(&w, "tasks", 0));
	json_t *e = harness_call(201, w.member_tok, "POST", "/api/v1/time-entries", "%s", body);
	mine = strdup(str(e, "id"));
	json_decref(e);
	free(create(&w, "the admin's", "2026-04-29"));
	char path[160];
	snprintf(path, sizeof path, "/api/v1/time-entries/%s", mine);
	json_decref(harness_call(200, w.member_tok, "DELETE", path, "%s", ""));
	json_t *ans = get(w.member_tok, "/api/v1/time-entries?updated_since=2000-01-01T00:00:00Z", 200);
	json_t *data = json_object_get(ans, "data");
	cr_assert_eq(json_array_size(data), 1);
	cr_assert_str_eq(str(json_array_get(data, 0), "id"), mine);
	cr_assert(str(json_array_get(data, 0), "deleted_at"), "the tombstone has deleted_at");
	json_decref(ans);
	/* The ordinary list does not show it. */
	ans = get(w.member_tok, "/api/v1/time-entries", 200);
	cr_assert_eq(json_array_size(json_object_get(ans, "data")), 0);
	json_decref(ans);
	free(mine);
	harness_workspace_free(&w);
}

/* Cursors on the ordinary list: the same rows in the same order as pages,
 * and stable while rows are added ahead of the cursor (offsets would repeat). */
Test(sync, list_cursor_walks_the_sort_order_stably)
{
	harness_ws w;
	harness_workspace(&w, "pro", "projects");
	static const char *const dates[] = { "2026-04-20", "2026-04-22", "2026-04-22", "2026-04-21", "2026-04-22",
					     "2026-04-19", "2026-04-23" };
	for (size_t i = 0; i < sizeof dates / sizeof *dates; i++)
		free(create(&w, "walk", dates[i]));
	json_t *all = get(w.admin_tok, "/api/v1/time-entries?limit=200", 200);
	json_t *want = json_object_get(all, "data");
	json_t *first = get(w.admin_tok, "/api/v1/time-entries?limit=2", 200);
	json_t *p = json_object_get(first, "pagination");
	cr_assert_eq(json_integer_value(json_object_get(p, "page")), 1);
	cr_assert_eq(json_integer_value(json_object_get(p, "total")), 7);
	cr_assert(json_is_true(json_object_get(p, "has_more")));
	json_t *got = json_array();
	json_array_extend(got, json_object_get(first, "data"));
	char cursor[512];
	snprintf(cursor, sizeof cursor, "%s", str(p, "next_cursor"));
	json_decref(first);
	/* A new entry that sorts first: ahead of the cursor, never seen, nothing shifts. */
	free(create(&w, "ahead", "2026-04-30"));
	for (int guard = 0; cursor[0] && guard < 10; guard++) {
		char path[700];
		snprintf(path, sizeof path, "/api/v1/time-entries?limit=2&starting_after=%s", cursor);
		json_t *ans = get(w.admin_tok, path, 200);
		p = json_object_get(ans, "pagination");
		cr_assert_null(json_object_get(p, "total"), "cursor pages have no total");
		json_array_extend(got, json_object_get(ans, "data"));
		snprintf(cursor, sizeof cursor, "%s", json_is_true(json_object_get(p, "has_more")) ? str(p, "next_cursor") : "");
		if (!cursor[0])
			cr_assert(json_is_null(json_object_get(p, "next_cursor")));
		json_decref(ans);
	}
	cr_assert_eq(json_array_size(got), json_array_size(want));
	for (size_t i = 0; i < json_array_size(want); i++)
		cr_assert_str_eq(str(json_array_get(got, i), "id"), str(json_array_get(want, i), "id"), "row %zu", i);
	json_decref(got), json_decref(all);
	harness_workspace_free(&w);
}

Test(sync, bad_cursors_and_parameters_are_refused)
{
	harness_ws w;
	harness_workspace(&w, "pro", "projects");
	free(create(&w, "a", "2026-04-20"));
	free(create(&w, "b", "2026-04-21"));
	json_t *list = get(w.admin_tok, "/api/v1/time-entries?limit=1", 200);
	char list_cursor[512], sync_cursor[512], ts_cursor[512], path[1200];
	snprintf(list_cursor, sizeof list_cursor, "%s", str(json_object_get(list, "pagination"), "next_cursor"));
	json_decref(list);
	json_t *s = get(w.admin_tok, "/api/v1/time-entries?updated_since=2000-01-01T00:00:00Z&limit=1", 200);
	snprintf(sync_cursor, sizeof sync_cursor, "%s", str(json_object_get(s, "pagination"), "next_cursor"));
	json_decref(s);
	s = get(w.admin_tok, "/api/v1/timesheets?updated_since=2000-01-01T00:00:00Z", 200);
	snprintf(ts_cursor, sizeof ts_cursor, "%s", str(json_object_get(s, "pagination"), "next_cursor"));
	json_decref(s);

	cr_assert_str_eq(error_code(w.admin_tok, "/api/v1/time-entries?starting_after=garbage", 400), "invalid_cursor");
	cr_assert_str_eq(error_code(w.admin_tok, "/api/v1/time-entries?starting_after=ZXM6MTIzOic7RFJPUA", 400),
			 "invalid_cursor"); /* "es:123:';DROP" */
	snprintf(path, sizeof path, "/api/v1/time-entries?starting_after=%s", ts_cursor);
	cr_assert_str_eq(error_code(w.admin_tok, path, 400), "invalid_cursor");
	snprintf(path, sizeof path, "/api/v1/time-entries?updated_since=2000-01-01T00:00:00Z&starting_after=%s", list_cursor);
	cr_assert_str_eq(error_code(w.admin_tok, path, 400), "invalid_cursor");
	snprintf(path, sizeof path, "/api/v1/time-entries?page=2&starting_after=%s", list_cursor);
	cr_assert_str_eq(error_code(w.admin_tok, path, 422), "validation_failed");
	cr_assert_str_eq(error_code(w.admin_tok, "/api/v1/time-entries?updated_since=yesterday", 422), "validation_failed");
	cr_assert_str_eq(error_code(w.admin_tok, "/api/v1/time-entries?updated_since=2000-01-01T00:00:00Z&page=2", 422),
			 "validation_failed");
	cr_assert_str_eq(error_code(w.admin_tok, "/api/v1/timesheets?updated_since=2026-13-01T00:00:00Z", 422),
			 "validation_failed");
	/* A sync cursor goes on without updated_since. */
	snprintf(path, sizeof path, "/api/v1/time-entries?starting_after=%s", sync_cursor);
	json_t *ans = get(w.admin_tok, path, 200);
	cr_assert_eq(json_array_size(json_object_get(ans, "data")), 1);
	cr_assert(json_object_get(json_array_get(json_object_get(ans, "data"), 0), "deleted_at"));
	json_decref(ans);
	harness_workspace_free(&w);
}

/* Timesheets: a submit moves the timesheet past a sync's cursor. */
Test(sync, timesheets_follow_their_transitions)
{
	harness_ws w;
	harness_workspace(&w, "pro", "projects");
	free(create(&w, "week", "2026-04-29"));
	json_t *ans = get(w.admin_tok, "/api/v1/timesheets?updated_since=2000-01-01T00:00:00Z", 200);
	json_t *data = json_object_get(ans, "data");
	cr_assert_eq(json_array_size(data), 1);
	char id[64], cursor[512], path[800];
	snprintf(id, sizeof id, "%s", str(json_array_get(data, 0), "id"));
	snprintf(cursor, sizeof cursor, "%s", str(json_object_get(ans, "pagination"), "next_cursor"));
	json_decref(ans);
	snprintf(path, sizeof path, "/api/v1/timesheets?starting_after=%s", cursor);
	ans = get(w.admin_tok, path, 200);
	cr_assert_eq(json_array_size(json_object_get(ans, "data")), 0);
	json_decref(ans);
	char submit[128];
	snprintf(submit, sizeof submit, "/api/v1/timesheets/%s/submit", id);
	json_decref(harness_call(200, w.admin_tok, "POST", submit, "%s", ""));
	ans = get(w.admin_tok, path, 200);
	data = json_object_get(ans, "data");
	cr_assert_eq(json_array_size(data), 1);
	cr_assert_str_eq(str(json_array_get(data, 0), "status"), "submitted");
	json_decref(ans);
	/* The ordinary list pages by cursor too. */
	ans = get(w.admin_tok, "/api/v1/timesheets?limit=1", 200);
	cr_assert(json_is_false(json_object_get(json_object_get(ans, "pagination"), "has_more")));
	json_decref(ans);
	harness_workspace_free(&w);
}
