/* The error every layer returns: a kind (how bad, which class), a code from
 * the registry (util/errors.def: its string, kind and HTTP status) and a
 * message a person can act on. */
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
	ERR_RATE_LIMITED, /* the caller sent too many requests; retry later */
} err_kind;

/* Every error code, from the registry. ERR_CODE_NONE: no error. */
typedef enum {
	ERR_CODE_NONE = 0,
#define X(name, str, kind, status, meaning) ERR_CODE_##name,
#include "util/errors.def"
#undef X
	ERR_CODE_COUNT
} err_code;

enum { ERR_MAX_PROBLEMS = 8, ERR_PARAM_LEN = 64 };

/* One problem of a request, named by the field or query parameter at fault,
 * so a form can show it beside that field. */
typedef struct {
	err_code code;
	char param[ERR_PARAM_LEN];
	char message[200];
} err_problem;

typedef struct {
	err_kind kind; /* always the registry's kind of code */
	err_code code;
	char message[400]; /* always valid UTF-8 (see err_set) */
	/* The field or query parameter at fault ("" when the error is not
	 * about one), and every such problem found, the first included, when
	 * the error was set with one (err_set_param, err_add_param). */
	char param[ERR_PARAM_LEN];
	int nproblems;
	err_problem problems[ERR_MAX_PROBLEMS];
} err_t;

/* Sets err (when it holds no error yet: the first error wins) to code, with
 * the registry's kind, and returns false. */
bool err_set(err_t *err, err_code code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The same, naming the field or query parameter at fault (param). */
bool err_set_param(err_t *err, err_code code, const char *param, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Collects one more problem: sets err like err_set_param when it holds no
 * error yet, and otherwise adds the problem to those err lists when err is
 * a list of problems of the same kind (validation ones) with room left
 * (ERR_MAX_PROBLEMS; more are dropped). So a validation can report every
 * field at fault at once, while any other error set first still wins.
 * Returns false. */
bool err_add_param(err_t *err, err_code code, const char *param, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static inline bool err_any(const err_t *err) { return err->kind != ERR_NONE; }
void err_clear(err_t *err);

/* The registry, by code ("" / ERR_NONE / 200 / "" for ERR_CODE_NONE or out of range). */
const char *err_code_name(err_code code);
err_kind err_code_kind(err_code code);
int err_code_status(err_code code);
const char *err_code_meaning(err_code code);
/* The code of a string, ERR_CODE_NONE when the registry has none such. */
err_code err_code_parse(const char *name);
/* Shorthands for an err_t: its code's string and HTTP status (200 when no error). */
static inline const char *err_name(const err_t *err) { return err_code_name(err->code); }
static inline int err_status(const err_t *err) { return err_code_status(err->code); }

#endif
