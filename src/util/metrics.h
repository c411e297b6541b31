/* Process metrics for GET /metrics, in the Prometheus text exposition format
 * (version 0.0.4). Every call is safe from any thread (the event loop, the
 * workers, the dispatcher, the scheduler): counts are C11 atomics and a
 * mutex is taken only the first time a series is seen.
 *
 * Label values must come from bounded sets (route patterns, status codes, job
 * names). Each family still has a fixed table: a series that finds it full is
 * counted with its open-ended label (route, reason, result, job) set to
 * "other", and past that with every label "other", so a caller passing raw
 * paths by mistake costs a wrong label, never memory or a huge scrape. */
#ifndef UTIL_METRICS_H
#define UTIL_METRICS_H
#include <stdbool.h>
#include <stddef.h>

enum {
	METRICS_HTTP_SERIES_MAX = 512, /* (method, route, status) request counters */
	METRICS_HTTP_ROUTES_MAX = 256, /* (method, route) latency histograms */
	METRICS_LABEL_MAX = 128,       /* a longer label value counts as "other" */
};

/* A finished HTTP request. route is the matched route PATTERN
 * ("/api/v1/time-entries/{}"), never the raw path; NULL counts as
 * "unmatched". Methods outside GET HEAD POST PUT PATCH DELETE OPTIONS, and
 * statuses outside 100..599, count as "other". seconds: from the request's
 * first byte to the end of the answer. */
void metrics_http_request(const char *method, const char *route, int status, double seconds);
/* Gauges the transport sets: connections open, and those still reading their headers. */
void metrics_http_connections(int open, int reading_headers);
/* A connection or request refused by the transport: per_ip_limit, capacity,
 * header_timeout, body_timeout, bad_request, ... */
void metrics_http_rejected(const char *reason);
/* Gauges the transport sets: requests waiting for a worker, workers busy. */
void metrics_worker_queue(int depth, int busy);

typedef enum {
	METRICS_DB_OPENED,   /* a connection came up */
	METRICS_DB_REOPENED, /* one came up where the previous one had been lost */
	METRICS_DB_LOST,     /* an open connection broke */
	METRICS_DB_CLOSED,   /* an open connection was closed on purpose */
	METRICS_DB_FAILED,   /* a connection attempt failed */
} metrics_db_event;

/* From store/db.c, for every connection of the process (workers, dispatcher,
 * scheduler, cron locks): the open-connections gauge and its counters. */
void metrics_db_connection(metrics_db_event ev);
/* n webhook delivery attempts ended with result: delivered, retry (will be
 * tried again), failed (given up), unknown (the sender died or lost its
 * lease mid-attempt), lost (sent, but the outcome could not be recorded). */
void metrics_webhook_deliveries(const char *result, long n);
/* One cron run that ended: outcome succeeded, failed, replayed (already done
 * today) or error (could not run or be recorded). */
void metrics_cron_run(const char *job, const char *outcome);

/* What only the database knows, counted when /metrics is scraped rather than
 * tracked on every write. A negative value (the query failed) leaves the
 * series out of that scrape. */
typedef struct {
	long webhook_pending; /* time_webhook_deliveries still pending */
	long email_pending;   /* email_outbox rows still pending */
} metrics_scrape;

/* The whole exposition text (malloc'd, NUL-terminated; the caller frees it);
 * *len is its length. scrape may be NULL. Never NULL: aborts on OOM. */
char *metrics_render(const metrics_scrape *scrape, size_t *len);

#endif
