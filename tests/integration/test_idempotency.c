#define _GNU_SOURCE /* asprintf */
/* Idempotency-Key on REST writes: a retry gets the stored answer (marked
 * Idempotent-Replayed) and changes nothing; another request under the key
 * is refused 422; a key held by a request in flight answers 409; concurrent
 * retries with one key make one entry; keys belong to their credential; an
 * error keeps nothing; the change and its stored answer commit together. */
#include "harness.h"
#include "receiver.h"
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IDEM_ENTRIES "/api/v1/time-entries"

enum { IDEM_RACERS = 8 };

/* A new entry's body for w's first task, hours and day as given. */
static char *idem_body(const harness_ws *w, const char *hours, const char *day)
{
	char *s = NULL;
	cr_assert(asprintf(&s, "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":%s,\"log_date\":\"%s\"}",
			   harness_demo_id(w, "tasks", 0), hours, day) > 0);
	return s;
}

/* method path with body under Idempotency-Key key (NULL: none). */
static harness_response idem_send(const char *method, const char *path, const char *token, const char *body,
				  const char *key)
{
	char header[400];
	snprintf(header, sizeof header, "Idempotency-Key: %s", key ? key : "");
	const char *const headers[] = { header, NULL };
	return harness_request(method, path, token, body, key ? headers : NULL);
}

/* Entries and audit rows of w made through the API (the demo data makes none by the API's source). */
static long idem_entries(const harness_ws *w)
{
	return harness_sql_long("SELECT count(*) FROM time_entries WHERE workspace_id = $1 AND source = 'api'", 1, w->ws);
}

static long idem_audits(const harness_ws *w, const char *action)
{
	return harness_sql_long("SELECT count(*) FROM audit_log WHERE workspace_id = $1 AND action = $2", 2, w->ws, action);
}

static const char *idem_id(const harness_response *r)
{
	return json_string_value(json_object_get(harness_data(r), "id"));
}

static bool idem_replayed(const harness_response *r)
{
	char *v = harness_header(r, "idempotent-replayed");
	bool yes = v && !strcmp(v, "true");
	free(v);
	return yes;
}

Test(idempotency, a_retry_gets_the_stored_answer_and_changes_nothing)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char *body = idem_body(&w, "1.5", "2026-03-02");
	harness_response first = idem_send("POST", IDEM_ENTRIES, w.member_tok, body, "retry-1");
	cr_assert_eq(first.status, 201, "%s", first.body);
	cr_assert_not(idem_replayed(&first));
	harness_response again = idem_send("POST", IDEM_ENTRIES, w.member_tok, body, "retry-1");
	cr_assert_eq(again.status, 201, "%s", again.body);
	cr_assert(idem_replayed(&again), "a replay says so");
	cr_assert_str_eq(again.body, first.body, "the stored answer, byte for byte");
	cr_assert_eq(idem_entries(&w), 1);
	cr_assert_eq(idem_audits(&w, "time_entry.created"), 1, "the retry wrote no audit row");

	/* Without a key, the same body is a new entry, as before. */
	harness_response plain = idem_send("POST", IDEM_ENTRIES, w.member_tok, body, NULL);
	cr_assert_eq(plain.status, 201);
	cr_assert_str_neq(idem_id(&plain), idem_id(&first));
	cr_assert_eq(idem_entries(&w), 2);

	/* PATCH too: the replay does not apply the change a second time. */
	char path[128], patch[] = "{\"description\":\"once\"}";
	snprintf(path, sizeof path, IDEM_ENTRIES "/%s", idem_id(&first));
	harness_response p1 = idem_send("PATCH", path, w.member_tok, patch, "patch-1");
	cr_assert_eq(p1.status, 200, "%s", p1.body);
	harness_response p2 = idem_send("PATCH", path, w.member_tok, patch, "patch-1");
	cr_assert_eq(p2.status, 200);
	cr_assert(idem_replayed(&p2));
	cr_assert_eq(idem_audits(&w, "time_entry.updated"), 1);

	/* GET and DELETE ignore the key. */
	harness_response g1 = idem_send("GET", path, w.member_tok, NULL, "patch-1");
	cr_assert_eq(g1.status, 200);
	cr_assert_not(idem_replayed(&g1));
	harness_response_free(&g1);
	harness_response_free(&p1);
	harness_response_free(&p2);
	harness_response_free(&plain);
	harness_response_free(&again);
	harness_response_free(&first);
	free(body);
	harness_workspace_free(&w);
}

