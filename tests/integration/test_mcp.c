/* The AI tools, their confirmation flow and MCP over Streamable HTTP, against
 * a real serve: write tools change nothing until confirmed; confirmations run
 * once, for their user, before they expire, and audit as ai_tool. */
#include "core/confirm.h"
#include "harness.h"
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static harness_response mcp_t_tool(const char *token, const char *name, const char *args)
{
	char path[128];
	snprintf(path, sizeof path, "/api/ai/tools/%s", name);
	return harness_request("POST", path, token, args, NULL);
}

/* structuredContent of a tool result, borrowed from r. */
static json_t *mcp_t_structured(const harness_response *r)
{
	return json_object_get(harness_data(r), "structuredContent");
}

static long mcp_t_entries(const char *user)
{
	return harness_sql_long("SELECT count(*) FROM time_entries WHERE user_id = $1 AND deleted_at IS NULL", 1, user);
}

/* Prepares log_time_entry for the member and returns the token (malloc'd). */
static char *mcp_t_prepare_log(const harness_ws *w, const char *token)
{
	char args[512];
	snprintf(args, sizeof args, "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":1.5,\"log_date\":\"2026-03-04\"}",
		 harness_demo_id(w, "tasks", 0));
	harness_response r = mcp_t_tool(token, "log_time_entry", args);
	cr_assert_eq(r.status, 200, "%s", r.body);
	json_t *sc = mcp_t_structured(&r);
	cr_assert(json_is_true(json_object_get(sc, "requires_confirmation")), "%s", r.body);
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(sc, "action"), "path")), "/api/v1/time-entries");
	char *tok = strdup(json_string_value(json_object_get(sc, "confirmation_token")));
	harness_response_free(&r);
	return tok;
}

static harness_response mcp_t_confirm(const char *token, const char *confirmation)
{
	char body[4096];
	snprintf(body, sizeof body, "{\"confirmation_token\":\"%s\"}", confirmation);
	return harness_request("POST", "/api/v1/ai/confirm", token, body, NULL);
}

Test(ai_tools, lists_the_eleven_tools_in_both_shapes)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	harness_response r = harness_request("GET", "/api/ai/tools", w.member_tok, NULL, NULL);
	cr_assert_eq(r.status, 200);
	json_t *tools = harness_data(&r);
	cr_assert_eq(json_array_size(tools), 11);
	size_t i;
	json_t *t;
	json_array_foreach(tools, i, t) {
		cr_assert(json_object_get(t, "inputSchema") && json_object_get(t, "outputSchema"));
		cr_assert(json_is_boolean(json_object_get(json_object_get(t, "annotations"), "readOnlyHint")));
	}
	harness_response_free(&r);
	r = harness_request("GET", "/api/ai/tools?format=openai", w.member_tok, NULL, NULL);
	cr_assert_eq(r.status, 200);
	t = json_array_get(harness_data(&r), 0);
	cr_assert_str_eq(json_string_value(json_object_get(t, "type")), "function");
	cr_assert(json_object_get(json_object_get(t, "function"), "parameters"));
	harness_response_free(&r);
	r = harness_request("GET", "/api/ai/tools", NULL, NULL, NULL);
	cr_assert_eq(r.status, 401);
	harness_response_free(&r);
	r = mcp_t_tool(w.member_tok, "no_such_tool", "{}");
	cr_assert_eq(r.status, 404);
	harness_response_free(&r);
	harness_workspace_free(&w);
}

Test(ai_tools, write_tool_changes_nothing_until_confirmed_then_runs_once)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char *tok = mcp_t_prepare_log(&w, w.member_tok);
	cr_assert_eq(mcp_t_entries(w.member), 0, "a write tool must not write");
	harness_response r = mcp_t_confirm(w.member_tok, tok);
	cr_assert_eq(r.status, 200, "%s", r.body);
	json_t *result = json_object_get(harness_data(&r), "result");
	cr_assert_eq(json_real_value(json_object_get(result, "hours")), 1.5);
	cr_assert_eq(mcp_t_entries(w.member), 1);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM audit_log WHERE entity_id = $1 AND source = 'ai_tool'"
				      " AND action = 'time_entry.created'",
				      1, json_string_value(json_object_get(result, "id"))),
		     1);
	harness_response_free(&r);
	r = mcp_t_confirm(w.member_tok, tok);
	cr_assert_eq(r.status, 409);
	cr_assert_str_eq(harness_error_code(&r), "confirmation_used");
	cr_assert_eq(mcp_t_entries(w.member), 1);
	harness_response_free(&r);
	free(tok);
	harness_workspace_free(&w);
}

