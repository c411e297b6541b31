/* The HTTP/1.1 server: one event-loop thread (epoll) that owns every
 * connection, and a worker pool that runs the application, so the loop never
 * waits on the database. The loop enforces the transport's rules itself:
 * size limits on the head and the body, deadlines for each phase, a cap on
 * connections (in all and per client address), bodies read only after the
 * application admits them, and a JSON answer (or a deliberate close) for
 * every request, malformed ones included. */
#ifndef HTTP_SERVER_H
#define HTTP_SERVER_H
#include "http/workers.h"
#include <stddef.h>

typedef struct {
	const char *host;  /* interface to bind, e.g. 127.0.0.1 */
	int port;
	int workers;
	size_t max_body;   /* bytes */
	int max_connections;        /* open connections in all (0: 10000) */
	int max_connections_per_ip; /* per client address (0: no cap, e.g. behind a proxy) */
	int header_timeout_ms;      /* to receive a whole request head (0: 10 s) */
	int body_timeout_ms;        /* between two pieces of a body (0: 10 s); 6x that in all */
	int idle_timeout_ms;        /* a kept-alive connection with no request (0: 30 s) */
} http_config;

/* Serves until SIGTERM or SIGINT, then stops accepting, finishes requests in
 * flight (up to 10 s) and returns 0; non-zero when it could not start. */
int http_serve(const http_config *cfg, const http_app *app);

#endif
