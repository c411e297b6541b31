/* Workspace isolation: a caller of workspace A who uses workspace B's ids
 * gets 404 on every endpoint that takes an id, B's rows stay as they were,
 * A's lists never show B's rows, and A's entries cannot point at B's records. */
#include "harness.h"
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Two workspaces. In B the member has a draft timesheet (entry eb) and a
 * submitted one (entry eb_sub); in A the member has entry ea. */
typedef struct {
	harness_ws a, b;
	char eb[64], tsb[64], eb_sub[64], tsb_sub[64], ea[64];
	char *a_jwt; /* A's admin, by session JWT */
} iso_world;

/* Sends a request and returns the response; status not asserted. */
__attribute__((format(printf, 4, 5))) static harness_response iso_send(const char *tok, const char *method,
									const char *body, const char *fmt, ...)
{
	char path[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(path, sizeof path, fmt, ap);
	va_end(ap);
	return harness_request(method, path, tok, body, NULL);
}

static const char *iso_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* Logs an hour on date for tok's user on task; copies the entry and timesheet ids. */
static void iso_entry(const char *tok, const char *task, const char *date, char id[64], char ts[64])
{
	char body[512];
	snprintf(body, sizeof body, "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"log_date\":\"%s\",\"hours\":1}", task,
		 date);
	harness_response r = iso_send(tok, "POST", body, "/api/v1/time-entries");
	cr_assert_eq(r.status, 201, "setup entry: %s", r.body);
	json_t *d = harness_data(&r);
	snprintf(id, 64, "%s", iso_str(d, "id"));
	if (ts)
		snprintf(ts, 64, "%s", iso_str(d, "timesheet_id"));
	harness_response_free(&r);
}

static void iso_setup(iso_world *x)
{
	memset(x, 0, sizeof *x);
	harness_workspace(&x->a, "free", NULL);
	harness_workspace(&x->b, "free", NULL);
	iso_entry(x->b.member_tok, harness_demo_id(&x->b, "tasks", 0), "2026-04-29", x->eb, x->tsb);
	iso_entry(x->b.member_tok, harness_demo_id(&x->b, "tasks", 0), "2026-04-22", x->eb_sub, x->tsb_sub);
	harness_response r = iso_send(x->b.member_tok, "POST", NULL, "/api/v1/timesheets/%s/submit", x->tsb_sub);
	cr_assert_eq(r.status, 200, "setup submit: %s", r.body);
	harness_response_free(&r);
	iso_entry(x->a.member_tok, harness_demo_id(&x->a, "tasks", 0), "2026-04-29", x->ea, NULL);
	x->a_jwt = harness_jwt(x->a.admin, 600, HARNESS_JWT_SECRET);
}

static void iso_teardown(iso_world *x)
{
	free(x->a_jwt);
	harness_workspace_free(&x->a);
	harness_workspace_free(&x->b);
}

/* Every credential of workspace A, by role. */
static void iso_a_tokens(const iso_world *x, const char *toks[5])
{
	toks[0] = x->a.admin_tok;
	toks[1] = x->a.manager_tok;
	toks[2] = x->a.member_tok;
	toks[3] = x->a_jwt;
	toks[4] = NULL;
}

/* The row as PostgreSQL prints it (malloc'd), to compare before and after. */
static char *iso_snapshot(const char *table, const char *id)
{
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT row_to_json(t)::text FROM %s t WHERE id = $1", table);
	PGresult *r = harness_sql(sql, 1, id);
	cr_assert_eq(PQntuples(r), 1, "%s %s exists", table, id);
	char *s = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	return s;
}

static long iso_count(const char *table, const char *ws)
{
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE workspace_id = $1", table);
	return harness_sql_long(sql, 1, ws);
}

/* Asserts the answer is a 404 not_found that shows none of B's data. */
static void iso_expect_404(const iso_world *x, harness_response *r, const char *what)
{
	cr_assert_eq(r->status, 404, "%s: expected 404, got %ld: %s", what, r->status, r->body);
	const char *code = harness_error_code(r);
	cr_assert_str_eq(code ? code : "(none)", "not_found", "%s", what);
	cr_assert(!harness_data(r), "%s: a 404 carries no data", what);
	cr_assert(!strstr(r->body, x->b.ws) && !strstr(r->body, x->b.member), "%s: the answer shows B's data: %s", what,
		  r->body);
	harness_response_free(r);
}

/* B's rows, and B's audit and outbox, as they stand. */
typedef struct {
	char *rows[4];
	long audits, events, entries, sheets;
} iso_b_state;

static void iso_b_capture(const iso_world *x, iso_b_state *s)
{
	s->rows[0] = iso_snapshot("time_entries", x->eb);
	s->rows[1] = iso_snapshot("time_entries", x->eb_sub);
	s->rows[2] = iso_snapshot("timesheets", x->tsb);
	s->rows[3] = iso_snapshot("timesheets", x->tsb_sub);
	s->audits = iso_count("audit_log", x->b.ws);
	s->events = iso_count("time_webhook_events", x->b.ws);
	s->entries = iso_count("time_entries", x->b.ws);
	s->sheets = iso_count("timesheets", x->b.ws);
}

static void iso_b_assert_unchanged(const iso_world *x, iso_b_state *before)
{
	iso_b_state now;
	iso_b_capture(x, &now);
	for (int i = 0; i < 4; i++) {
		cr_assert_str_eq(now.rows[i], before->rows[i], "B's row changed");
		free(now.rows[i]);
		free(before->rows[i]);
	}
	cr_assert_eq(now.audits, before->audits, "B's audit log changed");
	cr_assert_eq(now.events, before->events, "B's outbox changed");
	cr_assert_eq(now.entries, before->entries);
	cr_assert_eq(now.sheets, before->sheets);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM audit_log WHERE workspace_id <> $1 AND entity_id IN ($2, $3, $4, $5)",
				      5, x->b.ws, x->eb, x->eb_sub, x->tsb, x->tsb_sub),
		     0, "nothing about B's records was audited elsewhere");
}

