/* The audit log and the webhook outbox: every mutation writes exactly its
 * audit_log row (the spec's action name, who, what, where from) and its
 * time_webhook_events row with the spec's payload; a refused one writes none. */
#include "harness.h"
#include <criterion/criterion.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AUD_UA "workestra-audit-test/1.0 (integration)"

/* Sends a request with our User-Agent, asserts its status, returns the body (owned). */
static json_t *aud_callv(long want, const char *tok, const char *method, const char *body, const char *fmt, va_list ap)
{
	char path[512];
	vsnprintf(path, sizeof path, fmt, ap);
	const char *hdrs[] = { "User-Agent: " AUD_UA, NULL };
	harness_response r = harness_request(method, path, tok, body, hdrs);
	cr_assert_eq(r.status, want, "%s %s %s: expected %ld, got %ld: %s", method, path, body ? body : "", want,
		     r.status, r.body);
	json_t *j = json_incref(r.json);
	harness_response_free(&r);
	return j;
}

/* The `data` of a successful answer (owned). */
__attribute__((format(printf, 5, 6))) static json_t *aud_data(long want, const char *tok, const char *method,
							       const char *body, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	json_t *env = aud_callv(want, tok, method, body, fmt, ap);
	va_end(ap);
	cr_assert(json_object_get(env, "data"), "no data in the answer");
	json_t *d = json_incref(json_object_get(env, "data"));
	json_decref(env);
	return d;
}

/* Asserts a refusal with this status (its error code is checked elsewhere). */
__attribute__((format(printf, 5, 6))) static void aud_refused(long want, const char *tok, const char *method,
							       const char *body, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	json_t *env = aud_callv(want, tok, method, body, fmt, ap);
	va_end(ap);
	cr_assert(json_is_string(json_object_get(json_object_get(env, "error"), "code")), "an error has a code");
	json_decref(env);
}

static const char *aud_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* YYYY-MM-DDTHH:MM:SS[.fff]Z */
static bool aud_iso_utc(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	size_t n = strlen(s);
	if (n < 20 || s[n - 1] != 'Z')
		return false;
	for (size_t i = 0; i < sizeof shape - 1; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
			return false;
	return true;
}

/* What an audit row must say, besides its action and entity. */
typedef struct {
	const char *entity_type;
	const char *user_id;
	const char *source;
	long count; /* rows for this action and entity so far */
} aud_expect;

/* Asserts the audit rows of action on entity_id and checks the newest one;
 * returns its changes (owned). */
static json_t *aud_row(const harness_ws *w, const char *action, const char *entity_id, aud_expect x)
{
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM audit_log WHERE workspace_id = $1 AND action = $2 AND entity_id = $3",
				      3, w->ws, action, entity_id),
		     x.count, "%s on %s: expected %ld audit row(s)", action, entity_id, x.count);
	PGresult *r = harness_sql("SELECT workspace_id, coalesce(user_id, ''), entity_type, source, changes::text,"
				  " coalesce(ip_address, ''), coalesce(user_agent, '')"
				  " FROM audit_log WHERE workspace_id = $1 AND action = $2 AND entity_id = $3"
				  " ORDER BY created_at DESC, id LIMIT 1",
				  3, w->ws, action, entity_id);
	cr_assert_eq(PQntuples(r), 1);
	cr_assert_str_eq(PQgetvalue(r, 0, 0), w->ws);
	cr_assert_str_eq(PQgetvalue(r, 0, 1), x.user_id, "%s: user_id", action);
	cr_assert_str_eq(PQgetvalue(r, 0, 2), x.entity_type, "%s: entity_type", action);
	cr_assert_str_eq(PQgetvalue(r, 0, 3), x.source, "%s: source", action);
	cr_assert(!PQgetisnull(r, 0, 4), "%s: changes is not null", action);
	json_t *changes = json_loads(PQgetvalue(r, 0, 4), JSON_DECODE_ANY, NULL);
	cr_assert(json_is_object(changes) && json_object_size(changes) > 0, "%s: changes is a non-empty object: %s", action,
		  PQgetvalue(r, 0, 4));
	cr_assert(strstr(PQgetvalue(r, 0, 5), "127.0.0.1"), "%s: ip_address is the client's: '%s'", action,
		  PQgetvalue(r, 0, 5));
	cr_assert_str_eq(PQgetvalue(r, 0, 6), AUD_UA, "%s: user_agent", action);
	PQclear(r);
	return changes;
}

