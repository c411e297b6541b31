/* Raw HTTP over a TCP socket, for what libcurl will not send: exact bytes,
 * pipelined requests, half-written heads and bodies, many connections from
 * chosen loopback source addresses. */
#ifndef TESTS_RAWHTTP_H
#define TESTS_RAWHTTP_H
#include <stdbool.h>
#include <stddef.h>

typedef struct {
	long status;   /* of the first response, 0 when none */
	int responses; /* complete responses read */
	char *text;    /* everything read, NUL-terminated (the caller frees it) */
	size_t len;
	bool closed;   /* the server closed the connection */
} raw_result;

/* The port of a base URL like http://127.0.0.1:PORT. */
int raw_port(const char *base);
/* A connected socket to 127.0.0.1:port from source address src (NULL: any
 * loopback address), or -1. */
int raw_connect(int port, const char *src);
/* Sends all of bytes (as much as the server takes); false when it stopped early. */
bool raw_send(int fd, const char *bytes, size_t len);
/* Reads until want responses are complete, the server closes, or timeout_ms
 * passes without data. */
raw_result raw_read(int fd, int want, int timeout_ms);
/* Connects, sends bytes, half-closes when shut, reads as raw_read, closes. */
raw_result raw_exchange(int port, const char *bytes, size_t len, bool shut, int want, int timeout_ms);
/* Complete responses (head plus Content-Length body) at the start of text. */
int raw_complete_responses(const char *text, size_t len);
/* Resident memory of a process in KiB (0 when unknown). */
long raw_rss_kb(int pid);

#endif
