/* The HTTP server: libwebsockets on one service thread, handlers on a worker
 * pool, so the loop never waits on the database. Enforces the transport
 * limits (body size, Content-Length, chunked bodies, URL length) itself. */
#ifndef HTTP_SERVER_H
#define HTTP_SERVER_H
#include "http/workers.h"
#include <stddef.h>

typedef struct {
	const char *host;  /* interface to bind, e.g. 127.0.0.1 */
	int port;
	int workers;
	size_t max_body;   /* bytes */
} http_config;

/* Serves until SIGTERM or SIGINT, then stops accepting, finishes requests in
 * flight (up to 10 s) and returns 0; non-zero when it could not start. */
int http_serve(const http_config *cfg, const http_app *app);

#endif
