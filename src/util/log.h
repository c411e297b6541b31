/* Structured logging: one JSON object per line on stderr. */
#ifndef UTIL_LOG_H
#define UTIL_LOG_H
#include <jansson.h>

typedef enum { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR } log_level;

/* Messages below level are dropped (default info). Set once at start, before
 * any thread logs (app/config reads LOG_LEVEL). */
void log_set_level(log_level level);
int log_enabled(log_level lvl);
/* Writes {"ts","level","msg", ...fields}; steals the reference to fields (may be NULL). */
void log_json(log_level lvl, const char *msg, json_t *fields);
void log_msg(log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
