/* The web console's door (the embedded pages, their security headers and
 * revalidation, /openapi.json) and the two REST endpoints the console needs
 * that any client may use: GET /api/v1/me and GET /api/v1/work-items. */
#include "harness.h"
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static void assert_header(const harness_response *r, const char *name, const char *want)
{
	char *v = harness_header(r, name);
	cr_assert(v, "no %s header: %s", name, r->headers);
	cr_assert_str_eq(v, want, "%s", name);
	free(v);
}

static void assert_security_headers(const harness_response *r)
{
	char *csp = harness_header(r, "content-security-policy");
	cr_assert(csp, "%s", r->headers);
	cr_assert(strstr(csp, "default-src 'none'") && strstr(csp, "script-src 'self'") &&
			  strstr(csp, "frame-ancestors 'none'") && !strstr(csp, "unsafe-inline"),
		  "%s", csp);
	free(csp);
	assert_header(r, "x-content-type-options", "nosniff");
	assert_header(r, "referrer-policy", "no-referrer");
}

Test(console, pages_are_the_single_page_with_security_headers)
{
	static const char *const PAGES[] = { "/", "/time", "/time/settings/integrations", "/time/no/such/page", NULL };
	for (int i = 0; PAGES[i]; i++) {
		harness_response r = harness_request("GET", PAGES[i], NULL, NULL, NULL);
		cr_assert_eq(r.status, 200, "%s: %s", PAGES[i], r.body);
		assert_header(&r, "content-type", "text/html; charset=utf-8");
		assert_security_headers(&r);
		cr_assert(strstr(r.body, "<script type=\"module\" src=\"/assets/app.js\"></script>"), "%s", r.body);
		cr_assert(!strstr(r.body, "<script>") && !strstr(r.body, "style="), "no inline script or style");
		harness_response_free(&r);
	}
}

Test(console, assets_have_their_type_an_etag_and_answer_304_when_unchanged)
{
	harness_response r = harness_request("GET", "/assets/app.js", NULL, NULL, NULL);
	cr_assert_eq(r.status, 200);
	assert_header(&r, "content-type", "text/javascript; charset=utf-8");
	assert_header(&r, "cache-control", "no-cache");
	assert_security_headers(&r);
	char *etag = harness_header(&r, "etag");
	cr_assert(etag && etag[0] == '"', "%s", r.headers);
	harness_response_free(&r);

	char inm[96];
	snprintf(inm, sizeof inm, "If-None-Match: %s", etag);
	const char *h[] = { inm, NULL };
	r = harness_request("GET", "/assets/app.js", NULL, NULL, h);
	cr_assert_eq(r.status, 304, "%s", r.headers);
	cr_assert_str_eq(r.body, "", "%s", "a 304 has no body");
	harness_response_free(&r);

	/* Another file's tag does not match. */
	r = harness_request("GET", "/assets/style.css", NULL, NULL, h);
	cr_assert_eq(r.status, 200);
	assert_header(&r, "content-type", "text/css; charset=utf-8");
	harness_response_free(&r);
	free(etag);
}

Test(console, unknown_assets_and_other_methods_and_api_paths_stay_json_errors)
{
	harness_response r = harness_request("GET", "/assets/nope.js", NULL, NULL, NULL);
	cr_assert_eq(r.status, 404);
	cr_assert_str_eq(harness_error_code(&r), "not_found");
	harness_response_free(&r);

	r = harness_request("POST", "/time", NULL, "{}", NULL);
	cr_assert_eq(r.status, 405, "%s", r.body);
	cr_assert_str_eq(harness_error_code(&r), "method_not_allowed");
	assert_header(&r, "allow", "GET, HEAD");
	harness_response_free(&r);

	static const char *const JSON_404[] = { "/api/v1/nope", "/api/ai/nope", "/timesheets", "/favicon.ico", NULL };
	for (int i = 0; JSON_404[i]; i++) {
		r = harness_request("GET", JSON_404[i], NULL, NULL, NULL);
		cr_assert_eq(r.status, 404, "%s", JSON_404[i]);
		cr_assert_str_eq(harness_error_code(&r), "not_found", "%s: %s", JSON_404[i], r.body);
		harness_response_free(&r);
	}
}

