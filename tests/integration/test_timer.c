/* The timer: GET active, POST start (stops any running timer of the user in
 * the same transaction), POST stop, the refusals, and the 16-way start race
 * the database itself must settle (at most one running timer per user). */
#include "harness.h"
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TMR_START "/api/v1/time/timer/start"
#define TMR_STOP "/api/v1/time/timer/stop"
#define TMR_ACTIVE "/api/v1/time/timer/active"

enum { TMR_RACERS = 16 };

/* Sends a request, asserts its status and returns the parsed body (owned). */
static json_t *tmr_callv(long want, const char *tok, const char *method, const char *body, const char *fmt, va_list ap)
{
	char path[512];
	vsnprintf(path, sizeof path, fmt, ap);
	harness_response r = harness_request(method, path, tok, body, NULL);
	cr_assert_eq(r.status, want, "%s %s: expected %ld, got %ld: %s", method, path, want, r.status, r.body);
	json_t *j = json_incref(r.json);
	harness_response_free(&r);
	return j;
}

/* The whole answer (owned), status asserted. */
__attribute__((format(printf, 5, 6))) static json_t *tmr_call(long want, const char *tok, const char *method,
							       const char *body, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	json_t *env = tmr_callv(want, tok, method, body, fmt, ap);
	va_end(ap);
	return env;
}

/* The `data` of a successful answer (owned). */
__attribute__((format(printf, 5, 6))) static json_t *tmr_data(long want, const char *tok, const char *method,
							       const char *body, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	json_t *env = tmr_callv(want, tok, method, body, fmt, ap);
	va_end(ap);
	cr_assert(json_object_get(env, "data"), "no data in the answer");
	json_t *d = json_incref(json_object_get(env, "data"));
	json_decref(env);
	return d;
}

/* Asserts an error answer with this status and error code. */
__attribute__((format(printf, 6, 7))) static void tmr_refused(long want, const char *code, const char *tok,
							       const char *method, const char *body, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	json_t *env = tmr_callv(want, tok, method, body, fmt, ap);
	va_end(ap);
	const char *got = json_string_value(json_object_get(json_object_get(env, "error"), "code"));
	cr_assert_str_eq(got ? got : "(none)", code, "expected error code %s", code);
	json_decref(env);
}

static const char *tmr_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static long tmr_running_count(const harness_ws *w, const char *user)
{
	return harness_sql_long("SELECT count(*) FROM time_entries WHERE workspace_id = $1 AND user_id = $2"
				" AND started_at IS NOT NULL AND ended_at IS NULL AND deleted_at IS NULL",
				2, w->ws, user);
}

static void tmr_today(char out[11])
{
	PGresult *r = harness_sql("SELECT (now() AT TIME ZONE 'UTC')::date::text", 0);
	snprintf(out, 11, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
}

/* A start body on the workspace's first demo task. */
static void tmr_task_body(const harness_ws *w, const char *description, char *out, size_t n)
{
	snprintf(out, n, "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"description\":\"%s\",\"billable\":true}",
		 harness_demo_id(w, "tasks", 0), description);
}

static void tmr_assert_running(json_t *e)
{
	cr_assert(json_is_true(json_object_get(e, "running")), "running must be true");
	cr_assert_str_eq(tmr_str(e, "status"), "running");
	cr_assert(json_is_null(json_object_get(e, "duration_seconds")), "a running timer has no duration yet");
	cr_assert(json_is_null(json_object_get(e, "ended_at")), "a running timer has no end");
	cr_assert(strlen(tmr_str(e, "started_at")) == 20, "started_at must be ISO 8601 UTC");
}

static void tmr_assert_stopped(json_t *e)
{
	cr_assert(json_is_false(json_object_get(e, "running")), "running must be false once stopped");
	cr_assert_str_neq(tmr_str(e, "status"), "running");
	cr_assert(strlen(tmr_str(e, "ended_at")) == 20, "a stopped timer has ended_at");
	json_t *d = json_object_get(e, "duration_seconds");
	cr_assert(json_is_integer(d) && json_integer_value(d) >= 0, "a stopped timer has integer duration_seconds");
	cr_assert(strcmp(tmr_str(e, "ended_at"), tmr_str(e, "started_at")) >= 0, "ended_at before started_at");
}

Test(timer, active_is_null_without_a_timer)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	json_t *env = tmr_data(200, w.member_tok, "GET", NULL, TMR_ACTIVE);
	cr_assert(json_is_null(env), "data must be null when no timer runs");
	json_decref(env);
	harness_workspace_free(&w);
}

