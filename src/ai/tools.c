#include "ai/tools.h"
#include "core/confirm.h"
#include "util/embedded.h"
#include "util/jsontext.h"
#include "util/log.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_TOOLS = 64 };

typedef struct {
	json_t *def;
	const char *name; /* borrowed from def */
	ai_tool_fn fn;
	bool full_result; /* fn answers the CallToolResult itself */
} tool_t;

static tool_t tools[MAX_TOOLS];
static size_t ntools;
static pthread_once_t loaded = PTHREAD_ONCE_INIT;
static bool in_use;

static int by_name(const void *a, const void *b)
{
	return strcmp(((const tool_t *)a)->name, ((const tool_t *)b)->name);
}

static bool add(json_t *def, ai_tool_fn fn, bool full_result)
{
	const char *name = json_string_value(json_object_get(def, "name"));
	if (!name || !fn || ntools >= MAX_TOOLS) {
		json_decref(def);
		return false;
	}
	tools[ntools++] = (tool_t){ def, name, fn, full_result };
	return true;
}

/* A definition without a handler (or that does not parse) is a build mistake:
 * say so loudly and leave it out, rather than offer a tool that cannot answer. */
static void load(void)
{
	in_use = true;
	for (const embedded_file *f = embedded_tools; f->name; f++) {
		json_error_t jerr;
		json_t *def = json_loads(f->text, 0, &jerr);
		const char *name = json_string_value(json_object_get(def, "name"));
		ai_tool_fn fn = name ? ai_time_tool(name) : NULL;
		if (!fn) {
			log_msg(LOG_ERROR, "tools/%s: %s", f->name, def ? "no handler for this tool" : jerr.text);
			json_decref(def);
			continue;
		}
		add(def, fn, false);
	}
	qsort(tools, ntools, sizeof tools[0], by_name);
}

#ifdef WT_TEST_BUILD
bool ai_tools_register(json_t *def, ai_tool_fn fn)
{
	if (in_use) {
		json_decref(def);
		return false;
	}
	return add(def, fn, false);
}

bool ai_tools_register_result(json_t *def, ai_tool_fn fn)
{
	if (in_use) {
		json_decref(def);
		return false;
	}
	return add(def, fn, true);
}
#endif

size_t ai_tools_count(void)
{
	pthread_once(&loaded, load);
	return ntools;
}

json_t *ai_tools_definition(size_t i)
{
	pthread_once(&loaded, load);
	return i < ntools ? tools[i].def : NULL;
}

json_t *ai_tools_openai(void)
{
	pthread_once(&loaded, load);
	json_t *out = json_array();
	for (size_t i = 0; i < ntools; i++)
		json_array_append_new(out, json_pack("{s:s, s:{s:s, s:O, s:O}}", "type", "function", "function", "name",
						     tools[i].name, "description", json_object_get(tools[i].def, "description"),
						     "parameters", json_object_get(tools[i].def, "inputSchema")));
	return out;
}

static bool type_matches(const char *type, json_t *v)
{
	if (!strcmp(type, "string"))
		return json_is_string(v);
	if (!strcmp(type, "number"))
		return json_is_number(v);
	if (!strcmp(type, "integer"))
		return json_is_integer(v);
	if (!strcmp(type, "boolean"))
		return json_is_boolean(v);
	if (!strcmp(type, "object"))
		return json_is_object(v);
	if (!strcmp(type, "array"))
		return json_is_array(v);
	return !strcmp(type, "null") && json_is_null(v);
}

/* The checks of the inputSchema a model gets wrong most (unknown, missing and
 * mistyped arguments, values outside an enum), with messages naming the
 * argument; the core validates the values themselves. */
static bool check_args(json_t *schema, json_t *args, err_t *err)
{
	json_t *props = json_object_get(schema, "properties"), *v;
	const char *key;
	size_t i;
	json_array_foreach(json_object_get(schema, "required"), i, v)
		if (!json_object_get(args, json_string_value(v)))
			return err_set_param(err, ERR_CODE_VALIDATION_FAILED, json_string_value(v), "'%s' is required",
					     json_string_value(v));
	json_object_foreach(args, key, v) {
		json_t *p = json_object_get(props, key);
		if (!p) {
			if (json_is_false(json_object_get(schema, "additionalProperties")))
				return err_set_param(err, ERR_CODE_VALIDATION_FAILED, key, "unknown argument '%s'", key);
			continue;
		}
		const char *type = json_string_value(json_object_get(p, "type"));
		if (type && !type_matches(type, v))
			return err_set_param(err, ERR_CODE_VALIDATION_FAILED, key, "'%s' must be of type %s", key, type);
		json_t *choices = json_object_get(p, "enum"), *c;
		size_t j;
		bool listed = !choices;
		json_array_foreach(choices, j, c)
			listed = listed || json_equal(c, v);
		if (!listed)
			return err_set_param(err, ERR_CODE_VALIDATION_FAILED, key, "'%s' is not one of the allowed values", key);
	}
	return true;
}

