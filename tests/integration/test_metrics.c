/* GET /metrics end to end: off by default (the shared serve answers 404);
 * on with METRICS=on, checked against a serve of the test's own on a
 * database of its own, so every count is exact: no other dispatcher delivers
 * there and no other test runs its crons there. Each scrape is run through a
 * small checker of the text format (0.0.4) before anything is read from it. */
#include "harness.h"
#include "receiver.h"
#include <criterion/criterion.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MT_APP "wt_metrics_test" /* application_name of the serve's connections */

static const char *const MT_CRON_AUTH[] = { "Authorization: Bearer " HARNESS_CRON_SECRET, NULL };

/* ---- a tiny checker of the exposition format ---- */

typedef struct {
	char name[64];
	char value[256];
} mt_label;

typedef struct {
	char name[128];
	mt_label labels[8];
	int nlabels;
	double value;
} mt_sample;

/* Parses one sample line; fails the test (naming the line) when it is malformed. */
static void mt_parse_sample(const char *line, mt_sample *s)
{
	memset(s, 0, sizeof *s);
	const char *p = line;
	size_t n = 0;
	cr_assert(isalpha((unsigned char)*p) || *p == '_' || *p == ':', "bad metric name: %s", line);
	while (isalnum((unsigned char)*p) || *p == '_' || *p == ':') {
		cr_assert_lt(n, sizeof s->name - 1, "name too long: %s", line);
		s->name[n++] = *p++;
	}
	if (*p == '{') {
		p++;
		while (*p != '}') {
			cr_assert_lt(s->nlabels, 8, "too many labels: %s", line);
			mt_label *l = &s->labels[s->nlabels++];
			n = 0;
			cr_assert(isalpha((unsigned char)*p) || *p == '_', "bad label name: %s", line);
			while (isalnum((unsigned char)*p) || *p == '_')
				l->name[n++] = *p++;
			for (int i = 0; i < s->nlabels - 1; i++)
				cr_assert_str_neq(s->labels[i].name, l->name, "label %s twice: %s", l->name, line);
			cr_assert(p[0] == '=' && p[1] == '"', "expected =\" after a label name: %s", line);
			p += 2;
			n = 0;
			while (*p != '"') {
				cr_assert(*p && *p != '\n', "unterminated label value: %s", line);
				char c = *p++;
				if (c == '\\') {
					cr_assert(*p == '\\' || *p == '"' || *p == 'n', "bad escape in a label value: %s", line);
					c = *p == 'n' ? '\n' : *p;
					p++;
				}
				cr_assert_lt(n, sizeof l->value - 1);
				l->value[n++] = c;
			}
			p++;
			cr_assert(*p == ',' || *p == '}', "expected , or } after a label: %s", line);
			if (*p == ',')
				p++;
		}
		p++;
	}
	cr_assert(*p == ' ', "expected one space before the value: %s", line);
	p++;
	if (!strcmp(p, "+Inf") || !strcmp(p, "-Inf") || !strcmp(p, "NaN"))
		return;
	char *end;
	s->value = strtod(p, &end);
	cr_assert(end != p && *end == '\0', "bad value (or a timestamp we never send): %s", line);
}

static const char *mt_label_of(const mt_sample *s, const char *name)
{
	for (int i = 0; i < s->nlabels; i++)
		if (!strcmp(s->labels[i].name, name))
			return s->labels[i].value;
	return NULL;
}

/* The labels other than le, as one comparable string. */
static void mt_series_key(const mt_sample *s, char *out, size_t len)
{
	size_t n = 0;
	out[0] = '\0';
	for (int i = 0; i < s->nlabels && n < len; i++)
		if (strcmp(s->labels[i].name, "le"))
			n += (size_t)snprintf(out + n, len - n, "%s=%s\x1f", s->labels[i].name, s->labels[i].value);
}

/* Checks the whole text: every line a HELP, a TYPE or a sample; one TYPE per
 * family, before its samples; samples named after their family (counters
 * end in _total; histograms as _bucket with le, _sum, _count); no sample
 * twice; buckets cumulative up to +Inf, which equals _count. */