Test(ai_tools, tampered_foreign_and_expired_confirmations_are_refused)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char *tok = mcp_t_prepare_log(&w, w.member_tok);
	/* Another hour count in the payload: the MAC no longer matches. */
	char *tampered = strdup(tok);
	tampered[10] = tampered[10] == 'A' ? 'B' : 'A';
	harness_response r = mcp_t_confirm(w.member_tok, tampered);
	cr_assert_eq(r.status, 422);
	cr_assert_str_eq(harness_error_code(&r), "invalid_confirmation");
	harness_response_free(&r);
	r = mcp_t_confirm(w.member2_tok, tok);
	cr_assert_eq(r.status, 403);
	cr_assert_str_eq(harness_error_code(&r), "confirmation_forbidden");
	harness_response_free(&r);

	confirm_key key;
	confirm_key_from_secret(&key, HARNESS_SECRET_KEY);
	actor_t actor = { 0 };
	snprintf(actor.user_id, sizeof actor.user_id, "%s", w.member);
	snprintf(actor.workspace_id, sizeof actor.workspace_id, "%s", w.ws);
	confirm_action a = { CONFIRM_STOP_TIMER, NULL, NULL };
	err_t err = { 0 };
	char *old = confirm_issue(&key, &actor, &a, time(NULL) - CONFIRM_TTL_SECONDS - 1, &err);
	r = mcp_t_confirm(w.member_tok, old);
	cr_assert_eq(r.status, 422);
	cr_assert_str_eq(harness_error_code(&r), "confirmation_expired");
	harness_response_free(&r);
	cr_assert_eq(mcp_t_entries(w.member), 0);
	free(old);
	free(tampered);
	free(tok);
	harness_workspace_free(&w);
}

Test(ai_tools, timesheet_flow_through_confirmations)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char *tok = mcp_t_prepare_log(&w, w.member_tok);
	harness_response r = mcp_t_confirm(w.member_tok, tok);
	cr_assert_eq(r.status, 200);
	harness_response_free(&r);
	free(tok);
	r = mcp_t_tool(w.member_tok, "submit_timesheet", "{\"period_start\":\"2026-03-04\"}");
	json_t *sc = mcp_t_structured(&r);
	cr_assert(json_is_true(json_object_get(sc, "requires_confirmation")), "%s", r.body);
	char *submit = strdup(json_string_value(json_object_get(sc, "confirmation_token")));
	char *ts = strdup(json_string_value(json_object_get(json_object_get(json_object_get(sc, "preview"), "timesheet"), "id")));
	harness_response_free(&r);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM timesheets WHERE id = $1 AND status = 'draft'", 1, ts), 1);
	r = mcp_t_confirm(w.member_tok, submit);
	cr_assert_eq(r.status, 200, "%s", r.body);
	harness_response_free(&r);

	char args[200];
	snprintf(args, sizeof args, "{\"timesheet_id\":\"%s\"}", ts);
	r = mcp_t_tool(w.member_tok, "approve_timesheet", args);
	cr_assert(json_is_true(json_object_get(harness_data(&r), "isError")), "a member cannot approve");
	cr_assert_null(mcp_t_structured(&r));
	harness_response_free(&r);
	snprintf(args, sizeof args, "{\"timesheet_id\":\"%s\",\"reason\":\"split the kickoff hours\"}", ts);
	r = mcp_t_tool(w.manager_tok, "reject_timesheet", args);
	sc = mcp_t_structured(&r);
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(sc, "preview"), "new_status")), "rejected");
	char *reject = strdup(json_string_value(json_object_get(sc, "confirmation_token")));
	harness_response_free(&r);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM timesheets WHERE id = $1 AND status = 'submitted'", 1, ts), 1);
	r = mcp_t_confirm(w.manager_tok, reject);
	cr_assert_eq(r.status, 200, "%s", r.body);
	harness_response_free(&r);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM timesheets WHERE id = $1 AND status = 'rejected'"
				      " AND rejection_reason = 'split the kickoff hours'", 1, ts), 1);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM audit_log WHERE entity_id = $1 AND source = 'ai_tool'", 1, ts), 2);
	free(submit);
	free(reject);
	free(ts);
	harness_workspace_free(&w);
}

/* Pro tools answer from the reports and invoicing cores: real numbers, and a
 * pull onto an invoice that happens only when confirmed. */
