#define _GNU_SOURCE /* accept4 */
#include "http/server.h"
#include "http/parser.h"
#include "http/peers.h"
#include "util/crypto.h"
#include "util/log.h"
#include "util/metrics.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

enum {
	READ_CHUNK = 16384,
	LINGER_MS = 2000,          /* reading what a refused client still sends */
	LINGER_BYTES = 256 * 1024,
	WRITE_STALL_MS = 30000,    /* a client that reads nothing for this long is dropped */
	DRAIN_MS = 10000,
	SWEEP_MS = 200,
	ACCEPT_PAUSE_MS = 100,     /* out of descriptors: try accepting again after this */
	MAX_EVENTS = 256,
};

typedef enum {
	ST_HEAD,   /* receiving a request head (or idle between requests) */
	ST_ADMIT,  /* a worker decides whether the body may be read */
	ST_BODY,   /* receiving the body */
	ST_WORK,   /* a worker runs the request (and may stream its answer) */
	ST_WRITE,  /* writing the answer */
	ST_LINGER, /* answered and closing: reading and dropping what still comes */
	ST_DEAD,   /* closed; freed after the current batch of events */
} conn_state;

typedef struct conn {
	int fd;
	conn_state state;
	struct sockaddr_storage addr;
	char ip[INET6_ADDRSTRLEN];
	uint32_t events;          /* what epoll watches for now */
	char *in;                 /* received, not yet consumed */
	size_t in_len, in_cap, scan;
	size_t body_need;         /* Content-Length of the request being read */
	workers_job *job;
	char *out;                /* response head, or everything of a streamed answer */
	size_t out_len, out_cap, out_off;
	const char *body;         /* a non-streamed answer's body (in the job's arena) */
	size_t body_len, body_off;
	bool keep_alive;          /* another request may follow this answer */
	bool expect_continue;
	bool http10;              /* the request was HTTP/1.0 */
	bool streaming;           /* the worker streams: out grows while it runs */
	bool finished;            /* the answer is complete once out is written */
	long long deadline;       /* ms on the monotonic clock; 0: none */
	long long body_until;     /* the whole body must have arrived by then */
	long long started;
	size_t lingered;
	struct conn *prev, *next;
} conn;

typedef struct server server_t;

/* A response streamed by its worker (http_stream_start): the worker appends
 * under the lock and queues the stream; the loop moves it to the connection. */
struct http_stream {
	pthread_mutex_t lock;
	server_t *server;
	workers_job *job;
	bool started;
	bool queued; /* on the server's pending list (server lock) */
	bool detached; /* http_stream_detach: the answer ends at http_stream_end, not with the handler */
	bool ended;    /* http_stream_end was called */
	bool gone;     /* the client left: sends fail */
	bool stopping; /* the server is stopping: the holder should finish soon */
	bool returned; /* the loop's: the handler returned while the stream was still open */
	char *buf;
	size_t len, cap;
	struct http_stream *next_pending;
};

struct server {
	const http_config *cfg;
	const http_app *app;
	workers_t *workers;
	int epfd, listen_fd, wake_fd;
	peers_t *peers;
	conn *conns, *dead;
	int nconns, max_conns;
	bool draining, accept_paused;
	long long accept_resume, drain_until, next_sweep;
	pthread_mutex_t lock;
	struct http_stream *pending;
	int detached_open; /* detached streams whose handler returned and that have not ended */
};

/* epoll data for the two descriptors that are not connections. */
static char listen_tag, wake_tag;
static volatile sig_atomic_t stop_requested;
static int signal_wake_fd = -1;

static long long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
	uint64_t one = 1;
	if (signal_wake_fd >= 0 && write(signal_wake_fd, &one, sizeof one) < 0) {
		/* the loop also notices the flag at its next sweep */
	}
}

static void wake_loop(void *arg)
{
	uint64_t one = 1;
	if (write(((server_t *)arg)->wake_fd, &one, sizeof one) < 0) {
		/* the counter is saturated: the loop is awake anyway */
	}
}

static const char *reason_phrase(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 402: return "Payment Required";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 417: return "Expectation Failed";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	default: return "Status";
	}
}

/* Appends n bytes to a growing malloc'd buffer; false when memory runs out. */
static bool buffer_append(char **buf, size_t *len, size_t *cap, const char *data, size_t n)
{
	if (*len + n > *cap) {
		size_t want = (*len + n) * 2 + 256;
		char *b = realloc(*buf, want);
		if (!b)
			return false;
		*buf = b;
		*cap = want;
	}
	if (n) /* data may be NULL when n is 0 (an empty stream, an empty body) */
		memcpy(*buf + *len, data, n);
	*len += n;
	return true;
}

/* ------------------------------------------------------------ streaming */

bool http_stream_start(http_response *resp)
{
	struct http_stream *st = resp->stream;
	if (!st)
		return false;
	pthread_mutex_lock(&st->lock);
	st->started = true;
	pthread_mutex_unlock(&st->lock);
	return http_stream_write(resp, "", 0);
}

