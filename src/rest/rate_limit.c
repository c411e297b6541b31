#include "rest/rate_limit.h"
#include "core/rate_limit.h"

bool rest_rate_limit(db_t *db, int per_token, int per_workspace, const http_request *req, const actor_t *actor,
		     http_response *resp)
{
	core_ctx c = { db, actor };
	rate_limit_verdict v;
	err_t err = { 0 };
	bool ok = rate_limit_check(&c, per_token, per_workspace, &v, &err);
	if (v.counted)
		http_response_rate_limit(req->arena, resp, v.limit, v.remaining, v.reset_seconds, !ok);
	if (!ok)
		http_response_error(req->arena, resp, &err);
	return ok;
}
