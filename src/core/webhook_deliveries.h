/* The delivery log of a subscription (time_webhook_deliveries and their
 * attempts), a manual retry, and the synthetic test event. Sending itself is
 * the delivery layer's business; this module only reads and schedules rows. */
#ifndef CORE_WEBHOOK_DELIVERIES_H
#define CORE_WEBHOOK_DELIVERIES_H
#include "core/ctx.h"
#include <jansson.h>

enum { WEBHOOK_REPLAY_MAX = 500 };

/* Newest first: {id, event, event_id, status, attempts[], next_attempt_at,
 * created_at, payload} (payload: the event's body as sent, byte for byte its
 * JSON text). The page as JSON array text (malloc'd; store/query.h
 * query_json_array), or NULL with err. */
char *webhook_deliveries_list(core_ctx *c, const char *webhook_id, core_page *page, err_t *err);
json_t *webhook_deliveries_get(core_ctx *c, const char *webhook_id, const char *delivery_id, err_t *err);
/* Makes the delivery due now with one more attempt allowed (any status);
 * 409 delivery_in_flight while a dispatcher holds it. Audited. */
json_t *webhook_deliveries_retry(core_ctx *c, const char *webhook_id, const char *delivery_id, err_t *err);
/* {from, to} (ISO 8601 instants, from inclusive): the subscription's failed
 * deliveries created in that range, oldest first and at most
 * WEBHOOK_REPLAY_MAX, made due now with one more attempt each (as a manual
 * retry), in one unit of work with its audit row. Answers {queued,
 * has_more, from, to}; has_more: call again for the rest. */
json_t *webhook_deliveries_replay(core_ctx *c, const char *webhook_id, json_t *body, err_t *err);
/* Writes a webhook.test event and its delivery, already leased to lease_owner
 * (so no dispatcher takes it: the caller sends it at once), with a single
 * attempt allowed. delivery_id holds 64 bytes. */
bool webhook_deliveries_test(core_ctx *c, const char *webhook_id, const char *lease_owner, char delivery_id[64],
			     err_t *err);

#endif
