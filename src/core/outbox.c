#include "core/outbox.h"
#include "util/crypto.h"
#include "util/keyring.h"
#include "util/log.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JOB_COLUMNS                                                                                           \
	" d.id, d.webhook_id, d.workspace_id, d.event, d.attempts + 1, d.max_attempts, d.lease_owner,"        \
	" (SELECT w.url FROM time_webhooks w WHERE w.id = d.webhook_id),"                                     \
	" (SELECT w.secret_sealed FROM time_webhooks w WHERE w.id = d.webhook_id),"                           \
	" (SELECT e.payload::text FROM time_webhook_events e WHERE e.id = d.event_id)"

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

outbox_job *outbox_lease(db_t *db, double now, int limit, err_t *err)
{
	char now_text[32], limit_text[16], lease_secs[16], lease[OUTBOX_LEASE_LEN];
	snprintf(now_text, sizeof now_text, "%.6f", now);
	snprintf(limit_text, sizeof limit_text, "%d", limit);
	snprintf(lease_secs, sizeof lease_secs, "%d", OUTBOX_LEASE_SECONDS);
	outbox_new_lease(lease);
	/* One autocommitted statement: the lease is visible to every other
	 * dispatcher before this one sends anything. */
	PGresult *r = db_query(
		db, err,
		"WITH due AS (SELECT d.id FROM time_webhook_deliveries d JOIN time_webhooks w ON w.id = d.webhook_id"
		"  WHERE d.status = 'pending' AND w.enabled AND d.next_attempt_at <= to_timestamp($1::float8)"
		"  AND (d.lease_until IS NULL OR d.lease_until <= to_timestamp($1::float8))"
		"  ORDER BY d.next_attempt_at, d.id LIMIT $2::int FOR UPDATE OF d SKIP LOCKED)"
		" UPDATE time_webhook_deliveries d SET lease_owner = $3,"
		"  lease_until = to_timestamp($1::float8) + make_interval(secs => $4::float8)"
		" FROM due WHERE d.id = due.id RETURNING" JOB_COLUMNS,
		4, now_text, limit_text, lease, lease_secs);
	return r ? jobs_from(r) : NULL;
}

outbox_job *outbox_leased(db_t *db, const char *delivery_id, const char *lease, err_t *err)
{
	PGresult *r = db_query(db, err,
			       "SELECT" JOB_COLUMNS " FROM time_webhook_deliveries d"
			       " WHERE d.id = $1 AND d.lease_owner = $2 AND d.status = 'pending'",
			       2, delivery_id, lease);
	return r ? jobs_from(r) : NULL;
}

bool outbox_record(db_t *db, const outbox_job *job, const outbox_outcome *o, delivery_status *status, err_t *err)
{
	long delay = 0;
	*status = schedule_next(o->verdict, job->attempt, job->max_attempts, &delay);
	char attempt[16], at[32], delay_text[24], duration[24], code[16];
	snprintf(attempt, sizeof attempt, "%d", job->attempt);
	snprintf(at, sizeof at, "%.6f", o->at);
	snprintf(delay_text, sizeof delay_text, "%ld", delay);
	snprintf(duration, sizeof duration, "%ld", o->duration_ms);
	snprintf(code, sizeof code, "%ld", o->response_code);
	if (!db_begin(db, err))
		return false;
	/* The next attempt counts from when this one started, on the scheduler's clock. */
	PGresult *r = db_query(db, err,
			       "UPDATE time_webhook_deliveries SET attempts = $2::int, status = $3,"
			       " next_attempt_at = CASE WHEN $3 = 'pending'"
			       "  THEN to_timestamp($4::float8) + make_interval(secs => $5::float8) END,"
			       " lease_owner = NULL, lease_until = NULL, updated_at = clock_timestamp()"
			       " WHERE id = $1 AND lease_owner = $6 AND attempts = $2::int - 1",
			       6, job->id, attempt, schedule_status_name(*status), at, delay_text, job->lease);
	bool held = r && !strcmp(PQcmdTuples(r), "1");
	PQclear(r);
	if (r && !held)
		err_set(err, ERR_CONFLICT, "lease_lost", "the lease on delivery %s expired before its attempt was recorded",
			job->id);
	if (held)
		db_exec(db, err,
			"INSERT INTO time_webhook_attempts (delivery_id, workspace_id, attempt, at, duration_ms,"
			" response_code, response_body, error)"
			" VALUES ($1, $2, $3::int, to_timestamp($4::float8), $5::int, nullif($6::int, 0), $7, nullif($8, ''))",
			8, job->id, job->workspace_id, attempt, at, duration, code, o->response_body, o->error);
	if (err_any(err)) {
		db_rollback(db);
		return false;
	}
	return db_commit(db, err);
}

void outbox_release(db_t *db, const outbox_job *job)
{
	err_t err = { 0 };
	if (!db_exec(db, &err,
		     "UPDATE time_webhook_deliveries SET lease_owner = NULL, lease_until = NULL"
		     " WHERE id = $1 AND lease_owner = $2",
		     2, job->id, job->lease))
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

void outbox_job_free(outbox_job *job)
{
	while (job) {
		outbox_job *next = job->next;
		free(job->url);
		if (job->secret) {
			memset(job->secret, 0, strlen(job->secret));
			free(job->secret);
		}
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
