#include "mcp/server.h"
#include "ai/tools.h"
#include "mcp/prompts.h"
#include "mcp/resources.h"
#include "util/crypto.h"
#include "util/log.h"
#include "util/utf8.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Newest first: initialize answers the client's version when listed here,
 * else the newest (the client then decides whether it can go on). */
static const char *const VERSIONS[] = { MCP_LATEST_VERSION, "2025-06-18", "2025-03-26", NULL };
static const char *const LEVELS[] = { "debug", "info", "notice", "warning", "error", "critical", "alert", "emergency", NULL };

bool mcp_version_supported(const char *v)
{
	for (const char *const *p = VERSIONS; v && *p; p++)
		if (!strcmp(*p, v))
			return true;
	return false;
}

int mcp_log_level(const char *name)
{
	for (int i = 0; name && LEVELS[i]; i++)
		if (!strcmp(LEVELS[i], name))
			return i;
	return -1;
}

const char *mcp_log_level_name(int level)
{
	return level >= 0 && level < MCP_LOG_OFF ? LEVELS[level] : "off";
}

void mcp_session_clear(mcp_session *s)
{
	json_decref(s->client_info);
	json_decref(s->client_capabilities);
	json_decref(s->subscriptions);
	memset(s, 0, sizeof *s);
	s->log_level = MCP_LOG_OFF;
}

static json_t *invalid_params(const jsonrpc_msg *m, const char *message)
{
	return jsonrpc_error(m->id, JSONRPC_INVALID_PARAMS, message, NULL);
}

static const char *param(const jsonrpc_msg *m, const char *key)
{
	return json_string_value(json_object_get(m->params, key));
}

/* notifications/message to the client, when its chosen level lets it through. */
static void log_to_client(mcp_call *call, const mcp_session *s, int level, json_t *data)
{
	if (level < s->log_level || !call->notify) {
		json_decref(data);
		return;
	}
	call->notify(call->notify_ctx,
		     jsonrpc_notification("notifications/message", json_pack("{s:s, s:s, s:o}", "level",
									   mcp_log_level_name(level), "logger",
									   "workestra-time", "data", data)));
}

static json_t *initialize(mcp_session *s, const jsonrpc_msg *m)
{
	const char *asked = param(m, "protocolVersion");
	if (!asked)
		return invalid_params(m, "Invalid params: initialize needs protocolVersion");
	snprintf(s->protocol_version, sizeof s->protocol_version, "%s", mcp_version_supported(asked) ? asked : VERSIONS[0]);
	json_decref(s->client_info);
	s->client_info = json_incref(json_object_get(m->params, "clientInfo"));
	json_decref(s->client_capabilities);
	s->client_capabilities = json_incref(json_object_get(m->params, "capabilities"));
	json_t *result = json_pack(
		"{s:s, s:{s:{s:b}, s:{s:b}, s:{}, s:{}}, s:{s:s, s:s, s:s}, s:s}", "protocolVersion", s->protocol_version,
		"capabilities", "tools", "listChanged", 0, "prompts", "listChanged", 0, "completions", "logging",
		"serverInfo", "name", "workestra-time", "title", "Workestra Time", "version", "0.1.0", "instructions",
		"Time tracking for the caller's Workestra workspace. Read tools answer at once. Write tools "
		"(log_time_entry, start_timer, stop_timer, submit/approve/reject_timesheet, convert_time_to_invoice_lines) "
		"change nothing: they return requires_confirmation with a summary to show the user and a "
		"confirmation_token the user's client redeems at POST /api/v1/ai/confirm.");
	/* Resources are offered only when some are registered (none in production). */
	if (mcp_resources_any())
		json_object_set_new(json_object_get(result, "capabilities"), "resources",
				    json_pack("{s:b, s:b}", "subscribe", 1, "listChanged", 0));
	return jsonrpc_result(m->id, result);
}

