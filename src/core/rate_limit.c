#include "core/rate_limit.h"
#include "store/rate_limits.h"
#include "util/log.h"
#include <stdio.h>
#include <string.h>

bool rate_limit_check(const core_ctx *c, int per_token, int per_workspace, rate_limit_verdict *v, err_t *err)
{
	char credential[16 + sizeof c->actor->credential];
	const char *buckets[RATE_LIMITS_MAX_BUCKETS];
	long limits[RATE_LIMITS_MAX_BUCKETS];
	const char *whose[RATE_LIMITS_MAX_BUCKETS];
	int n = 0;
	memset(v, 0, sizeof *v);
	if (per_token > 0 && c->actor->credential[0]) {
		snprintf(credential, sizeof credential, "credential:%s", c->actor->credential);
		buckets[n] = credential;
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
	err_t cerr = { 0 };
	if (!rate_limits_hit(c->db, c->actor->workspace_id, buckets, n, &counts, &cerr)) {
		log_msg(LOG_WARN, "rate limit not counted: %s", cerr.message);
		return true;
	}
	/* The verdict speaks of the limit nearest to running out. */
	int tight = 0;
	for (int i = 1; i < n; i++)
		if (limits[i] - counts.count[i] < limits[tight] - counts.count[tight])
			tight = i;
	long remaining = limits[tight] - counts.count[tight];
	*v = (rate_limit_verdict){ true, limits[tight], remaining > 0 ? remaining : 0, counts.reset_seconds };
	if (remaining >= 0)
		return true;
	return err_set(err, ERR_CODE_RATE_LIMITED, "%s sent more than %ld requests this minute; retry in %d seconds",
		       whose[tight], limits[tight], counts.reset_seconds);
}
