/* An HTTP request as the application sees it, and the response it fills in.
 * Both live in the request's arena: nothing in them is freed separately. */
#ifndef HTTP_MESSAGE_H
#define HTTP_MESSAGE_H
#include "http/parser.h"
#include "util/arena.h"
#include "util/err.h"
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum { HTTP_MAX_EXTRA_HEADERS = 12 };

typedef struct {
	arena_t *arena;
	const char *method;   /* GET, POST, PATCH, PUT, DELETE, OPTIONS, HEAD */
	const char *path;     /* percent-decoded path, without the query */
	const char *const *args; /* query arguments as decoded "name=value" strings, NULL-terminated */
	const char *request_id;
	const char *authorization, *content_type, *user_agent, *ip;
	const char *accept, *origin, *host;
	const char *mcp_session_id, *mcp_protocol_version, *last_event_id;
	const http_field *fields; /* every header field, names lowercase */
	int nfields;
	const char *body; /* NUL-terminated copy; body_len excludes the NUL */
	size_t body_len;
	long content_length; /* -1 when absent */
} http_request;

typedef struct {
	int status;
	const char *content_type;
	const char *body;
	size_t body_len;
	const char *headers[HTTP_MAX_EXTRA_HEADERS][2]; /* lowercase name, value */
	int nheaders;
	const char *log_user; /* who made the request, for the access log */
	const char *route;    /* the route pattern that answered, for metrics (NULL: none) */
	struct http_stream *stream; /* set by the server: see http_stream_start */
} http_response;

/* Streaming, for answers that must reach the client before the handler
 * returns (an SSE stream that carries a request to the client): sends
 * resp's status, content type and headers now, without a Content-Length
 * (the connection closes after the answer). From the handler, once; the
 * headers must not change afterwards. false when this server cannot stream. */
bool http_stream_start(http_response *resp);
/* Sends len bytes of the body at once (after http_stream_start). Whatever the
 * handler leaves in resp->body when it returns follows as the last part. */
bool http_stream_write(http_response *resp, const char *data, size_t len);

/* Detached answers, for a handler whose answer takes long to make (a chat
 * model thinking): the handler calls http_stream_detach, hands the stream to
 * a thread of its own and returns, so the worker is free at once; the answer
 * ends only at http_stream_end. Until its first http_stream_send, the holder
 * may still set the response (http_stream_response: status, content type,
 * headers, a body in the request's arena); http_stream_end without a send
 * answers that response whole. NULL when this server cannot stream. */
struct http_stream *http_stream_detach(http_response *resp);
http_response *http_stream_response(struct http_stream *st);
arena_t *http_stream_arena(struct http_stream *st); /* the request's */
/* Sends len bytes (the first call sends the head: no Content-Length, the
 * connection closes after the answer); false once the client has left. */
bool http_stream_send(struct http_stream *st, const char *data, size_t len);
/* The client left or the server is stopping: the holder should wind up. */
bool http_stream_gone(struct http_stream *st);
/* Ends the answer; st must not be used afterwards. Exactly once. */
void http_stream_end(struct http_stream *st);

/* The value of header name (lowercase), NULL when absent. */
const char *http_request_header(const http_request *req, const char *name);

/* Sets status and a JSON body (dumped into the arena; the reference is stolen). */
void http_response_json(arena_t *arena, http_response *resp, int status, json_t *body);
/* Sets status and a body that is JSON text already (borrowed: it lives in
 * the arena). */
void http_response_json_text(http_response *resp, int status, const char *text);
/* The one writer of error answers: the {"error":{"code","message"}} envelope
 * with the registry's status for err's code (util/errors.def), plus
 * WWW-Authenticate (realm "workestra") on a 401 and Retry-After on a 503 or
 * 429 unless the caller set its own first. An error that names a field adds
 * "param" and "errors" (every problem found: [{param, code, message}]). A 405's Allow is the caller's: set it
 * before or after. An err_t that holds no error is answered 500
 * internal_error (a bug of the caller's, not a success). */
void http_response_error(arena_t *arena, http_response *resp, const err_t *err);
/* The same, with "data" beside "error" (the reference is stolen): a cron run
 * that failed answers its run record with the error. */
void http_response_error_data(arena_t *arena, http_response *resp, const err_t *err, json_t *data);
/* Adds a response header; name is lowercase without the colon. Both are copied. */
void http_response_header(arena_t *arena, http_response *resp, const char *name, const char *value);
/* RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset (seconds), and
 * Retry-After (= the reset) when the request was refused for it. */
void http_response_rate_limit(arena_t *arena, http_response *resp, long limit, long remaining, int reset_seconds,
			      bool refused);
/* The value of a response header set so far (name lowercase), NULL when absent. */
const char *http_response_header_get(const http_response *resp, const char *name);
/* The value of query argument name ("" for a bare "name"), NULL when absent.
 * Arguments arrive decoded, so nothing is decoded twice. */
const char *http_query_param(const http_request *req, const char *name);

#endif