/* Cursors are the offset of the next page, base64url-encoded: opaque to clients. */
static bool decode_cursor(const char *cursor, size_t *offset)
{
	unsigned char raw[32];
	size_t len = strlen(cursor);
	if (len > 40)
		return false;
	long n = crypto_b64url_decode(cursor, len, raw);
	if (n <= 0 || n >= (long)sizeof raw)
		return false;
	raw[n] = '\0';
	char *end;
	unsigned long v = strtoul((const char *)raw, &end, 10);
	if (*end || end == (char *)raw)
		return false;
	*offset = v;
	return true;
}

static json_t *tools_list(mcp_call *call, const jsonrpc_msg *m)
{
	size_t offset = 0, total = ai_tools_count();
	size_t page = call->page_size > 0 ? (size_t)call->page_size : MCP_PAGE_SIZE;
	json_t *cursor = json_object_get(m->params, "cursor");
	if (cursor && (!json_is_string(cursor) || !decode_cursor(json_string_value(cursor), &offset) || offset > total))
		return invalid_params(m, "Invalid params: unknown cursor");
	json_t *list = json_array();
	for (size_t i = offset; i < total && i < offset + page; i++)
		json_array_append(list, ai_tools_definition(i));
	json_t *result = json_pack("{s:o}", "tools", list);
	if (offset + page < total) {
		char text[24], enc[40];
		int n = snprintf(text, sizeof text, "%zu", offset + page);
		crypto_b64url_encode((const unsigned char *)text, (size_t)n, enc);
		json_object_set_new(result, "nextCursor", json_string(enc));
	}
	return jsonrpc_result(m->id, result);
}

/* What a running tool can reach of its caller (ai_client hooks). */
typedef struct {
	mcp_call *call;
	mcp_session *s;
	json_t *token;     /* progressToken, or NULL */
	bool reported;     /* the tool sent progress itself */
} tool_ctx;

static void progress(mcp_call *call, json_t *token, double done, double total, const char *message)
{
	if (!token || !call->notify)
		return;
	json_t *p = json_pack("{s:O, s:f, s:f}", "progressToken", token, "progress", done, "total", total);
	/* Whole numbers go out as integers, as clients print them. */
	if (done == (double)(json_int_t)done)
		json_object_set_new(p, "progress", json_integer((json_int_t)done));
	if (total == (double)(json_int_t)total)
		json_object_set_new(p, "total", json_integer((json_int_t)total));
	if (message)
		json_object_set_new(p, "message", json_string(message));
	call->notify(call->notify_ctx, jsonrpc_notification("notifications/progress", p));
}

static void tool_log(void *ctx, int level, json_t *data)
{
	tool_ctx *t = ctx;
	log_to_client(t->call, t->s, level, data);
}

static void tool_progress(void *ctx, double done, double total, const char *message)
{
	tool_ctx *t = ctx;
	t->reported = true;
	progress(t->call, t->token, done, total, message);
}

static json_t *tool_request(void *ctx, const char *method, json_t *params, err_t *err)
{
	tool_ctx *t = ctx;
	json_t *caps = json_object_get(t->s->client_capabilities, !strcmp(method, "sampling/createMessage") ? "sampling"
										: !strcmp(method, "elicitation/create") ? "elicitation"
										: method);
	if (!json_is_object(caps)) {
		json_decref(params);
		err_set(err, ERR_CODE_CLIENT_CAPABILITY_MISSING,
			"the client did not declare the capability %s needs", method);
		return NULL;
	}
	if (!t->call->request) {
		json_decref(params);
		err_set(err, ERR_CODE_TRANSPORT_CANNOT_REQUEST,
			"this transport cannot send requests to the client");
		return NULL;
	}
	return t->call->request(t->call->request_ctx, method, params, err);
}

