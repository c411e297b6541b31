#include "mcp/http.h"
#include "core/auth.h"
#include "core/rate_limit.h"
#include "mcp/server.h"
#include "store/sessions.h"
#include "util/crypto.h"
#include "util/jsontext.h"
#include "util/log.h"
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* Transport errors carry a JSON-RPC error body (id null), as MCP SDKs expect. */
static void fail(const http_request *req, http_response *resp, int status, int code, const char *message)
{
	http_response_json(req->arena, resp, status, jsonrpc_error(NULL, code, message, NULL));
}

/* A transport error caused by err: the JSON-RPC shape, the registry's HTTP
 * status for err's code (503 with Retry-After, as every door answers it). */
static void fail_err(const http_request *req, http_response *resp, const err_t *err)
{
	int status = err_status(err);
	if (status == 503) {
		http_response_header(req->arena, resp, "retry-after", "1");
		fail(req, resp, status, JSONRPC_INTERNAL_ERROR, "the database is unavailable; retry");
	} else {
		log_msg(LOG_ERROR, "mcp: %s: %s", err_name(err), err->message);
		fail(req, resp, status < 400 ? 500 : status, JSONRPC_INTERNAL_ERROR, "Internal error: see the server log");
	}
}

/* Whether host (name[:port]) matches entry (name allows any port). */
static bool host_matches(const char *host, size_t hlen, size_t namelen, const char *entry, size_t elen)
{
	if (elen == hlen && !strncasecmp(host, entry, hlen))
		return true;
	return elen == namelen && !strncasecmp(host, entry, namelen);
}

bool mcp_http_host_allowed(const char *host, const char *extra)
{
	static const char *const local[] = { "localhost", "127.0.0.1", "[::1]", NULL };
	if (!host || !*host)
		return false;
	size_t hlen = strlen(host);
	/* The name ends at the port's colon; an IPv6 literal keeps its brackets. */
	const char *end = host[0] == '[' ? strchr(host, ']') : strchr(host, ':');
	size_t namelen = end ? (size_t)(end - host) + (host[0] == '[') : hlen;
	if (namelen > hlen)
		return false;
	if (namelen < hlen && host[namelen] != ':')
		return false;
	for (const char *const *l = local; *l; l++)
		if (host_matches(host, hlen, namelen, *l, strlen(*l)))
			return true;
	for (const char *p = extra; p && *p;) {
		while (*p == ' ' || *p == ',')
			p++;
		size_t elen = strcspn(p, ", ");
		if (elen && host_matches(host, hlen, namelen, p, elen))
			return true;
		p += elen;
	}
	return false;
}

/* The host[:port] of an Origin ("scheme://host[:port]"); NULL when it has none. */
static const char *origin_host(arena_t *a, const char *origin)
{
	const char *p = strstr(origin, "://");
	if (!p)
		return NULL;
	p += 3;
	return arena_strndup(a, p, strcspn(p, "/?#"));
}

static bool check_origin(const mcp_http_env *env, const http_request *req, http_response *resp)
{
	const char *extra = env->allowed_hosts;
	const char *oh = req->origin ? origin_host(req->arena, req->origin) : NULL;
	if (!mcp_http_host_allowed(req->host, extra) || (req->origin && !mcp_http_host_allowed(oh, extra))) {
		fail(req, resp, 403, -32000, "Forbidden: this Host or Origin is not allowed (set MCP_ALLOWED_HOSTS)");
		return false;
	}
	return true;
}

