#include "util/metrics.h"
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	KEY_MAX = 160,               /* a series' label values, each ended by '\0' */
	MAX_LABELS = 3,
	NBUCKETS = 13,
	HIST_VALUES = NBUCKETS + 2,  /* per-bucket counts (not cumulative), +Inf, the sum in ns */
};

/* Upper bounds (le, inclusive) of the latency buckets, as numbers and as printed. */
static const double BUCKETS[NBUCKETS] = { .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10 };
static const char *const BUCKET_TEXT[NBUCKETS] = { "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1",
						   "0.25",  "0.5",    "1",     "2.5",  "5",     "10" };

/* A labelled family: an open-addressing table from label values to series.
 * Series are only ever added (in first-seen order, which is also the order
 * they are rendered in), so a reader that finds a published slot can use it
 * without the lock. */
typedef struct {
	const char *name, *help;
	bool histogram;
	int nlabels;
	const char *labels[MAX_LABELS];
	int wide;                       /* the open-ended label, "other" on overflow */
	int cap;                        /* series, the catch-all apart */
	int nslots;                     /* 2 * cap: a probe always meets an empty slot */
	atomic_int *slots;              /* 0: empty; else series index + 1, set once its key is written */
	char (*keys)[KEY_MAX];
	unsigned short *keylens;
	atomic_uint_least64_t *values;  /* per series, the catch-all last: 1 value, or HIST_VALUES */
	atomic_int used;                /* series taken */
	pthread_mutex_t lock;           /* held to add a series */
} family;

#define STORAGE(id, n, nv)                                                                                   \
	static atomic_int id##_slots[2 * (n)];                                                               \
	static char id##_keys[n][KEY_MAX];                                                                   \
	static unsigned short id##_keylens[n];                                                               \
	static atomic_uint_least64_t id##_values[((n) + 1) * (nv)]
#define TABLES(id, n)                                                                                        \
	.cap = (n), .nslots = 2 * (n), .slots = id##_slots, .keys = id##_keys, .keylens = id##_keylens,      \
	.values = id##_values, .lock = PTHREAD_MUTEX_INITIALIZER

enum { REJECT_MAX = 16, DELIVERY_MAX = 8, CRON_MAX = 64 };

STORAGE(requests, METRICS_HTTP_SERIES_MAX, 1);
STORAGE(durations, METRICS_HTTP_ROUTES_MAX, HIST_VALUES);
STORAGE(rejects, REJECT_MAX, 1);
STORAGE(deliveries, DELIVERY_MAX, 1);
STORAGE(crons, CRON_MAX, 1);

static family http_requests = {
	"workestra_http_requests_total", "HTTP requests answered, by method, route pattern and status.",
	false, 3, { "method", "route", "status" }, 1, TABLES(requests, METRICS_HTTP_SERIES_MAX),
};
static family http_durations = {
	"workestra_http_request_duration_seconds", "Time to answer an HTTP request, by method and route pattern.",
	true, 2, { "method", "route" }, 1, TABLES(durations, METRICS_HTTP_ROUTES_MAX),
};
static family http_rejects = {
	"workestra_http_rejected_total", "Connections or requests the transport refused, by reason.",
	false, 1, { "reason" }, 0, TABLES(rejects, REJECT_MAX),
};
static family webhook_deliveries = {
	"workestra_webhook_deliveries_total", "Webhook delivery attempts, by result.",
	false, 1, { "result" }, 0, TABLES(deliveries, DELIVERY_MAX),
};
static family cron_runs = {
	"workestra_cron_runs_total", "Cron job runs that ended, by job and outcome.",
	false, 2, { "job", "outcome" }, 0, TABLES(crons, CRON_MAX),
};

static atomic_int http_open, http_reading, queue_depth, workers_busy;
static atomic_long db_open;
static atomic_uint_least64_t db_lost, db_reopened, db_failed;

/* ---- series lookup ---- */

/* FNV-1a: short keys, no adversary (label values come from our own tables). */
static uint32_t hash(const char *key, size_t len)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)key[i]) * 16777619u;
	return h;
}

