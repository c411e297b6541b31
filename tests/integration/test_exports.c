/* CSV exports over HTTP: GET /api/v1/time-entries.csv (the list's filters)
 * and GET /api/v1/time/reports/summary.csv; the files are read back with an
 * RFC 4180 parser written here, not with the writer's code. */
#include "harness.h"
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char ENTRIES_HEADER[] = "id,user_id,log_date,entity_type,entity_id,project_id,description,hours,"
				     "duration_seconds,billable,status,hourly_rate,currency,invoiced,source,started_at,"
				     "ended_at,created_at,updated_at";

/* Parses RFC 4180 text into an array of rows (arrays of strings). */
static json_t *parse_csv(const char *s, size_t len)
{
	json_t *rows = json_array(), *row = json_array();
	char *cell = malloc(len + 1);
	size_t n = 0, i = 0;
	bool quoted = false;
	while (i < len) {
		char ch = s[i++];
		if (quoted) {
			if (ch == '"' && i < len && s[i] == '"')
				cell[n++] = '"', i++;
			else if (ch == '"')
				quoted = false;
			else
				cell[n++] = ch;
		} else if (ch == '"' && n == 0) {
			quoted = true;
		} else if (ch == ',' || ch == '\n' || (ch == '\r' && i < len && s[i] == '\n')) {
			cell[n] = '\0';
			json_array_append_new(row, json_stringn(cell, n));
			n = 0;
			if (ch != ',') {
				if (ch == '\r')
					i++;
				json_array_append_new(rows, row);
				row = json_array();
			}
		} else {
			cell[n++] = ch;
		}
	}
	cr_assert(!quoted && n == 0, "the file does not end with a complete line");
	json_decref(row);
	free(cell);
	return rows;
}

static const char *cell(json_t *rows, size_t r, size_t c)
{
	return json_string_value(json_array_get(json_array_get(rows, r), c));
}

static char *entry(const char *tok, const harness_ws *w, const char *description, const char *date, int task)
{
	json_t *b = json_pack("{s:s, s:s, s:f, s:s, s:s}", "entity_type", "task", "entity_id",
			      harness_demo_id(w, "tasks", (size_t)task), "hours", 1.5, "log_date", date, "description",
			      description);
	char *text = json_dumps(b, JSON_COMPACT);
	json_decref(b);
	harness_response r = harness_request("POST", "/api/v1/time-entries", tok, text, NULL);
	cr_assert_eq(r.status, 201, "%s", r.body);
	char *id = strdup(json_string_value(json_object_get(harness_data(&r), "id")));
	harness_response_free(&r);
	free(text);
	return id;
}

/* GET a CSV: status 200, the CSV type and a download name; the parsed rows. */
static json_t *get_csv(const char *tok, const char *path, const char *filename)
{
	harness_response r = harness_request("GET", path, tok, NULL, NULL);
	cr_assert_eq(r.status, 200, "GET %s: %ld %s", path, r.status, r.body);
	char *type = harness_header(&r, "content-type"), *disp = harness_header(&r, "content-disposition");
	cr_assert_str_eq(type, "text/csv; charset=utf-8");
	char want[200];
	snprintf(want, sizeof want, "attachment; filename=\"%s\"", filename);
	cr_assert_str_eq(disp, want);
	json_t *rows = parse_csv(r.body, strlen(r.body));
	free(type), free(disp);
	harness_response_free(&r);
	return rows;
}

static const char *const NASTY[] = {
	"=SUM(A1:A9)", "+1 call", "-2 minus", "@import", "\tTabbed", "\rCarriage",
	"naïve café ✓ 日本", "a,b \"quoted\"\nsecond line", "plain",
};
static const char *const SHOWN[] = {
	"'=SUM(A1:A9)", "'+1 call", "'-2 minus", "'@import", "'\tTabbed", "'\rCarriage",
	"naïve café ✓ 日本", "a,b \"quoted\"\nsecond line", "plain",
};
enum { NNASTY = sizeof NASTY / sizeof *NASTY };