static bool authenticate(const mcp_http_env *env, const http_request *req, http_response *resp, actor_t *actor)
{
	err_t err = { 0 };
	const char *auth = req->authorization;
#ifdef WT_TEST_BUILD
	/* Test builds only (make test-conformance): the conformance suite sends
	 * no credentials, so a request without any acts with the token in
	 * WT_TEST_MCP_TOKEN, through the same bearer check as any other. The
	 * production binary is compiled without this. */
	if (!auth && env->test_token && *env->test_token)
		auth = arena_sprintf(req->arena, "Bearer %s", env->test_token);
#endif
	bool ok = auth && !strncasecmp(auth, "Bearer ", 7) &&
		  (env->bearer ? env->bearer(env->bearer_ctx, env->db, auth + 7, actor, &err)
			       : auth_bearer(env->db, auth + 7, env->jwt_secret, actor, &err));
	if (ok) {
		resp->log_user = arena_strdup(req->arena, actor->user_id);
		return true;
	}
	if (err.kind == ERR_UNAVAILABLE) {
		fail_err(req, resp, &err);
		return false;
	}
	http_response_header(req->arena, resp, "www-authenticate",
			     arena_sprintf(req->arena, "Bearer realm=\"workestra\"%s%s%s",
					   auth ? ", error=\"invalid_token\"" : "", env->challenge ? ", " : "",
					   env->challenge ? env->challenge : ""));
	fail(req, resp, 401, -32001, auth ? "Unauthorized: invalid or revoked bearer token" : "Unauthorized: send Authorization: Bearer <token>");
	return false;
}

/* Whether a comma-separated Accept list names type (or a wildcard for it). */
static bool accepts(const char *accept, const char *type)
{
	size_t tlen = strlen(type);
	for (const char *p = accept; p && *p;) {
		while (*p == ' ' || *p == ',')
			p++;
		size_t len = strcspn(p, ",;");
		if ((len == tlen && !strncasecmp(p, type, tlen)) || (len == 3 && !strncmp(p, "*/*", 3)))
			return true;
		p += strcspn(p, ",");
	}
	return false;
}

typedef struct {
	json_t *queued; /* notifications sent during the request, in order */
	const http_request *req;
	http_response *resp;
	const char *session_id;
	bool streaming; /* the SSE answer has started (a request went to the client) */
	int max_waiting; /* mcp_http_env's */
	struct http_stream *later; /* detached by ask_later: the answer waits for the client's */
	int later_slot;
} collector;

static char *sse_event(arena_t *a, json_t *msg)
{
	char *text = jsontext_dump(msg);
	char *ev = arena_sprintf(a, "event: message\ndata: %s\n\n", text ? text : "{}");
	free(text);
	return ev;
}

static void sse_write(collector *col, json_t *msg)
{
	if (col->later) {
		char *ev = sse_event(http_stream_arena(col->later), msg);
		http_stream_send(col->later, ev, strlen(ev));
		return;
	}
	char *ev = sse_event(col->req->arena, msg);
	http_stream_write(col->resp, ev, strlen(ev));
}

static void collect(void *ctx, json_t *msg)
{
	collector *col = ctx;
	if (col->streaming || col->later) {
		sse_write(col, msg);
		json_decref(msg);
		return;
	}
	json_array_append_new(col->queued, msg);
}

/* Requests to the client wait here for the answer the client POSTs back.
 * The answer must reach this instance: behind several instances the load
 * balancer must keep a session on one (sessions themselves work anywhere).
 * A person reading a confirmation card takes a while: they get five minutes
 * (the card's token lasts ten).
 *
 * Two kinds wait. A request asked with client_request holds its worker until
 * the answer (the conformance fixtures' sampling); at most max_waiting of
 * those at once. A confirmation asked with ask_later holds no worker: its
 * call's answer is a detached stream, and the slot keeps the stream and the
 * call's response with the token path (fallback). The answer, on whichever
 * worker it arrives, settles the call and ends the stream; the reaper thread
 * ends with the fallback the calls whose client left or did not answer in
 * time, and those of a server shutting down. */
enum { MAX_WAITERS = 256, CLIENT_ANSWER_SECONDS = 300 };
typedef struct {
	bool used, answered;
	char session[65], id[32];
	json_t *answer;              /* the whole response message */
	struct http_stream *stream;  /* ask_later: the call's detached answer */
	json_t *fallback;            /* ask_later: the call's response, once its handler returned */
	time_t deadline;
} waiter_t;
static waiter_t waiters[MAX_WAITERS];
static pthread_mutex_t waiters_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t waiters_cond = PTHREAD_COND_INITIALIZER;
static unsigned long next_request;
static pthread_once_t reaper_once = PTHREAD_ONCE_INIT;