Test(ai_tools, utilization_and_invoice_pull_on_pro)
{
	harness_ws w;
	harness_workspace(&w, "pro", "projects,finance");
	char *log = mcp_t_prepare_log(&w, w.member_tok);
	harness_response r = mcp_t_confirm(w.member_tok, log);
	cr_assert_eq(r.status, 200, "%s", r.body);
	harness_response_free(&r);
	free(log);

	r = mcp_t_tool(w.member_tok, "get_utilization", "{\"from\":\"2026-03-02\",\"to\":\"2026-03-06\"}");
	json_t *sc = mcp_t_structured(&r);
	cr_assert_not(json_is_true(json_object_get(harness_data(&r), "isError")), "%s", r.body);
	cr_assert_float_eq(json_number_value(json_object_get(sc, "billable_hours")), 1.5, 1e-9, "%s", r.body);
	cr_assert_float_eq(json_number_value(json_object_get(sc, "capacity_hours")), 40.0, 1e-9, "%s", r.body);
	harness_response_free(&r);

	/* Approve the week so its time can be billed. */
	char ts[64];
	PGresult *q = harness_sql("SELECT timesheet_id FROM time_entries WHERE user_id = $1", 1, w.member);
	snprintf(ts, sizeof ts, "%s", PQgetvalue(q, 0, 0));
	PQclear(q);
	char path[160];
	snprintf(path, sizeof path, "/api/v1/timesheets/%s/submit", ts);
	harness_response_free((r = harness_request("POST", path, w.member_tok, NULL, NULL), &r));
	snprintf(path, sizeof path, "/api/v1/timesheets/%s/approve", ts);
	harness_response_free((r = harness_request("POST", path, w.manager_tok, NULL, NULL), &r));

	char args[256];
	snprintf(args, sizeof args, "{\"invoice_id\":\"%s\",\"from\":\"2026-03-01\",\"to\":\"2026-03-31\"}",
		 harness_demo_id(&w, "invoices", 0));
	r = mcp_t_tool(w.member_tok, "convert_time_to_invoice_lines", args);
	cr_assert(json_is_true(json_object_get(harness_data(&r), "isError")), "members cannot bill: %s", r.body);
	harness_response_free(&r);
	r = mcp_t_tool(w.manager_tok, "convert_time_to_invoice_lines", args);
	sc = mcp_t_structured(&r);
	cr_assert(json_is_true(json_object_get(sc, "requires_confirmation")), "%s", r.body);
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(sc, "preview"), "entry_count")), 1, "%s", r.body);
	char *pull = strdup(json_string_value(json_object_get(sc, "confirmation_token")));
	harness_response_free(&r);
	const char *inv = harness_demo_id(&w, "invoices", 0);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM invoice_lines WHERE invoice_id = $1", 1, inv), 0);
	r = mcp_t_confirm(w.manager_tok, pull);
	cr_assert_eq(r.status, 200, "%s", r.body);
	harness_response_free(&r);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM invoice_lines WHERE invoice_id = $1", 1, inv), 1);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM audit_log WHERE entity_id = $1 AND source = 'ai_tool'"
				      " AND action = 'invoice.lines_filled_from_time'", 1, inv), 1);
	free(pull);
	harness_workspace_free(&w);
}

Test(ai_tools, read_tools_and_plan_gates)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	harness_response r = mcp_t_tool(w.member_tok, "get_my_timesheet", "{\"period_start\":\"2026-03-04\"}");
	json_t *sc = mcp_t_structured(&r);
	cr_assert_eq(json_array_size(json_object_get(sc, "by_day")), 7, "%s", r.body);
	cr_assert_str_eq(json_string_value(json_object_get(sc, "period_start")), "2026-03-02");
	harness_response_free(&r);
	r = mcp_t_tool(w.member_tok, "get_active_timer", NULL);
	cr_assert(json_is_false(json_object_get(mcp_t_structured(&r), "running")), "%s", r.body);
	harness_response_free(&r);
	r = mcp_t_tool(w.member_tok, "get_utilization", "{\"from\":\"2026-03-01\",\"to\":\"2026-03-31\"}");
	cr_assert(json_is_true(json_object_get(harness_data(&r), "isError")));
	cr_assert(strstr(r.body, "plan_required"));
	harness_response_free(&r);
	r = mcp_t_tool(w.member_tok, "log_time_entry", "{\"entity_type\":\"task\",\"hours\":\"lots\",\"log_date\":\"2026-03-04\"}");
	cr_assert(json_is_true(json_object_get(harness_data(&r), "isError")));
	cr_assert(strstr(r.body, "hours"));
	harness_response_free(&r);
	r = mcp_t_tool(w.member_tok, "stop_timer", "{}");
	cr_assert(strstr(r.body, "no_active_timer"));
	harness_response_free(&r);
	harness_workspace_free(&w);
}