Test(timer, start_answers_the_running_entry_and_active_returns_it)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char body[512], before[11], after[11];
	tmr_task_body(&w, "Pairing on the importer", body, sizeof body);
	tmr_today(before);
	json_t *e = tmr_data(201, w.member_tok, "POST", body, TMR_START);
	tmr_today(after);
	tmr_assert_running(e);
	cr_assert(!strncmp(tmr_str(e, "id"), "te_", 3), "entry ids start with te_");
	cr_assert_str_eq(tmr_str(e, "user_id"), w.member);
	cr_assert_str_eq(tmr_str(e, "workspace_id"), w.ws);
	cr_assert_str_eq(tmr_str(e, "entity_type"), "task");
	cr_assert_str_eq(tmr_str(e, "entity_id"), harness_demo_id(&w, "tasks", 0));
	cr_assert_str_eq(tmr_str(e, "description"), "Pairing on the importer");
	cr_assert(json_is_true(json_object_get(e, "billable")));
	cr_assert(json_is_null(json_object_get(e, "stopped_timer")), "nothing was running before");
	cr_assert(!strcmp(tmr_str(e, "log_date"), before) || !strcmp(tmr_str(e, "log_date"), after),
		  "a timer is logged on today (%s)", tmr_str(e, "log_date"));
	/* The task's project is filled in. */
	PGresult *r = harness_sql("SELECT project_id FROM tasks WHERE id = $1", 1, harness_demo_id(&w, "tasks", 0));
	cr_assert_str_eq(tmr_str(e, "project_id"), PQgetvalue(r, 0, 0));
	PQclear(r);
	cr_assert(strlen(tmr_str(e, "timesheet_id")) > 3, "the entry belongs to a timesheet");

	json_t *a = tmr_data(200, w.member_tok, "GET", NULL, TMR_ACTIVE);
	cr_assert(json_is_object(a), "active must return the running entry");
	cr_assert_str_eq(tmr_str(a, "id"), tmr_str(e, "id"));
	tmr_assert_running(a);
	/* It is the member's timer, nobody else's. */
	json_t *other = tmr_data(200, w.member2_tok, "GET", NULL, TMR_ACTIVE);
	cr_assert(json_is_null(other), "another user's active timer must be null");
	json_t *mgr = tmr_data(200, w.manager_tok, "GET", NULL, TMR_ACTIVE);
	cr_assert(json_is_null(mgr), "active is the caller's own timer, even for a manager");
	cr_assert_eq(tmr_running_count(&w, w.member), 1);
	json_decref(mgr);
	json_decref(other);
	json_decref(a);
	json_decref(e);
	harness_workspace_free(&w);
}

Test(timer, start_without_entity_id_and_optional_fields)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char body[256];
	snprintf(body, sizeof body, "{\"entity_type\":\"project\",\"project_id\":\"%s\",\"billable\":false}",
		 harness_demo_id(&w, "projects", 0));
	json_t *e = tmr_data(201, w.member_tok, "POST", body, TMR_START);
	tmr_assert_running(e);
	cr_assert_str_eq(tmr_str(e, "project_id"), harness_demo_id(&w, "projects", 0));
	cr_assert(json_is_false(json_object_get(e, "billable")));
	json_decref(e);
	harness_workspace_free(&w);
}

