/* libFuzzer harness: the HTTP request head parser (http/parser.c) on raw
 * bytes, as a client may send them. Checks what a parsed head promises the
 * server: it ends inside the input, names a method the server implements,
 * a path it can route, and limits it can hold; and that finding the end of
 * a head in pieces (as bytes trickle in) agrees with finding it at once. */
#include "http/parser.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 2 * HTTP_MAX_HEAD)
		return 0;
	const char *buf = (const char *)data;
	arena_t *a = arena_new();
	http_head h;
	http_parse_status st = http_parse_head(a, buf, size, &h);
	if (st == HTTP_PARSE_OK) {
		if (h.head_len == 0 || h.head_len > size || h.head_len > HTTP_MAX_HEAD)
			abort();
		if (!h.method || !h.path || (h.path[0] != '/' && strcmp(h.path, "*")))
			abort();
		if (h.nargs > HTTP_MAX_ARGS || h.nfields > HTTP_MAX_HEADERS || h.args[h.nargs])
			abort();
		if (h.content_length < -1 || (h.chunked && h.content_length >= 0))
			abort();
		for (int i = 0; i < h.nfields; i++)
			for (const char *p = h.fields[i].name; *p; p++)
				if (*p >= 'A' && *p <= 'Z')
					abort();
	} else if (st == HTTP_PARSE_ERROR) {
		if (h.status < 400 || h.status > 505 || !h.code || !h.message)
			abort();
	} else if (size >= HTTP_MAX_HEAD) {
		abort(); /* a full buffer always gets an answer */
	}
	/* Resuming the search 3 bytes back, piece by piece, finds the same end. */
	size_t once = http_head_end(buf, size, 0), from = 0, found = 0;
	for (size_t len = 1; len <= size && !found; len += 1 + len / 7) {
		found = http_head_end(buf, len, from);
		from = len > 3 ? len - 3 : 0;
	}
	if (!found && size)
		found = http_head_end(buf, size, from);
	if (found != once)
		abort();
	arena_free(a);
	return 0;
}