Test(isolation, entry_ids_of_another_workspace_are_404)
{
	iso_world x;
	iso_setup(&x);
	iso_b_state before;
	iso_b_capture(&x, &before);
	const char *toks[5];
	iso_a_tokens(&x, toks);
	for (const char **t = toks; *t; t++) {
		harness_response r = iso_send(*t, "GET", NULL, "/api/v1/time-entries/%s", x.eb);
		iso_expect_404(&x, &r, "GET time-entries/{B}");
		r = iso_send(*t, "PATCH", "{\"description\":\"from A\"}", "/api/v1/time-entries/%s", x.eb);
		iso_expect_404(&x, &r, "PATCH time-entries/{B}");
		r = iso_send(*t, "PATCH", "{\"hours\":3,\"billable\":false}", "/api/v1/time-entries/%s", x.eb);
		iso_expect_404(&x, &r, "PATCH time-entries/{B} hours");
		r = iso_send(*t, "DELETE", NULL, "/api/v1/time-entries/%s", x.eb);
		iso_expect_404(&x, &r, "DELETE time-entries/{B}");
		/* An entry of a submitted period: still 404, not 409. */
		r = iso_send(*t, "PATCH", "{\"description\":\"from A\"}", "/api/v1/time-entries/%s", x.eb_sub);
		iso_expect_404(&x, &r, "PATCH time-entries/{B, locked}");
		r = iso_send(*t, "DELETE", NULL, "/api/v1/time-entries/%s", x.eb_sub);
		iso_expect_404(&x, &r, "DELETE time-entries/{B, locked}");
	}
	iso_b_assert_unchanged(&x, &before);
	/* B still sees its own entry as it was. */
	harness_response r = iso_send(x.b.member_tok, "GET", NULL, "/api/v1/time-entries/%s", x.eb);
	cr_assert_eq(r.status, 200);
	cr_assert_str_eq(iso_str(harness_data(&r), "description"), "");
	harness_response_free(&r);
	iso_teardown(&x);
}

Test(isolation, timesheet_ids_of_another_workspace_are_404)
{
	iso_world x;
	iso_setup(&x);
	iso_b_state before;
	iso_b_capture(&x, &before);
	const char *toks[5];
	iso_a_tokens(&x, toks);
	for (const char **t = toks; *t; t++) {
		harness_response r = iso_send(*t, "GET", NULL, "/api/v1/timesheets/%s", x.tsb);
		iso_expect_404(&x, &r, "GET timesheets/{B}");
		r = iso_send(*t, "GET", NULL, "/api/v1/timesheets/%s", x.tsb_sub);
		iso_expect_404(&x, &r, "GET timesheets/{B, submitted}");
		r = iso_send(*t, "PATCH", "{\"notes\":\"from A\"}", "/api/v1/timesheets/%s", x.tsb);
		iso_expect_404(&x, &r, "PATCH timesheets/{B}");
		r = iso_send(*t, "POST", NULL, "/api/v1/timesheets/%s/submit", x.tsb);
		iso_expect_404(&x, &r, "submit timesheets/{B}");
		r = iso_send(*t, "POST", NULL, "/api/v1/timesheets/%s/approve", x.tsb_sub);
		iso_expect_404(&x, &r, "approve timesheets/{B}");
		r = iso_send(*t, "POST", "{\"reason\":\"from A\"}", "/api/v1/timesheets/%s/reject", x.tsb_sub);
		iso_expect_404(&x, &r, "reject timesheets/{B}");
	}
	iso_b_assert_unchanged(&x, &before);
	harness_response r = iso_send(x.b.manager_tok, "GET", NULL, "/api/v1/timesheets/%s", x.tsb_sub);
	cr_assert_eq(r.status, 200);
	cr_assert_str_eq(iso_str(harness_data(&r), "status"), "submitted");
	cr_assert_str_eq(iso_str(harness_data(&r), "notes"), "");
	harness_response_free(&r);
	iso_teardown(&x);
}