static const char *const MCP_T_HEADERS[] = { "Accept: application/json, text/event-stream", NULL };

static harness_response mcp_t_post(const char *token, const char *session, const char *body)
{
	char sid[200];
	snprintf(sid, sizeof sid, "Mcp-Session-Id: %s", session ? session : "");
	const char *hdrs[] = { MCP_T_HEADERS[0], session ? sid : NULL, NULL };
	return harness_request("POST", "/mcp", token, body, hdrs);
}

/* initialize in the session era, asking for version. */
static harness_response mcp_t_init(const char *token, const char *version)
{
	char body[300];
	snprintf(body, sizeof body,
		 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"%s\","
		 "\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}",
		 version);
	return mcp_t_post(token, NULL, body);
}

Test(mcp_http, session_lifecycle_and_transport_rules)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	harness_response r = mcp_t_init(w.member_tok, "2024-01-01");
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(r.json, "result"), "protocolVersion")), "2025-11-25");
	char *sid = harness_header(&r, "mcp-session-id");
	cr_assert(sid && strlen(sid) == 64);
	harness_response_free(&r);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM mcp_sessions WHERE id = $1 AND user_id = $2", 2, sid, w.member), 1);

	r = mcp_t_post(w.member_tok, sid, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
	cr_assert_eq(r.status, 202);
	harness_response_free(&r);
	r = mcp_t_post(w.member_tok, sid, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}");
	cr_assert_eq(json_array_size(json_object_get(json_object_get(r.json, "result"), "tools")), 11, "%s", r.body);
	harness_response_free(&r);
	r = mcp_t_post(w.member2_tok, sid, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\"}");
	cr_assert_eq(r.status, 404, "another user's session does not exist for them");
	harness_response_free(&r);
	r = mcp_t_post(w.member_tok, "0000", "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\"}");
	cr_assert_eq(r.status, 404);
	harness_response_free(&r);
	r = mcp_t_post(w.member_tok, sid, "{\"jsonrpc\":\"2.0\",\"id\":4,");
	cr_assert_eq(r.status, 400);
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(r.json, "error"), "code")), -32700);
	harness_response_free(&r);

	const char *json_only[] = { "Accept: application/json", NULL };
	r = harness_request("POST", "/mcp", w.member_tok, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"ping\"}", json_only);
	cr_assert_eq(r.status, 406);
	harness_response_free(&r);
	const char *evil[] = { MCP_T_HEADERS[0], "Origin: http://evil.example", NULL };
	r = harness_request("POST", "/mcp", w.member_tok, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"ping\"}", evil);
	cr_assert_eq(r.status, 403);
	harness_response_free(&r);
	r = harness_request("POST", "/mcp", NULL, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"ping\"}", MCP_T_HEADERS);
	cr_assert_eq(r.status, 401);
	char *www = harness_header(&r, "www-authenticate");
	cr_assert(www && !strncmp(www, "Bearer", 6));
	free(www);
	harness_response_free(&r);
	char version[200], session[200];
	snprintf(session, sizeof session, "Mcp-Session-Id: %s", sid);
	snprintf(version, sizeof version, "MCP-Protocol-Version: 1999-01-01");
	const char *bad_version[] = { MCP_T_HEADERS[0], session, version, NULL };
	r = harness_request("POST", "/mcp", w.member_tok, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"ping\"}", bad_version);
	cr_assert_eq(r.status, 400);
	harness_response_free(&r);
	r = harness_request("GET", "/mcp", w.member_tok, NULL, MCP_T_HEADERS);
	cr_assert_eq(r.status, 405);
	harness_response_free(&r);

	const char *del[] = { session, NULL };
	r = harness_request("DELETE", "/mcp", w.member_tok, NULL, del);
	cr_assert_eq(r.status, 204);
	harness_response_free(&r);
	r = mcp_t_post(w.member_tok, sid, "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"ping\"}");
	cr_assert_eq(r.status, 404);
	harness_response_free(&r);
	free(sid);
	harness_workspace_free(&w);
}

/* 2026-07-28: no initialize, no session row; the version and capabilities
 * travel in _meta, the headers must agree with the body, and a second serve
 * answers the same requests as the first. */
