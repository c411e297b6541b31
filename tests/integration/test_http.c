#define _GNU_SOURCE /* asprintf */
/* HTTP behaviour of the server: the /api/v1 envelope and version header,
 * routing errors, and the transport limits (1 MiB bodies, no chunked bodies,
 * empty PATCH, 16 KB headers). Cases libcurl cannot express go through a raw
 * socket that sends exact bytes. */
#include "harness.h"
#include "rawhttp.h"
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HT_ENTRIES "/api/v1/time-entries"
#define HT_MIB (1024 * 1024)

static double ht_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static const char *ht_str(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* Asserts a header of r equals value (case-insensitive name). */
static void ht_expect_header(const harness_response *r, const char *name, const char *value, const char *what)
{
	char *v = harness_header(r, name);
	cr_assert(v, "%s: no %s header in:\n%s", what, name, r->headers);
	cr_assert(!strcmp(v, value), "%s: %s is '%s', expected '%s'", what, name, v, value);
	free(v);
}

/* Asserts the error envelope {"error":{"code","message"}} (with "param" and
 * "errors" when it names a field) with status and code. */
static void ht_expect_error(const harness_response *r, long status, const char *code, const char *what)
{
	cr_assert_eq(r->status, status, "%s: expected %ld, got %ld: %s", what, status, r->status, r->body);
	cr_assert(json_is_object(r->json) && json_object_size(r->json) == 1, "%s: only \"error\" at the top: %s", what,
		  r->body);
	json_t *e = json_object_get(r->json, "error");
	/* A field's problem adds its param and the list of problems, together. */
	size_t fields = ht_str(e, "param") && json_is_array(json_object_get(e, "errors")) ? 4 : 2;
	cr_assert(json_is_object(e) && json_object_size(e) == fields, "%s: error is {code, message[, param, errors]}: %s",
		  what, r->body);
	cr_assert(ht_str(e, "code") && !strcmp(ht_str(e, "code"), code), "%s: expected code %s: %s", what, code, r->body);
	cr_assert(ht_str(e, "message") && *ht_str(e, "message"), "%s: a message: %s", what, r->body);
}

static char *ht_valid_entry_body(const harness_ws *w)
{
	char *s = NULL;
	int n = asprintf(&s, "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":1,\"log_date\":\"2026-03-02\"}",
			 harness_demo_id(w, "tasks", 0));
	cr_assert(n > 0);
	return s;
}

static long ht_entries_in(const harness_ws *w)
{
	return harness_sql_long("SELECT count(*) FROM time_entries WHERE workspace_id = $1", 1, w->ws);
}

static void ht_expect_healthy(void)
{
	harness_response r = harness_request("GET", "/healthz", NULL, NULL, NULL);
	cr_assert_eq(r.status, 200, "the server still answers /healthz: %ld", r.status);
	harness_response_free(&r);
}

/* ------------------------------------------------------------ raw socket */

static int ht_port(void)
{
	int port = raw_port(harness_base());
	cr_assert(port > 0, "base URL with a port: %s", harness_base());
	return port;
}

/* The raw response viewed as a harness_response, for harness_header and the JSON body. */
static harness_response ht_raw_view(const raw_result *raw)
{
	harness_response r = { 0 };
	r.status = raw->status;
	const char *end = strstr(raw->text, "\r\n\r\n");
	size_t head = end ? (size_t)(end - raw->text) + 2 : raw->len;
	r.headers = strndup(raw->text, head);
	r.body = strdup(end ? end + 4 : "");
	/* Only the first response's body when several were read. */
	char *next = strstr(r.body, "HTTP/1.");
	if (next)
		*next = '\0';
	r.json = json_loads(r.body, JSON_DECODE_ANY, NULL);
	return r;
}

/* A request head "METHOD path HTTP/1.1" with Host, the bearer token (when given) and extra lines. */
static char *ht_head(const char *method, const char *path, const char *token, const char *extra)
{
	char *s = NULL;
	int n = asprintf(&s, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s%s%s%s\r\n", method, path,
			 token ? "Authorization: Bearer " : "", token ? token : "", token ? "\r\n" : "", extra ? extra : "");
	cr_assert(n > 0);
	return s;
}

/* --------------------------------------------------------------- envelope */

Test(http, every_v1_response_carries_the_api_version)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char *valid = ht_valid_entry_body(&w);
	char *big = malloc(HT_MIB + 2);
	cr_assert(big);
	memset(big, ' ', HT_MIB + 1);
	big[0] = '{';
	big[HT_MIB] = '}';
	big[HT_MIB + 1] = '\0';
	static const char *const chunked[] = { "Transfer-Encoding: chunked", NULL };
	const struct {
		const char *method, *path, *token, *body;
		const char *const *headers;
		long status;
	} cases[] = {
		{ "GET", HT_ENTRIES, w.member_tok, NULL, NULL, 200 },
		{ "POST", HT_ENTRIES, w.member_tok, valid, NULL, 201 },
		{ "GET", "/api/v1/time/timer/active", w.member_tok, NULL, NULL, 200 },
		{ "GET", HT_ENTRIES, NULL, NULL, NULL, 401 },
		{ "GET", HT_ENTRIES "/te_doesnotexist", w.member_tok, NULL, NULL, 404 },
		{ "GET", "/api/v1/no-such-thing", w.member_tok, NULL, NULL, 404 },
		{ "PUT", HT_ENTRIES, w.member_tok, "{}", NULL, 405 },
		{ "POST", HT_ENTRIES, w.member_tok, "{nope", NULL, 400 },
		{ "POST", HT_ENTRIES, w.member_tok, NULL, NULL, 400 },
		{ "POST", HT_ENTRIES, w.member_tok, "{\"entity_type\":\"task\"}", NULL, 422 },
		{ "GET", HT_ENTRIES "?limit=0", w.member_tok, NULL, NULL, 422 },
		{ "POST", HT_ENTRIES, w.member_tok, valid, chunked, 411 },
		{ "POST", HT_ENTRIES, w.member_tok, big, NULL, 413 },
	};
	/* Check them all, then report every response that lacked the header. */
	char missing[2048] = "";
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		harness_response r =
			harness_request(cases[i].method, cases[i].path, cases[i].token, cases[i].body, cases[i].headers);
		char what[160];
		snprintf(what, sizeof what, "%s %s (%ld)", cases[i].method, cases[i].path, cases[i].status);
		cr_assert_eq(r.status, cases[i].status, "%s: got %ld: %.300s", what, r.status, r.body);
		char *ct = harness_header(&r, "content-type");
		cr_assert(ct && !strncmp(ct, "application/json", 16), "%s: content-type %s", what, ct);
		free(ct);
		char *v = harness_header(&r, "x-api-version");
		if (!v || strcmp(v, "v1"))
			snprintf(missing + strlen(missing), sizeof missing - strlen(missing), "\n  %s: x-api-version %s",
				 what, v ? v : "(none)");
		free(v);
		harness_response_free(&r);
	}
	free(big);
	free(valid);
	harness_workspace_free(&w);
	cr_assert(!missing[0], "responses without X-API-Version: v1:%s", missing);
}

