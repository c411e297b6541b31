/* One write path. Every core mutation run as a dry run (what previews are)
 * makes its checks and writes and leaves the database as it was, answering
 * in the shape of the real call; the AI tools' previews refuse what REST
 * refuses; units of work nest through savepoints; a confirmation's claim
 * commits with its action or not at all, also under a database failure and
 * two concurrent redemptions; a failed best-effort write leaves nothing
 * behind.
 *
 * The core is called directly, on a connection of the test's own, as users
 * of workspaces the server under test made; faults are injected with a
 * trigger that raises (or sleeps) for one workspace's rows. */
#include "core/audit.h"
#include "core/auth.h"
#include "core/calendar_convert.h"
#include "core/calendar_import.h"
#include "core/entries.h"
#include "core/invoicing.h"
#include "core/rates.h"
#include "core/saved_views.h"
#include "core/settings.h"
#include "core/timer.h"
#include "core/timesheets.h"
#include "core/tx.h"
#include "core/webhooks.h"
#include "harness.h"
#include "util/keyring.h"
#include "util/netpolicy.h"
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the core, on our own connection ---- */

static db_t *wp_db(void)
{
	static db_t *db; /* one per test process (Criterion forks per test) */
	if (!db)
		db = db_open(getenv("DATABASE_URL"));
	return db;
}

/* The actor of a token, as the server would authenticate it. */
static void wp_actor(const char *token, actor_t *actor)
{
	err_t err = { 0 };
	memset(actor, 0, sizeof *actor);
	actor->source = "api";
	cr_assert(auth_bearer(wp_db(), token, NULL, actor, &err), "auth: %s: %s", err.code, err.message);
	cr_assert_not(err_any(&err), "auth left an error: %s", err.message);
}

static PGTransactionStatusType wp_tx_state(void)
{
	PGconn *conn = db_conn(wp_db());
	return conn ? PQtransactionStatus(conn) : PQTRANS_UNKNOWN;
}

/* ---- what a workspace holds ---- */

/* Tables a mutation may touch, every row compared (as text, so an UPDATE
 * shows as much as an INSERT). */
static const char *const WP_ROWS[] = {
	"time_entries", "timesheets", "audit_log", "time_rate_overrides", "time_tracking_settings", "time_webhooks",
	"invoices", "invoice_lines", "time_saved_views", "calendar_connections", "time_calendar_imports",
	"calendar_events", "notifications", "confirmations", NULL,
};
/* Outbox tables: counted only, since the server's dispatcher works on the
 * deliveries of real calls meanwhile. */
static const char *const WP_COUNTED[] = { "time_webhook_events", "time_webhook_deliveries", NULL };

/* A digest of every row of ws in the tables above (malloc'd). */
static char *wp_fingerprint(const char *ws)
{
	size_t cap = 4096, len = 0;
	char *out = calloc(1, cap);
	cr_assert(out);
	for (int pass = 0; pass < 2; pass++)
		for (const char *const *t = pass ? WP_COUNTED : WP_ROWS; *t; t++) {
			char sql[512];
			if (pass)
				snprintf(sql, sizeof sql, "SELECT count(*)::text FROM %s x WHERE x.workspace_id = $1", *t);
			else
				snprintf(sql, sizeof sql,
					 "SELECT count(*) || ':' || md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), ''))"
					 " FROM %s x WHERE x.workspace_id = $1",
					 *t);
			PGresult *r = harness_sql(sql, 1, ws);
			len += (size_t)snprintf(out + len, cap - len, "%s=%s\n", *t, PQgetvalue(r, 0, 0));
			PQclear(r);
			cr_assert(len < cap);
		}
	return out;
}

static long wp_count(const char *table, const char *ws)
{
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE workspace_id = $1", table);
	return harness_sql_long(sql, 1, ws);
}

/* The shape of a value: an object's keys, each with its value's shape;
 * arrays and scalars are opaque (malloc'd). */
static char *wp_shape(json_t *v)
{
	if (!json_is_object(v))
		return strdup(json_is_array(v) ? "[]" : json_is_null(v) ? "null" : "v");
	const char *keys[128];
	size_t n = 0;
	const char *k;
	json_t *x;
	json_object_foreach(v, k, x) {
		cr_assert(n < 128);
		keys[n++] = k;
	}
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
			const char *t = keys[j];
			keys[j] = keys[j - 1];
			keys[j - 1] = t;
		}
	size_t cap = 256, len = 0;
	char *out = malloc(cap);
	cr_assert(out);
	len += (size_t)snprintf(out, cap, "{");
	for (size_t i = 0; i < n; i++) {
		char *sub = wp_shape(json_object_get(v, keys[i]));
		size_t need = len + strlen(keys[i]) + strlen(sub) + 8;
		if (need > cap) {
			cap = 2 * need;
			out = realloc(out, cap);
			cr_assert(out);
		}
		len += (size_t)snprintf(out + len, cap - len, "%s%s:%s", i ? "," : "", keys[i], sub);
		free(sub);
	}
	snprintf(out + len, cap - len, "}");
	return out;
}

/* ---- dry run, then the real call ---- */

typedef struct {
	const char *id;
	json_t *body;
	timesheet_action action;
} wp_args;

typedef json_t *(*wp_mutation)(core_ctx *c, const wp_args *a, bool dry_run, err_t *err);

/* Runs m on c as a dry run, then for real. The dry run must answer, leave
 * ws exactly as it was (every row; the audit log and the webhook outbox
 * counted too) and no transaction open, and answer in the real call's shape;
 * the real call must change something. Returns the real answer (owned). */
