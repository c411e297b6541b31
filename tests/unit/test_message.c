/* Query arguments, JSON responses and the parameterized query builder. */
#include "http/message.h"
#include "store/query.h"
#include <criterion/criterion.h>
#include <string.h>

Test(message, query_params_are_found_by_exact_name)
{
	const char *args[] = { "from=2026-04-01", "to=2026-04-30", "name=a b&c", "empty=", "flag", "x=y=1", NULL };
	http_request req = { .args = args };
	cr_assert_str_eq(http_query_param(&req, "from"), "2026-04-01");
	cr_assert_str_eq(http_query_param(&req, "name"), "a b&c");
	cr_assert_str_eq(http_query_param(&req, "empty"), "");
	cr_assert_str_eq(http_query_param(&req, "flag"), "");
	cr_assert_str_eq(http_query_param(&req, "x"), "y=1");
	cr_assert_null(http_query_param(&req, "missing"));
	cr_assert_null(http_query_param(&req, "fro"));
	http_request none = { 0 };
	cr_assert_null(http_query_param(&none, "from"));
}

Test(message, json_response_and_headers)
{
	arena_t *a = arena_new();
	http_response r = { 0 };
	http_response_json(a, &r, 201, json_pack("{s:i}", "n", 1));
	cr_assert_eq(r.status, 201);
	cr_assert_str_eq(r.body, "{\"n\":1}");
	cr_assert_eq(r.body_len, strlen(r.body));
	for (int i = 0; i < HTTP_MAX_EXTRA_HEADERS + 3; i++)
		http_response_header(a, &r, "x-n", "v");
	cr_assert_eq(r.nheaders, HTTP_MAX_EXTRA_HEADERS);
	arena_free(a);
}

Test(query, values_become_numbered_parameters)
{
	query_t q;
	query_init(&q, "SELECT 1 FROM t WHERE a = 1");
	query_cond(&q, " AND b = ", "x'; DROP TABLE t; --", "");
	query_cond(&q, " AND c >= ", "2026-01-01", "::date");
	cr_assert_str_eq(q.sql, "SELECT 1 FROM t WHERE a = 1 AND b = $1 AND c >= $2::date");
	cr_assert_eq(q.n, 2);
	cr_assert_str_eq(q.params[0], "x'; DROP TABLE t; --");
	cr_assert_not(q.overflow);
}

Test(query, overflow_is_detected_not_truncated_silently)
{
	query_t q;
	query_init(&q, "SELECT");
	for (int i = 0; i < QUERY_MAX_PARAMS + 1; i++)
		query_param(&q, "v");
	cr_assert(q.overflow);
}
