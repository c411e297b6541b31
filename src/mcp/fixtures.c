#define _GNU_SOURCE /* asprintf */
#include "mcp/fixtures.h"
#ifdef WT_TEST_BUILD
#include "ai/tools.h"
#include "mcp/prompts.h"
#include "mcp/resources.h"
#include "mcp/server.h"
#include "util/log.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A 1x1 red PNG and a 1 ms silent 8 kHz WAV. */
#define PNG_B64 "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"
#define WAV_B64 "UklGRiwAAABXQVZFZm10IBAAAAABAAEAQB8AAEAfAAABAAgAZGF0YQgAAACAgICAgICAgA=="

static void sleep_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&t, NULL);
}

static json_t *content(json_t *items)
{
	return json_pack("{s:o}", "content", items);
}

static json_t *text(const char *t)
{
	return json_pack("{s:s, s:s}", "type", "text", "text", t);
}

static json_t *simple_text(const ai_env *env, json_t *args, err_t *err)
{
	(void)env, (void)args, (void)err;
	return content(json_pack("[o]", text("This is a simple text response for testing.")));
}

static json_t *image_content(const ai_env *env, json_t *args, err_t *err)
{
	(void)env, (void)args, (void)err;
	return content(json_pack("[{s:s, s:s, s:s}]", "type", "image", "data", PNG_B64, "mimeType", "image/png"));
}

static json_t *audio_content(const ai_env *env, json_t *args, err_t *err)
{
	(void)env, (void)args, (void)err;
	return content(json_pack("[{s:s, s:s, s:s}]", "type", "audio", "data", WAV_B64, "mimeType", "audio/wav"));
}

static json_t *embedded_resource(const ai_env *env, json_t *args, err_t *err)
{
	(void)env, (void)args, (void)err;
	return content(json_pack("[{s:s, s:{s:s, s:s, s:s}}]", "type", "resource", "resource", "uri",
				 "test://embedded-resource", "mimeType", "text/plain", "text",
				 "This is an embedded resource content."));
}

static json_t *multiple_content_types(const ai_env *env, json_t *args, err_t *err)
{
	(void)env, (void)args, (void)err;
	return content(json_pack("[o, {s:s, s:s, s:s}, {s:s, s:{s:s, s:s, s:s}}]", text("Multiple content types test:"),
				 "type", "image", "data", PNG_B64, "mimeType", "image/png", "type", "resource",
				 "resource", "uri", "test://mixed-content-resource", "mimeType", "application/json",
				 "text", "{\"test\":\"data\",\"value\":123}"));
}

static void client_log(const ai_env *env, const char *message)
{
	if (env->client && env->client->log)
		env->client->log(env->client->ctx, 1 /* info */, json_string(message));
}

static json_t *tool_with_logging(const ai_env *env, json_t *args, err_t *err)
{
	(void)args, (void)err;
	client_log(env, "Tool execution started");
	sleep_ms(50);
	client_log(env, "Tool processing data");
	sleep_ms(50);
	client_log(env, "Tool execution completed");
	return content(json_pack("[o]", text("Tool with logging executed successfully")));
}

static json_t *tool_with_progress(const ai_env *env, json_t *args, err_t *err)
{
	(void)args, (void)err;
	for (int i = 0; i <= 2; i++) {
		if (i)
			sleep_ms(50);
		if (env->client && env->client->progress)
			env->client->progress(env->client->ctx, 50.0 * i, 100, NULL);
	}
	return content(json_pack("[o]", text("Tool with progress executed successfully")));
}

static json_t *error_handling(const ai_env *env, json_t *args, err_t *err)
{
	(void)env, (void)args, (void)err;
	return json_pack("{s:b, s:[o]}", "isError", 1, "content",
			 text("This tool intentionally returns an error for testing"));
}

/* Asks the client (sampling or elicitation); NULL with err when it cannot. */
static json_t *ask(const ai_env *env, const char *method, json_t *params, err_t *err)
{
	if (!env->client || !env->client->request) {
		json_decref(params);
		err_set(err, ERR_CODE_CLIENT_CAPABILITY_MISSING, "this caller cannot be asked for %s", method);
		return NULL;
	}
	return env->client->request(env->client->ctx, method, params, err);
}

