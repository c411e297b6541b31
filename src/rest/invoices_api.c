/* POST /api/v1/invoices/{id}/pull-from-time and
 * POST /api/v1/time/calendar-events/{id}/convert: the doors other modules
 * (Finance, Calendar) open onto time. */
#include "core/calendar_convert.h"
#include "core/invoicing.h"
#include "rest/rest.h"

json_t *invoices_api_pull_from_time(rest_call *call, err_t *err)
{
	json_t *body = rest_body_object(call, err);
	return body ? invoicing_pull_from_time(&call->core, call->params[0], body, err) : NULL;
}

json_t *calendar_api_convert(rest_call *call, err_t *err)
{
	/* The body is optional: without one the event converts as it is. */
	if (call->body && !json_is_object(call->body)) {
		err_set(err, ERR_BAD_REQUEST, "invalid_body", "the request body must be a JSON object");
		return NULL;
	}
	call->status = 201;
	return calendar_convert_event(&call->core, call->params[0], call->body, err);
}
