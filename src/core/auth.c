#include "core/auth.h"
#include "core/tx.h"
#include "util/crypto.h"
#include "util/jwt.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { SECRET_BYTES = 32, MAX_CREDENTIAL = 8192 };

static bool load_user(db_t *db, const char *user_id, actor_t *actor, err_t *err)
{
	PGresult *r = DB_QUERY(db, err,
			       "SELECT u.workspace_id, u.id, u.role, w.plan, array_to_string(w.modules, ',') FROM users u"
			       " JOIN workspaces w ON w.id = u.workspace_id WHERE u.id = $1",
			       user_id);
	if (!r)
		return false;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return err_set(err, ERR_CODE_UNAUTHORIZED, "the credential's user does not exist");
	}
	snprintf(actor->workspace_id, sizeof actor->workspace_id, "%s", PQgetvalue(r, 0, 0));
	snprintf(actor->user_id, sizeof actor->user_id, "%s", PQgetvalue(r, 0, 1));
	snprintf(actor->role, sizeof actor->role, "%s", PQgetvalue(r, 0, 2));
	snprintf(actor->plan, sizeof actor->plan, "%s", PQgetvalue(r, 0, 3));
	snprintf(actor->modules, sizeof actor->modules, "%s", PQgetvalue(r, 0, 4));
	PQclear(r);
	return true;
}

bool auth_load_user(db_t *db, const char *user_id, actor_t *actor, err_t *err)
{
	return load_user(db, user_id, actor, err);
}

static bool auth_api_token(db_t *db, const char *cred, actor_t *actor, err_t *err)
{
	const char *dot = strchr(cred, '.');
	if (!dot || dot - cred > 60 || strncmp(cred, "tok_", 4))
		return err_set(err, ERR_CODE_UNAUTHORIZED, "malformed API token");
	char id[64];
	snprintf(id, sizeof id, "%.*s", (int)(dot - cred), cred);
	char hash[65];
	crypto_sha256_hex(dot + 1, strlen(dot + 1), hash);
	PGresult *r = DB_QUERY(db, err, "SELECT user_id, secret_hash FROM api_tokens WHERE id = $1 AND revoked_at IS NULL",
			       id);
	if (!r)
		return false;
	/* Compare even when the id is unknown, so timing says nothing about ids. */
	const char *stored = PQntuples(r) == 1 ? PQgetvalue(r, 0, 1)
					       : "0000000000000000000000000000000000000000000000000000000000000000";
	bool ok = crypto_equal(hash, 64, stored, strlen(stored)) && PQntuples(r) == 1;
	char user_id[64] = "";
	if (ok)
		snprintf(user_id, sizeof user_id, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	if (!ok)
		return err_set(err, ERR_CODE_UNAUTHORIZED, "invalid or revoked API token");
	/* Bookkeeping: its failure must neither refuse the request nor leave an
	 * error (or an aborted transaction) for the request's first write. */
	tx_best_effort(db, "UPDATE api_tokens SET last_used_at = now() WHERE id = $1 AND"
			   " (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')", 1, id);
	snprintf(actor->credential, sizeof actor->credential, "%s", id);
	return load_user(db, user_id, actor, err);
}

bool auth_bearer(db_t *db, const char *cred, const char *jwt_secret, actor_t *actor, err_t *err)
{
	if (!cred || !*cred)
		return err_set(err, ERR_CODE_UNAUTHORIZED, "missing bearer token");
	if (strlen(cred) > MAX_CREDENTIAL)
		return err_set(err, ERR_CODE_UNAUTHORIZED, "credential too long");
	int dots = 0;
	for (const char *p = cred; *p; p++)
		dots += *p == '.';
	if (dots == 2) {
		if (!jwt_secret || !*jwt_secret)
			return err_set(err, ERR_CODE_UNAUTHORIZED, "session tokens are not accepted by this server");
		char sub[128];
		jwt_result jr = jwt_verify_hs256(cred, jwt_secret, time(NULL), sub, sizeof sub);
		if (jr != JWT_OK)
			return err_set(err, ERR_CODE_UNAUTHORIZED, "invalid session token: %s", jwt_result_str(jr));
		snprintf(actor->credential, sizeof actor->credential, "jwt:%.70s", sub);
		return load_user(db, sub, actor, err);
	}
	return auth_api_token(db, cred, actor, err);
}

char *auth_token_create(db_t *db, const char *user_id, const char *name, char token_id[64], err_t *err)
{
	unsigned char raw[SECRET_BYTES];
	if (!crypto_random(raw, sizeof raw)) {
		err_set(err, ERR_CODE_INTERNAL_ERROR, "no randomness available");
		return NULL;
	}
	char secret[64];
	crypto_b64url_encode(raw, sizeof raw, secret);
	char hash[65];
	crypto_sha256_hex(secret, strlen(secret), hash);
	PGresult *r = DB_QUERY(db, err,
			       "INSERT INTO api_tokens (workspace_id, user_id, name, secret_hash)"
			       " SELECT workspace_id, id, $2, $3 FROM users WHERE id = $1 RETURNING id",
			       user_id, name ? name : "", hash);
	if (!r)
		return NULL;
	if (PQntuples(r) != 1) {
		PQclear(r);
		err_set(err, ERR_CODE_NOT_FOUND, "no user %s", user_id);
		return NULL;
	}
	snprintf(token_id, 64, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	size_t n = strlen(token_id) + strlen(secret) + 2;
	char *tok = malloc(n);
	if (!tok)
		abort();
	snprintf(tok, n, "%s.%s", token_id, secret);
	return tok;
}

bool auth_token_revoke(db_t *db, const char *workspace_id, const char *token_id, err_t *err)
{
	PGresult *r = DB_QUERY(db, err,
			       "UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND workspace_id = $2"
			       " AND revoked_at IS NULL RETURNING id",
			       token_id, workspace_id);
	if (!r)
		return false;
	int n = PQntuples(r);
	PQclear(r);
	return n == 1 ? true : err_set(err, ERR_CODE_NOT_FOUND, "no active token %s", token_id);
}
