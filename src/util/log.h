/* Structured logging: one JSON object per line on stderr. */
#ifndef UTIL_LOG_H
#define UTIL_LOG_H
#include <jansson.h>

typedef enum { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR } log_level;

/* Reads LOG_LEVEL (debug|info|warn|error); default info. */
void log_init(void);
int log_enabled(log_level lvl);
/* Writes {"ts","level","msg", ...fields}; steals the reference to fields (may be NULL). */
void log_json(log_level lvl, const char *msg, json_t *fields);
void log_msg(log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