static void mt_check_format(const char *text)
{
	size_t tl = strlen(text);
	cr_assert(tl > 0 && text[tl - 1] == '\n', "the text ends with a newline");
	char *copy = strdup(text), *save = NULL;
	static char seen_types[64][128], seen_lines[1024][256];
	char family[128] = "", type[256] = "";
	int ntypes = 0, nlines = 0;
	char bucket_key[512] = "", inf_key[512] = "";
	double last_bucket = 0, inf_value = -1;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#') {
			char name[128], rest[256];
			if (sscanf(line, "# HELP %127s %255[^\n]", name, rest) == 2)
				continue;
			cr_assert_eq(sscanf(line, "# TYPE %127s %15s", name, rest), 2, "bad comment line: %s", line);
			cr_assert(!strcmp(rest, "counter") || !strcmp(rest, "gauge") || !strcmp(rest, "histogram"),
				  "unknown type: %s", line);
			for (int i = 0; i < ntypes; i++)
				cr_assert_str_neq(seen_types[i], name, "family %s typed twice", name);
			cr_assert_lt(ntypes, 64);
			snprintf(seen_types[ntypes++], sizeof seen_types[0], "%s", name);
			snprintf(family, sizeof family, "%s", name);
			snprintf(type, sizeof type, "%s", rest);
			if (!strcmp(type, "counter"))
				cr_assert(strlen(name) > 6 && !strcmp(name + strlen(name) - 6, "_total"), "counter %s", name);
			bucket_key[0] = inf_key[0] = '\0';
			continue;
		}
		mt_sample s;
		mt_parse_sample(line, &s);
		cr_assert(family[0], "a sample before any TYPE: %s", line);
		for (int i = 0; i < nlines; i++)
			cr_assert(strncmp(seen_lines[i], line, strcspn(line, " ")) || seen_lines[i][strcspn(line, " ")] != ' ',
				  "sample twice: %s", line);
		cr_assert_lt(nlines, 1024);
		snprintf(seen_lines[nlines++], sizeof seen_lines[0], "%s", line);
		char key[512];
		mt_series_key(&s, key, sizeof key);
		size_t fl = strlen(family);
		if (strcmp(type, "histogram")) {
			cr_assert_str_eq(s.name, family, "sample outside its family %s: %s", family, line);
			continue;
		}
		cr_assert(!strncmp(s.name, family, fl), "sample outside its family %s: %s", family, line);
		const char *suffix = s.name + fl;
		if (!strcmp(suffix, "_bucket")) {
			const char *le = mt_label_of(&s, "le");
			cr_assert(le, "a bucket without le: %s", line);
			if (strcmp(key, bucket_key)) {
				snprintf(bucket_key, sizeof bucket_key, "%s", key);
				last_bucket = 0;
			}
			cr_assert_geq(s.value, last_bucket, "buckets are cumulative: %s", line);
			last_bucket = s.value;
			if (!strcmp(le, "+Inf")) {
				snprintf(inf_key, sizeof inf_key, "%s", key);
				inf_value = s.value;
			}
		} else if (!strcmp(suffix, "_count")) {
			cr_assert_str_eq(inf_key, key, "_count without a +Inf bucket just before: %s", line);
			cr_assert_eq(s.value, inf_value, "_count equals the +Inf bucket: %s", line);
		} else {
			cr_assert_str_eq(suffix, "_sum", "sample outside its family %s: %s", family, line);
			cr_assert_geq(s.value, 0);
		}
	}
	free(copy);
}

/* The value of the sample whose name and labels read exactly series; -1 when absent. */
static double mt_value(const char *text, const char *series)
{
	size_t n = strlen(series);
	for (const char *line = text; line && *line;) {
		if (!strncmp(line, series, n) && line[n] == ' ')
			return strtod(line + n + 1, NULL);
		line = strchr(line, '\n');
		line = line ? line + 1 : NULL;
	}
	return -1;
}

/* A value that must be there. */
static double mt_must(const char *text, const char *series)
{
	double v = mt_value(text, series);
	cr_assert_geq(v, 0, "%s is missing from the scrape:\n%s", series, text);
	return v;
}

/* ---- a serve of the test's own ---- */

typedef struct {
	int pid;
	char base[64];
	char db[64];
} mt_serve;

static void mt_quiet(void *arg, const char *msg)
{
	(void)arg, (void)msg;
}

static void mt_admin_sql(const char *stmt)
{
	PGconn *c = PQconnectdb(getenv("WT_METRICS_ADMIN_URL") ? getenv("WT_METRICS_ADMIN_URL") : getenv("DATABASE_URL"));
	cr_assert(PQstatus(c) == CONNECTION_OK, "database: %s", PQerrorMessage(c));
	PQsetNoticeProcessor(c, mt_quiet, NULL);
	PGresult *r = PQexec(c, stmt);
	cr_assert(PQresultStatus(r) == PGRES_COMMAND_OK, "%s: %s", stmt, PQresultErrorMessage(r));
	PQclear(r);
	PQfinish(c);
}

