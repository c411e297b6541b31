#define _GNU_SOURCE /* asprintf */
/* The transport against hostile clients (issue 9): pipelined bodies, slow
 * heads and bodies, many connections, oversized and malformed requests.
 * Each case once broke the server (a spinning loop, a stalled pool, memory
 * taken before authentication, a closed connection with no answer). Every
 * request must get a JSON answer or a deliberate close, and the server must
 * keep answering others. */
#include "harness.h"
#include "rawhttp.h"
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HO_ENTRIES "/api/v1/time-entries"

static int ho_port(const char *base)
{
	int port = raw_port(base);
	cr_assert(port > 0, "a port in %s", base);
	return port;
}

static void ho_expect_healthy(const char *base)
{
	harness_response r = harness_request_at(base, "GET", "/healthz", NULL, NULL, NULL);
	cr_assert_eq(r.status, 200, "the server still answers /healthz: %ld", r.status);
	harness_response_free(&r);
}

/* The first response of raw is status with a JSON error envelope of code. */
static void ho_expect_json_error(const raw_result *raw, long status, const char *code, const char *what)
{
	cr_assert_eq(raw->status, status, "%s: expected %ld: %.400s", what, status, raw->text);
	const char *body = strstr(raw->text, "\r\n\r\n");
	cr_assert(body, "%s: a complete head: %.400s", what, raw->text);
	json_error_t e;
	json_t *j = json_loadb(body + 4, strcspn(body + 4, "\r") , JSON_DISABLE_EOF_CHECK, &e);
	cr_assert(j, "%s: a JSON body: %.400s", what, body + 4);
	const char *got = json_string_value(json_object_get(json_object_get(j, "error"), "code"));
	cr_assert(got && !strcmp(got, code), "%s: code %s: %.400s", what, code, body + 4);
	cr_assert(json_string_value(json_object_get(json_object_get(j, "error"), "message")), "%s: a message", what);
	json_decref(j);
}

/* Sends bytes on a new connection and expects a JSON error answer. */
static void ho_expect_refused(int port, const char *bytes, size_t len, long status, const char *code, const char *what)
{
	raw_result raw = raw_exchange(port, bytes, len, false, 1, 8000);
	ho_expect_json_error(&raw, status, code, what);
	free(raw.text);
}

