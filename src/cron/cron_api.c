/* POST (or GET) /api/cron/NAME: the trigger an external scheduler calls.
 * Guarded by CRON_SECRET only (no user token): Authorization: Bearer
 * <secret>, compared in constant time; while no secret is configured every
 * cron endpoint answers 404, as if it did not exist. */
#include "cron/cron.h"
#include "cron/deliver_time_webhooks.h"
#include "cron/cron_api.h"
#include "util/crypto.h"
#include <string.h>
#include <strings.h>

/* Hashing both sides first makes the comparison's time independent of the
 * secret's length as well as of its bytes. */
static bool authorized(const char *secret, const char *authorization)
{
	if (!authorization || strncasecmp(authorization, "Bearer ", 7))
		return false;
	const char *given = authorization + 7;
	char a[65], b[65];
	crypto_sha256_hex(given, strlen(given), a);
	crypto_sha256_hex(secret, strlen(secret), b);
	return crypto_equal(a, 64, b, 64);
}

static int error(json_t **body, int status, const char *code, const char *message)
{
	*body = json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", message);
	return status;
}

static int answer(const cron_api_env *env, const http_request *req, json_t **body)
{
	if (!env->secret)
		return error(body, 404, "not_found", "no such endpoint");
	if (strcmp(req->method, "POST") && strcmp(req->method, "GET"))
		return error(body, 405, "method_not_allowed", "use POST or GET");
	if (!authorized(env->secret, req->authorization))
		return error(body, 401, "unauthorized", "send Authorization: Bearer <CRON_SECRET>");
	const char *name = req->path + strlen(CRON_API_PREFIX);
	err_t err = { 0 };
	json_t *run = !strcmp(name, CRON_DELIVER_WEBHOOKS) ? cron_deliver_time_webhooks(env->cron, 0, &err)
							  : cron_run(env->db, env->cron, name, NULL, &err);
	if (!run) {
		int status = err.kind == ERR_NOT_FOUND ? 404 : err.kind == ERR_UNAVAILABLE ? 503 : 500;
		return error(body, status, err.code, err.message);
	}
	const char *status = json_string_value(json_object_get(run, "status"));
	bool ok = !status || !strcmp(status, "succeeded"); /* the drain reports counts, not a status */
	*body = ok ? json_pack("{s:o}", "data", run)
		   : json_pack("{s:o, s:{s:s, s:s}}", "data", run, "error", "code", "job_failed", "message",
			       "the job failed; see data.errors");
	return ok ? 200 : 500;
}

void cron_api_handle(const cron_api_env *env, const http_request *req, http_response *resp)
{
	json_t *body = NULL;
	int status = answer(env, req, &body);
	if (status == 401)
		http_response_header(req->arena, resp, "www-authenticate", "Bearer realm=\"workestra-cron\"");
	http_response_json(req->arena, resp, status, body);
}
