#include "delivery/chat_model.h"
#include "delivery/curl_policy.h"
#include "util/jsontext.h"
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

enum {
	MAX_LINE = 1 << 20,       /* one SSE line (one chunk) */
	MAX_TEXT = 1 << 20,       /* the answer's text, and each tool call's arguments */
	MAX_ERROR_BODY = 16384,   /* what is kept of an error answer */
	MAX_TOOL_CALLS = 32,      /* tool calls in one answer */
};

typedef struct {
	char *data;
	size_t len, cap;
} buf;

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

/* One attempt's state, filled by the callbacks. */
typedef struct {
	const chat_model_hooks *hooks;
	long status;         /* the answer's HTTP status, once its head arrived */
	long retry_after;    /* seconds, -1 when not given */
	buf line;            /* the SSE line being received */
	buf error_body;      /* an error answer's body */
	buf text;
	tool_slot slots[MAX_TOOL_CALLS];
	int nslots;
	json_t *usage;
	char finish_reason[32];
	bool done;           /* data: [DONE] */
	bool handed_on;      /* text went to the caller: no retry after this */
	char failure[300];   /* why the stream is unusable, "" when it is not */
} attempt;

static void attempt_free(attempt *a)
{
	free(a->line.data);
	free(a->error_body.data);
	free(a->text.data);
	for (int i = 0; i < MAX_TOOL_CALLS; i++) {
		free(a->slots[i].id.data);
		free(a->slots[i].name.data);
		free(a->slots[i].arguments.data);
	}
	json_decref(a->usage);
}

static bool fail(attempt *a, const char *why)
{
	if (!a->failure[0])
		snprintf(a->failure, sizeof a->failure, "%s", why);
	return false;
}

/* One delta of a tool call: {index, id?, function: {name?, arguments?}}. */
static bool take_tool_delta(attempt *a, json_t *d)
{
	json_t *idx = json_object_get(d, "index");
	long i = json_is_integer(idx) ? (long)json_integer_value(idx) : a->nslots ? a->nslots - 1 : 0;
	if (i < 0 || i >= MAX_TOOL_CALLS)
		return fail(a, "the model asked for too many tool calls at once");
	if (i >= a->nslots)
		a->nslots = (int)i + 1;
	tool_slot *s = &a->slots[i];
	json_t *fn = json_object_get(d, "function");
	const char *id = json_string_value(json_object_get(d, "id"));
	const char *name = json_string_value(json_object_get(fn, "name"));
	const char *args = json_string_value(json_object_get(fn, "arguments"));
	if (id && !s->id.len && !buf_add(&s->id, id, strlen(id), 256))
		return fail(a, "a tool call id is too long");
	if ((name && !buf_add(&s->name, name, strlen(name), 256)) ||
	    (args && !buf_add(&s->arguments, args, strlen(args), MAX_TEXT)))
		return fail(a, "a tool call is too long");
	return true;
}

/* One chunk: {choices: [{delta: {content, tool_calls}, finish_reason}], usage}. */
static bool take_chunk(attempt *a, const char *data, size_t len)
{
	if (len == 6 && !memcmp(data, "[DONE]", 6)) {
		a->done = true;
		return true;
	}
	json_error_t jerr;
	json_t *chunk = json_loadb(data, len, 0, &jerr);
	if (!json_is_object(chunk)) {
		json_decref(chunk);
		return fail(a, "the model's stream held a chunk that is not a JSON object");
	}
	bool ok = true;
	json_t *perr = json_object_get(chunk, "error");
	if (perr) {
		const char *m = json_string_value(json_object_get(perr, "message"));
		char why[300];
		snprintf(why, sizeof why, "the provider reported an error in the stream: %.200s", m ? m : "(no message)");
		ok = fail(a, why);
	}
	json_t *usage = json_object_get(chunk, "usage");
	if (json_is_object(usage)) {
		json_decref(a->usage);
		a->usage = json_incref(usage);
	}
	json_t *choice = json_array_get(json_object_get(chunk, "choices"), 0);
	json_t *delta = json_object_get(choice, "delta");
	const char *content = json_string_value(json_object_get(delta, "content"));
	if (ok && content && *content) {
		size_t n = strlen(content);
		if (!buf_add(&a->text, content, n, MAX_TEXT))
			ok = fail(a, "the model's answer is too long");
		else if (a->hooks && a->hooks->on_text) {
			a->handed_on = true;
			a->hooks->on_text(a->hooks->arg, content, n);
		}
	}
	json_t *calls = json_object_get(delta, "tool_calls");
	for (size_t i = 0; ok && i < json_array_size(calls); i++)
		ok = take_tool_delta(a, json_array_get(calls, i));
	const char *finish = json_string_value(json_object_get(choice, "finish_reason"));
	if (finish)
		snprintf(a->finish_reason, sizeof a->finish_reason, "%s", finish);
	json_decref(chunk);
	return ok;
}

