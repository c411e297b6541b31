/* Error messages that quote what the client sent stay valid UTF-8 when the
 * quote is cut (by a message's size or a %.Ns precision) inside a multibyte
 * character, or when the input itself is not UTF-8: every refusal is still a
 * JSON error envelope (REST) or a JSON-RPC error (MCP), never a body `null`
 * or no answer at all. */
#include "harness.h"
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EMOJI "\xf0\x9f\x98\x80" /* U+1F600, 4 bytes */

/* s repeated n times after prefix, malloc'd. */
static char *err_t_repeat(const char *prefix, const char *s, int n)
{
	size_t len = strlen(prefix) + strlen(s) * (size_t)n + 1;
	char *out = malloc(len);
	cr_assert(out);
	strcpy(out, prefix);
	for (int i = 0; i < n; i++)
		strcat(out, s);
	return out;
}

/* The response's error message; the test fails unless the body is an error
 * envelope with code (a JSON body, so valid UTF-8). */
static const char *err_t_envelope(const harness_response *r, long status, const char *code)
{
	cr_assert_eq(r->status, status, "status %ld: %s", r->status, r->body);
	cr_assert(r->json, "the body is not JSON: %s", r->body);
	cr_assert_str_eq(harness_error_code(r), code, "%s", r->body);
	const char *message = json_string_value(json_object_get(json_object_get(r->json, "error"), "message"));
	cr_assert(message && *message, "no error message: %s", r->body);
	return message;
}

/* An unknown field whose name is "a" and emojis: the message quotes 64 bytes
 * of it, which would end inside the 16th emoji. */
Test(error_text, rest_unknown_field_cut_inside_a_character)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char *key = err_t_repeat("a", EMOJI, 300);
	json_t *body = json_pack("{s:s, s:s, s:f, s:s, s:i}", "entity_type", "task", "entity_id",
				 harness_demo_id(&w, "tasks", 0), "hours", 1.0, "log_date", "2026-03-04", key, 1);
	cr_assert(body);
	char *text = json_dumps(body, JSON_COMPACT);
	harness_response r = harness_request("POST", "/api/v1/time-entries", w.member_tok, text, NULL);
	const char *message = err_t_envelope(&r, 422, "validation_failed");
	/* Cut back to the last whole character: "a" and 15 emojis. */
	char *want = err_t_repeat("unknown field 'a", EMOJI, 15);
	want = realloc(want, strlen(want) + 2); /* room for the closing quote */
	cr_assert(want);
	strcat(want, "'");
	cr_assert_str_eq(message, want);
	free(want);
	harness_response_free(&r);
	free(text);
	json_decref(body);
	free(key);
	harness_workspace_free(&w);
}

/* A body that is not JSON, where jansson's error quotes the bytes it choked
 * on: a backslash and the first byte of an emoji. */
Test(error_text, rest_invalid_json_quoting_a_cut_character)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	harness_response r = harness_request("POST", "/api/v1/time-entries", w.member_tok, "{\"\\" EMOJI, NULL);
	err_t_envelope(&r, 400, "invalid_json");
	harness_response_free(&r);
	r = harness_request("POST", "/api/v1/time-entries", w.member_tok, "{\"k\":\"\xff\xfe\"}", NULL);
	err_t_envelope(&r, 400, "invalid_json");
	harness_response_free(&r);
	harness_workspace_free(&w);
}

/* An AI tool's unknown argument of 300 emojis: quoted whole, the message is
 * longer than an error holds, so it is cut at its 400 bytes, in a character. */