Test(timer, starting_again_stops_the_first)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char body[512];
	tmr_task_body(&w, "first", body, sizeof body);
	json_t *first = tmr_data(201, w.member_tok, "POST", body, TMR_START);
	/* Another user's timer is not touched by the member's starts. */
	json_t *theirs = tmr_data(201, w.member2_tok, "POST", body, TMR_START);
	tmr_task_body(&w, "second", body, sizeof body);
	json_t *second = tmr_data(201, w.member_tok, "POST", body, TMR_START);
	tmr_assert_running(second);
	cr_assert_str_neq(tmr_str(second, "id"), tmr_str(first, "id"));
	json_t *stopped = json_object_get(second, "stopped_timer");
	cr_assert(json_is_object(stopped), "the answer names the timer it stopped");
	cr_assert_str_eq(tmr_str(stopped, "id"), tmr_str(first, "id"));
	tmr_assert_stopped(stopped);
	cr_assert_str_eq(tmr_str(stopped, "description"), "first");

	cr_assert_eq(tmr_running_count(&w, w.member), 1, "exactly one running timer for the user");
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_entries WHERE id = $1 AND ended_at IS NULL", 1,
				      tmr_str(second, "id")),
		     1, "the running timer is the second");
	json_t *old = tmr_data(200, w.member_tok, "GET", NULL, "/api/v1/time-entries/%s", tmr_str(first, "id"));
	tmr_assert_stopped(old);
	json_t *a = tmr_data(200, w.member_tok, "GET", NULL, TMR_ACTIVE);
	cr_assert_str_eq(tmr_str(a, "id"), tmr_str(second, "id"));
	json_t *a2 = tmr_data(200, w.member2_tok, "GET", NULL, TMR_ACTIVE);
	cr_assert_str_eq(tmr_str(a2, "id"), tmr_str(theirs, "id"), "member2's timer still runs");
	cr_assert_eq(tmr_running_count(&w, w.member2), 1);
	json_decref(a2);
	json_decref(a);
	json_decref(old);
	json_decref(second);
	json_decref(theirs);
	json_decref(first);
	harness_workspace_free(&w);
}

Test(timer, stop_answers_the_entry_and_a_second_stop_is_refused)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char body[512];
	tmr_task_body(&w, "to stop", body, sizeof body);
	json_t *e = tmr_data(201, w.member_tok, "POST", body, TMR_START);
	json_t *s = tmr_data(200, w.member_tok, "POST", NULL, TMR_STOP);
	cr_assert_str_eq(tmr_str(s, "id"), tmr_str(e, "id"));
	tmr_assert_stopped(s);
	cr_assert_str_eq(tmr_str(s, "status"), "draft", "a stopped entry takes its timesheet's status");
	cr_assert_str_eq(tmr_str(s, "started_at"), tmr_str(e, "started_at"));
	cr_assert_str_eq(tmr_str(s, "description"), "to stop");
	cr_assert_eq(tmr_running_count(&w, w.member), 0);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_entries WHERE id = $1 AND ended_at IS NOT NULL"
				      " AND duration_seconds IS NOT NULL",
				      1, tmr_str(e, "id")),
		     1);
	json_t *a = tmr_data(200, w.member_tok, "GET", NULL, TMR_ACTIVE);
	cr_assert(json_is_null(a), "no active timer after stop");
	tmr_refused(409, "no_active_timer", w.member_tok, "POST", NULL, TMR_STOP);
	json_decref(a);
	json_decref(s);
	json_decref(e);
	harness_workspace_free(&w);
}

/* Both ends are whole seconds when written, so the duration is their exact
 * difference: an hour and a half is 5400 s, not 5399 because the start kept a
 * fraction the stop did not. */
Test(timer, starts_and_stops_are_whole_seconds)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char body[512];
	tmr_task_body(&w, "whole seconds", body, sizeof body);
	json_t *e = tmr_data(201, w.member_tok, "POST", body, TMR_START);
	const char *id = tmr_str(e, "id");
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_entries WHERE id = $1"
				      " AND started_at = date_trunc('second', started_at)",
				      1, id),
		     1, "the start is written as a whole second");
	/* 90 minutes ago, keeping whatever fraction the start has. */
	PQclear(harness_sql("UPDATE time_entries SET started_at = started_at - interval '90 minutes' WHERE id = $1", 1, id));
	json_t *s = tmr_data(200, w.member_tok, "POST", NULL, TMR_STOP);
	tmr_assert_stopped(s);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_entries WHERE id = $1"
				      " AND started_at = date_trunc('second', started_at) AND ended_at = date_trunc('second', ended_at)"
				      " AND duration_seconds = extract(epoch FROM ended_at - started_at)",
				      1, id),
		     1, "both ends whole seconds, the duration their difference");
	long secs = (long)json_integer_value(json_object_get(s, "duration_seconds"));
	cr_assert(secs >= 5400 && secs <= 5460, "90 minutes and the test's own seconds: %ld", secs);
	json_decref(s);
	json_decref(e);
	harness_workspace_free(&w);
}