/* Asserts the outbox rows of event about data.id = entity_id, checks the newest
 * payload's envelope and returns its data (owned). */
static json_t *aud_event(const harness_ws *w, const char *event, const char *entity_id, long count)
{
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_webhook_events WHERE workspace_id = $1 AND event = $2"
				      " AND payload->'data'->>'id' = $3",
				      3, w->ws, event, entity_id),
		     count, "%s on %s: expected %ld event(s)", event, entity_id, count);
	PGresult *r = harness_sql("SELECT id, payload::text FROM time_webhook_events WHERE workspace_id = $1 AND event = $2"
				  " AND payload->'data'->>'id' = $3 ORDER BY created_at DESC, id LIMIT 1",
				  3, w->ws, event, entity_id);
	cr_assert_eq(PQntuples(r), 1);
	json_t *p = json_loads(PQgetvalue(r, 0, 1), 0, NULL);
	cr_assert(json_is_object(p), "the payload is a JSON object");
	cr_assert(!strncmp(aud_str(p, "id"), "evt_", 4), "payload id starts with evt_: %s", aud_str(p, "id"));
	cr_assert_str_eq(aud_str(p, "id"), PQgetvalue(r, 0, 0), "payload id is the outbox row id");
	cr_assert_str_eq(aud_str(p, "event"), event);
	cr_assert_str_eq(aud_str(p, "workspace_id"), w->ws);
	cr_assert(aud_iso_utc(aud_str(p, "timestamp")), "timestamp is ISO 8601 UTC: '%s'", aud_str(p, "timestamp"));
	cr_assert_eq(json_object_size(p), 5, "the payload is {id, event, workspace_id, data, timestamp}");
	json_t *data = json_incref(json_object_get(p, "data"));
	cr_assert(json_is_object(data), "data is an object");
	cr_assert_str_eq(aud_str(data, "id"), entity_id);
	PQclear(r);
	json_decref(p);
	return data;
}

/* Asserts event data is the entry as the API shows it. */
static void aud_same_entry(json_t *data, json_t *entry)
{
	json_t *shown = json_deep_copy(entry);
	json_object_del(shown, "stopped_timer");
	char *a = json_dumps(data, JSON_SORT_KEYS | JSON_COMPACT), *b = json_dumps(shown, JSON_SORT_KEYS | JSON_COMPACT);
	cr_assert(json_equal(data, shown), "event data differs from the entry:\n%s\n%s", a, b);
	free(a);
	free(b);
	json_decref(shown);
}

/* Asserts event data is the timesheet with the spec's fields, as the API shows it. */
static void aud_same_timesheet(json_t *data, json_t *sheet, const char *status)
{
	static const char *const keys[] = { "id", "user_id", "period_start", "period_end", "status", "total_hours",
					    "billable_hours", "approved_at", "approved_by", NULL };
	for (const char *const *k = keys; *k; k++) {
		cr_assert(json_object_get(data, *k), "timesheet data has '%s'", *k);
		cr_assert(json_equal(json_object_get(data, *k), json_object_get(sheet, *k)), "timesheet data '%s' differs", *k);
	}
	cr_assert_str_eq(aud_str(data, "status"), status);
}

static json_t *aud_new_entry(const harness_ws *w, const char *date, const char *hours, bool billable)
{
	char body[512];
	snprintf(body, sizeof body,
		 "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"log_date\":\"%s\",\"hours\":%s,\"billable\":%s,"
		 "\"description\":\"Audit me\"}",
		 harness_demo_id(w, "tasks", 0), date, hours, billable ? "true" : "false");
	return aud_data(201, w->member_tok, "POST", body, "/api/v1/time-entries");
}