/* A fresh database (DATABASE_URL points there from now on, for the CLI and
 * harness_sql too) and a serve on it with METRICS=on and one worker, which
 * REST calls go to from now on. */
static void mt_start(mt_serve *s)
{
	setenv("WT_METRICS_ADMIN_URL", getenv("DATABASE_URL"), 0);
	snprintf(s->db, sizeof s->db, "metrics_%d", (int)getpid());
	char stmt[128], url[1024], log[128];
	snprintf(stmt, sizeof stmt, "DROP DATABASE IF EXISTS %s", s->db);
	mt_admin_sql(stmt);
	snprintf(stmt, sizeof stmt, "CREATE DATABASE %s", s->db);
	mt_admin_sql(stmt);
	snprintf(url, sizeof url, "%s dbname=%s", getenv("WT_METRICS_ADMIN_URL"), s->db);
	setenv("DATABASE_URL", url, 1);
	json_t *m = harness_cli("migrate", NULL);
	cr_assert(m, "migrate on the test's database failed");
	json_decref(m);
	static const char *const env[] = { "METRICS=on", "WORKERS=1", "WEBHOOK_ALLOW_PRIVATE=1", "PGAPPNAME=" MT_APP, NULL };
	snprintf(log, sizeof log, "build/serve-metrics-%d.log", (int)getpid());
	s->pid = harness_spawn_serve(env, log, s->base);
	cr_assert(s->pid > 0, "the metrics serve did not start (log %s)", log);
	setenv("WT_BASE_URL", s->base, 1);
}

static void mt_stop(mt_serve *s)
{
	cr_assert_eq(harness_stop_serve(s->pid), 0, "serve exits cleanly");
	char stmt[128];
	snprintf(stmt, sizeof stmt, "DROP DATABASE IF EXISTS %s WITH (FORCE)", s->db); /* harness_sql's connection */
	mt_admin_sql(stmt);
}

/* Terminates the serve's connections and waits until they are gone. */
static void mt_kill_connections(void)
{
	PGresult *r = harness_sql("SELECT string_agg(pid::text, ',') FROM pg_stat_activity WHERE application_name = $1", 1,
				  MT_APP);
	char *pids = strdup(PQgetisnull(r, 0, 0) ? "" : PQgetvalue(r, 0, 0));
	PQclear(r);
	cr_assert(*pids, "the serve has connections");
	PQclear(harness_sql("SELECT pg_terminate_backend(pid) FROM unnest(string_to_array($1, ',')::int[]) pid", 1, pids));
	long left = 1;
	for (int i = 0; i < 100 && left; i++) {
		left = harness_sql_long("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(string_to_array($1, ',')::int[])",
					1, pids);
		if (left)
			usleep(50 * 1000);
	}
	cr_assert_eq(left, 0, "the terminated backends exited");
	free(pids);
}

/* GET /metrics, checked: 200, the exposition content type, a well-formed
 * text. Returns the text (malloc'd). */
static char *mt_scrape(const char *base)
{
	harness_response r = harness_request_at(base, "GET", "/metrics", NULL, NULL, NULL);
	cr_assert_eq(r.status, 200, "GET /metrics: %ld %s", r.status, r.body);
	char *ct = harness_header(&r, "content-type");
	cr_assert_str_eq(ct ? ct : "", "text/plain; version=0.0.4; charset=utf-8");
	free(ct);
	mt_check_format(r.body);
	char *text = strdup(r.body);
	harness_response_free(&r);
	return text;
}

static long mt_cron(const char *base, const char *job)
{
	char path[128];
	snprintf(path, sizeof path, "/api/cron/%s", job);
	harness_response r = harness_request_at(base, "POST", path, NULL, NULL, MT_CRON_AUTH);
	long st = r.status;
	harness_response_free(&r);
	return st;
}

/* ---- the tests ---- */

Test(metrics, off_by_default_is_an_unknown_path)
{
	harness_response m = harness_request("GET", "/metrics", NULL, NULL, NULL);
	harness_response other = harness_request("GET", "/no-such-endpoint", NULL, NULL, NULL);
	cr_assert_eq(m.status, 404);
	cr_assert_str_eq(harness_error_code(&m), "not_found");
	cr_assert_str_eq(m.body, other.body, "the same answer as any unknown path");
	harness_response_free(&m);
	harness_response_free(&other);
}