static json_t *wp_dry_then_real(const char *ws, core_ctx *c, const char *what, wp_mutation m, const wp_args *a)
{
	char *before = wp_fingerprint(ws);
	long audit = wp_count("audit_log", ws), events = wp_count("time_webhook_events", ws),
	     deliveries = wp_count("time_webhook_deliveries", ws);
	err_t err = { 0 };
	json_t *dry = m(c, a, true, &err);
	cr_assert(dry, "%s: the dry run failed: %s: %s", what, err.code, err.message);
	cr_assert_null(c->tx, "%s: the dry run left its unit on the context", what);
	cr_assert_eq(wp_tx_state(), PQTRANS_IDLE, "%s: the dry run left a transaction open", what);
	char *after = wp_fingerprint(ws);
	cr_assert_str_eq(after, before, "%s: the dry run left a trace", what);
	cr_assert_eq(wp_count("audit_log", ws), audit, "%s: audit rows", what);
	cr_assert_eq(wp_count("time_webhook_events", ws), events, "%s: outbox events", what);
	cr_assert_eq(wp_count("time_webhook_deliveries", ws), deliveries, "%s: webhook deliveries", what);
	json_t *real = m(c, a, false, &err);
	cr_assert(real, "%s: the real call failed: %s: %s", what, err.code, err.message);
	char *done = wp_fingerprint(ws);
	cr_assert_str_neq(done, before, "%s: the real call changed nothing", what);
	char *dry_shape = wp_shape(dry), *real_shape = wp_shape(real);
	cr_assert_str_eq(dry_shape, real_shape, "%s: a dry run answers in the real call's shape", what);
	free(dry_shape);
	free(real_shape);
	free(before);
	free(after);
	free(done);
	json_decref(dry);
	return real;
}

/* The same for a mutation that must be refused: the dry run refuses exactly
 * like the real call, and neither leaves a trace. */
static void wp_both_refuse(const char *ws, core_ctx *c, const char *what, wp_mutation m, const wp_args *a,
			   const char *code)
{
	char *before = wp_fingerprint(ws);
	err_t dry = { 0 }, real = { 0 };
	cr_assert_null(m(c, a, true, &dry), "%s: the dry run should be refused", what);
	cr_assert_null(m(c, a, false, &real), "%s: the real call should be refused", what);
	cr_assert_str_eq(dry.code, code, "%s: %s", what, dry.message);
	cr_assert_str_eq(real.code, dry.code, "%s", what);
	cr_assert_str_eq(real.message, dry.message, "%s", what);
	cr_assert_eq(dry.kind, real.kind, "%s", what);
	char *after = wp_fingerprint(ws);
	cr_assert_str_eq(after, before, "%s: a refusal left a trace", what);
	cr_assert_eq(wp_tx_state(), PQTRANS_IDLE, "%s", what);
	free(before);
	free(after);
}

static json_t *wp_entries_create(core_ctx *c, const wp_args *a, bool d, err_t *e)
{
	return entries_create(c, a->body, d, e);
}
static json_t *wp_entries_update(core_ctx *c, const wp_args *a, bool d, err_t *e)
{
	return entries_update(c, a->id, a->body, d, e);
}
static json_t *wp_entries_delete(core_ctx *c, const wp_args *a, bool d, err_t *e)
{
	return entries_delete(c, a->id, d, e);
}
static json_t *wp_timer_start(core_ctx *c, const wp_args *a, bool d, err_t *e)
{
	return timer_start(c, a->body, d, e);
}
static json_t *wp_timer_stop(core_ctx *c, const wp_args *a, bool d, err_t *e)
{
	(void)a;
	return timer_stop(c, d, e);
}
static json_t *wp_timer_stop_at(core_ctx *c, const wp_args *a, bool d, err_t *e)
{
	return timer_stop_at(c, a->id, NULL, d, e);
}
static json_t *wp_timesheets_update(core_ctx *c, const wp_args *a, bool d, err_t *e)
{
	return timesheets_update(c, a->id, a->body, d, e);
}
static json_t *wp_timesheets_transition(core_ctx *c, const wp_args *a, bool d, err_t *e)
{
	return timesheets_transition(c, a->id, a->action, a->body, d, e);
}
static json_t *wp_pull(core_ctx *c, const wp_args *a, bool d, err_t *e)
{
	return invoicing_pull_from_time(c, a->id, a->body, d, e);
}
static json_t *wp_convert_event(core_ctx *c, const wp_args *a, bool d, err_t *e)
{
	return calendar_convert_event(c, a->id, a->body, d, e);
}
static json_t *wp_convert_import(core_ctx *c, const wp_args *a, bool d, err_t *e)
{
	return calendar_imports_convert(c, a->id, a->body, d, e);
}
static json_t *wp_connection_create(core_ctx *c, const wp_args *a, bool d, err_t *e)
{
	return calendar_connections_create(c, a->body, d, e);
}
static json_t *wp_connection_delete(core_ctx *c, const wp_args *a, bool d, err_t *e)
{
	return calendar_connections_delete(c, a->id, d, e);
}
static json_t *wp_rates_upsert(core_ctx *c, const wp_args *a, bool d, err_t *e)
{
	int created;
	return rates_upsert(c, a->body, &created, d, e);
}
static json_t *wp_rates_delete(core_ctx *c, const wp_args *a, bool d, err_t *e)
{
	return rates_delete(c, a->id, d, e);
}
static json_t *wp_settings_update(core_ctx *c, const wp_args *a, bool d, err_t *e)
{
	return settings_update(c, a->body, d, e);
}
static json_t *wp_webhooks_create(core_ctx *c, const wp_args *a, bool d, err_t *e)
{
	return webhooks_create(c, a->body, d, e);
}
static json_t *wp_webhooks_update(core_ctx *c, const wp_args *a, bool d, err_t *e)
{
	return webhooks_update(c, a->id, a->body, d, e);
}
static json_t *wp_webhooks_delete(core_ctx *c, const wp_args *a, bool d, err_t *e)
{
	return webhooks_delete(c, a->id, d, e);
}
static json_t *wp_views_create(core_ctx *c, const wp_args *a, bool d, err_t *e)
{
	return saved_views_create(c, a->body, d, e);
}
static json_t *wp_views_update(core_ctx *c, const wp_args *a, bool d, err_t *e)
{
	return saved_views_update(c, a->id, a->body, d, e);
}
static json_t *wp_views_delete(core_ctx *c, const wp_args *a, bool d, err_t *e)
{
	return saved_views_delete(c, a->id, d, e);
}