/* A free slot for session with a new request id, or -1 when the table is
 * full or (blocking) max_blocking requests already hold their workers. */
static int reserve(const char *session, char id[32], bool blocking, int max_blocking, int *holding)
{
	int slot = -1;
	*holding = 0;
	pthread_mutex_lock(&waiters_lock);
	for (int i = 0; i < MAX_WAITERS; i++) {
		*holding += waiters[i].used && !waiters[i].stream;
		if (!waiters[i].used && slot < 0)
			slot = i;
	}
	if (blocking && *holding >= max_blocking)
		slot = -1;
	if (slot >= 0) {
		snprintf(id, 32, "wt-%lu", ++next_request);
		waiters[slot] = (waiter_t){ .used = true };
		snprintf(waiters[slot].session, sizeof waiters[slot].session, "%s", session);
		snprintf(waiters[slot].id, sizeof waiters[slot].id, "%s", id);
	}
	pthread_mutex_unlock(&waiters_lock);
	return slot;
}

static void release(int slot)
{
	pthread_mutex_lock(&waiters_lock);
	json_decref(waiters[slot].answer);
	waiters[slot] = (waiter_t){ 0 };
	pthread_mutex_unlock(&waiters_lock);
}

/* On the stream just started: the notifications queued so far, then the
 * request (params stolen) whose answer the slot of id waits for. */
static void send_request(collector *col, const char *id, const char *method, json_t *params)
{
	size_t i;
	json_t *m;
	json_array_foreach(col->queued, i, m)
		sse_write(col, m);
	json_array_clear(col->queued);
	json_t *req = jsonrpc_request(id, method, params);
	sse_write(col, req);
	json_decref(req);
}

/* Ends an ask_later call taken out of the table with reply (stolen), or
 * with its fallback when reply is NULL. */
static void finish_later(waiter_t *w, json_t *reply)
{
	json_t *out = reply ? reply : json_incref(w->fallback);
	char *ev = sse_event(http_stream_arena(w->stream), out);
	http_stream_send(w->stream, ev, strlen(ev)); /* fails harmlessly when the client left */
	http_stream_end(w->stream);
	json_decref(out);
	json_decref(w->fallback);
	json_decref(w->answer);
}

/* Once a second: the ask_later calls past their time, or whose client left
 * or whose server is stopping, end with the token path. */
static void *reaper(void *arg)
{
	(void)arg;
	for (;;) {
		sleep(1);
		time_t now = time(NULL);
		for (int i = 0; i < MAX_WAITERS; i++) {
			waiter_t w = { 0 };
			pthread_mutex_lock(&waiters_lock);
			if (waiters[i].used && waiters[i].fallback &&
			    (now >= waiters[i].deadline || http_stream_gone(waiters[i].stream))) {
				w = waiters[i];
				waiters[i] = (waiter_t){ 0 };
			}
			pthread_mutex_unlock(&waiters_lock);
			if (w.stream)
				finish_later(&w, NULL);
		}
	}
	return NULL;
}

static void start_reaper(void)
{
	pthread_t t;
	if (pthread_create(&t, NULL, reaper, NULL) == 0)
		pthread_detach(t);
	else
		log_msg(LOG_ERROR, "mcp: no reaper thread: unanswered confirmations wait for their client");
}

/* The client's answer to request id of session: a blocking waiter gets it;
 * an ask_later call whose handler has returned is taken out into *take for
 * the caller to settle (else the answer waits in its slot for the handler).
 * false when nothing of this session waits for that id. */