static json_t *sampling(const ai_env *env, json_t *args, err_t *err)
{
	json_t *r = ask(env, "sampling/createMessage",
			json_pack("{s:[{s:s, s:{s:s, s:O}}], s:i}", "messages", "role", "user", "content", "type", "text",
				  "text", json_object_get(args, "prompt"), "maxTokens", 100),
			err);
	if (!r)
		return NULL;
	const char *said = json_string_value(json_object_get(json_object_get(r, "content"), "text"));
	char *t = NULL;
	if (asprintf(&t, "LLM response: %s", said ? said : "") < 0)
		abort();
	json_decref(r);
	json_t *out = content(json_pack("[o]", text(t)));
	free(t);
	return out;
}

static json_t *elicitation_result(json_t *r, const char *prefix)
{
	char *c = json_dumps(json_object_get(r, "content") ? json_object_get(r, "content") : json_null(),
			     JSON_COMPACT | JSON_ENCODE_ANY);
	const char *action = json_string_value(json_object_get(r, "action"));
	char *t = NULL;
	if (asprintf(&t, "%saction=%s, content=%s", prefix, action ? action : "?", c ? c : "null") < 0)
		abort();
	free(c);
	json_decref(r);
	json_t *out = content(json_pack("[o]", text(t)));
	free(t);
	return out;
}

static json_t *elicitation(const ai_env *env, json_t *args, err_t *err)
{
	json_t *r = ask(env, "elicitation/create",
			json_pack("{s:O, s:{s:s, s:{s:{s:s, s:s}, s:{s:s, s:s}}, s:[s, s]}}", "message",
				  json_object_get(args, "message"), "requestedSchema", "type", "object", "properties",
				  "username", "type", "string", "description", "User's response", "email", "type",
				  "string", "description", "User's email address", "required", "username", "email"),
			err);
	return r ? elicitation_result(r, "User response: ") : NULL;
}

static json_t *elicitation_defaults(const ai_env *env, json_t *args, err_t *err)
{
	(void)args;
	json_t *schema = json_loads(
		"{\"type\":\"object\",\"properties\":{"
		"\"name\":{\"type\":\"string\",\"description\":\"User name\",\"default\":\"John Doe\"},"
		"\"age\":{\"type\":\"integer\",\"description\":\"User age\",\"default\":30},"
		"\"score\":{\"type\":\"number\",\"description\":\"User score\",\"default\":95.5},"
		"\"status\":{\"type\":\"string\",\"description\":\"User status\",\"enum\":[\"active\",\"inactive\",\"pending\"],"
		"\"default\":\"active\"},"
		"\"verified\":{\"type\":\"boolean\",\"description\":\"Verification status\",\"default\":true}}}",
		0, NULL);
	json_t *r = ask(env, "elicitation/create",
			json_pack("{s:s, s:o}", "message", "Please review and update the form fields with defaults",
				  "requestedSchema", schema),
			err);
	return r ? elicitation_result(r, "Elicitation completed: ") : NULL;
}

static json_t *elicitation_enums(const ai_env *env, json_t *args, err_t *err)
{
	(void)args;
	json_t *schema = json_loads(
		"{\"type\":\"object\",\"properties\":{"
		"\"untitledSingle\":{\"type\":\"string\",\"description\":\"Untitled single-select\","
		"\"enum\":[\"option1\",\"option2\",\"option3\"]},"
		"\"titledSingle\":{\"type\":\"string\",\"description\":\"Titled single-select\",\"oneOf\":["
		"{\"const\":\"value1\",\"title\":\"First Option\"},{\"const\":\"value2\",\"title\":\"Second Option\"},"
		"{\"const\":\"value3\",\"title\":\"Third Option\"}]},"
		"\"legacyEnum\":{\"type\":\"string\",\"description\":\"Legacy titled enum\","
		"\"enum\":[\"opt1\",\"opt2\",\"opt3\"],\"enumNames\":[\"Option One\",\"Option Two\",\"Option Three\"]},"
		"\"untitledMulti\":{\"type\":\"array\",\"description\":\"Untitled multi-select\","
		"\"items\":{\"type\":\"string\",\"enum\":[\"option1\",\"option2\",\"option3\"]}},"
		"\"titledMulti\":{\"type\":\"array\",\"description\":\"Titled multi-select\",\"items\":{\"anyOf\":["
		"{\"const\":\"value1\",\"title\":\"First Choice\"},{\"const\":\"value2\",\"title\":\"Second Choice\"},"
		"{\"const\":\"value3\",\"title\":\"Third Choice\"}]}}}}",
		0, NULL);
	json_t *r = ask(env, "elicitation/create",
			json_pack("{s:s, s:o}", "message", "Please choose from the enum fields", "requestedSchema", schema),
			err);
	return r ? elicitation_result(r, "Elicitation completed: ") : NULL;
}

