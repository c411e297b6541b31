/* Validation of JSON request objects. Every error names the field (in the
 * message and as err's param), so a client (or a model) can correct exactly
 * that field; a problem found after another validation problem joins its
 * list (err_add_param), so a caller that checks every field before it gives
 * up reports them all at once. */
#ifndef CORE_FIELDS_H
#define CORE_FIELDS_H
#include <jansson.h>
#include <stdbool.h>
#include "util/err.h"

typedef enum {
	FIELD_ERROR = -1,
	FIELD_ABSENT = 0,
	FIELD_NULL = 1,  /* given as JSON null (only where nullable) */
	FIELD_SET = 2,
} field_state;

/* body must be an object holding only keys from allowed (NULL-terminated). */
bool fields_only(json_t *body, const char *const *allowed, err_t *err);
/* A string of 1..maxlen bytes (empty allowed when allow_empty). out is borrowed from body. */
field_state fields_string(json_t *body, const char *key, bool required, bool nullable, bool allow_empty,
			  size_t maxlen, const char **out, err_t *err);
field_state fields_bool(json_t *body, const char *key, bool *out, err_t *err);
/* Decimal hours (number or numeric string) as seconds, in (0, max_seconds]. */
field_state fields_hours(json_t *body, const char *key, bool required, long max_seconds, long *seconds, err_t *err);
/* A real calendar date "YYYY-MM-DD"; out holds the normalized text. */
field_state fields_date(json_t *body, const char *key, bool required, long *day, char out[11], err_t *err);
/* Whether s is one of the NULL-terminated values. */
bool fields_one_of(const char *s, const char *const *values);

#endif