static bool deliver(const char *session, json_t *id, json_t *message, waiter_t *take)
{
	if (!json_is_string(id))
		return false;
	bool found = false;
	pthread_mutex_lock(&waiters_lock);
	for (int i = 0; i < MAX_WAITERS && !found; i++)
		if (waiters[i].used && !waiters[i].answered && !strcmp(waiters[i].session, session) &&
		    !strcmp(waiters[i].id, json_string_value(id))) {
			waiters[i].answer = json_incref(message);
			waiters[i].answered = found = true;
			if (waiters[i].fallback) {
				*take = waiters[i];
				waiters[i] = (waiter_t){ 0 };
			}
		}
	pthread_cond_broadcast(&waiters_cond);
	pthread_mutex_unlock(&waiters_lock);
	return found;
}

/* The handler of an ask_later call returned its response (stolen): the slot
 * keeps it until the answer, or settles now when the answer came first. */
static bool arm_later(int slot, json_t *reply, waiter_t *take)
{
	bool answered;
	pthread_mutex_lock(&waiters_lock);
	waiters[slot].fallback = reply;
	waiters[slot].deadline = time(NULL) + CLIENT_ANSWER_SECONDS;
	answered = waiters[slot].answered;
	if (answered) {
		*take = waiters[slot];
		waiters[slot] = (waiter_t){ 0 };
	}
	pthread_mutex_unlock(&waiters_lock);
	return answered;
}

/* The answer settles the call as the answering request's caller (the same
 * user: the session is theirs), and the call's stream ends with it. */
static void settle_later(const mcp_http_env *env, actor_t *actor, waiter_t *w)
{
	core_ctx core = { env->db, actor };
	mcp_call call = { .core = &core, .confirm = env->confirm };
	finish_later(w, mcp_answer_later(&call, w->fallback, w->answer));
}

/* ask_later over Streamable HTTP: the call's answer becomes a detached SSE
 * stream carrying the notifications so far and the request; the worker goes
 * back to work when the handler returns. */
static bool ask_later(void *ctx, const char *method, json_t *params)
{
	collector *col = ctx;
	char id[32];
	int holding, slot = col->session_id && !col->streaming ? reserve(col->session_id, id, false, 0, &holding) : -1;
	struct http_stream *st = slot >= 0 ? http_stream_detach(col->resp) : NULL;
	if (!st) {
		if (slot >= 0)
			release(slot);
		json_decref(params);
		return false;
	}
	pthread_once(&reaper_once, start_reaper);
	http_response *r = http_stream_response(st);
	r->status = 200;
	r->content_type = "text/event-stream";
	http_response_header(http_stream_arena(st), r, "cache-control", "no-cache");
	pthread_mutex_lock(&waiters_lock);
	waiters[slot].stream = st;
	pthread_mutex_unlock(&waiters_lock);
	col->later = st;
	col->later_slot = slot;
	send_request(col, id, method, params);
	return true;
}

/* mcp_request_fn over Streamable HTTP: turns the answer into an SSE stream
 * (notifications so far first), sends the request on it and waits. */
static json_t *client_request(void *ctx, const char *method, json_t *params, err_t *err)
{
	collector *col = ctx;
	if (!col->session_id || !col->resp->stream || col->later) {
		json_decref(params);
		err_set(err, ERR_CODE_TRANSPORT_CANNOT_REQUEST, "this request cannot carry a request to the client");
		return NULL;
	}
	char id[32];
	int waiting, slot = reserve(col->session_id, id, true, col->max_waiting, &waiting);
	if (slot < 0) {
		json_decref(params);
		err_set(err, ERR_CODE_TOO_MANY_REQUESTS, "%d calls already wait for their client's answer", waiting);
		return NULL;
	}
	if (!col->streaming) {
		col->resp->status = 200;
		col->resp->content_type = "text/event-stream";
		http_response_header(col->req->arena, col->resp, "cache-control", "no-cache");
		if (!http_stream_start(col->resp)) {
			release(slot);
			json_decref(params);
			err_set(err, ERR_CODE_TRANSPORT_CANNOT_REQUEST, "this server cannot stream");
			return NULL;
		}
		col->streaming = true;
	}
	send_request(col, id, method, params);

	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += CLIENT_ANSWER_SECONDS;
	pthread_mutex_lock(&waiters_lock);
	int rc = 0;
	while (!waiters[slot].answered && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&waiters_cond, &waiters_lock, &until);
	json_t *answer = waiters[slot].answer;
	waiters[slot] = (waiter_t){ 0 };
	pthread_mutex_unlock(&waiters_lock);
	if (!answer) {
		err_set(err, ERR_CODE_CLIENT_TIMEOUT, "the client did not answer %s in %d s", method,
			CLIENT_ANSWER_SECONDS);
		return NULL;
	}
	json_t *result = jsonrpc_answer_result(answer, method, err);
	json_decref(answer);
	return result;
}

