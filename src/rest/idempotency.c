#include "rest/idempotency.h"
#include "util/crypto.h"
#include "util/log.h"
#include <stdlib.h>
#include <string.h>

/* What makes two requests the same: method, path, query and body. */
static void fingerprint(const http_request *req, char hex[65])
{
	size_t n = strlen(req->method) + strlen(req->path) + req->body_len + 3;
	for (const char *const *a = req->args; a && *a; a++)
		n += strlen(*a) + 1;
	char *buf = arena_alloc(req->arena, n), *p = buf;
#define PUT(s, len) (memcpy(p, (s), (len)), p += (len), *p++ = '\n')
	PUT(req->method, strlen(req->method));
	PUT(req->path, strlen(req->path));
	for (const char *const *a = req->args; a && *a; a++)
		PUT(*a, strlen(*a));
	memcpy(p, req->body ? req->body : "", req->body_len);
	p += req->body_len;
#undef PUT
	crypto_sha256_hex(buf, (size_t)(p - buf), hex);
}

static bool key_valid(const char *key)
{
	size_t n = strlen(key);
	if (n == 0 || n > IDEMPOTENCY_KEY_MAX)
		return false;
	for (const char *c = key; *c; c++)
		if (*c < 0x20 || *c > 0x7e)
			return false;
	return true;
}

static bool refuse(const http_request *req, http_response *resp, err_t *err)
{
	http_response_error(req->arena, resp, err);
	return false;
}

bool rest_idempotency_begin(rest_idempotency *ri, rest_call *call, bool commits_itself, http_response *resp)
{
	const http_request *req = call->req;
	memset(ri, 0, sizeof *ri);
	const char *key = http_request_header(req, "idempotency-key");
	/* GET, DELETE and the rest are idempotent already: the key changes nothing. */
	if (!key || (strcmp(req->method, "POST") && strcmp(req->method, "PATCH")))
		return true;
	err_t err = { 0 };
	if (!key_valid(key)) {
		err_set(&err, ERR_CODE_IDEMPOTENCY_KEY_INVALID,
			"Idempotency-Key must be 1 to %d printable ASCII characters, such as a UUID", IDEMPOTENCY_KEY_MAX);
		return refuse(req, resp, &err);
	}
	char *hex = arena_alloc(req->arena, 65);
	fingerprint(req, hex);
	const actor_t *actor = call->core.actor;
	ri->id = (idempotency_id){ actor->workspace_id, actor->credential, key, hex, req->method, req->path };
	ri->session = commits_itself;
	ri->db = call->core.db;
	if (!ri->session && !tx_begin(&call->core, &ri->unit, &err))
		return refuse(req, resp, &err);
	idempotency_state state;
	int status;
	char *body;
	if (!idempotency_begin(ri->db, &ri->id, ri->session, &state, &status, &body, &err)) {
		if (!ri->session)
			tx_rollback(&ri->unit);
		return refuse(req, resp, &err);
	}
	if (state == IDEMPOTENCY_NEW) {
		ri->active = true;
		return true;
	}
	if (ri->session && state != IDEMPOTENCY_BUSY)
		idempotency_unlock(ri->db, &ri->id);
	else if (!ri->session)
		tx_rollback(&ri->unit);
	if (state == IDEMPOTENCY_REPLAY) {
		resp->status = status;
		resp->content_type = "application/json";
		resp->body = arena_strdup(req->arena, body);
		resp->body_len = strlen(resp->body);
		http_response_header(req->arena, resp, "idempotent-replayed", "true");
		free(body);
		return false;
	}
	if (state == IDEMPOTENCY_MISMATCH)
		err_set(&err, ERR_CODE_IDEMPOTENCY_KEY_REUSED,
			"this Idempotency-Key was used in the last 24 hours for another request (method, path or body);"
			" use a new key for a new request");
	else
		err_set(&err, ERR_CODE_IDEMPOTENCY_KEY_IN_PROGRESS,
			"a request with this Idempotency-Key is still running; retry it in a moment");
	return refuse(req, resp, &err);
}

void rest_idempotency_end(rest_idempotency *ri, const http_request *req, http_response *resp)
{
	if (!ri->active)
		return;
	ri->active = false;
	bool keep = resp->status >= 200 && resp->status < 300;
	err_t err = { 0 };
	if (ri->session) {
		/* The route committed its change already: its answer follows, and
		 * is lost only if the process dies in between (the route then runs
		 * again on a retry). */
		if (keep && !idempotency_store(ri->db, &ri->id, resp->status, resp->body, &err))
			log_msg(LOG_WARN, "the answer under an Idempotency-Key could not be stored: %s", err.message);
		idempotency_unlock(ri->db, &ri->id);
		return;
	}
	if (keep && idempotency_store(ri->db, &ri->id, resp->status, resp->body, &err) && tx_commit(&ri->unit, &err))
		return;
	tx_rollback(&ri->unit);
	if (keep)
		http_response_error(req->arena, resp, &err); /* neither the change nor its answer stays */
}