static json_t *text_content(const char *text)
{
	return json_pack("[{s:s, s:s}]", "type", "text", "text", text);
}

static json_t *result_ok(json_t *structured)
{
	char *text = jsontext_dump(structured);
	json_t *r = json_pack("{s:o, s:o, s:b}", "content", text_content(text ? text : "{}"), "structuredContent",
			      structured, "isError", 0);
	free(text);
	return r;
}

static json_t *result_error(const err_t *err)
{
	char text[64 + sizeof err->message + 8];
	snprintf(text, sizeof text, "%s: %s", err_name(err), err->message);
	return json_pack("{s:o, s:b}", "content", text_content(text), "isError", 1);
}

bool ai_tools_pending(json_t *structured)
{
	return json_is_true(json_object_get(structured, "requires_confirmation")) &&
	       json_is_string(json_object_get(structured, "confirmation_token"));
}

json_t *ai_tools_settle(const ai_env *env, json_t *pending, ai_answer answer)
{
	static const char *const status[] = { "confirmed", "declined", "cancelled" };
	static const char *const said[] = { "The person confirmed it, and it is done",
					    "The person declined: nothing changed",
					    "The person dismissed the confirmation: nothing changed" };
	const char *token = json_string_value(json_object_get(pending, "confirmation_token"));
	const char *summary = json_string_value(json_object_get(pending, "summary"));
	err_t err = { 0 };
	json_t *done = answer == AI_ANSWER_ACCEPT ? confirm_redeem(env->core, env->confirm, token, env->now, &err)
						  : confirm_decline(env->core, env->confirm, token, env->now, &err);
	if (!done) {
		if (err.kind == ERR_UNAVAILABLE || err.kind == ERR_INTERNAL)
			log_msg(LOG_ERROR, "confirmation: %s: %s", err_name(&err), err.message);
		return result_error(&err);
	}
	json_t *details = json_object_get(pending, "details");
	json_t *out = json_pack("{s:b, s:s, s:s, s:o, s:O}", "requires_confirmation", 0, "status", status[answer],
				"summary", summary ? summary : "", "details",
				json_is_array(details) ? json_incref(details) : json_array(), "action",
				json_object_get(done, "action"));
	if (answer == AI_ANSWER_ACCEPT)
		json_object_set(out, "result", json_object_get(done, "result"));
	json_decref(done);
	/* A sentence for people and models first, then the data as text for
	 * clients that do not read structuredContent. */
	json_t *r = result_ok(out);
	json_array_insert_new(json_object_get(r, "content"), 0,
			      json_pack("{s:s, s:s++}", "type", "text", "text", said[answer], ": ", summary ? summary : ""));
	return r;
}

json_t *ai_tools_call(const ai_env *env, const char *name, json_t *args, err_t *err)
{
	pthread_once(&loaded, load);
	tool_t key = { .name = name ? name : "" };
	tool_t *t = bsearch(&key, tools, ntools, sizeof tools[0], by_name);
	if (!t) {
		err_set(err, ERR_CODE_NOT_FOUND, "no tool named '%s'", key.name);
		return NULL;
	}
	json_t *empty = args ? NULL : json_object();
	err_t terr = { 0 };
	json_t *out = NULL;
	if (!json_is_object(args ? args : empty))
		err_set(&terr, ERR_CODE_VALIDATION_FAILED, "the arguments must be a JSON object");
	else if (check_args(json_object_get(t->def, "inputSchema"), args ? args : empty, &terr))
		out = t->fn(env, args ? args : empty, &terr);
	json_decref(empty);
	if (out && t->full_result) {
		if (json_is_array(json_object_get(out, "content")))
			return out;
		json_decref(out);
		err_set(&terr, ERR_CODE_INTERNAL_ERROR, "the tool answered no content");
	} else if (out) {
		return result_ok(out);
	}
	if (!err_any(&terr))
		err_set(&terr, ERR_CODE_INTERNAL_ERROR, "the tool failed without saying why");
	if (terr.kind == ERR_UNAVAILABLE || terr.kind == ERR_INTERNAL)
		log_msg(LOG_ERROR, "tool %s: %s: %s", name, err_name(&terr), terr.message);
	return result_error(&terr);
}