/* The answer: plain JSON, or an SSE stream when notifications go first. */
static void respond(const http_request *req, http_response *resp, json_t *queued, json_t *reply, bool streaming)
{
	if (streaming) {
		/* The stream is open: the rest of it follows what was sent. */
		char *text = jsontext_dump(reply);
		json_decref(reply);
		resp->body = arena_sprintf(req->arena, "event: message\ndata: %s\n\n", text ? text : "{}");
		resp->body_len = strlen(resp->body);
		free(text);
		return;
	}
	if (json_array_size(queued) == 0) {
		http_response_json(req->arena, resp, 200, reply);
		return;
	}
	json_array_append_new(queued, reply);
	char *body = arena_strdup(req->arena, "");
	size_t i;
	json_t *m;
	json_array_foreach(queued, i, m) {
		char *text = jsontext_dump(m);
		body = arena_sprintf(req->arena, "%sevent: message\ndata: %s\n\n", body, text ? text : "{}");
		free(text);
	}
	resp->status = 200;
	resp->content_type = "text/event-stream";
	resp->body = body;
	resp->body_len = strlen(body);
	http_response_header(req->arena, resp, "cache-control", "no-cache");
}

static bool new_session_id(char out[65])
{
	unsigned char raw[32];
	if (!crypto_random(raw, sizeof raw))
		return false;
	crypto_hex(raw, sizeof raw, out);
	return true;
}

/* A 2026-07-28 request: no session, nothing kept; any instance answers it.
 * Notifications and progress go first on an SSE stream as in the session era,
 * but the server never sends requests of its own (input_required instead). */
static void handle_stateless(const mcp_http_env *env, const http_request *req, http_response *resp, actor_t *actor,
			     const jsonrpc_msg *m)
{
	collector col = { json_array(), req, resp, NULL, false };
	core_ctx core = { env->db, actor };
	mcp_call call = { .core = &core, .confirm = env->confirm, .notify = collect, .notify_ctx = &col };
	mcp_headers h = { req->mcp_protocol_version, http_request_header(req, "mcp-method"),
			  http_request_header(req, "mcp-name") };
	int status = 200;
	json_t *reply = mcp_handle_stateless(&call, m, &h, &status);
	if (!reply) {
		resp->status = 202;
		resp->body = "";
		resp->body_len = 0;
	} else if (status != 200 || json_array_size(col.queued) == 0) {
		http_response_json(req->arena, resp, status, reply);
	} else {
		respond(req, resp, col.queued, reply, false);
	}
	json_decref(col.queued);
}

