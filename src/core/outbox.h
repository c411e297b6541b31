/* The database side of delivery: leasing due deliveries, recording attempts.
 * A lease is taken and committed before anything is sent, with FOR UPDATE
 * SKIP LOCKED, so dispatchers on several processes never take the same
 * delivery; it expires after OUTBOX_LEASE_SECONDS, so a process killed
 * mid-delivery loses nothing: another leases the delivery again. An attempt
 * is recorded only while its lease is still held, and (delivery, attempt) is
 * a primary key, so one attempt is never logged twice. */
#ifndef CORE_OUTBOX_H
#define CORE_OUTBOX_H
#include "core/schedule.h"
#include "store/db.h"
#include <stddef.h>

enum { OUTBOX_LEASE_SECONDS = 60, OUTBOX_LEASE_LEN = 40, OUTBOX_BODY_MAX = 4096 };

typedef struct outbox_job {
	char id[64], webhook_id[64], workspace_id[64], event[64];
	char lease[OUTBOX_LEASE_LEN];
	int attempt;      /* the number this attempt will have, 1-based */
	int max_attempts;
	char *url;
	char *secret;     /* NULL when the sealed secret does not open (key changed) */
	char *body;       /* the event payload, sent and signed as is */
	size_t body_len;
	struct outbox_job *next;
} outbox_job;

typedef struct {
	double at;              /* scheduler clock, unix seconds, when it started */
	long duration_ms;
	long response_code;     /* 0: no response */
	char *response_body;    /* valid UTF-8, at most OUTBOX_BODY_MAX bytes, or NULL */
	char error[320];        /* "" when the receiver answered */
	schedule_verdict verdict;
} outbox_outcome;

/* A fresh lease token ("lease_" + random hex). */
void outbox_new_lease(char out[OUTBOX_LEASE_LEN]);
/* Leases up to limit deliveries due at now (scheduler clock, unix seconds) of
 * enabled subscriptions, under a new token; returns them as a list (NULL when
 * none, or on error with err set). */
outbox_job *outbox_lease(db_t *db, double now, int limit, err_t *err);
/* The delivery already leased to lease (the test event), or NULL. */
outbox_job *outbox_leased(db_t *db, const char *delivery_id, const char *lease, err_t *err);
/* Records the attempt and the delivery's next state. false with err set when
 * the lease was lost meanwhile (code lease_lost: the attempt is not logged;
 * whoever holds the lease now logs its own) or on a database error. */
bool outbox_record(db_t *db, const outbox_job *job, const outbox_outcome *o, delivery_status *status, err_t *err);
/* Gives the lease back so the delivery is due again at once (shutdown). */
void outbox_release(db_t *db, const outbox_job *job);
/* The outcome of a job whose secret does not open: failed without sending,
 * since an unsigned delivery would be refused by every careful receiver. */
void outbox_unsigned_outcome(double at, outbox_outcome *o);
void outbox_job_free(outbox_job *job);
void outbox_outcome_clear(outbox_outcome *o);

#endif
