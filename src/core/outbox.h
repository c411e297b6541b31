/* The database side of delivery: leasing due deliveries, recording attempts.
 * A lease is taken and committed before anything is sent, with FOR UPDATE
 * SKIP LOCKED, so dispatchers on several processes never take the same
 * delivery; it expires after OUTBOX_LEASE_SECONDS, so a process killed
 * mid-delivery loses nothing: another leases the delivery again.
 * The attempt is written in the same statement as the lease, as 'sending',
 * so every request that may have reached the receiver is in the log even
 * when its sender dies; the outcome completes that row. An attempt left
 * 'sending' under an expired (or given back) lease is closed as 'unknown'
 * and counts on the retry schedule like a timeout. (delivery, attempt) is a
 * primary key, so one attempt is never logged twice. */
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
	char *previous_secret; /* the rotated-out secret during its overlap, else NULL */
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
/* Closes as 'unknown' the attempts left 'sending' by senders that died or
 * lost their lease (not leased at now, scheduler clock), and moves their
 * deliveries on along the retry schedule as after a timeout. Returns how
 * many it closed (-1 on a database error, with err set). */
int outbox_reap(db_t *db, double now, err_t *err);
/* Leases up to limit deliveries due at now (scheduler clock, unix seconds) of
 * enabled subscriptions, under a new token, and starts an attempt on each
 * (committed as 'sending' before anything is sent); returns them as a list
 * (NULL when none, or on error with err set). Deliveries of a workspace whose
 * plan no longer allows webhooks (plans_allows FEATURE_WEBHOOKS) are held:
 * not leased, left pending with their attempts uncounted, sent once the
 * workspace is upgraded again. */
outbox_job *outbox_lease(db_t *db, double now, int limit, err_t *err);
/* Starts an attempt at now on the delivery already leased to lease (the test
 * event) and returns it, or NULL. */
outbox_job *outbox_leased(db_t *db, const char *delivery_id, const char *lease, double now, err_t *err);
/* One finished attempt to record, and what recording made of it. */
typedef struct {
	const outbox_job *job;
	outbox_outcome outcome;
	delivery_status status; /* set: the delivery's next state by the retry schedule */
	bool held;              /* set: the lease still held, so the delivery took that state */
} outbox_result;

/* Records n finished attempts in one statement (one round trip, one
 * transaction): each outcome completes its attempt's row, and each delivery
 * whose lease still holds takes its next state and is released (held set).
 * A delivery whose lease was lost meanwhile keeps the state its new holder
 * gives it; only its attempt's row takes the outcome (held false). Atomic:
 * false with err set on a database error, and then nothing of the batch was
 * recorded (its attempts stay in flight until outbox_reap closes them as
 * unknown, and the deliveries are sent again with the same ids). */
bool outbox_record_many(db_t *db, outbox_result *r, int n, err_t *err);
/* outbox_record_many of one: false with err set when the lease was lost
 * meanwhile (code lease_lost) or on a database error. */
bool outbox_record(db_t *db, const outbox_job *job, const outbox_outcome *o, delivery_status *status, err_t *err);
/* Gives the lease back (shutdown): an attempt started on it is closed as
 * 'unknown' (the request may be at the receiver already) and the delivery
 * follows the retry schedule. */
void outbox_release(db_t *db, const outbox_job *job);
/* The outcome of a job whose secret does not open: failed without sending,
 * since an unsigned delivery would be refused by every careful receiver. */
void outbox_unsigned_outcome(double at, outbox_outcome *o);
void outbox_job_free(outbox_job *job);
void outbox_outcome_clear(outbox_outcome *o);

#endif
