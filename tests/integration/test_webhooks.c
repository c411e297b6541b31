/* Webhooks end to end: a real serve (and, where a test needs a database of
 * its own, extra serve and cron processes) delivering to a scriptable
 * receiver on 127.0.0.1 inside the test process. Signatures are checked with
 * Node's crypto, not with our code. Scheduling is driven through
 * `cron run deliver-time-webhooks --now`, so the retry schedule runs without
 * waiting minutes. */
#include "harness.h"
#include "receiver.h"
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

static const char *const NINE[] = { "time_entry.created", "time_entry.updated", "time_entry.deleted",
				    "time_entry.invoiced", "timer.started",      "timer.stopped",
				    "timesheet.submitted", "timesheet.approved", "timesheet.rejected" };

/* ---- database access (our own connection: the database may be a test's own) ---- */

static PGconn *db;

static PGconn *conn(void)
{
	if (!db || PQstatus(db) != CONNECTION_OK) {
		db = PQconnectdb(getenv("DATABASE_URL"));
		cr_assert(PQstatus(db) == CONNECTION_OK, "database: %s", PQerrorMessage(db));
	}
	return db;
}

static PGresult *sql(const char *q, int n, const char *p1, const char *p2)
{
	const char *params[2] = { p1, p2 };
	PGresult *r = PQexecParams(conn(), q, n, NULL, params, NULL, NULL, 0);
	cr_assert(PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK, "sql: %s",
		  PQresultErrorMessage(r));
	return r;
}

static long sql_long(const char *q, const char *p1, const char *p2)
{
	PGresult *r = sql(q, p2 ? 2 : p1 ? 1 : 0, p1, p2);
	long v = PQntuples(r) && !PQgetisnull(r, 0, 0) ? atol(PQgetvalue(r, 0, 0)) : -1;
	PQclear(r);
	return v;
}

static char *sql_text(const char *q, const char *p1, const char *p2)
{
	PGresult *r = sql(q, p2 ? 2 : p1 ? 1 : 0, p1, p2);
	char *v = PQntuples(r) && !PQgetisnull(r, 0, 0) ? strdup(PQgetvalue(r, 0, 0)) : NULL;
	PQclear(r);
	return v;
}

/* Polls until the query gives at least want; the last value seen. */
static long wait_long(const char *q, const char *p1, long want, int timeout_ms)
{
	long v = -1;
	for (int waited = 0; waited <= timeout_ms; waited += 50) {
		if ((v = sql_long(q, p1, NULL)) >= want)
			return v;
		usleep(50 * 1000);
	}
	return v;
}

/* A database of the test's own (no dispatcher runs on it unless the test
 * starts one); DATABASE_URL points there from now on, for the CLI too. */
static void own_database(const char *tag)
{
	char name[64], stmt[160], url[1024];
	snprintf(name, sizeof name, "wh_%s_%d", tag, (int)getpid());
	snprintf(stmt, sizeof stmt, "DROP DATABASE IF EXISTS %s", name);
	PQclear(sql(stmt, 0, NULL, NULL));
	snprintf(stmt, sizeof stmt, "CREATE DATABASE %s", name);
	PQclear(sql(stmt, 0, NULL, NULL));
	snprintf(url, sizeof url, "%s dbname=%s", getenv("DATABASE_URL"), name);
	setenv("DATABASE_URL", url, 1);
	PQfinish(db);
	db = NULL;
	json_t *m = harness_cli("migrate", NULL);
	cr_assert(m, "migrate on the test's database failed");
	json_decref(m);
}

/* A serve on the current DATABASE_URL that REST calls go to from now on. */
static int own_serve(const char *const *env)
{
	static int started;
	char base[64], log[128];
	snprintf(log, sizeof log, "build/serve-webhooks-%d-%d.log", (int)getpid(), ++started);
	int pid = harness_spawn_serve(env, log, base);
	cr_assert(pid > 0, "extra serve did not start (log %s)", log);
	setenv("WT_BASE_URL", base, 1);
	return pid;
}

/* ---- REST helpers ---- */

static json_t *call(const char *method, const char *path, const char *token, json_t *body, long want)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	harness_response r = harness_request(method, path, token, text, NULL);
	free(text);
	cr_assert_eq(r.status, want, "%s %s: want %ld, got %ld: %s", method, path, want, r.status, r.body);
	json_t *data = json_incref(harness_data(&r));
	if (!data)
		data = json_incref(r.json);
	harness_response_free(&r);
	return data;
}

static const char *error_of(const char *method, const char *path, const char *token, json_t *body, long want)
{
	static char code[64];
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	harness_response r = harness_request(method, path, token, text, NULL);
	free(text);
	cr_assert_eq(r.status, want, "%s %s: want %ld, got %ld: %s", method, path, want, r.status, r.body);
	snprintf(code, sizeof code, "%s", harness_error_code(&r) ? harness_error_code(&r) : "");
	harness_response_free(&r);
	return code;
}

/* Creates a subscription to url for events (NULL-terminated); returns it (with secret). */
static json_t *subscribe(const harness_ws *w, const char *url, const char *const *events)
{
	json_t *ev = json_array();
	for (const char *const *e = events; *e; e++)
		json_array_append_new(ev, json_string(*e));
	return call("POST", "/api/v1/time/webhooks", w->admin_tok, json_pack("{s:s, s:o}", "url", url, "events", ev), 201);
}

static const char *const CREATED[] = { "time_entry.created", NULL };

/* A manual entry: fires time_entry.created. Returns the entry id (malloc'd). */
static char *log_entry(const harness_ws *w)
{
	json_t *e = call("POST", "/api/v1/time-entries", w->admin_tok,
			 json_pack("{s:s, s:s, s:f, s:s}", "entity_type", "task", "entity_id", harness_demo_id(w, "tasks", 0),
				   "hours", 1.25, "log_date", "2026-04-29"),
			 201);
	char *id = strdup(json_string_value(json_object_get(e, "id")));
	json_decref(e);
	return id;
}

/* ---- signature check with Node's crypto ---- */

