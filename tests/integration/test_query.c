/* Query strings with several parameters reach the handlers whole, each
 * argument decoded on its own (the first transport once lost all but one). */
#include "harness.h"
#include <criterion/criterion.h>

Test(query, several_parameters_are_all_read)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	harness_response r = harness_request("GET", "/api/v1/time-entries?from=2026-03-01&to=2026-03-31&limit=7&page=2",
					     w.member_tok, NULL, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	json_t *p = json_object_get(r.json, "pagination");
	cr_assert_eq(json_integer_value(json_object_get(p, "limit")), 7);
	cr_assert_eq(json_integer_value(json_object_get(p, "page")), 2);
	harness_response_free(&r);
	harness_workspace_free(&w);
}