static void tool(const char *name, const char *description, const char *input_schema, ai_tool_fn fn)
{
	json_t *schema = json_loads(input_schema, 0, NULL);
	json_t *def = json_pack("{s:s, s:s, s:o}", "name", name, "description", description, "inputSchema", schema);
	if (!schema || !ai_tools_register_result(def, fn))
		log_msg(LOG_ERROR, "fixture tool %s not registered", name);
}

#define NO_ARGS "{\"type\":\"object\",\"properties\":{}}"

/* Prompts. */
static json_t *message(json_t *c)
{
	return json_pack("{s:s, s:o}", "role", "user", "content", c);
}

static json_t *simple_prompt(json_t *args, char *errbuf, size_t errlen)
{
	(void)args, (void)errbuf, (void)errlen;
	return json_pack("{s:[o]}", "messages", message(text("This is a simple prompt for testing.")));
}

static json_t *prompt_with_arguments(json_t *args, char *errbuf, size_t errlen)
{
	(void)errbuf, (void)errlen;
	char *t = NULL;
	if (asprintf(&t, "Prompt with arguments: arg1='%s', arg2='%s'", json_string_value(json_object_get(args, "arg1")),
		     json_string_value(json_object_get(args, "arg2"))) < 0)
		abort();
	json_t *r = json_pack("{s:[o]}", "messages", message(text(t)));
	free(t);
	return r;
}

static json_t *prompt_with_embedded_resource(json_t *args, char *errbuf, size_t errlen)
{
	(void)errbuf, (void)errlen;
	return json_pack("{s:[o, o]}", "messages",
			 message(json_pack("{s:s, s:{s:O, s:s, s:s}}", "type", "resource", "resource", "uri",
					   json_object_get(args, "resourceUri"), "mimeType", "text/plain", "text",
					   "Embedded resource content for testing.")),
			 message(text("Please process the embedded resource above.")));
}

static json_t *prompt_with_image(json_t *args, char *errbuf, size_t errlen)
{
	(void)args, (void)errbuf, (void)errlen;
	return json_pack("{s:[o, o]}", "messages",
			 message(json_pack("{s:s, s:s, s:s}", "type", "image", "data", PNG_B64, "mimeType", "image/png")),
			 message(text("Please analyze the image above.")));
}

static void prompt(const char *def, mcp_prompt_fn fn)
{
	json_t *d = json_loads(def, 0, NULL);
	if (!d || !mcp_prompts_register(d, fn))
		log_msg(LOG_ERROR, "fixture prompt not registered: %s", def);
}

/* Resources. */
static json_t *static_text(core_ctx *c, const char *uri, json_t *vars, err_t *err)
{
	(void)c;
	(void)vars, (void)err;
	return json_pack("[{s:s, s:s, s:s}]", "uri", uri, "mimeType", "text/plain", "text",
			 !strcmp(uri, "test://static-text") ? "This is the content of the static text resource."
							     : "This resource is watched for updates.");
}

static json_t *static_binary(core_ctx *c, const char *uri, json_t *vars, err_t *err)
{
	(void)c;
	(void)vars, (void)err;
	return json_pack("[{s:s, s:s, s:s}]", "uri", uri, "mimeType", "image/png", "blob", PNG_B64);
}

static json_t *template_data(core_ctx *c, const char *uri, json_t *vars, err_t *err)
{
	(void)c;
	(void)err;
	json_t *id = json_object_get(vars, "id");
	char *data = NULL;
	if (asprintf(&data, "Data for ID: %s", json_string_value(id)) < 0)
		abort();
	json_t *body = json_pack("{s:O, s:b, s:s}", "id", id, "templateTest", 1, "data", data);
	free(data);
	char *t = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	json_t *r = json_pack("[{s:s, s:s, s:s}]", "uri", uri, "mimeType", "application/json", "text", t);
	free(t);
	return r;
}

