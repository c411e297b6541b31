#include "mcp/prompts.h"
#include "core/names.h"
#include "util/embedded.h"
#include "util/log.h"
#include "util/utf8.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_COMPLETIONS = 100, /* the most MCP lets a completion return */
       MAX_REGISTERED = 32 };

static json_t *prompts; /* array of the parsed files, loaded once */
static pthread_once_t loaded = PTHREAD_ONCE_INIT;
static bool in_use;

/* Prompts added by mcp_prompts_register, before the files. */
static struct {
	json_t *def;
	mcp_prompt_fn fn;
} registered[MAX_REGISTERED];
static size_t nregistered;

#ifdef WT_TEST_BUILD
bool mcp_prompts_register(json_t *def, mcp_prompt_fn fn)
{
	if (in_use || !fn || nregistered >= MAX_REGISTERED || !json_is_string(json_object_get(def, "name"))) {
		json_decref(def);
		return false;
	}
	registered[nregistered].def = def;
	registered[nregistered++].fn = fn;
	return true;
}
#endif

static mcp_prompt_fn fn_of(json_t *p)
{
	for (size_t i = 0; i < nregistered; i++)
		if (registered[i].def == p)
			return registered[i].fn;
	return NULL;
}

static void load(void)
{
	in_use = true;
	prompts = json_array();
	for (size_t i = 0; i < nregistered; i++)
		json_array_append(prompts, registered[i].def);
	for (const embedded_file *f = embedded_prompts; f->name; f++) {
		json_error_t jerr;
		json_t *p = json_loads(f->text, 0, &jerr);
		if (!json_is_string(json_object_get(p, "name")) || !json_is_string(json_object_get(p, "template"))) {
			log_msg(LOG_ERROR, "prompts/%s: %s", f->name, p ? "needs name and template" : jerr.text);
			json_decref(p);
			continue;
		}
		json_array_append_new(prompts, p);
	}
}

static json_t *find(const char *name)
{
	pthread_once(&loaded, load);
	size_t i;
	json_t *p;
	json_array_foreach(prompts, i, p)
		if (name && !strcmp(json_string_value(json_object_get(p, "name")), name))
			return p;
	return NULL;
}

json_t *mcp_prompts_list(void)
{
	pthread_once(&loaded, load);
	json_t *out = json_array();
	size_t i;
	json_t *p;
	json_array_foreach(prompts, i, p) {
		json_t *args = json_array(), *a;
		size_t j;
		json_array_foreach(json_object_get(p, "arguments"), j, a)
			json_array_append_new(args, json_pack("{s:O, s:O, s:b}", "name", json_object_get(a, "name"), "description",
							      json_object_get(a, "description"), "required",
							      json_is_true(json_object_get(a, "required"))));
		json_array_append_new(out, json_pack("{s:O, s:O*, s:O, s:o}", "name", json_object_get(p, "name"), "title",
						     json_object_get(p, "title"), "description",
						     json_object_get(p, "description"), "arguments", args));
	}
	return json_pack("{s:o}", "prompts", out);
}

/* Appends s[0..n) to the growing buffer. */
static void append(char **buf, size_t *len, const char *s, size_t n)
{
	char *p = realloc(*buf, *len + n + 1);
	if (!p)
		abort();
	memcpy(p + *len, s, n);
	*len += n;
	p[*len] = '\0';
	*buf = p;
}

json_t *mcp_prompts_get(const char *name, json_t *arguments, char *errbuf, size_t errlen)
{
	json_t *p = find(name);
	if (!p) {
		utf8_snprintf(errbuf, errlen, "Invalid params: no prompt named '%s'", name ? name : "");
		return NULL;
	}
	json_t *defs = json_object_get(p, "arguments"), *a;
	size_t i;
	json_array_foreach(defs, i, a) {
		const char *an = json_string_value(json_object_get(a, "name"));
		json_t *v = json_object_get(arguments, an);
		if (v && !json_is_string(v)) {
			utf8_snprintf(errbuf, errlen, "Invalid params: argument '%s' must be a string", an);
			return NULL;
		}
		if (json_is_true(json_object_get(a, "required")) && (!v || !json_string_length(v))) {
			utf8_snprintf(errbuf, errlen, "Invalid params: prompt '%s' needs the argument '%s'", name, an);
			return NULL;
		}
	}
	mcp_prompt_fn fn = fn_of(p);
	if (fn) {
		json_t *empty = arguments ? NULL : json_object();
		json_t *r = fn(arguments ? arguments : empty, errbuf, errlen);
		json_decref(empty);
		return r;
	}
	const char *t = json_string_value(json_object_get(p, "template"));
	char *text = NULL;
	size_t len = 0;
	append(&text, &len, "", 0);
	while (*t) {
		const char *open = strstr(t, "{{"), *close = open ? strstr(open, "}}") : NULL;
		if (!close) {
			append(&text, &len, t, strlen(t));
			break;
		}
		append(&text, &len, t, (size_t)(open - t));
		char an[64];
		snprintf(an, sizeof an, "%.*s", (int)(close - open - 2), open + 2);
		const char *v = json_string_value(json_object_get(arguments, an));
		if (!v || !*v) {
			json_array_foreach(defs, i, a)
				if (!strcmp(json_string_value(json_object_get(a, "name")), an))
					v = json_string_value(json_object_get(a, "default"));
		}
		v = v ? v : "";
		append(&text, &len, v, strlen(v));
		t = close + 2;
	}
	json_t *out = json_pack("{s:O, s:[{s:s, s:{s:s, s:s}}]}", "description", json_object_get(p, "description"),
				"messages", "role", "user", "content", "type", "text", "text", text);
	free(text);
	return out;
}

json_t *mcp_prompts_complete(core_ctx *c, const char *name, const char *arg, const char *value, err_t *err)
{
	static const struct {
		const char *arg;
		names_kind kind;
	} completable[] = { { "project", NAMES_PROJECT }, { "task", NAMES_TASK }, { "customer", NAMES_CUSTOMER } };
	json_t *p = find(name);
	if (!p) {
		err_set(err, ERR_CODE_NOT_FOUND, "no prompt named '%s'", name ? name : "");
		return NULL;
	}
	json_t *values = NULL;
	long total = 0;
	for (size_t i = 0; arg && i < sizeof completable / sizeof completable[0]; i++)
		if (!strcmp(completable[i].arg, arg) &&
		    !(values = names_complete(c, completable[i].kind, value, MAX_COMPLETIONS, &total, err)))
			return NULL;
	if (!values)
		values = json_array();
	return json_pack("{s:{s:o, s:I, s:b}}", "completion", "values", values, "total", (json_int_t)total, "hasMore",
			 total > (long)json_array_size(values));
}
