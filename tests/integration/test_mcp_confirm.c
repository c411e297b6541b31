/* A write tool confirmed inside the MCP client (2026-07-28 over Streamable
 * HTTP): the card is asked as a form elicitation in an input_required
 * result; accept runs the change once as the user, decline and cancel change
 * nothing, and a requestState that was altered, expired, replayed, or belongs
 * to another user or other arguments runs nothing. A client without
 * elicitation keeps the token path. The session era (elicitation/create on
 * the call's stream, over HTTP and stdio) is driven by the official SDK
 * client in tests/e2e. */
#define _GNU_SOURCE
#include "core/confirm.h"
#include "harness.h"
#include "util/crypto.h"
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ELICIT_CAPS "{\"elicitation\":{\"form\":{}}}"

/* tools/call of log_time_entry in the 2026-07-28 era; extra (may be NULL) is
 * merged into params (requestState, inputResponses). */
static harness_response mc_call(const char *token, const char *caps, const char *args, json_t *extra)
{
	json_error_t jerr;
	json_t *params = json_pack("{s:s, s:o, s:{s:s, s:o}}", "name", "log_time_entry", "arguments",
				   json_loads(args, 0, &jerr), "_meta", "io.modelcontextprotocol/protocolVersion",
				   "2026-07-28", "io.modelcontextprotocol/clientCapabilities", json_loads(caps, 0, &jerr));
	if (extra)
		json_object_update(params, extra);
	json_t *msg = json_pack("{s:s, s:i, s:s, s:o}", "jsonrpc", "2.0", "id", 7, "method", "tools/call", "params", params);
	char *body = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	const char *hdrs[] = { "Accept: application/json, text/event-stream", "MCP-Protocol-Version: 2026-07-28",
			       "Mcp-Method: tools/call", "Mcp-Name: log_time_entry", NULL };
	harness_response r = harness_request_at(harness_base(), "POST", "/mcp", token, body, hdrs);
	free(body);
	cr_assert_eq(r.status, 200, "%s", r.body);
	return r;
}

static char *mc_args(const harness_ws *w, double hours)
{
	char *a = NULL;
	cr_assert(asprintf(&a, "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":%.2f,\"log_date\":\"2026-03-04\"}",
			   harness_demo_id(w, "tasks", 0), hours) > 0);
	return a;
}

/* The second round: the person's answer (accept, decline, cancel) with state. */
static harness_response mc_answer(const char *token, const char *args, const char *state, const char *action)
{
	json_t *extra = json_pack("{s:s, s:{s:{s:s, s:{}}}}", "requestState", state, "inputResponses", "confirm", "action",
				  action, "content");
	harness_response r = mc_call(token, ELICIT_CAPS, args, extra);
	json_decref(extra);
	return r;
}

static json_t *mc_result(const harness_response *r)
{
	return json_object_get(r->json, "result");
}

/* The requestState of a first round (malloc'd), after checking the card. */
static char *mc_ask(const harness_ws *w, const char *args)
{
	harness_response r = mc_call(w->member_tok, ELICIT_CAPS, args, NULL);
	json_t *res = mc_result(&r);
	cr_assert_str_eq(json_string_value(json_object_get(res, "resultType")), "input_required", "%s", r.body);
	json_t *ask = json_object_get(json_object_get(res, "inputRequests"), "confirm");
	cr_assert_str_eq(json_string_value(json_object_get(ask, "method")), "elicitation/create");
	json_t *params = json_object_get(ask, "params");
	cr_assert_str_eq(json_string_value(json_object_get(params, "mode")), "form");
	const char *message = json_string_value(json_object_get(params, "message"));
	cr_assert(message && strstr(message, "Log ") && strstr(message, "Record: task \"") && strstr(message, "Who: you") &&
			  strstr(message, "Date: 2026-03-04") && strstr(message, "Hours: "),
		  "the card says in words what will change: %s", message);
	cr_assert(json_is_object(json_object_get(json_object_get(params, "requestedSchema"), "properties")));
	char *state = strdup(json_string_value(json_object_get(res, "requestState")));
	harness_response_free(&r);
	return state;
}

static long mc_entries(const char *user)
{
	return harness_sql_long("SELECT count(*) FROM time_entries WHERE user_id = $1 AND deleted_at IS NULL", 1, user);
}

/* An isError result whose text names code. */
static void mc_assert_refused(const harness_response *r, const char *code)
{
	json_t *res = mc_result(r);
	cr_assert(json_is_true(json_object_get(res, "isError")), "%s", r->body);
	const char *text = json_string_value(json_object_get(json_array_get(json_object_get(res, "content"), 0), "text"));
	cr_assert(text && strstr(text, code), "%s", r->body);
}

