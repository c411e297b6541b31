/* /api/v1/time/reports/... and /api/v1/time/rollups/...: read-only; the core
 * validates every parameter, so AI tools asking the same get the same answers. */
#include "core/reports.h"
#include "rest/rest.h"

json_t *reports_api_summary(rest_call *call, err_t *err)
{
	return reports_summary(&call->core, rest_query(call, "from"), rest_query(call, "to"), err);
}

json_t *reports_api_rollup(rest_call *call, err_t *err)
{
	return reports_rollup(&call->core, call->params[0], call->params[1], err);
}

json_t *reports_api_task_rollups(rest_call *call, err_t *err)
{
	return reports_task_rollups(&call->core, rest_query(call, "project_id"), err);
}

json_t *reports_api_estimate_vs_actual(rest_call *call, err_t *err)
{
	return reports_estimate_vs_actual(&call->core, rest_query(call, "project_id"), err);
}

json_t *reports_api_utilization(rest_call *call, err_t *err)
{
	reports_utilization_query q = {
		.user_id = rest_query(call, "user_id"),
		.project_id = rest_query(call, "project_id"),
		.from = rest_query(call, "from"),
		.to = rest_query(call, "to"),
	};
	return reports_utilization(&call->core, &q, err);
}
