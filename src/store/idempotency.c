#include "store/idempotency.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The lock's key: one class for idempotency, then the scope and the key. A
 * 32-bit hash collision only makes two different keys in flight at the same
 * moment wait for each other (the second answers "in progress"). */
#define LOCK_ARGS "hashtext('workestra-idempotency'), hashtext($1 || ' ' || $2 || ' ' || $3)"

enum { SWEEP_BATCH = 20 };

bool idempotency_begin(db_t *db, const idempotency_id *id, bool session, idempotency_state *state, int *status,
		       char **body, err_t *err)
{
	*state = IDEMPOTENCY_NEW;
	*status = 0;
	*body = NULL;
	/* The lock first, in a statement of its own: the lookup after it then
	 * sees (read committed) the answer of a request that just released it. */
	PGresult *r = DB_QUERY(db, err,
			       session ? "SELECT pg_try_advisory_lock(" LOCK_ARGS ")"
				       : "SELECT pg_try_advisory_xact_lock(" LOCK_ARGS ")",
			       id->workspace_id, id->scope, id->key);
	if (!r)
		return false;
	bool got = PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	if (!got) {
		*state = IDEMPOTENCY_BUSY;
		return true;
	}
	r = DB_QUERY(db, err,
		     "SELECT fingerprint = $4, status, body FROM api_idempotency_keys"
		     " WHERE workspace_id = $1 AND scope = $2 AND key = $3 AND expires_at > now()",
		     id->workspace_id, id->scope, id->key, id->fingerprint);
	if (!r) {
		if (session)
			idempotency_unlock(db, id);
		return false;
	}
	if (PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] != 't') {
		*state = IDEMPOTENCY_MISMATCH;
	} else if (PQntuples(r) == 1) {
		*state = IDEMPOTENCY_REPLAY;
		*status = atoi(PQgetvalue(r, 0, 1));
		*body = strdup(PQgetvalue(r, 0, 2));
		if (!*body)
			abort();
	}
	PQclear(r);
	return true;
}

bool idempotency_store(db_t *db, const idempotency_id *id, int status, const char *body, err_t *err)
{
	char status_text[16], batch[16];
	snprintf(status_text, sizeof status_text, "%d", status);
	snprintf(batch, sizeof batch, "%d", SWEEP_BATCH);
	/* An expired answer under the same key is replaced; the sweep is
	 * bounded and skips rows another transaction is on. */
	return DB_EXEC(db, err,
		       "WITH sweep AS (DELETE FROM api_idempotency_keys WHERE ctid = ANY(ARRAY("
		       "  SELECT ctid FROM api_idempotency_keys WHERE expires_at <= now()"
		       "  AND NOT (workspace_id = $1 AND scope = $2 AND key = $3)"
		       "  LIMIT $9::int FOR UPDATE SKIP LOCKED)))"
		       " INSERT INTO api_idempotency_keys (workspace_id, scope, key, fingerprint, method, path, status, body)"
		       " VALUES ($1, $2, $3, $4, $5, $6, $7::int, $8)"
		       " ON CONFLICT (workspace_id, scope, key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint,"
		       " method = EXCLUDED.method, path = EXCLUDED.path, status = EXCLUDED.status, body = EXCLUDED.body,"
		       " created_at = now(), expires_at = now() + interval '24 hours'"
		       " WHERE api_idempotency_keys.expires_at <= now()",
		       id->workspace_id, id->scope, id->key, id->fingerprint, id->method, id->path, status_text, body, batch);
}

void idempotency_unlock(db_t *db, const idempotency_id *id)
{
	err_t ignored = { 0 };
	DB_EXEC(db, &ignored, "SELECT pg_advisory_unlock(" LOCK_ARGS ")", id->workspace_id, id->scope, id->key);
}