static json_t *wp_json(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static json_t *wp_json(const char *fmt, ...)
{
	char text[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	json_error_t jerr;
	json_t *v = json_loads(text, 0, &jerr);
	cr_assert(v, "bad test JSON %s: %s", text, jerr.text);
	return v;
}

static const char *wp_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	cr_assert(s, "no '%s'", key);
	return s;
}

/* A transition of timesheet ts over REST, which must succeed; body may be NULL. */
static void wp_transition(const char *tok, const char *ts, const char *verb, const char *body)
{
	char path[160];
	snprintf(path, sizeof path, "/api/v1/timesheets/%s/%s", ts, verb);
	harness_response r = harness_request("POST", path, tok, body, NULL);
	cr_assert_eq(r.status, 200, "%s %s: %s", verb, ts, r.body);
	harness_response_free(&r);
}

/* A pro workspace with Projects and Finance whose webhook wants all nine
 * events, so every event of a real call fans out to a delivery. */
static void wp_workspace(harness_ws *w)
{
	harness_workspace(w, "pro", "projects,finance");
	json_decref(harness_call(201, w->admin_tok, "POST", "/api/v1/time/webhooks",
				 "{\"url\":\"http://127.0.0.1:9/hook\",\"events\":[\"time_entry.created\","
				 "\"time_entry.updated\",\"time_entry.deleted\",\"time_entry.invoiced\",\"timer.started\","
				 "\"timer.stopped\",\"timesheet.submitted\",\"timesheet.approved\",\"timesheet.rejected\"]}"));
}

/* ---- dry runs ---- */

Test(dry_run, entries_and_timers)
{
	harness_ws w;
	wp_workspace(&w);
	actor_t member;
	wp_actor(w.member_tok, &member);
	core_ctx c = { wp_db(), &member };
	const char *task = harness_demo_id(&w, "tasks", 0);

	wp_args a = { .body = wp_json("{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":1.5,\"log_date\":\"2026-03-03\"}", task) };
	json_t *entry = wp_dry_then_real(w.ws, &c, "entries_create", wp_entries_create, &a);
	cr_assert_eq(json_integer_value(json_object_get(entry, "duration_seconds")), 5400);
	json_decref(a.body);

	a = (wp_args){ .id = wp_str(entry, "id"), .body = wp_json("{\"hours\":2,\"description\":\"review\"}") };
	json_decref(wp_dry_then_real(w.ws, &c, "entries_update", wp_entries_update, &a));
	json_decref(a.body);
	a = (wp_args){ .id = wp_str(entry, "id") };
	json_decref(wp_dry_then_real(w.ws, &c, "entries_delete", wp_entries_delete, &a));

	/* A start with no timer running, then one that stops it first. */
	a = (wp_args){ .body = wp_json("{\"entity_type\":\"task\",\"entity_id\":\"%s\"}", task) };
	json_decref(wp_dry_then_real(w.ws, &c, "timer_start", wp_timer_start, &a));
	json_t *second = wp_dry_then_real(w.ws, &c, "timer_start (stopping the running one)", wp_timer_start, &a);
	cr_assert(json_is_object(json_object_get(second, "stopped_timer")));
	json_decref(second);
	json_decref(wp_dry_then_real(w.ws, &c, "timer_stop", wp_timer_stop, &a));
	wp_both_refuse(w.ws, &c, "timer_stop with none running", wp_timer_stop, &a, "no_active_timer");

	/* The runaway-timer job's stop, as the workspace's admin. */
	json_t *running = timer_start(&c, a.body, false, &(err_t){ 0 });
	cr_assert(running);
	json_decref(a.body);
	actor_t admin;
	wp_actor(w.admin_tok, &admin);
	core_ctx ac = { wp_db(), &admin };
	a = (wp_args){ .id = wp_str(running, "id") };
	json_decref(wp_dry_then_real(w.ws, &ac, "timer_stop_at", wp_timer_stop_at, &a));
	json_decref(running);
	json_decref(entry);
	harness_workspace_free(&w);
}

Test(dry_run, timesheets_invoicing_and_calendars)
{
	harness_ws w;
	wp_workspace(&w);
	actor_t member, manager, admin;
	wp_actor(w.member_tok, &member);
	wp_actor(w.manager_tok, &manager);
	wp_actor(w.admin_tok, &admin);
	core_ctx mc = { wp_db(), &member }, gc = { wp_db(), &manager }, ac = { wp_db(), &admin };
	const char *task = harness_demo_id(&w, "tasks", 0);
	json_t *e1 = harness_call(201, w.member_tok, "POST", "/api/v1/time-entries",
				  "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":3,\"log_date\":\"2026-03-03\"}", task);
	json_t *e2 = harness_call(201, w.member_tok, "POST", "/api/v1/time-entries",
				  "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":1,\"log_date\":\"2026-03-10\"}", task);
	const char *ts1 = wp_str(e1, "timesheet_id"), *ts2 = wp_str(e2, "timesheet_id");

	wp_args a = { .id = ts1, .body = wp_json("{\"notes\":\"kickoff week\"}") };
	json_decref(wp_dry_then_real(w.ws, &mc, "timesheets_update", wp_timesheets_update, &a));
	json_decref(a.body);
	a = (wp_args){ .id = ts1, .action = TS_SUBMIT };
	json_decref(wp_dry_then_real(w.ws, &mc, "submit", wp_timesheets_transition, &a));
	wp_both_refuse(w.ws, &mc, "submit twice", wp_timesheets_transition, &a, "invalid_transition");
	a.action = TS_APPROVE;
	wp_both_refuse(w.ws, &mc, "a member approving", wp_timesheets_transition, &a, "forbidden");
	json_decref(wp_dry_then_real(w.ws, &gc, "approve", wp_timesheets_transition, &a));
	wp_transition(w.member_tok, ts2, "submit", NULL);
	a = (wp_args){ .id = ts2, .action = TS_REJECT, .body = wp_json("{\"reason\":\"split the hours\"}") };
	json_decref(wp_dry_then_real(w.ws, &gc, "reject", wp_timesheets_transition, &a));
	json_decref(a.body);

	/* The invoice bridge: the week of ts1 is approved. */
	a = (wp_args){ .id = harness_demo_id(&w, "invoices", 0), .body = wp_json("{\"from\":\"2026-03-02\",\"to\":\"2026-03-08\"}") };
	json_t *pulled = wp_dry_then_real(w.ws, &gc, "invoicing_pull_from_time", wp_pull, &a);
	cr_assert_eq(json_integer_value(json_object_get(pulled, "entry_count")), 1, "the pull billed the entry");
	json_decref(pulled);
	json_decref(a.body);

	/* A calendar event becomes an entry; so does an imported one. */
	a = (wp_args){ .id = harness_demo_id(&w, "calendar_events", 0) };
	json_decref(wp_dry_then_real(w.ws, &ac, "calendar_convert_event", wp_convert_event, &a));
	wp_both_refuse(w.ws, &ac, "converting twice", wp_convert_event, &a, "already_converted");
	a = (wp_args){ .body = wp_json("{\"url\":\"https://calendar.example/team.ics\",\"name\":\"Team\"}") };
	json_t *conn = wp_dry_then_real(w.ws, &mc, "calendar_connections_create", wp_connection_create, &a);
	json_decref(a.body);
	PGresult *r = harness_sql("INSERT INTO time_calendar_imports (workspace_id, user_id, connection_id, uid, title,"
				  " starts_at, ends_at) VALUES ($1, $2, $3, 'wp-1', 'Planning',"
				  " '2026-03-17T09:00:00Z', '2026-03-17T10:30:00Z') RETURNING id",
				  3, w.ws, w.member, wp_str(conn, "id"));
	char import_id[64];
	snprintf(import_id, sizeof import_id, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	a = (wp_args){ .id = import_id };
	json_t *converted = wp_dry_then_real(w.ws, &mc, "calendar_imports_convert", wp_convert_import, &a);
	cr_assert_eq(json_integer_value(json_object_get(converted, "duration_seconds")), 5400);
	json_decref(converted);
	a = (wp_args){ .id = wp_str(conn, "id") };
	json_decref(wp_dry_then_real(w.ws, &mc, "calendar_connections_delete", wp_connection_delete, &a));
	json_decref(conn);
	json_decref(e1);
	json_decref(e2);
	harness_workspace_free(&w);
}

Test(dry_run, rates_settings_webhooks_and_saved_views)
{
	harness_ws w;
	wp_workspace(&w);
	netpolicy_set_allow_private(true); /* as the server under test runs (WEBHOOK_ALLOW_PRIVATE=1) */
	keyring_set(HARNESS_SECRET_KEY);
	actor_t admin;
	wp_actor(w.admin_tok, &admin);
	core_ctx c = { wp_db(), &admin };

	wp_args a = { .body = wp_json("{\"project_id\":\"%s\",\"hourly_rate\":12000}", harness_demo_id(&w, "projects", 0)) };
	json_t *rate = wp_dry_then_real(w.ws, &c, "rates_upsert (create)", wp_rates_upsert, &a);
	json_decref(a.body);
	a = (wp_args){ .body = wp_json("{\"id\":\"%s\",\"project_id\":\"%s\",\"hourly_rate\":15000}", wp_str(rate, "id"),
				       harness_demo_id(&w, "projects", 0)) };
	json_decref(wp_dry_then_real(w.ws, &c, "rates_upsert (update)", wp_rates_upsert, &a));
	json_decref(a.body);
	a = (wp_args){ .id = wp_str(rate, "id") };
	json_decref(wp_dry_then_real(w.ws, &c, "rates_delete", wp_rates_delete, &a));
	json_decref(rate);

	a = (wp_args){ .body = wp_json("{\"default_weekly_hours\":38,\"rounding\":\"up\",\"rounding_minutes\":15}") };
	json_decref(wp_dry_then_real(w.ws, &c, "settings_update", wp_settings_update, &a));
	json_decref(a.body);

	a = (wp_args){ .body = wp_json("{\"url\":\"http://127.0.0.1:9/other\",\"events\":[\"timer.started\"]}") };
	json_t *hook = wp_dry_then_real(w.ws, &c, "webhooks_create", wp_webhooks_create, &a);
	json_decref(a.body);
	a = (wp_args){ .id = wp_str(hook, "id"), .body = wp_json("{\"enabled\":false,\"secret\":\"a-new-secret-of-enough-length\"}") };
	json_decref(wp_dry_then_real(w.ws, &c, "webhooks_update", wp_webhooks_update, &a));
	json_decref(a.body);
	a = (wp_args){ .id = wp_str(hook, "id") };
	json_decref(wp_dry_then_real(w.ws, &c, "webhooks_delete", wp_webhooks_delete, &a));
	json_decref(hook);

	a = (wp_args){ .body = wp_json("{\"name\":\"Weekly hours\",\"filters\":{\"range\":\"last_week\"},"
				       "\"recipients\":[\"ops@example.com\"],\"schedule\":\"weekly\"}") };
	json_t *view = wp_dry_then_real(w.ws, &c, "saved_views_create", wp_views_create, &a);
	json_decref(a.body);
	a = (wp_args){ .id = wp_str(view, "id"), .body = wp_json("{\"name\":\"Hours last week\"}") };
	json_decref(wp_dry_then_real(w.ws, &c, "saved_views_update", wp_views_update, &a));
	json_decref(a.body);
	a = (wp_args){ .id = wp_str(view, "id") };
	json_decref(wp_dry_then_real(w.ws, &c, "saved_views_delete", wp_views_delete, &a));
	json_decref(view);
	harness_workspace_free(&w);
}

/* A refused write refuses the same as a dry run, with nothing left behind. */
Test(dry_run, a_locked_day_is_refused_alike)
{
	harness_ws w;
	wp_workspace(&w);
	actor_t member;
	wp_actor(w.member_tok, &member);
	core_ctx c = { wp_db(), &member };
	json_t *e = harness_call(201, w.member_tok, "POST", "/api/v1/time-entries",
				 "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":1,\"log_date\":\"2026-03-03\"}",
				 harness_demo_id(&w, "tasks", 0));
	wp_transition(w.member_tok, wp_str(e, "timesheet_id"), "submit", NULL);
	wp_args a = { .body = wp_json("{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":2,\"log_date\":\"2026-03-05\"}",
				      harness_demo_id(&w, "tasks", 0)) };
	wp_both_refuse(w.ws, &c, "entries_create on a submitted week", wp_entries_create, &a, "timesheet_locked");
	json_decref(a.body);
	a = (wp_args){ .id = wp_str(e, "id"), .body = wp_json("{\"hours\":2}") };
	wp_both_refuse(w.ws, &c, "entries_update on a submitted week", wp_entries_update, &a, "timesheet_locked");
	json_decref(a.body);
	json_decref(e);
	harness_workspace_free(&w);
}

/* ---- the AI tools' previews ---- */

static harness_response wp_tool(const char *token, const char *name, const char *args)
{
	char path[128];
	snprintf(path, sizeof path, "/api/ai/tools/%s", name);
	return harness_request("POST", path, token, args, NULL);
}

/* log_time_entry's preview on a locked day says what POST /api/v1/time-entries says. */
static void wp_tool_refuses_like_rest(const harness_ws *w, const char *body)
{
	harness_response rest = harness_request("POST", "/api/v1/time-entries", w->member_tok, body, NULL);
	cr_assert_eq(rest.status, 409, "%s", rest.body);
	cr_assert_str_eq(harness_error_code(&rest), "timesheet_locked");
	char expected[600];
	snprintf(expected, sizeof expected, "timesheet_locked: %s",
		 json_string_value(json_object_get(json_object_get(rest.json, "error"), "message")));
	harness_response tool = wp_tool(w->member_tok, "log_time_entry", body);
	cr_assert_eq(tool.status, 200, "%s", tool.body);
	json_t *result = harness_data(&tool);
	cr_assert(json_is_true(json_object_get(result, "isError")), "%s", tool.body);
	cr_assert_null(json_object_get(result, "structuredContent"));
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(result, "content"), 0), "text")),
			 expected);
	harness_response_free(&tool);
	harness_response_free(&rest);
}