/* Asserts a list answer from A holds none of B's rows: either a refusal
 * (403/404/422) or a 200 whose rows are all A's; with must_be_empty, no rows. */
static void iso_list_clean(const iso_world *x, const char *tok, const char *path, bool must_be_empty)
{
	harness_response r = iso_send(tok, "GET", NULL, "%s", path);
	cr_assert(r.status == 200 || r.status == 403 || r.status == 404 || r.status == 422, "GET %s: %ld %s", path,
		  r.status, r.body);
	const char *marks[] = { x->b.ws, x->eb, x->eb_sub, x->tsb, x->tsb_sub, NULL };
	for (const char **m = marks; *m; m++)
		cr_assert(!strstr(r.body, *m), "GET %s shows B's %s: %s", path, *m, r.body);
	if (r.status == 200) {
		json_t *list = harness_data(&r);
		cr_assert(json_is_array(list), "GET %s: data is a list", path);
		size_t i;
		json_t *row;
		json_array_foreach(list, i, row) cr_assert_str_eq(iso_str(row, "workspace_id"), x->a.ws, "GET %s", path);
		if (must_be_empty) {
			cr_assert_eq(json_array_size(list), 0, "GET %s: expected no rows", path);
			cr_assert_eq(json_integer_value(json_object_get(json_object_get(r.json, "pagination"), "total")), 0,
				     "GET %s: the total counts B's rows", path);
		}
	} else {
		cr_assert(!harness_data(&r), "GET %s: a refusal carries no data", path);
	}
	harness_response_free(&r);
}

Test(isolation, lists_never_show_another_workspace)
{
	iso_world x;
	iso_setup(&x);
	/* B's member has a running timer too. */
	char body[256], path[256];
	snprintf(body, sizeof body, "{\"entity_type\":\"task\",\"entity_id\":\"%s\"}", harness_demo_id(&x.b, "tasks", 0));
	harness_response r = iso_send(x.b.member_tok, "POST", body, "/api/v1/time/timer/start");
	cr_assert_eq(r.status, 201, "%s", r.body);
	char running[64];
	snprintf(running, sizeof running, "%s", iso_str(harness_data(&r), "id"));
	harness_response_free(&r);

	const char *toks[5];
	iso_a_tokens(&x, toks);
	for (const char **t = toks; *t; t++) {
		iso_list_clean(&x, *t, "/api/v1/time-entries", false);
		iso_list_clean(&x, *t, "/api/v1/timesheets", false);
		iso_list_clean(&x, *t, "/api/v1/time-entries?status=running", true);
		iso_list_clean(&x, *t, "/api/v1/timesheets?status=submitted", true);
		const char *b_users[] = { x.b.member, x.b.manager, x.b.admin, NULL };
		for (const char **u = b_users; *u; u++) {
			snprintf(path, sizeof path, "/api/v1/time-entries?user_id=%s", *u);
			iso_list_clean(&x, *t, path, true);
			snprintf(path, sizeof path, "/api/v1/timesheets?user_id=%s", *u);
			iso_list_clean(&x, *t, path, true);
		}
		snprintf(path, sizeof path, "/api/v1/time-entries?entity_id=%s", harness_demo_id(&x.b, "tasks", 0));
		iso_list_clean(&x, *t, path, true);
		snprintf(path, sizeof path, "/api/v1/time-entries?project_id=%s", harness_demo_id(&x.b, "projects", 0));
		iso_list_clean(&x, *t, path, true);

		r = iso_send(*t, "GET", NULL, "/api/v1/time/timer/active");
		cr_assert_eq(r.status, 200);
		cr_assert(json_is_null(harness_data(&r)), "A's caller has no timer: %s", r.body);
		cr_assert(!strstr(r.body, running));
		harness_response_free(&r);
	}
	/* A's own lists still work: A's manager sees A's entry. */
	r = iso_send(x.a.manager_tok, "GET", NULL, "/api/v1/time-entries");
	cr_assert_eq(r.status, 200);
	cr_assert_eq(json_array_size(harness_data(&r)), 1);
	cr_assert_str_eq(iso_str(json_array_get(harness_data(&r), 0), "id"), x.ea);
	harness_response_free(&r);
	/* B's timer is untouched by A's calls. */
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_entries WHERE id = $1 AND ended_at IS NULL", 1, running), 1);
	iso_teardown(&x);
}

