/* Unit tests for src/util/metrics.c: the exposition text, histogram buckets,
 * bounded tables and concurrent counting. Criterion runs each test in a
 * process of its own, so every test starts from zero. */
#include <criterion/criterion.h>
#include <math.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/metrics.h"

static char *render(const metrics_scrape *s)
{
	size_t len = 0;
	char *text = metrics_render(s, &len);
	cr_assert(text);
	cr_assert_eq(strlen(text), len);
	return text;
}

/* The value of the sample line that starts with series (name and labels
 * exactly as rendered); -1 when there is none. */
static double sample(const char *text, const char *series)
{
	size_t n = strlen(series);
	for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		if (!strncmp(line, series, n) && line[n] == ' ')
			return strtod(line + n + 1, NULL);
	return -1;
}

/* Sample lines whose text starts with prefix, and the sum of their values. */
static int lines_with(const char *text, const char *prefix, double *sum)
{
	int n = 0;
	*sum = 0;
	size_t pl = strlen(prefix);
	for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		if (!strncmp(line, prefix, pl)) {
			n++;
			*sum += strtod(strchr(line, ' ') + 1, NULL);
		}
	return n;
}

/* Every line is a HELP, a TYPE or a well-formed sample; the text ends in a newline. */
static void check_syntax(const char *text)
{
	regex_t sample_re, meta_re;
	cr_assert_eq(regcomp(&sample_re,
			     "^[a-zA-Z_:][a-zA-Z0-9_:]*"
			     "(\\{[a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\]|\\\\.)*\"(,[a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\]|\\\\.)*\")*\\})?"
			     " (-?[0-9]+(\\.[0-9]+)?|\\+Inf|-Inf|NaN)$",
			     REG_EXTENDED | REG_NOSUB),
		     0);
	cr_assert_eq(regcomp(&meta_re, "^# (HELP [a-zA-Z_:][a-zA-Z0-9_:]* .+|TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram))$",
			     REG_EXTENDED | REG_NOSUB),
		     0);
	cr_assert(strlen(text) > 0 && text[strlen(text) - 1] == '\n', "the text ends with a newline");
	char *copy = strdup(text), *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		regex_t *re = line[0] == '#' ? &meta_re : &sample_re;
		cr_assert_eq(regexec(re, line, 0, NULL, 0), 0, "malformed line: %s", line);
	}
	free(copy);
	regfree(&sample_re);
	regfree(&meta_re);
}

Test(metrics, empty_render_names_every_family)
{
	char *t = render(NULL);
	check_syntax(t);
	static const char *const types[] = {
		"# TYPE workestra_http_requests_total counter\n",
		"# TYPE workestra_http_request_duration_seconds histogram\n",
		"# TYPE workestra_http_rejected_total counter\n",
		"# TYPE workestra_http_connections_open gauge\n",
		"# TYPE workestra_http_connections_reading_headers gauge\n",
		"# TYPE workestra_worker_queue_depth gauge\n",
		"# TYPE workestra_workers_busy gauge\n",
		"# TYPE workestra_db_connections gauge\n",
		"# TYPE workestra_db_connections_lost_total counter\n",
		"# TYPE workestra_db_reconnects_total counter\n",
		"# TYPE workestra_db_connect_failures_total counter\n",
		"# TYPE workestra_webhook_deliveries_total counter\n",
		"# TYPE workestra_outbox_pending gauge\n",
		"# TYPE workestra_cron_runs_total counter\n",
	};
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		cr_assert(strstr(t, types[i]), "missing %s", types[i]);
	cr_assert_eq(sample(t, "workestra_db_connections"), 0);
	cr_assert_null(strstr(t, "workestra_outbox_pending{"), "no backlog without a scrape");
	free(t);
}

Test(metrics, request_counters_by_method_route_status)
{
	metrics_http_request("GET", "/api/v1/time-entries/{}", 200, 0.003);
	metrics_http_request("GET", "/api/v1/time-entries/{}", 200, 0.004);
	metrics_http_request("GET", "/api/v1/time-entries/{}", 404, 0.001);
	metrics_http_request("POST", "/api/v1/time-entries", 201, 0.02);
	metrics_http_request("GET", NULL, 404, 0.0001);
	metrics_http_request("BREW", "/coffee", 418, 0.0001);
	metrics_http_request("GET", "/healthz", 42, 0.0001);
	char *t = render(NULL);
	check_syntax(t);
	cr_assert_eq(sample(t, "workestra_http_requests_total{method=\"GET\",route=\"/api/v1/time-entries/{}\",status=\"200\"}"), 2);
	cr_assert_eq(sample(t, "workestra_http_requests_total{method=\"GET\",route=\"/api/v1/time-entries/{}\",status=\"404\"}"), 1);
	cr_assert_eq(sample(t, "workestra_http_requests_total{method=\"POST\",route=\"/api/v1/time-entries\",status=\"201\"}"), 1);
	cr_assert_eq(sample(t, "workestra_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"}"), 1,
		     "a NULL route counts as unmatched");
	cr_assert_eq(sample(t, "workestra_http_requests_total{method=\"other\",route=\"/coffee\",status=\"418\"}"), 1,
		     "an unknown method counts as other");
	cr_assert_eq(sample(t, "workestra_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"other\"}"), 1,
		     "an impossible status counts as other");
	/* One histogram per (method, route), whatever the status. */
	cr_assert_eq(sample(t, "workestra_http_request_duration_seconds_count{method=\"GET\",route=\"/api/v1/time-entries/{}\"}"), 3);
	free(t);
}

