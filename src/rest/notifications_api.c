/* /api/v1/notifications: the caller's own in-app notifications. */
#include "core/notifications.h"
#include "rest/rest.h"

json_t *notifications_api_list(rest_call *call, err_t *err)
{
	int unread;
	if (!rest_paging(call, err) || !rest_query_bool(call, "unread", &unread, err))
		return NULL;
	return rest_json_text(call, notifications_list(&call->core, unread == 1, &call->page, err));
}

json_t *notifications_api_read(rest_call *call, err_t *err)
{
	return notifications_mark_read(&call->core, call->params[0], err);
}
