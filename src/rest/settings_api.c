/* /api/v1/time/settings and /api/v1/time/rates */
#include "core/rates.h"
#include "core/settings.h"
#include "rest/rest.h"

json_t *settings_api_get(rest_call *call, err_t *err)
{
	return settings_get(&call->core, err);
}

json_t *settings_api_update(rest_call *call, err_t *err)
{
	json_t *body = rest_body_object(call, err);
	return body ? settings_update(&call->core, body, false, err) : NULL;
}

json_t *rates_api_list(rest_call *call, err_t *err)
{
	return rates_list(&call->core, err);
}

json_t *rates_api_upsert(rest_call *call, err_t *err)
{
	json_t *body = rest_body_object(call, err);
	int created = 0;
	json_t *out = body ? rates_upsert(&call->core, body, &created, false, err) : NULL;
	call->status = created ? 201 : 200;
	return out;
}

json_t *rates_api_delete(rest_call *call, err_t *err)
{
	return rates_delete(&call->core, call->params[0], false, err);
}