/* A whole SSE line: only data fields matter; comments, event names and ids
 * are skipped. */
static bool take_line(attempt *a, char *line, size_t len)
{
	if (len && line[len - 1] == '\r')
		line[--len] = '\0';
	if (len < 5 || strncmp(line, "data:", 5))
		return true;
	size_t at = line[5] == ' ' ? 6 : 5;
	return take_chunk(a, line + at, len - at);
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
	attempt *a = arg;
	size_t n = size * nmemb;
	if (a->status != 200) { /* an error answer: its first bytes say why */
		size_t room = MAX_ERROR_BODY - a->error_body.len;
		buf_add(&a->error_body, ptr, n < room ? n : room, MAX_ERROR_BODY);
		return n;
	}
	for (size_t i = 0; i < n; i++) {
		if (ptr[i] != '\n') {
			if (!buf_add(&a->line, ptr + i, 1, MAX_LINE)) {
				fail(a, "the model's stream held a line longer than 1 MiB");
				return 0;
			}
			continue;
		}
		bool ok = take_line(a, a->line.data ? a->line.data : (char *)"", a->line.len);
		a->line.len = 0;
		if (!ok)
			return 0;
	}
	return n;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *arg)
{
	attempt *a = arg;
	size_t n = size * nmemb;
	int code;
	if (n > 9 && !strncmp(ptr, "HTTP/", 5) && sscanf(ptr, "HTTP/%*s %d", &code) == 1) {
		a->status = code;
		a->retry_after = -1;
	} else if (n > 12 && !strncasecmp(ptr, "retry-after:", 12)) {
		char v[64];
		size_t vl = n - 12 < sizeof v - 1 ? n - 12 : sizeof v - 1;
		memcpy(v, ptr + 12, vl);
		v[vl] = '\0';
		v[strcspn(v, "\r\n")] = '\0';
		char *p = v + strspn(v, " \t");
		if (*p >= '0' && *p <= '9')
			a->retry_after = strtol(p, NULL, 10);
		else { /* an HTTP date */
			time_t when = curl_getdate(p, NULL);
			if (when > 0)
				a->retry_after = when > time(NULL) ? (long)(when - time(NULL)) : 0;
		}
	}
	return n;
}

static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	(void)dt, (void)dn, (void)ut, (void)un;
	const chat_model_hooks *h = ((attempt *)arg)->hooks;
	return h && h->cancelled && h->cancelled(h->arg) ? 1 : 0;
}

/* The provider's own words from an error body ({error: {message}} or
 * {error: "…"} or {message}), else its first bytes. */
static void provider_message(const buf *body, char *out, size_t n)
{
	json_t *j = body->len ? json_loadb(body->data, body->len, 0, NULL) : NULL;
	json_t *e = json_object_get(j, "error");
	const char *m = json_string_value(json_object_get(e, "message"));
	if (!m)
		m = json_string_value(e);
	if (!m)
		m = json_string_value(json_object_get(j, "message"));
	snprintf(out, n, "%.200s", m ? m : body->len ? body->data : "(empty body)");
	json_decref(j);
}

/* The assembled message of a finished attempt. */
static json_t *message_of(attempt *a, int attempts)
{
	json_t *calls = json_array();
	for (int i = 0; i < a->nslots; i++) {
		tool_slot *s = &a->slots[i];
		char id[32];
		snprintf(id, sizeof id, "call_%d", i);
		json_array_append_new(
			calls, json_pack("{s:s, s:s, s:{s:s, s:s}}", "id", s->id.len ? s->id.data : id, "type", "function",
					 "function", "name", s->name.len ? s->name.data : "", "arguments",
					 s->arguments.len ? s->arguments.data : ""));
	}
	return json_pack("{s:s, s:o, s:s, s:O?, s:i}", "content", a->text.len ? a->text.data : "", "tool_calls", calls,
			 "finish_reason", a->finish_reason[0] ? a->finish_reason : "stop", "usage", a->usage, "attempts",
			 attempts);
}

typedef enum { OUT_OK, OUT_RETRY, OUT_FAIL } outcome;