Test(metrics, scrape_counts_crons_deliveries_backlog_and_connections, .timeout = 120)
{
	mt_serve s;
	mt_start(&s);
	char *t = mt_scrape(s.base);
	cr_assert_eq(mt_must(t, "workestra_outbox_pending{outbox=\"webhook\"}"), 0);
	cr_assert_eq(mt_must(t, "workestra_outbox_pending{outbox=\"email\"}"), 0);
	cr_assert_geq(mt_must(t, "workestra_db_connections"), 1, "the scraping worker's connection at least");
	free(t);

	/* Crons: a daily job runs once and then replays; the drain runs every
	 * time; an unknown job is refused and never becomes a label. */
	cr_assert_eq(mt_cron(s.base, "time-budget-alerts"), 200);
	cr_assert_eq(mt_cron(s.base, "time-budget-alerts"), 200);
	cr_assert_eq(mt_cron(s.base, "deliver-time-webhooks"), 200);
	cr_assert_eq(mt_cron(s.base, "no-such-job"), 404);
	t = mt_scrape(s.base);
	cr_assert_eq(mt_must(t, "workestra_cron_runs_total{job=\"time-budget-alerts\",outcome=\"succeeded\"}"), 1);
	cr_assert_eq(mt_must(t, "workestra_cron_runs_total{job=\"time-budget-alerts\",outcome=\"replayed\"}"), 1);
	cr_assert_eq(mt_must(t, "workestra_cron_runs_total{job=\"deliver-time-webhooks\",outcome=\"succeeded\"}"), 1);
	cr_assert_null(strstr(t, "no-such-job"));
	/* The cron's lock connections were closed again: one worker, one dispatcher at most. */
	cr_assert_leq(mt_must(t, "workestra_db_connections"), 2);
	free(t);

	/* Deliveries: one receiver answers 200, the other 500 (retried later,
	 * so it stays in the backlog); the other's test event fails outright. */
	harness_ws w;
	harness_workspace(&w, "pro", "projects");
	receiver_t *rx = receiver_start();
	receiver_script(rx, "/bad", "500");
	char *ok_url = receiver_url(rx, "/ok"), *bad_url = receiver_url(rx, "/bad");
	json_t *ok = harness_call(201, w.admin_tok, "POST", "/api/v1/time/webhooks",
				  "{\"url\":\"%s\",\"events\":[\"time_entry.created\"]}", ok_url);
	json_t *bad = harness_call(201, w.admin_tok, "POST", "/api/v1/time/webhooks",
				   "{\"url\":\"%s\",\"events\":[\"time_entry.created\"]}", bad_url);
	json_decref(harness_call(201, w.member_tok, "POST", "/api/v1/time-entries",
				 "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":1.5,\"log_date\":\"2026-04-29\"}",
				 harness_demo_id(&w, "tasks", 0)));
	double delivered = 0, retry = 0;
	for (int i = 0; i < 200 && (delivered < 1 || retry < 1); i++) {
		usleep(50 * 1000);
		t = mt_scrape(s.base);
		delivered = mt_value(t, "workestra_webhook_deliveries_total{result=\"delivered\"}");
		retry = mt_value(t, "workestra_webhook_deliveries_total{result=\"retry\"}");
		free(t);
	}
	cr_assert_eq(delivered, 1, "the dispatcher delivered to /ok");
	cr_assert_eq(retry, 1, "/bad answered 500 and waits for a retry");
	cr_assert_eq(receiver_count(rx, "/ok"), 1);
	char path[160];
	snprintf(path, sizeof path, "/api/v1/time/webhooks/%s/test", json_string_value(json_object_get(bad, "id")));
	json_decref(harness_call(200, w.admin_tok, "POST", path, "%s", ""));
	t = mt_scrape(s.base);
	cr_assert_eq(mt_must(t, "workestra_webhook_deliveries_total{result=\"failed\"}"), 1, "the test event gave up");
	cr_assert_eq(mt_must(t, "workestra_webhook_deliveries_total{result=\"delivered\"}"), 1);
	/* The backlog is what the database holds. */
	long pending = harness_sql_long("SELECT count(*) FROM time_webhook_deliveries WHERE status = 'pending'", 0);
	cr_assert_eq(pending, 1, "the 500 waits for its retry");
	cr_assert_eq(mt_must(t, "workestra_outbox_pending{outbox=\"webhook\"}"), pending);
	cr_assert_eq(mt_must(t, "workestra_outbox_pending{outbox=\"email\"}"),
		     harness_sql_long("SELECT count(*) FROM email_outbox WHERE status = 'pending'", 0));
	double lost = mt_must(t, "workestra_db_connections_lost_total");
	double reconnects = mt_must(t, "workestra_db_reconnects_total");
	free(t);

	/* Connections: the server's are killed; the next scrape's query finds
	 * its connection gone, opens another, and says so. */
	mt_kill_connections();
	t = mt_scrape(s.base);
	cr_assert_geq(mt_must(t, "workestra_db_connections_lost_total"), lost + 1);
	cr_assert_geq(mt_must(t, "workestra_db_reconnects_total"), reconnects + 1);
	cr_assert_geq(mt_must(t, "workestra_db_connections"), 1);
	cr_assert_eq(mt_must(t, "workestra_outbox_pending{outbox=\"webhook\"}"), pending, "counted on the new connection");
	free(t);

	json_decref(ok), json_decref(bad);
	free(ok_url), free(bad_url);
	receiver_stop(rx);
	harness_workspace_free(&w);
	mt_stop(&s);
}