Test(timer, stop_with_nothing_running_is_409)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	tmr_refused(409, "no_active_timer", w.member_tok, "POST", NULL, TMR_STOP);
	tmr_refused(409, "no_active_timer", w.manager_tok, "POST", NULL, TMR_STOP);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_entries WHERE workspace_id = $1", 1, w.ws), 0);
	harness_workspace_free(&w);
}

Test(timer, stop_refuses_body_fields)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char body[512];
	tmr_task_body(&w, "body on stop", body, sizeof body);
	json_t *e = tmr_data(201, w.member_tok, "POST", body, TMR_START);
	tmr_refused(422, "validation_failed", w.member_tok, "POST", "{\"hours\":2}", TMR_STOP);
	cr_assert_eq(tmr_running_count(&w, w.member), 1, "a refused stop leaves the timer running");
	json_decref(e);
	harness_workspace_free(&w);
}

Test(timer, start_refuses_bad_bodies)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char body[512];
	const char *task = harness_demo_id(&w, "tasks", 0);
	/* Unknown field, named in the message. */
	snprintf(body, sizeof body, "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"colour\":\"red\"}", task);
	json_t *env = tmr_call(422, w.member_tok, "POST", body, TMR_START);
	cr_assert(strstr(json_string_value(json_object_get(json_object_get(env, "error"), "message")), "colour"),
		  "the message names the unknown field");
	json_decref(env);
	/* A manual entry's fields are not a timer's. */
	snprintf(body, sizeof body, "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":1}", task);
	tmr_refused(422, "validation_failed", w.member_tok, "POST", body, TMR_START);
	snprintf(body, sizeof body, "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"log_date\":\"2026-04-29\"}", task);
	tmr_refused(422, "validation_failed", w.member_tok, "POST", body, TMR_START);
	tmr_refused(422, "validation_failed", w.member_tok, "POST", "{\"description\":\"no type\"}", TMR_START);
	tmr_refused(422, "validation_failed", w.member_tok, "POST", "{\"entity_type\":\"spaceship\"}", TMR_START);
	tmr_refused(422, "validation_failed", w.member_tok, "POST",
		    "{\"entity_type\":\"task\",\"entity_id\":\"tsk_doesnotexist\"}", TMR_START);
	snprintf(body, sizeof body, "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"billable\":\"yes\"}", task);
	tmr_refused(422, "validation_failed", w.member_tok, "POST", body, TMR_START);
	json_t *a = tmr_data(200, w.member_tok, "GET", NULL, TMR_ACTIVE);
	cr_assert(json_is_null(a), "a refused start starts nothing");
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_entries WHERE workspace_id = $1", 1, w.ws), 0);
	json_decref(a);
	harness_workspace_free(&w);
}

/* One racer of the 16-way start: waits at the barrier, then starts. */
typedef struct {
	pthread_barrier_t *barrier;
	const char *token;
	char body[512];
	long status;
	char id[64];
	char stopped[64]; /* id of the timer this start stopped; "" when none */
	char answer[256];
} tmr_racer;

static void *tmr_race(void *arg)
{
	tmr_racer *r = arg;
	pthread_barrier_wait(r->barrier);
	harness_response resp = harness_request("POST", TMR_START, r->token, r->body, NULL);
	r->status = resp.status;
	json_t *d = harness_data(&resp);
	snprintf(r->id, sizeof r->id, "%s", tmr_str(d, "id"));
	snprintf(r->stopped, sizeof r->stopped, "%s", tmr_str(json_object_get(d, "stopped_timer"), "id"));
	snprintf(r->answer, sizeof r->answer, "%s", resp.body);
	harness_response_free(&resp);
	return NULL;
}

static int tmr_find(const tmr_racer *racers, const char *id, bool stopped)
{
	for (int i = 0; i < TMR_RACERS; i++)
		if (!strcmp(stopped ? racers[i].stopped : racers[i].id, id))
			return i;
	return -1;
}