Test(error_text, ai_tool_message_cut_at_its_size)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	for (int shift = 0; shift < 4; shift++) {
		char *key = err_t_repeat(shift == 0 ? "" : shift == 1 ? "a" : shift == 2 ? "ab" : "abc", EMOJI, 300);
		json_t *args = json_pack("{s:s, s:f, s:s, s:i}", "entity_type", "task", "hours", 1.0, "log_date",
					 "2026-03-04", key, 1);
		char *text = json_dumps(args, JSON_COMPACT);
		harness_response r = harness_request("POST", "/api/ai/tools/log_time_entry", w.member_tok, text, NULL);
		cr_assert_eq(r.status, 200, "%s", r.body);
		cr_assert(r.json, "shift %d: the body is not JSON: %.200s", shift, r.body);
		json_t *result = harness_data(&r);
		cr_assert(json_is_true(json_object_get(result, "isError")), "%.300s", r.body);
		const char *said = json_string_value(json_object_get(json_array_get(json_object_get(result, "content"), 0), "text"));
		cr_assert(said && strstr(said, "validation_failed: unknown argument '"), "%.300s", r.body);
		cr_assert_gt(strlen(said), 380);
		harness_response_free(&r);
		free(text);
		json_decref(args);
		free(key);
	}
	harness_workspace_free(&w);
}

static const char *const ERR_T_MCP_HEADERS[] = { "Accept: application/json, text/event-stream", NULL };

static long err_t_rpc_code(const harness_response *r)
{
	return (long)json_integer_value(json_object_get(json_object_get(r->json, "error"), "code"));
}

/* 7b 22 5c f0 9f 98 80: `{"\` and an emoji. jansson's parse error quotes the
 * cut character; the answer is still a JSON-RPC parse error. */
Test(error_text, mcp_parse_error_quoting_a_cut_character)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	harness_response r = harness_request("POST", "/mcp", w.member_tok, "{\"\\" EMOJI, ERR_T_MCP_HEADERS);
	cr_assert_eq(r.status, 400, "status %ld: %s", r.status, r.body);
	cr_assert(r.json, "the body is not JSON: %s", r.body);
	cr_assert_eq(err_t_rpc_code(&r), -32700, "%s", r.body);
	cr_assert(json_is_null(json_object_get(r.json, "id")));
	cr_assert_str_eq(json_string_value(json_object_get(r.json, "jsonrpc")), "2.0");
	harness_response_free(&r);
	harness_workspace_free(&w);
}

/* "Method not found" quotes 150 bytes of the method: "a" and emojis cut there
 * inside one. Sent over the stateless era (no session) and after initialize. */
Test(error_text, mcp_method_not_found_cut_inside_a_character)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	harness_response r = harness_request(
		"POST", "/mcp", w.member_tok,
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
		"\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}",
		ERR_T_MCP_HEADERS);
	cr_assert_eq(r.status, 200, "%s", r.body);
	char *sid = harness_header(&r, "mcp-session-id");
	cr_assert(sid);
	harness_response_free(&r);
	char session[200];
	snprintf(session, sizeof session, "Mcp-Session-Id: %s", sid);
	const char *hdrs[] = { ERR_T_MCP_HEADERS[0], session, NULL };
	char *method = err_t_repeat("a", EMOJI, 100);
	json_t *msg = json_pack("{s:s, s:i, s:s}", "jsonrpc", "2.0", "id", 2, "method", method);
	char *text = json_dumps(msg, JSON_COMPACT);
	r = harness_request("POST", "/mcp", w.member_tok, text, hdrs);
	cr_assert(r.json, "status %ld, the body is not JSON: %.200s", r.status, r.body);
	cr_assert_eq(err_t_rpc_code(&r), -32601, "%.300s", r.body);
	cr_assert_eq(json_integer_value(json_object_get(r.json, "id")), 2);
	const char *message = json_string_value(json_object_get(json_object_get(r.json, "error"), "message"));
	/* 150 bytes: "a" and 37 whole emojis (149 bytes). */
	char *want = err_t_repeat("Method not found: a", EMOJI, 37);
	cr_assert_str_eq(message, want);
	free(want);
	harness_response_free(&r);
	free(text);
	json_decref(msg);
	free(method);
	free(sid);
	harness_workspace_free(&w);
}
