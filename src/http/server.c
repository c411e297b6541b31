#include "http/server.h"
#include "util/crypto.h"
#include "util/log.h"
#include <libwebsockets.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
	MAX_URI = 8192,
	MAX_HEADER_VALUE = 16384,
	WRITE_CHUNK = 16384,
	DRAIN_SECONDS = 10,
};

typedef enum { CONN_IDLE, CONN_READING, CONN_DISPATCHED, CONN_RESPONDING } conn_state;

/* Per-connection state (lws per_session_data): one request at a time. */
typedef struct {
	struct lws *wsi;
	workers_job *job;
	conn_state state;
	char *body;
	size_t body_len, body_cap;
	size_t sent;
	bool headers_sent;
	bool close_after;
	struct timespec started;
} conn_t;

typedef struct {
	struct lws_context *ctx;
	workers_t *workers;
	const http_config *cfg;
	int responding; /* connections with an answer still to write */
} server_t;

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t stop_signal, stop_sender;
static struct lws_context *signal_ctx;

static void on_signal(int sig, siginfo_t *info, void *ucontext)
{
	(void)ucontext;
	stop_signal = sig;
	stop_sender = info ? info->si_pid : 0;
	stop_requested = 1;
	if (signal_ctx)
		lws_cancel_service(signal_ctx);
}

static void wake_loop(void *arg)
{
	lws_cancel_service(((server_t *)arg)->ctx);
}

static server_t *server_of(struct lws *wsi)
{
	return lws_context_user(lws_get_context(wsi));
}

static const char *copy_header(struct lws *wsi, arena_t *a, enum lws_token_indexes tok)
{
	int len = lws_hdr_total_length(wsi, tok);
	if (len <= 0 || len > MAX_HEADER_VALUE)
		return NULL;
	char *buf = arena_alloc(a, (size_t)len + 1);
	if (lws_hdr_copy(wsi, buf, len + 1, tok) < 0)
		return NULL;
	return buf;
}

static const char *copy_custom(struct lws *wsi, arena_t *a, const char *name)
{
	int nlen = (int)strlen(name);
	int len = lws_hdr_custom_length(wsi, name, nlen);
	if (len <= 0 || len > MAX_HEADER_VALUE)
		return NULL;
	char *buf = arena_alloc(a, (size_t)len + 1);
	if (lws_hdr_custom_copy(wsi, buf, len + 1, name, nlen) < 0)
		return NULL;
	return buf;
}

/* The raw query string. lws keeps each argument as a separate fragment and
 * lws_hdr_copy() joins them without the '&', so "page=1&limit=2" would read
 * as one argument: rebuild it fragment by fragment. */
static const char *copy_query(struct lws *wsi, arena_t *a)
{
	int total = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS);
	if (total <= 0 || total > MAX_URI)
		return NULL;
	size_t cap = (size_t)total * 2 + 2; /* room for the separators */
	char *out = arena_alloc(a, cap), *frag = arena_alloc(a, (size_t)total + 1);
	size_t len = 0;
	for (int i = 0;; i++) {
		int n = lws_hdr_copy_fragment(wsi, frag, total + 1, WSI_TOKEN_HTTP_URI_ARGS, i);
		if (n < 0)
			break;
		if (len + (size_t)n + 2 > cap)
			return NULL;
		if (len)
			out[len++] = '&';
		memcpy(out + len, frag, (size_t)n);
		len += (size_t)n;
	}
	out[len] = '\0';
	return out;
}

static const char *method_of(struct lws *wsi, enum lws_token_indexes *tok)
{
	static const struct {
		enum lws_token_indexes tok;
		const char *name;
	} methods[] = {
		{ WSI_TOKEN_GET_URI, "GET" },     { WSI_TOKEN_POST_URI, "POST" },
		{ WSI_TOKEN_PATCH_URI, "PATCH" }, { WSI_TOKEN_PUT_URI, "PUT" },
		{ WSI_TOKEN_DELETE_URI, "DELETE" }, { WSI_TOKEN_OPTIONS_URI, "OPTIONS" },
		{ WSI_TOKEN_HEAD_URI, "HEAD" },
	};
	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
		if (lws_hdr_total_length(wsi, methods[i].tok) > 0) {
			*tok = methods[i].tok;
			return methods[i].name;
		}
	return NULL;
}