static void handle_post(const mcp_http_env *env, const http_request *req, http_response *resp, actor_t *actor)
{
	if (!accepts(req->accept, "application/json") || !accepts(req->accept, "text/event-stream")) {
		fail(req, resp, 406, -32000, "Not Acceptable: Accept must list application/json and text/event-stream");
		return;
	}
	if (req->content_type && strncasecmp(req->content_type, "application/json", 16)) {
		fail(req, resp, 415, -32000, "Unsupported Media Type: send application/json");
		return;
	}
	jsonrpc_msg m;
	jsonrpc_parse(req->body, req->body_len, &m);
	if (m.kind == JSONRPC_INVALID) {
		http_response_json(req->arena, resp, 400, json_incref(m.error));
		jsonrpc_msg_free(&m);
		return;
	}
	if (!req->mcp_session_id && mcp_is_stateless(&m, req->mcp_protocol_version)) {
		handle_stateless(env, req, resp, actor, &m);
		jsonrpc_msg_free(&m);
		return;
	}
	if (req->mcp_protocol_version && !mcp_version_supported(req->mcp_protocol_version)) {
		fail(req, resp, 400, -32000,
		     "Bad Request: unsupported MCP-Protocol-Version (supported: 2026-07-28 without a session; "
		     "2025-11-25, 2025-06-18, 2025-03-26 after initialize)");
		jsonrpc_msg_free(&m);
		return;
	}
	bool init = m.kind == JSONRPC_REQUEST && !strcmp(m.method, "initialize");
	err_t err = { 0 };
	mcp_session s = { 0 };
	mcp_session_clear(&s);
	if (!init) {
		session_row row = { 0 };
		bool found = false;
		if (!req->mcp_session_id) {
			fail(req, resp, 400, -32000, "Bad Request: Mcp-Session-Id header is required (send initialize first)");
			goto done;
		}
		if (!sessions_load(env->db, req->mcp_session_id, actor->user_id, &row, &found, &err)) {
			fail_err(req, resp, &err);
			goto done;
		}
		if (!found) {
			fail(req, resp, 404, -32001, "Session not found: it ended or never existed; initialize a new one");
			goto done;
		}
		snprintf(s.protocol_version, sizeof s.protocol_version, "%s", row.protocol_version);
		s.client_capabilities = row.client_capabilities;
		s.subscriptions = row.subscriptions;
		int level = mcp_log_level(row.log_level);
		s.log_level = level < 0 ? MCP_LOG_OFF : level;
	}
	if (m.kind == JSONRPC_RESPONSE) {
		/* An answer to a request we sent (sampling, elicitation). */
		waiter_t take = { 0 };
		if (!deliver(req->mcp_session_id, m.id, m.root, &take))
			log_msg(LOG_WARN, "mcp: an answer to no waiting request of this session");
		else if (take.stream)
			settle_later(env, actor, &take);
		resp->status = 202;
		resp->body = "";
		resp->body_len = 0;
		goto done;
	}
	collector col = { json_array(), req, resp, init ? NULL : req->mcp_session_id, false, env->max_waiting, NULL, -1 };
	core_ctx core = { env->db, actor };
	mcp_call call = { .core = &core, .confirm = env->confirm, .notify = collect, .notify_ctx = &col,
			  .request = client_request, .request_ctx = &col, .ask_later = ask_later };
	json_t *reply = mcp_handle(&call, &s, &m);
	if (col.later) {
		/* The response waits for the person's answer; the stream is detached. */
		waiter_t take = { 0 };
		if (arm_later(col.later_slot, reply, &take))
			settle_later(env, actor, &take);
		json_decref(col.queued);
		goto done;
	}
	if (init && reply && json_object_get(reply, "result")) {
		char id[65];
		char *info = s.client_info ? json_dumps(s.client_info, JSON_COMPACT) : NULL;
		char *caps = json_is_object(s.client_capabilities) ? json_dumps(s.client_capabilities, JSON_COMPACT) : NULL;
		bool ok = new_session_id(id) && sessions_create(env->db, id, actor->workspace_id, actor->user_id,
								s.protocol_version, info, caps, &err);
		free(info);
		free(caps);
		if (!ok) {
			json_decref(reply);
			reply = jsonrpc_error(m.id, JSONRPC_INTERNAL_ERROR, "Internal error: could not open a session", NULL);
		} else {
			http_response_header(req->arena, resp, "mcp-session-id", id);
		}
	}
	if (s.log_level_changed && !sessions_set_level(env->db, req->mcp_session_id, mcp_log_level_name(s.log_level), &err)) {
		json_decref(reply);
		reply = jsonrpc_error(m.id, JSONRPC_INTERNAL_ERROR, "Internal error: could not save the level", NULL);
	}
#ifdef WT_TEST_BUILD
	if (s.subscriptions_changed) { /* resources/subscribe: test builds only (mcp/server.c) */
		char *uris = json_dumps(s.subscriptions, JSON_COMPACT);
		bool ok = uris && sessions_set_subscriptions(env->db, req->mcp_session_id, uris, &err);
		free(uris);
		if (!ok) {
			json_decref(reply);
			reply = jsonrpc_error(m.id, JSONRPC_INTERNAL_ERROR, "Internal error: could not save the subscription", NULL);
		}
	}
#endif
	if (reply) {
		respond(req, resp, col.queued, reply, col.streaming);
	} else {
		resp->status = 202;
		resp->body = "";
		resp->body_len = 0;
	}
	json_decref(col.queued);
done:
	mcp_session_clear(&s);
	jsonrpc_msg_free(&m);
}