static bool node_verifies(const char *secret, const char *timestamp, const char *body, size_t body_len, const char *sig)
{
	char path[64];
	snprintf(path, sizeof path, "/tmp/wh-body-%d.json", (int)getpid());
	FILE *f = fopen(path, "wb");
	cr_assert(f);
	fwrite(body, 1, body_len, f);
	fclose(f);
	static const char script[] =
		"const c = require('crypto'), fs = require('fs');"
		"const want = 'sha256=' + c.createHmac('sha256', process.env.WH_SECRET)"
		" .update(process.env.WH_TS + '.').update(fs.readFileSync(process.argv[1])).digest('hex');"
		"const got = Buffer.from(process.env.WH_SIG), exp = Buffer.from(want);"
		"process.exit(got.length === exp.length && c.timingSafeEqual(got, exp) ? 0 : 1);";
	pid_t pid = fork();
	if (pid == 0) {
		setenv("WH_SECRET", secret, 1);
		setenv("WH_TS", timestamp, 1);
		setenv("WH_SIG", sig, 1);
		execlp("node", "node", "-e", script, path, (char *)NULL);
		_exit(127);
	}
	int st;
	waitpid(pid, &st, 0);
	unlink(path);
	cr_assert(!(WIFEXITED(st) && WEXITSTATUS(st) == 127), "node is not installed");
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* Checks the captured request's headers and signature against secret. */
static void check_signed(const receiver_request *rq, const char *secret, const char *event)
{
	char *sig = receiver_header(rq, "X-Workestra-Signature");
	char *ts = receiver_header(rq, "X-Workestra-Timestamp");
	char *ev = receiver_header(rq, "X-Workestra-Event");
	char *dlv = receiver_header(rq, "X-Workestra-Delivery");
	char *ct = receiver_header(rq, "Content-Type");
	cr_assert(sig && ts && ev && dlv && ct, "missing webhook headers:\n%s", rq->headers);
	cr_assert_str_eq(ev, event);
	cr_assert_str_eq(ct, "application/json");
	cr_assert(!strncmp(dlv, "dlv_", 4));
	cr_assert(labs(atol(ts) - (long)time(NULL)) < 120, "timestamp %s is not now", ts);
	cr_assert(node_verifies(secret, ts, rq->body, rq->body_len, sig), "Node does not accept signature %s", sig);
	cr_assert(!node_verifies("whsec_wrong_secret_xxxxxxxx", ts, rq->body, rq->body_len, sig));
	json_t *body = json_loadb(rq->body, rq->body_len, 0, NULL);
	cr_assert(body, "body is not JSON");
	cr_assert_str_eq(json_string_value(json_object_get(body, "event")), event);
	cr_assert(!strncmp(json_string_value(json_object_get(body, "id")), "evt_", 4));
	cr_assert(json_is_string(json_object_get(body, "workspace_id")));
	cr_assert(json_is_object(json_object_get(body, "data")));
	cr_assert(json_is_string(json_object_get(body, "timestamp")));
	json_decref(body);
	free(sig), free(ts), free(ev), free(dlv), free(ct);
}

/* ---- cron drains on an injected clock ---- */

static double now_s(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* With milliseconds: a whole second could fall before the event just written. */
static void iso(double t, char out[40])
{
	time_t s = (time_t)t;
	struct tm tm;
	gmtime_r(&s, &tm);
	char base[32];
	strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 40, "%s.%03dZ", base, (int)((t - (double)s) * 1000));
}

/* Runs the cron at t; returns how many attempts it made. */
static long drain_at(double t)
{
	char at[40];
	iso(t, at);
	json_t *out = harness_cli("cron", "run", "deliver-time-webhooks", "--now", at, NULL);
	cr_assert(out, "cron run deliver-time-webhooks --now %s failed", at);
	long n = (long)json_integer_value(json_object_get(out, "attempted"));
	json_decref(out);
	return n;
}

static pid_t drain_async(double t)
{
	char at[40];
	iso(t, at);
	pid_t pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", 1);
		dup2(devnull, 1);
		execl(harness_bin(), harness_bin(), "cron", "run", "deliver-time-webhooks", "--now", at, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static const char *STATUS_SQL = "SELECT count(*) FROM time_webhook_deliveries WHERE webhook_id = $1 AND status = $2";
/* Finished attempts (an attempt is logged as 'sending' before it is sent). */
static const char *ATTEMPTS_SQL =
	"SELECT count(*) FROM time_webhook_attempts a JOIN time_webhook_deliveries d ON d.id = a.delivery_id"
	" WHERE d.webhook_id = $1 AND a.outcome <> 'sending'";

/* ================= subscriptions ================= */

Test(webhooks, crud_secret_only_on_create_and_audited)
{
	harness_ws w;
	harness_workspace(&w, "pro", "projects");
	receiver_t *rx = receiver_start();
	char *url = receiver_url(rx, "/crud");
	static const char *const events[] = { "timer.started", "timesheet.approved", "timer.started", NULL };
	json_t *wh = subscribe(&w, url, events);
	const char *id = json_string_value(json_object_get(wh, "id"));
	const char *secret = json_string_value(json_object_get(wh, "secret"));
	cr_assert(id && !strncmp(id, "wh_", 3));
	cr_assert(secret && !strncmp(secret, "whsec_", 6) && strlen(secret) >= 40, "secret %s", secret);
	cr_assert_eq(json_array_size(json_object_get(wh, "events")), 2, "duplicate events collapse");
	cr_assert(json_is_true(json_object_get(wh, "enabled")));
	cr_assert(json_is_string(json_object_get(wh, "created_at")));

	/* At rest the secret is sealed, never the plain text. */
	char *sealed = sql_text("SELECT secret_sealed FROM time_webhooks WHERE id = $1", id, NULL);
	cr_assert(sealed && !strncmp(sealed, "v1.", 3) && !strstr(sealed, secret + 6));
	free(sealed);

	json_t *list = call("GET", "/api/v1/time/webhooks", w.admin_tok, NULL, 200);
	cr_assert_eq(json_array_size(list), 1);
	char *text = json_dumps(list, 0);
	cr_assert(!strstr(text, secret) && !strstr(text, "\"secret\""), "GET shows the secret: %s", text);
	free(text);
	json_decref(list);
	json_t *one = call("GET", "/api/v1/time/webhooks/", w.admin_tok, NULL, 404);
	json_decref(one);
	char path[160];
	snprintf(path, sizeof path, "/api/v1/time/webhooks/%s", id);
	one = call("GET", path, w.admin_tok, NULL, 200);
	cr_assert_null(json_object_get(one, "secret"));
	json_decref(one);

	json_t *patched = call("PATCH", path, w.admin_tok,
			       json_pack("{s:[s], s:b, s:s}", "events", "time_entry.created", "enabled", 0, "secret",
					 "a-new-secret-of-enough-length"),
			       200);
	cr_assert_null(json_object_get(patched, "secret"));
	cr_assert(json_is_false(json_object_get(patched, "enabled")));
	cr_assert_str_eq(json_string_value(json_array_get(json_object_get(patched, "events"), 0)), "time_entry.created");
	json_decref(patched);

	/* A given secret is kept and echoed once. */
	json_t *given = call("POST", "/api/v1/time/webhooks", w.admin_tok,
			     json_pack("{s:s, s:[s], s:s}", "url", url, "events", "timer.stopped", "secret",
				       "my-own-signing-secret-123"),
			     201);
	cr_assert_str_eq(json_string_value(json_object_get(given, "secret")), "my-own-signing-secret-123");
	json_decref(given);

	json_t *gone = call("DELETE", path, w.admin_tok, NULL, 200);
	json_decref(gone);
	cr_assert_str_eq(error_of("GET", path, w.admin_tok, NULL, 404), "not_found");
	cr_assert_eq(sql_long("SELECT count(*) FROM audit_log WHERE entity_id = $1 AND action = 'time_webhook.upserted'", id,
			      NULL),
		     2);
	cr_assert_eq(sql_long("SELECT count(*) FROM audit_log WHERE entity_id = $1 AND action = 'time_webhook.deleted'", id,
			      NULL),
		     1);
	char *changes = sql_text("SELECT changes::text FROM audit_log WHERE entity_id = $1 AND action = 'time_webhook.upserted'"
				 " ORDER BY created_at DESC LIMIT 1",
				 id, NULL);
	cr_assert(changes && strstr(changes, "rotated") && !strstr(changes, "a-new-secret"), "changes %s", changes);
	free(changes);
	json_decref(wh);
	free(url);
	receiver_stop(rx);
	harness_workspace_free(&w);
}

Test(webhooks, validation_of_events_and_fields)
{
	harness_ws w;
	harness_workspace(&w, "pro", "finance");
	const char *u = "http://127.0.0.1:9/x";
	const char *p = "/api/v1/time/webhooks";
	cr_assert_str_eq(error_of("POST", p, w.admin_tok, json_pack("{s:s, s:[s]}", "url", u, "events", "time_entry.exploded"), 422),
			 "validation_failed");
	cr_assert_str_eq(error_of("POST", p, w.admin_tok, json_pack("{s:s, s:[s]}", "url", u, "events", "webhook.test"), 422),
			 "validation_failed");
	cr_assert_str_eq(error_of("POST", p, w.admin_tok, json_pack("{s:s, s:[]}", "url", u, "events"), 422), "validation_failed");
	cr_assert_str_eq(error_of("POST", p, w.admin_tok, json_pack("{s:[s]}", "events", "timer.started"), 422),
			 "validation_failed");
	cr_assert_str_eq(error_of("POST", p, w.admin_tok, json_pack("{s:s, s:[s], s:s}", "url", u, "events", "timer.started", "secret", "short"), 422),
			 "validation_failed");
	cr_assert_str_eq(error_of("POST", p, w.admin_tok, json_pack("{s:s, s:[s], s:i}", "url", u, "events", "timer.started", "colour", 3), 422),
			 "validation_failed");
	/* All nine are accepted. */
	json_t *ev = json_array();
	for (size_t i = 0; i < 9; i++)
		json_array_append_new(ev, json_string(NINE[i]));
	json_t *wh = call("POST", p, w.admin_tok, json_pack("{s:s, s:o}", "url", u, "events", ev), 201);
	cr_assert_eq(json_array_size(json_object_get(wh, "events")), 9);
	json_decref(wh);
	harness_workspace_free(&w);
}

Test(webhooks, plan_gate_and_admin_only)
{
	harness_ws free_ws, bare_pro, pro;
	harness_workspace(&free_ws, "free", "projects");
	harness_workspace(&bare_pro, "pro", "people");
	harness_workspace(&pro, "pro", "projects");
	const char *p = "/api/v1/time/webhooks";
	json_t *body = json_pack("{s:s, s:[s]}", "url", "http://127.0.0.1:9/x", "events", "timer.started");
	cr_assert_str_eq(error_of("POST", p, free_ws.admin_tok, json_incref(body), 402), "plan_required");
	cr_assert_str_eq(error_of("GET", p, free_ws.admin_tok, NULL, 402), "plan_required");
	cr_assert_str_eq(error_of("POST", p, bare_pro.admin_tok, json_incref(body), 402), "plan_required");
	cr_assert_str_eq(error_of("POST", p, pro.member_tok, json_incref(body), 403), "forbidden");
	cr_assert_str_eq(error_of("GET", p, pro.manager_tok, NULL, 403), "forbidden");
	cr_assert_str_eq(error_of("GET", p, NULL, NULL, 401), "unauthorized");
	json_t *wh = call("POST", p, pro.admin_tok, body, 201);
	char path[160];
	snprintf(path, sizeof path, "%s/%s", p, json_string_value(json_object_get(wh, "id")));
	/* Another workspace's webhook does not exist for you. */
	harness_ws other;
	harness_workspace(&other, "pro", "projects");
	cr_assert_str_eq(error_of("DELETE", path, other.admin_tok, NULL, 404), "not_found");
	cr_assert_str_eq(error_of("DELETE", path, pro.member_tok, NULL, 403), "forbidden");
	json_decref(wh);
	harness_workspace_free(&free_ws);
	harness_workspace_free(&bare_pro);
	harness_workspace_free(&pro);
	harness_workspace_free(&other);
}

/* The main serve runs with WEBHOOK_ALLOW_PRIVATE=1: even so, plain http to a
 * public address and the metadata endpoints stay refused. */
Test(webhooks, ssrf_refusals_with_allow_private)
{
	harness_ws w;
	harness_workspace(&w, "pro", "projects");
	static const char *const refused[] = {
		"http://93.184.216.34/hook", "https://169.254.169.254/latest/meta-data", "http://169.254.169.254/",
		"https://[fd00:ec2::254]/", "https://0.0.0.0/", "ftp://127.0.0.1/x", "https://user:pw@127.0.0.1/x",
		"not a url", NULL,
	};
	for (const char *const *u = refused; *u; u++)
		cr_assert_str_eq(error_of("POST", "/api/v1/time/webhooks", w.admin_tok,
					  json_pack("{s:s, s:[s]}", "url", *u, "events", "timer.started"), 422),
				 "validation_failed", "%s", *u);
	harness_workspace_free(&w);
}

Test(webhooks, ssrf_refusals_without_allow_private, .timeout = 60)
{
	harness_ws w;
	harness_workspace(&w, "pro", "projects");
	unsetenv("WEBHOOK_ALLOW_PRIVATE");
	static const char *const env[] = { "WEBHOOK_DISPATCHER=off", NULL };
	int pid = own_serve(env);
	static const char *const refused[] = {
		"http://127.0.0.1:8080/hook", "https://127.0.0.1/hook", "https://10.1.2.3/hook", "https://[::1]/hook",
		"https://localhost/hook",     "https://192.168.1.10/", "https://172.20.0.1/",   "https://169.254.169.254/",
		"https://[fe80::1]/",         "https://[::ffff:10.0.0.1]/", "https://100.64.0.1/", "http://93.184.216.34/",
		NULL,
	};
	for (const char *const *u = refused; *u; u++)
		cr_assert_str_eq(error_of("POST", "/api/v1/time/webhooks", w.admin_tok,
					  json_pack("{s:s, s:[s]}", "url", *u, "events", "timer.started"), 422),
				 "validation_failed", "%s", *u);
	/* A public https address passes. */
	json_t *ok = call("POST", "/api/v1/time/webhooks", w.admin_tok,
			  json_pack("{s:s, s:[s], s:b}", "url", "https://93.184.216.34/hook", "events", "timer.started",
				    "enabled", 0),
			  201);
	json_decref(ok);
	cr_assert_eq(harness_stop_serve(pid), 0, "serve did not exit 0 on SIGTERM");
	harness_workspace_free(&w);
}

/* ================= delivery by the dispatcher in serve ================= */

Test(webhooks, signed_delivery_checked_with_node, .timeout = 60)
{
	harness_ws w;
	harness_workspace(&w, "pro", "projects");
	receiver_t *rx = receiver_start();
	char *url = receiver_url(rx, "/sig"), *other_url = receiver_url(rx, "/other"), *off_url = receiver_url(rx, "/off");
	json_t *wh = subscribe(&w, url, CREATED);
	static const char *const timer_only[] = { "timer.started", NULL };
	json_t *other = subscribe(&w, other_url, timer_only);
	json_t *off = subscribe(&w, off_url, CREATED);
	char off_path[160];
	snprintf(off_path, sizeof off_path, "/api/v1/time/webhooks/%s", json_string_value(json_object_get(off, "id")));
	json_decref(call("PATCH", off_path, w.admin_tok, json_pack("{s:b}", "enabled", 0), 200));

	char *entry = log_entry(&w);
	cr_assert(receiver_wait(rx, "/sig", 1, 10000), "no delivery arrived");
	receiver_request rq;
	cr_assert(receiver_get(rx, "/sig", 0, &rq));
	check_signed(&rq, json_string_value(json_object_get(wh, "secret")), "time_entry.created");
	json_t *body = json_loadb(rq.body, rq.body_len, 0, NULL);
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(body, "data"), "id")), entry);
	cr_assert_str_eq(json_string_value(json_object_get(body, "workspace_id")), w.ws);
	json_decref(body);

	/* The log shows it delivered, with the receiver's answer. */
	const char *wid = json_string_value(json_object_get(wh, "id"));
	cr_assert_eq(wait_long("SELECT count(*) FROM time_webhook_deliveries WHERE webhook_id = $1 AND status = 'delivered'", wid,
			       1, 5000),
		     1);
	char path[200];
	snprintf(path, sizeof path, "/api/v1/time/webhooks/%s/deliveries", wid);
	json_t *log = call("GET", path, w.admin_tok, NULL, 200);
	json_t *d = json_array_get(log, 0);
	char *dlv = receiver_header(&rq, "X-Workestra-Delivery");
	cr_assert_str_eq(json_string_value(json_object_get(d, "id")), dlv);
	cr_assert_str_eq(json_string_value(json_object_get(d, "status")), "delivered");
	cr_assert_str_eq(json_string_value(json_object_get(d, "event")), "time_entry.created");
	cr_assert(json_is_null(json_object_get(d, "next_attempt_at")));
	json_t *a = json_array_get(json_object_get(d, "attempts"), 0);
	cr_assert_eq(json_integer_value(json_object_get(a, "attempt")), 1);
	cr_assert_eq(json_integer_value(json_object_get(a, "response_code")), 200);
	cr_assert(strstr(json_string_value(json_object_get(a, "response_body")), "received"));
	cr_assert(json_is_integer(json_object_get(a, "duration_ms")));
	cr_assert(json_is_string(json_object_get(a, "at")));
	free(dlv);
	json_decref(log);

	/* Not subscribed, or disabled: no delivery at all. */
	cr_assert_eq(sql_long("SELECT count(*) FROM time_webhook_deliveries WHERE webhook_id = $1",
			      json_string_value(json_object_get(other, "id")), NULL),
		     0);
	cr_assert_eq(sql_long("SELECT count(*) FROM time_webhook_deliveries WHERE webhook_id = $1",
			      json_string_value(json_object_get(off, "id")), NULL),
		     0);
	cr_assert_eq(receiver_count(rx, "/other") + receiver_count(rx, "/off"), 0);
	receiver_request_free(&rq);
	json_decref(wh), json_decref(other), json_decref(off);
	free(url), free(other_url), free(off_url), free(entry);
	receiver_stop(rx);
	harness_workspace_free(&w);
}