/* A request id from the client when it is short and printable, else a new one. */
static const char *request_id(arena_t *a, const char *given)
{
	if (given && strlen(given) <= 128) {
		bool ok = true;
		for (const char *p = given; *p && ok; p++)
			ok = *p > 32 && *p < 127;
		if (ok && *given)
			return given;
	}
	unsigned char raw[12];
	crypto_random(raw, sizeof raw);
	char *id = arena_alloc(a, 2 * sizeof raw + 1);
	crypto_hex(raw, sizeof raw, id);
	return id;
}

/* Marks c as having an answer to write and asks for a writable callback. */
static void start_responding(conn_t *c)
{
	c->state = CONN_RESPONDING;
	server_of(c->wsi)->responding++;
	lws_callback_on_writable(c->wsi);
}

static void respond_error(conn_t *c, int status, const char *code, const char *message)
{
	workers_job *job = c->job;
	json_t *body = json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", message);
	http_response_json(job->arena, &job->resp, status, body);
	start_responding(c);
}

static void dispatch(server_t *s, conn_t *c)
{
	workers_job *job = c->job;
	job->req.body = c->body ? arena_strndup(job->arena, c->body, c->body_len) : "";
	job->req.body_len = c->body_len;
	free(c->body);
	c->body = NULL;
	c->body_len = c->body_cap = 0;
	if (stop_requested) {
		respond_error(c, 503, "shutting_down", "the server is shutting down");
		return;
	}
	job->owner = c;
	c->state = CONN_DISPATCHED;
	workers_submit(s->workers, job);
}

/* Reads the request line and headers into a new job; answers transport errors itself. */
static int on_http(server_t *s, conn_t *c, struct lws *wsi, const char *uri)
{
	c->wsi = wsi;
	c->job = workers_job_new();
	c->sent = 0;
	c->headers_sent = false;
	c->close_after = false;
	clock_gettime(CLOCK_MONOTONIC, &c->started);
	workers_job *job = c->job;
	arena_t *a = job->arena;
	http_request *req = &job->req;
	enum lws_token_indexes mtok = WSI_TOKEN_GET_URI;
	req->method = method_of(wsi, &mtok);
	req->request_id = request_id(a, copy_custom(wsi, a, "x-request-id:"));
	req->authorization = copy_header(wsi, a, WSI_TOKEN_HTTP_AUTHORIZATION);
	req->content_type = copy_header(wsi, a, WSI_TOKEN_HTTP_CONTENT_TYPE);
	req->user_agent = copy_header(wsi, a, WSI_TOKEN_HTTP_USER_AGENT);
	req->accept = copy_header(wsi, a, WSI_TOKEN_HTTP_ACCEPT);
	req->origin = copy_header(wsi, a, WSI_TOKEN_ORIGIN);
	req->host = copy_header(wsi, a, WSI_TOKEN_HOST);
	req->mcp_session_id = copy_custom(wsi, a, "mcp-session-id:");
	req->mcp_protocol_version = copy_custom(wsi, a, "mcp-protocol-version:");
	req->last_event_id = copy_custom(wsi, a, "last-event-id:");
	char ip[64] = "";
	lws_get_peer_simple(wsi, ip, sizeof ip);
	req->ip = arena_strdup(a, ip);
	const char *query = copy_query(wsi, a);
	req->query = query ? query : "";
	req->path = http_url_decode(a, uri, strlen(uri), 0);
	const char *te = copy_header(wsi, a, WSI_TOKEN_HTTP_TRANSFER_ENCODING);
	const char *cl = copy_header(wsi, a, WSI_TOKEN_HTTP_CONTENT_LENGTH);

	if (!req->method) {
		c->close_after = true;
		respond_error(c, 405, "method_not_allowed", "unsupported HTTP method");
		return 0;
	}
	if (!req->path || strlen(uri) + strlen(req->query) > MAX_URI) {
		respond_error(c, 414, "uri_too_long", "the request URI is too long or badly encoded");
		return 0;
	}
	if (te) {
		/* lws does not decode chunked request bodies: refuse rather than misread. */
		c->close_after = true;
		respond_error(c, 411, "length_required", "send a Content-Length; chunked request bodies are not accepted");
		return 0;
	}
	if (cl) {
		char *end;
		long long n = strtoll(cl, &end, 10);
		if (*end || n < 0) {
			c->close_after = true;
			respond_error(c, 400, "bad_request", "invalid Content-Length");
			return 0;
		}
		if ((size_t)n > s->cfg->max_body) {
			c->close_after = true;
			char msg[96];
			snprintf(msg, sizeof msg, "the request body is larger than %zu bytes", s->cfg->max_body);
			respond_error(c, 413, "payload_too_large", msg);
			return 0;
		}
		req->content_length = (long)n;
	}
	/* No Content-Length (or 0) means no body: answer at once, since lws never
	 * completes a zero-length body (an empty PATCH would hang otherwise). */
	if (req->content_length <= 0 || !strcmp(req->method, "GET") || !strcmp(req->method, "HEAD")) {
		dispatch(s, c);
		return 0;
	}
	c->state = CONN_READING;
	c->body_cap = (size_t)req->content_length;
	c->body = malloc(c->body_cap + 1);
	if (!c->body)
		return -1;
	return 0;
}