/* Puts st on the server's pending list and wakes the loop. */
static void stream_queue(struct http_stream *st)
{
	server_t *s = st->server;
	pthread_mutex_lock(&s->lock);
	if (!st->queued) {
		st->queued = true;
		st->next_pending = s->pending;
		s->pending = st;
	}
	pthread_mutex_unlock(&s->lock);
	wake_loop(s);
}

bool http_stream_write(http_response *resp, const char *data, size_t len)
{
	struct http_stream *st = resp->stream;
	if (!st || !st->started)
		return false;
	pthread_mutex_lock(&st->lock);
	bool ok = !st->gone && buffer_append(&st->buf, &st->len, &st->cap, data, len);
	pthread_mutex_unlock(&st->lock);
	if (ok)
		stream_queue(st);
	return ok;
}

struct http_stream *http_stream_detach(http_response *resp)
{
	struct http_stream *st = resp->stream;
	if (!st)
		return NULL;
	pthread_mutex_lock(&st->lock);
	st->detached = true;
	pthread_mutex_unlock(&st->lock);
	return st;
}

http_response *http_stream_response(struct http_stream *st)
{
	return &st->job->resp;
}

arena_t *http_stream_arena(struct http_stream *st)
{
	return st->job->arena;
}

bool http_stream_send(struct http_stream *st, const char *data, size_t len)
{
	pthread_mutex_lock(&st->lock);
	st->started = true;
	bool ok = !st->gone && buffer_append(&st->buf, &st->len, &st->cap, data, len);
	pthread_mutex_unlock(&st->lock);
	if (ok)
		stream_queue(st);
	return ok;
}

bool http_stream_gone(struct http_stream *st)
{
	pthread_mutex_lock(&st->lock);
	bool gone = st->gone || st->stopping;
	pthread_mutex_unlock(&st->lock);
	return gone;
}

void http_stream_end(struct http_stream *st)
{
	pthread_mutex_lock(&st->lock);
	st->ended = true;
	pthread_mutex_unlock(&st->lock);
	stream_queue(st);
}

/* Sets a flag of st under its lock. */
static void stream_mark(struct http_stream *st, bool gone, bool stopping)
{
	if (!st)
		return;
	pthread_mutex_lock(&st->lock);
	st->gone |= gone;
	st->stopping |= stopping;
	pthread_mutex_unlock(&st->lock);
}

/* Whether st was detached and has not ended yet. */
static bool stream_open_detached(struct http_stream *st)
{
	if (!st)
		return false;
	pthread_mutex_lock(&st->lock);
	bool open = st->detached && !st->ended;
	pthread_mutex_unlock(&st->lock);
	return open;
}

static void stream_free(struct http_stream *st)
{
	if (!st)
		return;
	server_t *s = st->server;
	pthread_mutex_lock(&s->lock);
	for (struct http_stream **p = &s->pending; *p; p = &(*p)->next_pending)
		if (*p == st) {
			*p = st->next_pending;
			break;
		}
	pthread_mutex_unlock(&s->lock);
	pthread_mutex_destroy(&st->lock);
	free(st->buf);
	free(st);
}

static void job_free(workers_job *job)
{
	if (job)
		stream_free(job->resp.stream);
	workers_job_free(job);
}

/* ----------------------------------------------------------- connections */