static void resource(const char *def, mcp_resource_fn fn)
{
	json_t *d = json_loads(def, 0, NULL);
	if (!d || !mcp_resources_register(d, fn))
		log_msg(LOG_ERROR, "fixture resource not registered: %s", def);
}

/* The fixtures that take several rounds, by kind and name. Answers a result
 * (CallToolResult, GetPromptResult, or mcp_input_required's), or NULL with
 * error_code and error_message set in c. */
typedef json_t *(*mcp_input_fn)(mcp_input_call *c);
static struct {
	char kind[8], name[64];
	mcp_input_fn fn;
} inputs[32];
static size_t ninputs;

static bool input_register(const char *kind, const char *name, mcp_input_fn fn)
{
	if (ninputs >= sizeof inputs / sizeof inputs[0] || strlen(kind) >= sizeof inputs[0].kind || strlen(name) >= sizeof inputs[0].name)
		return false;
	snprintf(inputs[ninputs].kind, sizeof inputs[0].kind, "%s", kind);
	snprintf(inputs[ninputs].name, sizeof inputs[0].name, "%s", name);
	inputs[ninputs++].fn = fn;
	return true;
}

static mcp_input_fn input_find(const char *kind, const char *name)
{
	for (size_t i = 0; i < ninputs; i++)
		if (!strcmp(inputs[i].kind, kind) && !strcmp(inputs[i].name, name))
			return inputs[i].fn;
	return NULL;
}

static json_t *invalid_params(const jsonrpc_msg *m, const char *message)
{
	return jsonrpc_error(m->id, JSONRPC_INVALID_PARAMS, message, NULL);
}

/* A 2026-07-28 tools/call or prompts/get of a fixture answered over several
 * rounds (input_required): the JSON-RPC response, or NULL when m calls no
 * such fixture. */
static json_t *input_round(mcp_call *call, mcp_session *s, const jsonrpc_msg *m)
{
	const char *kind = !strcmp(m->method, "tools/call") ? "tool" : !strcmp(m->method, "prompts/get") ? "prompt" : NULL;
	const char *name = json_string_value(json_object_get(m->params, "name"));
	json_t *args = json_object_get(m->params, "arguments");
	mcp_input_fn fn = kind && name ? input_find(kind, name) : NULL;
	if (!fn)
		return NULL;
	if (args && !json_is_object(args))
		return invalid_params(m, "Invalid params: arguments must be an object");
	json_t *responses = json_object_get(m->params, "inputResponses");
	json_t *rs = json_object_get(m->params, "requestState");
	if (responses && !json_is_object(responses))
		return invalid_params(m, "Invalid params: inputResponses must be an object");
	const char *key;
	json_t *v;
	json_object_foreach(responses, key, v)
		if (!json_is_object(v))
			return invalid_params(m, "Invalid params: each of inputResponses must be the client's result (an object)");
	if (rs && !json_is_string(rs))
		return invalid_params(m, "Invalid params: requestState must be a string");
	char full[100];
	snprintf(full, sizeof full, "%s:%s", kind, name);
	json_t *empty = json_object();
	mcp_input_call c = { .name = full, .arguments = args ? args : empty, .input_responses = responses,
			     .client_capabilities = s->client_capabilities, .user_id = call->core->actor->user_id,
			     .key = call->confirm };
	json_t *state = NULL;
	if (rs && !(state = mcp_input_state(&c, json_string_value(rs)))) {
		json_decref(empty);
		return invalid_params(m, "Invalid params: requestState failed verification (altered, expired, or "
					 "not from this caller's request)");
	}
	c.state = state;
	json_t *r = fn(&c);
	json_decref(state);
	json_decref(empty);
	if (!r)
		return jsonrpc_error(m->id, c.error_code ? c.error_code : JSONRPC_INTERNAL_ERROR, c.error_message, c.error_data);
	return jsonrpc_result(m->id, r);
}

/* The 2026-07-28 era's multi-round-trip fixtures (input_required). Each is
 * listed as an ordinary tool (or prompt) whose session-era answer says it
 * needs the stateless era, and registered with input_register, which the
 * stateless era runs with what the client sent back. */
