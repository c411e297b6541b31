/* The error every layer returns: a kind (how bad, which class), a stable
 * snake_case code a program can switch on, and a message a person can act on. */
#ifndef UTIL_ERR_H
#define UTIL_ERR_H
#include <stdbool.h>

typedef enum {
	ERR_NONE = 0,
	ERR_BAD_REQUEST,  /* malformed input: not JSON, wrong shape */
	ERR_UNAUTHORIZED, /* no or bad credentials */
	ERR_PLAN,         /* needs a plan or module the workspace lacks */
	ERR_FORBIDDEN,    /* authenticated, but not allowed */
	ERR_NOT_FOUND,
	ERR_CONFLICT,     /* state forbids it: transitions, locks, duplicates */
	ERR_VALIDATION,   /* well-formed but invalid values */
	ERR_TOO_LARGE,
	ERR_UNAVAILABLE,  /* a dependency (the database) is down */
	ERR_INTERNAL,
} err_kind;

typedef struct {
	err_kind kind;
	char code[48];
	char message[400]; /* always valid UTF-8 (see err_set) */
} err_t;

/* Sets err (when it holds no error yet: the first error wins) and returns false. */
bool err_set(err_t *err, err_kind kind, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static inline bool err_any(const err_t *err) { return err->kind != ERR_NONE; }
void err_clear(err_t *err);

#endif
