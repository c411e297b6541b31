#include "delivery/chat_stream.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	MAX_LINE = 1 << 20,     /* one SSE line (one chunk) */
	MAX_TEXT = 1 << 20,     /* the answer's text, and each tool call's arguments */
	MAX_TOOL_CALLS = 32,    /* tool calls in one answer */
	MAX_NAME = 256,         /* a tool call's id, and its function's name */
};

typedef struct {
	char *data;
	size_t len, cap;
} buf;

/* Appends n bytes of p; false when that would pass max (or memory ran out). */
static bool buf_add(buf *b, const char *p, size_t n, size_t max)
{
	if (b->len + n > max)
		return false;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *g = realloc(b->data, cap);
		if (!g)
			return false;
		b->data = g;
		b->cap = cap;
	}
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return true;
}

typedef struct {
	buf id, name, arguments;
} tool_slot;

struct chat_stream {
	void (*on_text)(void *arg, const char *text, size_t len);
	void *arg;
	buf line; /* the SSE line being received */
	buf text;
	tool_slot slots[MAX_TOOL_CALLS];
	int nslots;
	json_t *usage;
	char finish_reason[32];
	bool done;         /* data: [DONE] */
	bool handed_on;    /* text went to the caller */
	char failure[300]; /* why the stream is unusable, "" when it is not */
};

chat_stream *chat_stream_new(void (*on_text)(void *arg, const char *text, size_t len), void *arg)
{
	chat_stream *s = calloc(1, sizeof *s);
	if (!s)
		abort();
	s->on_text = on_text;
	s->arg = arg;
	return s;
}

void chat_stream_free(chat_stream *s)
{
	if (!s)
		return;
	free(s->line.data);
	free(s->text.data);
	for (int i = 0; i < MAX_TOOL_CALLS; i++) {
		free(s->slots[i].id.data);
		free(s->slots[i].name.data);
		free(s->slots[i].arguments.data);
	}
	json_decref(s->usage);
	free(s);
}

static bool fail(chat_stream *s, const char *why)
{
	if (!s->failure[0])
		snprintf(s->failure, sizeof s->failure, "%s", why);
	return false;
}

/* One delta of a tool call: {index, id?, function: {name?, arguments?}}. */
static bool take_tool_delta(chat_stream *s, json_t *d)
{
	json_t *idx = json_object_get(d, "index");
	long i = json_is_integer(idx) ? (long)json_integer_value(idx) : s->nslots ? s->nslots - 1 : 0;
	if (i < 0 || i >= MAX_TOOL_CALLS)
		return fail(s, "the model asked for too many tool calls at once");
	if (i >= s->nslots)
		s->nslots = (int)i + 1;
	tool_slot *t = &s->slots[i];
	json_t *fn = json_object_get(d, "function");
	const char *id = json_string_value(json_object_get(d, "id"));
	const char *name = json_string_value(json_object_get(fn, "name"));
	const char *args = json_string_value(json_object_get(fn, "arguments"));
	if (id && !t->id.len && !buf_add(&t->id, id, strlen(id), MAX_NAME))
		return fail(s, "a tool call id is too long");
	if ((name && !buf_add(&t->name, name, strlen(name), MAX_NAME)) ||
	    (args && !buf_add(&t->arguments, args, strlen(args), MAX_TEXT)))
		return fail(s, "a tool call is too long");
	return true;
}

/* One chunk: {choices: [{delta: {content, tool_calls}, finish_reason}], usage}. */
static bool take_chunk(chat_stream *s, const char *data, size_t len)
{
	if (len == 6 && !memcmp(data, "[DONE]", 6)) {
		s->done = true;
		return true;
	}
	json_t *chunk = json_loadb(data, len, 0, NULL);
	if (!json_is_object(chunk)) {
		json_decref(chunk);
		return fail(s, "the model's stream held a chunk that is not a JSON object");
	}
	bool ok = true;
	json_t *perr = json_object_get(chunk, "error");
	if (perr) {
		const char *m = json_string_value(json_object_get(perr, "message"));
		char why[300];
		snprintf(why, sizeof why, "the provider reported an error in the stream: %.200s", m ? m : "(no message)");
		ok = fail(s, why);
	}
	json_t *usage = json_object_get(chunk, "usage");
	if (json_is_object(usage)) {
		json_decref(s->usage);
		s->usage = json_incref(usage);
	}
	json_t *choice = json_array_get(json_object_get(chunk, "choices"), 0);
	json_t *delta = json_object_get(choice, "delta");
	const char *content = json_string_value(json_object_get(delta, "content"));
	if (ok && content && *content) {
		size_t n = strlen(content);
		if (!buf_add(&s->text, content, n, MAX_TEXT))
			ok = fail(s, "the model's answer is too long");
		else if (s->on_text) {
			s->handed_on = true;
			s->on_text(s->arg, content, n);
		}
	}
	json_t *calls = json_object_get(delta, "tool_calls");
	for (size_t i = 0; ok && i < json_array_size(calls); i++)
		ok = take_tool_delta(s, json_array_get(calls, i));
	const char *finish = json_string_value(json_object_get(choice, "finish_reason"));
	if (finish)
		snprintf(s->finish_reason, sizeof s->finish_reason, "%s", finish);
	json_decref(chunk);
	return ok;
}

/* A whole SSE line: only data fields matter; comments, event names and ids
 * are skipped. */
static bool take_line(chat_stream *s, char *line, size_t len)
{
	if (len && line[len - 1] == '\r')
		line[--len] = '\0';
	if (len < 5 || strncmp(line, "data:", 5))
		return true;
	size_t at = line[5] == ' ' ? 6 : 5;
	return take_chunk(s, line + at, len - at);
}

bool chat_stream_feed(chat_stream *s, const char *data, size_t n)
{
	if (s->failure[0])
		return false;
	for (size_t i = 0; i < n; i++) {
		if (data[i] != '\n') {
			if (!buf_add(&s->line, data + i, 1, MAX_LINE))
				return fail(s, "the model's stream held a line longer than 1 MiB");
			continue;
		}
		bool ok = take_line(s, s->line.data ? s->line.data : (char *)"", s->line.len);
		s->line.len = 0;
		if (!ok)
			return false;
	}
	return true;
}

bool chat_stream_finish(chat_stream *s)
{
	if (s->failure[0])
		return false;
	if (!s->line.len)
		return true;
	bool ok = take_line(s, s->line.data, s->line.len);
	s->line.len = 0;
	return ok;
}

const char *chat_stream_failure(const chat_stream *s)
{
	return s->failure;
}

bool chat_stream_complete(const chat_stream *s)
{
	return s->done || s->finish_reason[0];
}

bool chat_stream_handed_on(const chat_stream *s)
{
	return s->handed_on;
}

json_t *chat_stream_message(const chat_stream *s, int attempts)
{
	json_t *calls = json_array();
	for (int i = 0; i < s->nslots; i++) {
		const tool_slot *t = &s->slots[i];
		char id[32];
		snprintf(id, sizeof id, "call_%d", i);
		json_array_append_new(
			calls, json_pack("{s:s, s:s, s:{s:s, s:s}}", "id", t->id.len ? t->id.data : id, "type", "function",
					 "function", "name", t->name.len ? t->name.data : "", "arguments",
					 t->arguments.len ? t->arguments.data : ""));
	}
	return json_pack("{s:s, s:o, s:s, s:O?, s:i}", "content", s->text.len ? s->text.data : "", "tool_calls", calls,
			 "finish_reason", s->finish_reason[0] ? s->finish_reason : "stop", "usage", s->usage, "attempts",
			 attempts);
}