Test(audit, time_entry_created)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	json_t *e = aud_new_entry(&w, "2026-04-29", "1.5", true);
	const char *id = aud_str(e, "id");
	json_t *changes = aud_row(&w, "time_entry.created", id, (aud_expect){ "time_entry", w.member, "api", 1 });
	cr_assert_str_eq(aud_str(changes, "id"), id, "the created row records the new entry");
	json_t *data = aud_event(&w, "time_entry.created", id, 1);
	aud_same_entry(data, e);
	cr_assert_eq(json_number_value(json_object_get(data, "hours")), 1.5);
	json_decref(data);
	json_decref(changes);
	json_decref(e);
	harness_workspace_free(&w);
}

/* The JSON number text after "key": in text, copied into out. */
static void aud_number_text(const char *text, const char *key, char *out, size_t n)
{
	char needle[64];
	snprintf(needle, sizeof needle, "\"%s\":", key);
	const char *p = strstr(text, needle);
	cr_assert(p, "no %s in %s", needle, text);
	p += strlen(needle);
	size_t len = strcspn(p, ",}]");
	cr_assert(len > 0 && len < n);
	memcpy(out, p, len);
	out[len] = '\0';
}

/* What REST answers for key of path, as JSON text. */
static void aud_rest_number(const char *tok, const char *path, const char *key, char *out, size_t n)
{
	harness_response r = harness_request("GET", path, tok, NULL, NULL);
	cr_assert_eq(r.status, 200, "GET %s: %s", path, r.body);
	aud_number_text(r.body, key, out, n);
	harness_response_free(&r);
}

/* The first column of the first row, as text. */
static void aud_sql_text(char *out, size_t n, const char *sql, const char *p1, const char *p2)
{
	PGresult *r = harness_sql(sql, 2, p1, p2);
	cr_assert_eq(PQntuples(r), 1, "%s with %s, %s", sql, p1, p2);
	snprintf(out, n, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
}

/* Awkward seconds (43199 s is 11.9997 h, 2 s is 0.0006 h): REST, the webhook
 * payload and the audit row carry the same decimal, not a double's noise
 * (11.999700000000001, 0.00059999999999999995). */
Test(audit, hours_read_the_same_in_rest_payloads_and_audit_rows)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	static const struct {
		const char *hours, *want;
	} cases[] = { { "11.99972", "11.9997" }, { "0.0006", "0.0006" } };
	char sheet[64] = "";
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *e = aud_new_entry(&w, "2026-05-05", cases[i].hours, true);
		const char *id = aud_str(e, "id");
		snprintf(sheet, sizeof sheet, "%s", aud_str(e, "timesheet_id"));
		char path[128], rest[32], payload[32], audit[32];
		snprintf(path, sizeof path, "/api/v1/time-entries/%s", id);
		aud_rest_number(w.member_tok, path, "hours", rest, sizeof rest);
		aud_sql_text(payload, sizeof payload,
			     "SELECT (payload->'data'->'hours')::text FROM time_webhook_events WHERE event = $1"
			     " AND payload->'data'->>'id' = $2",
			     "time_entry.created", id);
		aud_sql_text(audit, sizeof audit,
			     "SELECT (changes->'hours')::text FROM audit_log WHERE action = $1 AND entity_id = $2",
			     "time_entry.created", id);
		cr_assert_str_eq(rest, cases[i].want, "REST hours");
		cr_assert_str_eq(payload, rest, "the webhook payload's hours");
		cr_assert_str_eq(audit, rest, "the audit row's hours");
		json_decref(e);
	}
	/* 43201 s in the week: the timesheet's total reads 12.0003 in each. */
	json_decref(aud_data(200, w.member_tok, "POST", NULL, "/api/v1/timesheets/%s/submit", sheet));
	char path[128], rest[32], payload[32];
	snprintf(path, sizeof path, "/api/v1/timesheets/%s", sheet);
	aud_rest_number(w.member_tok, path, "total_hours", rest, sizeof rest);
	aud_sql_text(payload, sizeof payload,
		     "SELECT (payload->'data'->'total_hours')::text FROM time_webhook_events WHERE event = $1"
		     " AND payload->'data'->>'id' = $2",
		     "timesheet.submitted", sheet);
	cr_assert_str_eq(rest, "12.0003");
	cr_assert_str_eq(payload, rest, "the timesheet payload's total_hours");
	harness_workspace_free(&w);
}

