/* Rate limits kept in PostgreSQL: every authenticated /api/v1 answer tells
 * the limit, what is left and when the window resets; past the limit of the
 * token or of the workspace the answer is 429 rate_limited with Retry-After;
 * two servers on one database share the counts, and a token's MCP requests
 * count with its REST requests. A server of its own with tiny limits. */
#include "harness.h"
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RL_PATH "/api/v1/time/timer/active"

enum { RL_PER_TOKEN = 3, RL_PER_WORKSPACE = 5, RL_TRIES = 40 };

static long rl_header(const harness_response *r, const char *name)
{
	char *v = harness_header(r, name);
	cr_assert(v, "no %s header: %s", name, r->headers);
	long n = strtol(v, NULL, 10);
	free(v);
	return n;
}

static int rl_spawn(char base[64], const char *log)
{
	const char *env[] = { "RATE_LIMIT_PER_TOKEN=3", "RATE_LIMIT_PER_WORKSPACE=5", NULL };
	int pid = harness_spawn_serve(env, log, base);
	cr_assert(pid > 0, "serve did not start; see %s", log);
	return pid;
}

/* Requests with tokens in turn until the first 429 (bounded); checks every
 * answer's headers on the way. Returns the 429 (the caller frees it). */
static harness_response rl_until_refused(const char *const *bases, const char *const *tokens, int n)
{
	for (int i = 0; i < RL_TRIES; i++) {
		harness_response r = harness_request_at(bases[i % n], "GET", RL_PATH, tokens[i % n], NULL, NULL);
		long limit = rl_header(&r, "ratelimit-limit"), left = rl_header(&r, "ratelimit-remaining"),
		     reset = rl_header(&r, "ratelimit-reset");
		cr_assert(limit == RL_PER_TOKEN || limit == RL_PER_WORKSPACE, "limit %ld", limit);
		cr_assert(left >= 0 && left < limit, "remaining %ld of %ld", left, limit);
		cr_assert(reset >= 1 && reset <= 60, "reset %ld", reset);
		if (r.status == 429)
			return r;
		cr_assert_eq(r.status, 200, "%s", r.body);
		harness_response_free(&r);
	}
	cr_assert_fail("no 429 in %d requests", RL_TRIES);
	return (harness_response){ 0 };
}

static void rl_assert_429(const harness_response *r, long limit)
{
	cr_assert_eq(r->status, 429, "%s", r->body);
	cr_assert_str_eq(harness_error_code(r), "rate_limited");
	cr_assert_eq(rl_header(r, "ratelimit-limit"), limit, "the limit that ran out: %s", r->headers);
	cr_assert_eq(rl_header(r, "ratelimit-remaining"), 0);
	long retry = rl_header(r, "retry-after");
	cr_assert_eq(retry, rl_header(r, "ratelimit-reset"), "Retry-After is when the window resets");
	cr_assert(retry >= 1 && retry <= 60);
}

Test(rate_limits, a_token_past_its_limit_gets_429_with_retry_after, .timeout = 60)
{
	char base[64];
	int pid = rl_spawn(base, "build/serve-rate-limits.log");
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	/* One token: its own limit (3) runs out before the workspace's (5). */
	const char *bases[] = { base }, *tokens[] = { w.member_tok };
	harness_response r = rl_until_refused(bases, tokens, 1);
	rl_assert_429(&r, RL_PER_TOKEN);
	harness_response_free(&r);
	/* Counted per token: another token of the workspace still gets in (the
	 * workspace has counted at most 4 of its 5 in this window). */
	harness_response other = harness_request_at(base, "GET", RL_PATH, w.member2_tok, NULL, NULL);
	cr_assert_eq(other.status, 200, "%s", other.body);
	harness_response_free(&other);
	cr_assert_eq(harness_stop_serve(pid), 0);
	harness_workspace_free(&w);
}

Test(rate_limits, the_workspace_limit_counts_every_token_on_every_instance, .timeout = 60)
{
	char a[64], b[64];
	int pa = rl_spawn(a, "build/serve-rate-limits-a.log"), pb = rl_spawn(b, "build/serve-rate-limits-b.log");
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	/* Two tokens in turn on two servers: each token stays within its 3
	 * while the workspace's 5, counted in the shared database, run out. */
	const char *bases[] = { a, b }, *tokens[] = { w.member_tok, w.member2_tok };
	harness_response r = rl_until_refused(bases, tokens, 2);
	rl_assert_429(&r, RL_PER_WORKSPACE);
	cr_assert(strstr(r.body, "workspace"), "%s", r.body);
	harness_response_free(&r);
	cr_assert_eq(harness_stop_serve(pa), 0);
	cr_assert_eq(harness_stop_serve(pb), 0);
	harness_workspace_free(&w);
}

Test(rate_limits, every_authenticated_answer_carries_the_headers)
{
	/* The main server has the default limits. */
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	harness_response ok = harness_request("GET", RL_PATH, w.member_tok, NULL, NULL);
	cr_assert_eq(ok.status, 200);
	cr_assert_eq(rl_header(&ok, "ratelimit-limit"), 600);
	cr_assert_eq(rl_header(&ok, "ratelimit-remaining"), 599, "the first request of a new token: %s", ok.headers);
	harness_response refused = harness_request("POST", "/api/v1/time-entries", w.member_tok, "{}", NULL);
	cr_assert_eq(refused.status, 422);
	cr_assert(rl_header(&refused, "ratelimit-limit") > 0, "errors carry them too");
	harness_response_free(&refused);
	harness_response_free(&ok);
	harness_workspace_free(&w);
}

/* MCP over HTTP counts in the same buckets: two REST requests and one MCP
 * request use a token's 3; the next MCP request is 429 with Retry-After and
 * a JSON-RPC error naming the limit. */
Test(rate_limits, mcp_requests_count_with_the_tokens_rest_requests, .timeout = 60)
{
	char base[64];
	int pid = rl_spawn(base, "build/serve-rate-limits-mcp.log");
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	for (int i = 0; i < 2; i++) {
		harness_response r = harness_request_at(base, "GET", RL_PATH, w.member_tok, NULL, NULL);
		cr_assert_eq(r.status, 200, "%s", r.body);
		harness_response_free(&r);
	}
	const char *hdrs[] = { "Accept: application/json, text/event-stream", "MCP-Protocol-Version: 2026-07-28",
			       "Mcp-Method: tools/list", NULL };
	const char *body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{\"_meta\":{"
			   "\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","
			   "\"io.modelcontextprotocol/clientCapabilities\":{}}}}";
	harness_response last = harness_request_at(base, "POST", "/mcp", w.member_tok, body, hdrs);
	cr_assert_eq(last.status, 200, "%s", last.body);
	cr_assert_eq(rl_header(&last, "ratelimit-remaining"), 0, "the third request of three: %s", last.headers);
	harness_response_free(&last);
	harness_response r = harness_request_at(base, "POST", "/mcp", w.member_tok, body, hdrs);
	cr_assert_eq(r.status, 429, "%s", r.body);
	cr_assert_eq(rl_header(&r, "retry-after"), rl_header(&r, "ratelimit-reset"));
	json_t *e = json_object_get(r.json, "error");
	cr_assert_eq(json_integer_value(json_object_get(e, "code")), -32000, "%s", r.body);
	const char *msg = json_string_value(json_object_get(e, "message"));
	cr_assert(msg && strstr(msg, "rate_limited") && strstr(msg, "this token"), "%s", r.body);
	harness_response_free(&r);
	cr_assert_eq(harness_stop_serve(pid), 0);
	harness_workspace_free(&w);
}
