/* Per-request memory arena: many allocations, one free.
 * Everything allocated from an arena lives until arena_free(). */
#ifndef UTIL_ARENA_H
#define UTIL_ARENA_H
#include <stddef.h>
#include <stdarg.h>

typedef struct arena arena_t;

/* Returns a new arena owned by the caller (free with arena_free). Never NULL: aborts on OOM. */
arena_t *arena_new(void);
void arena_free(arena_t *a);
/* Zeroed memory owned by the arena. */
void *arena_alloc(arena_t *a, size_t n);
char *arena_strdup(arena_t *a, const char *s);
char *arena_strndup(arena_t *a, const char *s, size_t n);
char *arena_sprintf(arena_t *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *arena_vsprintf(arena_t *a, const char *fmt, va_list ap);

#endif