Test(http, envelope_shapes)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char *valid = ht_valid_entry_body(&w);

	/* One object: {"data": {...}} and nothing else. */
	harness_response r = harness_request("POST", HT_ENTRIES, w.member_tok, valid, NULL);
	cr_assert_eq(r.status, 201, "%s", r.body);
	cr_assert(json_is_object(r.json) && json_object_size(r.json) == 1, "only data: %s", r.body);
	cr_assert(json_is_object(harness_data(&r)));
	char *id = strdup(ht_str(harness_data(&r), "id"));
	harness_response_free(&r);

	char path[160];
	snprintf(path, sizeof path, HT_ENTRIES "/%s", id);
	r = harness_request("GET", path, w.member_tok, NULL, NULL);
	cr_assert_eq(r.status, 200);
	cr_assert(json_object_size(r.json) == 1 && json_is_object(harness_data(&r)), "only data: %s", r.body);
	cr_assert_str_eq(ht_str(harness_data(&r), "id"), id);
	harness_response_free(&r);

	/* A list: {"data": [...], "pagination": {"page", "limit", "total",
	 * "total_exact"}}, and on lists with cursors "has_more" and "next_cursor" too. */
	r = harness_request("GET", HT_ENTRIES "?limit=10", w.member_tok, NULL, NULL);
	cr_assert_eq(r.status, 200);
	cr_assert_eq(json_object_size(r.json), 2, "data and pagination: %s", r.body);
	cr_assert(json_is_array(harness_data(&r)));
	cr_assert_eq(json_array_size(harness_data(&r)), 1);
	json_t *p = json_object_get(r.json, "pagination");
	cr_assert(json_is_object(p) && json_object_size(p) == 6,
		  "pagination {page, limit, total, total_exact, has_more, next_cursor}: %s", r.body);
	cr_assert(json_is_true(json_object_get(p, "total_exact")), "%s", r.body);
	cr_assert(json_is_false(json_object_get(p, "has_more")));
	cr_assert(json_is_null(json_object_get(p, "next_cursor")));
	cr_assert_eq(json_integer_value(json_object_get(p, "page")), 1);
	cr_assert_eq(json_integer_value(json_object_get(p, "limit")), 10);
	cr_assert_eq(json_integer_value(json_object_get(p, "total")), 1);
	harness_response_free(&r);

	/* A timer that is not running: data is null, still present. */
	r = harness_request("GET", "/api/v1/time/timer/active", w.member_tok, NULL, NULL);
	cr_assert_eq(r.status, 200);
	cr_assert(json_object_size(r.json) == 1 && json_is_null(harness_data(&r)), "{\"data\":null}: %s", r.body);
	harness_response_free(&r);

	/* Errors: {"error": {"code", "message"}} and nothing else. */
	r = harness_request("GET", HT_ENTRIES "/te_doesnotexist", w.member_tok, NULL, NULL);
	ht_expect_error(&r, 404, "not_found", "unknown entry");
	harness_response_free(&r);
	r = harness_request("POST", HT_ENTRIES, w.member_tok, "{\"entity_type\":\"task\"}", NULL);
	ht_expect_error(&r, 422, "validation_failed", "missing fields");
	harness_response_free(&r);
	r = harness_request("GET", HT_ENTRIES, NULL, NULL, NULL);
	ht_expect_error(&r, 401, "unauthorized", "no token");
	harness_response_free(&r);

	free(id);
	free(valid);
	harness_workspace_free(&w);
}