Test(ai_previews, log_time_entry_on_a_locked_day_refuses_like_rest)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	const char *task = harness_demo_id(&w, "tasks", 0);
	json_t *e = harness_call(201, w.member_tok, "POST", "/api/v1/time-entries",
				 "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":1,\"log_date\":\"2026-03-03\"}", task);
	const char *ts = wp_str(e, "timesheet_id");
	char body[256];
	snprintf(body, sizeof body, "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":2,\"log_date\":\"2026-03-04\"}", task);

	wp_transition(w.member_tok, ts, "submit", NULL);
	wp_tool_refuses_like_rest(&w, body);
	wp_transition(w.manager_tok, ts, "approve", NULL);
	wp_tool_refuses_like_rest(&w, body);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_entries WHERE timesheet_id = $1", 1, ts), 1);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM confirmations WHERE workspace_id = $1", 1, w.ws), 0);

	/* A rejected week takes entries again: the preview is the entry the
	 * confirmation will make. */
	json_t *e2 = harness_call(201, w.member_tok, "POST", "/api/v1/time-entries",
				  "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":1,\"log_date\":\"2026-03-10\"}", task);
	const char *ts2 = wp_str(e2, "timesheet_id");
	wp_transition(w.member_tok, ts2, "submit", NULL);
	wp_transition(w.manager_tok, ts2, "reject", "{\"reason\":\"again\"}");
	snprintf(body, sizeof body, "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":0.25,\"log_date\":\"2026-03-11\"}", task);
	harness_response r = wp_tool(w.member_tok, "log_time_entry", body);
	json_t *sc = json_object_get(harness_data(&r), "structuredContent");
	cr_assert(json_is_true(json_object_get(sc, "requires_confirmation")), "%s", r.body);
	json_t *creates = json_object_get(json_object_get(sc, "preview"), "creates_entry");
	cr_assert_float_eq(json_real_value(json_object_get(creates, "hours")), 0.25, 1e-9, "%s", r.body);
	cr_assert_str_eq(wp_str(creates, "log_date"), "2026-03-11");
	cr_assert_str_eq(wp_str(creates, "project_id"), wp_str(e2, "project_id"), "the task's project, filled in");
	cr_assert_str_eq(wp_str(creates, "user_id"), w.member);
	harness_response_free(&r);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_entries WHERE timesheet_id = $1", 1, ts2), 1);
	json_decref(e2);
	json_decref(e);
	harness_workspace_free(&w);
}