Test(idempotency, another_request_under_the_key_is_refused)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char *body = idem_body(&w, "1", "2026-03-03"), *other = idem_body(&w, "2", "2026-03-03");
	harness_response first = idem_send("POST", IDEM_ENTRIES, w.member_tok, body, "reuse-1");
	cr_assert_eq(first.status, 201);
	harness_response r = idem_send("POST", IDEM_ENTRIES, w.member_tok, other, "reuse-1");
	cr_assert_eq(r.status, 422, "%s", r.body);
	cr_assert_str_eq(harness_error_code(&r), "idempotency_key_reused");
	/* another path with the key is another request too */
	char path[128];
	snprintf(path, sizeof path, IDEM_ENTRIES "/%s", idem_id(&first));
	harness_response p = idem_send("PATCH", path, w.member_tok, "{\"description\":\"x\"}", "reuse-1");
	cr_assert_eq(p.status, 422);
	cr_assert_str_eq(harness_error_code(&p), "idempotency_key_reused");
	cr_assert_eq(idem_entries(&w), 1);

	/* Bad keys: too long, or not printable ASCII. */
	char long_key[300];
	memset(long_key, 'k', 256);
	long_key[256] = '\0';
	harness_response bad = idem_send("POST", IDEM_ENTRIES, w.member_tok, body, long_key);
	cr_assert_eq(bad.status, 400, "%s", bad.body);
	cr_assert_str_eq(harness_error_code(&bad), "idempotency_key_invalid");
	harness_response bad2 = idem_send("POST", IDEM_ENTRIES, w.member_tok, body, "caf\xc3\xa9");
	cr_assert_eq(bad2.status, 400);
	long_key[255] = '\0'; /* 255 is allowed */
	harness_response edge = idem_send("POST", IDEM_ENTRIES, w.member_tok, body, long_key);
	cr_assert_eq(edge.status, 201, "%s", edge.body);
	cr_assert_eq(idem_entries(&w), 2);
	harness_response_free(&edge);
	harness_response_free(&bad2);
	harness_response_free(&bad);
	harness_response_free(&p);
	harness_response_free(&r);
	harness_response_free(&first);
	free(body);
	free(other);
	harness_workspace_free(&w);
}

Test(idempotency, keys_belong_to_their_credential_and_errors_keep_nothing)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char *body = idem_body(&w, "1", "2026-03-04");
	/* An answer with an error keeps nothing: the key may come again with
	 * a corrected body. */
	harness_response bad = idem_send("POST", IDEM_ENTRIES, w.member_tok, "{\"entity_type\":\"task\"}", "k-1");
	cr_assert_eq(bad.status, 422);
	harness_response ok = idem_send("POST", IDEM_ENTRIES, w.member_tok, body, "k-1");
	cr_assert_eq(ok.status, 201, "%s", ok.body);
	cr_assert_not(idem_replayed(&ok));

	/* The same key from another token, or from the same user's session
	 * JWT, is another key. */
	harness_response other = idem_send("POST", IDEM_ENTRIES, w.member2_tok, body, "k-1");
	cr_assert_eq(other.status, 201, "%s", other.body);
	cr_assert_not(idem_replayed(&other));
	char *jwt = harness_jwt(w.member, 600, HARNESS_JWT_SECRET);
	harness_response s1 = idem_send("POST", IDEM_ENTRIES, jwt, body, "k-1");
	cr_assert_eq(s1.status, 201, "%s", s1.body);
	cr_assert_not(idem_replayed(&s1));
	harness_response s2 = idem_send("POST", IDEM_ENTRIES, jwt, body, "k-1");
	cr_assert(idem_replayed(&s2));
	cr_assert_str_eq(idem_id(&s2), idem_id(&s1));
	cr_assert_eq(idem_entries(&w), 3);

	/* Kept 24 hours: an expired answer is no longer replayed. */
	PQclear(harness_sql("UPDATE api_idempotency_keys SET expires_at = now() - interval '1 second'"
			    " WHERE workspace_id = $1 AND key = 'k-1' AND scope LIKE 'tok_%'",
			    1, w.ws));
	harness_response late = idem_send("POST", IDEM_ENTRIES, w.member_tok, body, "k-1");
	cr_assert_eq(late.status, 201);
	cr_assert_not(idem_replayed(&late));
	cr_assert_eq(idem_entries(&w), 4);
	/* and a new key sweeps expired ones of any scope */
	PQclear(harness_sql("UPDATE api_idempotency_keys SET expires_at = now() - interval '1 second' WHERE workspace_id = $1",
			    1, w.ws));
	harness_response sweep = idem_send("POST", IDEM_ENTRIES, w.member_tok, body, "k-2");
	cr_assert_eq(sweep.status, 201);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM api_idempotency_keys WHERE workspace_id = $1", 1, w.ws), 1,
		     "only the new key is left");
	harness_response_free(&sweep);
	harness_response_free(&late);
	harness_response_free(&s2);
	harness_response_free(&s1);
	free(jwt);
	harness_response_free(&other);
	harness_response_free(&ok);
	harness_response_free(&bad);
	free(body);
	harness_workspace_free(&w);
}

