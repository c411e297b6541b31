/* Idempotency keys of REST writes (api_idempotency_keys): the stored answer
 * of a request, found again by the credential's scope and the client's key
 * for 24 hours. The caller holds the key's advisory lock while it looks the
 * key up, runs the request and stores its answer, so two requests with one
 * key never both run: a transaction-level lock when the answer is stored in
 * the transaction of the change (the usual case), a session-level one when
 * the request commits on its own. */
#ifndef STORE_IDEMPOTENCY_H
#define STORE_IDEMPOTENCY_H
#include "store/db.h"

enum { IDEMPOTENCY_KEY_MAX = 255 };

typedef enum {
	IDEMPOTENCY_NEW,      /* no live answer under the key: run the request */
	IDEMPOTENCY_REPLAY,   /* the same request ran: answer what it answered */
	IDEMPOTENCY_MISMATCH, /* the key was used for another request */
	IDEMPOTENCY_BUSY,     /* a request with the key is running now */
} idempotency_state;

typedef struct {
	const char *workspace_id, *scope, *key;
	const char *fingerprint; /* SHA-256 hex of method, path, query and body */
	const char *method, *path;
} idempotency_id;

/* Takes the key's lock without waiting (session: a session-level lock, to be
 * released with idempotency_unlock; else held until the transaction open
 * on db ends) and looks the key up. BUSY when another request holds the
 * lock. REPLAY fills status and body (malloc'd, the caller frees). An
 * expired answer counts as none. */
bool idempotency_begin(db_t *db, const idempotency_id *id, bool session, idempotency_state *state, int *status,
		       char **body, err_t *err);
/* Stores the answer under the key (the caller holds its lock), and sweeps a
 * few expired keys of any scope on the way. */
bool idempotency_store(db_t *db, const idempotency_id *id, int status, const char *body, err_t *err);
/* Releases a session-level lock of idempotency_begin. */
void idempotency_unlock(db_t *db, const idempotency_id *id);

#endif