/* One event fanned out to one subscription per status class. */
Test(webhooks, each_status_class, .timeout = 60)
{
	harness_ws w;
	harness_workspace(&w, "pro", "projects");
	receiver_t *rx = receiver_start();
	static const struct {
		const char *path, *script, *status;
		long code;
	} cases[] = {
		{ "/c201", "201", "delivered", 201 }, { "/c410", "410", "failed", 410 },   { "/c400", "400", "failed", 400 },
		{ "/c302", "302", "failed", 302 },    { "/c429", "429", "pending", 429 },  { "/c503", "503", "pending", 503 },
		{ "/drop", "drop", "pending", 0 },
	};
	enum { N = sizeof cases / sizeof cases[0] };
	json_t *hooks[N];
	for (int i = 0; i < N; i++) {
		receiver_script(rx, cases[i].path, cases[i].script);
		char *u = receiver_url(rx, cases[i].path);
		hooks[i] = subscribe(&w, u, CREATED);
		free(u);
	}
	free(log_entry(&w));
	for (int i = 0; i < N; i++) {
		const char *wid = json_string_value(json_object_get(hooks[i], "id"));
		cr_assert_eq(wait_long(ATTEMPTS_SQL, wid, 1, 10000), 1, "%s: no attempt", cases[i].path);
		char path[200];
		snprintf(path, sizeof path, "/api/v1/time/webhooks/%s/deliveries", wid);
		json_t *log = call("GET", path, w.admin_tok, NULL, 200);
		json_t *d = json_array_get(log, 0);
		json_t *a = json_array_get(json_object_get(d, "attempts"), 0);
		cr_assert_str_eq(json_string_value(json_object_get(d, "status")), cases[i].status, "%s", cases[i].path);
		if (cases[i].code)
			cr_assert_eq(json_integer_value(json_object_get(a, "response_code")), cases[i].code, "%s", cases[i].path);
		else
			cr_assert(json_is_null(json_object_get(a, "response_code")) &&
					  json_is_string(json_object_get(a, "error")),
				  "%s: a dropped connection is an error without a code", cases[i].path);
		if (!strcmp(cases[i].status, "pending")) {
			/* Retried a minute after the attempt. */
			long gap = sql_long("SELECT extract(epoch FROM d.next_attempt_at - a.at)::bigint FROM time_webhook_deliveries d"
					    " JOIN time_webhook_attempts a ON a.delivery_id = d.id WHERE d.webhook_id = $1",
					    wid, NULL);
			cr_assert_eq(gap, 60, "%s: next attempt %ld s after the first", cases[i].path, gap);
		} else {
			cr_assert(json_is_null(json_object_get(d, "next_attempt_at")));
		}
		if (!strcmp(cases[i].path, "/c302"))
			cr_assert(strstr(json_string_value(json_object_get(a, "error")), "redirect"));
		json_decref(log);
		json_decref(hooks[i]);
	}
	receiver_stop(rx);
	harness_workspace_free(&w);
}

