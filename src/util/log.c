#include "util/log.h"
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static log_level min_level = LOG_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void log_set_level(log_level level)
{
	min_level = level;
}

int log_enabled(log_level lvl)
{
	return lvl >= min_level;
}

static const char *level_name(log_level l)
{
	static const char *names[] = { "debug", "info", "warn", "error" };
	return names[l];
}

void log_json(log_level lvl, const char *msg, json_t *fields)
{
	if (!log_enabled(lvl)) {
		json_decref(fields);
		return;
	}
	struct timeval tv;
	gettimeofday(&tv, NULL);
	struct tm tm;
	gmtime_r(&tv.tv_sec, &tm);
	char ts[64];
	snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(tv.tv_usec / 1000));
	json_t *o = json_pack("{s:s, s:s, s:s}", "ts", ts, "level", level_name(lvl), "msg", msg);
	if (fields)
		json_object_update(o, fields);
	json_decref(fields);
	char *line = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(10));
	json_decref(o);
	if (!line)
		return;
	pthread_mutex_lock(&log_lock);
	fprintf(stderr, "%s\n", line);
	pthread_mutex_unlock(&log_lock);
	free(line);
}

void log_msg(log_level lvl, const char *fmt, ...)
{
	if (!log_enabled(lvl))
		return;
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	log_json(lvl, buf, NULL);
}
