/* The core of delivery, shared by the dispatcher thread and the cron: leases
 * due deliveries in batches, sends them concurrently on one libcurl multi
 * handle, and records the attempts that finish together in one statement.
 * Not thread-safe except pump_wakeup.
 * The scheduler's clock is real time plus clock_offset, so the cron's --now
 * (and tests) can run the retry schedule without waiting minutes. */
#ifndef DELIVERY_PUMP_H
#define DELIVERY_PUMP_H
#include "store/db.h"
#include <stdbool.h>

typedef struct {
	double clock_offset; /* seconds added to the real clock */
	bool allow_private;  /* WEBHOOK_ALLOW_PRIVATE */
	int capacity;        /* concurrent transfers, 1..256 (0: 128) */
} pump_config;

typedef struct {
	long attempted, delivered, retrying, failed, lost;
	long unknown; /* attempts of dead senders closed as unknown */
} pump_stats;

typedef struct pump pump_t;

/* db is borrowed, used from the calling thread only, and the pump's alone: it
 * is set to plan each statement for its batch (db_plan_each_time). */
pump_t *pump_new(db_t *db, const pump_config *cfg);
/* Stops transfers still running and gives their leases back (their attempts
 * are closed as unknown: the requests may have arrived). */
void pump_free(pump_t *p);
double pump_now(const pump_t *p);
/* Leases as many due deliveries as there is room for and starts them;
 * returns how many (-1 on a database error, logged). */
int pump_fill(pump_t *p);
/* Whether the last fill was cut short by capacity (more may be due). */
bool pump_more_due(const pump_t *p);
int pump_in_flight(const pump_t *p);
/* Waits up to timeout_ms for network activity, for extra_fd (-1: none) to
 * become readable (then *extra_ready is set) or for pump_wakeup. */
void pump_wait(pump_t *p, int extra_fd, int timeout_ms, bool *extra_ready);
/* Advances transfers and records the finished ones, all in one statement;
 * returns how many finished. */
int pump_collect(pump_t *p);
/* Interrupts pump_wait from any thread. */
void pump_wakeup(pump_t *p);
/* Sends everything due (on the pump's clock) until nothing is due or in flight. */
bool pump_drain(pump_t *p);
const pump_stats *pump_get_stats(const pump_t *p);
/* Counts a recorded outcome (shared with the one-off sender). */
void pump_count(pump_stats *s, int status, bool recorded);

#endif