Test(exports, entries_csv_header_filters_formulas_and_utf8)
{
	harness_ws w;
	harness_workspace(&w, "pro", "projects");
	char *ids[NNASTY];
	for (int i = 0; i < NNASTY; i++)
		ids[i] = entry(w.admin_tok, &w, NASTY[i], "2026-04-29", 0);
	char *outside = entry(w.admin_tok, &w, "outside the range", "2026-03-02", 0);
	char *members = entry(w.member_tok, &w, "the member's", "2026-04-28", 0);

	json_t *rows = get_csv(w.admin_tok, "/api/v1/time-entries.csv?from=2026-04-29&to=2026-04-29", "time-entries.csv");
	/* The header names the columns; every row has as many cells. */
	json_t *header = json_array_get(rows, 0);
	char joined[600] = "";
	for (size_t c = 0; c < json_array_size(header); c++)
		snprintf(joined + strlen(joined), sizeof joined - strlen(joined), "%s%s", c ? "," : "", cell(rows, 0, c));
	cr_assert_str_eq(joined, ENTRIES_HEADER);
	cr_assert_eq(json_array_size(rows), 1 + NNASTY, "%zu rows", json_array_size(rows));
	for (size_t r = 1; r < json_array_size(rows); r++) {
		cr_assert_eq(json_array_size(json_array_get(rows, r)), json_array_size(header));
		/* Which entry is this row? Its text is shown safely and exactly. */
		int k = -1;
		for (int i = 0; i < NNASTY; i++)
			if (!strcmp(cell(rows, r, 0), ids[i]))
				k = i;
		cr_assert_geq(k, 0, "row %zu is not one of the entries in range: %s", r, cell(rows, r, 0));
		cr_assert_str_eq(cell(rows, r, 6), SHOWN[k], "description of row %zu", r);
		cr_assert_str_eq(cell(rows, r, 2), "2026-04-29");
		cr_assert_str_eq(cell(rows, r, 7), "1.5000");
		cr_assert_str_eq(cell(rows, r, 8), "5400");
		cr_assert_str_eq(cell(rows, r, 10), "draft");
	}
	json_decref(rows);

	/* The other filters of the list apply too: the member's own rows only. */
	rows = get_csv(w.member_tok, "/api/v1/time-entries.csv", "time-entries.csv");
	cr_assert_eq(json_array_size(rows), 2);
	cr_assert_str_eq(cell(rows, 1, 0), members);
	json_decref(rows);
	char path[200];
	snprintf(path, sizeof path, "/api/v1/time-entries.csv?user_id=%s&billable=true", w.admin);
	rows = get_csv(w.manager_tok, path, "time-entries.csv");
	cr_assert_eq(json_array_size(rows), 1 + NNASTY + 1);
	json_decref(rows);

	/* Bad filters answer the list's JSON errors. */
	harness_response r = harness_request("GET", "/api/v1/time-entries.csv?from=April", w.admin_tok, NULL, NULL);
	cr_assert_eq(r.status, 422);
	cr_assert_str_eq(harness_error_code(&r), "validation_failed");
	harness_response_free(&r);
	r = harness_request("GET", "/api/v1/time-entries.csv", NULL, NULL, NULL);
	cr_assert_eq(r.status, 401);
	harness_response_free(&r);
	for (int i = 0; i < NNASTY; i++)
		free(ids[i]);
	free(outside), free(members);
	harness_workspace_free(&w);
}

/* More rows than the cap: refused, not cut short; a narrower filter passes. */
Test(exports, entries_csv_over_the_cap_is_refused, .timeout = 120)
{
	harness_ws w;
	harness_workspace(&w, "pro", "projects");
	char *id = entry(w.admin_tok, &w, "template", "2026-04-29", 0);
	PGresult *res = harness_sql("INSERT INTO time_entries (workspace_id, user_id, entity_type, entity_id, log_date,"
				    " duration_seconds, timesheet_id, description)"
				    " SELECT workspace_id, user_id, entity_type, entity_id, log_date, 60, timesheet_id, 'bulk'"
				    " FROM time_entries, generate_series(1, 50000) WHERE id = $1",
				    1, id);
	PQclear(res);
	harness_response r = harness_request("GET", "/api/v1/time-entries.csv", w.admin_tok, NULL, NULL);
	cr_assert_eq(r.status, 422, "%ld", r.status);
	cr_assert_str_eq(harness_error_code(&r), "export_too_large");
	harness_response_free(&r);
	json_t *rows = get_csv(w.admin_tok, "/api/v1/time-entries.csv?from=2026-04-28&to=2026-04-28", "time-entries.csv");
	cr_assert_eq(json_array_size(rows), 1);
	json_decref(rows);
	PQclear(harness_sql("DELETE FROM time_entries WHERE workspace_id = $1 AND description = 'bulk'", 1, w.ws));
	free(id);
	harness_workspace_free(&w);
}

Test(exports, summary_csv)
{
	harness_ws w;
	harness_workspace(&w, "pro", "projects");
	free(entry(w.admin_tok, &w, "one", "2026-04-29", 0));
	free(entry(w.member_tok, &w, "two", "2026-04-28", 1));
	json_t *rows = get_csv(w.manager_tok, "/api/v1/time/reports/summary.csv?from=2026-04-01&to=2026-04-30",
			       "time-summary-2026-04-01-to-2026-04-30.csv");
	cr_assert_str_eq(cell(rows, 0, 0), "section");
	cr_assert_str_eq(cell(rows, 0, 3), "total_hours");
	double users = 0, projects = 0;
	for (size_t i = 1; i < json_array_size(rows); i++) {
		double h = atof(cell(rows, i, 3));
		if (!strcmp(cell(rows, i, 0), "user"))
			users += h;
		else if (!strcmp(cell(rows, i, 0), "project"))
			projects += h;
	}
	/* 1.5 h each, by user and by project alike. */
	cr_assert_float_eq(users, 3.0, 1e-9);
	cr_assert_float_eq(projects, 3.0, 1e-9);
	json_decref(rows);
	harness_response r = harness_request("GET", "/api/v1/time/reports/summary.csv?from=2026-04-30&to=2026-04-01",
					     w.manager_tok, NULL, NULL);
	cr_assert_eq(r.status, 422);
	harness_response_free(&r);
	harness_workspace_free(&w);
}
