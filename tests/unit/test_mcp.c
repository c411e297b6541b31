/* Unit tests of the parts of the MCP server that need no database: the tool
 * registry loaded from tools/, prompts, Host/Origin allow-list, cursors,
 * protocol versions, the confirmation key and which clients get the MCP App
 * card. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ai/tools.h"
#include "core/confirm.h"
#include "core/ctx.h"
#include "mcp/app_card.h"
#include "mcp/http.h"
#include "mcp/prompts.h"
#include "mcp/server.h"

Test(mcp_tools, the_eleven_tools_load_with_handlers_and_schemas)
{
	static const char *const names[] = { "approve_timesheet", "convert_time_to_invoice_lines", "find_work_items", "get_active_timer",
					     "get_my_timesheet", "get_utilization", "log_time_entry", "reject_timesheet",
					     "start_timer", "stop_timer", "submit_timesheet" };
	cr_assert_eq(ai_tools_count(), 11);
	for (size_t i = 0; i < 11; i++) {
		json_t *t = ai_tools_definition(i);
		cr_assert_str_eq(json_string_value(json_object_get(t, "name")), names[i]);
		cr_assert(ai_time_tool(names[i]));
		cr_assert(json_is_string(json_object_get(t, "title")) && json_is_string(json_object_get(t, "description")));
		cr_assert_str_eq(json_string_value(json_object_get(json_object_get(t, "inputSchema"), "type")), "object");
		cr_assert_str_eq(json_string_value(json_object_get(json_object_get(t, "outputSchema"), "type")), "object");
		bool read = !strncmp(names[i], "get_", 4) || !strcmp(names[i], "find_work_items");
		cr_assert_eq(json_is_true(json_object_get(json_object_get(t, "annotations"), "readOnlyHint")), read, "%s",
			     names[i]);
	}
	json_t *fns = ai_tools_openai();
	cr_assert_eq(json_array_size(fns), 11);
	json_decref(fns);
}

Test(mcp_tools, unknown_tool_and_schema_errors)
{
	err_t err = { 0 };
	ai_env env = { 0 };
	cr_assert_null(ai_tools_call(&env, "nope", NULL, &err));
	cr_assert_eq(err.kind, ERR_NOT_FOUND);
	/* Argument checks fail before the handler (and the database) is reached. */
	json_t *args = json_pack("{s:s}", "bogus", "x");
	json_t *r = ai_tools_call(&env, "stop_timer", args, &err);
	cr_assert(json_is_true(json_object_get(r, "isError")));
	cr_assert(strstr(json_string_value(json_object_get(json_array_get(json_object_get(r, "content"), 0), "text")), "bogus"));
	json_decref(r);
	json_decref(args);
	args = json_pack("{s:s, s:s, s:s}", "entity_type", "spaceship", "hours", "1", "log_date", "2026-01-01");
	r = ai_tools_call(&env, "log_time_entry", args, &err);
	cr_assert(json_is_true(json_object_get(r, "isError")));
	json_decref(r);
	json_decref(args);
}

Test(mcp_prompts, list_get_and_required_arguments)
{
	json_t *l = mcp_prompts_list();
	cr_assert_geq(json_array_size(json_object_get(l, "prompts")), 4);
	json_decref(l);
	char errbuf[200];
	cr_assert_null(mcp_prompts_get("bill_last_month", NULL, errbuf, sizeof errbuf));
	cr_assert(strstr(errbuf, "customer"));
	json_t *args = json_pack("{s:s}", "customer", "Acme");
	json_t *p = mcp_prompts_get("bill_last_month", args, errbuf, sizeof errbuf);
	const char *text = json_string_value(
		json_object_get(json_object_get(json_array_get(json_object_get(p, "messages"), 0), "content"), "text"));
	cr_assert(strstr(text, "Acme") && !strstr(text, "{{"));
	json_decref(p);
	json_decref(args);
	cr_assert_null(mcp_prompts_get("nope", NULL, errbuf, sizeof errbuf));
}

Test(mcp_http, host_allow_list)
{
	cr_assert(mcp_http_host_allowed("localhost", NULL));
	cr_assert(mcp_http_host_allowed("localhost:8080", NULL));
	cr_assert(mcp_http_host_allowed("127.0.0.1:1", NULL));
	cr_assert(mcp_http_host_allowed("[::1]:8080", NULL));
	cr_assert(mcp_http_host_allowed("LOCALHOST", NULL));
	cr_assert_not(mcp_http_host_allowed("localhost.evil.example", NULL));
	cr_assert_not(mcp_http_host_allowed("evil.example", NULL));
	cr_assert_not(mcp_http_host_allowed("", NULL));
	cr_assert_not(mcp_http_host_allowed(NULL, NULL));
	cr_assert(mcp_http_host_allowed("time.example.com", "a.example, time.example.com"));
	cr_assert(mcp_http_host_allowed("time.example.com:443", "time.example.com"));
	cr_assert(mcp_http_host_allowed("b.example:8443", "b.example:8443"));
	cr_assert_not(mcp_http_host_allowed("b.example:9999", "b.example:8443"));
	cr_assert_not(mcp_http_host_allowed("time.example.co", "time.example.com"));
}