static void set_events(server_t *s, conn *c, uint32_t events)
{
	if (c->events == events)
		return;
	struct epoll_event ev = { .events = events, .data.ptr = c };
	if (epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->events = events;
}

/* Closes c now; its memory goes after the current batch of events, which
 * may still name it. A job a worker still holds is freed when it returns. */
static void conn_close(server_t *s, conn *c)
{
	if (c->state == ST_DEAD)
		return;
	if (c->job) {
		if (c->state == ST_ADMIT || c->state == ST_WORK) {
			/* A worker or a detached stream's holder still has it: freed
			 * when it comes back (on_jobs_done, on_streams). */
			stream_mark(c->job->resp.stream, true, false);
			c->job->orphaned = true;
			c->job->owner = NULL;
		} else {
			job_free(c->job);
		}
		c->job = NULL;
	}
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	peers_release(s->peers, &c->addr);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->state = ST_DEAD;
	c->next = s->dead;
	s->dead = c;
	s->nconns--;
}

static void free_dead(server_t *s)
{
	for (conn *c = s->dead, *n; c; c = n) {
		n = c->next;
		free(c->in);
		free(c->out);
		free(c);
	}
	s->dead = NULL;
}

/* Makes room for n more bytes in c->in (limit: the most it may hold). */
static bool reserve_in(conn *c, size_t n, size_t limit)
{
	size_t need = c->in_len + n;
	if (need <= c->in_cap)
		return true;
	size_t cap = c->in_cap ? c->in_cap * 2 : 1024;
	if (cap < need)
		cap = need;
	if (cap > limit)
		cap = limit;
	if (cap < need)
		return false;
	char *b = realloc(c->in, cap);
	if (!b)
		return false;
	c->in = b;
	c->in_cap = cap;
	return true;
}

static bool append_out(conn *c, const char *data, size_t n)
{
	return buffer_append(&c->out, &c->out_len, &c->out_cap, data, n);
}

/* Drops the first n bytes of c->in. */
static void consume_in(conn *c, size_t n)
{
	memmove(c->in, c->in + n, c->in_len - n);
	c->in_len -= n;
	c->scan = 0;
}

/* A request id from the client when it is short and printable, else a new one. */
static const char *request_id(arena_t *a, const char *given)
{
	if (given && *given && strlen(given) <= 128) {
		bool ok = true;
		for (const char *p = given; *p && ok; p++)
			ok = *p > 32 && *p < 127;
		if (ok)
			return given;
	}
	unsigned char raw[12];
	crypto_random(raw, sizeof raw);
	char *id = arena_alloc(a, 2 * sizeof raw + 1);
	crypto_hex(raw, sizeof raw, id);
	return id;
}

static void log_request(conn *c)
{
	const http_request *req = &c->job->req;
	const http_response *resp = &c->job->resp;
	double ms = (double)(now_ms() - c->started);
	metrics_http_request(req->method, resp->route, resp->status, ms / 1000.0);
	log_json(LOG_INFO, "request",
		 json_pack("{s:s, s:s, s:s, s:i, s:f, s:s?}", "request_id", req->request_id ? req->request_id : "-",
			   "method", req->method ? req->method : "?", "path", req->path ? req->path : "?", "status",
			   resp->status, "duration_ms", ms, "user", resp->log_user));
}

static void process_input(server_t *s, conn *c);
static void conn_write(server_t *s, conn *c);

/* Ends the exchange: keep the connection for the next request, or close it
 * after reading what the client still sends (so our answer is not lost to a
 * reset caused by unread bytes). */
static void request_done(server_t *s, conn *c)
{
	log_request(c);
	job_free(c->job);
	c->job = NULL;
	c->out_len = c->out_off = 0;
	c->body = NULL;
	c->body_len = c->body_off = 0;
	c->streaming = c->finished = false;
	if (!c->keep_alive || s->draining) {
		shutdown(c->fd, SHUT_WR);
		c->state = ST_LINGER;
		c->lingered = 0;
		c->deadline = now_ms() + LINGER_MS;
		set_events(s, c, EPOLLIN | EPOLLRDHUP);
		return;
	}
	c->state = ST_HEAD;
	if (c->in_len == 0 && c->in_cap > READ_CHUNK) {
		free(c->in); /* an idle connection keeps no large buffer */
		c->in = NULL;
		c->in_cap = 0;
	}
	c->deadline = now_ms() + (c->in_len ? s->cfg->header_timeout_ms : s->cfg->idle_timeout_ms);
	process_input(s, c);
}

/* The head of c's answer into c->out; streamed answers have no length and
 * end with the connection. */
static void build_head(conn *c, bool streamed)
{
	const http_response *resp = &c->job->resp;
	const http_request *req = &c->job->req;
	int status = resp->status ? resp->status : 500;
	char line[256];
	int n = snprintf(line, sizeof line, "HTTP/1.1 %d %s\r\n", status, reason_phrase(status));
	append_out(c, line, (size_t)n);
	if (status != 204 && status != 304 && status >= 200) {
		n = snprintf(line, sizeof line, "content-type: %s\r\n", resp->content_type ? resp->content_type : "text/plain");
		append_out(c, line, (size_t)n);
		if (!streamed) {
			n = snprintf(line, sizeof line, "content-length: %zu\r\n", resp->body_len);
			append_out(c, line, (size_t)n);
		}
	}
	if (req->request_id) {
		append_out(c, "x-request-id: ", 14);
		append_out(c, req->request_id, strlen(req->request_id));
		append_out(c, "\r\n", 2);
	}
	for (int i = 0; i < resp->nheaders; i++) {
		append_out(c, resp->headers[i][0], strlen(resp->headers[i][0]));
		append_out(c, ": ", 2);
		append_out(c, resp->headers[i][1], strlen(resp->headers[i][1]));
		append_out(c, "\r\n", 2);
	}
	if (streamed || !c->keep_alive)
		append_out(c, "connection: close\r\n", 19);
	else if (c->http10)
		append_out(c, "connection: keep-alive\r\n", 24); /* HTTP/1.0 closes unless told */
	append_out(c, "\r\n", 2);
}

/* Starts writing the answer the job holds (not streamed). */
static void start_response(server_t *s, conn *c)
{
	c->state = ST_WRITE;
	c->out_len = c->out_off = 0;
	build_head(c, false);
	const http_response *resp = &c->job->resp;
	bool head_only = c->job->req.method && !strcmp(c->job->req.method, "HEAD");
	c->body = resp->body;
	c->body_len = head_only || resp->status == 204 || resp->status == 304 ? 0 : resp->body_len;
	c->body_off = 0;
	c->finished = true;
	conn_write(s, c);
}

/* Whether a request head not parsed (too long, malformed) targets /api/v1/:
 * its request line, after the method, starts with the prefix. */
static bool head_targets_api_v1(const char *in, size_t len)
{
	size_t i = 0;
	if (!in)
		return false;
	while (i < len && i < 8 && (in[i] == '\r' || in[i] == '\n'))
		i++;
	const char *sp = i < len ? memchr(in + i, ' ', len - i < 32 ? len - i : 32) : NULL;
	if (!sp)
		return false;
	size_t at = (size_t)(sp + 1 - in);
	return at + 8 <= len && !strncmp(in + at, "/api/v1/", 8);
}

/* A transport answer: the JSON error envelope (the one writer, message.h)
 * with the registry's status for code, then close. */
static void respond_error(server_t *s, conn *c, err_code code, const char *message)
{
	workers_job *job = c->job;
	http_response *resp = &job->resp;
	memset(resp, 0, sizeof *resp);
	err_t err = { 0 };
	err_set(&err, code, "%s", message);
	/* The API's version header holds for every answer under its prefix,
	 * the transport's own included. */
	if (job->req.path ? !strncmp(job->req.path, "/api/v1/", 8) : head_targets_api_v1(c->in, c->in_len))
		http_response_header(job->arena, resp, "x-api-version", "v1");
	http_response_error(job->arena, resp, &err);
	c->keep_alive = false;
	start_response(s, c);
}

/* Writes what is pending; when the answer is complete, ends the exchange. */
static void conn_write(server_t *s, conn *c)
{
	while (c->out_off < c->out_len || c->body_off < c->body_len) {
		struct iovec iov[2];
		int n = 0;
		if (c->out_off < c->out_len)
			iov[n++] = (struct iovec){ c->out + c->out_off, c->out_len - c->out_off };
		if (c->body_off < c->body_len)
			iov[n++] = (struct iovec){ (char *)c->body + c->body_off, c->body_len - c->body_off };
		ssize_t w = writev(c->fd, iov, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				set_events(s, c, EPOLLOUT);
				c->deadline = now_ms() + WRITE_STALL_MS;
				return;
			}
			conn_close(s, c);
			return;
		}
		size_t left = (size_t)w, head = c->out_len - c->out_off;
		size_t from_head = left < head ? left : head;
		c->out_off += from_head;
		c->body_off += left - from_head;
	}
	if (c->streaming && !c->finished) {
		/* Everything so far is out; the worker sends more. */
		c->out_len = c->out_off = 0;
		c->deadline = 0;
		set_events(s, c, 0);
		return;
	}
	if (c->state == ST_WRITE || c->state == ST_WORK)
		request_done(s, c);
}