static int on_body(conn_t *c, const void *in, size_t len)
{
	if (c->state == CONN_RESPONDING && c->close_after)
		return 0; /* refused already; the connection closes after the answer */
	if (c->state != CONN_READING)
		return -1; /* body bytes we did not ask for: drop the connection */
	if (c->body_len + len > c->body_cap) {
		c->close_after = true;
		respond_error(c, 400, "bad_request", "the body is longer than its Content-Length");
		return 0;
	}
	memcpy(c->body + c->body_len, in, len);
	c->body_len += len;
	return 0;
}

static void log_request(conn_t *c)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	double ms = (double)(now.tv_sec - c->started.tv_sec) * 1000.0 + (double)(now.tv_nsec - c->started.tv_nsec) / 1e6;
	const http_request *req = &c->job->req;
	const http_response *resp = &c->job->resp;
	log_json(LOG_INFO, "request",
		 json_pack("{s:s, s:s, s:s, s:i, s:f, s:s?}", "request_id", req->request_id, "method",
			   req->method ? req->method : "?", "path", req->path ? req->path : "?", "status", resp->status,
			   "duration_ms", ms, "user", resp->log_user));
}

static void end_request(conn_t *c)
{
	if (c->state == CONN_RESPONDING)
		server_of(c->wsi)->responding--;
	workers_job_free(c->job);
	c->job = NULL;
	free(c->body);
	c->body = NULL;
	c->body_len = c->body_cap = 0;
	c->state = CONN_IDLE;
}

static int write_headers(conn_t *c, struct lws *wsi)
{
	http_response *resp = &c->job->resp;
	unsigned char buf[LWS_PRE + 8192];
	unsigned char *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf - 1;
	if (lws_add_http_common_headers(wsi, (unsigned)resp->status, resp->content_type ? resp->content_type : "text/plain",
					resp->body_len, &p, end))
		return -1;
	const char *rid = c->job->req.request_id;
	if (lws_add_http_header_by_name(wsi, (const unsigned char *)"x-request-id:", (const unsigned char *)rid,
					(int)strlen(rid), &p, end))
		return -1;
	for (int i = 0; i < resp->nheaders; i++) {
		char name[80];
		snprintf(name, sizeof name, "%s:", resp->headers[i][0]);
		if (lws_add_http_header_by_name(wsi, (const unsigned char *)name, (const unsigned char *)resp->headers[i][1],
						(int)strlen(resp->headers[i][1]), &p, end))
			return -1;
	}
	if (c->close_after &&
	    lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION, (const unsigned char *)"close", 5, &p, end))
		return -1;
	if (lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	c->headers_sent = true;
	return 0;
}