static outcome run_attempt(const chat_model_config *cfg, const char *url, const char *body, attempt *a, err_t *err)
{
	CURL *h = curl_easy_init();
	if (!h) {
		err_set(err, ERR_CODE_AI_PROVIDER_ERROR, "could not start libcurl");
		return OUT_FAIL;
	}
	curl_policy policy = { .allow_private = true };
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
	hdr = curl_slist_append(hdr, "Accept: text/event-stream");
	hdr = curl_slist_append(hdr, "Expect:"); /* no 100-continue round trip before the body */
	char *auth = NULL;
	if (cfg->api_key) {
		size_t n = strlen(cfg->api_key) + 32;
		auth = malloc(n);
		snprintf(auth, n, "Authorization: Bearer %s", cfg->api_key);
		hdr = curl_slist_append(hdr, auth);
	}
	char curl_err[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_policy_apply(h, &policy);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)cfg->connect_timeout_s);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)cfg->timeout_s);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L); /* the idle timeout: under 1 byte/s for that long */
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (long)cfg->idle_timeout_s);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, a);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, a);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_err);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "workestra-time");
	CURLcode rc = curl_easy_perform(h);
	curl_slist_free_all(hdr);
	free(auth);
	curl_easy_cleanup(h);

	if (a->line.len && rc == CURLE_OK && a->status == 200) /* a last line without its newline */
		take_line(a, a->line.data, a->line.len);
	if (a->failure[0]) {
		err_set(err, ERR_CODE_AI_PROVIDER_ERROR, "%s", a->failure);
		return OUT_FAIL;
	}
	if (rc == CURLE_ABORTED_BY_CALLBACK) {
		err_set(err, ERR_CODE_AI_PROVIDER_ERROR, "the request to the model was cancelled");
		return OUT_FAIL;
	}
	if (rc == CURLE_OPERATION_TIMEDOUT) {
		err_set(err, ERR_CODE_AI_PROVIDER_TIMEOUT, "the model provider did not answer in time (%s)",
			curl_err[0] ? curl_err : "timeout");
		return OUT_FAIL; /* waiting that long again would double the wait */
	}
	if (rc != CURLE_OK) {
		if (policy.refused[0]) {
			err_set(err, ERR_CODE_AI_PROVIDER_ERROR, "the model provider could not be reached: %s", policy.refused);
			return OUT_FAIL;
		}
		err_set(err, ERR_CODE_AI_PROVIDER_ERROR, "the model provider could not be reached: %s",
			curl_err[0] ? curl_err : curl_easy_strerror(rc));
		return a->handed_on ? OUT_FAIL : OUT_RETRY;
	}
	if (a->status != 200) {
		char m[256];
		provider_message(&a->error_body, m, sizeof m);
		err_set(err, ERR_CODE_AI_PROVIDER_ERROR, "the model provider answered %ld: %s", a->status, m);
		return a->status == 429 || a->status >= 500 ? OUT_RETRY : OUT_FAIL;
	}
	if (!a->done && !a->finish_reason[0]) {
		err_set(err, ERR_CODE_AI_PROVIDER_ERROR, "the model's stream ended before the answer was complete");
		return a->handed_on ? OUT_FAIL : OUT_RETRY;
	}
	return OUT_OK;
}

/* Sleeps ms in short steps, false when the caller gives up meanwhile. */
static bool wait_ms(const chat_model_hooks *hooks, long ms)
{
	for (long left = ms; left > 0; left -= 100) {
		if (hooks && hooks->cancelled && hooks->cancelled(hooks->arg))
			return false;
		struct timespec t = { 0, (left < 100 ? left : 100) * 1000000L };
		nanosleep(&t, NULL);
	}
	return true;
}

json_t *chat_model_complete(const chat_model_config *cfg, json_t *request, const chat_model_hooks *hooks,
			    err_t *err)
{
	json_t *req = json_deep_copy(request);
	json_object_set_new(req, "model", json_string(cfg->model));
	json_object_set_new(req, "stream", json_true());
	json_object_set_new(req, "stream_options", json_pack("{s:b}", "include_usage", 1));
	char *body = jsontext_dump(req);
	json_decref(req);
	size_t bl = strlen(cfg->base_url);
	while (bl && cfg->base_url[bl - 1] == '/')
		bl--;
	char *url = malloc(bl + 32);
	snprintf(url, bl + 32, "%.*s/chat/completions", (int)bl, cfg->base_url);
	json_t *out = NULL;
	for (int tries = 1;; tries++) {
		attempt a = { .hooks = hooks, .retry_after = -1 };
		err_t why = { 0 };
		outcome o = run_attempt(cfg, url, body, &a, &why);
		if (o == OUT_OK)
			out = message_of(&a, tries);
		long retry_after = a.retry_after;
		attempt_free(&a);
		if (o == OUT_OK)
			break;
		/* Backoff: 0.5 s, 1 s, 2 s … with jitter, or the provider's
		 * Retry-After when it gives one within the bound. */
		long wait = retry_after >= 0 ? retry_after * 1000 : (500L << (tries - 1)) + rand() % 250;
		if (o == OUT_FAIL || tries > cfg->max_retries || retry_after > cfg->max_retry_wait_s ||
		    !wait_ms(hooks, wait)) {
			*err = why;
			break;
		}
	}
	free(url);
	free(body);
	return out;
}
