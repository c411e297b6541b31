#include "delivery/request.h"
#include "delivery/curl_policy.h"
#include "delivery/signing.h"
#include "util/utf8.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct delivery_request {
	CURL *curl;
	struct curl_slist *headers;
	curl_policy policy;
	char errbuf[CURL_ERROR_SIZE];
	char body[OUTBOX_BODY_MAX + 1];
	size_t body_len;
	double at;
	struct timespec started;
};

static size_t capture(char *ptr, size_t size, size_t n, void *userdata)
{
	delivery_request *r = userdata;
	size_t len = size * n, room = OUTBOX_BODY_MAX - r->body_len;
	/* Keep the first 4 KB for the log and swallow the rest, so a chatty
	 * receiver still gets its 2xx counted. */
	memcpy(r->body + r->body_len, ptr, len < room ? len : room);
	r->body_len += len < room ? len : room;
	return len;
}

static void add_header(delivery_request *r, const char *name, const char *value)
{
	char line[512];
	snprintf(line, sizeof line, "%s: %s", name, value);
	struct curl_slist *h = curl_slist_append(r->headers, line);
	if (!h)
		abort();
	r->headers = h;
}

delivery_request *request_new(const outbox_job *job, double at, bool allow_private)
{
	delivery_request *r = calloc(1, sizeof *r);
	if (!r || !(r->curl = curl_easy_init()))
		abort();
	r->policy.allow_private = allow_private;
	r->at = at;
	clock_gettime(CLOCK_MONOTONIC, &r->started);
	/* Receivers compare the timestamp with their own clock: it is real time,
	 * even when the scheduler runs on an injected clock. */
	long long ts = (long long)time(NULL);
	char ts_text[24], sig[SIGNING_HEADER_LEN], std[2 * SIGNING_STANDARD_LEN];
	snprintf(ts_text, sizeof ts_text, "%lld", ts);
	signing_sign(job->secret ? job->secret : "", ts, job->body, job->body_len, sig);
	/* Standard Webhooks: one v1 entry per valid secret, space-separated; the
	 * receiver accepts the message when any entry verifies. */
	signing_standard(job->secret ? job->secret : "", job->id, ts, job->body, job->body_len, std);
	add_header(r, "Content-Type", "application/json");
	add_header(r, "User-Agent", "Workestra-Webhooks/1");
	add_header(r, "X-Workestra-Event", job->event);
	add_header(r, "X-Workestra-Delivery", job->id);
	add_header(r, "X-Workestra-Timestamp", ts_text);
	add_header(r, "X-Workestra-Signature", sig);
	if (job->previous_secret) {
		char prev[SIGNING_HEADER_LEN];
		signing_sign(job->previous_secret, ts, job->body, job->body_len, prev);
		add_header(r, "X-Workestra-Signature-Previous", prev);
		size_t n = strlen(std);
		std[n++] = ' ';
		signing_standard(job->previous_secret, job->id, ts, job->body, job->body_len, std + n);
	}
	add_header(r, "webhook-id", job->id);
	add_header(r, "webhook-timestamp", ts_text);
	add_header(r, "webhook-signature", std);
	add_header(r, "Expect", ""); /* no 100-continue round trip */
	CURL *c = r->curl;
	curl_easy_setopt(c, CURLOPT_URL, job->url);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, job->body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)job->body_len);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, r->headers);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)REQUEST_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_policy_apply(c, &r->policy);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, capture);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(c, CURLOPT_PRIVATE, r);
	return r;
}

CURL *request_handle(delivery_request *r)
{
	return r->curl;
}

/* PostgreSQL text must be valid UTF-8 without NUL: anything else becomes '?'.
 * A character cut by the 4 KB limit is dropped. */
static char *sanitize(const char *in, size_t len)
{
	len = utf8_truncate(in, len);
	char *out = malloc(len + 1);
	if (!out)
		abort();
	memcpy(out, in, len);
	out[len] = '\0';
	utf8_clean(out, len);
	return out;
}

void request_finish(delivery_request *r, CURLcode rc, outbox_outcome *o)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	memset(o, 0, sizeof *o);
	o->at = r->at;
	o->duration_ms = (long)((now.tv_sec - r->started.tv_sec) * 1000 + (now.tv_nsec - r->started.tv_nsec) / 1000000);
	if (o->duration_ms < 0)
		o->duration_ms = 0;
	curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, &o->response_code);
	if (o->response_code < 0 || o->response_code > 999)
		o->response_code = 0;
	o->response_body = r->body_len ? sanitize(r->body, r->body_len) : NULL;
	if (rc == CURLE_OK) {
		o->verdict = schedule_classify(o->response_code);
		if (o->response_code >= 300 && o->response_code < 400)
			snprintf(o->error, sizeof o->error, "redirects are not followed; point the webhook at the final URL");
		return;
	}
	if (r->policy.refused[0]) {
		/* A policy refusal will not change on retry. */
		o->verdict = VERDICT_PERMANENT;
		snprintf(o->error, sizeof o->error, "%s", r->policy.refused);
		return;
	}
	o->verdict = VERDICT_RETRY; /* timeouts, refused or dropped connections */
	if (rc == CURLE_OPERATION_TIMEDOUT)
		snprintf(o->error, sizeof o->error, "timeout: no complete answer within %d s", REQUEST_TIMEOUT_MS / 1000);
	else
		utf8_snprintf(o->error, sizeof o->error, "%s%s%s", curl_easy_strerror(rc), r->errbuf[0] ? ": " : "", r->errbuf);
}

void request_free(delivery_request *r)
{
	if (!r)
		return;
	curl_easy_cleanup(r->curl);
	curl_slist_free_all(r->headers);
	free(r);
}
