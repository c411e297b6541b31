/* POST /api/v1/invoices/{id}/pull-from-time and
 * POST /api/v1/time/calendar-events/{id}/convert: the doors other modules
 * (Finance, Calendar) open onto time. */
#include "core/calendar_convert.h"
#include "core/invoicing.h"
#include "rest/rest.h"

/* "preview": true asks for the pull as a dry run: the same function, every
 * check and write made and rolled back, answering what the pull would do. */
json_t *invoices_api_pull_from_time(rest_call *call, err_t *err)
{
	json_t *body = rest_body_object(call, err);
	bool preview = false;
	if (!body || fields_bool(body, "preview", &preview, err) == FIELD_ERROR)
		return NULL;
	json_t *pull = json_copy(body);
	json_object_del(pull, "preview");
	json_t *out = invoicing_pull_from_time(&call->core, call->params[0], pull, preview, err);
	json_decref(pull);
	return out;
}

json_t *calendar_api_convert(rest_call *call, err_t *err)
{
	/* The body is optional: without one the event converts as it is. */
	if (call->body && !json_is_object(call->body)) {
		err_set(err, ERR_BAD_REQUEST, "invalid_body", "the request body must be a JSON object");
		return NULL;
	}
	call->status = 201;
	return calendar_convert_event(&call->core, call->params[0], call->body, false, err);
}
