/* Idempotency-Key on the REST door's POST and PATCH requests (Stripe's
 * semantics): a retry with the same key, credential, method, path, query and
 * body gets the stored answer (with Idempotent-Replayed: true) instead of
 * running again; the same key with another request answers 422
 * idempotency_key_reused; while a request with the key runs, another answers
 * 409 idempotency_key_in_progress. Only successful (2xx) answers are kept,
 * for 24 hours: an error changed nothing, so the key may be sent again.
 *
 * The answer is stored in the transaction of the change: the door opens a
 * unit of work around the handler, whose core mutations nest in it, and
 * commits the change and its answer together (a crash loses both or
 * neither). A route that commits on its own between network calls (the
 * webhook Test button) runs outside it, under a session-level lock, and its
 * answer is stored after it. */
#ifndef REST_IDEMPOTENCY_H
#define REST_IDEMPOTENCY_H
#include "core/tx.h"
#include "rest/rest.h"
#include "store/idempotency.h"

typedef struct {
	bool active;  /* a key came with a POST or PATCH: the request runs under it */
	bool session; /* the route commits on its own: no unit around it */
	db_t *db;
	idempotency_id id;
	tx_unit unit; /* the transaction of the change and its answer (not session) */
} rest_idempotency;

/* Before the handler, with the authenticated call (its body parsed). false:
 * resp holds the answer (the replay, or 400/409/422/503). */
bool rest_idempotency_begin(rest_idempotency *ri, rest_call *call, bool commits_itself, http_response *resp);
/* After the answer is in resp: stores a 2xx answer and commits, or rolls
 * back; when the commit fails, resp becomes that error (nothing happened). */
void rest_idempotency_end(rest_idempotency *ri, const http_request *req, http_response *resp);

#endif
