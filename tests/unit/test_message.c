/* Query-string decoding and the parameterized query builder. */
#include "http/message.h"
#include "store/query.h"
#include <criterion/criterion.h>
#include <string.h>

Test(message, query_params_are_decoded)
{
	arena_t *a = arena_new();
	const char *q = "from=2026-04-01&to=2026-04-30&name=a%20b+c&empty=&flag&x%3Dy=1";
	cr_assert_str_eq(http_query_param(a, q, "from"), "2026-04-01");
	cr_assert_str_eq(http_query_param(a, q, "to"), "2026-04-30");
	cr_assert_str_eq(http_query_param(a, q, "name"), "a b c");
	cr_assert_str_eq(http_query_param(a, q, "empty"), "");
	cr_assert_str_eq(http_query_param(a, q, "flag"), "");
	cr_assert_str_eq(http_query_param(a, q, "x=y"), "1");
	cr_assert_null(http_query_param(a, q, "missing"));
	cr_assert_null(http_query_param(a, q, "fro"));
	arena_free(a);
}

Test(message, bad_escapes_and_nul_are_refused)
{
	arena_t *a = arena_new();
	cr_assert_null(http_url_decode(a, "%zz", 3, 0));
	cr_assert_null(http_url_decode(a, "abc%2", 5, 0));
	cr_assert_null(http_url_decode(a, "a%00b", 5, 0));
	cr_assert_str_eq(http_url_decode(a, "a+b", 3, 0), "a+b");
	cr_assert_str_eq(http_url_decode(a, "a+b", 3, 1), "a b");
	cr_assert_str_eq(http_url_decode(a, "%41%62", 6, 0), "Ab");
	arena_free(a);
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