/* A request in flight holds its key: here the test holds it, as the
 * server's lock does (scope and key are those of the request). */
Test(idempotency, a_key_in_flight_answers_in_progress)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char *body = idem_body(&w, "1", "2026-03-05");
	PGresult *t = harness_sql("SELECT id FROM api_tokens WHERE user_id = $1", 1, w.member);
	char scope[64];
	snprintf(scope, sizeof scope, "%s", PQgetvalue(t, 0, 0));
	PQclear(t);
	PGconn *holder = PQconnectdb(getenv("DATABASE_URL"));
	cr_assert_eq(PQstatus(holder), CONNECTION_OK);
	const char *params[] = { w.ws, scope, "busy-1" };
	PGresult *l = PQexecParams(holder,
				   "SELECT pg_advisory_lock(hashtext('workestra-idempotency'), hashtext($1 || ' ' || $2 || ' ' || $3))",
				   3, NULL, params, NULL, NULL, 0);
	cr_assert_eq(PQresultStatus(l), PGRES_TUPLES_OK);
	PQclear(l);
	harness_response busy = idem_send("POST", IDEM_ENTRIES, w.member_tok, body, "busy-1");
	cr_assert_eq(busy.status, 409, "%s", busy.body);
	cr_assert_str_eq(harness_error_code(&busy), "idempotency_key_in_progress");
	cr_assert_eq(idem_entries(&w), 0);
	/* The request "ends": the key is free (unlocked before the connection
	 * goes, since a backend lets go of its locks only after the client left). */
	l = PQexecParams(holder,
			 "SELECT pg_advisory_unlock(hashtext('workestra-idempotency'), hashtext($1 || ' ' || $2 || ' ' || $3))", 3,
			 NULL, params, NULL, NULL, 0);
	cr_assert_eq(PQresultStatus(l), PGRES_TUPLES_OK);
	cr_assert_str_eq(PQgetvalue(l, 0, 0), "t");
	PQclear(l);
	PQfinish(holder);
	harness_response done = idem_send("POST", IDEM_ENTRIES, w.member_tok, body, "busy-1");
	cr_assert_eq(done.status, 201, "%s", done.body);
	harness_response_free(&done);
	harness_response_free(&busy);
	free(body);
	harness_workspace_free(&w);
}

typedef struct {
	pthread_barrier_t *barrier;
	const char *token, *body;
	long status;
	char id[64], code[64];
	bool replayed;
} idem_racer;

static void *idem_race(void *arg)
{
	idem_racer *r = arg;
	pthread_barrier_wait(r->barrier);
	harness_response resp = idem_send("POST", IDEM_ENTRIES, r->token, r->body, "race-1");
	r->status = resp.status;
	r->replayed = idem_replayed(&resp);
	const char *id = resp.status == 201 ? idem_id(&resp) : NULL, *code = harness_error_code(&resp);
	snprintf(r->id, sizeof r->id, "%s", id ? id : "");
	snprintf(r->code, sizeof r->code, "%s", code ? code : "");
	harness_response_free(&resp);
	return NULL;
}

Test(idempotency, concurrent_retries_with_one_key_make_one_entry, .timeout = 120)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char *body = idem_body(&w, "2.25", "2026-03-06");
	pthread_barrier_t barrier;
	pthread_barrier_init(&barrier, NULL, IDEM_RACERS);
	idem_racer racers[IDEM_RACERS];
	pthread_t threads[IDEM_RACERS];
	memset(racers, 0, sizeof racers);
	for (int i = 0; i < IDEM_RACERS; i++) {
		racers[i] = (idem_racer){ .barrier = &barrier, .token = w.member_tok, .body = body };
		cr_assert_eq(pthread_create(&threads[i], NULL, idem_race, &racers[i]), 0);
	}
	for (int i = 0; i < IDEM_RACERS; i++)
		pthread_join(threads[i], NULL);
	pthread_barrier_destroy(&barrier);
	const char *winner = NULL;
	int ran = 0;
	for (int i = 0; i < IDEM_RACERS; i++) {
		/* each either ran, was answered the stored answer, or was told
		 * the key is in flight: never a second entry */
		if (racers[i].status == 409) {
			cr_assert_str_eq(racers[i].code, "idempotency_key_in_progress");
			continue;
		}
		cr_assert_eq(racers[i].status, 201, "racer %d: %ld %s", i, racers[i].status, racers[i].code);
		ran += !racers[i].replayed;
		if (!winner)
			winner = racers[i].id;
		cr_assert_str_eq(racers[i].id, winner, "every success answers the same entry");
	}
	cr_assert_eq(ran, 1, "one racer ran the request, not %d", ran);
	cr_assert_eq(idem_entries(&w), 1);
	/* a retry after the race gets the one entry */
	harness_response after = idem_send("POST", IDEM_ENTRIES, w.member_tok, body, "race-1");
	cr_assert_eq(after.status, 201);
	cr_assert(idem_replayed(&after));
	cr_assert_str_eq(idem_id(&after), winner);
	harness_response_free(&after);
	free(body);
	harness_workspace_free(&w);
}