Test(console, openapi_json_is_served_and_names_the_new_endpoints)
{
	harness_response r = harness_request("GET", "/openapi.json", NULL, NULL, NULL);
	cr_assert_eq(r.status, 200);
	assert_header(&r, "content-type", "application/json");
	json_t *paths = json_object_get(r.json, "paths");
	cr_assert(json_object_get(paths, "/api/v1/me"), "GET /api/v1/me is documented");
	cr_assert(json_object_get(paths, "/api/v1/work-items"), "GET /api/v1/work-items is documented");
	harness_response_free(&r);
}

Test(console, me_says_who_the_caller_is)
{
	harness_ws w;
	harness_workspace(&w, "pro", "projects");
	json_t *me = harness_call(200, w.manager_tok, "GET", "/api/v1/me", "%s", "");
	cr_assert_str_eq(json_string_value(json_object_get(me, "id")), w.manager);
	cr_assert_str_eq(json_string_value(json_object_get(me, "role")), "manager");
	cr_assert_str_eq(json_string_value(json_object_get(me, "name")), "manager");
	json_t *perm = json_object_get(me, "permissions");
	cr_assert(json_is_true(json_object_get(perm, "approve")) && !json_is_true(json_object_get(perm, "admin")));
	json_t *ws = json_object_get(me, "workspace");
	cr_assert_str_eq(json_string_value(json_object_get(ws, "id")), w.ws);
	cr_assert_str_eq(json_string_value(json_object_get(ws, "plan")), "pro");
	cr_assert_str_eq(json_string_value(json_array_get(json_object_get(ws, "modules"), 0)), "projects");
	json_decref(me);

	me = harness_call(200, w.member_tok, "GET", "/api/v1/me", "%s", "");
	cr_assert_str_eq(json_string_value(json_object_get(me, "role")), "member");
	cr_assert(!json_is_true(json_object_get(json_object_get(me, "permissions"), "approve")));
	json_decref(me);

	harness_response r = harness_request("GET", "/api/v1/me", NULL, NULL, NULL);
	cr_assert_eq(r.status, 401);
	harness_response_free(&r);
	harness_workspace_free(&w);
}

Test(console, work_items_over_rest_find_by_words_and_check_their_arguments)
{
	harness_ws w, other;
	harness_workspace(&w, "free", NULL);
	harness_workspace(&other, "free", NULL);
	json_t *d = harness_call(200, w.member_tok, "GET", "/api/v1/work-items?query=kickoff&types=task", "%s", "");
	json_t *items = json_object_get(d, "items");
	cr_assert_eq(json_array_size(items), 1);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(items, 0), "id")),
			 harness_demo_id(&w, "tasks", 0), "this workspace's task, not the other's");
	json_decref(d);

	d = harness_call(200, w.member_tok, "GET", "/api/v1/work-items?types=project,task&limit=2", "%s", "");
	cr_assert_eq(json_array_size(json_object_get(d, "items")), 2);
	json_decref(d);

	static const char *const BAD[] = { "?limit=0", "?limit=51", "?limit=x", "?types=task,invoice", NULL };
	for (int i = 0; BAD[i]; i++) {
		char path[64];
		snprintf(path, sizeof path, "/api/v1/work-items%s", BAD[i]);
		harness_response r = harness_request("GET", path, w.member_tok, NULL, NULL);
		cr_assert_eq(r.status, 422, "%s: %s", BAD[i], r.body);
		cr_assert_str_eq(harness_error_code(&r), "validation_failed");
		harness_response_free(&r);
	}
	harness_workspace_free(&other);
	harness_workspace_free(&w);
}

Test(console, timesheets_carry_the_name_of_whose_they_are)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	json_decref(harness_call(201, w.member_tok, "POST", "/api/v1/time-entries",
				 "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":1,\"log_date\":\"2026-03-04\"}",
				 harness_demo_id(&w, "tasks", 0)));
	/* The manager's queue names the person, not only their id. */
	json_t *list = harness_call(200, w.manager_tok, "GET", "/api/v1/timesheets", "%s", "");
	cr_assert_eq(json_array_size(list), 1);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(list, 0), "user_name")), "member");
	json_decref(list);
	harness_workspace_free(&w);
}
