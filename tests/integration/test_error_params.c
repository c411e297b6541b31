/* Errors a form can map: a validation error names its field or query
 * parameter in error.param, and error.errors lists every problem found
 * ({param, code, message}); creating an entry reports all of its bad
 * fields at once. */
#include "harness.h"
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *ep_error(const harness_response *r)
{
	return json_object_get(r->json, "error");
}

/* The params of error.errors, in order, joined by commas. */
static void ep_params(const harness_response *r, char *out, size_t n)
{
	json_t *list = json_object_get(ep_error(r), "errors"), *p;
	size_t i, len = 0;
	out[0] = '\0';
	cr_assert(json_is_array(list), "no errors list: %s", r->body);
	json_array_foreach(list, i, p) {
		cr_assert_str_eq(json_string_value(json_object_get(p, "code")), "validation_failed");
		cr_assert(json_string_length(json_object_get(p, "message")) > 0);
		len += (size_t)snprintf(out + len, n - len, "%s%s", i ? "," : "",
					json_string_value(json_object_get(p, "param")));
	}
}

/* method path body answers 422 validation_failed with error.param param and
 * the list of problems' params want. */
static void ep_expect(const char *token, const char *method, const char *path, const char *body, const char *param,
		      const char *want)
{
	harness_response r = harness_request(method, path, token, body, NULL);
	cr_assert_eq(r.status, 422, "%s %s: %ld %s", method, path, r.status, r.body);
	cr_assert_str_eq(harness_error_code(&r), "validation_failed");
	cr_assert_str_eq(json_string_value(json_object_get(ep_error(&r), "param")), param, "%s", r.body);
	char got[512];
	ep_params(&r, got, sizeof got);
	cr_assert_str_eq(got, want, "%s %s: %s", method, path, r.body);
	harness_response_free(&r);
}

Test(error_params, creating_an_entry_reports_every_bad_field)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	ep_expect(w.member_tok, "POST", "/api/v1/time-entries",
		  "{\"entity_type\":\"task\",\"hours\":\"lots\",\"log_date\":\"2026-02-30\",\"colour\":\"red\"}", "colour",
		  "colour,log_date,hours,entity_id");
	harness_response r = harness_request("POST", "/api/v1/time-entries", w.member_tok,
					     "{\"entity_type\":\"task\",\"hours\":\"lots\",\"log_date\":\"2026-02-30\",\"colour\":\"red\"}",
					     NULL);
	const char *message = json_string_value(json_object_get(ep_error(&r), "message"));
	cr_assert(strstr(message, "'colour'") && strstr(message, "'hours'") && strstr(message, "'log_date'"),
		  "the message tells every problem too: %s", message);
	harness_response_free(&r);
	/* required fields, and a bad type beside them */
	ep_expect(w.member_tok, "POST", "/api/v1/time-entries", "{\"billable\":\"yes\"}", "entity_type",
		  "entity_type,billable,log_date,hours,entity_id");
	ep_expect(w.member_tok, "POST", "/api/v1/time-entries",
		  "{\"entity_type\":\"spaceship\",\"entity_id\":\"x\",\"hours\":1,\"log_date\":\"2026-03-02\"}", "entity_type",
		  "entity_type");
	/* one problem found in the database names its field too */
	ep_expect(w.member_tok, "POST", "/api/v1/time-entries",
		  "{\"entity_type\":\"task\",\"entity_id\":\"task_nope\",\"hours\":1,\"log_date\":\"2026-03-02\"}", "entity_id",
		  "entity_id");
	harness_workspace_free(&w);
}

Test(error_params, entry_changes_timer_and_timesheets_name_their_fields)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	json_t *e = harness_call(201, w.member_tok, "POST", "/api/v1/time-entries",
				 "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":1,\"log_date\":\"2026-03-02\"}",
				 harness_demo_id(&w, "tasks", 0));
	char path[160];
	snprintf(path, sizeof path, "/api/v1/time-entries/%s", json_string_value(json_object_get(e, "id")));
	ep_expect(w.member_tok, "PATCH", path, "{\"hours\":-2,\"description\":7}", "description", "description,hours");
	ep_expect(w.member_tok, "POST", "/api/v1/time/timer/start", "{\"entity_type\":\"task\",\"hours\":1}", "hours",
		  "hours,entity_id");
	json_t *sheets = harness_call(200, w.member_tok, "GET", "/api/v1/timesheets", "%s", "");
	const char *ts = json_string_value(json_object_get(json_array_get(sheets, 0), "id"));
	cr_assert(ts, "the entry opened a timesheet");
	snprintf(path, sizeof path, "/api/v1/timesheets/%s", ts);
	ep_expect(w.member_tok, "PATCH", path, "{\"notes\":5}", "notes", "notes");
	snprintf(path, sizeof path, "/api/v1/timesheets/%s/reject", ts);
	ep_expect(w.manager_tok, "POST", path, "{\"reason\":\"\"}", "reason", "reason");
	json_decref(sheets);
	json_decref(e);
	harness_workspace_free(&w);
}

Test(error_params, query_parameters_are_named)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	ep_expect(w.member_tok, "GET", "/api/v1/time-entries?page=0&limit=500", NULL, "page", "page,limit");
	ep_expect(w.member_tok, "GET", "/api/v1/time-entries?from=yesterday&to=2026-13-01", NULL, "from", "from,to");
	ep_expect(w.member_tok, "GET", "/api/v1/time-entries?billable=maybe", NULL, "billable", "billable");
	ep_expect(w.member_tok, "GET", "/api/v1/time-entries?status=lost", NULL, "status", "status");
	ep_expect(w.member_tok, "GET", "/api/v1/timesheets?period_start_to=soon", NULL, "period_start_to",
		  "period_start_to");
	/* an error that is not about a field has neither key */
	harness_response r = harness_request("GET", "/api/v1/time-entries/te_nope", w.member_tok, NULL, NULL);
	cr_assert_eq(r.status, 404);
	cr_assert_null(json_object_get(ep_error(&r), "param"));
	cr_assert_null(json_object_get(ep_error(&r), "errors"));
	harness_response_free(&r);
	harness_workspace_free(&w);
}