/* ---- faults ---- */

/* Tables a test can make fail (or slow) for one workspace's rows, and on
 * which statements: writes, or (confirmations) deletes only. */
static const struct {
	const char *table, *on;
} WP_FAULTY[] = {
	{ "time_entries", "INSERT OR UPDATE" }, { "audit_log", "INSERT OR UPDATE" }, { "api_tokens", "INSERT OR UPDATE" },
	{ "notifications", "INSERT OR UPDATE" }, { "confirmations", "DELETE" }, { NULL, NULL },
};

/* Installs the fault triggers: before a statement above, they sleep half a
 * second and/or raise for the rows of a workspace listed in wt_test_faults.
 * Install before any unit of work is open: the DDL waits for transactions
 * on the table. */
static void wp_faults_install(void)
{
	PQclear(harness_sql("SET client_min_messages = warning", 0));
	PQclear(harness_sql("CREATE TABLE IF NOT EXISTS wt_test_faults (tbl text NOT NULL, workspace_id text NOT NULL,"
			    " fault text NOT NULL CHECK (fault IN ('raise', 'sleep')))",
			    0));
	PQclear(harness_sql(
		"CREATE OR REPLACE FUNCTION wt_test_fault() RETURNS trigger LANGUAGE plpgsql AS $$"
		" DECLARE ws text := CASE WHEN TG_OP = 'DELETE' THEN OLD.workspace_id ELSE NEW.workspace_id END; BEGIN"
		" IF EXISTS (SELECT 1 FROM wt_test_faults f WHERE f.tbl = TG_TABLE_NAME"
		"  AND f.workspace_id = ws AND f.fault = 'sleep') THEN PERFORM pg_sleep(0.5); END IF;"
		" IF EXISTS (SELECT 1 FROM wt_test_faults f WHERE f.tbl = TG_TABLE_NAME"
		"  AND f.workspace_id = ws AND f.fault = 'raise') THEN"
		"  RAISE EXCEPTION 'fault injected by a test into %', TG_TABLE_NAME; END IF;"
		" RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END; END $$",
		0));
	for (int i = 0; WP_FAULTY[i].table; i++) {
		char sql[256];
		snprintf(sql, sizeof sql,
			 "CREATE OR REPLACE TRIGGER wt_test_fault BEFORE %s ON %s FOR EACH ROW EXECUTE FUNCTION wt_test_fault()",
			 WP_FAULTY[i].on, WP_FAULTY[i].table);
		PQclear(harness_sql(sql, 0));
	}
}

