/* How many requests a caller may send: per credential and per workspace, a
 * minute, counted in PostgreSQL (store/rate_limits) so every instance shares
 * the counts. The doors over HTTP (REST and MCP) ask here and say the verdict
 * in their own shape (rest/rate_limit, mcp/http). */
#ifndef CORE_RATE_LIMIT_H
#define CORE_RATE_LIMIT_H
#include "core/ctx.h"

typedef struct {
	bool counted;      /* a limit applies and the request was counted */
	long limit;        /* the limit nearest to running out */
	long remaining;    /* of it (0 at least) */
	int reset_seconds; /* until the window ends (1 to 60) */
} rate_limit_verdict;

/* Counts one request of c's caller against per_token and per_workspace
 * requests a minute (0: no such limit) and fills v. false past a limit: err
 * holds 429 rate_limited naming the limit that ran out. A failure to count
 * lets the request through (logged; v->counted false): the request itself
 * then meets the database's state. */
bool rate_limit_check(const core_ctx *c, int per_token, int per_workspace, rate_limit_verdict *v, err_t *err);

#endif