Test(timer, sixteen_simultaneous_starts_leave_exactly_one_running, .timeout = 120)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	pthread_barrier_t barrier;
	pthread_barrier_init(&barrier, NULL, TMR_RACERS);
	tmr_racer racers[TMR_RACERS];
	pthread_t threads[TMR_RACERS];
	memset(racers, 0, sizeof racers);
	for (int i = 0; i < TMR_RACERS; i++) {
		racers[i].barrier = &barrier;
		racers[i].token = w.member_tok;
		char desc[32];
		snprintf(desc, sizeof desc, "racer %d", i);
		tmr_task_body(&w, desc, racers[i].body, sizeof racers[i].body);
		cr_assert_eq(pthread_create(&threads[i], NULL, tmr_race, &racers[i]), 0);
	}
	for (int i = 0; i < TMR_RACERS; i++)
		pthread_join(threads[i], NULL);
	pthread_barrier_destroy(&barrier);

	int first = -1;
	for (int i = 0; i < TMR_RACERS; i++) {
		cr_assert_eq(racers[i].status, 201, "racer %d: expected 201, got %ld: %s", i, racers[i].status,
			     racers[i].answer);
		cr_assert(racers[i].id[0], "racer %d got no entry", i);
		cr_assert_eq(tmr_find(racers, racers[i].id, false), i, "two racers got the same entry");
		if (!racers[i].stopped[0]) {
			cr_assert_eq(first, -1, "only the first start stops nothing (racers %d and %d)", first, i);
			first = i;
		} else {
			/* Each start stopped exactly one other racer's timer, never twice. */
			cr_assert_eq(tmr_find(racers, racers[i].stopped, true), i, "a timer was stopped twice");
			int victim = tmr_find(racers, racers[i].stopped, false);
			cr_assert(victim >= 0 && victim != i, "racer %d stopped a timer no racer started", i);
		}
	}
	cr_assert_neq(first, -1, "one start found nothing running");
	/* The survivor is the one racer nobody stopped. */
	int survivor = -1;
	for (int i = 0; i < TMR_RACERS; i++)
		if (tmr_find(racers, racers[i].id, true) < 0) {
			cr_assert_eq(survivor, -1, "two timers were never stopped");
			survivor = i;
		}
	cr_assert_neq(survivor, -1);

	cr_assert_eq(tmr_running_count(&w, w.member), 1, "exactly one running timer after the race");
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_entries WHERE workspace_id = $1 AND user_id = $2"
				      " AND started_at IS NOT NULL AND ended_at IS NOT NULL AND duration_seconds IS NOT NULL"
				      " AND deleted_at IS NULL",
				      2, w.ws, w.member),
		     TMR_RACERS - 1, "15 stopped timer entries");
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_entries WHERE workspace_id = $1", 1, w.ws), TMR_RACERS);
	json_t *a = tmr_data(200, w.member_tok, "GET", NULL, TMR_ACTIVE);
	cr_assert_str_eq(tmr_str(a, "id"), racers[survivor].id, "active is the survivor");
	json_decref(a);
	harness_workspace_free(&w);
}

Test(timer, submit_is_refused_while_a_timer_runs_in_the_period)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char body[512];
	tmr_task_body(&w, "still running", body, sizeof body);
	json_t *e = tmr_data(201, w.member_tok, "POST", body, TMR_START);
	const char *ts = tmr_str(e, "timesheet_id");
	tmr_refused(409, "timer_running", w.member_tok, "POST", NULL, "/api/v1/timesheets/%s/submit", ts);
	json_t *sheet = tmr_data(200, w.member_tok, "GET", NULL, "/api/v1/timesheets/%s", ts);
	cr_assert_str_eq(tmr_str(sheet, "status"), "draft", "a refused submit leaves the timesheet a draft");
	json_decref(sheet);

	json_t *s = tmr_data(200, w.member_tok, "POST", NULL, TMR_STOP);
	sheet = tmr_data(200, w.member_tok, "POST", NULL, "/api/v1/timesheets/%s/submit", ts);
	cr_assert_str_eq(tmr_str(sheet, "status"), "submitted");
	/* A submitted period takes no new timer. */
	tmr_refused(409, "timesheet_locked", w.member_tok, "POST", body, TMR_START);
	json_t *a = tmr_data(200, w.member_tok, "GET", NULL, TMR_ACTIVE);
	cr_assert(json_is_null(a), "a refused start starts nothing");
	cr_assert_eq(tmr_running_count(&w, w.member), 0);
	json_decref(a);
	json_decref(sheet);
	json_decref(s);
	json_decref(e);
	harness_workspace_free(&w);
}