Test(webhooks, test_event_answers_with_the_attempt, .timeout = 60)
{
	harness_ws w;
	harness_workspace(&w, "pro", "projects");
	receiver_t *rx = receiver_start();
	receiver_script(rx, "/t500", "500");
	char *ok_url = receiver_url(rx, "/tok"), *bad_url = receiver_url(rx, "/t500");
	json_t *ok = subscribe(&w, ok_url, CREATED), *bad = subscribe(&w, bad_url, CREATED);
	char path[200];
	snprintf(path, sizeof path, "/api/v1/time/webhooks/%s/test", json_string_value(json_object_get(ok, "id")));
	json_t *t = call("POST", path, w.admin_tok, NULL, 200);
	cr_assert_str_eq(json_string_value(json_object_get(t, "event")), "webhook.test");
	cr_assert_str_eq(json_string_value(json_object_get(t, "status")), "delivered");
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(t, "attempt"), "response_code")), 200);
	/* It was delivered before the answer came back. */
	cr_assert_eq(receiver_count(rx, "/tok"), 1);
	receiver_request rq;
	cr_assert(receiver_get(rx, "/tok", 0, &rq));
	check_signed(&rq, json_string_value(json_object_get(ok, "secret")), "webhook.test");
	char *dlv = receiver_header(&rq, "X-Workestra-Delivery");
	cr_assert_str_eq(dlv, json_string_value(json_object_get(t, "id")));
	free(dlv);
	receiver_request_free(&rq);
	json_decref(t);

	snprintf(path, sizeof path, "/api/v1/time/webhooks/%s/test", json_string_value(json_object_get(bad, "id")));
	t = call("POST", path, w.admin_tok, NULL, 200);
	cr_assert_str_eq(json_string_value(json_object_get(t, "status")), "failed");
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(t, "attempt"), "response_code")), 500);
	cr_assert_eq(json_array_size(json_object_get(t, "attempts")), 1);
	json_decref(t);
	cr_assert_str_eq(error_of("POST", "/api/v1/time/webhooks/wh_nope/test", w.admin_tok, NULL, 404), "not_found");
	cr_assert_str_eq(error_of("POST", path, w.member_tok, NULL, 403), "forbidden");
	json_decref(ok), json_decref(bad);
	free(ok_url), free(bad_url);
	receiver_stop(rx);
	harness_workspace_free(&w);
}

Test(webhooks, manual_retry_redelivers, .timeout = 60)
{
	harness_ws w;
	harness_workspace(&w, "pro", "projects");
	receiver_t *rx = receiver_start();
	receiver_script(rx, "/retry", "500,200,200");
	char *u = receiver_url(rx, "/retry");
	json_t *wh = subscribe(&w, u, CREATED);
	const char *wid = json_string_value(json_object_get(wh, "id"));
	free(log_entry(&w));
	cr_assert_eq(wait_long(ATTEMPTS_SQL, wid, 1, 10000), 1);
	char *did = sql_text("SELECT id FROM time_webhook_deliveries WHERE webhook_id = $1", wid, NULL);
	char path[256];
	snprintf(path, sizeof path, "/api/v1/time/webhooks/%s/deliveries/%s/retry", wid, did);
	json_t *d = call("POST", path, w.admin_tok, NULL, 200);
	cr_assert_str_eq(json_string_value(json_object_get(d, "status")), "pending");
	json_decref(d);
	/* The dispatcher is woken at once, not a minute later. */
	cr_assert_eq(wait_long(ATTEMPTS_SQL, wid, 2, 5000), 2);
	cr_assert_eq(wait_long("SELECT count(*) FROM time_webhook_deliveries WHERE webhook_id = $1 AND status = 'delivered'",
			       wid, 1, 5000),
		     1);
	/* A delivered one can be sent again by hand: one more attempt. */
	d = call("POST", path, w.admin_tok, NULL, 200);
	json_decref(d);
	cr_assert_eq(wait_long(ATTEMPTS_SQL, wid, 3, 5000), 3);
	cr_assert_eq(receiver_count(rx, "/retry"), 3);
	cr_assert_eq(sql_long("SELECT count(*) FROM audit_log WHERE entity_id = $1 AND action = 'time_webhook.delivery_retried'",
			      wid, NULL),
		     2);
	snprintf(path, sizeof path, "/api/v1/time/webhooks/%s/deliveries/dlv_nope/retry", wid);
	cr_assert_str_eq(error_of("POST", path, w.admin_tok, NULL, 404), "not_found");
	free(did), free(u);
	json_decref(wh);
	receiver_stop(rx);
	harness_workspace_free(&w);
}

/* A receiver that answers after the 10 s timeout holds a delivery in flight;
 * REST calls meanwhile are answered at once. A functional check with a
 * generous bound, not a benchmark. */
Test(webhooks, slow_receiver_never_slows_the_api, .timeout = 90)
{
	harness_ws w;
	harness_workspace(&w, "pro", "projects");
	receiver_t *rx = receiver_start();
	receiver_script(rx, "/slow", "slow:12000:200");
	char *u = receiver_url(rx, "/slow");
	json_t *wh = subscribe(&w, u, CREATED);
	const char *wid = json_string_value(json_object_get(wh, "id"));
	for (int i = 0; i < 3; i++)
		free(log_entry(&w));
	cr_assert(receiver_wait(rx, "/slow", 3, 10000), "the deliveries did not start");
	double t0 = now_s();
	for (int i = 0; i < 5; i++) {
		json_decref(call("GET", "/api/v1/time/webhooks", w.admin_tok, NULL, 200));
		free(log_entry(&w));
	}
	double took = now_s() - t0;
	cr_assert(took < 3.0, "10 REST calls took %.1f s while deliveries were in flight", took);
	cr_assert_eq(sql_long(ATTEMPTS_SQL, wid, NULL), 0, "the slow deliveries should still be in flight");
	/* In flight, and in the log as such before the receiver answered (the
	 * first three at least; the five logged since may be on their way). */
	cr_assert_geq(sql_long("SELECT count(*) FROM time_webhook_attempts a JOIN time_webhook_deliveries d"
			       " ON d.id = a.delivery_id WHERE d.webhook_id = $1 AND a.outcome = 'sending'",
			       wid, NULL),
		      3);
	/* Then all eight (sent within a second of each other) time out and wait for their retry. */
	cr_assert_eq(wait_long("SELECT count(*) FROM time_webhook_attempts a JOIN time_webhook_deliveries d"
			       " ON d.id = a.delivery_id WHERE d.webhook_id = $1 AND a.error LIKE 'timeout%'",
			       wid, 8, 25000),
		     8);
	long dur = sql_long("SELECT min(a.duration_ms) FROM time_webhook_attempts a JOIN time_webhook_deliveries d"
			    " ON d.id = a.delivery_id WHERE d.webhook_id = $1",
			    wid, NULL);
	cr_assert(dur >= 9000 && dur < 12000, "timed out after %ld ms", dur);
	cr_assert_eq(sql_long(STATUS_SQL, wid, "pending"), 8);
	free(u);
	json_decref(wh);
	receiver_stop(rx);
	harness_workspace_free(&w);
}

/* ================= a database of the test's own, driven by the cron ================= */

Test(webhooks, full_retry_schedule_on_an_injected_clock, .timeout = 90)
{
	own_database("sched");
	setenv("WEBHOOK_ALLOW_PRIVATE", "1", 1);
	static const char *const env[] = { "WEBHOOK_DISPATCHER=off", NULL };
	int pid = own_serve(env);
	harness_ws w;
	harness_workspace(&w, "pro", "projects");
	receiver_t *rx = receiver_start();
	receiver_script(rx, "/sched", "503");
	char *u = receiver_url(rx, "/sched");
	json_t *wh = subscribe(&w, u, CREATED);
	const char *wid = json_string_value(json_object_get(wh, "id"));
	free(log_entry(&w));
	double t0 = now_s();
	/* attempt 1 now; 2 at +1 min; 3 at +5 min after that; 4 at +30 min after that; then failed */
	static const struct {
		double at;
		long attempts;
		const char *status;
	} steps[] = {
		{ 0, 1, "pending" },	     { 59, 0, "pending" },	 { 61, 1, "pending" },
		{ 61 + 299, 0, "pending" }, { 61 + 301, 1, "pending" }, { 362 + 1799, 0, "pending" },
		{ 362 + 1801, 1, "failed" }, { 86400, 0, "failed" },
	};
	long total = 0;
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		long n = drain_at(t0 + steps[i].at);
		total += n;
		cr_assert_eq(n, steps[i].attempts, "drain at +%.0f s made %ld attempts", steps[i].at, n);
		cr_assert_eq(sql_long(STATUS_SQL, wid, steps[i].status), 1, "at +%.0f s the delivery is not %s", steps[i].at,
			     steps[i].status);
	}
	cr_assert_eq(total, 4);
	cr_assert_eq(receiver_count(rx, "/sched"), 4);
	/* The gaps the schedule left between attempts, on the injected clock. */
	PGresult *r = sql("SELECT round(extract(epoch FROM a.at - lag(a.at) OVER (ORDER BY a.attempt)))::bigint"
			  " FROM time_webhook_attempts a JOIN time_webhook_deliveries d ON d.id = a.delivery_id"
			  " WHERE d.webhook_id = $1 ORDER BY a.attempt",
			  1, wid, NULL);
	cr_assert_eq(PQntuples(r), 4);
	long want[] = { 61, 301, 1801 };
	for (int i = 1; i < 4; i++) {
		long gap = atol(PQgetvalue(r, i, 0));
		cr_assert(labs(gap - want[i - 1]) <= 2, "gap before attempt %d is %ld s", i + 1, gap);
	}
	PQclear(r);
	/* One stable delivery id across every retry. */
	char *first = NULL;
	for (int i = 0; i < 4; i++) {
		receiver_request rq;
		cr_assert(receiver_get(rx, "/sched", i, &rq));
		char *dlv = receiver_header(&rq, "X-Workestra-Delivery");
		if (!first)
			first = strdup(dlv);
		cr_assert_str_eq(dlv, first);
		free(dlv);
		receiver_request_free(&rq);
	}
	free(first);
	/* The log lists it failed, with four attempts. */
	char path[200];
	snprintf(path, sizeof path, "/api/v1/time/webhooks/%s/deliveries?limit=1&page=1", wid);
	json_t *log = call("GET", path, w.admin_tok, NULL, 200);
	cr_assert_eq(json_array_size(json_object_get(json_array_get(log, 0), "attempts")), 4);
	json_decref(log);
	free(u);
	json_decref(wh);
	receiver_stop(rx);
	harness_workspace_free(&w);
	cr_assert_eq(harness_stop_serve(pid), 0);
}