static void mc_assert_invalid_params(const harness_response *r)
{
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(r->json, "error"), "code")), -32602, "%s", r->body);
}

Test(mcp_confirm, accept_runs_the_change_once_as_the_user)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char *args = mc_args(&w, 1.5);
	char *state = mc_ask(&w, args);
	cr_assert_eq(mc_entries(w.member), 0, "asking changes nothing");

	harness_response r = mc_answer(w.member_tok, args, state, "accept");
	json_t *res = mc_result(&r);
	cr_assert_str_eq(json_string_value(json_object_get(res, "resultType")), "complete", "%s", r.body);
	json_t *sc = json_object_get(res, "structuredContent");
	cr_assert_str_eq(json_string_value(json_object_get(sc, "status")), "confirmed", "%s", r.body);
	cr_assert(json_is_false(json_object_get(sc, "requires_confirmation")));
	const char *id = json_string_value(json_object_get(json_object_get(sc, "result"), "id"));
	cr_assert(id);
	cr_assert_eq(mc_entries(w.member), 1);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM audit_log WHERE entity_id = $1 AND source = 'ai_tool'"
				      " AND action = 'time_entry.created' AND user_id = $2",
				      2, id, w.member),
		     1, "audited as the user, source ai_tool");
	harness_response_free(&r);

	/* The same answer again: the confirmation is used. */
	r = mc_answer(w.member_tok, args, state, "accept");
	mc_assert_refused(&r, "confirmation_used");
	cr_assert_eq(mc_entries(w.member), 1, "a replay runs nothing");
	harness_response_free(&r);
	free(state);
	free(args);
	harness_workspace_free(&w);
}

Test(mcp_confirm, decline_and_cancel_change_nothing_and_use_the_card_up)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char *args = mc_args(&w, 2);
	const char *answers[] = { "decline", "cancel" }, *statuses[] = { "declined", "cancelled" };
	for (int i = 0; i < 2; i++) {
		char *state = mc_ask(&w, args);
		harness_response r = mc_answer(w.member_tok, args, state, answers[i]);
		json_t *sc = json_object_get(mc_result(&r), "structuredContent");
		cr_assert_str_eq(json_string_value(json_object_get(sc, "status")), statuses[i], "%s", r.body);
		cr_assert_null(json_object_get(sc, "result"));
		const char *text = json_string_value(
			json_object_get(json_array_get(json_object_get(mc_result(&r), "content"), 0), "text"));
		cr_assert(text && strstr(text, "nothing changed"), "the result says so: %s", r.body);
		harness_response_free(&r);
		/* Turning a decline into an accept by replaying the state: refused. */
		r = mc_answer(w.member_tok, args, state, "accept");
		mc_assert_refused(&r, "confirmation_used");
		harness_response_free(&r);
		free(state);
	}
	cr_assert_eq(mc_entries(w.member), 0);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM confirmations WHERE user_id = $1 AND outcome = 'declined'", 1,
				      w.member),
		     2);
	free(args);
	harness_workspace_free(&w);
}

/* requestState signed as the server signs it (the test knows the secret),
 * with any content: for states the server would never issue. */
static char *mc_forge(const char *user, long expires, json_t *state /* stolen */)
{
	confirm_key k;
	confirm_key_from_secret(&k, HARNESS_SECRET_KEY);
	static const char label[] = "workestra-time mcp requestState";
	unsigned char key[32], mac[32];
	crypto_hmac_sha256(k.key, sizeof k.key, label, sizeof label - 1, key);
	json_t *body = json_pack("{s:s, s:s, s:I, s:o}", "n", "tool:log_time_entry", "u", user, "e", (json_int_t)expires,
				 "s", state);
	char *text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(body);
	crypto_hmac_sha256(key, sizeof key, text, strlen(text), mac);
	char *out = malloc(2 * strlen(text) + 100);
	size_t n = crypto_b64url_encode((const unsigned char *)text, strlen(text), out);
	out[n++] = '.';
	crypto_b64url_encode(mac, sizeof mac, out + n);
	free(text);
	return out;
}

/* The state of a real first round, decoded (new reference). */
static json_t *mc_state_content(const char *state)
{
	const char *dot = strchr(state, '.');
	unsigned char *raw = malloc(strlen(state));
	long n = crypto_b64url_decode(state, (size_t)(dot - state), raw);
	json_t *body = json_loadb((const char *)raw, (size_t)n, 0, NULL);
	free(raw);
	json_t *s = json_incref(json_object_get(body, "s"));
	json_decref(body);
	return s;
}