static json_t *needs_stateless(const ai_env *env, json_t *args, err_t *err)
{
	(void)env, (void)args, (void)err;
	return json_pack("{s:b, s:[o]}", "isError", 1, "content",
			 text("This tool asks for input over several round trips: call it in protocol 2026-07-28"));
}

static json_t *needs_stateless_prompt(json_t *args, char *errbuf, size_t errlen)
{
	(void)args;
	snprintf(errbuf, errlen, "Invalid params: this prompt asks for input over several round trips: use protocol 2026-07-28");
	return NULL;
}

static json_t *elicit(const char *message, const char *field, const char *type)
{
	return json_pack("{s:s, s:{s:s, s:{s:s, s:{s:{s:s}}, s:[s]}}}", "method", "elicitation/create", "params",
			 "message", message, "requestedSchema", "type", "object", "properties", field, "type", type,
			 "required", field);
}

static json_t *sample(const char *prompt, int max_tokens)
{
	return json_pack("{s:s, s:{s:[{s:s, s:{s:s, s:s}}], s:i}}", "method", "sampling/createMessage", "params",
			 "messages", "role", "user", "content", "type", "text", "text", prompt, "maxTokens", max_tokens);
}

static json_t *roots(void)
{
	return json_pack("{s:s, s:{}}", "method", "roots/list", "params");
}

/* What the client answered for key: an elicitation's content field, a
 * sampling's text, or NULL. */
static const char *answer(const mcp_input_call *c, const char *key, const char *field)
{
	json_t *r = json_object_get(c->input_responses, key);
	json_t *content = json_object_get(r, "content");
	return json_string_value(json_object_get(content, field ? field : "text"));
}

static json_t *done(const char *fmt, const char *a, const char *b)
{
	char *t = NULL;
	if (asprintf(&t, fmt, a ? a : "", b ? b : "") < 0)
		abort();
	json_t *r = content(json_pack("[o]", text(t)));
	free(t);
	return r;
}

static json_t *ir_elicitation(mcp_input_call *c)
{
	if (!json_object_get(c->input_responses, "user_name"))
		return mcp_input_required(c, json_pack("{s:o}", "user_name", elicit("What is your name?", "name", "string")),
					  NULL);
	const char *name = answer(c, "user_name", "name");
	return done("Hello, %s!%s", name ? name : "stranger", NULL);
}

static json_t *ir_sampling(mcp_input_call *c)
{
	if (!json_object_get(c->input_responses, "capital_question"))
		return mcp_input_required(
			c, json_pack("{s:o}", "capital_question", sample("What is the capital of France?", 100)), NULL);
	return done("LLM response: %s%s", answer(c, "capital_question", NULL), NULL);
}

static json_t *ir_list_roots(mcp_input_call *c)
{
	json_t *r = json_object_get(json_object_get(c->input_responses, "client_roots"), "roots");
	if (!json_is_array(r))
		return mcp_input_required(c, json_pack("{s:o}", "client_roots", roots()), NULL);
	char *list = json_dumps(r, JSON_COMPACT);
	json_t *out = done("Client roots: %s%s", list, NULL);
	free(list);
	return out;
}

/* State the server needs back: the step the request is at. */
static const char *step(const mcp_input_call *c)
{
	return json_string_value(json_object_get(c->state, "step"));
}

static json_t *ir_request_state(mcp_input_call *c)
{
	const char *st = step(c);
	if (!st || strcmp(st, "confirm") || !json_object_get(c->input_responses, "confirm"))
		return mcp_input_required(
			c,
			json_pack("{s:{s:s, s:{s:s, s:{s:s, s:{s:{s:s}}, s:[s]}}}}", "confirm", "method", "elicitation/create",
				  "params", "message", "Please confirm", "requestedSchema", "type", "object", "properties",
				  "ok", "type", "boolean", "required", "ok"),
			json_pack("{s:s}", "step", "confirm"));
	return done("state-ok: the requestState verified%s%s", NULL, NULL);
}

