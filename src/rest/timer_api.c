/* /api/v1/time/timer: the browser extension's surface. */
#include "core/timer.h"
#include "rest/rest.h"

json_t *timer_api_active(rest_call *call, err_t *err)
{
	return timer_active(&call->core, err);
}

json_t *timer_api_start(rest_call *call, err_t *err)
{
	json_t *body = rest_body_object(call, err);
	call->status = 201;
	return body ? timer_start(&call->core, body, false, err) : NULL;
}

json_t *timer_api_stop(rest_call *call, err_t *err)
{
	if (call->body && (!json_is_object(call->body) || json_object_size(call->body) > 0)) {
		err_set(err, ERR_VALIDATION, "validation_failed", "stop takes no body");
		return NULL;
	}
	return timer_stop(&call->core, false, err);
}