Test(metrics, histogram_buckets_are_cumulative_and_inclusive)
{
	const char *r = "/h";
	double values[] = { 0.0005, 0.001 /* on a bound: counts in it */, 0.0011, 0.005, 0.3, 11, -1, NAN };
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
		metrics_http_request("GET", r, 200, values[i]);
	char *t = render(NULL);
	check_syntax(t);
	static const struct {
		const char *le;
		double want;
	} b[] = { { "0.001", 4 }, { "0.0025", 5 }, { "0.005", 6 }, { "0.01", 6 }, { "0.025", 6 },
		  { "0.05", 6 },  { "0.1", 6 },    { "0.25", 6 },  { "0.5", 7 },  { "1", 7 },
		  { "2.5", 7 },   { "5", 7 },      { "10", 7 },    { "+Inf", 8 } };
	char series[200];
	for (size_t i = 0; i < sizeof b / sizeof b[0]; i++) {
		snprintf(series, sizeof series, "workestra_http_request_duration_seconds_bucket{method=\"GET\",route=\"/h\",le=\"%s\"}",
			 b[i].le);
		cr_assert_eq(sample(t, series), b[i].want, "%s: want %g, got %g", b[i].le, b[i].want, sample(t, series));
	}
	cr_assert_eq(sample(t, "workestra_http_request_duration_seconds_count{method=\"GET\",route=\"/h\"}"), 8);
	/* Negative and NaN durations add 0; the sum is exact to the nanosecond. */
	cr_assert(strstr(t, "workestra_http_request_duration_seconds_sum{method=\"GET\",route=\"/h\"} 11.307600000\n"), "%s", t);
	free(t);
}

Test(metrics, label_values_are_escaped)
{
	metrics_http_request("GET", "/a\"b\\c\nd", 200, 0.001);
	char *t = render(NULL);
	check_syntax(t);
	cr_assert(strstr(t, "workestra_http_requests_total{method=\"GET\",route=\"/a\\\"b\\\\c\\nd\",status=\"200\"} 1\n"), "%s", t);
	free(t);
}

Test(metrics, a_full_table_counts_under_other)
{
	enum { N = 1000 };
	char route[64];
	for (int i = 0; i < N; i++) {
		snprintf(route, sizeof route, "/raw/path/%d", i);
		metrics_http_request("GET", route, 200, 0.01);
	}
	char *t = render(NULL);
	check_syntax(t);
	double sum;
	int series = lines_with(t, "workestra_http_requests_total{", &sum);
	cr_assert_eq(sum, N, "every request is counted somewhere");
	cr_assert_leq(series, METRICS_HTTP_SERIES_MAX, "the table does not grow");
	double other = sample(t, "workestra_http_requests_total{method=\"GET\",route=\"other\",status=\"200\"}");
	cr_assert_eq(other, N - (series - 1), "the rest is under route=\"other\" (%g)", other);
	int hists = lines_with(t, "workestra_http_request_duration_seconds_count{", &sum);
	cr_assert_eq(sum, N);
	cr_assert_leq(hists, METRICS_HTTP_ROUTES_MAX);
	cr_assert_gt(sample(t, "workestra_http_request_duration_seconds_count{method=\"GET\",route=\"other\"}"), 0);
	/* A route too long to be a pattern is "other" at once. */
	char long_route[METRICS_LABEL_MAX + 10];
	memset(long_route, 'x', sizeof long_route - 1);
	long_route[sizeof long_route - 1] = '\0';
	metrics_http_request("GET", long_route, 200, 0.01);
	free(t);
	t = render(NULL);
	cr_assert_eq(sample(t, "workestra_http_requests_total{method=\"GET\",route=\"other\",status=\"200\"}"), other + 1);
	free(t);
}

