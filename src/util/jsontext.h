/* The one way a JSON value becomes text, wherever it goes: REST answers, MCP
 * messages, webhook payloads and audit rows (stored as jsonb), notifications.
 *
 * The API's decimals (hours to 4 places from integer seconds, ratios) are
 * exact numerics built by PostgreSQL; jansson holds them as doubles. A double
 * gives back any decimal of up to 15 significant digits when printed with 15
 * (DBL_DIG), while jansson's default of 17 prints the binary approximation:
 * 11.9997 as 11.999700000000001, 0.0006 as 0.00059999999999999995. So every
 * real is printed with 15, and the same hours read the same everywhere. */
#ifndef UTIL_JSONTEXT_H
#define UTIL_JSONTEXT_H
#include <jansson.h>
#include <stdio.h>

#define JSONTEXT_FLAGS (JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15))

/* Compact JSON text of v (any value), malloc'd (free()); NULL when jansson
 * cannot encode it (invalid UTF-8, a NaN). */
char *jsontext_dump(const json_t *v);
/* The same to a stream; 0 on success, -1 on failure. */
int jsontext_dumpf(const json_t *v, FILE *f);

#endif
