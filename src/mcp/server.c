#include "mcp/server.h"
#include "ai/tools.h"
#include "mcp/app_card.h"
#include "mcp/elicit.h"
#include "mcp/prompts.h"
#include "mcp/resources.h"
#include "mcp/state.h"
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

json_t *mcp_versions(void)
{
	json_t *a = json_pack("[s]", MCP_STATELESS_VERSION);
	for (const char *const *p = VERSIONS; *p; p++)
		json_array_append_new(a, json_string(*p));
	return a;
}

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

static const char INSTRUCTIONS[] =
	"Time tracking for the caller's Workestra workspace. Read tools answer at once; find_work_items finds the "
	"records to log time on by words. Write tools (log_time_entry, start_timer, stop_timer, "
	"submit/approve/reject_timesheet, convert_time_to_invoice_lines) change something only when the user confirms: "
	"a client that renders MCP Apps shows the user a confirmation card beside the call, and one that can show forms "
	"(elicitation) asks the user there, and the result says confirmed, declined or cancelled; otherwise the result is requires_confirmation with a summary and details to show the user and a "
	"confirmation_token the user's client redeems at POST /api/v1/ai/confirm.";

static json_t *server_info(void)
{
	return json_pack("{s:s, s:s, s:s}", "name", "workestra-time", "title", "Workestra Time", "version", "0.1.0");
}

/* Subscriptions would need a stream of our own to send
 * notifications/resources/updated on (GET /mcp is 405; the stateless era
 * would need subscriptions/listen), so only test builds offer them, for the
 * conformance fixtures: there the session remembers the URIs and nothing is
 * ever sent. */
#ifdef WT_TEST_BUILD
json_t *(*mcp_test_input_hook)(mcp_call *call, mcp_session *s, const jsonrpc_msg *m);
#define SUBSCRIBE_OFFERED 1
#else
#define SUBSCRIBE_OFFERED 0
#endif

