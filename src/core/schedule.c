#include "core/schedule.h"

static const long BACKOFF[SCHEDULE_MAX_ATTEMPTS - 1] = { 60, 5 * 60, 30 * 60 };

schedule_verdict schedule_classify(long http_code)
{
	if (http_code >= 200 && http_code < 300)
		return VERDICT_DELIVERED;
	if (http_code == 0 || http_code == 429 || http_code >= 500 || http_code < 200)
		return VERDICT_RETRY;
	return VERDICT_PERMANENT; /* 3xx and 4xx */
}

long schedule_backoff(int attempt)
{
	if (attempt < 1 || attempt >= SCHEDULE_MAX_ATTEMPTS)
		return -1;
	return BACKOFF[attempt - 1];
}

delivery_status schedule_next(schedule_verdict verdict, int attempt, int max_attempts, long *delay_seconds)
{
	if (verdict == VERDICT_DELIVERED)
		return STATUS_DELIVERED;
	if (verdict == VERDICT_PERMANENT || attempt >= max_attempts)
		return STATUS_FAILED;
	long d = schedule_backoff(attempt);
	*delay_seconds = d > 0 ? d : BACKOFF[SCHEDULE_MAX_ATTEMPTS - 2];
	return STATUS_PENDING;
}

const char *schedule_status_name(delivery_status s)
{
	switch (s) {
	case STATUS_PENDING: return "pending";
	case STATUS_DELIVERED: return "delivered";
	case STATUS_FAILED: return "failed";
	}
	return "failed";
}