/* A workspace that falls below Pro with Projects or Finance keeps its
 * subscriptions, but nothing is sent: the deliveries wait, pending and with
 * no attempt counted, and go out once the workspace is upgraded again. */
Test(webhooks, deliveries_are_held_below_pro_and_sent_after_upgrade, .timeout = 60)
{
	own_database("held");
	setenv("WEBHOOK_ALLOW_PRIVATE", "1", 1);
	static const char *const env[] = { "WEBHOOK_DISPATCHER=off", NULL };
	int pid = own_serve(env);
	harness_ws w;
	harness_workspace(&w, "pro", "projects");
	receiver_t *rx = receiver_start();
	receiver_script(rx, "/held", "200");
	char *u = receiver_url(rx, "/held");
	json_t *wh = subscribe(&w, u, CREATED);
	const char *wid = json_string_value(json_object_get(wh, "id"));

	/* Downgraded to free: the API refuses to manage webhooks, and the drain sends nothing. */
	PQclear(sql("UPDATE workspaces SET plan = 'free' WHERE id = $1", 1, w.ws, NULL));
	cr_assert_str_eq(error_of("GET", "/api/v1/time/webhooks", w.admin_tok, NULL, 402), "plan_required");
	free(log_entry(&w));
	cr_assert_eq(drain_at(now_s()), 0);
	/* Pro again, but with neither Projects nor Finance: still held. */
	PQclear(sql("UPDATE workspaces SET plan = 'pro', modules = '{people}' WHERE id = $1", 1, w.ws, NULL));
	free(log_entry(&w));
	cr_assert_eq(drain_at(now_s() + 120), 0, "held deliveries are not retried either");
	cr_assert_eq(receiver_count(rx, "/held"), 0);
	cr_assert_eq(sql_long(STATUS_SQL, wid, "pending"), 2, "held, not failed");
	cr_assert_eq(sql_long("SELECT sum(attempts) FROM time_webhook_deliveries WHERE webhook_id = $1", wid, NULL), 0,
		     "no attempt counted");
	cr_assert_eq(sql_long(ATTEMPTS_SQL, wid, NULL), 0);
	cr_assert_eq(sql_long("SELECT count(*) FROM time_webhook_attempts a JOIN time_webhook_deliveries d"
			      " ON d.id = a.delivery_id WHERE d.webhook_id = $1",
			      wid, NULL),
		     0);

	/* Upgraded: both go out, first attempt each. */
	PQclear(sql("UPDATE workspaces SET modules = '{people,finance}' WHERE id = $1", 1, w.ws, NULL));
	cr_assert_eq(drain_at(now_s() + 180), 2);
	cr_assert(receiver_wait(rx, "/held", 2, 5000));
	cr_assert_eq(sql_long(STATUS_SQL, wid, "delivered"), 2);
	cr_assert_eq(sql_long("SELECT max(attempts) FROM time_webhook_deliveries WHERE webhook_id = $1", wid, NULL), 1);
	receiver_request rq;
	cr_assert(receiver_get(rx, "/held", 0, &rq));
	check_signed(&rq, json_string_value(json_object_get(wh, "secret")), "time_entry.created");
	receiver_request_free(&rq);
	free(u);
	json_decref(wh);
	receiver_stop(rx);
	harness_workspace_free(&w);
	cr_assert_eq(harness_stop_serve(pid), 0);
}

Test(webhooks, two_concurrent_drains_never_duplicate, .timeout = 90)
{
	own_database("conc");
	setenv("WEBHOOK_ALLOW_PRIVATE", "1", 1);
	static const char *const env[] = { "WEBHOOK_DISPATCHER=off", NULL };
	int pid = own_serve(env);
	harness_ws w;
	harness_workspace(&w, "pro", "projects");
	receiver_t *rx = receiver_start();
	receiver_script(rx, "/conc", "slow:100:200");
	char *u = receiver_url(rx, "/conc");
	json_t *hooks[3];
	for (int i = 0; i < 3; i++)
		hooks[i] = subscribe(&w, u, CREATED);
	for (int i = 0; i < 20; i++)
		free(log_entry(&w));
	double t = now_s();
	pid_t a = drain_async(t), b = drain_async(t);
	int sa, sb;
	waitpid(a, &sa, 0);
	waitpid(b, &sb, 0);
	cr_assert(WIFEXITED(sa) && WEXITSTATUS(sa) == 0 && WIFEXITED(sb) && WEXITSTATUS(sb) == 0);
	cr_assert_eq(sql_long("SELECT count(*) FROM time_webhook_deliveries WHERE status = 'delivered' AND attempts = 1", NULL, NULL),
		     60);
	cr_assert_eq(sql_long("SELECT count(*) FROM time_webhook_attempts", NULL, NULL), 60);
	cr_assert_eq(receiver_count(rx, "/conc"), 60, "the receiver got %d requests for 60 deliveries",
		     receiver_count(rx, "/conc"));
	/* Every delivery id arrived exactly once. */
	for (int i = 0; i < 60; i++) {
		receiver_request rq;
		cr_assert(receiver_get(rx, "/conc", i, &rq));
		char *dlv = receiver_header(&rq, "X-Workestra-Delivery");
		for (int k = i + 1; k < 60; k++) {
			receiver_request other;
			cr_assert(receiver_get(rx, "/conc", k, &other));
			char *d2 = receiver_header(&other, "X-Workestra-Delivery");
			cr_assert_str_neq(dlv, d2, "delivery %s was sent twice", dlv);
			free(d2);
			receiver_request_free(&other);
		}
		free(dlv);
		receiver_request_free(&rq);
	}
	for (int i = 0; i < 3; i++)
		json_decref(hooks[i]);
	free(u);
	receiver_stop(rx);
	harness_workspace_free(&w);
	cr_assert_eq(harness_stop_serve(pid), 0);
}

/* Two serve processes, both with their dispatcher, on one database. */
Test(webhooks, two_serve_dispatchers_never_duplicate, .timeout = 90)
{
	own_database("disp");
	setenv("WEBHOOK_ALLOW_PRIVATE", "1", 1);
	static const char *const env[] = { "WEBHOOK_ALLOW_PRIVATE=1", NULL };
	int p1 = own_serve(env), p2 = own_serve(env);
	harness_ws w;
	harness_workspace(&w, "pro", "projects");
	receiver_t *rx = receiver_start();
	receiver_script(rx, "/two", "slow:50:200");
	char *u = receiver_url(rx, "/two");
	json_t *hooks[2] = { subscribe(&w, u, CREATED), subscribe(&w, u, CREATED) };
	for (int i = 0; i < 15; i++)
		free(log_entry(&w));
	cr_assert_eq(wait_long("SELECT count(*) FROM time_webhook_deliveries WHERE status = 'delivered'", NULL, 30, 20000), 30);
	usleep(500 * 1000);
	cr_assert_eq(sql_long("SELECT count(*) FROM time_webhook_attempts", NULL, NULL), 30);
	cr_assert_eq(receiver_count(rx, "/two"), 30);
	cr_assert_eq(harness_stop_serve(p1), 0);
	cr_assert_eq(harness_stop_serve(p2), 0);
	json_decref(hooks[0]), json_decref(hooks[1]);
	free(u);
	receiver_stop(rx);
	harness_workspace_free(&w);
}