/* Writes the response in chunks; returns -1 to close, 0 to continue. */
static int on_writable(conn_t *c, struct lws *wsi)
{
	if (c->state != CONN_RESPONDING || !c->job)
		return 0;
	http_response *resp = &c->job->resp;
	if (!c->headers_sent) {
		if (write_headers(c, wsi))
			return -1;
		if (resp->body_len > 0 && strcmp(c->job->req.method ? c->job->req.method : "", "HEAD")) {
			lws_callback_on_writable(wsi);
			return 0;
		}
	} else {
		unsigned char buf[LWS_PRE + WRITE_CHUNK];
		size_t n = resp->body_len - c->sent;
		if (n > WRITE_CHUNK)
			n = WRITE_CHUNK;
		memcpy(buf + LWS_PRE, resp->body + c->sent, n);
		bool last = c->sent + n == resp->body_len;
		if (lws_write(wsi, buf + LWS_PRE, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != (int)n)
			return -1;
		c->sent += n;
		if (!last) {
			lws_callback_on_writable(wsi);
			return 0;
		}
	}
	log_request(c);
	bool close = c->close_after;
	end_request(c);
	if (close)
		return -1;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static void on_jobs_done(server_t *s)
{
	workers_job *job = workers_take_done(s->workers);
	while (job) {
		workers_job *next = job->next;
		if (job->orphaned) {
			workers_job_free(job);
		} else {
			start_responding(job->owner);
		}
		job = next;
	}
}

static int callback_http(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	conn_t *c = user;
	server_t *s;
	switch (reason) {
	case LWS_CALLBACK_HTTP:
		s = server_of(wsi);
		if (c->job)
			end_request(c);
		return on_http(s, c, wsi, in ? (const char *)in : "/");
	case LWS_CALLBACK_HTTP_BODY:
		return c->job ? on_body(c, in, len) : -1;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (c->job && c->state == CONN_READING) {
			if (c->body_len != c->body_cap) {
				c->close_after = true;
				respond_error(c, 400, "bad_request", "the body is shorter than its Content-Length");
				return 0;
			}
			dispatch(server_of(wsi), c);
		}
		return 0;
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return on_writable(c, wsi);
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		s = server_of(wsi);
		if (s && s->workers)
			on_jobs_done(s);
		return 0;
	case LWS_CALLBACK_CLOSED_HTTP:
		if (c && c->job) {
			if (c->state == CONN_DISPATCHED) {
				/* The worker still holds the job: it is freed when it comes back. */
				c->job->orphaned = true;
				c->job = NULL;
			}
			end_request(c);
		}
		return 0;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static void lws_log_to_ours(int level, const char *line)
{
	size_t n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	char buf[512];
	snprintf(buf, sizeof buf, "%.*s", (int)(n < sizeof buf - 1 ? n : sizeof buf - 1), line);
	log_msg(level == LLL_ERR ? LOG_ERROR : LOG_WARN, "lws: %s", buf);
}

int http_serve(const http_config *cfg, const http_app *app)
{
	static const struct lws_protocols protocols[] = {
		{ "http", callback_http, sizeof(conn_t), 0, 0, NULL, 0 },
		{ NULL, NULL, 0, 0, 0, NULL, 0 },
	};
	lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_to_ours);
	server_t s = { .cfg = cfg };
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof info);
	info.port = cfg->port;
	info.iface = cfg->host;
	info.protocols = protocols;
	info.user = &s;
	info.max_http_header_data = 32768; /* headers up to 16 KB must pass */
	info.max_http_header_pool = 64;
	info.keepalive_timeout = 30;
	info.timeout_secs = 60;
	info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
	s.ctx = lws_create_context(&info);
	if (!s.ctx) {
		log_msg(LOG_ERROR, "could not listen on %s:%d", cfg->host, cfg->port);
		return 1;
	}
	s.workers = workers_start(cfg->workers, app, wake_loop, &s);
	signal_ctx = s.ctx;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	log_json(LOG_INFO, "listening",
		 json_pack("{s:s, s:i, s:i}", "host", cfg->host, "port", cfg->port, "workers", cfg->workers));

	while (!stop_requested)
		if (lws_service(s.ctx, 0) < 0)
			break;
	/* Drain: requests in flight finish and are answered, for a bounded time.
	 * lws_service() sleeps until an event, so only call it while one is due. */
	time_t deadline = time(NULL) + DRAIN_SECONDS;
	while ((workers_in_flight(s.workers) > 0 || s.responding > 0) && time(NULL) < deadline)
		lws_service(s.ctx, 0);
	log_msg(LOG_INFO, "shutting down (signal %d from pid %d)", (int)stop_signal, (int)stop_sender);
	/* Join the workers while the context they wake is alive, hand their last
	 * jobs to the connections, then close those (which frees the jobs). */
	workers_stop(s.workers);
	on_jobs_done(&s);
	signal_ctx = NULL;
	lws_context_destroy(s.ctx);
	workers_free(s.workers);
	return 0;
}