static void wp_faults_remove(const char *ws)
{
	PQclear(harness_sql("DELETE FROM wt_test_faults WHERE workspace_id = $1", 1, ws));
	for (int i = 0; WP_FAULTY[i].table; i++) {
		char sql[128];
		snprintf(sql, sizeof sql, "DROP TRIGGER IF EXISTS wt_test_fault ON %s", WP_FAULTY[i].table);
		PQclear(harness_sql(sql, 0));
	}
}

static void wp_fault(const char *table, const char *ws, const char *fault)
{
	PQclear(harness_sql("INSERT INTO wt_test_faults (tbl, workspace_id, fault) VALUES ($1, $2, $3)", 3, table, ws, fault));
}

static void wp_faults_clear(const char *ws)
{
	PQclear(harness_sql("DELETE FROM wt_test_faults WHERE workspace_id = $1", 1, ws));
}

static json_t *wp_entry_body(const harness_ws *w, const char *day, const char *hours)
{
	return wp_json("{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":%s,\"log_date\":\"%s\"}",
		       harness_demo_id(w, "tasks", 0), hours, day);
}

static long wp_entries(const harness_ws *w)
{
	return harness_sql_long("SELECT count(*) FROM time_entries WHERE workspace_id = $1", 1, w->ws);
}

/* ---- units of work ---- */

Test(units, nested_units_release_into_or_roll_back_to_themselves)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	wp_faults_install();
	actor_t member;
	wp_actor(w.member_tok, &member);
	core_ctx c = { wp_db(), &member };
	json_t *ok = wp_entry_body(&w, "2026-03-03", "1"), *ok2 = wp_entry_body(&w, "2026-03-04", "2");
	json_t *bad = wp_json("{\"entity_type\":\"task\",\"entity_id\":\"tsk_nope\",\"hours\":1,\"log_date\":\"2026-03-03\"}");
	err_t err = { 0 };

	tx_unit outer;
	cr_assert(tx_begin(&c, &outer, &err));
	cr_assert(outer.owns);
	cr_assert_eq(c.tx, &outer);
	json_t *kept = entries_create(&c, ok, false, &err);
	cr_assert(kept, "%s", err.message);
	cr_assert_eq(c.tx, &outer, "the nested unit ended and gave the context back");
	/* A refused mutation and one that meets a database error undo only
	 * themselves: the outer unit goes on. */
	err_t refused = { 0 }, failed = { 0 };
	cr_assert_null(entries_create(&c, bad, false, &refused));
	cr_assert_str_eq(refused.code, "validation_failed");
	wp_fault("audit_log", w.ws, "raise");
	cr_assert_null(entries_create(&c, ok2, false, &failed));
	cr_assert_eq(failed.kind, ERR_INTERNAL, "%s: %s", failed.code, failed.message);
	wp_faults_clear(w.ws);
	cr_assert_eq(wp_tx_state(), PQTRANS_INTRANS, "the failure did not abort the outer transaction");
	/* A dry run inside it rolls back to itself too. */
	json_t *preview = entries_create(&c, ok2, true, &err);
	cr_assert(preview, "%s", err.message);
	cr_assert(tx_commit(&outer, &err), "%s", err.message);
	cr_assert_null(c.tx);
	cr_assert_eq(wp_entries(&w), 1, "only the released mutation stayed");
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM audit_log WHERE workspace_id = $1", 1, w.ws), 1);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_webhook_events WHERE workspace_id = $1", 1, w.ws), 1);

	/* The outer unit rolled back takes its released units with it. */
	cr_assert(tx_begin(&c, &outer, &err));
	json_t *gone = entries_create(&c, ok2, false, &err);
	cr_assert(gone, "%s", err.message);
	tx_rollback(&outer);
	cr_assert_null(c.tx);
	cr_assert_eq(wp_tx_state(), PQTRANS_IDLE);
	cr_assert_eq(wp_entries(&w), 1);
	json_decref(gone);
	json_decref(preview);
	json_decref(kept);
	json_decref(ok);
	json_decref(ok2);
	json_decref(bad);
	wp_faults_remove(w.ws);
	harness_workspace_free(&w);
}

