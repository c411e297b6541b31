/* /api/v1/timesheets */
#include "core/timesheets.h"
#include "rest/rest.h"

json_t *timesheets_api_list(rest_call *call, err_t *err)
{
	timesheets_filter f = {
		.user_id = rest_query(call, "user_id"),
		.status = rest_query(call, "status"),
		.period_start_from = rest_query(call, "period_start_from"),
		.period_start_to = rest_query(call, "period_start_to"),
		.updated_since = rest_query(call, "updated_since"),
	};
	if (!rest_cursor_paging(call, err))
		return NULL;
	return rest_json_text(call, timesheets_list(&call->core, &f, &call->page, err));
}

json_t *timesheets_api_get(rest_call *call, err_t *err)
{
	return timesheets_get(&call->core, call->params[0], err);
}

json_t *timesheets_api_update(rest_call *call, err_t *err)
{
	json_t *body = rest_body_object(call, err);
	return body ? timesheets_update(&call->core, call->params[0], body, false, err) : NULL;
}

json_t *timesheets_api_submit(rest_call *call, err_t *err)
{
	return timesheets_transition(&call->core, call->params[0], TS_SUBMIT, call->body, false, err);
}

json_t *timesheets_api_approve(rest_call *call, err_t *err)
{
	return timesheets_transition(&call->core, call->params[0], TS_APPROVE, call->body, false, err);
}

json_t *timesheets_api_reject(rest_call *call, err_t *err)
{
	return timesheets_transition(&call->core, call->params[0], TS_REJECT, call->body, false, err);
}