/* The log entry of attempt index (0-based) of the only delivery of wid. */
static json_t *logged_attempt(const harness_ws *w, const char *wid, size_t index)
{
	char path[200];
	snprintf(path, sizeof path, "/api/v1/time/webhooks/%s/deliveries", wid);
	json_t *log = call("GET", path, w->admin_tok, NULL, 200);
	cr_assert_eq(json_array_size(log), 1);
	json_t *a = json_incref(json_array_get(json_object_get(json_array_get(log, 0), "attempts"), index));
	json_decref(log);
	cr_assert(a, "no attempt %zu in the log", index + 1);
	return a;
}

static const char *str(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? v : "(not a string)";
}

/* A drain killed (-9) after the receiver got the request and before it
 * answered. The attempt was committed as 'sending' before the request went
 * out, so the log shows it; once the lease has run out the next drain closes
 * it as 'unknown', counts it on the retry schedule and sends again, with the
 * same delivery id and payload, so the receiver can tell the duplicate. */
Test(webhooks, drain_killed_mid_delivery_logs_the_attempt, .timeout = 90)
{
	own_database("kill");
	setenv("WEBHOOK_ALLOW_PRIVATE", "1", 1);
	static const char *const env[] = { "WEBHOOK_DISPATCHER=off", NULL };
	int pid = own_serve(env);
	harness_ws w;
	harness_workspace(&w, "pro", "projects");
	receiver_t *rx = receiver_start();
	receiver_script(rx, "/kill", "slow:60000:200,200"); /* the first request is never answered */
	char *u = receiver_url(rx, "/kill");
	json_t *wh = subscribe(&w, u, CREATED);
	const char *wid = json_string_value(json_object_get(wh, "id"));
	free(log_entry(&w));
	double t = now_s();
	pid_t drain = drain_async(t);
	cr_assert(receiver_wait(rx, "/kill", 1, 10000), "the drain did not start sending");
	kill(drain, SIGKILL);
	waitpid(drain, NULL, 0);
	/* The request that went out is in the log, in flight, leased to the dead process. */
	json_t *a = logged_attempt(&w, wid, 0);
	cr_assert_str_eq(str(a, "outcome"), "sending");
	cr_assert_eq(json_integer_value(json_object_get(a, "attempt")), 1);
	cr_assert(json_is_string(json_object_get(a, "at")) && json_is_null(json_object_get(a, "duration_ms")));
	json_decref(a);
	cr_assert_eq(sql_long(STATUS_SQL, wid, "pending"), 1);
	cr_assert_eq(sql_long("SELECT count(*) FROM time_webhook_deliveries WHERE webhook_id = $1 AND lease_until IS NOT NULL"
			      " AND attempts = 1",
			      wid, NULL),
		     1);
	/* While the lease holds nobody else sends it or touches the attempt. */
	cr_assert_eq(drain_at(t + 30), 0);
	a = logged_attempt(&w, wid, 0);
	cr_assert_str_eq(str(a, "outcome"), "sending");
	json_decref(a);
	/* Once it has run out: attempt 1 is closed as unknown and attempt 2 is sent. */
	char at[40];
	iso(t + 120, at);
	json_t *run = harness_cli("cron", "run", "deliver-time-webhooks", "--now", at, NULL);
	cr_assert(run, "the second drain failed");
	cr_assert_eq(json_integer_value(json_object_get(run, "attempted")), 1);
	cr_assert_eq(json_integer_value(json_object_get(run, "unknown")), 1);
	cr_assert_eq(json_integer_value(json_object_get(run, "delivered")), 1);
	json_decref(run);
	cr_assert_eq(sql_long(STATUS_SQL, wid, "delivered"), 1);
	cr_assert_eq(sql_long("SELECT attempts FROM time_webhook_deliveries WHERE webhook_id = $1", wid, NULL), 2,
		     "the unknown attempt counts on the retry schedule");
	a = logged_attempt(&w, wid, 0);
	cr_assert_str_eq(str(a, "outcome"), "unknown");
	cr_assert(json_is_null(json_object_get(a, "duration_ms")) && json_is_null(json_object_get(a, "response_code")));
	cr_assert(strstr(str(a, "error"), "may have got it"), "error: %s", str(a, "error"));
	json_decref(a);
	a = logged_attempt(&w, wid, 1);
	cr_assert_str_eq(str(a, "outcome"), "delivered");
	cr_assert_eq(json_integer_value(json_object_get(a, "attempt")), 2);
	cr_assert_eq(json_integer_value(json_object_get(a, "response_code")), 200);
	json_decref(a);
	/* The receiver saw the same delivery twice: same id, same event, same payload. */
	cr_assert_eq(receiver_count(rx, "/kill"), 2);
	receiver_request r1, r2;
	cr_assert(receiver_get(rx, "/kill", 0, &r1) && receiver_get(rx, "/kill", 1, &r2));
	char *d1 = receiver_header(&r1, "X-Workestra-Delivery"), *d2 = receiver_header(&r2, "X-Workestra-Delivery");
	char *did = sql_text("SELECT id FROM time_webhook_deliveries WHERE webhook_id = $1", wid, NULL);
	cr_assert_str_eq(d1, d2, "a redelivery keeps its delivery id, so receivers can deduplicate");
	cr_assert_str_eq(d1, did);
	cr_assert(r1.body_len == r2.body_len && !memcmp(r1.body, r2.body, r1.body_len), "the payload changed on retry");
	json_t *body = json_loadb(r1.body, r1.body_len, 0, NULL);
	char *eid = sql_text("SELECT event_id FROM time_webhook_deliveries WHERE webhook_id = $1", wid, NULL);
	cr_assert_str_eq(str(body, "id"), eid, "the payload's id is the event's");
	json_decref(body);
	/* Nothing lost, nothing doubled in the outbox. */
	cr_assert_eq(sql_long("SELECT count(*) FROM time_webhook_events", NULL, NULL), 1);
	cr_assert_eq(sql_long("SELECT count(*) FROM time_webhook_deliveries", NULL, NULL), 1);
	free(d1), free(d2), free(did), free(eid);
	receiver_request_free(&r1);
	receiver_request_free(&r2);
	free(u);
	json_decref(wh);
	receiver_stop(rx);
	harness_workspace_free(&w);
	cr_assert_eq(harness_stop_serve(pid), 0);
}

/* Attempts left in flight by dead senders (made here in SQL) follow the retry
 * schedule as timeouts would: the wait after attempt 2 is 5 minutes, and an
 * unknown last attempt fails the delivery without sending again. */
Test(webhooks, unknown_attempts_follow_the_retry_schedule, .timeout = 60)
{
	own_database("unknown");
	setenv("WEBHOOK_ALLOW_PRIVATE", "1", 1);
	static const char *const env[] = { "WEBHOOK_DISPATCHER=off", NULL };
	int pid = own_serve(env);
	harness_ws w;
	harness_workspace(&w, "pro", "projects");
	receiver_t *rx = receiver_start();
	char *u = receiver_url(rx, "/unknown");
	json_t *wh = subscribe(&w, u, CREATED);
	const char *wid = json_string_value(json_object_get(wh, "id"));
	free(log_entry(&w));
	free(log_entry(&w));
	double t = now_s();
	char t_text[32];
	snprintf(t_text, sizeof t_text, "%.3f", t);
	/* Both "died" at t - 600 holding a lease that ran out at t - 540: one on
	 * its attempt 2 (after one failed attempt), one on its last (4 of 4). */
	PQclear(sql("WITH d AS (SELECT id, workspace_id, row_number() OVER (ORDER BY created_at, id) AS n"
		    "  FROM time_webhook_deliveries WHERE webhook_id = $1),"
		    " u AS (UPDATE time_webhook_deliveries x SET attempts = CASE WHEN d.n = 1 THEN 2 ELSE 4 END,"
		    "  lease_owner = 'lease_dead', lease_until = to_timestamp($2::float8 - 540),"
		    "  next_attempt_at = to_timestamp($2::float8 - 660) FROM d WHERE x.id = d.id)"
		    " INSERT INTO time_webhook_attempts (delivery_id, workspace_id, attempt, at, duration_ms, response_code, outcome)"
		    " SELECT d.id, d.workspace_id, g, to_timestamp($2::float8 - 600 - (CASE WHEN d.n = 1 THEN 2 ELSE 4 END - g) * 60),"
		    "  CASE WHEN g < CASE WHEN d.n = 1 THEN 2 ELSE 4 END THEN 10 END,"
		    "  CASE WHEN g < CASE WHEN d.n = 1 THEN 2 ELSE 4 END THEN 503 END,"
		    "  CASE WHEN g < CASE WHEN d.n = 1 THEN 2 ELSE 4 END THEN 'failed' ELSE 'sending' END"
		    " FROM d, generate_series(1, CASE WHEN d.n = 1 THEN 2 ELSE 4 END) g",
		    2, wid, t_text));
	/* At t: attempt 2's retry is due at t - 600 + 300, so it is sent; the other fails unsent. */
	cr_assert_eq(drain_at(t), 1);
	cr_assert_eq(receiver_count(rx, "/unknown"), 1);
	cr_assert_eq(sql_long("SELECT count(*) FROM time_webhook_attempts WHERE outcome = 'unknown'", NULL, NULL), 2);
	cr_assert_eq(sql_long("SELECT count(*) FROM time_webhook_attempts WHERE outcome = 'sending'", NULL, NULL), 0);
	cr_assert_eq(sql_long("SELECT count(*) FROM time_webhook_deliveries WHERE status = 'failed' AND attempts = 4"
			      " AND next_attempt_at IS NULL AND lease_owner IS NULL",
			      NULL, NULL),
		     1);
	cr_assert_eq(sql_long("SELECT count(*) FROM time_webhook_deliveries d JOIN time_webhook_attempts a"
			      " ON a.delivery_id = d.id AND a.attempt = 3 AND a.outcome = 'delivered'"
			      " WHERE d.status = 'delivered' AND d.attempts = 3",
			      NULL, NULL),
		     1);
	free(u);
	json_decref(wh);
	receiver_stop(rx);
	harness_workspace_free(&w);
	cr_assert_eq(harness_stop_serve(pid), 0);
}

