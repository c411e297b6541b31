/* The HTTP/1.1 request head parser (RFC 9112): request line, header fields,
 * the framing rules that matter for safety (Content-Length, Transfer-Encoding,
 * Connection, Expect), percent-decoding of the path and the query. A pure
 * function of its input bytes, so it is fuzzed on its own (tests/fuzz). */
#ifndef HTTP_PARSER_H
#define HTTP_PARSER_H
#include "util/arena.h"
#include "util/err.h"
#include <stdbool.h>
#include <stddef.h>

enum {
	HTTP_MAX_HEAD = 32768,   /* request line + header fields: 431 beyond */
	HTTP_MAX_URI = 8192,     /* request target: 414 beyond */
	HTTP_MAX_HEADERS = 100,  /* header fields: 431 beyond */
	HTTP_MAX_ARGS = 100,     /* query arguments: 414 beyond */
	HTTP_MAX_METHOD = 16,
};

typedef struct {
	const char *name;  /* lowercase */
	const char *value; /* surrounding white space removed */
} http_field;

typedef enum {
	HTTP_PARSE_MORE,  /* the head is not complete yet */
	HTTP_PARSE_OK,    /* head_len bytes form a valid head */
	HTTP_PARSE_ERROR, /* answer status/code/message and close */
} http_parse_status;

typedef struct {
	/* On HTTP_PARSE_ERROR: the answer to give. */
	int status;        /* the registry's status of code */
	err_code code;     /* util/errors.def */
	const char *message;
	/* On HTTP_PARSE_OK (all strings live in the arena): */
	size_t head_len;          /* bytes of the head, through the empty line */
	const char *method;       /* as sent (case-sensitive token) */
	const char *path;         /* percent-decoded, without the query */
	const char **args;        /* decoded "name=value" or "name", NULL-terminated */
	int nargs;
	http_field *fields;
	int nfields;
	int minor;                /* HTTP/1.minor */
	long long content_length; /* -1: none */
	bool chunked;             /* Transfer-Encoding: chunked (the only coding sent) */
	bool keep_alive;          /* the connection may carry another request */
	bool expect_continue;     /* Expect: 100-continue */
} http_head;

/* Parses the head at the start of buf[0..len). MORE means: call again with
 * more bytes (an incomplete head already past a limit is an ERROR, so the
 * caller never has to buffer more than HTTP_MAX_HEAD). */
http_parse_status http_parse_head(arena_t *a, const char *buf, size_t len, http_head *out);

/* Where a head that starts at buf ends: the offset just past its empty line,
 * or 0 while it is incomplete. The search starts at from, so a caller that
 * receives a head in pieces resumes where it stopped (from = old length - 3). */
size_t http_head_end(const char *buf, size_t len, size_t from);

/* The value of field name (lowercase) in h, or NULL. */
const char *http_head_field(const http_head *h, const char *name);

#endif