/* Asserts the request is refused with 422 validation_failed. */
static void iso_expect_422(const char *tok, const char *method, const char *path, const char *body)
{
	harness_response r = iso_send(tok, method, body, "%s", path);
	cr_assert_eq(r.status, 422, "%s %s %s: expected 422, got %ld: %s", method, path, body, r.status, r.body);
	const char *code = harness_error_code(&r);
	cr_assert_str_eq(code ? code : "(none)", "validation_failed");
	harness_response_free(&r);
}

Test(isolation, entries_cannot_reference_another_workspace)
{
	iso_world x;
	iso_setup(&x);
	static const struct {
		const char *type, *list;
	} kinds[] = { { "task", "tasks" },
		      { "project", "projects" },
		      { "ticket", "tickets" },
		      { "deal", "deals" },
		      { "candidate", "candidates" },
		      { "calendar_event", "calendar_events" },
		      { "conversation", "conversations" } };
	char body[512], path[128];
	char *ea_before = iso_snapshot("time_entries", x.ea);
	const char *callers[] = { x.a.member_tok, x.a.manager_tok, NULL };
	for (const char **t = callers; *t; t++) {
		for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
			const char *bid = harness_demo_id(&x.b, kinds[i].list, 0);
			cr_assert(bid, "B has a demo %s", kinds[i].list);
			snprintf(body, sizeof body,
				 "{\"entity_type\":\"%s\",\"entity_id\":\"%s\",\"log_date\":\"2026-04-28\",\"hours\":1}",
				 kinds[i].type, bid);
			iso_expect_422(*t, "POST", "/api/v1/time-entries", body);
			snprintf(body, sizeof body, "{\"entity_type\":\"%s\",\"entity_id\":\"%s\"}", kinds[i].type, bid);
			iso_expect_422(*t, "POST", "/api/v1/time/timer/start", body);
			snprintf(path, sizeof path, "/api/v1/time-entries/%s", x.ea);
			snprintf(body, sizeof body, "{\"entity_type\":\"%s\",\"entity_id\":\"%s\"}", kinds[i].type, bid);
			iso_expect_422(*t, "PATCH", path, body);
		}
		/* B's project, given as project_id beside an entity of A or alone. */
		const char *bprj = harness_demo_id(&x.b, "projects", 0);
		snprintf(body, sizeof body,
			 "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"project_id\":\"%s\",\"log_date\":\"2026-04-28\",\"hours\":1}",
			 harness_demo_id(&x.a, "tasks", 0), bprj);
		iso_expect_422(*t, "POST", "/api/v1/time-entries", body);
		snprintf(body, sizeof body,
			 "{\"entity_type\":\"project\",\"project_id\":\"%s\",\"log_date\":\"2026-04-28\",\"hours\":1}", bprj);
		iso_expect_422(*t, "POST", "/api/v1/time-entries", body);
		snprintf(body, sizeof body, "{\"entity_type\":\"deal\",\"entity_id\":\"%s\",\"project_id\":\"%s\"}",
			 harness_demo_id(&x.a, "deals", 0), bprj);
		iso_expect_422(*t, "POST", "/api/v1/time/timer/start", body);
		snprintf(path, sizeof path, "/api/v1/time-entries/%s", x.ea);
		snprintf(body, sizeof body, "{\"project_id\":\"%s\"}", bprj);
		iso_expect_422(*t, "PATCH", path, body);
	}
	/* Nor log time for B's people. */
	snprintf(body, sizeof body,
		 "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"log_date\":\"2026-04-28\",\"hours\":1,\"user_id\":\"%s\"}",
		 harness_demo_id(&x.a, "tasks", 0), x.b.member);
	iso_expect_422(x.a.manager_tok, "POST", "/api/v1/time-entries", body);
	iso_expect_422(x.a.admin_tok, "POST", "/api/v1/time-entries", body);

	char *ea_after = iso_snapshot("time_entries", x.ea);
	cr_assert_str_eq(ea_after, ea_before, "refused patches left A's entry as it was");
	cr_assert_eq(iso_count("time_entries", x.a.ws), 1, "nothing was created in A");
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_entries WHERE workspace_id = $1 AND user_id = $2", 2,
				      x.a.ws, x.b.member),
		     0, "no entry of B's member was made outside B");
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_entries WHERE user_id = $1", 1, x.b.member), 2);
	free(ea_after);
	free(ea_before);
	iso_teardown(&x);
}