/* ---------------------------------------------------------------- routing */

Test(http, unknown_paths_are_404_not_found)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	static const char *const paths[] = {
		"/api/v1/no-such-thing", "/api/v1/time-entries/te_x/extra", "/api/v1/", "/api/v1/timesheets/ts_x/archive",
		"/api/v1/time/timer", "/nope", "/api/v2/time-entries",
	};
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		const char *toks[] = { w.member_tok, NULL };
		for (size_t t = 0; t < 2; t++) {
			harness_response r = harness_request("GET", paths[i], toks[t], NULL, NULL);
			ht_expect_error(&r, 404, "not_found", paths[i]);
			if (!strncmp(paths[i], "/api/v1/", 8))
				ht_expect_header(&r, "x-api-version", "v1", paths[i]);
			harness_response_free(&r);
		}
	}
	harness_workspace_free(&w);
}

Test(http, wrong_method_is_405_with_allow)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	static const struct {
		const char *method, *path;
		const char *allowed[4];
	} cases[] = {
		{ "PUT", HT_ENTRIES, { "GET", "POST" } },
		{ "DELETE", HT_ENTRIES, { "GET", "POST" } },
		{ "PATCH", HT_ENTRIES, { "GET", "POST" } },
		{ "POST", HT_ENTRIES "/te_x", { "GET", "PATCH", "DELETE" } },
		{ "PUT", HT_ENTRIES "/te_x", { "GET", "PATCH", "DELETE" } },
		{ "GET", "/api/v1/timesheets/ts_x/submit", { "POST" } },
		{ "GET", "/api/v1/time/timer/stop", { "POST" } },
		{ "DELETE", "/api/v1/time/timer/active", { "GET" } },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char what[160];
		snprintf(what, sizeof what, "%s %s", cases[i].method, cases[i].path);
		harness_response r = harness_request(cases[i].method, cases[i].path, w.member_tok, NULL, NULL);
		ht_expect_error(&r, 405, "method_not_allowed", what);
		ht_expect_header(&r, "x-api-version", "v1", what);
		char *allow = harness_header(&r, "allow");
		cr_assert(allow, "%s: an Allow header:\n%s", what, r.headers);
		size_t n = 0;
		for (; n < 4 && cases[i].allowed[n]; n++)
			cr_assert(strstr(allow, cases[i].allowed[n]), "%s: Allow '%s' lacks %s", what, allow,
				  cases[i].allowed[n]);
		cr_assert(!strstr(allow, cases[i].method), "%s: Allow '%s' lists the refused method", what, allow);
		free(allow);
		harness_response_free(&r);
	}
	harness_workspace_free(&w);
}