#define MCP_T_META "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"%s\"," \
		   "\"io.modelcontextprotocol/clientCapabilities\":{}}"

static harness_response mcp_t_stateless(const char *base, const char *token, const char *method, const char *name,
					const char *version, const char *header_version, const char *params)
{
	char body[1000], mh[100], nh[100], vh[100];
	snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"%s\",\"params\":{%s%s" MCP_T_META "}}", method,
		 params ? params : "", params ? "," : "", version);
	snprintf(mh, sizeof mh, "Mcp-Method: %s", method);
	snprintf(nh, sizeof nh, "Mcp-Name: %s", name ? name : "");
	snprintf(vh, sizeof vh, "MCP-Protocol-Version: %s", header_version);
	const char *hdrs[] = { MCP_T_HEADERS[0], vh, mh, name ? nh : NULL, NULL };
	return harness_request_at(base, "POST", "/mcp", token, body, hdrs);
}

Test(mcp_http, stateless_era_needs_no_session)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	long sessions = harness_sql_long("SELECT count(*) FROM mcp_sessions", 0);
	char other[64];
	const char *env[] = { NULL };
	int pid = harness_spawn_serve(env, "build/serve-mcp-stateless.log", other);
	cr_assert(pid > 0);
	const char *bases[] = { harness_base(), other };
	for (int i = 0; i < 2; i++) {
		harness_response r = mcp_t_stateless(bases[i], w.member_tok, "server/discover", NULL, "2026-07-28",
						     "2026-07-28", NULL);
		cr_assert_eq(r.status, 200, "%s", r.body);
		cr_assert_null(harness_header(&r, "mcp-session-id"));
		json_t *res = json_object_get(r.json, "result");
		cr_assert_str_eq(json_string_value(json_array_get(json_object_get(res, "supportedVersions"), 0)), "2026-07-28");
		cr_assert_str_eq(json_string_value(json_object_get(res, "resultType")), "complete");
		harness_response_free(&r);

		r = mcp_t_stateless(bases[i], w.member_tok, "tools/call", "get_active_timer", "2026-07-28", "2026-07-28",
				    "\"name\":\"get_active_timer\",\"arguments\":{}");
		cr_assert_eq(r.status, 200, "%s", r.body);
		res = json_object_get(r.json, "result");
		cr_assert_str_eq(json_string_value(json_object_get(res, "resultType")), "complete");
		cr_assert(json_is_false(json_object_get(json_object_get(res, "structuredContent"), "running")), "%s", r.body);
		harness_response_free(&r);
	}
	cr_assert_eq(harness_stop_serve(pid), 0);

	/* Refusals carry the request's id. */
	harness_response r = mcp_t_stateless(harness_base(), w.member_tok, "tools/list", NULL, "2099-01-01", "2099-01-01", NULL);
	cr_assert_eq(r.status, 400);
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(r.json, "error"), "code")), -32022);
	cr_assert_eq(json_integer_value(json_object_get(r.json, "id")), 9);
	harness_response_free(&r);
	r = mcp_t_stateless(harness_base(), w.member_tok, "tools/list", NULL, "2026-07-28", "2025-11-25", NULL);
	cr_assert_eq(r.status, 400);
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(r.json, "error"), "code")), -32020);
	harness_response_free(&r);
	r = mcp_t_stateless(harness_base(), w.member_tok, "tools/call", "stop_timer", "2026-07-28", "2026-07-28",
			    "\"name\":\"get_active_timer\"");
	cr_assert_eq(r.status, 400, "Mcp-Name must agree with params.name");
	harness_response_free(&r);
	r = mcp_t_stateless(harness_base(), w.member_tok, "ping", NULL, "2026-07-28", "2026-07-28", NULL);
	cr_assert_eq(r.status, 404);
	harness_response_free(&r);
	/* Without credentials, still 401. */
	r = mcp_t_stateless(harness_base(), NULL, "server/discover", NULL, "2026-07-28", "2026-07-28", NULL);
	cr_assert_eq(r.status, 401);
	harness_response_free(&r);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM mcp_sessions", 0), sessions, "no session row");
	harness_workspace_free(&w);
}