static json_t *capabilities(bool stateless)
{
	return json_pack("{s:{s:b}, s:{s:b}, s:{s:b, s:b}, s:{}, s:{}}", "tools", "listChanged", 0, "prompts",
			 "listChanged", 0, "resources", "subscribe", !stateless && SUBSCRIBE_OFFERED, "listChanged", 0,
			 "completions", "logging");
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
	return jsonrpc_result(m->id, json_pack("{s:s, s:o, s:o, s:s}", "protocolVersion", s->protocol_version,
					       "capabilities", capabilities(false), "serverInfo", server_info(),
					       "instructions", INSTRUCTIONS));
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

/* A client that renders MCP Apps also gets the card's app-only tool, after the others. */
static json_t *tools_list(mcp_call *call, const mcp_session *s, const jsonrpc_msg *m)
{
	bool apps = mcp_app_supported(s->client_capabilities);
	size_t offset = 0, count = ai_tools_count(), total = count + (apps ? 1 : 0);
	size_t page = call->page_size > 0 ? (size_t)call->page_size : MCP_PAGE_SIZE;
	json_t *cursor = json_object_get(m->params, "cursor");
	if (cursor && (!json_is_string(cursor) || !decode_cursor(json_string_value(cursor), &offset) || offset > total))
		return invalid_params(m, "Invalid params: unknown cursor");
	json_t *list = json_array();
	for (size_t i = offset; i < total && i < offset + page; i++)
		json_array_append_new(list, i == count ? mcp_app_tool()
					    : apps     ? mcp_app_listing(ai_tools_definition(i))
						       : json_incref(ai_tools_definition(i)));
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
	if (t->s->stateless) {
		/* 2026-07-28 forbids requests to the client: input_required instead. */
		json_decref(params);
		err_set(err, ERR_CODE_TRANSPORT_CANNOT_REQUEST,
			"a 2026-07-28 request cannot carry a request to the client");
		return NULL;
	}
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

static json_t *ask_person(mcp_session *s, const ai_env *env, const char *name, json_t *args, json_t *pending);
static bool ask_later(mcp_call *call, const mcp_session *s, json_t *pending);
static json_t *resume(mcp_session *s, const jsonrpc_msg *m, const ai_env *env, const char *name, json_t *args);

static json_t *tools_call(mcp_call *call, mcp_session *s, const jsonrpc_msg *m)
{
	const char *name = param(m, "name");
	json_t *args = json_object_get(m->params, "arguments");
	if (!name)
		return invalid_params(m, "Invalid params: tools/call needs the tool's name");
	if (args && !json_is_object(args) && !json_is_null(args))
		return invalid_params(m, "Invalid params: arguments must be an object");
	args = json_is_object(args) ? args : NULL;
	json_t *token = json_object_get(json_object_get(m->params, "_meta"), "progressToken");
	if (token && !json_is_string(token) && !json_is_integer(token))
		token = NULL;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	tool_ctx tc = { call, s, token, false };
	ai_client client = { tool_log, tool_progress, tool_request, &tc };
	ai_env env = { call->core, call->confirm, time(NULL), &client };
	/* The second round of a confirmation asked with input_required. */
	if (s->stateless && (json_object_get(m->params, "requestState") || json_object_get(m->params, "inputResponses")))
		return resume(s, m, &env, name, args);
	bool apps = mcp_app_supported(s->client_capabilities);
	err_t err = { 0 };
	char why[300];
	json_t *result = NULL;
	if (strcmp(name, MCP_APP_TOOL))
		result = ai_tools_call(&env, name, args, &err);
	else if (apps && !(result = mcp_app_answer(&env, args, why, sizeof why)))
		return invalid_params(m, why);
	if (!result) {
		utf8_snprintf(why, sizeof why, "Invalid params: unknown tool '%s'", name);
		return invalid_params(m, why);
	}
	/* A write tool's card goes to the person where their client can show it:
	 * as an app beside the call, else as a form. */
	json_t *pending = json_object_get(result, "structuredContent");
	json_t *asked = NULL;
	bool later = false;
	if (ai_tools_pending(pending) && apps)
		mcp_app_offer(&env, result);
	else if (ai_tools_pending(pending) && !(later = ask_later(call, s, pending)))
		asked = ask_person(s, &env, name, args, pending);
	if (asked) {
		json_decref(result);
		result = asked;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* Progress must increase: a tool that reported its own gets no closing
	 * one, nor does a call still waiting for the person. */
	if (!tc.reported && !later)
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

/* 2026-07-28 (SEP-2164) answers an unknown resource with invalid params. */
static json_t *resource_not_found(const mcp_session *s, const jsonrpc_msg *m, const char *uri)
{
	return jsonrpc_error(m->id, s->stateless ? JSONRPC_INVALID_PARAMS : MCP_RESOURCE_NOT_FOUND, "Resource not found",
			     json_pack("{s:s}", "uri", uri ? uri : ""));
}

static json_t *resources_read(mcp_call *call, const mcp_session *s, const jsonrpc_msg *m)
{
	const char *uri = param(m, "uri");
	if (!uri)
		return invalid_params(m, "Invalid params: resources/read needs uri");
	json_t *card = mcp_app_read(uri);
	if (card)
		return jsonrpc_result(m->id, card);
	err_t err = { 0 };
	json_t *r = mcp_resources_read(call->core, uri, &err);
	if (r)
		return jsonrpc_result(m->id, r);
	if (err.kind == ERR_NOT_FOUND)
		return resource_not_found(s, m, uri);
	if (err.kind == ERR_VALIDATION) {
		char msg[300];
		utf8_snprintf(msg, sizeof msg, "Invalid params: %s", err.message);
		return invalid_params(m, msg);
	}
	log_msg(LOG_ERROR, "resources/read %s: %s: %s", uri, err_name(&err), err.message);
	return jsonrpc_error(m->id, JSONRPC_INTERNAL_ERROR, "Internal error", NULL);
}

#ifdef WT_TEST_BUILD
/* resources/subscribe and unsubscribe (test builds): the session remembers
 * the URIs (the transport persists them). */
static json_t *subscribe(mcp_session *s, const jsonrpc_msg *m, bool on)
{
	const char *uri = param(m, "uri");
	if (!uri)
		return invalid_params(m, "Invalid params: needs uri");
	if (on && !mcp_resources_exists(uri))
		return resource_not_found(s, m, uri);
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
#endif

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

/* The methods both eras answer alike: tools, prompts, completion, resources. */
static json_t *common_dispatch(mcp_call *call, mcp_session *s, const jsonrpc_msg *m)
{
	const char *method = m->method;
#ifdef WT_TEST_BUILD
	json_t *fixture = s->stateless && mcp_test_input_hook ? mcp_test_input_hook(call, s, m) : NULL;
	if (fixture)
		return fixture;
#endif
	if (!strcmp(method, "tools/list"))
		return tools_list(call, s, m);
	if (!strcmp(method, "tools/call"))
		return tools_call(call, s, m);
	if (!strcmp(method, "prompts/list"))
		return jsonrpc_result(m->id, mcp_prompts_list());
	if (!strcmp(method, "prompts/get"))
		return prompts_get(m);
	if (!strcmp(method, "completion/complete"))
		return complete(call, m);
	if (!strcmp(method, "resources/list"))
		return jsonrpc_result(m->id, mcp_resources_list());
	if (!strcmp(method, "resources/templates/list"))
		return jsonrpc_result(m->id, mcp_resources_templates_list());
	if (!strcmp(method, "resources/read"))
		return resources_read(call, s, m);
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
	json_t *answer = common_dispatch(call, s, m);
	if (answer)
		return answer;
	if (!strcmp(method, "logging/setLevel"))
		return set_level(s, m);
#ifdef WT_TEST_BUILD
	if (!strcmp(method, "resources/subscribe"))
		return subscribe(s, m, true);
	if (!strcmp(method, "resources/unsubscribe"))
		return subscribe(s, m, false);
#endif
	char msg[200];
	utf8_snprintf(msg, sizeof msg, "Method not found: %.*s", utf8_prefix(method, 150), method);
	return jsonrpc_error(m->id, JSONRPC_METHOD_NOT_FOUND, msg, NULL);
}

/* ---- The stateless era (2026-07-28) ---- */

/* server/discover: the versions, capabilities, identity and instructions. */
static json_t *discover(const jsonrpc_msg *m)
{
	return jsonrpc_result(m->id, json_pack("{s:o, s:o, s:o, s:s, s:{s:o}}", "supportedVersions", mcp_versions(),
					       "capabilities", capabilities(true), "serverInfo", server_info(),
					       "instructions", INSTRUCTIONS, "_meta", "io.modelcontextprotocol/serverInfo",
					       server_info()));
}

enum { STATE_TTL_SECONDS = 3600, LIST_TTL_MS = 60000 };

json_t *mcp_input_state(const mcp_input_call *c, const char *rs)
{
	return mcp_state_open(c->key, c->name, c->user_id ? c->user_id : "", rs);
}

json_t *mcp_input_required(mcp_input_call *c, json_t *requests, json_t *state)
{
	json_t *missing = json_object();
	const char *key;
	json_t *req;
	void *tmp;
	json_object_foreach_safe(requests, tmp, key, req) {
		const char *method = json_string_value(json_object_get(req, "method"));
		const char *cap = !method ? NULL
				  : !strcmp(method, "sampling/createMessage") ? "sampling"
				  : !strcmp(method, "elicitation/create")     ? "elicitation"
				  : !strcmp(method, "roots/list")             ? "roots"
									      : NULL;
		if (cap && !json_is_object(json_object_get(c->client_capabilities, cap))) {
			json_object_set_new(missing, cap, json_object());
			json_object_del(requests, key);
		}
	}
	if (json_object_size(requests) == 0) {
		c->error_code = MCP_MISSING_CAPABILITY;
		snprintf(c->error_message, sizeof c->error_message,
			 "Missing required client capability: this request needs input the client did not declare it can give");
		c->error_data = json_pack("{s:o}", "requiredCapabilities", missing);
		json_decref(requests);
		json_decref(state);
		return NULL;
	}
	json_decref(missing);
	json_t *r = json_pack("{s:s, s:o}", "resultType", "input_required", "inputRequests", requests);
	if (state) {
		char *rs = mcp_state_sign(c->key, c->name, c->user_id ? c->user_id : "", state, STATE_TTL_SECONDS);
		if (rs)
			json_object_set_new(r, "requestState", json_string(rs));
		free(rs);
		json_decref(state);
	}
	return r;
}

/* What a confirmation's requestState is bound to besides the tool and the
 * user (which sign_state binds): the workspace and the exact arguments, so a
 * state cannot be replayed on another call. */
static void args_hash(json_t *args, char out[65])
{
	char *text = args ? json_dumps(args, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	crypto_sha256_hex(text ? text : "{}", text ? strlen(text) : 2, out);
	free(text);
}

/* Asks the person to confirm pending (a write tool's structuredContent) in
 * their client: the 2026-07-28 era with an input_required result whose
 * signed requestState carries the confirmation, the session era with
 * elicitation/create on the call's stream, then settles with the answer.
 * Returns the tool's result (new reference), or NULL to answer pending as it
 * is (the token path): the client cannot answer forms, the transport cannot
 * ask, or no answer came. */
/* Form elicitations name their mode from 2025-11-25 on. */
static bool form_with_mode(const mcp_session *s)
{
	return strcmp(s->protocol_version, "2025-06-18") && strcmp(s->protocol_version, "2025-03-26");
}

/* The session era over a transport that can ask without waiting: the card
 * goes out as elicitation/create and the call's response is held back until
 * the answer (mcp_answer_later). */
static bool ask_later(mcp_call *call, const mcp_session *s, json_t *pending)
{
	if (s->stateless || !call->ask_later || !mcp_elicit_form_supported(s->client_capabilities))
		return false;
	return call->ask_later(call->request_ctx, "elicitation/create", mcp_elicit_card(pending, form_with_mode(s)));
}

json_t *mcp_answer_later(mcp_call *call, json_t *fallback, json_t *answer)
{
	err_t err = { 0 };
	json_t *result = jsonrpc_answer_result(answer, "elicitation/create", &err);
	ai_answer a;
	bool ok = result && mcp_elicit_answer(result, &a);
	json_decref(result);
	if (!ok) {
		log_msg(LOG_INFO, "mcp: a confirmation was not answered in the client (%s); answering with the token",
			result ? "an answer that is no ElicitResult" : err.message);
		return json_incref(fallback);
	}
	ai_env env = { call->core, call->confirm, time(NULL), NULL };
	json_t *settled = ai_tools_settle(&env, json_object_get(json_object_get(fallback, "result"), "structuredContent"), a);
	return jsonrpc_result(json_object_get(fallback, "id"), settled);
}

static json_t *ask_person(mcp_session *s, const ai_env *env, const char *name, json_t *args, json_t *pending)
{
	if (!mcp_elicit_form_supported(s->client_capabilities))
		return NULL;
	json_t *params = mcp_elicit_card(pending, form_with_mode(s));
	if (s->stateless) {
		char full[100], hash[65];
		snprintf(full, sizeof full, "tool:%s", name);
		args_hash(args, hash);
		mcp_input_call c = { .name = full, .client_capabilities = s->client_capabilities,
				     .user_id = env->core->actor->user_id, .key = env->confirm };
		json_t *state = json_pack("{s:O, s:O, s:O, s:s, s:s}", "tok", json_object_get(pending, "confirmation_token"),
					  "sum", json_object_get(pending, "summary"), "det",
					  json_object_get(pending, "details"), "ws", env->core->actor->workspace_id, "args", hash);
		json_t *r = mcp_input_required(
			&c, json_pack("{s:{s:s, s:o}}", "confirm", "method", "elicitation/create", "params", params), state);
		json_decref(c.error_data);
		return r;
	}
	err_t err = { 0 };
	json_t *answer = env->client->request(env->client->ctx, "elicitation/create", params, &err);
	ai_answer a;
	bool ok = answer && mcp_elicit_answer(answer, &a);
	json_decref(answer);
	if (!ok) {
		log_msg(LOG_INFO, "mcp: confirmation of %s not asked in the client (%s); answering with the token",
			name, answer ? "an answer that is no ElicitResult" : err.message);
		return NULL;
	}
	return ai_tools_settle(env, pending, a);
}

/* The round that brings the person's answer to a confirmation asked with
 * input_required. The requestState must verify for this caller, workspace,
 * tool and arguments, within its lifetime; otherwise nothing runs. Returns a
 * JSON-RPC response (new reference): an error, or {result} (the id is set by
 * the caller). */
static json_t *resume(mcp_session *s, const jsonrpc_msg *m, const ai_env *env, const char *name, json_t *args)
{
	json_t *rs = json_object_get(m->params, "requestState");
	if (!json_is_string(rs))
		return invalid_params(m, "Invalid params: inputResponses without the requestState they answer: call the "
					 "tool again without either");
	char full[100], hash[65];
	snprintf(full, sizeof full, "tool:%s", name);
	args_hash(args, hash);
	mcp_input_call c = { .name = full, .client_capabilities = s->client_capabilities,
			     .user_id = env->core->actor->user_id, .key = env->confirm };
	json_t *state = mcp_input_state(&c, json_string_value(rs));
	const char *ws = json_string_value(json_object_get(state, "ws"));
	const char *bound = json_string_value(json_object_get(state, "args"));
	if (!ws || !bound || strcmp(ws, env->core->actor->workspace_id) || strcmp(bound, hash) ||
	    !json_is_string(json_object_get(state, "tok"))) {
		json_decref(state);
		return invalid_params(m, "Invalid params: requestState failed verification (altered, expired, or not "
					 "from this caller's call of this tool with these arguments); nothing was changed");
	}
	ai_answer a;
	if (!mcp_elicit_answer(json_object_get(json_object_get(m->params, "inputResponses"), "confirm"), &a)) {
		json_decref(state);
		return invalid_params(m, "Invalid params: inputResponses.confirm must be the person's answer to the "
					 "confirmation (an ElicitResult with action accept, decline or cancel)");
	}
	json_t *pending = json_pack("{s:O, s:O, s:O}", "confirmation_token", json_object_get(state, "tok"), "summary",
				    json_object_get(state, "sum"), "details", json_object_get(state, "det"));
	json_decref(state);
	json_t *r = ai_tools_settle(env, pending, a);
	json_decref(pending);
	return jsonrpc_result(m->id, r);
}

bool mcp_is_stateless(const jsonrpc_msg *m, const char *header_version)
{
	if (m->kind != JSONRPC_REQUEST && m->kind != JSONRPC_NOTIFICATION)
		return false;
	const char *v = json_string_value(json_object_get(json_object_get(m->params, "_meta"), MCP_META_VERSION));
	if (v)
		return !mcp_version_supported(v);
	if (!strcmp(m->method, "server/discover"))
		return true;
	return header_version && !mcp_version_supported(header_version);
}

/* A header value (surrounding whitespace ignored) equals want. */
static bool header_is(const char *h, const char *want)
{
	while (*h == ' ' || *h == '\t')
		h++;
	size_t n = strlen(h);
	while (n && (h[n - 1] == ' ' || h[n - 1] == '\t'))
		n--;
	return n == strlen(want) && !strncmp(h, want, n);
}

static json_t *refuse(const jsonrpc_msg *m, int *status, int http, int code, const char *message, json_t *data)
{
	*status = http;
	return jsonrpc_error(m->id, code, message, data);
}

static bool cacheable(const char *method)
{
	static const char *const list[] = { "server/discover", "tools/list", "prompts/list", "resources/list",
					    "resources/templates/list", "resources/read", NULL };
	for (const char *const *p = list; *p; p++)
		if (!strcmp(*p, method))
			return true;
	return false;
}

static json_t *stateless_dispatch(mcp_call *call, mcp_session *s, const jsonrpc_msg *m)
{
	if (!strcmp(m->method, "server/discover"))
		return discover(m);
	return common_dispatch(call, s, m);
}

json_t *mcp_handle_stateless(mcp_call *call, const jsonrpc_msg *m, const mcp_headers *h, int *status)
{
	*status = 200;
	if (m->kind != JSONRPC_REQUEST) {
		*status = 202; /* notifications change nothing here; there are no requests of ours to answer */
		return NULL;
	}
	if (h) {
		if (!h->protocol_version)
			return refuse(m, status, 400, MCP_HEADER_MISMATCH, "Header mismatch: MCP-Protocol-Version is required", NULL);
		if (!h->method || !header_is(h->method, m->method))
			return refuse(m, status, 400, MCP_HEADER_MISMATCH, "Header mismatch: Mcp-Method must name the body's method", NULL);
		const char *name = !strcmp(m->method, "resources/read") ? param(m, "uri")
				   : !strcmp(m->method, "tools/call") || !strcmp(m->method, "prompts/get") ? param(m, "name")
													   : NULL;
		if (name && (!h->name || !header_is(h->name, name)))
			return refuse(m, status, 400, MCP_HEADER_MISMATCH, "Header mismatch: Mcp-Name must name the body's name or uri", NULL);
	}
	json_t *meta = json_object_get(m->params, "_meta");
	const char *version = json_string_value(json_object_get(meta, MCP_META_VERSION));
	json_t *caps = json_object_get(meta, MCP_META_CAPABILITIES);
	if (!version || !json_is_object(caps))
		return refuse(m, status, 400, JSONRPC_INVALID_PARAMS,
			      "Invalid params: _meta must carry " MCP_META_VERSION " and " MCP_META_CAPABILITIES, NULL);
	if (h && !header_is(h->protocol_version, version))
		return refuse(m, status, 400, MCP_HEADER_MISMATCH,
			      "Header mismatch: MCP-Protocol-Version differs from _meta's protocolVersion", NULL);
	if (strcmp(version, MCP_STATELESS_VERSION))
		return refuse(m, status, 400, MCP_UNSUPPORTED_VERSION,
			      mcp_version_supported(version) ? "Unsupported protocol version without a session: send initialize"
							     : "Unsupported protocol version",
			      json_pack("{s:o, s:s}", "supported", mcp_versions(), "requested", version));
	mcp_session s = { 0 };
	mcp_session_clear(&s);
	s.stateless = true;
	snprintf(s.protocol_version, sizeof s.protocol_version, "%s", version);
	s.client_capabilities = json_incref(caps);
	int level = mcp_log_level(json_string_value(json_object_get(meta, MCP_META_LOG_LEVEL)));
	s.log_level = level < 0 ? MCP_LOG_OFF : level;
	json_t *reply = stateless_dispatch(call, &s, m);
	mcp_session_clear(&s);
	if (!reply) {
		char msg[200];
		utf8_snprintf(msg, sizeof msg, "Method not found: %.*s", utf8_prefix(m->method, 150), m->method);
		return refuse(m, status, 404, JSONRPC_METHOD_NOT_FOUND, msg, NULL);
	}
	json_t *result = json_object_get(reply, "result");
	if (json_is_object(result) && !json_object_get(result, "resultType")) {
		json_object_set_new(result, "resultType", json_string("complete"));
		if (cacheable(m->method)) {
			/* Lists change only with a new release; a resource may change any time. */
			json_object_set_new(result, "ttlMs", json_integer(strcmp(m->method, "resources/read") ? LIST_TTL_MS : 0));
			json_object_set_new(result, "cacheScope", json_string("private"));
		}
	}
	json_int_t code = json_integer_value(json_object_get(json_object_get(reply, "error"), "code"));
	if (code == MCP_MISSING_CAPABILITY)
		*status = 400;
	return reply;
}