Test(metrics, served_while_the_database_is_away, .timeout = 60)
{
	/* No database at all: health answers, and so do the metrics, without
	 * the backlog (which only the database knows). */
	static const char *const env[] = { "METRICS=on", "WORKERS=1", "DATABASE_URL=host=/nonexistent-wt-metrics dbname=x",
					   NULL };
	char base[64], log[128];
	snprintf(log, sizeof log, "build/serve-metrics-away-%d.log", (int)getpid());
	int pid = harness_spawn_serve(env, log, base);
	cr_assert(pid > 0, "serve did not start without a database (log %s)", log);
	char *t = mt_scrape(base);
	cr_assert_eq(mt_value(t, "workestra_outbox_pending{outbox=\"webhook\"}"), -1, "no backlog without a database");
	cr_assert_geq(mt_must(t, "workestra_db_connect_failures_total"), 1);
	cr_assert_eq(mt_must(t, "workestra_db_connections"), 0);
	free(t);
	cr_assert_eq(harness_stop_serve(pid), 0);
}

/* The transport counts every request when it ends, under its route pattern. */
Test(metrics, http_requests_by_route_pattern, .timeout = 60)
{
	mt_serve s;
	mt_start(&s);
	harness_ws w;
	harness_workspace(&w, "free", "projects");
	char *before = mt_scrape(s.base);
	for (int i = 0; i < 3; i++) {
		harness_response r = harness_request("GET", "/healthz", NULL, NULL, NULL);
		harness_response_free(&r);
	}
	json_decref(harness_call(200, w.member_tok, "GET", "/api/v1/time-entries", "%s", ""));
	json_decref(harness_call(200, w.member_tok, "GET", "/api/v1/time-entries", "%s", ""));
	json_decref(harness_call(401, NULL, "GET", "/api/v1/time-entries", "%s", ""));
	json_decref(harness_call(404, w.member_tok, "GET", "/api/v1/time-entries/te_nope", "%s", ""));
	json_decref(harness_call(404, NULL, "GET", "/no/such/path/42", "%s", ""));
	char *after = mt_scrape(s.base);
	static const struct {
		const char *series;
		double delta;
	} want[] = {
		{ "workestra_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"}", 3 },
		{ "workestra_http_requests_total{method=\"GET\",route=\"/api/v1/time-entries\",status=\"200\"}", 2 },
		{ "workestra_http_requests_total{method=\"GET\",route=\"/api/v1/time-entries\",status=\"401\"}", 1 },
		{ "workestra_http_requests_total{method=\"GET\",route=\"/api/v1/time-entries/{}\",status=\"404\"}", 1 },
		{ "workestra_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"}", 1 },
		/* The first scrape ended before the second rendered. */
		{ "workestra_http_requests_total{method=\"GET\",route=\"/metrics\",status=\"200\"}", 1 },
		{ "workestra_http_request_duration_seconds_count{method=\"GET\",route=\"/api/v1/time-entries\"}", 3 },
		{ "workestra_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/time-entries\",le=\"+Inf\"}", 3 },
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		double b = mt_value(before, want[i].series), a = mt_must(after, want[i].series);
		cr_assert_eq(a - (b < 0 ? 0 : b), want[i].delta, "%s: %g then %g", want[i].series, b, a);
	}
	cr_assert_null(strstr(after, "te_nope"), "raw paths never become labels");
	cr_assert_null(strstr(after, "/no/such/path"), "raw paths never become labels");
	free(before);
	free(after);
	harness_workspace_free(&w);
	mt_stop(&s);
}