Test(mcp_http, progress_arrives_as_sse_before_the_result)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	harness_response r = mcp_t_init(w.member_tok, "2025-06-18");
	char *sid = harness_header(&r, "mcp-session-id");
	harness_response_free(&r);
	r = mcp_t_post(w.member_tok, sid,
		       "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"get_active_timer\","
		       "\"arguments\":{},\"_meta\":{\"progressToken\":\"p\"}}}");
	cr_assert_eq(r.status, 200);
	char *ct = harness_header(&r, "content-type");
	cr_assert_str_eq(ct, "text/event-stream");
	const char *progress = strstr(r.body, "notifications/progress"), *result = strstr(r.body, "\"id\":2");
	cr_assert(progress && result && progress < result, "%s", r.body);
	free(ct);
	free(sid);
	harness_response_free(&r);
	harness_workspace_free(&w);
}

/* The caller's own time as resources, in both eras: the running timer, this
 * week and any week by its day, each the caller's and nobody else's. */
Test(mcp_http, the_callers_time_as_resources)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	harness_response r = mcp_t_init(w.member_tok, "2025-11-25");
	json_t *resources = json_object_get(json_object_get(json_object_get(r.json, "result"), "capabilities"), "resources");
	cr_assert(json_is_false(json_object_get(resources, "subscribe")), "%s", r.body);
	char *sid = harness_header(&r, "mcp-session-id");
	harness_response_free(&r);
	r = mcp_t_post(w.member_tok, sid, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"resources/list\"}");
	json_t *list = json_object_get(json_object_get(r.json, "result"), "resources");
	cr_assert_eq(json_array_size(list), 2, "%s", r.body);
	harness_response_free(&r);
	r = mcp_t_post(w.member_tok, sid, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"resources/templates/list\"}");
	cr_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(json_object_get(json_object_get(r.json, "result"), "resourceTemplates"), 0),
				 "uriTemplate")),
			 "workestra://time/weeks/{day}", "%s", r.body);
	harness_response_free(&r);

	/* The member's week holding a day with their entry in it. */
	json_decref(harness_call(201, w.member_tok, "POST", "/api/v1/time-entries",
				 "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":2.5,\"log_date\":\"2026-03-04\"}",
				 harness_demo_id(&w, "tasks", 0)));
	r = mcp_t_post(w.member_tok, sid,
		       "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"resources/read\",\"params\":{\"uri\":"
		       "\"workestra://time/weeks/2026-03-04\"}}");
	json_t *c = json_array_get(json_object_get(json_object_get(r.json, "result"), "contents"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(c, "mimeType")), "application/json", "%s", r.body);
	json_t *week = json_loads(json_string_value(json_object_get(c, "text")), 0, NULL);
	cr_assert_eq(json_number_value(json_object_get(json_object_get(week, "totals"), "hours")), 2.5, "%s", r.body);
	json_decref(week);
	harness_response_free(&r);
	r = mcp_t_post(w.member_tok, sid,
		       "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"resources/read\",\"params\":{\"uri\":\"workestra://time/timer\"}}");
	c = json_array_get(json_object_get(json_object_get(r.json, "result"), "contents"), 0);
	cr_assert(strstr(json_string_value(json_object_get(c, "text")), "\"running\":false"), "%s", r.body);
	harness_response_free(&r);
	/* A day that is none, an unknown URI, and subscriptions (not offered). */
	r = mcp_t_post(w.member_tok, sid,
		       "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"resources/read\",\"params\":{\"uri\":"
		       "\"workestra://time/weeks/someday\"}}");
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(r.json, "error"), "code")), -32602, "%s", r.body);
	harness_response_free(&r);
	r = mcp_t_post(w.member_tok, sid,
		       "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"resources/read\",\"params\":{\"uri\":\"workestra://nothing\"}}");
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(r.json, "error"), "code")), -32002, "%s", r.body);
	harness_response_free(&r);
	r = mcp_t_post(w.member_tok, sid,
		       "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"resources/subscribe\",\"params\":{\"uri\":\"workestra://time/timer\"}}");
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(r.json, "error"), "code")), -32601, "%s", r.body);
	harness_response_free(&r);
	/* Another member reads their own (empty) week at the same URI. */
	harness_response o = mcp_t_stateless(harness_base(), w.member2_tok, "resources/read", "workestra://time/weeks/2026-03-04",
					     "2026-07-28", "2026-07-28", "\"uri\":\"workestra://time/weeks/2026-03-04\"");
	c = json_array_get(json_object_get(json_object_get(o.json, "result"), "contents"), 0);
	week = json_loads(json_string_value(json_object_get(c, "text")), 0, NULL);
	cr_assert_eq(json_number_value(json_object_get(json_object_get(week, "totals"), "hours")), 0, "%s", o.body);
	json_decref(week);
	harness_response_free(&o);
	free(sid);
	harness_workspace_free(&w);
}