static json_t *ir_multiple(mcp_input_call *c)
{
	json_t *want = json_pack("{s:o, s:o, s:o}", "user_name", elicit("What is your name?", "name", "string"),
				 "greeting", sample("Generate a greeting", 50), "client_roots", roots());
	const char *st = step(c);
	if (st && !strcmp(st, "all")) {
		const char *key;
		json_t *v;
		void *tmp;
		json_object_foreach_safe(want, tmp, key, v)
			if (json_object_get(c->input_responses, key))
				json_object_del(want, key);
	}
	if (json_object_size(want))
		return mcp_input_required(c, want, json_pack("{s:s}", "step", "all"));
	json_decref(want);
	return done("Hello %s; the greeting: %s", answer(c, "user_name", "name"), answer(c, "greeting", NULL));
}

static json_t *ir_multi_round(mcp_input_call *c)
{
	const char *st = step(c);
	const char *name = json_string_value(json_object_get(c->state, "name"));
	if (st && !strcmp(st, "2") && json_object_get(c->input_responses, "step2"))
		return done("%s likes %s", name, answer(c, "step2", "color"));
	if (st && (!strcmp(st, "2") || (!strcmp(st, "1") && json_object_get(c->input_responses, "step1")))) {
		if (!strcmp(st, "1"))
			name = answer(c, "step1", "name");
		return mcp_input_required(
			c, json_pack("{s:o}", "step2", elicit("Step 2: What is your favorite color?", "color", "string")),
			json_pack("{s:s, s:s}", "step", "2", "name", name ? name : ""));
	}
	return mcp_input_required(c, json_pack("{s:o}", "step1", elicit("Step 1: What is your name?", "name", "string")),
				  json_pack("{s:s}", "step", "1"));
}

static json_t *ir_tampered(mcp_input_call *c)
{
	const char *st = step(c);
	if (!st || strcmp(st, "signed") || !json_object_get(c->input_responses, "confirm"))
		return mcp_input_required(c, json_pack("{s:o}", "confirm", elicit("Please confirm", "ok", "boolean")),
					  json_pack("{s:s}", "step", "signed"));
	return done("The requestState verified%s%s", NULL, NULL);
}

static json_t *ir_capabilities(mcp_input_call *c)
{
	if (!json_object_get(c->input_responses, "user_name") && !json_object_get(c->input_responses, "greeting"))
		return mcp_input_required(c,
					  json_pack("{s:o, s:o}", "user_name", elicit("What is your name?", "name", "string"),
						    "greeting", sample("Generate a greeting", 50)),
					  NULL);
	return done("Got what the client could give%s%s", NULL, NULL);
}

static json_t *ir_missing_capability(mcp_input_call *c)
{
	if (!json_object_get(c->input_responses, "completion"))
		return mcp_input_required(c, json_pack("{s:o}", "completion", sample("Say something", 20)), NULL);
	return done("LLM response: %s%s", answer(c, "completion", NULL), NULL);
}

static json_t *ir_prompt(mcp_input_call *c)
{
	if (!json_object_get(c->input_responses, "user_context"))
		return mcp_input_required(
			c,
			json_pack("{s:o}", "user_context", elicit("What context should the prompt use?", "context", "string")),
			NULL);
	char *t = NULL;
	const char *ctx = answer(c, "user_context", "context");
	if (asprintf(&t, "Answer with this context in mind: %s", ctx ? ctx : "none") < 0)
		abort();
	json_t *r = json_pack("{s:[o]}", "messages", message(text(t)));
	free(t);
	return r;
}

static void input_tool(const char *name, const char *description, mcp_input_fn fn)
{
	tool(name, description, NO_ARGS, needs_stateless);
	if (!input_register("tool", name, fn))
		log_msg(LOG_ERROR, "fixture input tool %s not registered", name);
}

