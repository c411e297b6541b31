#include "rest/rate_limit.h"
#include "store/rate_limits.h"
#include "util/log.h"
#include <stdio.h>

bool rest_rate_limit(db_t *db, int per_token, int per_workspace, const http_request *req, const actor_t *actor,
		     http_response *resp)
{
	const char *buckets[RATE_LIMITS_MAX_BUCKETS];
	long limits[RATE_LIMITS_MAX_BUCKETS];
	const char *whose[RATE_LIMITS_MAX_BUCKETS];
	int n = 0;
	if (per_token > 0 && actor->credential[0]) {
		buckets[n] = arena_sprintf(req->arena, "credential:%s", actor->credential);
		limits[n] = per_token;
		whose[n++] = "this token";
	}
	if (per_workspace > 0) {
		buckets[n] = "workspace";
		limits[n] = per_workspace;
		whose[n++] = "this workspace";
	}
	if (n == 0)
		return true;
	rate_limits_counts counts;
	err_t err = { 0 };
	if (!rate_limits_hit(db, actor->workspace_id, buckets, n, &counts, &err)) {
		log_msg(LOG_WARN, "rate limit not counted: %s", err.message);
		return true;
	}
	/* The headers speak of the limit nearest to running out. */
	int tight = 0;
	for (int i = 1; i < n; i++)
		if (limits[i] - counts.count[i] < limits[tight] - counts.count[tight])
			tight = i;
	long remaining = limits[tight] - counts.count[tight];
	char text[24];
	snprintf(text, sizeof text, "%ld", limits[tight]);
	http_response_header(req->arena, resp, "ratelimit-limit", text);
	snprintf(text, sizeof text, "%ld", remaining > 0 ? remaining : 0);
	http_response_header(req->arena, resp, "ratelimit-remaining", text);
	snprintf(text, sizeof text, "%d", counts.reset_seconds);
	http_response_header(req->arena, resp, "ratelimit-reset", text);
	if (remaining >= 0)
		return true;
	http_response_header(req->arena, resp, "retry-after", text);
	err_set(&err, ERR_CODE_RATE_LIMITED, "%s sent more than %ld requests this minute; retry in %d seconds",
		whose[tight], limits[tight], counts.reset_seconds);
	http_response_error(req->arena, resp, &err);
	return false;
}