Test(units, a_failed_or_lost_transaction_is_not_papered_over)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	actor_t member;
	wp_actor(w.member_tok, &member);
	core_ctx c = { wp_db(), &member };
	json_t *ok = wp_entry_body(&w, "2026-03-03", "1");
	err_t err = { 0 };

	/* A statement failed in the transaction and nobody rolled back: no
	 * unit begins in it, and it does not commit (COMMIT would answer
	 * ROLLBACK without an error). */
	tx_unit outer;
	cr_assert(tx_begin(&c, &outer, &err));
	json_t *undone = entries_create(&c, ok, false, &err);
	cr_assert(undone, "%s", err.message);
	json_decref(undone);
	cr_assert_not(DB_EXEC(wp_db(), &(err_t){ 0 }, "SELECT 1 / 0"));
	err_t nested = { 0 }, commit = { 0 };
	cr_assert_null(entries_create(&c, ok, false, &nested));
	cr_assert_str_eq(nested.code, "internal_error");
	cr_assert_not(tx_commit(&outer, &commit));
	cr_assert_str_eq(commit.code, "internal_error");
	cr_assert_null(c.tx);
	cr_assert_eq(wp_entries(&w), 0);

	/* The connection dies inside a unit: the units nested in it fail, and
	 * none begins a transaction of its own on the new connection. */
	cr_assert(tx_begin(&c, &outer, &err));
	json_t *first = entries_create(&c, ok, false, &err);
	cr_assert(first, "%s", err.message);
	char pid[24];
	snprintf(pid, sizeof pid, "%d", PQbackendPID(db_conn(wp_db())));
	PQclear(harness_sql("SELECT pg_terminate_backend($1::int)", 1, pid));
	err_t lost = { 0 }, again = { 0 }, end = { 0 };
	cr_assert_null(entries_create(&c, ok, false, &lost));
	cr_assert_str_eq(lost.code, "database_unavailable", "%s", lost.message);
	cr_assert_null(entries_create(&c, ok, false, &again));
	cr_assert_str_eq(again.code, "database_unavailable", "%s", again.message);
	cr_assert_not(tx_commit(&outer, &end), "a commit on another connection would commit nothing and say yes");
	cr_assert_str_eq(end.code, "database_unavailable", "%s", end.message);
	cr_assert_null(c.tx);
	cr_assert_eq(wp_entries(&w), 0);
	/* The next unit opens a new connection and works. */
	json_t *later = entries_create(&c, ok, false, &err);
	cr_assert(later, "%s", err.message);
	cr_assert_eq(wp_entries(&w), 1);
	json_decref(later);
	json_decref(first);
	json_decref(ok);
	harness_workspace_free(&w);
}

/* A failed bookkeeping write (an API token's last use) refuses nothing and
 * leaves neither an error nor an aborted transaction behind. */
Test(units, a_failed_best_effort_write_leaves_nothing_behind)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	wp_faults_install();
	wp_fault("api_tokens", w.ws, "raise");
	json_decref(harness_call(201, w.member_tok, "POST", "/api/v1/time-entries",
				 "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":1,\"log_date\":\"2026-03-03\"}",
				 harness_demo_id(&w, "tasks", 0)));
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM api_tokens WHERE user_id = $1 AND last_used_at IS NULL", 1,
				      w.member),
		     1, "the token's last use was not recorded: the fault is in place");

	/* Inside a unit: authenticated, no error, and the unit goes on. */
	actor_t member = { .source = "api" };
	core_ctx c = { wp_db(), &member };
	tx_unit u;
	err_t err = { 0 };
	cr_assert(tx_begin(&c, &u, &err));
	cr_assert(auth_bearer(wp_db(), w.member_tok, NULL, &member, &err), "%s", err.message);
	cr_assert_not(err_any(&err), "auth left an error behind: %s", err.message);
	cr_assert_eq(wp_tx_state(), PQTRANS_INTRANS);
	tx_best_effort(wp_db(), "UPDATE api_tokens SET name = name WHERE user_id = $1", 1, w.member);
	cr_assert_eq(wp_tx_state(), PQTRANS_INTRANS);
	json_t *ok = wp_entry_body(&w, "2026-03-04", "2");
	json_t *e = entries_create(&c, ok, false, &err);
	cr_assert(e, "%s: %s", err.code, err.message);
	cr_assert(tx_commit(&u, &err), "%s", err.message);
	cr_assert_eq(wp_entries(&w), 2);
	json_decref(e);
	json_decref(ok);
	wp_faults_remove(w.ws);
	harness_workspace_free(&w);
}

/* ---- confirmations: the claim commits with the action ---- */

static harness_response wp_confirm(const char *token, const char *confirmation)
{
	char body[4096];
	snprintf(body, sizeof body, "{\"confirmation_token\":\"%s\"}", confirmation);
	return harness_request("POST", "/api/v1/ai/confirm", token, body, NULL);
}

/* Runs a write tool and returns its confirmation token (malloc'd). */
static char *wp_prepare(const char *token, const char *tool, const char *args)
{
	harness_response r = wp_tool(token, tool, args);
	json_t *sc = json_object_get(harness_data(&r), "structuredContent");
	cr_assert(json_is_true(json_object_get(sc, "requires_confirmation")), "%s: %s", tool, r.body);
	char *tok = strdup(wp_str(sc, "confirmation_token"));
	harness_response_free(&r);
	return tok;
}

static char *wp_prepare_log(const harness_ws *w)
{
	char args[256];
	snprintf(args, sizeof args, "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":1.5,\"log_date\":\"2026-03-04\"}",
		 harness_demo_id(w, "tasks", 0));
	return wp_prepare(w->member_tok, "log_time_entry", args);
}

static long wp_claims(const harness_ws *w)
{
	return harness_sql_long("SELECT count(*) FROM confirmations WHERE workspace_id = $1", 1, w->ws);
}

static void wp_expect(harness_response r, long status, const char *code)
{
	cr_assert_eq(r.status, status, "%s", r.body);
	if (code)
		cr_assert_str_eq(harness_error_code(&r), code, "%s", r.body);
	harness_response_free(&r);
}

Test(confirm_atomicity, a_failed_action_leaves_the_token_redeemable)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	json_t *e = harness_call(201, w.member_tok, "POST", "/api/v1/time-entries",
				 "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":1,\"log_date\":\"2026-03-03\"}",
				 harness_demo_id(&w, "tasks", 0));
	const char *ts = wp_str(e, "timesheet_id");
	char *submit = wp_prepare(w.member_tok, "submit_timesheet", "{\"period_start\":\"2026-03-03\"}");
	/* The timesheet changes state meanwhile: the action fails, no claim stays. */
	wp_transition(w.member_tok, ts, "submit", NULL);
	wp_expect(wp_confirm(w.member_tok, submit), 409, "invalid_transition");
	cr_assert_eq(wp_claims(&w), 0, "a failed action leaves no claim");
	wp_expect(wp_confirm(w.member_tok, submit), 409, "invalid_transition");
	/* Rejected, it can be submitted again: the same token does it, once. */
	wp_transition(w.manager_tok, ts, "reject", "{\"reason\":\"more detail\"}");
	wp_expect(wp_confirm(w.member_tok, submit), 200, NULL);
	cr_assert_eq(wp_claims(&w), 1);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM audit_log WHERE entity_id = $1 AND action = 'timesheet.submitted'"
				      " AND source = 'ai_tool'",
				      1, ts),
		     1);
	wp_expect(wp_confirm(w.member_tok, submit), 409, "confirmation_used");
	free(submit);
	json_decref(e);
	harness_workspace_free(&w);
}