Test(mcp_server, versions_levels_and_lifecycle)
{
	cr_assert(mcp_version_supported("2025-11-25") && mcp_version_supported("2025-06-18") &&
		  mcp_version_supported("2025-03-26"));
	cr_assert_not(mcp_version_supported("2024-11-05"));
	cr_assert_eq(mcp_log_level("warning"), 3);
	cr_assert_eq(mcp_log_level("loud"), -1);

	mcp_session s = { 0 };
	mcp_session_clear(&s);
	mcp_call call = { 0 };
	jsonrpc_msg m;
	const char *list = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}";
	jsonrpc_parse(list, strlen(list), &m);
	json_t *r = mcp_handle(&call, &s, &m);
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(r, "error"), "code")), JSONRPC_INVALID_REQUEST,
		     "requests before initialize are refused");
	json_decref(r);
	const char *init = "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-03-26\"}}";
	jsonrpc_msg i;
	jsonrpc_parse(init, strlen(init), &i);
	r = mcp_handle(&call, &s, &i);
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(r, "result"), "protocolVersion")), "2025-03-26");
	json_decref(r);
	jsonrpc_msg_free(&i);

	/* Pages of 4: 4 + 4 + 3 tools, then the cursor runs out. */
	call.page_size = 4;
	size_t seen = 0;
	char cursor[64] = "";
	for (int page = 0; page < 3; page++) {
		char text[200];
		snprintf(text, sizeof text, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/list\"%s%s%s}",
			 cursor[0] ? ",\"params\":{\"cursor\":\"" : "", cursor, cursor[0] ? "\"}" : "");
		jsonrpc_msg p;
		jsonrpc_parse(text, strlen(text), &p);
		r = mcp_handle(&call, &s, &p);
		json_t *res = json_object_get(r, "result");
		seen += json_array_size(json_object_get(res, "tools"));
		const char *next = json_string_value(json_object_get(res, "nextCursor"));
		cr_assert_eq(next != NULL, page < 2);
		snprintf(cursor, sizeof cursor, "%s", next ? next : "");
		json_decref(r);
		jsonrpc_msg_free(&p);
	}
	cr_assert_eq(seen, 11);
	const char *bad = "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/list\",\"params\":{\"cursor\":\"!!\"}}";
	jsonrpc_msg b;
	jsonrpc_parse(bad, strlen(bad), &b);
	r = mcp_handle(&call, &s, &b);
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(r, "error"), "code")), JSONRPC_INVALID_PARAMS);
	json_decref(r);
	jsonrpc_msg_free(&b);
	jsonrpc_msg_free(&m);
	mcp_session_clear(&s);
}

/* The stateless era (2026-07-28): one message at a time, no session. */
static json_t *stateless(mcp_call *call, const char *text, const mcp_headers *h, int *status)
{
	jsonrpc_msg m;
	jsonrpc_parse(text, strlen(text), &m);
	cr_assert(mcp_is_stateless(&m, h ? h->protocol_version : NULL), "%s", text);
	json_t *r = mcp_handle_stateless(call, &m, h, status);
	jsonrpc_msg_free(&m);
	return r;
}

static json_int_t error_code(json_t *r)
{
	return json_integer_value(json_object_get(json_object_get(r, "error"), "code"));
}

#define META "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"%s\",\"io.modelcontextprotocol/clientCapabilities\":%s}"