/* Hands the request to a worker: admit (headers only) or handle. */
static void submit(server_t *s, conn *c, bool admitting)
{
	workers_job *job = c->job;
	job->owner = c;
	job->admitting = admitting;
	c->state = admitting ? ST_ADMIT : ST_WORK;
	c->deadline = 0;
	set_events(s, c, 0);
	if (!admitting && !job->resp.stream) {
		struct http_stream *st = calloc(1, sizeof *st);
		if (st) {
			pthread_mutex_init(&st->lock, NULL);
			st->server = s;
			st->job = job;
			job->resp.stream = st;
		}
	}
	workers_submit(s->workers, job);
}

/* The body is all in c->in: it moves into the job and the job runs. */
static void take_body(server_t *s, conn *c)
{
	http_request *req = &c->job->req;
	req->body = arena_strndup(c->job->arena, c->in, c->body_need);
	req->body_len = c->body_need;
	consume_in(c, c->body_need);
	c->body_need = 0;
	submit(s, c, false);
}

/* Fills the job's request from a parsed head. */
static void fill_request(conn *c, const http_head *h)
{
	http_request *req = &c->job->req;
	arena_t *a = c->job->arena;
	req->method = h->method;
	req->path = h->path;
	req->args = h->args;
	req->fields = h->fields;
	req->nfields = h->nfields;
	req->request_id = request_id(a, http_head_field(h, "x-request-id"));
	req->authorization = http_head_field(h, "authorization");
	req->content_type = http_head_field(h, "content-type");
	req->user_agent = http_head_field(h, "user-agent");
	req->accept = http_head_field(h, "accept");
	req->origin = http_head_field(h, "origin");
	req->host = http_head_field(h, "host");
	req->mcp_session_id = http_head_field(h, "mcp-session-id");
	req->mcp_protocol_version = http_head_field(h, "mcp-protocol-version");
	req->last_event_id = http_head_field(h, "last-event-id");
	req->ip = arena_strdup(a, c->ip);
	req->content_length = h->content_length;
	req->body = "";
	req->body_len = 0;
}