Test(confirm_atomicity, a_database_failure_after_the_claim_leaves_no_claim)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	wp_faults_install();
	char *log = wp_prepare_log(&w);
	/* The action's first write fails, then its audit row: each time the
	 * claim written before them goes too, with no compensating DELETE
	 * (which the database refuses here, as it would when it is gone). */
	static const char *const tables[] = { "time_entries", "audit_log" };
	for (size_t i = 0; i < 2; i++) {
		wp_fault(tables[i], w.ws, "raise");
		wp_fault("confirmations", w.ws, "raise");
		wp_expect(wp_confirm(w.member_tok, log), 500, "internal_error");
		wp_faults_clear(w.ws);
		cr_assert_eq(wp_claims(&w), 0, "a failure in %s left the claim", tables[i]);
		cr_assert_eq(wp_entries(&w), 0);
		cr_assert_eq(harness_sql_long("SELECT count(*) FROM audit_log WHERE workspace_id = $1", 1, w.ws), 0);
		cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_webhook_events WHERE workspace_id = $1", 1, w.ws), 0);
	}
	wp_expect(wp_confirm(w.member_tok, log), 200, NULL);
	cr_assert_eq(wp_claims(&w), 1);
	cr_assert_eq(wp_entries(&w), 1);
	wp_expect(wp_confirm(w.member_tok, log), 409, "confirmation_used");
	cr_assert_eq(wp_entries(&w), 1);
	free(log);
	wp_faults_remove(w.ws);
	harness_workspace_free(&w);
}

typedef struct {
	const harness_ws *w;
	const char *confirmation;
	pthread_barrier_t *start;
	long status;
	char code[48];
} wp_racer;

static void *wp_race(void *arg)
{
	wp_racer *r = arg;
	pthread_barrier_wait(r->start);
	harness_response resp = wp_confirm(r->w->member_tok, r->confirmation);
	r->status = resp.status;
	snprintf(r->code, sizeof r->code, "%s", resp.status >= 400 && harness_error_code(&resp) ? harness_error_code(&resp) : "");
	harness_response_free(&resp);
	return NULL;
}

Test(confirm_atomicity, two_concurrent_redemptions_run_the_action_once)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	wp_faults_install();
	char *log = wp_prepare_log(&w);
	/* The entry's insert takes half a second: the first redemption holds
	 * its claim that long, uncommitted, while the second arrives. */
	wp_fault("time_entries", w.ws, "sleep");
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, 2);
	wp_racer racers[2] = { { &w, log, &start, 0, "" }, { &w, log, &start, 0, "" } };
	pthread_t th[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, wp_race, &racers[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&start);
	wp_faults_clear(w.ws);
	int won = 0, used = 0;
	for (int i = 0; i < 2; i++) {
		won += racers[i].status == 200;
		used += racers[i].status == 409 && !strcmp(racers[i].code, "confirmation_used");
	}
	cr_assert(won == 1 && used == 1, "answers %ld %s / %ld %s", racers[0].status, racers[0].code, racers[1].status,
		  racers[1].code);
	cr_assert_eq(wp_entries(&w), 1, "the action ran once");
	cr_assert_eq(wp_claims(&w), 1);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM audit_log WHERE workspace_id = $1 AND action = 'time_entry.created'",
				      1, w.ws),
		     1);
	free(log);
	wp_faults_remove(w.ws);
	harness_workspace_free(&w);
}

/* ---- crons compose ---- */

/* The runaway-timer job stops a Pro timer and tells its owner in one unit:
 * when the notice cannot be written the timer keeps running, for the next
 * run to stop and tell. */
Test(cron_units, a_runaway_timer_is_stopped_and_its_owner_told_together)
{
	harness_ws w;
	harness_workspace(&w, "pro", NULL);
	wp_faults_install();
	json_t *t = harness_call(201, w.member_tok, "POST", "/api/v1/time/timer/start", "{\"entity_type\":\"task\",\"entity_id\":\"%s\"}",
				 harness_demo_id(&w, "tasks", 0));
	const char *id = wp_str(t, "id");
	PQclear(harness_sql("UPDATE time_entries SET started_at = '2025-07-13T12:00:00Z' WHERE id = $1", 1, id));
	wp_fault("notifications", w.ws, "raise");
	json_t *run = harness_cron("time-running-timer-nudges", "2025-07-14T06:30:00Z");
	cr_assert(run);
	wp_faults_clear(w.ws);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_entries WHERE id = $1 AND ended_at IS NULL", 1, id), 1,
		     "the stop rolled back with the notice");
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM audit_log WHERE entity_id = $1 AND action = 'timer.stopped'", 1, id), 0);
	char *errors = json_dumps(json_object_get(run, "errors"), 0);
	cr_assert(errors && strstr(errors, id), "the timer is reported: %s", errors);
	free(errors);
	json_decref(run);
	run = harness_cron("time-running-timer-nudges", "2025-07-15T06:30:00Z");
	cr_assert(run);
	PGresult *r = harness_sql("SELECT wt_iso(ended_at) FROM time_entries WHERE id = $1", 1, id);
	cr_assert_str_eq(PQgetvalue(r, 0, 0), "2025-07-14T00:00:00Z", "stopped at the threshold (12 h)");
	PQclear(r);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM audit_log WHERE entity_id = $1 AND action = 'timer.stopped'", 1, id), 1);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM notifications WHERE workspace_id = $1 AND kind = 'timer.auto_stopped'",
				      1, w.ws),
		     1);
	json_decref(run);
	json_decref(t);
	wp_faults_remove(w.ws);
	harness_workspace_free(&w);
}
