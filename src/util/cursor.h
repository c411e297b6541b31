/* Opaque keyset cursors: a kind and a few key fields packed into one
 * URL-safe token a client hands back unchanged (starting_after). The token
 * is not secret: it only names a position in a list the caller may read. */
#ifndef UTIL_CURSOR_H
#define UTIL_CURSOR_H
#include <stdbool.h>

enum { CURSOR_MAX = 256, CURSOR_FIELDS = 3, CURSOR_FIELD = 64, CURSOR_KIND = 8 };

/* Packs kind and n fields (each at most CURSOR_FIELD - 1 characters of
 * [A-Za-z0-9_.-], possibly empty) into out. */
void cursor_encode(const char *kind, const char *const *fields, int n, char out[CURSOR_MAX]);
/* Unpacks text; false when it is not a token cursor_encode could have made
 * (bad base64url, too long, too many fields, a character outside the set). */
bool cursor_decode(const char *text, char kind[CURSOR_KIND], char fields[CURSOR_FIELDS][CURSOR_FIELD], int *n);

#endif