/* ------------------------------------------------------- transport limits */

Test(http, body_over_one_mib_is_413)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	/* A real body one byte over the limit. */
	char *big = malloc(HT_MIB + 2);
	cr_assert(big);
	memset(big, ' ', HT_MIB + 1);
	big[0] = '{';
	big[HT_MIB] = '}';
	big[HT_MIB + 1] = '\0';
	harness_response r = harness_request("POST", HT_ENTRIES, w.member_tok, big, NULL);
	ht_expect_error(&r, 413, "payload_too_large", "1 MiB + 1 body");
	harness_response_free(&r);

	/* A declared length over the limit is refused before any body is read. */
	char *head = ht_head("POST", HT_ENTRIES, w.member_tok,
			     "Content-Type: application/json\r\nContent-Length: 1048577\r\n");
	raw_result raw = raw_exchange(ht_port(), head, strlen(head), false, 1, 5000);
	cr_assert_eq(raw.status, 413, "declared 1 MiB + 1: %s", raw.text);
	harness_response view = ht_raw_view(&raw);
	ht_expect_error(&view, 413, "payload_too_large", "declared 1 MiB + 1");
	harness_response_free(&view);
	free(raw.text);
	free(head);
	cr_assert_eq(ht_entries_in(&w), 0);

	/* Exactly 1 MiB is still accepted: a valid entry padded with spaces. */
	char *valid = ht_valid_entry_body(&w);
	size_t vlen = strlen(valid);
	memset(big, ' ', HT_MIB);
	memcpy(big, valid, vlen - 1);
	big[HT_MIB - 1] = '}';
	big[HT_MIB] = '\0';
	r = harness_request("POST", HT_ENTRIES, w.member_tok, big, NULL);
	cr_assert_eq(r.status, 201, "a body of exactly 1 MiB: %ld %.300s", r.status, r.body);
	harness_response_free(&r);
	cr_assert_eq(ht_entries_in(&w), 1);
	free(valid);
	free(big);
	ht_expect_healthy();
	harness_workspace_free(&w);
}

Test(http, chunked_body_is_411)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char *valid = ht_valid_entry_body(&w);
	static const char *const chunked[] = { "Transfer-Encoding: chunked", NULL };
	harness_response r = harness_request("POST", HT_ENTRIES, w.member_tok, valid, chunked);
	ht_expect_error(&r, 411, "length_required", "chunked POST (curl)");
	harness_response_free(&r);

	/* The same in exact bytes: one chunk, then the last chunk. */
	char extra[128];
	snprintf(extra, sizeof extra, "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n");
	char *head = ht_head("POST", HT_ENTRIES, w.member_tok, extra);
	char *req = NULL;
	cr_assert(asprintf(&req, "%s%zx\r\n%s\r\n0\r\n\r\n", head, strlen(valid), valid) > 0);
	raw_result raw = raw_exchange(ht_port(), req, strlen(req), false, 1, 5000);
	cr_assert_eq(raw.status, 411, "chunked POST (raw): %s", raw.text);
	harness_response view = ht_raw_view(&raw);
	ht_expect_error(&view, 411, "length_required", "chunked POST (raw)");
	harness_response_free(&view);
	free(raw.text);
	free(req);
	free(head);
	cr_assert_eq(ht_entries_in(&w), 0, "a chunked body is never read as an entry");
	free(valid);
	ht_expect_healthy();
	harness_workspace_free(&w);
}