/* Joins the label values into key; false when they do not fit. */
static bool make_key(const family *f, const char *const *values, char key[KEY_MAX], size_t *len)
{
	size_t n = 0;
	for (int i = 0; i < f->nlabels; i++) {
		size_t l = strlen(values[i]);
		if (l >= METRICS_LABEL_MAX || n + l + 1 > KEY_MAX)
			return false;
		memcpy(key + n, values[i], l + 1);
		n += l + 1;
	}
	*len = n;
	return true;
}

static bool key_is(const family *f, int i, const char *key, size_t len)
{
	return f->keylens[i] == len && !memcmp(f->keys[i], key, len);
}

/* The series of key, added when new while fewer than limit are taken; -1 when full. */
static int series_find(family *f, const char *key, size_t len, int limit)
{
	uint32_t start = hash(key, len) % (uint32_t)f->nslots;
	for (uint32_t p = start;; p = (p + 1) % (uint32_t)f->nslots) {
		int slot = atomic_load_explicit(&f->slots[p], memory_order_acquire);
		if (!slot)
			break;
		if (key_is(f, slot - 1, key, len))
			return slot - 1;
	}
	/* Probed again under the lock: another thread may have added it meanwhile. */
	pthread_mutex_lock(&f->lock);
	int found = -1;
	for (uint32_t p = start;; p = (p + 1) % (uint32_t)f->nslots) {
		int slot = atomic_load_explicit(&f->slots[p], memory_order_relaxed);
		if (slot) {
			if (!key_is(f, slot - 1, key, len))
				continue;
			found = slot - 1;
			break;
		}
		int used = atomic_load_explicit(&f->used, memory_order_relaxed);
		if (used < limit) {
			memcpy(f->keys[used], key, len);
			f->keylens[used] = (unsigned short)len;
			atomic_store_explicit(&f->used, used + 1, memory_order_release);
			atomic_store_explicit(&f->slots[p], used + 1, memory_order_release);
			found = used;
		}
		break;
	}
	pthread_mutex_unlock(&f->lock);
	return found;
}

/* The values of the series labelled values: its own while the table has
 * room (an eighth is kept for overflow), else its open-ended label's "other"
 * series, else the catch-all with every label "other". */
static atomic_uint_least64_t *series_values(family *f, const char *const *values)
{
	char key[KEY_MAX];
	size_t len;
	int i = -1;
	if (make_key(f, values, key, &len))
		i = series_find(f, key, len, f->cap - f->cap / 8);
	if (i < 0) {
		const char *other[MAX_LABELS];
		memcpy(other, values, sizeof other[0] * (size_t)f->nlabels);
		other[f->wide] = "other";
		if (make_key(f, other, key, &len))
			i = series_find(f, key, len, f->cap);
	}
	size_t nv = f->histogram ? HIST_VALUES : 1;
	return &f->values[(size_t)(i < 0 ? f->cap : i) * nv];
}

static void count(family *f, const char *const *values, uint_least64_t n)
{
	atomic_fetch_add_explicit(series_values(f, values), n, memory_order_relaxed);
}

/* ---- recording ---- */

static const char *method_label(const char *method)
{
	static const char *const KNOWN[] = { "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS" };
	for (size_t i = 0; method && i < sizeof KNOWN / sizeof KNOWN[0]; i++)
		if (!strcmp(method, KNOWN[i]))
			return KNOWN[i];
	return "other";
}

static const char *or_other(const char *s)
{
	return s ? s : "other";
}

void metrics_http_request(const char *method, const char *route, int status, double seconds)
{
	char code[8];
	if (status >= 100 && status <= 599)
		snprintf(code, sizeof code, "%d", status);
	else
		snprintf(code, sizeof code, "other");
	const char *m = method_label(method), *r = route ? route : "unmatched";
	count(&http_requests, (const char *const[]){ m, r, code }, 1);

	atomic_uint_least64_t *v = series_values(&http_durations, (const char *const[]){ m, r });
	if (!(seconds > 0)) /* NaN, or a negative time from a clock step */
		seconds = 0;
	int b = 0;
	while (b < NBUCKETS && seconds > BUCKETS[b])
		b++;
	atomic_fetch_add_explicit(&v[b], 1, memory_order_relaxed);
	/* The sum in whole nanoseconds: an integer adds atomically and exactly. */
	if (seconds > 1e9)
		seconds = 1e9;
	atomic_fetch_add_explicit(&v[NBUCKETS + 1], (uint_least64_t)(seconds * 1e9 + 0.5), memory_order_relaxed);
}