Test(audit, time_entry_updated_records_the_diff)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	json_t *e = aud_new_entry(&w, "2026-04-29", "1.5", true);
	const char *id = aud_str(e, "id");
	json_t *after = aud_data(200, w.member_tok, "PATCH", "{\"description\":\"Reviewed the audit\",\"hours\":2}",
				 "/api/v1/time-entries/%s", id);
	json_t *changes = aud_row(&w, "time_entry.updated", id, (aud_expect){ "time_entry", w.member, "api", 1 });
	json_t *d = json_object_get(changes, "description");
	cr_assert_str_eq(aud_str(d, "from"), "Audit me");
	cr_assert_str_eq(aud_str(d, "to"), "Reviewed the audit");
	json_t *secs = json_object_get(changes, "duration_seconds");
	cr_assert(secs, "the duration change is recorded");
	cr_assert_eq(json_integer_value(json_object_get(secs, "from")), 5400);
	cr_assert_eq(json_integer_value(json_object_get(secs, "to")), 7200);
	cr_assert(!json_object_get(changes, "billable"), "unchanged fields are not in the diff");
	cr_assert(!json_object_get(changes, "log_date"), "unchanged fields are not in the diff");
	json_t *data = aud_event(&w, "time_entry.updated", id, 1);
	aud_same_entry(data, after);
	cr_assert_str_eq(aud_str(data, "description"), "Reviewed the audit");
	/* Still exactly one created row and one created event. */
	json_decref(aud_row(&w, "time_entry.created", id, (aud_expect){ "time_entry", w.member, "api", 1 }));
	json_decref(data);
	json_decref(changes);
	json_decref(after);
	json_decref(e);
	harness_workspace_free(&w);
}

Test(audit, time_entry_deleted)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	json_t *e = aud_new_entry(&w, "2026-04-29", "1.5", true);
	const char *id = aud_str(e, "id");
	/* A manager deletes the member's entry: the row names the manager. */
	json_t *gone = aud_data(200, w.manager_tok, "DELETE", NULL, "/api/v1/time-entries/%s", id);
	json_t *changes = aud_row(&w, "time_entry.deleted", id, (aud_expect){ "time_entry", w.manager, "api", 1 });
	json_t *data = aud_event(&w, "time_entry.deleted", id, 1);
	cr_assert_str_eq(aud_str(data, "user_id"), w.member, "the data is the deleted entry");
	cr_assert_str_eq(aud_str(data, "description"), "Audit me");
	cr_assert_eq(json_number_value(json_object_get(data, "hours")), 1.5);
	json_decref(data);
	json_decref(changes);
	json_decref(gone);
	json_decref(e);
	harness_workspace_free(&w);
}

Test(audit, timer_started_and_stopped)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char body[256];
	snprintf(body, sizeof body, "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"description\":\"Timed\"}",
		 harness_demo_id(&w, "tasks", 0));
	json_t *first = aud_data(201, w.member_tok, "POST", body, "/api/v1/time/timer/start");
	const char *id = aud_str(first, "id");
	json_t *changes = aud_row(&w, "timer.started", id, (aud_expect){ "time_entry", w.member, "timer", 1 });
	json_t *data = aud_event(&w, "timer.started", id, 1);
	aud_same_entry(data, first);
	cr_assert(json_is_true(json_object_get(data, "running")));
	json_decref(data);
	json_decref(changes);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM audit_log WHERE entity_id = $1 AND action = 'timer.stopped'", 1, id),
		     0, "not stopped yet");

	/* Starting again stops the first: that stop is audited too. */
	json_t *second = aud_data(201, w.member_tok, "POST", body, "/api/v1/time/timer/start");
	changes = aud_row(&w, "timer.stopped", id, (aud_expect){ "time_entry", w.member, "timer", 1 });
	json_decref(changes);
	data = aud_event(&w, "timer.stopped", id, 1);
	aud_same_entry(data, json_object_get(second, "stopped_timer"));
	json_decref(data);
	json_decref(aud_row(&w, "timer.started", aud_str(second, "id"), (aud_expect){ "time_entry", w.member, "timer", 1 }));

	json_t *stopped = aud_data(200, w.member_tok, "POST", NULL, "/api/v1/time/timer/stop");
	const char *id2 = aud_str(second, "id");
	changes = aud_row(&w, "timer.stopped", id2, (aud_expect){ "time_entry", w.member, "timer", 1 });
	data = aud_event(&w, "timer.stopped", id2, 1);
	aud_same_entry(data, stopped);
	cr_assert(json_is_false(json_object_get(data, "running")));
	cr_assert(json_is_integer(json_object_get(data, "duration_seconds")));
	json_decref(data);
	json_decref(changes);
	/* A stopped timer is a logged entry: time_entry.created, once, from the timer. */
	const char *both[] = { id, id2 };
	for (int i = 0; i < 2; i++) {
		json_decref(aud_row(&w, "time_entry.created", both[i], (aud_expect){ "time_entry", w.member, "timer", 1 }));
		json_decref(aud_event(&w, "time_entry.created", both[i], 1));
	}
	json_decref(stopped);
	json_decref(second);
	json_decref(first);
	harness_workspace_free(&w);
}

