#include "ai/chat.h"
#include "ai/tools.h"
#include "core/chats.h"
#include "core/settings.h"
#include "util/dates.h"
#include "util/embedded.h"
#include "util/jsontext.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_TOOL_RESULT = 32768 /* bytes of one tool result the model is sent */ };

/* ------------------------------------------------------------ the prompt */

/* Replaces each {{name}} of text with its value; malloc'd. */
static char *render(const char *text, const char *const vars[][2])
{
	size_t cap = strlen(text) + 512, len = 0;
	char *out = malloc(cap);
	for (const char *p = text; *p;) {
		const char *val = NULL;
		size_t skip = 0;
		for (int i = 0; vars[i][0] && !val; i++) {
			size_t n = strlen(vars[i][0]);
			if (!strncmp(p, "{{", 2) && !strncmp(p + 2, vars[i][0], n) && !strncmp(p + 2 + n, "}}", 2))
				val = vars[i][1], skip = n + 4;
		}
		size_t add = val ? strlen(val) : 1;
		if (len + add + 1 > cap)
			out = realloc(out, cap = (len + add + 1) * 2);
		memcpy(out + len, val ? val : p, add);
		len += add;
		p += val ? skip : 1;
	}
	out[len] = '\0';
	return out;
}

char *ai_chat_system_prompt(core_ctx *c, err_t *err)
{
	int dow;
	char tz[64], today[11];
	if (!settings_calendar(c, &dow, tz, err) || !settings_today(c, today, err))
		return NULL;
	static const char *const days[] = { "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday" };
	long day = 0;
	dates_parse(today, &day);
	const char *weekday = days[dates_dow(day)];
	const char *template = NULL;
	json_t *def = NULL;
	for (const embedded_file *f = embedded_chat_prompts; f->name && !template; f++)
		if (!strcmp(f->name, "system.json")) {
			def = json_loads(f->text, 0, NULL);
			template = json_string_value(json_object_get(def, "template"));
		}
	if (!template) {
		json_decref(def);
		err_set(err, ERR_CODE_INTERNAL_ERROR, "the chat's system prompt is missing from the build");
		return NULL;
	}
	const char *const vars[][2] = { { "time_zone", tz }, { "today", today }, { "weekday", weekday },
					{ "role", c->actor->role }, { NULL, NULL } };
	char *out = render(template, vars);
	json_decref(def);
	return out;
}

/* ---------------------------------------------------------- the context */

static json_t *tool_message(const char *id, json_t *content /* stolen */)
{
	char *text = jsontext_dump(content);
	json_decref(content);
	if (strlen(text) > MAX_TOOL_RESULT) { /* cut on a character boundary, and say so */
		size_t n = MAX_TOOL_RESULT;
		while (n && ((unsigned char)text[n] & 0xC0) == 0x80)
			n--;
		json_t *cut = json_pack("{s:s%, s:s}", "truncated_result", text, n, "note",
					"the result was too long and was cut; ask for less (a shorter period, a narrower search)");
		free(text);
		text = jsontext_dump(cut);
		json_decref(cut);
	}
	json_t *m = json_pack("{s:s, s:s, s:s}", "role", "tool", "tool_call_id", id, "content", text);
	free(text);
	return m;
}

/* The stored history as Chat Completions messages, grouped by turn
 * (turns[i]: the index in msgs where turn i's messages start). A tool call
 * left without its answer (a turn cut short) is answered as not run, so the
 * history stays one the provider accepts. */
static json_t *history_messages(json_t *history, json_t *turn_starts)
{
	json_t *msgs = json_array(), *open = json_array();
	long turn = -1;
	for (size_t i = 0; i <= json_array_size(history); i++) {
		json_t *h = json_array_get(history, i);
		const char *role = json_string_value(json_object_get(h, "role"));
		if (json_array_size(open) && (!h || strcmp(role, "tool"))) {
			for (size_t k = 0; k < json_array_size(open); k++)
				json_array_append_new(msgs, tool_message(json_string_value(json_array_get(open, k)),
									 json_pack("{s:s, s:s}", "error", "not_run", "message",
										   "this call was interrupted and did not run")));
			json_array_clear(open);
		}
		if (!h)
			break;
		long t = (long)json_integer_value(json_object_get(h, "turn"));
		if (t != turn) {
			json_array_append_new(turn_starts, json_integer((json_int_t)json_array_size(msgs)));
			turn = t;
		}
		const char *content = json_string_value(json_object_get(h, "content"));
		if (!strcmp(role, "user")) {
			json_array_append_new(msgs, json_pack("{s:s, s:s}", "role", "user", "content", content ? content : ""));
		} else if (!strcmp(role, "assistant")) {
			json_t *calls = json_object_get(h, "tool_calls");
			json_t *m = json_pack("{s:s, s:s?}", "role", "assistant", "content", content && *content ? content : NULL);
			if (!json_object_get(m, "content"))
				json_object_set_new(m, "content", json_null());
			if (json_array_size(calls)) {
				json_object_set(m, "tool_calls", calls);
				for (size_t k = 0; k < json_array_size(calls); k++)
					json_array_append(open, json_object_get(json_array_get(calls, k), "id"));
			}
			json_array_append_new(msgs, m);
		} else if (!strcmp(role, "tool")) {
			const char *id = json_string_value(json_object_get(h, "tool_call_id"));
			for (size_t k = 0; k < json_array_size(open); k++)
				if (id && !strcmp(json_string_value(json_array_get(open, k)), id))
					json_array_remove(open, k--);
			json_array_append_new(msgs, json_pack("{s:s, s:s?, s:s}", "role", "tool", "tool_call_id", id, "content",
							      content ? content : ""));
		} else { /* outcome: the server's note of what became of a card */
			json_t *m = json_pack("{s:s, s:s}", "role", "system", "content", "");
			size_t n = strlen(content ? content : "") + 64;
			char *note = malloc(n);
			snprintf(note, n, "Card outcome (from the server): %s", content ? content : "{}");
			json_object_set_new(m, "content", json_string(note));
			free(note);
			json_array_append_new(msgs, m);
		}
	}
	json_decref(open);
	return msgs;
}

