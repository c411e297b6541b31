#include "harness.h"
#include <criterion/criterion.h>
#include <stdlib.h>

Test(health, healthz_and_readyz)
{
	harness_response r = harness_request("GET", "/healthz", NULL, NULL, NULL);
	cr_assert_eq(r.status, 200);
	harness_response_free(&r);
	r = harness_request("GET", "/readyz", NULL, NULL, NULL);
	cr_assert_eq(r.status, 200);
	cr_assert_str_eq(json_string_value(json_object_get(r.json, "status")), "ready");
	harness_response_free(&r);
}

Test(health, request_id_is_echoed_or_generated)
{
	const char *hdrs[] = { "X-Request-Id: test-req-42", NULL };
	harness_response r = harness_request("GET", "/healthz", NULL, NULL, hdrs);
	char *rid = harness_header(&r, "x-request-id");
	cr_assert_str_eq(rid, "test-req-42");
	free(rid);
	harness_response_free(&r);
	r = harness_request("GET", "/healthz", NULL, NULL, NULL);
	rid = harness_header(&r, "x-request-id");
	cr_assert(rid && strlen(rid) >= 16);
	free(rid);
	harness_response_free(&r);
}
