#include "delivery/chat_model.h"
#include "delivery/chat_stream.h"
#include "delivery/curl_policy.h"
#include "util/jsontext.h"
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

enum { MAX_ERROR_BODY = 16384 }; /* what is kept of an error answer */

/* One attempt's state, filled by the callbacks. */
typedef struct {
	const chat_model_hooks *hooks;
	long status;         /* the answer's HTTP status, once its head arrived */
	long retry_after;    /* seconds, -1 when not given */
	char error_body[MAX_ERROR_BODY + 1]; /* an error answer's first bytes */
	size_t error_len;
	chat_stream *stream; /* a 200 answer's body */
} attempt;

static void on_text(void *arg, const char *text, size_t len)
{
	const chat_model_hooks *h = arg;
	if (h && h->on_text)
		h->on_text(h->arg, text, len);
}

static void attempt_free(attempt *a)
{
	chat_stream_free(a->stream);
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
	attempt *a = arg;
	size_t n = size * nmemb;
	if (a->status != 200) { /* an error answer: its first bytes say why */
		size_t keep = n < MAX_ERROR_BODY - a->error_len ? n : MAX_ERROR_BODY - a->error_len;
		memcpy(a->error_body + a->error_len, ptr, keep);
		a->error_len += keep;
		a->error_body[a->error_len] = '\0';
		return n;
	}
	return chat_stream_feed(a->stream, ptr, n) ? n : 0;
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
static void provider_message(const char *body, size_t len, char *out, size_t n)
{
	json_t *j = len ? json_loadb(body, len, 0, NULL) : NULL;
	json_t *e = json_object_get(j, "error");
	const char *m = json_string_value(json_object_get(e, "message"));
	if (!m)
		m = json_string_value(e);
	if (!m)
		m = json_string_value(json_object_get(j, "message"));
	snprintf(out, n, "%.200s", m ? m : len ? body : "(empty body)");
	json_decref(j);
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
		size_t n = strlen(cfg->api_key) + (cfg->key_header ? strlen(cfg->key_header) : 0) + 32;
		auth = malloc(n);
		if (!auth)
			abort();
		if (cfg->key_header)
			snprintf(auth, n, "%s: %s", cfg->key_header, cfg->api_key);
		else
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

	if (rc == CURLE_OK && a->status == 200)
		chat_stream_finish(a->stream);
	if (*chat_stream_failure(a->stream)) {
		err_set(err, ERR_CODE_AI_PROVIDER_ERROR, "%s", chat_stream_failure(a->stream));
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
		return chat_stream_handed_on(a->stream) ? OUT_FAIL : OUT_RETRY;
	}
	if (a->status != 200) {
		char m[256];
		provider_message(a->error_body, a->error_len, m, sizeof m);
		err_set(err, ERR_CODE_AI_PROVIDER_ERROR, "the model provider answered %ld: %s", a->status, m);
		return a->status == 429 || a->status >= 500 ? OUT_RETRY : OUT_FAIL;
	}
	if (!chat_stream_complete(a->stream)) {
		err_set(err, ERR_CODE_AI_PROVIDER_ERROR, "the model's stream ended before the answer was complete");
		return chat_stream_handed_on(a->stream) ? OUT_FAIL : OUT_RETRY;
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
	/* The path goes before the query (Azure: …/deployments/NAME?api-version=…). */
	const char *query = strchr(cfg->base_url, '?');
	size_t bl = query ? (size_t)(query - cfg->base_url) : strlen(cfg->base_url);
	while (bl && cfg->base_url[bl - 1] == '/')
		bl--;
	size_t cap = strlen(cfg->base_url) + 32;
	char *url = malloc(cap);
	if (!url)
		abort();
	snprintf(url, cap, "%.*s/chat/completions%s", (int)bl, cfg->base_url, query ? query : "");
	json_t *out = NULL;
	for (int tries = 1;; tries++) {
		attempt a = { .hooks = hooks, .retry_after = -1, .stream = chat_stream_new(on_text, (void *)hooks) };
		err_t why = { 0 };
		outcome o = run_attempt(cfg, url, body, &a, &why);
		if (o == OUT_OK)
			out = chat_stream_message(a.stream, tries);
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
