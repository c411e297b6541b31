/* GET /api/v1/me: whose credentials these are (the web console's header, any
 * client that wants to know which pages or actions apply). */
#include "core/profile.h"
#include "rest/rest.h"

json_t *me_api_get(rest_call *call, err_t *err)
{
	return profile_get(&call->core, err);
}