Test(http, empty_patch_is_answered_at_once)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char *valid = ht_valid_entry_body(&w);
	harness_response r = harness_request("POST", HT_ENTRIES, w.member_tok, valid, NULL);
	cr_assert_eq(r.status, 201);
	char path[160];
	snprintf(path, sizeof path, HT_ENTRIES "/%s", ht_str(harness_data(&r), "id"));
	harness_response_free(&r);

	/* curl sends Content-Length: 0. */
	double t0 = ht_now();
	r = harness_request("PATCH", path, w.member_tok, "", NULL);
	double took = ht_now() - t0;
	ht_expect_error(&r, 400, "invalid_body", "PATCH with Content-Length: 0");
	cr_assert(took < 5, "answered at once, not after a timeout (%.1f s)", took);
	harness_response_free(&r);

	/* Exact bytes, on a kept-alive connection: Content-Length: 0, then none at all. */
	const char *lengths[] = { "Content-Length: 0\r\n", "" };
	for (size_t i = 0; i < 2; i++) {
		char extra[128];
		snprintf(extra, sizeof extra, "Content-Type: application/json\r\n%s", lengths[i]);
		char *head = ht_head("PATCH", path, w.member_tok, extra);
		raw_result raw = raw_exchange(ht_port(), head, strlen(head), false, 1, 10000);
		cr_assert_eq(raw.status, 400, "empty PATCH (%s): %s", lengths[i], raw.text);
		harness_response view = ht_raw_view(&raw);
		ht_expect_error(&view, 400, "invalid_body", "empty PATCH (raw)");
		harness_response_free(&view);
		free(raw.text);
		free(head);
	}
	free(valid);
	harness_workspace_free(&w);
}

Test(http, post_without_a_body_is_400_invalid_body)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	/* No body at all (no Content-Length), and an empty one (Content-Length: 0). */
	static const char *const paths[] = { HT_ENTRIES, "/api/v1/time/timer/start" };
	static const char *const bodies[] = { NULL, "" };
	char report[2048] = "";
	for (size_t i = 0; i < 2; i++) {
		for (size_t b = 0; b < 2; b++) {
			harness_response r = harness_request("POST", paths[i], w.member_tok, bodies[b], NULL);
			const char *code = harness_error_code(&r);
			if (r.status != 400 || !code || strcmp(code, "invalid_body"))
				snprintf(report + strlen(report), sizeof report - strlen(report),
					 "\n  POST %s with %s: expected 400 invalid_body, got %ld: %s", paths[i],
					 bodies[b] ? "Content-Length: 0" : "no Content-Length", r.status,
					 r.status ? r.body : "(no response)");
			harness_response_free(&r);
		}
	}
	long written = ht_entries_in(&w);
	harness_workspace_free(&w);
	cr_assert(!report[0], "bodiless POSTs answered wrongly:%s", report);
	cr_assert_eq(written, 0);
}

Test(http, bodiless_post_actions_accept_content_length_zero)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char *start = NULL;
	cr_assert(asprintf(&start, "{\"entity_type\":\"task\",\"entity_id\":\"%s\"}", harness_demo_id(&w, "tasks", 0)) > 0);
	/* Clients (fetch, curl -d '') often send Content-Length: 0 on a POST that takes no body. */
	static const char *const bodies[] = { NULL, "" };
	for (size_t b = 0; b < 2; b++) {
		harness_response r = harness_request("POST", "/api/v1/time/timer/start", w.member_tok, start, NULL);
		cr_assert_eq(r.status, 201, "start: %s", r.body);
		harness_response_free(&r);
		r = harness_request("POST", "/api/v1/time/timer/stop", w.member_tok, bodies[b], NULL);
		cr_assert_eq(r.status, 200, "stop with %s: got %ld: %s", bodies[b] ? "Content-Length: 0" : "no body",
			     r.status, r.status ? r.body : "(no response)");
		cr_assert(json_is_false(json_object_get(harness_data(&r), "running")), "%s", r.body);
		harness_response_free(&r);
	}
	free(start);
	harness_workspace_free(&w);
}