static char *ho_fill(size_t n, char c)
{
	char *s = malloc(n + 1);
	cr_assert(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

Test(hostile, pipelined_posts_without_a_token_are_both_answered)
{
	int port = ho_port(harness_base());
	const char *two = "POST " HO_ENTRIES " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\n{}"
			  "POST " HO_ENTRIES " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\n{}";
	for (int i = 0; i < 4; i++) {
		raw_result raw = raw_exchange(port, two, strlen(two), false, 2, 8000);
		cr_assert_eq(raw.responses, 2, "two answers: %.600s", raw.text);
		cr_assert_eq(raw.status, 401, "%.300s", raw.text);
		cr_assert(strstr(strstr(raw.text, "\r\n\r\n"), "HTTP/1.1 401"), "the second is a 401 too: %.600s", raw.text);
		free(raw.text);
		ho_expect_healthy(harness_base());
	}
}

Test(hostile, pipelined_requests_with_bodies_keep_their_order)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char *body = NULL, *req = NULL;
	cr_assert(asprintf(&body, "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":1,\"log_date\":\"2026-03-02\"}",
			   harness_demo_id(&w, "tasks", 0)) > 0);
	cr_assert(asprintf(&req,
			   "POST " HO_ENTRIES " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Length: %zu\r\n\r\n%s"
			   "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
			   "POST " HO_ENTRIES " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Length: %zu\r\n\r\n%s",
			   w.member_tok, strlen(body), body, w.member_tok, strlen(body), body) > 0);
	raw_result raw = raw_exchange(ho_port(harness_base()), req, strlen(req), false, 3, 8000);
	cr_assert_eq(raw.responses, 3, "three answers: %.900s", raw.text);
	const char *second = strstr(raw.text + 1, "HTTP/1.1 ");
	cr_assert(raw.status == 201 && second && !strncmp(second, "HTTP/1.1 200", 12), "201, 200, 201: %.900s", raw.text);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_entries WHERE workspace_id = $1", 1, w.ws), 2);
	free(raw.text);
	free(req);
	free(body);
	harness_workspace_free(&w);
}

Test(hostile, thousands_of_slow_heads_do_not_stall_other_clients, .timeout = 120)
{
	/* 2,000 connections that sent half a head, from ten addresses (each under
	 * the per-address cap): far past the 64 that once stalled everyone. */
	enum { N = 2000, PER = 200 };
	int port = ho_port(harness_base());
	int *fds = calloc(N, sizeof *fds);
	cr_assert(fds);
	int open = 0;
	for (int i = 0; i < N; i++) {
		char src[32];
		snprintf(src, sizeof src, "127.0.0.%d", 10 + i / PER);
		fds[i] = raw_connect(port, src);
		if (fds[i] >= 0 && raw_send(fds[i], "GET /healthz HTTP/1.1\r\nHost: x\r\n", 32))
			open++;
	}
	cr_assert_eq(open, N, "every slow connection was taken");
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	for (int i = 0; i < 5; i++) {
		ho_expect_healthy(harness_base());
		json_t *list = harness_call(200, w.member_tok, "GET", HO_ENTRIES "?limit=5", "%s", "");
		json_decref(list);
	}
	/* The slow ones are still served when they finish their heads. */
	for (int i = 0; i < N; i += 397) {
		raw_send(fds[i], "\r\n", 2);
		raw_result raw = raw_read(fds[i], 1, 8000);
		cr_assert_eq(raw.status, 200, "slow connection %d: %.300s", i, raw.text);
		free(raw.text);
	}
	for (int i = 0; i < N; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	harness_workspace_free(&w);
}

Test(hostile, connections_per_address_are_capped, .timeout = 60)
{
	static const char *const env[] = { "HTTP_MAX_CONNECTIONS_PER_IP=4", NULL };
	char base[64];
	int pid = harness_spawn_serve(env, "build/serve-hostile-cap.log", base);
	cr_assert(pid > 0);
	int port = ho_port(base);
	int held[4];
	for (int i = 0; i < 4; i++) {
		held[i] = raw_connect(port, "127.0.0.5");
		cr_assert(held[i] >= 0);
	}
	/* Let the server accept the four before the fifth arrives. */
	raw_send(held[3], "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 35);
	raw_result first = raw_read(held[3], 1, 8000);
	cr_assert_eq(first.status, 200, "%s", first.text);
	free(first.text);
	int fifth = raw_connect(port, "127.0.0.5");
	cr_assert(fifth >= 0);
	raw_result raw = raw_read(fifth, 1, 8000);
	ho_expect_json_error(&raw, 503, "too_many_connections", "fifth connection from one address");
	free(raw.text);
	close(fifth);
	int other = raw_connect(port, "127.0.0.6");
	cr_assert(other >= 0);
	raw_send(other, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 35);
	raw = raw_read(other, 1, 8000);
	cr_assert_eq(raw.status, 200, "another address is served: %s", raw.text);
	free(raw.text);
	close(other);
	for (int i = 0; i < 4; i++)
		close(held[i]);
	cr_assert_eq(harness_stop_serve(pid), 0);
}

Test(hostile, bodies_are_read_only_after_authentication, .timeout = 120)
{
	static const char *const env[] = { "HTTP_MAX_CONNECTIONS_PER_IP=0", NULL };
	char base[64];
	int pid = harness_spawn_serve(env, "build/serve-hostile-body.log", base);
	cr_assert(pid > 0);
	int port = ho_port(base);
	/* A 1 MiB body is announced but not sent: no token, a bad token, and an
	 * unknown route are each answered from the head alone. */
	static const char *const heads[] = {
		"POST " HO_ENTRIES " HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n",
		"POST " HO_ENTRIES " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok_nope.nope\r\nContent-Length: 1048576\r\n\r\n",
		"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json, text/event-stream\r\nContent-Length: 1048576\r\n\r\n",
	};
	for (size_t i = 0; i < 3; i++) {
		raw_result raw = raw_exchange(port, heads[i], strlen(heads[i]), false, 1, 8000);
		cr_assert_eq(raw.status, 401, "head %zu answered before its body: %.400s", i, raw.text);
		free(raw.text);
	}
	const char *nowhere = "POST /api/v1/nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n";
	ho_expect_refused(port, nowhere, strlen(nowhere), 404, "not_found", "unknown route with a body to come");

	/* 300 such connections at once cost the server no body memory. */
	enum { N = 300 };
	int fds[N];
	long before = raw_rss_kb(pid);
	for (int i = 0; i < N; i++) {
		fds[i] = raw_connect(port, NULL);
		cr_assert(fds[i] >= 0);
		cr_assert(raw_send(fds[i], heads[0], strlen(heads[0])));
		cr_assert(raw_send(fds[i], "{\"x\":\"", 6));
	}
	int answered = 0;
	for (int i = 0; i < N; i++) {
		raw_result raw = raw_read(fds[i], 1, 8000);
		answered += raw.status == 401;
		free(raw.text);
		close(fds[i]);
	}
	long after = raw_rss_kb(pid);
	cr_assert_eq(answered, N, "every unauthenticated 1 MiB announcement is refused at once");
	cr_assert(after - before < 16 * 1024, "RSS grew by %ld KiB for %d refused bodies", after - before, N);
	ho_expect_healthy(base);

	/* An authenticated client that asks first gets 100 Continue, then its answer. */
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char *body = NULL, *head = NULL;
	cr_assert(asprintf(&body, "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":1,\"log_date\":\"2026-03-02\"}",
			   harness_demo_id(&w, "tasks", 0)) > 0);
	cr_assert(asprintf(&head,
			   "POST " HO_ENTRIES " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nExpect: 100-continue\r\n"
			   "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
			   w.member_tok, strlen(body)) > 0);
	int fd = raw_connect(port, NULL);
	cr_assert(fd >= 0);
	raw_send(fd, head, strlen(head));
	raw_result cont = raw_read(fd, 1, 8000);
	cr_assert(!strncmp(cont.text, "HTTP/1.1 100 Continue\r\n\r\n", 25), "100 Continue first: %.300s", cont.text);
	free(cont.text);
	raw_send(fd, body, strlen(body));
	raw_result done = raw_read(fd, 1, 8000);
	cr_assert_eq(done.status, 201, "then the answer: %.400s", done.text);
	free(done.text);
	close(fd);
	free(head);
	free(body);
	harness_workspace_free(&w);
	cr_assert_eq(harness_stop_serve(pid), 0);
}

/* Formats a request around filler (freed here) and expects a JSON refusal. */
static void ho_expect_refused_around(int port, char *filler, const char *fmt, long status, const char *code,
				     const char *what)
{
	char *req = NULL;
	cr_assert(asprintf(&req, fmt, filler) > 0);
	ho_expect_refused(port, req, strlen(req), status, code, what);
	free(req);
	free(filler);
}

/* n copies of unit (at most 15 bytes, %d is the copy's number). */
static char *ho_repeat(const char *unit, int n)
{
	char *s = malloc((size_t)n * 16 + 1);
	cr_assert(s);
	s[0] = '\0';
	for (int i = 0; i < n; i++)
		sprintf(s + strlen(s), unit, i);
	return s;
}

Test(hostile, oversized_requests_get_json_answers)
{
	int port = ho_port(harness_base());
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	/* A query argument over 8 KB (once dropped silently, answering 200). */
	char *fmt = NULL;
	cr_assert(asprintf(&fmt, "GET " HO_ENTRIES "?description=%%s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n",
			   w.member_tok) > 0);
	ho_expect_refused_around(port, ho_fill(9000, 'a'), fmt, 414, "uri_too_long", "a 9000-byte query argument");
	free(fmt);
	ho_expect_refused_around(port, ho_fill(100 * 1024, 'b'), "GET /%s HTTP/1.1\r\nHost: x\r\n\r\n", 414,
				 "uri_too_long", "a 100 KB URL");
	ho_expect_refused_around(port, ho_repeat("a=%d&", 300), "GET " HO_ENTRIES "?%s HTTP/1.1\r\nHost: x\r\n\r\n", 414,
				 "uri_too_long", "300 query parameters");
	ho_expect_refused_around(port, ho_fill(70 * 1024, 'c'), "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n",
				 431, "headers_too_large", "70 KB of headers");
	ho_expect_refused_around(port, ho_repeat("X-H%03d: v\r\n", 150), "GET /healthz HTTP/1.1\r\nHost: x\r\n%s\r\n",
				 431, "headers_too_large", "150 header fields");
	ho_expect_healthy(harness_base());
	harness_workspace_free(&w);
}

Test(hostile, malformed_requests_get_json_answers)
{
	int port = ho_port(harness_base());
	static const struct {
		const char *bytes;
		long status;
		const char *code;
	} cases[] = {
		{ "FOO /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 501, "method_not_implemented" },
		{ "TRACE / HTTP/1.1\r\nHost: x\r\n\r\n", 501, "method_not_implemented" },
		{ "GET /healthz HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n", 400, "bad_request" },
		{ "GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n folded\r\n\r\n", 400, "bad_request" },
		{ "GET /healthz HTTP/1.1\r\nHost: x\r\nBad Name: 1\r\n\r\n", 400, "bad_request" },
		{ "GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n", 505, "http_version_not_supported" },
		{ "GET /healthz\r\nHost: x\r\n\r\n", 400, "bad_request" },
		{ "GET /healthz HTTP/1.1\r\n\r\n", 400, "bad_request" },
		{ "GET /healthz HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", 400, "bad_request" },
		{ "GET /api/v1/time-entries/%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request" },
		{ "GET /api/v1/%00 HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request" },
		{ "GET /api/v1/../healthz HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request" },
		{ "GET http://x/healthz HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request" },
		{ "POST /api/v1/time-entries HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}", 400,
		  "bad_request" },
		{ "POST /api/v1/time-entries HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}",
		  400, "bad_request" },
		{ "POST /api/v1/time-entries HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501, "not_implemented" },
		{ "POST /api/v1/time-entries HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\n\r\n", 417, "expectation_failed" },
		{ "POST /api/v1/time-entries HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n", 413,
		  "payload_too_large" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char what[64];
		snprintf(what, sizeof what, "case %zu", i);
		ho_expect_refused(port, cases[i].bytes, strlen(cases[i].bytes), cases[i].status, cases[i].code, what);
	}
	/* A NUL inside a header value. */
	static const char nul[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n";
	ho_expect_refused(port, nul, sizeof nul - 1, 400, "bad_request", "NUL in a header");
	/* Under /api/v1 the transport's own answers carry the version header too. */
	const char *v1 = "GET /api/v1/time-entries?x=%zz HTTP/1.1\r\nHost: x\r\n\r\n";
	raw_result raw = raw_exchange(port, v1, strlen(v1), false, 1, 8000);
	cr_assert(strcasestr(raw.text, "x-api-version: v1"), "%.400s", raw.text);
	free(raw.text);
	ho_expect_healthy(harness_base());
}

Test(hostile, slow_heads_and_bodies_time_out_with_408, .timeout = 60)
{
	static const char *const env[] = { "HTTP_HEADER_TIMEOUT=1", "HTTP_BODY_TIMEOUT=1", NULL };
	char base[64];
	int pid = harness_spawn_serve(env, "build/serve-hostile-slow.log", base);
	cr_assert(pid > 0);
	int port = ho_port(base);
	const char *half = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
	raw_result raw = raw_exchange(port, half, strlen(half), false, 1, 8000);
	ho_expect_json_error(&raw, 408, "request_timeout", "a head that never ends");
	cr_assert(raw.closed || strcasestr(raw.text, "connection: close"), "and the connection ends");
	free(raw.text);

	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char *head = NULL;
	cr_assert(asprintf(&head, "POST " HO_ENTRIES " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
				  "Content-Length: 100\r\n\r\n{\"hours\":",
			   w.member_tok) > 0);
	raw = raw_exchange(port, head, strlen(head), false, 1, 8000);
	ho_expect_json_error(&raw, 408, "request_timeout", "a body that stops");
	free(raw.text);
	free(head);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_entries WHERE workspace_id = $1", 1, w.ws), 0);
	harness_workspace_free(&w);
	/* A connection that sends nothing at all is closed without a word. */
	int fd = raw_connect(port, NULL);
	cr_assert(fd >= 0);
	raw = raw_read(fd, 1, 8000);
	cr_assert(raw.closed && raw.len == 0, "an idle connection just ends: %.200s", raw.text);
	free(raw.text);
	close(fd);
	cr_assert_eq(harness_stop_serve(pid), 0);
}

/* The head and parsed JSON body of raw's first answer. */
static json_t *ho_body(const raw_result *raw, const char *what)
{
	const char *body = strstr(raw->text, "\r\n\r\n");
	cr_assert(body, "%s: a complete head: %.400s", what, raw->text);
	json_t *j = json_loadb(body + 4, strcspn(body + 4, "\r"), JSON_DISABLE_EOF_CHECK, NULL);
	cr_assert(j, "%s: a JSON body: %.400s", what, body + 4);
	return j;
}

/* The transport's own refusals under /api/v1 (414, 431) come from the same
 * writer as a REST route's errors: the same envelope, exactly {"error":
 * {"code", "message"}}, the same content type, and x-api-version. */
Test(hostile, transport_refusals_share_the_rest_error_writer)
{
	int port = ho_port(harness_base());
	static const char rest[] = "GET " HO_ENTRIES " HTTP/1.1\r\nHost: x\r\n\r\n";
	char *long_uri = NULL, *many_args = NULL, *big_head = NULL, *many_fields = NULL;
	char *fill = ho_fill(9000, 'a'), *args = ho_repeat("a=%d&", 300), *big = ho_fill(40 * 1024, 'c'),
	     *fields = ho_repeat("X-H%03d: v\r\n", 150);
	cr_assert(asprintf(&long_uri, "GET " HO_ENTRIES "?description=%s HTTP/1.1\r\nHost: x\r\n\r\n", fill) > 0);
	cr_assert(asprintf(&many_args, "GET " HO_ENTRIES "?%s HTTP/1.1\r\nHost: x\r\n\r\n", args) > 0);
	cr_assert(asprintf(&big_head, "GET " HO_ENTRIES " HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n", big) > 0);
	cr_assert(asprintf(&many_fields, "GET " HO_ENTRIES " HTTP/1.1\r\nHost: x\r\n%s\r\n", fields) > 0);
	const struct {
		const char *what, *bytes;
		long status;
		const char *code;
	} cases[] = {
		{ "a REST 401", rest, 401, "unauthorized" },
		{ "a 9000-byte URI", long_uri, 414, "uri_too_long" },
		{ "300 query arguments", many_args, 414, "uri_too_long" },
		{ "a 40 KB head", big_head, 431, "headers_too_large" },
		{ "150 header fields", many_fields, 431, "headers_too_large" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		raw_result raw = raw_exchange(port, cases[i].bytes, strlen(cases[i].bytes), false, 1, 8000);
		ho_expect_json_error(&raw, cases[i].status, cases[i].code, cases[i].what);
		cr_assert(strcasestr(raw.text, "\r\ncontent-type: application/json\r\n"), "%s: the JSON content type: %.400s",
			  cases[i].what, raw.text);
		cr_assert(strcasestr(raw.text, "\r\nx-api-version: v1\r\n"), "%s: x-api-version under /api/v1: %.400s",
			  cases[i].what, raw.text);
		json_t *j = ho_body(&raw, cases[i].what);
		json_t *e = json_object_get(j, "error");
		cr_assert_eq(json_object_size(j), 1, "%s: only \"error\" at the top", cases[i].what);
		cr_assert_eq(json_object_size(e), 2, "%s: only code and message", cases[i].what);
		cr_assert(json_string_length(json_object_get(e, "message")) > 0, "%s: a message", cases[i].what);
		json_decref(j);
		free(raw.text);
	}
	free(fill), free(args), free(big), free(fields);
	free(long_uri), free(many_args), free(big_head), free(many_fields);
	ho_expect_healthy(harness_base());
}
