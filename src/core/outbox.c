#include "core/outbox.h"
#include "core/plans.h"
#include "util/crypto.h"
#include "util/keyring.h"
#include "util/log.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Over the deliveries just leased (the CTE "leased", attempts already
 * counting the new one): the attempt's row, committed with the lease before
 * anything is sent, and the job's columns. $1 is the start, scheduler clock. */
#define START_ATTEMPT                                                                                          \
	", started AS (INSERT INTO time_webhook_attempts (delivery_id, workspace_id, attempt, at, outcome)"    \
	"  SELECT id, workspace_id, attempts, to_timestamp($1::float8), 'sending' FROM leased)"                 \
	" SELECT d.id, d.webhook_id, d.workspace_id, d.event, d.attempts, d.max_attempts, d.lease_owner,"      \
	" (SELECT w.url FROM time_webhooks w WHERE w.id = d.webhook_id),"                                     \
	" (SELECT w.secret_sealed FROM time_webhooks w WHERE w.id = d.webhook_id),"                           \
	" (SELECT e.payload::text FROM time_webhook_events e WHERE e.id = d.event_id),"                      \
	" (SELECT w.previous_secret_sealed FROM time_webhooks w WHERE w.id = d.webhook_id"                    \
	"  AND w.previous_expires_at > to_timestamp($1::float8)) FROM leased d"

/* A delivery with an attempt still in flight is never leased again before
 * outbox_reap has closed that attempt. */
#define NOT_IN_FLIGHT                                                                                          \
	" NOT EXISTS (SELECT 1 FROM time_webhook_attempts a WHERE a.delivery_id = d.id AND a.outcome = 'sending')"

void outbox_new_lease(char out[OUTBOX_LEASE_LEN])
{
	unsigned char raw[12];
	crypto_random(raw, sizeof raw);
	memcpy(out, "lease_", 6);
	crypto_hex(raw, sizeof raw, out + 6);
}

static char *dup_or_empty(const char *s)
{
	char *d = strdup(s ? s : "");
	if (!d)
		abort();
	return d;
}

static outbox_job *job_from_row(const PGresult *r, int i)
{
	outbox_job *j = calloc(1, sizeof *j);
	if (!j)
		abort();
	snprintf(j->id, sizeof j->id, "%s", PQgetvalue(r, i, 0));
	snprintf(j->webhook_id, sizeof j->webhook_id, "%s", PQgetvalue(r, i, 1));
	snprintf(j->workspace_id, sizeof j->workspace_id, "%s", PQgetvalue(r, i, 2));
	snprintf(j->event, sizeof j->event, "%s", PQgetvalue(r, i, 3));
	j->attempt = atoi(PQgetvalue(r, i, 4));
	j->max_attempts = atoi(PQgetvalue(r, i, 5));
	snprintf(j->lease, sizeof j->lease, "%s", PQgetvalue(r, i, 6));
	j->url = dup_or_empty(db_value(r, i, 7));
	/* The secret is sealed to its webhook id: a row copied elsewhere does not open. */
	j->secret = db_value(r, i, 8) ? keyring_open(db_value(r, i, 8), j->webhook_id) : NULL;
	j->body = dup_or_empty(db_value(r, i, 9));
	/* A rotated-out secret still in its overlap (on the scheduler's clock). */
	j->previous_secret = db_value(r, i, 10) ? keyring_open(db_value(r, i, 10), j->webhook_id) : NULL;
	j->body_len = strlen(j->body);
	return j;
}

static outbox_job *jobs_from(PGresult *r)
{
	outbox_job *head = NULL, **tail = &head;
	for (int i = 0; i < PQntuples(r); i++) {
		*tail = job_from_row(r, i);
		tail = &(*tail)->next;
	}
	PQclear(r);
	return head;
}

/* Closes attempt of delivery_id, if still 'sending', as 'unknown' and moves
 * the delivery on along the retry schedule, counting from the attempt's
 * start, as after a timeout; with lease, only while that lease holds the
 * delivery. In the caller's transaction. Returns whether it closed it. */