void metrics_http_connections(int open, int reading_headers)
{
	atomic_store_explicit(&http_open, open, memory_order_relaxed);
	atomic_store_explicit(&http_reading, reading_headers, memory_order_relaxed);
}

void metrics_http_rejected(const char *reason)
{
	count(&http_rejects, (const char *const[]){ or_other(reason) }, 1);
}

void metrics_worker_queue(int depth, int busy)
{
	atomic_store_explicit(&queue_depth, depth, memory_order_relaxed);
	atomic_store_explicit(&workers_busy, busy, memory_order_relaxed);
}

void metrics_db_connection(metrics_db_event ev)
{
	switch (ev) {
	case METRICS_DB_REOPENED:
		atomic_fetch_add_explicit(&db_reopened, 1, memory_order_relaxed);
		/* fall through */
	case METRICS_DB_OPENED:
		atomic_fetch_add_explicit(&db_open, 1, memory_order_relaxed);
		break;
	case METRICS_DB_LOST:
		atomic_fetch_add_explicit(&db_lost, 1, memory_order_relaxed);
		/* fall through */
	case METRICS_DB_CLOSED:
		atomic_fetch_sub_explicit(&db_open, 1, memory_order_relaxed);
		break;
	case METRICS_DB_FAILED:
		atomic_fetch_add_explicit(&db_failed, 1, memory_order_relaxed);
		break;
	}
}

void metrics_webhook_deliveries(const char *result, long n)
{
	if (n > 0)
		count(&webhook_deliveries, (const char *const[]){ or_other(result) }, (uint_least64_t)n);
}

void metrics_cron_run(const char *job, const char *outcome)
{
	count(&cron_runs, (const char *const[]){ or_other(job), or_other(outcome) }, 1);
}

/* ---- rendering ---- */

typedef struct {
	char *p;
	size_t len, cap;
} buf;

static void buf_reserve(buf *b, size_t more)
{
	if (b->len + more + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + more + 1)
		cap *= 2;
	if (!(b->p = realloc(b->p, cap)))
		abort();
	b->cap = cap;
}

