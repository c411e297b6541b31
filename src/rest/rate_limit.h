/* Rate limits of the REST door, per credential and per workspace, counted
 * by the core (core/rate_limit), shared by every instance: a fixed
 * one-minute window, RateLimit-Limit / RateLimit-Remaining / RateLimit-Reset
 * on every authenticated answer (the limit nearest to running out), and 429
 * rate_limited with Retry-After past it. */
#ifndef REST_RATE_LIMIT_H
#define REST_RATE_LIMIT_H
#include "core/actor.h"
#include "http/message.h"
#include "store/db.h"

/* Counts the request on db (one statement) against per_token and
 * per_workspace requests a minute (0: no such limit) and sets the headers.
 * false: resp holds the 429. A failure to count lets the request through
 * (the request itself then meets the database's state). */
bool rest_rate_limit(db_t *db, int per_token, int per_workspace, const http_request *req, const actor_t *actor,
		     http_response *resp);

#endif