/* A complete head in c->in: parse it and decide what happens next. */
static void start_request(server_t *s, conn *c)
{
	c->job = workers_job_new();
	c->started = now_ms();
	http_head h;
	http_parse_status st = http_parse_head(c->job->arena, c->in, c->in_len, &h);
	if (st != HTTP_PARSE_OK) {
		err_code code = h.code ? h.code : ERR_CODE_BAD_REQUEST;
		metrics_http_rejected(err_code_name(code));
		c->job->req.path = h.path;
		c->job->req.method = h.method;
		respond_error(s, c, code, h.message ? h.message : "malformed request");
		return;
	}
	fill_request(c, &h);
	consume_in(c, h.head_len);
	c->keep_alive = h.keep_alive;
	c->expect_continue = h.expect_continue;
	c->http10 = h.minor == 0;
	if (s->draining || stop_requested) {
		respond_error(s, c, ERR_CODE_SHUTTING_DOWN, "the server is shutting down");
		return;
	}
	if (h.chunked) {
		respond_error(s, c, ERR_CODE_LENGTH_REQUIRED,
			      "send a Content-Length; chunked request bodies are not accepted");
		return;
	}
	if (h.content_length > (long long)s->cfg->max_body) {
		char msg[96];
		snprintf(msg, sizeof msg, "the request body is larger than %zu bytes", s->cfg->max_body);
		respond_error(s, c, ERR_CODE_PAYLOAD_TOO_LARGE, msg);
		return;
	}
	c->body_need = h.content_length > 0 ? (size_t)h.content_length : 0;
	if (c->in_len >= c->body_need) {
		take_body(s, c); /* no body, or it came with the head */
		return;
	}
	long long now = now_ms();
	c->body_until = now + 6LL * s->cfg->body_timeout_ms;
	if (s->app->admit) {
		submit(s, c, true);
		return;
	}
	c->state = ST_BODY;
	c->deadline = now + s->cfg->body_timeout_ms;
	process_input(s, c);
}

/* Acts on what c->in holds for the current state. */
static void process_input(server_t *s, conn *c)
{
	if (c->state == ST_HEAD) {
		if (c->in_len == 0) {
			set_events(s, c, EPOLLIN | EPOLLRDHUP);
			return;
		}
		size_t end = http_head_end(c->in, c->in_len, c->scan);
		if (!end && c->in_len < HTTP_MAX_HEAD) {
			c->scan = c->in_len > 3 ? c->in_len - 3 : 0;
			set_events(s, c, EPOLLIN | EPOLLRDHUP);
			return;
		}
		start_request(s, c);
		return;
	}
	if (c->state == ST_BODY) {
		if (c->in_len >= c->body_need) {
			take_body(s, c);
			return;
		}
		set_events(s, c, EPOLLIN | EPOLLRDHUP);
	}
}

static void on_readable(server_t *s, conn *c)
{
	char buf[READ_CHUNK];
	size_t room = sizeof buf;
	if (c->state == ST_HEAD)
		room = HTTP_MAX_HEAD - c->in_len < room ? HTTP_MAX_HEAD - c->in_len : room;
	else if (c->state == ST_BODY)
		room = c->body_need - c->in_len < room ? c->body_need - c->in_len : room;
	ssize_t n = recv(c->fd, buf, room ? room : 1, 0);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			conn_close(s, c);
		return;
	}
	if (c->state == ST_LINGER) {
		c->lingered += (size_t)n;
		if (n == 0 || c->lingered > LINGER_BYTES)
			conn_close(s, c);
		return;
	}
	if (n == 0) {
		/* The client is done sending. A half-read request is answered
		 * (the client may still read); an idle connection just ends. */
		if (c->state == ST_BODY || (c->state == ST_HEAD && c->in_len > 0)) {
			if (!c->job)
				c->job = workers_job_new();
			respond_error(s, c, ERR_CODE_BAD_REQUEST,
				      c->state == ST_BODY ? "the body is shorter than its Content-Length"
							  : "the connection ended inside the request head");
			return;
		}
		conn_close(s, c);
		return;
	}
	if (!reserve_in(c, (size_t)n, c->state == ST_BODY ? c->body_need : HTTP_MAX_HEAD)) {
		conn_close(s, c);
		return;
	}
	long long now = now_ms();
	if (c->state == ST_HEAD && c->in_len == 0 && c->deadline > now + s->cfg->header_timeout_ms)
		c->deadline = now + s->cfg->header_timeout_ms; /* the first byte starts the head's clock */
	if (c->state == ST_BODY) {
		c->deadline = now + s->cfg->body_timeout_ms;
		if (c->deadline > c->body_until)
			c->deadline = c->body_until;
	}
	memcpy(c->in + c->in_len, buf, (size_t)n);
	c->in_len += (size_t)n;
	process_input(s, c);
}

/* A deadline passed: the head or body took too long, the client stopped
 * reading, or the linger ended. */
