/* /api/v1/time/calendar-connections and /api/v1/time/calendar-imports: the
 * caller's own ICS feeds and the events imported from them. */
#include "core/calendar_import.h"
#include "rest/rest.h"

json_t *calendar_api_connections_list(rest_call *call, err_t *err)
{
	return calendar_connections_list(&call->core, err);
}

json_t *calendar_api_connections_create(rest_call *call, err_t *err)
{
	json_t *body = rest_body_object(call, err);
	if (!body)
		return NULL;
	call->status = 201;
	return calendar_connections_create(&call->core, body, false, err);
}

json_t *calendar_api_connections_delete(rest_call *call, err_t *err)
{
	return calendar_connections_delete(&call->core, call->params[0], false, err);
}

json_t *calendar_api_imports_list(rest_call *call, err_t *err)
{
	return calendar_imports_list(&call->core, rest_query(call, "from"), rest_query(call, "to"), err);
}

json_t *calendar_api_imports_convert(rest_call *call, err_t *err)
{
	/* The body is optional: without one the import converts as it is. */
	if (call->body && !json_is_object(call->body)) {
		err_set(err, ERR_BAD_REQUEST, "invalid_body", "the request body must be a JSON object");
		return NULL;
	}
	call->status = 201;
	return calendar_imports_convert(&call->core, call->params[0], call->body, false, err);
}