Test(audit, timesheet_submitted_rejected_approved)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	json_t *a = aud_new_entry(&w, "2026-04-28", "2.5", true);
	json_t *b = aud_new_entry(&w, "2026-04-29", "1", false);
	char ts[64];
	snprintf(ts, sizeof ts, "%s", aud_str(a, "timesheet_id"));

	json_t *sheet = aud_data(200, w.member_tok, "POST", NULL, "/api/v1/timesheets/%s/submit", ts);
	json_t *changes = aud_row(&w, "timesheet.submitted", ts, (aud_expect){ "timesheet", w.member, "api", 1 });
	json_t *st = json_object_get(changes, "status");
	cr_assert_str_eq(aud_str(st, "from"), "draft");
	cr_assert_str_eq(aud_str(st, "to"), "submitted");
	json_decref(changes);
	json_t *data = aud_event(&w, "timesheet.submitted", ts, 1);
	aud_same_timesheet(data, sheet, "submitted");
	cr_assert_eq(json_number_value(json_object_get(data, "total_hours")), 3.5);
	cr_assert_eq(json_number_value(json_object_get(data, "billable_hours")), 2.5);
	cr_assert_str_eq(aud_str(data, "period_start"), "2026-04-27");
	cr_assert_str_eq(aud_str(data, "period_end"), "2026-05-03");
	cr_assert_str_eq(aud_str(data, "user_id"), w.member);
	json_decref(data);
	json_decref(sheet);

	sheet = aud_data(200, w.manager_tok, "POST", "{\"reason\":\"Split the workshop\"}", "/api/v1/timesheets/%s/reject", ts);
	changes = aud_row(&w, "timesheet.rejected", ts, (aud_expect){ "timesheet", w.manager, "api", 1 });
	st = json_object_get(changes, "status");
	cr_assert_str_eq(aud_str(st, "from"), "submitted");
	cr_assert_str_eq(aud_str(st, "to"), "rejected");
	char *text = json_dumps(changes, JSON_COMPACT);
	cr_assert(strstr(text, "Split the workshop"), "the reason is recorded: %s", text);
	free(text);
	json_decref(changes);
	data = aud_event(&w, "timesheet.rejected", ts, 1);
	aud_same_timesheet(data, sheet, "rejected");
	json_decref(data);
	json_decref(sheet);

	/* Submitted a second time: a second row and a second event. */
	sheet = aud_data(200, w.member_tok, "POST", NULL, "/api/v1/timesheets/%s/submit", ts);
	changes = aud_row(&w, "timesheet.submitted", ts, (aud_expect){ "timesheet", w.member, "api", 2 });
	cr_assert_str_eq(aud_str(json_object_get(changes, "status"), "from"), "rejected");
	json_decref(changes);
	json_decref(aud_event(&w, "timesheet.submitted", ts, 2));
	json_decref(sheet);

	sheet = aud_data(200, w.manager_tok, "POST", NULL, "/api/v1/timesheets/%s/approve", ts);
	changes = aud_row(&w, "timesheet.approved", ts, (aud_expect){ "timesheet", w.manager, "api", 1 });
	st = json_object_get(changes, "status");
	cr_assert_str_eq(aud_str(st, "from"), "submitted");
	cr_assert_str_eq(aud_str(st, "to"), "approved");
	json_decref(changes);
	data = aud_event(&w, "timesheet.approved", ts, 1);
	aud_same_timesheet(data, sheet, "approved");
	cr_assert_str_eq(aud_str(data, "approved_by"), w.manager);
	cr_assert(aud_iso_utc(aud_str(data, "approved_at")), "approved_at is ISO 8601 UTC");
	cr_assert_eq(json_number_value(json_object_get(data, "total_hours")), 3.5);
	cr_assert_eq(json_number_value(json_object_get(data, "billable_hours")), 2.5);
	json_decref(data);
	json_decref(sheet);
	json_decref(b);
	json_decref(a);
	harness_workspace_free(&w);
}