static void on_timeout(server_t *s, conn *c)
{
	if ((c->state == ST_HEAD && c->in_len > 0) || c->state == ST_BODY) {
		metrics_http_rejected(c->state == ST_BODY ? "body_timeout" : "header_timeout");
		if (!c->job)
			c->job = workers_job_new();
		respond_error(s, c, ERR_CODE_REQUEST_TIMEOUT, "the request did not arrive in time");
		if (c->state == ST_WRITE)
			c->deadline = now_ms() + 1000; /* a client that will not read this either is dropped soon */
		return;
	}
	conn_close(s, c);
}

/* A refusal at the door, before any request (no connection state, no
 * worker): the same writer's envelope and headers, sent best effort, then close. */
static void refuse(int fd, err_code code, const char *message)
{
	arena_t *a = arena_new();
	http_response resp = { 0 };
	err_t err = { 0 };
	err_set(&err, code, "%s", message);
	http_response_error(a, &resp, &err);
	char buf[768];
	int n = snprintf(buf, sizeof buf, "HTTP/1.1 %d %s\r\ncontent-type: %s\r\ncontent-length: %zu\r\n", resp.status,
			 reason_phrase(resp.status), resp.content_type, resp.body_len);
	for (int i = 0; i < resp.nheaders && n > 0 && (size_t)n < sizeof buf; i++)
		n += snprintf(buf + n, sizeof buf - (size_t)n, "%s: %s\r\n", resp.headers[i][0], resp.headers[i][1]);
	if (n > 0 && (size_t)n < sizeof buf)
		n += snprintf(buf + n, sizeof buf - (size_t)n, "connection: close\r\n\r\n%s", resp.body);
	if (n > 0 && (size_t)n < sizeof buf && send(fd, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		/* the client is gone or not reading: nothing more to do */
	}
	arena_free(a);
	close(fd);
}

static void on_accept(server_t *s)
{
	for (int i = 0; i < 128; i++) {
		struct sockaddr_storage addr;
		socklen_t alen = sizeof addr;
		int fd = accept4(s->listen_fd, (struct sockaddr *)&addr, &alen, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				/* The pending connection stays queued; stop watching the
				 * listener for a moment instead of spinning on it. */
				struct epoll_event ev = { .events = 0, .data.ptr = &listen_tag };
				epoll_ctl(s->epfd, EPOLL_CTL_MOD, s->listen_fd, &ev);
				s->accept_paused = true;
				s->accept_resume = now_ms() + ACCEPT_PAUSE_MS;
				log_msg(LOG_WARN, "accept: %s; pausing", strerror(errno));
			}
			return;
		}
		if (s->nconns >= s->max_conns) {
			metrics_http_rejected("capacity");
			refuse(fd, ERR_CODE_TOO_MANY_CONNECTIONS, "the server is at its connection limit; retry");
			continue;
		}
		if (!peers_acquire(s->peers, &addr)) {
			metrics_http_rejected("per_ip_limit");
			refuse(fd, ERR_CODE_TOO_MANY_CONNECTIONS, "too many connections from your address; retry");
			continue;
		}
		conn *c = calloc(1, sizeof *c);
		if (!c) {
			peers_release(s->peers, &addr);
			close(fd);
			continue;
		}
		c->fd = fd;
		c->addr = addr;
		if (addr.ss_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)&addr)->sin_addr, c->ip, sizeof c->ip);
		else if (addr.ss_family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&addr)->sin6_addr, c->ip, sizeof c->ip);
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		c->state = ST_HEAD;
		c->deadline = now_ms() + s->cfg->header_timeout_ms;
		c->events = EPOLLIN | EPOLLRDHUP;
		struct epoll_event ev = { .events = c->events, .data.ptr = c };
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			peers_release(s->peers, &addr);
			close(fd);
			free(c);
			continue;
		}
		c->next = s->conns;
		if (s->conns)
			s->conns->prev = c;
		s->conns = c;
		s->nconns++;
	}
}

static void on_conn_event(server_t *s, conn *c, uint32_t events)
{
	if (c->state == ST_DEAD)
		return;
	if (events & (EPOLLERR | EPOLLHUP)) {
		conn_close(s, c);
		return;
	}
	if ((events & EPOLLOUT) && (c->state == ST_WRITE || c->state == ST_WORK)) {
		conn_write(s, c);
		return;
	}
	if (events & (EPOLLIN | EPOLLRDHUP))
		on_readable(s, c);
}

static bool stream_started(struct http_stream *st)
{
	if (!st)
		return false;
	pthread_mutex_lock(&st->lock);
	bool started = st->started;
	pthread_mutex_unlock(&st->lock);
	return started;
}

/* Moves what the worker streamed so far into c->out, after the head the
 * first time; false when memory runs out. */