static void handle_delete(const mcp_http_env *env, const http_request *req, http_response *resp, const actor_t *actor)
{
	err_t err = { 0 };
	bool found = false;
	if (!req->mcp_session_id) {
		fail(req, resp, 400, -32000, "Bad Request: Mcp-Session-Id header is required");
		return;
	}
	if (!sessions_end(env->db, req->mcp_session_id, actor->user_id, &found, &err)) {
		fail_err(req, resp, &err);
		return;
	}
	if (!found) {
		fail(req, resp, 404, -32001, "Session not found");
		return;
	}
	resp->status = 204;
	resp->body = "";
	resp->body_len = 0;
}

/* The checks every request passes before its body matters: Host/Origin,
 * method, credentials. The protocol version is checked with the body, which
 * tells the era. */
static bool admitted(const mcp_http_env *env, const http_request *req, http_response *resp, actor_t *actor)
{
	if (!check_origin(env, req, resp))
		return false;
	if (strcmp(req->method, "POST") && strcmp(req->method, "DELETE")) {
		/* No server-initiated stream: every message answers a POST. */
		http_response_header(req->arena, resp, "allow", "POST, DELETE");
		fail(req, resp, 405, -32000, "Method Not Allowed: this server offers no GET stream; use POST");
		return false;
	}
	if (!authenticate(env, req, resp, actor))
		return false;
	return true;
}

bool mcp_http_admit(const mcp_http_env *env, const http_request *req, http_response *resp)
{
	actor_t actor = { .source = "api", .ip = req->ip, .user_agent = req->user_agent };
	return admitted(env, req, resp, &actor);
}

/* Counts the request against the rate limits (core/rate_limit) and says
 * where it stands in the RateLimit headers; past a limit the answer is 429
 * with Retry-After and a JSON-RPC error naming the limit. */
static bool within_limits(const mcp_http_env *env, const http_request *req, http_response *resp, const actor_t *actor)
{
	core_ctx core = { env->db, actor };
	rate_limit_verdict v;
	err_t err = { 0 };
	bool ok = rate_limit_check(&core, env->rate_per_token, env->rate_per_workspace, &v, &err);
	if (v.counted)
		http_response_rate_limit(req->arena, resp, v.limit, v.remaining, v.reset_seconds, !ok);
	if (!ok)
		fail(req, resp, 429, -32000, arena_sprintf(req->arena, "%s: %s", err_name(&err), err.message));
	return ok;
}

void mcp_http_handle(const mcp_http_env *env, const http_request *req, http_response *resp)
{
	actor_t actor = { .source = "api", .ip = req->ip, .user_agent = req->user_agent };
	if (!admitted(env, req, resp, &actor) || !within_limits(env, req, resp, &actor))
		return;
	if (!strcmp(req->method, "POST"))
		handle_post(env, req, resp, &actor);
	else
		handle_delete(env, req, resp, &actor);
}