static long aud_count(const char *table, const harness_ws *w)
{
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE workspace_id = $1", table);
	return harness_sql_long(sql, 1, w->ws);
}

Test(audit, refused_mutations_write_nothing)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	json_t *e = aud_new_entry(&w, "2026-04-29", "1", true);
	json_t *open = aud_new_entry(&w, "2026-04-22", "1", true);
	const char *id = aud_str(e, "id"), *ts = aud_str(e, "timesheet_id");
	json_decref(aud_data(200, w.member_tok, "POST", NULL, "/api/v1/timesheets/%s/submit", ts));
	long audits = aud_count("audit_log", &w), events = aud_count("time_webhook_events", &w);
	const char *task = harness_demo_id(&w, "tasks", 0);
	char body[512];

	snprintf(body, sizeof body, "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"log_date\":\"2026-04-22\",\"hours\":1,\"mood\":\"ok\"}", task);
	aud_refused(422, w.member_tok, "POST", body, "/api/v1/time-entries");
	snprintf(body, sizeof body, "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"log_date\":\"2026-04-22\",\"hours\":0}", task);
	aud_refused(422, w.member_tok, "POST", body, "/api/v1/time-entries");
	snprintf(body, sizeof body, "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"log_date\":\"2026-04-30\",\"hours\":1}", task);
	aud_refused(409, w.member_tok, "POST", body, "/api/v1/time-entries");
	aud_refused(422, w.member_tok, "PATCH", "{\"mood\":\"ok\"}", "/api/v1/time-entries/%s", aud_str(open, "id"));
	aud_refused(422, w.member_tok, "PATCH", "{\"hours\":25}", "/api/v1/time-entries/%s", aud_str(open, "id"));
	aud_refused(409, w.member_tok, "PATCH", "{\"description\":\"x\"}", "/api/v1/time-entries/%s", id);
	aud_refused(409, w.member_tok, "DELETE", NULL, "/api/v1/time-entries/%s", id);
	aud_refused(404, w.member2_tok, "DELETE", NULL, "/api/v1/time-entries/%s", aud_str(open, "id"));
	aud_refused(422, w.manager_tok, "POST", "{\"reason\":\"\"}", "/api/v1/timesheets/%s/reject", ts);
	aud_refused(403, w.member_tok, "POST", NULL, "/api/v1/timesheets/%s/approve", ts);
	aud_refused(409, w.member_tok, "POST", NULL, "/api/v1/timesheets/%s/submit", ts);
	aud_refused(422, w.member_tok, "PATCH", "{\"status\":\"approved\"}", "/api/v1/timesheets/%s", ts);
	aud_refused(422, w.member_tok, "POST", "{\"entity_type\":\"spaceship\"}", "/api/v1/time/timer/start");
	aud_refused(409, w.member_tok, "POST", NULL, "/api/v1/time/timer/stop");

	cr_assert_eq(aud_count("audit_log", &w), audits, "a refused mutation writes no audit row");
	cr_assert_eq(aud_count("time_webhook_events", &w), events, "a refused mutation writes no event");
	json_decref(open);
	json_decref(e);
	harness_workspace_free(&w);
}
