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

/* Fills err, or the run's record into *data (with err set when the job failed). */
static void answer(const cron_api_env *env, const http_request *req, http_response *resp, json_t **data, err_t *err)
{
	if (!env->secret) {
		err_set(err, ERR_CODE_NOT_FOUND, "no such endpoint");
		return;
	}
	if (strcmp(req->method, "POST") && strcmp(req->method, "GET")) {
		http_response_header(req->arena, resp, "allow", "GET, POST");
		err_set(err, ERR_CODE_METHOD_NOT_ALLOWED, "use POST or GET");
		return;
	}
	if (!authorized(env->secret, req->authorization)) {
		http_response_header(req->arena, resp, "www-authenticate", "Bearer realm=\"workestra-cron\"");
		err_set(err, ERR_CODE_UNAUTHORIZED, "send Authorization: Bearer <CRON_SECRET>");
		return;
	}
	const char *name = req->path + strlen(CRON_API_PREFIX);
	json_t *run = !strcmp(name, CRON_DELIVER_WEBHOOKS) ? cron_deliver_time_webhooks(env->cron, 0, err)
							  : cron_run(env->db, env->cron, name, NULL, err);
	if (!run)
		return;
	const char *status = json_string_value(json_object_get(run, "status"));
	if (status && strcmp(status, "succeeded")) /* the drain reports counts, not a status */
		err_set(err, ERR_CODE_JOB_FAILED, "the job failed; see data.errors");
	*data = run;
}

void cron_api_handle(const cron_api_env *env, const http_request *req, http_response *resp)
{
	json_t *data = NULL;
	err_t err = { 0 };
	answer(env, req, resp, &data, &err);
	if (err_any(&err))
		http_response_error_data(req->arena, resp, &err, data);
	else
		http_response_json(req->arena, resp, 200, json_pack("{s:o}", "data", data));
}