static bool close_unknown(db_t *db, const char *delivery_id, int attempt, int max_attempts, const char *lease,
			  const char *why, err_t *err)
{
	char attempt_text[16], at_text[32], delay_text[24];
	snprintf(attempt_text, sizeof attempt_text, "%d", attempt);
	PGresult *r = DB_QUERY(db, err,
			       "UPDATE time_webhook_attempts SET outcome = 'unknown', error = $3"
			       " WHERE delivery_id = $1 AND attempt = $2::int AND outcome = 'sending'"
			       " RETURNING extract(epoch FROM at)",
			       delivery_id, attempt_text, why);
	bool closed = r && PQntuples(r) == 1;
	if (closed)
		snprintf(at_text, sizeof at_text, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	if (!closed)
		return false;
	long delay = 0;
	delivery_status st = schedule_next(VERDICT_RETRY, attempt, max_attempts, &delay);
	snprintf(delay_text, sizeof delay_text, "%ld", delay);
	if (!DB_EXEC(db, err,
		     "UPDATE time_webhook_deliveries SET status = $3, next_attempt_at = CASE WHEN $3 = 'pending'"
		     "  THEN to_timestamp($4::float8) + make_interval(secs => $5::float8) END,"
		     " lease_owner = NULL, lease_until = NULL, updated_at = clock_timestamp()"
		     " WHERE id = $1 AND attempts = $2::int AND status = 'pending' AND ($6::text IS NULL OR lease_owner = $6)",
		     delivery_id, attempt_text, schedule_status_name(st), at_text, delay_text, lease))
		return false;
	log_msg(LOG_WARN, "webhook delivery %s: attempt %d closed as unknown (%s); the delivery is %s", delivery_id,
		attempt, why, schedule_status_name(st));
	return true;
}

enum { REAP_BATCH = 100 };

int outbox_reap(db_t *db, double now, err_t *err)
{
	char now_text[32], batch[16];
	snprintf(now_text, sizeof now_text, "%.6f", now);
	snprintf(batch, sizeof batch, "%d", REAP_BATCH);
	if (!db_begin(db, err))
		return -1;
	/* The lock on the delivery keeps a second reaper (or a late sender
	 * completing its attempt) from acting on the same one meanwhile. */
	PGresult *r = DB_QUERY(db, err,
			       "SELECT a.delivery_id, a.attempt, d.max_attempts"
			       " FROM time_webhook_attempts a JOIN time_webhook_deliveries d ON d.id = a.delivery_id"
			       " WHERE a.outcome = 'sending' AND (d.lease_until IS NULL OR d.lease_until <= to_timestamp($1::float8))"
			       " ORDER BY a.at LIMIT $2::int FOR UPDATE OF d SKIP LOCKED",
			       now_text, batch);
	int closed = 0;
	for (int i = 0; r && i < PQntuples(r) && !err_any(err); i++)
		closed += close_unknown(db, PQgetvalue(r, i, 0), atoi(PQgetvalue(r, i, 1)), atoi(PQgetvalue(r, i, 2)), NULL,
					"no outcome recorded: the sender stopped or lost its lease before the answer came;"
					" the receiver may have got it",
					err);
	PQclear(r);
	if (err_any(err)) {
		db_rollback(db);
		return -1;
	}
	return db_commit(db, err) ? closed : -1;
}

/* The workspaces with deliveries due at now whose plan still allows webhooks
 * (plans_allows, the rule the webhooks API enforces), as a text[] literal
 * (malloc'd; "{}" when none). The others' deliveries are held: left pending,
 * with no attempt counted, until an upgrade lets them go. */
static char *sending_workspaces(db_t *db, const char *now_text, err_t *err)
{
	PGresult *r = DB_QUERY(db, err,
			       "SELECT w.id, w.plan, array_to_string(w.modules, ',') FROM workspaces w WHERE w.id IN"
			       " (SELECT d.workspace_id FROM time_webhook_deliveries d WHERE d.status = 'pending'"
			       "  AND d.next_attempt_at <= to_timestamp($1::float8))",
			       now_text);
	if (!r)
		return NULL;
	size_t cap = 2, len = 0;
	for (int i = 0; i < PQntuples(r); i++)
		cap += 2 * strlen(PQgetvalue(r, i, 0)) + 3;
	char *list = malloc(cap + 1);
	if (!list)
		abort();
	list[len++] = '{';
	for (int i = 0; i < PQntuples(r); i++) {
		actor_t ws = { 0 };
		snprintf(ws.plan, sizeof ws.plan, "%s", PQgetvalue(r, i, 1));
		snprintf(ws.modules, sizeof ws.modules, "%s", PQgetvalue(r, i, 2));
		if (!plans_allows(&ws, FEATURE_WEBHOOKS))
			continue;
		if (len > 1)
			list[len++] = ',';
		list[len++] = '"';
		for (const char *p = PQgetvalue(r, i, 0); *p; p++) {
			if (*p == '"' || *p == '\\')
				list[len++] = '\\';
			list[len++] = *p;
		}
		list[len++] = '"';
	}
	list[len++] = '}';
	list[len] = '\0';
	PQclear(r);
	return list;
}

outbox_job *outbox_lease(db_t *db, double now, int limit, err_t *err)
{
	char now_text[32], limit_text[16], lease_secs[16], lease[OUTBOX_LEASE_LEN];
	snprintf(now_text, sizeof now_text, "%.6f", now);
	snprintf(limit_text, sizeof limit_text, "%d", limit);
	snprintf(lease_secs, sizeof lease_secs, "%d", OUTBOX_LEASE_SECONDS);
	char *sending = sending_workspaces(db, now_text, err);
	if (!sending)
		return NULL;
	if (!strcmp(sending, "{}")) {
		free(sending);
		return NULL;
	}
	outbox_new_lease(lease);
	/* One autocommitted statement: the lease and the started attempts are
	 * visible to every other dispatcher before this one sends anything.
	 * Oldest first, in the order of the index on next_attempt_at alone, so
	 * the first due rows are taken without sorting the whole backlog, even
	 * when the statistics have not caught up with it. */
	PGresult *r = DB_QUERY(
		db, err,
		"WITH due AS (SELECT d.id FROM time_webhook_deliveries d JOIN time_webhooks w ON w.id = d.webhook_id"
		"  WHERE d.status = 'pending' AND w.enabled AND d.next_attempt_at <= to_timestamp($1::float8)"
		"  AND d.workspace_id = ANY ($5::text[])"
		"  AND (d.lease_until IS NULL OR d.lease_until <= to_timestamp($1::float8)) AND" NOT_IN_FLIGHT
		"  ORDER BY d.next_attempt_at LIMIT $2::int FOR UPDATE OF d SKIP LOCKED),"
		" leased AS (UPDATE time_webhook_deliveries d SET lease_owner = $3,"
		"  lease_until = to_timestamp($1::float8) + make_interval(secs => $4::float8),"
		"  attempts = d.attempts + 1, updated_at = clock_timestamp()"
		"  FROM due WHERE d.id = due.id RETURNING d.*)" START_ATTEMPT,
		now_text, limit_text, lease, lease_secs, sending);
	free(sending);
	return r ? jobs_from(r) : NULL;
}

outbox_job *outbox_leased(db_t *db, const char *delivery_id, const char *lease, double now, err_t *err)
{
	char now_text[32];
	snprintf(now_text, sizeof now_text, "%.6f", now);
	PGresult *r = DB_QUERY(db, err,
			       "WITH leased AS (UPDATE time_webhook_deliveries d SET attempts = d.attempts + 1,"
			       "  updated_at = clock_timestamp()"
			       "  WHERE d.id = $2 AND d.lease_owner = $3 AND d.status = 'pending' AND" NOT_IN_FLIGHT
			       "  RETURNING d.*)" START_ATTEMPT,
			       now_text, delivery_id, lease);
	return r ? jobs_from(r) : NULL;
}

/* A JSON string of s, or null when s is NULL or not UTF-8 (never the case for
 * request_finish's texts: they are cleaned). */
static json_t *text_or_null(const char *s)
{
	json_t *v = s ? json_string(s) : NULL;
	return v ? v : json_null();
}

/* The batch as one JSON array: the statement's only parameter, so its text
 * is the same whatever the batch's size. */
static char *batch_json(outbox_result *r, int n)
{
	json_t *rows = json_array();
	for (int i = 0; i < n; i++) {
		const outbox_job *job = r[i].job;
		const outbox_outcome *o = &r[i].outcome;
		long delay = 0;
		r[i].status = schedule_next(o->verdict, job->attempt, job->max_attempts, &delay);
		r[i].held = false;
		json_t *row = json_object();
		json_object_set_new(row, "i", json_integer(i));
		json_object_set_new(row, "id", json_string(job->id));
		json_object_set_new(row, "attempt", json_integer(job->attempt));
		json_object_set_new(row, "lease", json_string(job->lease));
		json_object_set_new(row, "status", json_string(schedule_status_name(r[i].status)));
		json_object_set_new(row, "at", json_real(o->at));
		json_object_set_new(row, "delay", json_integer(delay));
		json_object_set_new(row, "outcome", json_string(o->verdict == VERDICT_DELIVERED ? "delivered" : "failed"));
		json_object_set_new(row, "duration", json_integer(o->duration_ms));
		json_object_set_new(row, "code", json_integer(o->response_code));
		json_object_set_new(row, "body", text_or_null(o->response_body));
		json_object_set_new(row, "error", text_or_null(o->error[0] ? o->error : NULL));
		json_array_append_new(rows, row);
	}
	char *text = json_dumps(rows, JSON_COMPACT);
	json_decref(rows);
	if (!text)
		abort();
	return text;
}

bool outbox_record_many(db_t *db, outbox_result *r, int n, err_t *err)
{
	if (n <= 0)
		return true;
	char *batch = batch_json(r, n);
	/* One statement, so one transaction: the deliveries whose lease still
	 * holds take their next state (the next attempt counts from when this one
	 * started, on the scheduler's clock) and are released; then, through
	 * "held", which only exists once they all are, every attempt's row takes
	 * its outcome, also where the lease was lost meanwhile (and the attempt
	 * closed as unknown): the log tells what the receiver answered, while the
	 * delivery's state is its new holder's. Deliveries before attempts, as
	 * outbox_reap takes them, so the two can only deadlock when one batch
	 * holds two attempts whose leases ran out while a reaper closes both
	 * (PostgreSQL then fails one of them, and the pump records each alone). */
	PGresult *res = DB_QUERY(
		db, err,
		"WITH r AS MATERIALIZED (SELECT * FROM json_to_recordset($1::json) AS x(i int, id text, attempt int,"
		"  lease text, status text, at float8, delay float8, outcome text, duration int, code int, body text,"
		"  error text)),"
		" d AS (UPDATE time_webhook_deliveries d SET status = r.status,"
		"  next_attempt_at = CASE WHEN r.status = 'pending' THEN to_timestamp(r.at) + make_interval(secs => r.delay) END,"
		"  lease_owner = NULL, lease_until = NULL, updated_at = clock_timestamp()"
		"  FROM r WHERE d.id = r.id AND d.lease_owner = r.lease AND d.attempts = r.attempt RETURNING r.i),"
		" held AS MATERIALIZED (SELECT coalesce(array_agg(i), '{}') AS i FROM d),"
		" a AS (UPDATE time_webhook_attempts a SET outcome = r.outcome, duration_ms = r.duration,"
		"  response_code = nullif(r.code, 0), response_body = r.body, error = r.error"
		"  FROM r, held WHERE a.delivery_id = r.id AND a.attempt = r.attempt AND a.outcome IN ('sending', 'unknown'))"
		" SELECT unnest(i) FROM held",
		batch);
	free(batch);
	if (!res)
		return false;
	for (int k = 0; k < PQntuples(res); k++) {
		int i = atoi(PQgetvalue(res, k, 0));
		if (i >= 0 && i < n)
			r[i].held = true;
	}
	PQclear(res);
	return true;
}

bool outbox_record(db_t *db, const outbox_job *job, const outbox_outcome *o, delivery_status *status, err_t *err)
{
	outbox_result r = { .job = job, .outcome = *o };
	bool ok = outbox_record_many(db, &r, 1, err);
	*status = r.status;
	if (!ok)
		return false;
	return r.held ? true
		      : err_set(err, ERR_CODE_LEASE_LOST,
				"the lease on delivery %s expired before its attempt was recorded", job->id);
}

void outbox_release(db_t *db, const outbox_job *job)
{
	err_t err = { 0 };
	/* The request may be on its way or at the receiver already: its attempt
	 * is closed as unknown, not forgotten. */
	if (db_begin(db, &err) &&
	    !close_unknown(db, job->id, job->attempt, job->max_attempts, job->lease,
			   "the sender shut down before the answer came; the receiver may have got it", &err) &&
	    !err_any(&err))
		DB_EXEC(db, &err, /* no attempt was started on this lease */
			"UPDATE time_webhook_deliveries SET lease_owner = NULL, lease_until = NULL"
			" WHERE id = $1 AND lease_owner = $2",
			job->id, job->lease);
	if (err_any(&err))
		db_rollback(db);
	else if (db_commit(db, &err))
		return;
	log_msg(LOG_WARN, "could not release the lease on delivery %s: %s", job->id, err.message);
}

void outbox_unsigned_outcome(double at, outbox_outcome *o)
{
	memset(o, 0, sizeof *o);
	o->at = at;
	o->verdict = VERDICT_PERMANENT;
	snprintf(o->error, sizeof o->error,
		 "the signing secret cannot be decrypted (was WORKESTRA_SECRET_KEY changed?); set a new secret with PATCH");
}

static void wipe(char *secret)
{
	if (secret) {
		memset(secret, 0, strlen(secret));
		free(secret);
	}
}

void outbox_job_free(outbox_job *job)
{
	while (job) {
		outbox_job *next = job->next;
		free(job->url);
		wipe(job->secret);
		wipe(job->previous_secret);
		free(job->body);
		free(job);
		job = next;
	}
}

void outbox_outcome_clear(outbox_outcome *o)
{
	free(o->response_body);
	o->response_body = NULL;
}
