/* /api/v1/time/saved-views: saved report views (see core/saved_views.h for
 * who may do what). */
#include "core/saved_views.h"
#include "rest/rest.h"

json_t *saved_views_api_list(rest_call *call, err_t *err)
{
	if (!rest_paging(call, err))
		return NULL;
	return rest_json_text(call, saved_views_list(&call->core, &call->page, err));
}

json_t *saved_views_api_create(rest_call *call, err_t *err)
{
	json_t *body = rest_body_object(call, err);
	json_t *out = body ? saved_views_create(&call->core, body, false, err) : NULL;
	if (out)
		call->status = 201;
	return out;
}

json_t *saved_views_api_get(rest_call *call, err_t *err)
{
	return saved_views_get(&call->core, call->params[0], err);
}

json_t *saved_views_api_update(rest_call *call, err_t *err)
{
	json_t *body = rest_body_object(call, err);
	return body ? saved_views_update(&call->core, call->params[0], body, false, err) : NULL;
}

json_t *saved_views_api_delete(rest_call *call, err_t *err)
{
	return saved_views_delete(&call->core, call->params[0], false, err);
}