static bool stream_take(conn *c, struct http_stream *st)
{
	if (!c->streaming) {
		c->streaming = true;
		c->keep_alive = false; /* the end of the body is the end of the connection */
		c->out_len = c->out_off = 0;
		build_head(c, true);
	}
	pthread_mutex_lock(&st->lock);
	bool ok = append_out(c, st->buf, st->len);
	st->len = 0;
	pthread_mutex_unlock(&st->lock);
	return ok;
}

/* Jobs back from the workers: an admission decided, or an answer ready. */
static void on_jobs_done(server_t *s)
{
	workers_job *job = workers_take_done(s->workers);
	while (job) {
		workers_job *next = job->next;
		conn *c = job->owner;
		if (!job->admitting && stream_open_detached(job->resp.stream)) {
			/* The handler handed its answer to another thread: the
			 * connection waits for http_stream_end (on_streams). */
			job->resp.stream->returned = true;
			s->detached_open++;
			if (c && !job->orphaned && stream_started(job->resp.stream)) {
				if (!stream_take(c, job->resp.stream))
					conn_close(s, c);
				else
					conn_write(s, c);
			}
		} else if (job->orphaned || !c) {
			job_free(job);
		} else if (job->admitting) {
			job->admitting = false;
			if (!job->admitted) {
				c->keep_alive = false;
				start_response(s, c);
			} else {
				memset(&job->resp, 0, sizeof job->resp);
				c->state = ST_BODY;
				c->deadline = now_ms() + s->cfg->body_timeout_ms;
				static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
				if (c->expect_continue &&
				    send(c->fd, cont, sizeof cont - 1, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)(sizeof cont - 1))
					conn_close(s, c);
				else
					process_input(s, c);
			}
		} else if (stream_started(job->resp.stream)) {
			/* Its output may not have been taken yet: the worker can queue
			 * it and finish between two looks of the loop. */
			if (!stream_take(c, job->resp.stream) ||
			    !append_out(c, job->resp.body, job->resp.body_len)) {
				conn_close(s, c);
			} else {
				c->finished = true;
				c->state = ST_WRITE;
				conn_write(s, c);
			}
		} else {
			start_response(s, c);
		}
		job = next;
	}
}

/* Streams with new output: their connections write it. */
static void on_streams(server_t *s)
{
	pthread_mutex_lock(&s->lock);
	struct http_stream *list = s->pending;
	s->pending = NULL;
	for (struct http_stream *st = list; st; st = st->next_pending)
		st->queued = false;
	pthread_mutex_unlock(&s->lock);
	for (struct http_stream *st = list, *n; st; st = n) {
		n = st->next_pending;
		st->next_pending = NULL;
		conn *c = st->job->orphaned ? NULL : st->job->owner;
		if (st->returned && !stream_open_detached(st)) {
			/* A detached answer ended: finish it like a returned handler's. */
			st->returned = false;
			s->detached_open--;
			if (!c) {
				job_free(st->job);
			} else if (stream_started(st)) {
				if (!stream_take(c, st)) {
					conn_close(s, c);
				} else {
					c->finished = true;
					c->state = ST_WRITE;
					conn_write(s, c);
				}
			} else {
				start_response(s, c);
			}
			continue;
		}
		if (!c || c->state != ST_WORK)
			continue;
		if (!stream_take(c, st))
			conn_close(s, c);
		else
			conn_write(s, c);
	}
}

static void sweep(server_t *s, long long now)
{
	if (s->accept_paused && now >= s->accept_resume && !s->draining) {
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &listen_tag };
		epoll_ctl(s->epfd, EPOLL_CTL_MOD, s->listen_fd, &ev);
		s->accept_paused = false;
	}
	int reading = 0;
	for (conn *c = s->conns, *n; c; c = n) {
		n = c->next;
		reading += (c->state == ST_HEAD && c->in_len > 0) || c->state == ST_BODY;
		if (c->deadline && now >= c->deadline)
			on_timeout(s, c);
	}
	metrics_http_connections(s->nconns, reading); /* sampled: cheaper than tracking each change */
}

/* SIGTERM: stop accepting, close idle connections, let the rest finish. */
static void begin_drain(server_t *s)
{
	s->draining = true;
	s->drain_until = now_ms() + DRAIN_MS;
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, s->listen_fd, NULL);
	close(s->listen_fd);
	s->listen_fd = -1;
	for (conn *c = s->conns, *n; c; c = n) {
		n = c->next;
		if ((c->state == ST_HEAD && c->in_len == 0) || c->state == ST_LINGER)
			conn_close(s, c);
		else if (c->state == ST_WORK && c->job)
			stream_mark(c->job->resp.stream, false, true); /* detached holders wind up */
	}
	log_msg(LOG_INFO, "shutting down");
}

static bool busy(const server_t *s)
{
	for (const conn *c = s->conns; c; c = c->next)
		if (!(c->state == ST_HEAD && c->in_len == 0) && c->state != ST_LINGER)
			return true;
	return workers_in_flight(s->workers) > 0;
}