Test(http, headers_up_to_16_kb_are_served)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	size_t n = 15 * 1024;
	char *pad = malloc(n + 32);
	cr_assert(pad);
	int off = snprintf(pad, 32, "X-Padding: ");
	memset(pad + off, 'a', n);
	pad[off + (int)n] = '\0';
	const char *hdrs[] = { pad, NULL };
	harness_response r = harness_request("GET", HT_ENTRIES, w.member_tok, NULL, hdrs);
	cr_assert_eq(r.status, 200, "a 15 KB header: %ld %s", r.status, r.body);
	ht_expect_header(&r, "x-api-version", "v1", "15 KB header");
	harness_response_free(&r);
	r = harness_request("GET", "/healthz", NULL, NULL, hdrs);
	cr_assert_eq(r.status, 200, "healthz with a 15 KB header: %ld", r.status);
	harness_response_free(&r);
	free(pad);

	/* Far beyond the limit the request is refused, and the server lives on. */
	n = 64 * 1024;
	pad = malloc(n + 32);
	cr_assert(pad);
	off = snprintf(pad, 32, "X-Padding: ");
	memset(pad + off, 'b', n);
	pad[off + (int)n] = '\0';
	hdrs[0] = pad;
	r = harness_request("GET", HT_ENTRIES, w.member_tok, NULL, hdrs);
	cr_assert_neq(r.status, 200, "a 64 KB header is not served");
	harness_response_free(&r);
	free(pad);
	ht_expect_healthy();
	harness_workspace_free(&w);
}

/* ------------------------------------------------------ raw framing cases */

Test(http, body_shorter_than_content_length_then_close)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char *valid = ht_valid_entry_body(&w);
	char extra[128];
	snprintf(extra, sizeof extra, "Content-Type: application/json\r\nContent-Length: %zu\r\n", strlen(valid) + 40);
	char *head = ht_head("POST", HT_ENTRIES, w.member_tok, extra);
	char *req = NULL;
	cr_assert(asprintf(&req, "%s%s", head, valid) > 0);
	raw_result raw = raw_exchange(ht_port(), req, strlen(req), true, 1, 5000);
	cr_assert(raw.status == 0 || raw.status == 400, "a truncated body is never accepted: %s", raw.text);
	free(raw.text);
	free(req);
	free(head);
	free(valid);
	cr_assert_eq(ht_entries_in(&w), 0, "nothing written from a truncated body");
	ht_expect_healthy();
	harness_workspace_free(&w);
}

Test(http, bytes_after_content_length_are_not_part_of_the_body)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char *valid = ht_valid_entry_body(&w);
	/* The first Content-Length bytes are a valid entry; what follows would
	 * make it invalid JSON if it were read as the same body. */
	char extra[128];
	snprintf(extra, sizeof extra, "Content-Type: application/json\r\nContent-Length: %zu\r\n", strlen(valid));
	char *head = ht_head("POST", HT_ENTRIES, w.member_tok, extra);
	char *req = NULL;
	cr_assert(asprintf(&req, "%s%s,\"colour\":\"blue\"}", head, valid) > 0);
	raw_result raw = raw_exchange(ht_port(), req, strlen(req), false, 1, 5000);
	cr_assert_eq(raw.status, 201, "the body is exactly Content-Length bytes: %s", raw.text);
	free(raw.text);
	free(req);
	free(head);
	free(valid);
	cr_assert_eq(ht_entries_in(&w), 1);
	ht_expect_healthy();
	harness_workspace_free(&w);
}

Test(http, invalid_content_length_is_400)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	static const char *const values[] = { "abc", "-5", "12abc" };
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
		char extra[128];
		snprintf(extra, sizeof extra, "Content-Type: application/json\r\nContent-Length: %s\r\n", values[i]);
		char *head = ht_head("POST", HT_ENTRIES, w.member_tok, extra);
		raw_result raw = raw_exchange(ht_port(), head, strlen(head), false, 1, 5000);
		cr_assert(raw.status == 400, "Content-Length: %s: %s", values[i], raw.text);
		free(raw.text);
		free(head);
	}
	cr_assert_eq(ht_entries_in(&w), 0);
	ht_expect_healthy();
	harness_workspace_free(&w);
}

Test(http, keep_alive_serves_pipelined_requests)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char *one = ht_head("GET", HT_ENTRIES, w.member_tok, NULL);
	char *two = ht_head("GET", "/healthz", NULL, NULL);
	char *both = NULL;
	cr_assert(asprintf(&both, "%s%s", one, two) > 0);
	raw_result raw = raw_exchange(ht_port(), both, strlen(both), false, 2, 5000);
	cr_assert_eq(raw.status, 200, "%s", raw.text);
	cr_assert_eq(raw.responses, 2, "two answers on one connection: %s", raw.text);
	free(raw.text);
	free(both);
	free(one);
	free(two);
	harness_workspace_free(&w);
}