static size_t json_size(json_t *j)
{
	char *t = jsontext_dump(j);
	size_t n = strlen(t);
	free(t);
	return n;
}

/* The request's messages: the system prompt, then as many of the latest
 * turns as fit in max bytes (the current turn always). */
static json_t *context(const ai_chat_env *env, const char *system, json_t *history)
{
	json_t *starts = json_array();
	json_t *msgs = history_messages(history, starts);
	size_t total = strlen(system), first = 0;
	size_t nturns = json_array_size(starts);
	size_t *sizes = calloc(nturns + 1, sizeof *sizes);
	for (size_t t = 0; t < nturns; t++) {
		size_t from = (size_t)json_integer_value(json_array_get(starts, t));
		size_t to = t + 1 < nturns ? (size_t)json_integer_value(json_array_get(starts, t + 1)) : json_array_size(msgs);
		for (size_t i = from; i < to; i++)
			sizes[t] += json_size(json_array_get(msgs, i));
		total += sizes[t];
	}
	size_t drop_turns = 0;
	while (total > env->max_context && drop_turns + 1 < nturns)
		total -= sizes[drop_turns++];
	if (drop_turns)
		first = (size_t)json_integer_value(json_array_get(starts, drop_turns));
	json_t *out = json_array();
	json_array_append_new(out, json_pack("{s:s, s:s}", "role", "system", "content", system));
	for (size_t i = first; i < json_array_size(msgs); i++)
		json_array_append(out, json_array_get(msgs, i));
	free(sizes);
	json_decref(starts);
	json_decref(msgs);
	return out;
}

/* ------------------------------------------------------------- the turn */

typedef struct {
	const ai_chat_sink *sink;
} text_hook;

static void on_text(void *arg, const char *text, size_t len)
{
	const ai_chat_sink *sink = ((text_hook *)arg)->sink;
	json_t *d = json_pack("{s:s%}", "text", text, len);
	sink->emit(sink->arg, "delta", d);
	json_decref(d);
}

static bool hook_cancelled(void *arg)
{
	const ai_chat_sink *sink = ((text_hook *)arg)->sink;
	return sink->cancelled && sink->cancelled(sink->arg);
}

static void emit(const ai_chat_sink *sink, const char *event, json_t *data /* stolen */)
{
	sink->emit(sink->arg, event, data);
	json_decref(data);
}

/* The text of a CallToolResult's first content item, parsed when it is JSON. */
static json_t *result_json(json_t *result)
{
	json_t *sc = json_object_get(result, "structuredContent");
	if (sc)
		return json_incref(sc);
	const char *text = json_string_value(json_object_get(json_array_get(json_object_get(result, "content"), 0), "text"));
	json_t *j = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
	return j ? j : json_pack("{s:s}", "text", text ? text : "");
}

/* Runs one tool call of the model and returns what the model is told (a
 * JSON object); *is_error says whether it is a refusal. A write tool's
 * answer becomes a card (stored and emitted) and the model gets its summary. */
static json_t *run_tool(const ai_chat_env *env, const char *conv, const char *name, const char *arguments,
			json_t *args, const ai_chat_sink *sink, bool *is_error, err_t *err)
{
	*is_error = true;
	if (!args)
		return json_pack("{s:s, s:s, s:s}", "error", "invalid_arguments", "message",
				 "the arguments are not one JSON object; call the tool again with its parameters as a JSON object",
				 "received", arguments);
	ai_env tenv = { env->core, env->confirm, time(NULL), NULL };
	err_t terr = { 0 };
	json_t *result = ai_tools_call(&tenv, name, args, &terr);
	if (!result)
		return json_pack("{s:s, s:s}", "error", err_name(&terr), "message", terr.message);
	json_t *data = result_json(result);
	bool failed = json_is_true(json_object_get(result, "isError"));
	json_decref(result);
	if (failed) {
		json_t *e = json_pack("{s:O}", "error", data);
		json_decref(data);
		return e;
	}
	*is_error = false;
	if (!ai_tools_pending(data))
		return data;
	json_t *card = chats_card_add(env->core, conv, name, data, err);
	json_decref(data);
	if (!card)
		return NULL;
	json_t *told = json_pack("{s:s, s:O, s:O, s:s}", "status", "awaiting_confirmation", "card_id",
				 json_object_get(card, "id"), "summary", json_object_get(card, "summary"), "note",
				 "Nothing has changed yet: the person sees a confirmation card and will confirm or decline it."
				 " You will be told the outcome.");
	if (json_array_size(json_object_get(card, "details")))
		json_object_set(told, "details", json_object_get(card, "details"));
	emit(sink, "card", json_pack("{s:o}", "card", card));
	return told;
}