Test(mcp_server, stateless_era_rules)
{
	actor_t actor = { .user_id = "u1" };
	core_ctx core = { NULL, &actor };
	confirm_key key;
	confirm_key_from_secret(&key, "unit secret");
	mcp_call call = { .core = &core, .confirm = &key };
	char text[2000];
	int status;

	/* Session-era messages stay in the session era. */
	jsonrpc_msg m;
	const char *init = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\"}}";
	jsonrpc_parse(init, strlen(init), &m);
	cr_assert_not(mcp_is_stateless(&m, NULL));
	cr_assert_not(mcp_is_stateless(&m, "2025-06-18"));
	cr_assert(mcp_is_stateless(&m, "2026-07-28"));
	jsonrpc_msg_free(&m);

	/* server/discover: versions (newest first), capabilities, identity, cache hints. */
	snprintf(text, sizeof text, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"server/discover\",\"params\":{" META "}}",
		 "2026-07-28", "{}");
	json_t *r = stateless(&call, text, NULL, &status);
	json_t *res = json_object_get(r, "result");
	cr_assert_eq(status, 200);
	cr_assert_str_eq(json_string_value(json_array_get(json_object_get(res, "supportedVersions"), 0)), "2026-07-28");
	cr_assert_str_eq(json_string_value(json_object_get(res, "resultType")), "complete");
	cr_assert(json_is_integer(json_object_get(res, "ttlMs")));
	cr_assert(json_object_get(json_object_get(res, "capabilities"), "tools"));
	cr_assert(json_object_get(json_object_get(res, "_meta"), "io.modelcontextprotocol/serverInfo"));
	json_decref(r);

	/* _meta without capabilities: 400 invalid params, with the request's id. */
	r = stateless(&call,
		      "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/list\",\"params\":{\"_meta\":{"
		      "\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\"}}}",
		      NULL, &status);
	cr_assert_eq(status, 400);
	cr_assert_eq(error_code(r), JSONRPC_INVALID_PARAMS);
	cr_assert_eq(json_integer_value(json_object_get(r, "id")), 7);
	json_decref(r);

	/* An unknown version: the supported ones and the requested one. */
	snprintf(text, sizeof text, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\",\"params\":{" META "}}",
		 "2099-01-01", "{}");
	r = stateless(&call, text, NULL, &status);
	cr_assert_eq(status, 400);
	cr_assert_eq(error_code(r), MCP_UNSUPPORTED_VERSION);
	json_t *data = json_object_get(json_object_get(r, "error"), "data");
	cr_assert_str_eq(json_string_value(json_object_get(data, "requested")), "2099-01-01");
	cr_assert_eq(json_array_size(json_object_get(data, "supported")), 4);
	json_decref(r);

	/* HTTP headers must agree with the body. */
	snprintf(text, sizeof text,
		 "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"stop_timer\"," META "}}",
		 "2026-07-28", "{\"elicitation\":{}}");
	mcp_headers no_method = { "2026-07-28", NULL, "stop_timer" };
	mcp_headers other_name = { "2026-07-28", "tools/call", "get_active_timer" };
	mcp_headers other_version = { "2025-11-25", "tools/call", "stop_timer" };
	const mcp_headers *bad[] = { &no_method, &other_name, &other_version };
	for (size_t i = 0; i < 3; i++) {
		r = stateless(&call, text, bad[i], &status);
		cr_assert_eq(status, 400);
		cr_assert_eq(error_code(r), MCP_HEADER_MISMATCH, "case %zu", i);
		json_decref(r);
	}

	/* input_required: the requests the client can answer, and a requestState
	 * that verifies only unaltered, for its caller and its name. */
	json_t *caps = json_pack("{s:{}}", "elicitation");
	mcp_input_call c = { .name = "tool:unit", .client_capabilities = caps, .user_id = "u1", .key = &key };
	json_t *ask = json_pack("{s:{s:s, s:{s:s}}}", "who", "method", "elicitation/create", "params", "message", "Name?");
	res = mcp_input_required(&c, ask, json_pack("{s:s}", "round", "1"));
	cr_assert_str_eq(json_string_value(json_object_get(res, "resultType")), "input_required");
	cr_assert(json_object_get(json_object_get(res, "inputRequests"), "who"));
	char *state = strdup(json_string_value(json_object_get(res, "requestState")));
	json_decref(res);
	json_t *back = mcp_input_state(&c, state);
	cr_assert_str_eq(json_string_value(json_object_get(back, "round")), "1");
	json_decref(back);
	state[3] = state[3] == 'A' ? 'B' : 'A';
	cr_assert_null(mcp_input_state(&c, state), "an altered requestState is refused");
	state[3] = state[3] == 'A' ? 'B' : 'A';
	c.user_id = "u2";
	cr_assert_null(mcp_input_state(&c, state), "requestState is bound to its caller");
	c.user_id = "u1";
	c.name = "tool:other";
	cr_assert_null(mcp_input_state(&c, state), "requestState is bound to its tool");
	free(state);

	/* Without the elicitation capability: MissingRequiredClientCapability. */
	json_object_clear(caps);
	c.name = "tool:unit";
	ask = json_pack("{s:{s:s, s:{s:s}}}", "who", "method", "elicitation/create", "params", "message", "Name?");
	cr_assert_null(mcp_input_required(&c, ask, NULL));
	cr_assert_eq(c.error_code, MCP_MISSING_CAPABILITY);
	cr_assert(json_object_get(json_object_get(c.error_data, "requiredCapabilities"), "elicitation"));
	json_decref(c.error_data);
	json_decref(caps);

	/* The session era's methods are gone: 404, method not found. */
	const char *gone[] = { "initialize", "ping", "logging/setLevel", "resources/subscribe", "subscriptions/listen" };
	for (size_t i = 0; i < 5; i++) {
		snprintf(text, sizeof text, "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"%s\",\"params\":{" META "}}", gone[i],
			 "2026-07-28", "{}");
		r = stateless(&call, text, NULL, &status);
		cr_assert_eq(status, 404, "%s", gone[i]);
		cr_assert_eq(error_code(r), JSONRPC_METHOD_NOT_FOUND);
		json_decref(r);
	}
}