Test(metrics, even_the_overflow_is_bounded)
{
	/* Distinct methods and statuses as well: the "other" series themselves
	 * run out, and the rest lands in the one series with every label other. */
	static const char *const methods[] = { "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "BREW" };
	enum { N = 5000 };
	char route[64];
	for (int i = 0; i < N; i++) {
		snprintf(route, sizeof route, "/r/%d", i);
		metrics_http_request(methods[i % 8], route, 100 + i % 500, 0.01);
	}
	metrics_http_rejected("per_ip_limit");
	for (int i = 0; i < 40; i++) {
		snprintf(route, sizeof route, "reason-%d", i);
		metrics_http_rejected(route);
	}
	char *t = render(NULL);
	check_syntax(t);
	double sum;
	int series = lines_with(t, "workestra_http_requests_total{", &sum);
	cr_assert_eq(sum, N);
	cr_assert_leq(series, METRICS_HTTP_SERIES_MAX + 1);
	cr_assert_gt(sample(t, "workestra_http_requests_total{method=\"other\",route=\"other\",status=\"other\"}"), 0);
	series = lines_with(t, "workestra_http_rejected_total{", &sum);
	cr_assert_eq(sum, 41);
	cr_assert_leq(series, 17);
	cr_assert_eq(sample(t, "workestra_http_rejected_total{reason=\"per_ip_limit\"}"), 1);
	cr_assert_gt(sample(t, "workestra_http_rejected_total{reason=\"other\"}"), 0);
	free(t);
}

enum { THREADS = 8, ITERATIONS = 20000 };

static void *hammer(void *arg)
{
	int id = (int)(long)arg;
	char route[32];
	for (int i = 0; i < ITERATIONS; i++) {
		/* New series appear while other threads count existing ones. */
		snprintf(route, sizeof route, "/r/%d", (i + id) % 50);
		metrics_http_request(i % 2 ? "GET" : "POST", route, 200, 0.002);
		metrics_webhook_deliveries(i % 3 ? "delivered" : "retry", 1);
		metrics_cron_run("time-weekly-digest", "succeeded");
		metrics_db_connection(METRICS_DB_OPENED);
		metrics_db_connection(METRICS_DB_CLOSED);
	}
	return NULL;
}

Test(metrics, concurrent_increments_add_up)
{
	pthread_t t[THREADS];
	for (long i = 0; i < THREADS; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, hammer, (void *)i), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	char *text = render(NULL);
	check_syntax(text);
	double sum;
	int series = lines_with(text, "workestra_http_requests_total{", &sum);
	cr_assert_eq(series, 100, "50 routes x 2 methods, each once");
	cr_assert_eq(sum, THREADS * ITERATIONS);
	lines_with(text, "workestra_http_request_duration_seconds_count{", &sum);
	cr_assert_eq(sum, THREADS * ITERATIONS);
	lines_with(text, "workestra_http_request_duration_seconds_bucket{method=\"GET\",route=\"/r/7\",le=\"0.0025\"}", &sum);
	cr_assert_eq(sum, sample(text, "workestra_http_request_duration_seconds_count{method=\"GET\",route=\"/r/7\"}"));
	lines_with(text, "workestra_webhook_deliveries_total{", &sum);
	cr_assert_eq(sum, THREADS * ITERATIONS);
	cr_assert_eq(sample(text, "workestra_cron_runs_total{job=\"time-weekly-digest\",outcome=\"succeeded\"}"),
		     THREADS * ITERATIONS);
	cr_assert_eq(sample(text, "workestra_db_connections"), 0);
	free(text);
}

Test(metrics, gauges_db_events_and_backlog)
{
	metrics_http_connections(7, 2);
	metrics_worker_queue(3, 4);
	metrics_db_connection(METRICS_DB_OPENED);
	metrics_db_connection(METRICS_DB_OPENED);
	metrics_db_connection(METRICS_DB_LOST);
	metrics_db_connection(METRICS_DB_FAILED);
	metrics_db_connection(METRICS_DB_REOPENED);
	metrics_db_connection(METRICS_DB_CLOSED);
	metrics_webhook_deliveries("delivered", 1);
	metrics_webhook_deliveries("unknown", 3);
	metrics_webhook_deliveries("failed", 0);
	metrics_webhook_deliveries(NULL, 1);
	metrics_cron_run("time-budget-alerts", "replayed");
	metrics_scrape s = { .webhook_pending = 12, .email_pending = -1 };
	char *t = render(&s);
	check_syntax(t);
	cr_assert_eq(sample(t, "workestra_http_connections_open"), 7);
	cr_assert_eq(sample(t, "workestra_http_connections_reading_headers"), 2);
	cr_assert_eq(sample(t, "workestra_worker_queue_depth"), 3);
	cr_assert_eq(sample(t, "workestra_workers_busy"), 4);
	cr_assert_eq(sample(t, "workestra_db_connections"), 1);
	cr_assert_eq(sample(t, "workestra_db_connections_lost_total"), 1);
	cr_assert_eq(sample(t, "workestra_db_reconnects_total"), 1);
	cr_assert_eq(sample(t, "workestra_db_connect_failures_total"), 1);
	cr_assert_eq(sample(t, "workestra_webhook_deliveries_total{result=\"delivered\"}"), 1);
	cr_assert_eq(sample(t, "workestra_webhook_deliveries_total{result=\"unknown\"}"), 3);
	cr_assert_eq(sample(t, "workestra_webhook_deliveries_total{result=\"failed\"}"), -1, "nothing counted, no series");
	cr_assert_eq(sample(t, "workestra_webhook_deliveries_total{result=\"other\"}"), 1);
	cr_assert_eq(sample(t, "workestra_cron_runs_total{job=\"time-budget-alerts\",outcome=\"replayed\"}"), 1);
	cr_assert_eq(sample(t, "workestra_outbox_pending{outbox=\"webhook\"}"), 12);
	cr_assert_eq(sample(t, "workestra_outbox_pending{outbox=\"email\"}"), -1, "an unknown backlog is left out");
	free(t);
}