Test(mcp_confirm, altered_foreign_expired_and_mismatched_states_run_nothing)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char *args = mc_args(&w, 3), *other = mc_args(&w, 7);
	char *state = mc_ask(&w, args);

	/* Altered: one character of the signed content changed. */
	char *altered = strdup(state);
	altered[5] = altered[5] == 'A' ? 'B' : 'A';
	harness_response r = mc_answer(w.member_tok, args, altered, "accept");
	mc_assert_invalid_params(&r);
	harness_response_free(&r);
	/* Another user of the workspace replays it. */
	r = mc_answer(w.member2_tok, args, state, "accept");
	mc_assert_invalid_params(&r);
	harness_response_free(&r);
	/* The same state on a call with other arguments (7 h instead of 3). */
	r = mc_answer(w.member_tok, other, state, "accept");
	mc_assert_invalid_params(&r);
	harness_response_free(&r);
	/* Answers without the state, and an answer that is no ElicitResult. */
	json_t *extra = json_pack("{s:{s:{s:s}}}", "inputResponses", "confirm", "action", "accept");
	r = mc_call(w.member_tok, ELICIT_CAPS, args, extra);
	json_decref(extra);
	mc_assert_invalid_params(&r);
	harness_response_free(&r);
	r = mc_answer(w.member_tok, args, state, "maybe");
	mc_assert_invalid_params(&r);
	harness_response_free(&r);

	/* A state past its lifetime, correctly signed. */
	json_t *content = mc_state_content(state);
	char *expired = mc_forge(w.member, (long)time(NULL) - 1, json_incref(content));
	r = mc_answer(w.member_tok, args, expired, "accept");
	mc_assert_invalid_params(&r);
	harness_response_free(&r);
	/* A state still alive whose confirmation has expired. */
	confirm_key key;
	confirm_key_from_secret(&key, HARNESS_SECRET_KEY);
	actor_t actor = { 0 };
	snprintf(actor.user_id, sizeof actor.user_id, "%s", w.member);
	snprintf(actor.workspace_id, sizeof actor.workspace_id, "%s", w.ws);
	json_error_t jerr;
	json_t *body = json_loads(args, 0, &jerr);
	confirm_action a = { CONFIRM_LOG_TIME_ENTRY, NULL, body };
	err_t err = { 0 };
	char *old = confirm_issue(&key, &actor, &a, time(NULL) - CONFIRM_TTL_SECONDS - 1, &err);
	json_object_set_new(content, "tok", json_string(old));
	char *stale = mc_forge(w.member, (long)time(NULL) + 600, content);
	r = mc_answer(w.member_tok, args, stale, "accept");
	mc_assert_refused(&r, "confirmation_expired");
	harness_response_free(&r);
	/* A state from another workspace's user, signed, carrying this user's id:
	 * the workspace inside must match the caller's. */
	json_t *foreign = mc_state_content(state);
	json_object_set_new(foreign, "ws", json_string("ws_somewhere_else"));
	char *moved = mc_forge(w.member, (long)time(NULL) + 600, foreign);
	r = mc_answer(w.member_tok, args, moved, "accept");
	mc_assert_invalid_params(&r);
	harness_response_free(&r);

	cr_assert_eq(mc_entries(w.member), 0, "no refusal ran anything");
	cr_assert_eq(mc_entries(w.member2), 0);
	/* The genuine state still works after all that. */
	r = mc_answer(w.member_tok, args, state, "accept");
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(mc_result(&r), "structuredContent"), "status")),
			 "confirmed", "%s", r.body);
	harness_response_free(&r);
	cr_assert_eq(mc_entries(w.member), 1);
	json_decref(body);
	free(old);
	free(stale);
	free(moved);
	free(expired);
	free(altered);
	free(state);
	free(other);
	free(args);
	harness_workspace_free(&w);
}

Test(mcp_confirm, a_client_without_forms_gets_the_token_path)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char *args = mc_args(&w, 1);
	const char *caps[] = { "{}", "{\"elicitation\":{\"url\":{}}}" };
	for (int i = 0; i < 2; i++) {
		harness_response r = mc_call(w.member_tok, caps[i], args, NULL);
		json_t *res = mc_result(&r);
		cr_assert_str_eq(json_string_value(json_object_get(res, "resultType")), "complete", "%s", r.body);
		json_t *sc = json_object_get(res, "structuredContent");
		cr_assert(json_is_true(json_object_get(sc, "requires_confirmation")));
		cr_assert_str_eq(json_string_value(json_object_get(sc, "status")), "pending");
		cr_assert(json_is_string(json_object_get(sc, "confirmation_token")));
		cr_assert(json_array_size(json_object_get(sc, "details")) >= 4, "%s", r.body);
		harness_response_free(&r);
	}
	cr_assert_eq(mc_entries(w.member), 0);
	free(args);
	harness_workspace_free(&w);
}
