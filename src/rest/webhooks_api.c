/* /api/v1/time/webhooks: subscriptions, their delivery log, retry and test. */
#include "core/webhook_deliveries.h"
#include "core/webhooks.h"
#include "core/outbox.h"
#include "rest/api.h"
#include "rest/rest.h"

json_t *webhooks_api_list(rest_call *call, err_t *err)
{
	return webhooks_list(&call->core, err);
}

json_t *webhooks_api_get(rest_call *call, err_t *err)
{
	return webhooks_get(&call->core, call->params[0], err);
}

json_t *webhooks_api_create(rest_call *call, err_t *err)
{
	json_t *body = rest_body_object(call, err);
	call->status = 201;
	return body ? webhooks_create(&call->core, body, false, err) : NULL;
}

json_t *webhooks_api_update(rest_call *call, err_t *err)
{
	json_t *body = rest_body_object(call, err);
	return body ? webhooks_update(&call->core, call->params[0], body, false, err) : NULL;
}

json_t *webhooks_api_delete(rest_call *call, err_t *err)
{
	return webhooks_delete(&call->core, call->params[0], false, err);
}

json_t *webhooks_api_deliveries(rest_call *call, err_t *err)
{
	if (!rest_paging(call, err))
		return NULL;
	return rest_json_text(call, webhook_deliveries_list(&call->core, call->params[0], &call->page, err));
}

json_t *webhooks_api_retry(rest_call *call, err_t *err)
{
	return webhook_deliveries_retry(&call->core, call->params[0], call->params[1], err);
}

/* The synthetic event is written already leased to this call, sent from this
 * worker thread at once, and answered with the recorded attempt. */
json_t *webhooks_api_test(rest_call *call, err_t *err)
{
	char lease[OUTBOX_LEASE_LEN], delivery_id[64];
	outbox_new_lease(lease);
	if (!webhook_deliveries_test(&call->core, call->params[0], lease, delivery_id, err) ||
	    !call->env->send_webhook_now(call->env->send_arg, call->core.db, delivery_id, lease, err))
		return NULL;
	json_t *d = webhook_deliveries_get(&call->core, call->params[0], delivery_id, err);
	if (d) {
		json_t *attempts = json_object_get(d, "attempts");
		json_object_set(d, "attempt", json_array_get(attempts, json_array_size(attempts) - 1));
	}
	return d;
}

json_t *webhooks_api_replay(rest_call *call, err_t *err)
{
	json_t *body = rest_body_object(call, err);
	call->status = 202;
	return body ? webhook_deliveries_replay(&call->core, call->params[0], body, err) : NULL;
}

/* The body is optional: {secret?, overlap_hours?}. */
json_t *webhooks_api_rotate_secret(rest_call *call, err_t *err)
{
	if (call->body && !json_is_object(call->body)) {
		err_set(err, ERR_CODE_INVALID_BODY, "the request body must be a JSON object");
		return NULL;
	}
	return webhooks_rotate_secret(&call->core, call->params[0], call->body, call->env->webhook_secret_overlap_hours,
				      false, err);
}