/* A serve stopped (SIGTERM) while a delivery is in flight gives the lease
 * back, and the attempt, whose request the receiver has, stays in the log as
 * unknown with its retry a minute after it started. */
Test(webhooks, shutdown_mid_delivery_logs_the_attempt, .timeout = 60)
{
	own_database("stop");
	setenv("WEBHOOK_ALLOW_PRIVATE", "1", 1);
	static const char *const env[] = { "WEBHOOK_ALLOW_PRIVATE=1", NULL };
	int pid = own_serve(env);
	harness_ws w;
	harness_workspace(&w, "pro", "projects");
	receiver_t *rx = receiver_start();
	receiver_script(rx, "/stop", "slow:60000:200");
	char *u = receiver_url(rx, "/stop");
	json_t *wh = subscribe(&w, u, CREATED);
	const char *wid = json_string_value(json_object_get(wh, "id"));
	free(log_entry(&w));
	cr_assert(receiver_wait(rx, "/stop", 1, 10000), "the dispatcher did not send");
	cr_assert_eq(harness_stop_serve(pid), 0);
	cr_assert_eq(sql_long("SELECT count(*) FROM time_webhook_attempts a JOIN time_webhook_deliveries d"
			      " ON d.id = a.delivery_id WHERE d.webhook_id = $1 AND a.outcome = 'unknown'"
			      " AND d.status = 'pending' AND d.lease_owner IS NULL AND d.attempts = 1"
			      " AND round(extract(epoch FROM d.next_attempt_at - a.at)) = 60",
			      wid, NULL),
		     1);
	free(u);
	json_decref(wh);
	receiver_stop(rx);
	harness_workspace_free(&w);
}

/* Saved while private addresses were allowed, sent by a process where they are
 * not: the address is refused when connecting, after DNS resolution. */
Test(webhooks, connect_time_address_check, .timeout = 60)
{
	own_database("ssrf");
	static const char *const env[] = { "WEBHOOK_DISPATCHER=off", "WEBHOOK_ALLOW_PRIVATE=1", NULL };
	int pid = own_serve(env);
	harness_ws w;
	harness_workspace(&w, "pro", "projects");
	receiver_t *rx = receiver_start();
	char *u = receiver_url(rx, "/inside");
	json_t *wh = subscribe(&w, u, CREATED);
	const char *wid = json_string_value(json_object_get(wh, "id"));
	free(log_entry(&w));
	unsetenv("WEBHOOK_ALLOW_PRIVATE");
	cr_assert_eq(drain_at(now_s()), 1);
	cr_assert_eq(receiver_count(rx, "/inside"), 0, "the private receiver was reached");
	cr_assert_eq(sql_long(STATUS_SQL, wid, "failed"), 1);
	char *error = sql_text("SELECT a.error FROM time_webhook_attempts a JOIN time_webhook_deliveries d ON d.id = a.delivery_id"
			       " WHERE d.webhook_id = $1",
			       wid, NULL);
	cr_assert(error && strstr(error, "refused to connect to 127.0.0.1"), "error: %s", error);
	free(error);
	free(u);
	json_decref(wh);
	receiver_stop(rx);
	harness_workspace_free(&w);
	cr_assert_eq(harness_stop_serve(pid), 0);
}

/* ================= recording in batches ================= */

/* The drain's counts: attempted, delivered, retrying, failed, lost, unknown. */
static void drain_counts(double t, const long want[6])
{
	static const char *const keys[] = { "attempted", "delivered", "retrying", "failed", "lost", "unknown" };
	char at[40];
	iso(t, at);
	json_t *out = harness_cli("cron", "run", "deliver-time-webhooks", "--now", at, NULL);
	cr_assert(out, "cron run deliver-time-webhooks --now %s failed", at);
	for (int i = 0; i < 6; i++)
		cr_assert_eq(json_integer_value(json_object_get(out, keys[i])), want[i], "drain at %s: %s is %lld, not %ld", at,
			     keys[i], (long long)json_integer_value(json_object_get(out, keys[i])), want[i]);
	json_decref(out);
}

/* One attempt of the only delivery of wid, by number: outcome|code|error|duration set. */
static char *attempt_row(const char *wid, const char *attempt)
{
	return sql_text("SELECT a.outcome || '|' || coalesce(a.response_code::text, '-') || '|' || coalesce(a.error, '-')"
			" || '|' || (a.duration_ms IS NOT NULL) FROM time_webhook_attempts a"
			" JOIN time_webhook_deliveries d ON d.id = a.delivery_id WHERE d.webhook_id = $1 AND a.attempt = $2::int",
			wid, attempt);
}

/* One event fanned out to subscriptions whose attempts end every way at once:
 * a 200, a 500 (retried), a 410 (failed), a refused connection (retried)
 * and a secret that no longer opens (failed unsent). One drain leases them
 * together and records every outcome where it belongs: each attempt's row,
 * each delivery's state, retry time and released lease. */
Test(webhooks, mixed_outcomes_recorded_in_one_drain, .timeout = 60)
{
	own_database("mixed");
	setenv("WEBHOOK_ALLOW_PRIVATE", "1", 1);
	static const char *const env[] = { "WEBHOOK_DISPATCHER=off", NULL };
	int pid = own_serve(env);
	harness_ws w;
	harness_workspace(&w, "pro", "projects");
	receiver_t *rx = receiver_start();
	receiver_script(rx, "/m500", "500,200");
	receiver_script(rx, "/m410", "410");
	/* A port nobody listens on: bound for a moment, then closed. */
	char refused[64];
	snprintf(refused, sizeof refused, "http://127.0.0.1:%d/refused", harness_free_port());
	char *u200 = receiver_url(rx, "/m200"), *u500 = receiver_url(rx, "/m500"), *u410 = receiver_url(rx, "/m410"),
	     *ukey = receiver_url(rx, "/mkey");
	json_t *hooks[5] = { subscribe(&w, u200, CREATED), subscribe(&w, u500, CREATED), subscribe(&w, u410, CREATED),
			     subscribe(&w, refused, CREATED), subscribe(&w, ukey, CREATED) };
	const char *wid[5];
	for (int i = 0; i < 5; i++)
		wid[i] = json_string_value(json_object_get(hooks[i], "id"));
	/* Sealed for another subscription: it does not open for this one. */
	PQclear(sql("UPDATE time_webhooks SET secret_sealed = (SELECT secret_sealed FROM time_webhooks WHERE id = $2)"
		    " WHERE id = $1",
		    2, wid[4], wid[0]));
	free(log_entry(&w));

	double t = now_s();
	drain_counts(t, (const long[]){ 5, 1, 2, 2, 0, 0 });
	cr_assert_eq(receiver_count(rx, "/m200") + receiver_count(rx, "/m500") + receiver_count(rx, "/m410"), 3);
	cr_assert_eq(receiver_count(rx, "/mkey"), 0, "an unsigned delivery was sent");
	static const char *const want_status[] = { "delivered", "pending", "failed", "pending", "failed" };
	for (int i = 0; i < 5; i++) {
		cr_assert_eq(sql_long("SELECT count(*) FROM time_webhook_deliveries WHERE webhook_id = $1 AND status = $2"
				      " AND attempts = 1 AND lease_owner IS NULL AND lease_until IS NULL",
				      wid[i], want_status[i]),
			     1, "subscription %d: not %s with one attempt and its lease released", i, want_status[i]);
		/* Retried a minute after the attempt started; finished ones are not due again. */
		long gap = sql_long("SELECT coalesce(extract(epoch FROM d.next_attempt_at - a.at)::bigint, -1)"
				    " FROM time_webhook_deliveries d JOIN time_webhook_attempts a ON a.delivery_id = d.id"
				    " WHERE d.webhook_id = $1",
				    wid[i], NULL);
		cr_assert_eq(gap, strcmp(want_status[i], "pending") ? -1 : 60, "subscription %d: next attempt after %ld s", i, gap);
	}
	char *row = attempt_row(wid[0], "1");
	cr_assert_str_eq(row, "delivered|200|-|true");
	free(row);
	row = attempt_row(wid[1], "1");
	cr_assert_str_eq(row, "failed|500|-|true");
	free(row);
	row = attempt_row(wid[2], "1");
	cr_assert_str_eq(row, "failed|410|-|true");
	free(row);
	row = attempt_row(wid[3], "1");
	cr_assert(row && !strncmp(row, "failed|-|", 9) && strstr(row, "onnect"), "refused: %s", row);
	free(row);
	row = attempt_row(wid[4], "1");
	cr_assert(row && !strncmp(row, "failed|-|", 9) && strstr(row, "cannot be decrypted"), "unsigned: %s", row);
	free(row);

	/* A minute later the two retries go again; nothing else does. */
	drain_counts(t + 61, (const long[]){ 2, 1, 1, 0, 0, 0 });
	cr_assert_eq(sql_long(STATUS_SQL, wid[1], "delivered"), 1);
	cr_assert_eq(sql_long("SELECT attempts FROM time_webhook_deliveries WHERE webhook_id = $1", wid[3], NULL), 2);
	cr_assert_eq(receiver_count(rx, "/m200"), 1);
	cr_assert_eq(receiver_count(rx, "/m410"), 1);
	for (int i = 0; i < 5; i++)
		json_decref(hooks[i]);
	free(u200), free(u500), free(u410), free(ukey);
	receiver_stop(rx);
	harness_workspace_free(&w);
	cr_assert_eq(harness_stop_serve(pid), 0);
}