void mcp_fixtures_register(void)
{
	mcp_test_input_hook = input_round;
	tool("test_simple_text", "Returns simple text content", NO_ARGS, simple_text);
	tool("test_image_content", "Returns image content", NO_ARGS, image_content);
	tool("test_audio_content", "Returns audio content", NO_ARGS, audio_content);
	tool("test_embedded_resource", "Returns an embedded resource", NO_ARGS, embedded_resource);
	tool("test_multiple_content_types", "Returns text, image and resource content", NO_ARGS, multiple_content_types);
	tool("test_tool_with_logging", "Sends three log messages while it runs", NO_ARGS, tool_with_logging);
	tool("test_tool_with_progress", "Reports progress 0, 50 and 100 of 100", NO_ARGS, tool_with_progress);
	tool("test_error_handling", "Always answers an error result", NO_ARGS, error_handling);
	tool("test_sampling", "Asks the client's LLM (sampling/createMessage)",
	     "{\"type\":\"object\",\"properties\":{\"prompt\":{\"type\":\"string\",\"description\":\"The prompt to send\"}},"
	     "\"required\":[\"prompt\"]}",
	     sampling);
	tool("test_elicitation", "Asks the user for input (elicitation/create)",
	     "{\"type\":\"object\",\"properties\":{\"message\":{\"type\":\"string\",\"description\":\"The message to show\"}},"
	     "\"required\":[\"message\"]}",
	     elicitation);
	tool("test_elicitation_sep1034_defaults", "Elicitation with defaults for every primitive type", NO_ARGS,
	     elicitation_defaults);
	tool("test_elicitation_sep1330_enums", "Elicitation with the five enum schema forms", NO_ARGS, elicitation_enums);
	tool("test_logging_tool", "Sends three log messages while it runs", NO_ARGS, tool_with_logging);
	input_tool("test_input_required_result_elicitation", "Asks the user's name (input_required)", ir_elicitation);
	input_tool("test_input_required_result_sampling", "Asks the client's LLM (input_required)", ir_sampling);
	input_tool("test_input_required_result_list_roots", "Asks the client's roots (input_required)", ir_list_roots);
	input_tool("test_input_required_result_request_state", "Round-trips a signed requestState", ir_request_state);
	input_tool("test_input_required_result_multiple_inputs", "Asks for three inputs at once", ir_multiple);
	input_tool("test_input_required_result_multi_round", "Asks in two rounds", ir_multi_round);
	input_tool("test_input_required_result_tampered_state", "Refuses an altered requestState", ir_tampered);
	input_tool("test_input_required_result_capabilities", "Asks only what the client declared", ir_capabilities);
	input_tool("test_missing_capability", "Needs the client's sampling capability", ir_missing_capability);
	input_tool("test_streaming_elicitation", "Asks the user through input_required, never a request", ir_elicitation);

	prompt("{\"name\":\"test_simple_prompt\",\"description\":\"A simple prompt without arguments\"}", simple_prompt);
	prompt("{\"name\":\"test_prompt_with_arguments\",\"description\":\"A prompt with two arguments\",\"arguments\":["
	       "{\"name\":\"arg1\",\"description\":\"First test argument\",\"required\":true},"
	       "{\"name\":\"arg2\",\"description\":\"Second test argument\",\"required\":true}]}",
	       prompt_with_arguments);
	prompt("{\"name\":\"test_prompt_with_embedded_resource\",\"description\":\"A prompt embedding a resource\","
	       "\"arguments\":[{\"name\":\"resourceUri\",\"description\":\"URI of the resource to embed\",\"required\":true}]}",
	       prompt_with_embedded_resource);
	prompt("{\"name\":\"test_prompt_with_image\",\"description\":\"A prompt with an image\"}", prompt_with_image);
	prompt("{\"name\":\"test_input_required_result_prompt\",\"description\":\"A prompt that asks for context "
	       "(input_required)\"}",
	       needs_stateless_prompt);
	if (!input_register("prompt", "test_input_required_result_prompt", ir_prompt))
		log_msg(LOG_ERROR, "fixture input prompt not registered");

	resource("{\"uri\":\"test://static-text\",\"name\":\"static-text\",\"description\":\"A static text resource\","
		 "\"mimeType\":\"text/plain\"}",
		 static_text);
	resource("{\"uri\":\"test://static-binary\",\"name\":\"static-binary\",\"description\":\"A static PNG\","
		 "\"mimeType\":\"image/png\"}",
		 static_binary);
	resource("{\"uri\":\"test://watched-resource\",\"name\":\"watched-resource\","
		 "\"description\":\"A resource to subscribe to\",\"mimeType\":\"text/plain\"}",
		 static_text);
	resource("{\"uriTemplate\":\"test://template/{id}/data\",\"name\":\"template-data\","
		 "\"description\":\"Data for an id\",\"mimeType\":\"application/json\"}",
		 template_data);
}
#endif
