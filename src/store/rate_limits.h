/* Request counters shared by every instance (api_rate_limits): a fixed
 * one-minute window per bucket, on the database's clock, counted by one
 * upsert per request. */
#ifndef STORE_RATE_LIMITS_H
#define STORE_RATE_LIMITS_H
#include "store/db.h"

enum { RATE_LIMITS_MAX_BUCKETS = 2 };

typedef struct {
	long count[RATE_LIMITS_MAX_BUCKETS]; /* requests in the current window, this one included */
	int reset_seconds;                   /* until the window ends (1 to 60) */
} rate_limits_counts;

/* Counts one request in each of the n buckets (names) of workspace_id, in
 * one statement, and reads the counts back in the buckets' order. */
bool rate_limits_hit(db_t *db, const char *workspace_id, const char *const *buckets, int n, rate_limits_counts *out,
		     err_t *err);

#endif