/* The change and its stored answer are one transaction: when the answer
 * cannot be stored, the entry is not created either. */
Test(idempotency, the_change_and_its_answer_commit_together)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char *body = idem_body(&w, "1", "2026-03-09");
	PQclear(harness_sql("SET client_min_messages = warning", 0));
	PQclear(harness_sql("CREATE TABLE IF NOT EXISTS wt_test_idem_faults (workspace_id text PRIMARY KEY)", 0));
	PQclear(harness_sql("CREATE OR REPLACE FUNCTION wt_test_idem_fault() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
			    " IF EXISTS (SELECT 1 FROM wt_test_idem_faults f WHERE f.workspace_id = NEW.workspace_id) THEN"
			    "  RAISE EXCEPTION 'fault injected by a test'; END IF; RETURN NEW; END $$",
			    0));
	PQclear(harness_sql("CREATE OR REPLACE TRIGGER wt_test_idem_fault BEFORE INSERT ON api_idempotency_keys"
			    " FOR EACH ROW EXECUTE FUNCTION wt_test_idem_fault()",
			    0));
	PQclear(harness_sql("INSERT INTO wt_test_idem_faults VALUES ($1)", 1, w.ws));
	harness_response r = idem_send("POST", IDEM_ENTRIES, w.member_tok, body, "atomic-1");
	PQclear(harness_sql("DROP TRIGGER wt_test_idem_fault ON api_idempotency_keys", 0));
	cr_assert_eq(r.status, 500, "%s", r.body);
	cr_assert_eq(idem_entries(&w), 0, "no entry without its stored answer");
	cr_assert_eq(idem_audits(&w, "time_entry.created"), 0);
	harness_response again = idem_send("POST", IDEM_ENTRIES, w.member_tok, body, "atomic-1");
	cr_assert_eq(again.status, 201, "%s", again.body);
	cr_assert_not(idem_replayed(&again));
	cr_assert_eq(idem_entries(&w), 1);
	harness_response_free(&again);
	harness_response_free(&r);
	free(body);
	harness_workspace_free(&w);
}

/* The webhook Test button commits its delivery before it sends it, so it
 * runs outside the transaction, under a session-level lock: a retry still
 * gets the stored answer and sends nothing. */
Test(idempotency, the_webhook_test_button_is_not_sent_twice, .timeout = 60)
{
	harness_ws w;
	harness_workspace(&w, "pro", "projects");
	receiver_t *rx = receiver_start();
	char *url = receiver_url(rx, "/idem");
	json_t *hook = harness_call(201, w.admin_tok, "POST", "/api/v1/time/webhooks",
				    "{\"url\":\"%s\",\"events\":[\"time_entry.created\"]}", url);
	char path[200];
	snprintf(path, sizeof path, "/api/v1/time/webhooks/%s/test", json_string_value(json_object_get(hook, "id")));
	harness_response first = idem_send("POST", path, w.admin_tok, NULL, "ping-1");
	cr_assert_eq(first.status, 200, "%s", first.body);
	harness_response again = idem_send("POST", path, w.admin_tok, NULL, "ping-1");
	cr_assert_eq(again.status, 200, "%s", again.body);
	cr_assert(idem_replayed(&again));
	cr_assert_str_eq(again.body, first.body);
	cr_assert_eq(receiver_count(rx, "/idem"), 1, "one test event reached the receiver");
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_webhook_deliveries WHERE workspace_id = $1", 1, w.ws), 1);
	/* the session-level lock was released: the next key runs */
	harness_response next = idem_send("POST", path, w.admin_tok, NULL, "ping-2");
	cr_assert_eq(next.status, 200, "%s", next.body);
	cr_assert_not(idem_replayed(&next));
	cr_assert_eq(receiver_count(rx, "/idem"), 2);
	harness_response_free(&next);
	harness_response_free(&again);
	harness_response_free(&first);
	json_decref(hook);
	free(url);
	receiver_stop(rx);
	harness_workspace_free(&w);
}
