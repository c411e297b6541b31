/* When a delivery is retried: the spec's schedule as pure functions, so the
 * rules are unit-tested apart from the network and the database.
 * 2xx delivered; 4xx other than 429 (and 3xx: redirects are not followed)
 * fail at once; 429, 5xx, timeouts and connection errors are retried
 * +1 min, +5 min, +30 min after attempts 1, 2 and 3; attempt 4 is the last. */
#ifndef CORE_SCHEDULE_H
#define CORE_SCHEDULE_H
#include <stdbool.h>

enum { SCHEDULE_MAX_ATTEMPTS = 4 };

typedef enum {
	VERDICT_DELIVERED,
	VERDICT_RETRY,     /* worth trying again, if attempts remain */
	VERDICT_PERMANENT, /* the receiver refused it; retrying will not help */
} schedule_verdict;

typedef enum { STATUS_PENDING, STATUS_DELIVERED, STATUS_FAILED } delivery_status;

/* http_code is 0 when no response came (timeout, refused, dropped). */
schedule_verdict schedule_classify(long http_code);
/* Seconds to wait after failed attempt number attempt (1-based) on the
 * automatic schedule; -1 when it was the last. */
long schedule_backoff(int attempt);
/* What becomes of a delivery after attempt (1-based) of max_attempts ended with
 * verdict; *delay_seconds is set when the result is STATUS_PENDING. Should
 * max_attempts ever exceed the schedule, later steps wait as its last did. */
delivery_status schedule_next(schedule_verdict verdict, int attempt, int max_attempts, long *delay_seconds);
const char *schedule_status_name(delivery_status s);

#endif