static void buf_put(buf *b, const char *s, size_t n)
{
	buf_reserve(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void buf_puts(buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void buf_printf(buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	buf_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* A label value, escaped as the format asks: backslash, quote, newline. */
static void put_value(buf *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\')
			buf_puts(b, "\\\\");
		else if (*v == '"')
			buf_puts(b, "\\\"");
		else if (*v == '\n')
			buf_puts(b, "\\n");
		else
			buf_put(b, v, 1);
	}
}

static void put_header(buf *b, const char *name, const char *help, const char *type)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* {a="x",b="y"[,le="..."]}; key NULL: every label "other" (the catch-all). */
static void put_labels(buf *b, const family *f, const char *key, const char *le)
{
	buf_puts(b, "{");
	for (int i = 0; i < f->nlabels; i++) {
		buf_printf(b, "%s%s=\"", i ? "," : "", f->labels[i]);
		put_value(b, key ? key : "other");
		buf_puts(b, "\"");
		if (key)
			key += strlen(key) + 1;
	}
	if (le)
		buf_printf(b, "%sle=\"%s\"", f->nlabels ? "," : "", le);
	buf_puts(b, "}");
}

static void put_series(buf *b, const family *f, const char *key, atomic_uint_least64_t *v)
{
	if (!f->histogram) {
		buf_puts(b, f->name);
		put_labels(b, f, key, NULL);
		buf_printf(b, " %llu\n", (unsigned long long)atomic_load_explicit(v, memory_order_relaxed));
		return;
	}
	/* Buckets are stored apart and summed here, so +Inf and _count are the
	 * same number even while requests finish during the scrape. */
	unsigned long long cum = 0;
	for (int i = 0; i <= NBUCKETS; i++) {
		cum += atomic_load_explicit(&v[i], memory_order_relaxed);
		buf_printf(b, "%s_bucket", f->name);
		put_labels(b, f, key, i < NBUCKETS ? BUCKET_TEXT[i] : "+Inf");
		buf_printf(b, " %llu\n", cum);
	}
	unsigned long long ns = atomic_load_explicit(&v[NBUCKETS + 1], memory_order_relaxed);
	buf_printf(b, "%s_sum", f->name);
	put_labels(b, f, key, NULL);
	buf_printf(b, " %llu.%09llu\n", ns / 1000000000ull, ns % 1000000000ull);
	buf_printf(b, "%s_count", f->name);
	put_labels(b, f, key, NULL);
	buf_printf(b, " %llu\n", cum);
}

static void put_family(buf *b, family *f)
{
	put_header(b, f->name, f->help, f->histogram ? "histogram" : "counter");
	size_t nv = f->histogram ? HIST_VALUES : 1;
	int used = atomic_load_explicit(&f->used, memory_order_acquire);
	for (int i = 0; i < used; i++)
		put_series(b, f, f->keys[i], &f->values[(size_t)i * nv]);
	atomic_uint_least64_t *rest = &f->values[(size_t)f->cap * nv];
	bool any = false;
	for (size_t i = 0; i < (f->histogram ? (size_t)NBUCKETS + 1 : 1); i++)
		any |= atomic_load_explicit(&rest[i], memory_order_relaxed) > 0;
	if (any)
		put_series(b, f, NULL, rest);
}

static void put_gauge(buf *b, const char *name, const char *help, long value)
{
	put_header(b, name, help, "gauge");
	buf_printf(b, "%s %ld\n", name, value);
}

static void put_counter(buf *b, const char *name, const char *help, atomic_uint_least64_t *value)
{
	put_header(b, name, help, "counter");
	buf_printf(b, "%s %llu\n", name, (unsigned long long)atomic_load_explicit(value, memory_order_relaxed));
}

char *metrics_render(const metrics_scrape *scrape, size_t *len)
{
	buf b = { 0 };
	put_family(&b, &http_requests);
	put_family(&b, &http_durations);
	put_family(&b, &http_rejects);
	put_gauge(&b, "workestra_http_connections_open", "HTTP connections open.", atomic_load(&http_open));
	put_gauge(&b, "workestra_http_connections_reading_headers", "HTTP connections still reading request headers.",
		  atomic_load(&http_reading));
	put_gauge(&b, "workestra_worker_queue_depth", "Requests waiting for a worker thread.", atomic_load(&queue_depth));
	put_gauge(&b, "workestra_workers_busy", "Worker threads running a request.", atomic_load(&workers_busy));
	put_gauge(&b, "workestra_db_connections", "Database connections open in this process.", atomic_load(&db_open));
	put_counter(&b, "workestra_db_connections_lost_total", "Open database connections that broke.", &db_lost);
	put_counter(&b, "workestra_db_reconnects_total", "Database connections opened again after one was lost.",
		    &db_reopened);
	put_counter(&b, "workestra_db_connect_failures_total", "Database connection attempts that failed.", &db_failed);
	put_family(&b, &webhook_deliveries);
	put_header(&b, "workestra_outbox_pending", "Outbox rows waiting to be sent, counted at scrape time.", "gauge");
	if (scrape && scrape->webhook_pending >= 0)
		buf_printf(&b, "workestra_outbox_pending{outbox=\"webhook\"} %ld\n", scrape->webhook_pending);
	if (scrape && scrape->email_pending >= 0)
		buf_printf(&b, "workestra_outbox_pending{outbox=\"email\"} %ld\n", scrape->email_pending);
	put_family(&b, &cron_runs);
	*len = b.len;
	return b.p;
}