static int listen_on(const http_config *cfg)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	socklen_t len;
	struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, cfg->host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)cfg->port);
		len = sizeof *v4;
	} else if (inet_pton(AF_INET6, cfg->host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)cfg->port);
		len = sizeof *v6;
	} else if (!strcmp(cfg->host, "localhost")) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)cfg->port);
		v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof *v4;
	} else {
		return -1;
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 4096) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Descriptors bound how many connections can be open: raise the soft limit
 * to the hard one and keep some for the database and outgoing requests. */
static int connection_capacity(int wanted)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	long fds = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY ? (long)rl.rlim_cur : 65536;
	long room = fds - 128;
	if (room < 16)
		room = 16;
	return wanted > room ? (int)room : wanted;
}

int http_serve(const http_config *given, const http_app *app)
{
	http_config cfg = *given;
	if (cfg.max_connections <= 0)
		cfg.max_connections = 10000;
	if (cfg.header_timeout_ms <= 0)
		cfg.header_timeout_ms = 10000;
	if (cfg.body_timeout_ms <= 0)
		cfg.body_timeout_ms = 10000;
	if (cfg.idle_timeout_ms <= 0)
		cfg.idle_timeout_ms = 30000;
	server_t s = { .cfg = &cfg, .app = app, .listen_fd = -1, .wake_fd = -1 };
	pthread_mutex_init(&s.lock, NULL);
	s.max_conns = connection_capacity(cfg.max_connections);
	s.listen_fd = listen_on(&cfg);
	if (s.listen_fd < 0) {
		log_msg(LOG_ERROR, "could not listen on %s:%d: %s", cfg.host, cfg.port, strerror(errno));
		return 1;
	}
	s.epfd = epoll_create1(EPOLL_CLOEXEC);
	s.wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s.epfd < 0 || s.wake_fd < 0) {
		log_msg(LOG_ERROR, "epoll/eventfd: %s", strerror(errno));
		return 1;
	}
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &listen_tag };
	epoll_ctl(s.epfd, EPOLL_CTL_ADD, s.listen_fd, &ev);
	ev.data.ptr = &wake_tag;
	epoll_ctl(s.epfd, EPOLL_CTL_ADD, s.wake_fd, &ev);
	s.peers = peers_new(cfg.max_connections_per_ip);
	s.workers = workers_start(cfg.workers, app, wake_loop, &s);

	signal_wake_fd = s.wake_fd;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	log_json(LOG_INFO, "listening",
		 json_pack("{s:s, s:i, s:i, s:i, s:i}", "host", cfg.host, "port", cfg.port, "workers", cfg.workers,
			   "max_connections", s.max_conns, "max_connections_per_ip", cfg.max_connections_per_ip));

	struct epoll_event events[MAX_EVENTS];
	for (;;) {
		if (stop_requested && !s.draining)
			begin_drain(&s);
		if (s.draining && (!busy(&s) || now_ms() >= s.drain_until))
			break;
		int n = epoll_wait(s.epfd, events, MAX_EVENTS, SWEEP_MS);
		if (n < 0 && errno != EINTR) {
			log_msg(LOG_ERROR, "epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			void *tag = events[i].data.ptr;
			if (tag == &listen_tag) {
				if (!s.draining)
					on_accept(&s);
			} else if (tag == &wake_tag) {
				uint64_t v;
				if (read(s.wake_fd, &v, sizeof v) < 0) {
					/* spurious: nothing to read */
				}
				on_streams(&s);
				on_jobs_done(&s);
			} else {
				on_conn_event(&s, tag, events[i].events);
			}
		}
		long long now = now_ms();
		if (now >= s.next_sweep) {
			sweep(&s, now);
			s.next_sweep = now + SWEEP_MS;
		}
		free_dead(&s);
	}
	/* Join the workers (they finish what is queued), then close everything. */
	workers_stop(s.workers);
	on_streams(&s);
	on_jobs_done(&s);
	while (s.conns)
		conn_close(&s, s.conns);
	/* Detached streams' holders still write to their streams: wait (bounded)
	 * until each has ended, so none writes to freed memory. */
	long long until = now_ms() + DRAIN_MS;
	while (s.detached_open > 0 && now_ms() < until) {
		struct pollfd pfd = { .fd = s.wake_fd, .events = POLLIN };
		if (poll(&pfd, 1, SWEEP_MS) > 0) {
			uint64_t v;
			if (read(s.wake_fd, &v, sizeof v) < 0) {
				/* spurious */
			}
		}
		on_streams(&s);
	}
	if (s.detached_open > 0)
		log_msg(LOG_WARN, "%d detached answers had not ended; left to their threads", s.detached_open);
	free_dead(&s);
	signal_wake_fd = -1;
	workers_free(s.workers);
	peers_free(s.peers);
	if (s.listen_fd >= 0)
		close(s.listen_fd);
	close(s.wake_fd);
	close(s.epfd);
	pthread_mutex_destroy(&s.lock);
	return 0;
}