static json_t *tools_call(mcp_call *call, mcp_session *s, const jsonrpc_msg *m)
{
	const char *name = param(m, "name");
	json_t *args = json_object_get(m->params, "arguments");
	if (!name)
		return invalid_params(m, "Invalid params: tools/call needs the tool's name");
	if (args && !json_is_object(args) && !json_is_null(args))
		return invalid_params(m, "Invalid params: arguments must be an object");
	json_t *token = json_object_get(json_object_get(m->params, "_meta"), "progressToken");
	if (token && !json_is_string(token) && !json_is_integer(token))
		token = NULL;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	tool_ctx tc = { call, s, token, false };
	ai_client client = { tool_log, tool_progress, tool_request, &tc };
	ai_env env = { call->core, call->confirm, time(NULL), &client };
	err_t err = { 0 };
	json_t *result = ai_tools_call(&env, name, json_is_object(args) ? args : NULL, &err);
	if (!result) {
		char msg[300];
		utf8_snprintf(msg, sizeof msg, "Invalid params: unknown tool '%s'", name);
		return invalid_params(m, msg);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* Progress must increase: a tool that reported its own gets no closing one. */
	if (!tc.reported)
		progress(call, token, 1, 1, "done");
	bool failed = json_is_true(json_object_get(result, "isError"));
	log_to_client(call, s, failed ? 3 : 1,
		      json_pack("{s:s, s:s, s:b, s:f}", "event", "tool_call", "tool", name, "isError", failed, "duration_ms",
				(double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6));
	return jsonrpc_result(m->id, result);
}

static json_t *prompts_get(const jsonrpc_msg *m)
{
	char errbuf[300];
	json_t *args = json_object_get(m->params, "arguments");
	if (args && !json_is_object(args))
		return invalid_params(m, "Invalid params: arguments must be an object");
	json_t *r = mcp_prompts_get(param(m, "name"), args, errbuf, sizeof errbuf);
	return r ? jsonrpc_result(m->id, r) : invalid_params(m, errbuf);
}

static json_t *complete(mcp_call *call, const jsonrpc_msg *m)
{
	json_t *ref = json_object_get(m->params, "ref"), *argument = json_object_get(m->params, "argument");
	const char *type = json_string_value(json_object_get(ref, "type"));
	const char *value = json_string_value(json_object_get(argument, "value"));
	const char *arg = json_string_value(json_object_get(argument, "name"));
	if (!type || !arg || !value)
		return invalid_params(m, "Invalid params: completion needs ref.type, argument.name and argument.value");
	if (strcmp(type, "ref/prompt"))
		return invalid_params(m, "Invalid params: only prompt arguments (ref/prompt) have completions here");
	err_t err = { 0 };
	json_t *r = mcp_prompts_complete(call->core, json_string_value(json_object_get(ref, "name")), arg, value, &err);
	if (r)
		return jsonrpc_result(m->id, r);
	if (err.kind == ERR_NOT_FOUND)
		return invalid_params(m, "Invalid params: no such prompt");
	log_msg(LOG_ERROR, "completion: %s: %s", err_name(&err), err.message);
	return jsonrpc_error(m->id, JSONRPC_INTERNAL_ERROR, "Internal error", NULL);
}

/* MCP's code for a URI no resource answers to. */
enum { MCP_RESOURCE_NOT_FOUND = -32002 };

static json_t *resource_not_found(const jsonrpc_msg *m, const char *uri)
{
	return jsonrpc_error(m->id, MCP_RESOURCE_NOT_FOUND, "Resource not found",
			     json_pack("{s:s}", "uri", uri ? uri : ""));
}

static json_t *resources_read(const jsonrpc_msg *m)
{
	const char *uri = param(m, "uri");
	if (!uri)
		return invalid_params(m, "Invalid params: resources/read needs uri");
	err_t err = { 0 };
	json_t *r = mcp_resources_read(uri, &err);
	if (r)
		return jsonrpc_result(m->id, r);
	if (err.kind == ERR_NOT_FOUND)
		return resource_not_found(m, uri);
	log_msg(LOG_ERROR, "resources/read %s: %s: %s", uri, err_name(&err), err.message);
	return jsonrpc_error(m->id, JSONRPC_INTERNAL_ERROR, "Internal error", NULL);
}

/* resources/subscribe and unsubscribe: the session remembers the URIs (the
 * transport persists them); nothing registered here changes yet, so no
 * notifications/resources/updated is ever due. */
static json_t *subscribe(mcp_session *s, const jsonrpc_msg *m, bool on)
{
	const char *uri = param(m, "uri");
	if (!uri)
		return invalid_params(m, "Invalid params: needs uri");
	if (on && !mcp_resources_exists(uri))
		return resource_not_found(m, uri);
	if (!s->subscriptions)
		s->subscriptions = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(s->subscriptions, i, v)
		if (!strcmp(json_string_value(v), uri))
			break;
	bool listed = i < json_array_size(s->subscriptions);
	if (on && !listed) {
		if (json_array_size(s->subscriptions) >= MCP_MAX_SUBSCRIPTIONS)
			return invalid_params(m, "Invalid params: too many subscriptions in this session");
		json_array_append_new(s->subscriptions, json_string(uri));
		s->subscriptions_changed = true;
	} else if (!on && listed) {
		json_array_remove(s->subscriptions, i);
		s->subscriptions_changed = true;
	}
	return jsonrpc_result(m->id, NULL);
}

static json_t *set_level(mcp_session *s, const jsonrpc_msg *m)
{
	int level = mcp_log_level(param(m, "level"));
	if (level < 0)
		return invalid_params(m, "Invalid params: level must be one of debug, info, notice, warning, error, "
					 "critical, alert, emergency");
	s->log_level = level;
	s->log_level_changed = true;
	return jsonrpc_result(m->id, NULL);
}

static json_t *notification(mcp_session *s, const jsonrpc_msg *m)
{
	/* Requests are answered one at a time and quickly, so a cancellation finds
	 * its request already answered; the protocol lets us ignore it then. */
	if (!strcmp(m->method, "notifications/cancelled"))
		log_json(LOG_DEBUG, "mcp cancelled",
			 json_pack("{s:O?, s:O?}", "request_id", json_object_get(m->params, "requestId"), "reason",
				   json_object_get(m->params, "reason")));
	(void)s;
	return NULL;
}

json_t *mcp_handle(mcp_call *call, mcp_session *s, const jsonrpc_msg *m)
{
	if (m->kind == JSONRPC_NOTIFICATION)
		return notification(s, m);
	if (m->kind != JSONRPC_REQUEST)
		return NULL; /* we send no requests, so answers to us are stray: drop them */
	const char *method = m->method;
	if (!strcmp(method, "initialize"))
		return initialize(s, m);
	if (!strcmp(method, "ping"))
		return jsonrpc_result(m->id, NULL);
	if (!s->protocol_version[0])
		return jsonrpc_error(m->id, JSONRPC_INVALID_REQUEST, "Invalid Request: send initialize first", NULL);
	if (!strcmp(method, "tools/list"))
		return tools_list(call, m);
	if (!strcmp(method, "tools/call"))
		return tools_call(call, s, m);
	if (!strcmp(method, "prompts/list"))
		return jsonrpc_result(m->id, mcp_prompts_list());
	if (!strcmp(method, "prompts/get"))
		return prompts_get(m);
	if (!strcmp(method, "completion/complete"))
		return complete(call, m);
	if (!strcmp(method, "logging/setLevel"))
		return set_level(s, m);
	if (mcp_resources_any()) {
		if (!strcmp(method, "resources/list"))
			return jsonrpc_result(m->id, mcp_resources_list());
		if (!strcmp(method, "resources/templates/list"))
			return jsonrpc_result(m->id, mcp_resources_templates_list());
		if (!strcmp(method, "resources/read"))
			return resources_read(m);
		if (!strcmp(method, "resources/subscribe"))
			return subscribe(s, m, true);
		if (!strcmp(method, "resources/unsubscribe"))
			return subscribe(s, m, false);
	}
	char msg[200];
	utf8_snprintf(msg, sizeof msg, "Method not found: %.*s", utf8_prefix(method, 150), method);
	return jsonrpc_error(m->id, JSONRPC_METHOD_NOT_FOUND, msg, NULL);
}
