/* The HTTP request head parser: what a valid head yields, and the answer
 * each kind of malformed or oversized head gets. */
#include "http/parser.h"
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static http_parse_status parse(arena_t *a, const char *s, http_head *h)
{
	return http_parse_head(a, s, strlen(s), h);
}

static void expect_error(const char *bytes, size_t len, int status, const char *code)
{
	arena_t *a = arena_new();
	http_head h;
	http_parse_status st = http_parse_head(a, bytes, len, &h);
	cr_assert_eq(st, HTTP_PARSE_ERROR, "an error for %.60s", bytes);
	cr_assert_eq(h.status, status, "status %d for %.60s (got %d: %s)", status, bytes, h.status, h.message);
	cr_assert_str_eq(err_code_name(h.code), code, "code for %.60s", bytes);
	cr_assert(h.message && *h.message);
	arena_free(a);
}

Test(parser, a_request_with_fields_query_and_body_framing)
{
	arena_t *a = arena_new();
	http_head h;
	const char *req = "POST /api/v1/time-entries/te%5F1?from=2026-01-01&q=a+b%26c&flag&&x= HTTP/1.1\r\n"
			  "Host: example.com\r\nContent-Type:application/json \r\nX-Request-Id:  abc\r\n"
			  "Content-Length: 2\r\n\r\n{}GET / HTTP/1.1\r\n";
	cr_assert_eq(parse(a, req, &h), HTTP_PARSE_OK);
	cr_assert_str_eq(h.method, "POST");
	cr_assert_str_eq(h.path, "/api/v1/time-entries/te_1");
	cr_assert_eq(h.nargs, 4);
	cr_assert_str_eq(h.args[0], "from=2026-01-01");
	cr_assert_str_eq(h.args[1], "q=a b&c");
	cr_assert_str_eq(h.args[2], "flag");
	cr_assert_str_eq(h.args[3], "x=");
	cr_assert_null(h.args[4]);
	cr_assert_str_eq(http_head_field(&h, "content-type"), "application/json");
	cr_assert_str_eq(http_head_field(&h, "x-request-id"), "abc");
	cr_assert_eq(h.content_length, 2);
	cr_assert(h.keep_alive);
	cr_assert_eq(h.minor, 1);
	cr_assert_eq(h.head_len, (size_t)(strstr(req, "{}") - req), "the head ends before the body");
	arena_free(a);
}

Test(parser, incomplete_heads_ask_for_more)
{
	arena_t *a = arena_new();
	http_head h;
	const char *full = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
	for (size_t n = 0; n < strlen(full); n++)
		cr_assert_eq(http_parse_head(a, full, n, &h), HTTP_PARSE_MORE, "prefix of %zu bytes", n);
	cr_assert_eq(http_parse_head(a, full, strlen(full), &h), HTTP_PARSE_OK);
	arena_free(a);
}

Test(parser, head_end_resumes_across_pieces)
{
	const char *full = "GET / HTTP/1.1\r\nHost: x\r\n\r\nrest";
	size_t want = strlen(full) - 4;
	/* Fed one byte at a time, resuming 3 bytes back as the server does. */
	size_t from = 0, found = 0;
	for (size_t len = 1; len <= strlen(full) && !found; len++) {
		found = http_head_end(full, len, from);
		from = len > 3 ? len - 3 : 0;
	}
	cr_assert_eq(found, want);
	cr_assert_eq(http_head_end("GET / HTTP/1.0\n\nx", 17, 0), 16, "bare LF lines end a head too");
}