/* Sums usage (prompt, completion and total tokens) into total. */
static void add_usage(json_t *total, json_t *usage)
{
	static const char *const keys[] = { "prompt_tokens", "completion_tokens", "total_tokens" };
	for (size_t i = 0; i < 3; i++)
		json_object_set_new(total, keys[i], json_integer(json_integer_value(json_object_get(total, keys[i])) +
								 json_integer_value(json_object_get(usage, keys[i]))));
}

bool ai_chat_turn(const ai_chat_env *env, const char *conv, const ai_chat_sink *sink, err_t *err)
{
	if (!chats_settle_cards(env->core, env->confirm, conv, time(NULL), err))
		return false;
	char *system = ai_chat_system_prompt(env->core, err);
	json_t *history = system ? chats_history(env->core, conv, err) : NULL;
	if (!history) {
		free(system);
		return false;
	}
	json_t *messages = context(env, system, history);
	free(system);
	json_decref(history);
	json_t *tools = ai_tools_openai();
	json_t *usage = json_pack("{s:i, s:i, s:i}", "prompt_tokens", 0, "completion_tokens", 0, "total_tokens", 0);
	const char *stop = "tool_rounds";
	int round = 0;
	bool ok = true;
	text_hook hook = { sink };
	while (ok && round < env->max_rounds) {
		round++;
		json_t *request = json_pack("{s:O, s:O, s:s}", "messages", messages, "tools", tools, "tool_choice", "auto");
		json_t *reply = env->model->complete(env->model->arg, request, on_text, hook_cancelled, &hook, err);
		json_decref(request);
		if (!reply) {
			ok = false;
			break;
		}
		add_usage(usage, json_object_get(reply, "usage"));
		const char *content = json_string_value(json_object_get(reply, "content"));
		json_t *calls = json_object_get(reply, "tool_calls");
		json_t *assistant = json_pack("{s:s, s:s?}", "role", "assistant", "content", content && *content ? content : NULL);
		if (!json_object_get(assistant, "content"))
			json_object_set_new(assistant, "content", json_null());
		if (json_array_size(calls))
			json_object_set(assistant, "tool_calls", calls);
		json_array_append_new(messages, assistant);
		ok = chats_append(env->core, conv, "assistant", content, json_array_size(calls) ? calls : NULL, NULL, err);
		if (ok && !json_array_size(calls)) {
			const char *fr = json_string_value(json_object_get(reply, "finish_reason"));
			stop = fr && !strcmp(fr, "length") ? "length" : "stop";
			json_decref(reply);
			break;
		}
		for (size_t i = 0; ok && i < json_array_size(calls); i++) {
			json_t *call = json_array_get(calls, i);
			const char *id = json_string_value(json_object_get(call, "id"));
			json_t *fn = json_object_get(call, "function");
			const char *name = json_string_value(json_object_get(fn, "name"));
			const char *arguments = json_string_value(json_object_get(fn, "arguments"));
			json_t *args = *arguments ? json_loads(arguments, JSON_REJECT_DUPLICATES, NULL) : json_object();
			if (args && !json_is_object(args)) {
				json_decref(args);
				args = NULL;
			}
			emit(sink, "tool_call", json_pack("{s:s, s:s, s:O?}", "id", id, "name", name, "arguments", args));
			bool is_error;
			json_t *told = hook_cancelled(&hook) ? json_pack("{s:s, s:s}", "error", "not_run", "message",
									"the person left before this call ran")
							     : run_tool(env, conv, name, arguments, args, sink, &is_error, err);
			json_decref(args);
			if (!told) {
				ok = false;
				break;
			}
			emit(sink, "tool_result",
			     json_pack("{s:s, s:s, s:b, s:O}", "id", id, "name", name, "is_error", is_error, "result", told));
			json_t *m = tool_message(id, told);
			json_array_append_new(messages, m);
			ok = chats_append(env->core, conv, "tool", json_string_value(json_object_get(m, "content")), NULL, id, err);
		}
		json_decref(reply);
		if (hook_cancelled(&hook)) {
			stop = "cancelled";
			break;
		}
	}
	if (ok)
		emit(sink, "done",
		     json_pack("{s:s, s:O, s:i, s:s}", "conversation_id", conv, "usage", usage, "rounds", round, "stop_reason", stop));
	json_decref(usage);
	json_decref(tools);
	json_decref(messages);
	return ok;
}