/* The card is offered only to clients that declare the MCP Apps extension
 * with its HTML profile, and only the write tools name it. */
Test(mcp_app, offered_to_apps_clients_on_write_tools_only)
{
	const char *caps[] = {
		"{\"extensions\":{\"io.modelcontextprotocol/ui\":{\"mimeTypes\":[\"text/html;profile=mcp-app\"]}}}",
		"{\"extensions\":{\"io.modelcontextprotocol/ui\":{\"mimeTypes\":[\"text/html\"]}}}",
		"{\"extensions\":{\"io.modelcontextprotocol/ui\":{}}}",
		"{\"extensions\":{\"io.modelcontextprotocol/ui\":{\"mimeTypes\":\"text/html;profile=mcp-app\"}}}",
		"{\"elicitation\":{}}",
	};
	for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
		json_t *c = json_loads(caps[i], 0, NULL);
		cr_assert_eq(mcp_app_supported(c), i == 0, "case %zu", i);
		json_decref(c);
	}
	cr_assert_not(mcp_app_supported(NULL));

	size_t writes = 0;
	for (size_t i = 0; i < ai_tools_count(); i++) {
		json_t *def = ai_tools_definition(i), *seen = mcp_app_listing(def);
		bool write = json_is_false(json_object_get(json_object_get(def, "annotations"), "readOnlyHint"));
		const char *uri = json_string_value(json_object_get(json_object_get(json_object_get(seen, "_meta"), "ui"), "resourceUri"));
		cr_assert_eq(uri != NULL, write, "%s", json_string_value(json_object_get(def, "name")));
		cr_assert_null(json_object_get(def, "_meta"), "the registry's definition is left as it was");
		writes += write;
		json_decref(seen);
	}
	cr_assert_eq(writes, 7, "the seven write tools");
	json_t *tool = mcp_app_tool();
	json_t *vis = json_object_get(json_object_get(json_object_get(tool, "_meta"), "ui"), "visibility");
	cr_assert_eq(json_array_size(vis), 1);
	cr_assert_str_eq(json_string_value(json_array_get(vis, 0)), "app", "hidden from the model");
	json_decref(tool);
}

Test(confirm, key_from_secret_or_generated_file)
{
	char dir[] = "/tmp/wt-confirm-XXXXXX";
	cr_assert(mkdtemp(dir));
	char path[128];
	snprintf(path, sizeof path, "%s/sub/secret_key", dir);
	confirm_key a, b, c;
	err_t err = { 0 };
	cr_assert(confirm_key_load(&a, NULL, path, &err), "%s", err.message);
	cr_assert(confirm_key_load(&b, NULL, path, &err));
	cr_assert(!memcmp(a.key, b.key, sizeof a.key), "the generated secret is reused");
	cr_assert(confirm_key_load(&c, "a-configured-secret-value", path, &err));
	cr_assert(memcmp(a.key, c.key, sizeof a.key));
	cr_assert_not(confirm_key_load(&c, "short", path, &err));
	char cmd[200];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

Test(confirm, rest_call_of_each_action)
{
	json_t *body = json_pack("{s:s}", "reason", "fix it");
	confirm_action a = { CONFIRM_REJECT_TIMESHEET, "ts_1", body };
	json_t *call = confirm_rest_call(&a);
	cr_assert_str_eq(json_string_value(json_object_get(call, "path")), "/api/v1/timesheets/ts_1/reject");
	cr_assert(json_equal(json_object_get(call, "body"), body));
	json_decref(call);
	confirm_action s = { CONFIRM_STOP_TIMER, NULL, NULL };
	call = confirm_rest_call(&s);
	cr_assert_str_eq(json_string_value(json_object_get(call, "path")), "/api/v1/time/timer/stop");
	cr_assert(json_is_null(json_object_get(call, "body")));
	json_decref(call);
	json_decref(body);
}