Test(parser, connection_rules_by_version)
{
	arena_t *a = arena_new();
	http_head h;
	cr_assert_eq(parse(a, "GET / HTTP/1.0\r\n\r\n", &h), HTTP_PARSE_OK, "1.0 needs no Host");
	cr_assert_not(h.keep_alive);
	cr_assert_eq(parse(a, "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &h), HTTP_PARSE_OK);
	cr_assert(h.keep_alive);
	cr_assert_eq(parse(a, "GET / HTTP/1.1\r\nHost: x\r\nConnection: foo, close\r\n\r\n", &h), HTTP_PARSE_OK);
	cr_assert_not(h.keep_alive);
	cr_assert_eq(parse(a, "\r\nGET / HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\n\r\n", &h), HTTP_PARSE_OK,
		     "a stray empty line before the request line is ignored");
	cr_assert(h.expect_continue);
	cr_assert_eq(parse(a, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", &h), HTTP_PARSE_OK);
	cr_assert(h.chunked);
	cr_assert_eq(h.content_length, -1);
	cr_assert_eq(parse(a, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\n", &h), HTTP_PARSE_OK,
		     "repeated equal lengths are one length");
	cr_assert_eq(h.content_length, 5);
	arena_free(a);
}

Test(parser, malformed_heads)
{
	static const struct {
		const char *bytes;
		int status;
		const char *code;
	} cases[] = {
		{ "FOO / HTTP/1.1\r\nHost: x\r\n\r\n", 501, "method_not_implemented" },
		{ "get / HTTP/1.1\r\nHost: x\r\n\r\n", 501, "method_not_implemented" },
		{ "G(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request" },
		{ "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505, "http_version_not_supported" },
		{ "GET / HTTP/1.2\r\nHost: x\r\n\r\n", 505, "http_version_not_supported" },
		{ "GET / HTTP/1.1 \r\nHost: x\r\n\r\n", 400, "bad_request" },
		{ "GET /\r\nHost: x\r\n\r\n", 400, "bad_request" },
		{ "GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request" },
		{ "GET x HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request" },
		{ "GET /a#b HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request" },
		{ "GET /a%2 HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request" },
		{ "GET /a%00b HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request" },
		{ "GET /a/./b HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request" },
		{ "GET /a/%2e%2e/b HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request" },
		{ "GET /?a%3Db=c HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request" },
		{ "GET /?a=%G1 HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request" },
		{ "GET / HTTP/1.1\r\n\r\n", 400, "bad_request" },
		{ "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "bad_request" },
		{ "GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", 400, "bad_request" },
		{ "GET / HTTP/1.1\r\nHost: x\r\n: empty\r\n\r\n", 400, "bad_request" },
		{ "GET / HTTP/1.1\r\nHost: x\r\nName : v\r\n\r\n", 400, "bad_request" },
		{ "GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400, "bad_request" },
		{ "GET / HTTP/1.1\r\nHost: x\r\nA: b\rc\r\n\r\n", 400, "bad_request" },
		{ "GET / HTTP/1.1\r\nHost: x\r\nA: \x01\r\n\r\n", 400, "bad_request" },
		{ "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400, "bad_request" },
		{ "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1e3\r\n\r\n", 400, "bad_request" },
		{ "POST / HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n", 400, "bad_request" },
		{ "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400, "bad_request" },
		{ "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1234567890123456\r\n\r\n", 413, "payload_too_large" },
		{ "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "bad_request" },
		{ "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501, "not_implemented" },
		{ "POST / HTTP/1.1\r\nHost: x\r\nExpect: something\r\n\r\n", 417, "expectation_failed" },
		{ "\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		expect_error(cases[i].bytes, strlen(cases[i].bytes), cases[i].status, cases[i].code);
	static const char nul[] = "GET / HTTP/1.1\r\nHost: x\r\nA: a\0b\r\n\r\n";
	expect_error(nul, sizeof nul - 1, 400, "bad_request");
}

Test(parser, limits)
{
	/* A request line longer than the URI limit, complete or not. */
	size_t n = HTTP_MAX_URI + 100;
	char *buf = malloc(HTTP_MAX_HEAD + 64);
	cr_assert(buf);
	memcpy(buf, "GET /", 5);
	memset(buf + 5, 'a', n);
	strcpy(buf + 5 + n, " HTTP/1.1\r\nHost: x\r\n\r\n");
	expect_error(buf, strlen(buf), 414, "uri_too_long");
	memset(buf + 5, 'a', HTTP_MAX_HEAD);
	expect_error(buf, HTTP_MAX_HEAD, 414, "uri_too_long");
	/* A head that never ends, made of short fields. */
	strcpy(buf, "GET / HTTP/1.1\r\nHost: x\r\n");
	while (strlen(buf) < HTTP_MAX_HEAD)
		strcat(buf, "A: b\r\n");
	expect_error(buf, HTTP_MAX_HEAD, 431, "headers_too_large");
	/* Too many fields in a small head. */
	strcpy(buf, "GET / HTTP/1.1\r\nHost: x\r\n");
	for (int i = 0; i < HTTP_MAX_HEADERS; i++)
		strcat(buf, "A: b\r\n");
	strcat(buf, "\r\n");
	expect_error(buf, strlen(buf), 431, "headers_too_large");
	/* Too many query arguments. */
	strcpy(buf, "GET /?");
	for (int i = 0; i <= HTTP_MAX_ARGS; i++)
		strcat(buf, "a=1&");
	strcat(buf, " HTTP/1.1\r\nHost: x\r\n\r\n");
	expect_error(buf, strlen(buf), 414, "uri_too_long");
	/* Exactly the limits pass. */
	strcpy(buf, "GET /?");
	for (int i = 0; i < HTTP_MAX_ARGS; i++)
		strcat(buf, "a=1&");
	strcat(buf, " HTTP/1.1\r\nHost: x\r\n");
	for (int i = 1; i < HTTP_MAX_HEADERS; i++)
		strcat(buf, "A: b\r\n");
	strcat(buf, "\r\n");
	arena_t *a = arena_new();
	http_head h;
	cr_assert_eq(http_parse_head(a, buf, strlen(buf), &h), HTTP_PARSE_OK, "%s", h.message ? h.message : "");
	cr_assert_eq(h.nargs, HTTP_MAX_ARGS);
	cr_assert_eq(h.nfields, HTTP_MAX_HEADERS);
	arena_free(a);
	free(buf);
}