/* Each of n deliveries of wid reached the receiver's path exactly twice,
 * with the same delivery id and body both times. */
static void each_sent_twice(receiver_t *rx, const char *path, const char *wid, int n)
{
	cr_assert_eq(receiver_count(rx, path), 2 * n);
	for (int i = 0; i < 2 * n; i++) {
		receiver_request a;
		cr_assert(receiver_get(rx, path, i, &a));
		char *id = receiver_header(&a, "X-Workestra-Delivery");
		cr_assert_eq(sql_long("SELECT count(*) FROM time_webhook_deliveries WHERE webhook_id = $1 AND id = $2", wid, id),
			     1, "%s is not a delivery of the subscription", id);
		int same = 0;
		for (int k = 0; k < 2 * n; k++) {
			receiver_request b;
			cr_assert(receiver_get(rx, path, k, &b));
			char *other = receiver_header(&b, "X-Workestra-Delivery");
			if (!strcmp(id, other)) {
				same++;
				cr_assert(a.body_len == b.body_len && !memcmp(a.body, b.body, a.body_len), "%s changed its body", id);
			}
			free(other);
			receiver_request_free(&b);
		}
		cr_assert_eq(same, 2, "delivery %s arrived %d times", id, same);
		free(id);
		receiver_request_free(&a);
	}
}

/* The database connection drops while a drain records its finished attempts
 * (a trigger has the recording backend terminate itself mid-statement, every
 * time). Nothing of the batch is recorded and every attempt counts as lost;
 * the attempts stay in flight under their leases, so nobody sends them again
 * meanwhile; once the leases have run out the next drain closes them as
 * unknown and sends each again, with the same delivery id and body. */
Test(webhooks, recording_failure_loses_nothing, .timeout = 90)
{
	own_database("recfail");
	setenv("WEBHOOK_ALLOW_PRIVATE", "1", 1);
	static const char *const env[] = { "WEBHOOK_DISPATCHER=off", NULL };
	int pid = own_serve(env);
	harness_ws w;
	harness_workspace(&w, "pro", "projects");
	receiver_t *rx = receiver_start();
	char *u = receiver_url(rx, "/recfail");
	json_t *wh = subscribe(&w, u, CREATED);
	const char *wid = json_string_value(json_object_get(wh, "id"));
	enum { N = 6 };
	for (int i = 0; i < N; i++)
		free(log_entry(&w));
	PQclear(sql("CREATE FUNCTION test_drop_recorder() RETURNS trigger LANGUAGE plpgsql AS"
		    " 'BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NEW; END'",
		    0, NULL, NULL));
	PQclear(sql("CREATE TRIGGER test_drop_recorder BEFORE UPDATE ON time_webhook_attempts FOR EACH ROW"
		    " WHEN (NEW.outcome IN ('delivered', 'failed')) EXECUTE FUNCTION test_drop_recorder()",
		    0, NULL, NULL));
	double t = now_s();
	drain_counts(t, (const long[]){ N, 0, 0, 0, N, 0 });
	cr_assert_eq(receiver_count(rx, "/recfail"), N);
	cr_assert_eq(sql_long("SELECT count(*) FROM time_webhook_deliveries d JOIN time_webhook_attempts a"
			      " ON a.delivery_id = d.id AND a.attempt = 1 AND a.outcome = 'sending'"
			      " WHERE d.webhook_id = $1 AND d.status = 'pending' AND d.attempts = 1 AND d.lease_owner IS NOT NULL",
			      wid, NULL),
		     N, "the batch was partly recorded");
	PQclear(sql("DROP TRIGGER test_drop_recorder ON time_webhook_attempts", 0, NULL, NULL));
	/* While the leases hold, nobody sends them again. */
	drain_counts(t + 30, (const long[]){ 0, 0, 0, 0, 0, 0 });
	cr_assert_eq(receiver_count(rx, "/recfail"), N);
	drain_counts(t + 120, (const long[]){ N, N, 0, 0, 0, N });
	cr_assert_eq(sql_long(STATUS_SQL, wid, "delivered"), N);
	cr_assert_eq(sql_long("SELECT count(*) FROM time_webhook_attempts a JOIN time_webhook_deliveries d ON d.id = a.delivery_id"
			      " WHERE d.webhook_id = $1 AND ((a.attempt = 1 AND a.outcome = 'unknown')"
			      " OR (a.attempt = 2 AND a.outcome = 'delivered'))",
			      wid, NULL),
		     2 * N);
	each_sent_twice(rx, "/recfail", wid, N);
	free(u);
	json_decref(wh);
	receiver_stop(rx);
	harness_workspace_free(&w);
	cr_assert_eq(harness_stop_serve(pid), 0);
}

/* One attempt's row refuses its outcome (a trigger raises for that delivery
 * alone): the batch it came in fails, and the others are then recorded one
 * by one, so only that attempt is lost; it is sent again once its lease has
 * run out, with the same delivery id. */
Test(webhooks, an_unrecordable_attempt_costs_only_itself, .timeout = 90)
{
	own_database("badrow");
	setenv("WEBHOOK_ALLOW_PRIVATE", "1", 1);
	static const char *const env[] = { "WEBHOOK_DISPATCHER=off", NULL };
	int pid = own_serve(env);
	harness_ws w;
	harness_workspace(&w, "pro", "projects");
	receiver_t *rx = receiver_start();
	char *u = receiver_url(rx, "/badrow");
	json_t *wh = subscribe(&w, u, CREATED);
	const char *wid = json_string_value(json_object_get(wh, "id"));
	enum { N = 6 };
	for (int i = 0; i < N; i++)
		free(log_entry(&w));
	char *bad = sql_text("SELECT id FROM time_webhook_deliveries WHERE webhook_id = $1 ORDER BY created_at LIMIT 1 OFFSET 2",
			     wid, NULL);
	char create[400];
	snprintf(create, sizeof create,
		 "CREATE FUNCTION test_refuse_outcome() RETURNS trigger LANGUAGE plpgsql AS"
		 " 'BEGIN IF NEW.delivery_id = ''%s'' THEN RAISE EXCEPTION ''refused''; END IF; RETURN NEW; END'",
		 bad);
	PQclear(sql(create, 0, NULL, NULL));
	PQclear(sql("CREATE TRIGGER test_refuse_outcome BEFORE UPDATE ON time_webhook_attempts FOR EACH ROW"
		    " WHEN (NEW.outcome IN ('delivered', 'failed')) EXECUTE FUNCTION test_refuse_outcome()",
		    0, NULL, NULL));
	double t = now_s();
	drain_counts(t, (const long[]){ N, N - 1, 0, 0, 1, 0 });
	cr_assert_eq(sql_long(STATUS_SQL, wid, "delivered"), N - 1);
	cr_assert_eq(sql_long("SELECT count(*) FROM time_webhook_deliveries d JOIN time_webhook_attempts a"
			      " ON a.delivery_id = d.id AND a.outcome = 'sending' WHERE d.id = $1 AND d.status = 'pending'"
			      " AND d.lease_owner IS NOT NULL",
			      bad, NULL),
		     1);
	PQclear(sql("DROP TRIGGER test_refuse_outcome ON time_webhook_attempts", 0, NULL, NULL));
	drain_counts(t + 120, (const long[]){ 1, 1, 0, 0, 0, 1 });
	cr_assert_eq(sql_long(STATUS_SQL, wid, "delivered"), N);
	cr_assert_eq(receiver_count(rx, "/badrow"), N + 1);
	int again = 0;
	for (int i = 0; i < N + 1; i++) {
		receiver_request rq;
		cr_assert(receiver_get(rx, "/badrow", i, &rq));
		char *id = receiver_header(&rq, "X-Workestra-Delivery");
		again += !strcmp(id, bad);
		free(id);
		receiver_request_free(&rq);
	}
	cr_assert_eq(again, 2, "the refused delivery was sent %d times", again);
	free(bad), free(u);
	json_decref(wh);
	receiver_stop(rx);
	harness_workspace_free(&w);
	cr_assert_eq(harness_stop_serve(pid), 0);
}
