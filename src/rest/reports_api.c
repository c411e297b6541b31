/* /api/v1/time/reports/... and /api/v1/time/rollups/...: read-only; the core
 * validates every parameter, so AI tools asking the same get the same answers. */
#include "core/reports.h"
#include "core/saved_views.h"
#include <string.h>
#include "rest/rest.h"

json_t *reports_api_summary(rest_call *call, err_t *err)
{
	return reports_summary(&call->core, rest_query(call, "from"), rest_query(call, "to"), err);
}

/* The same summary as CSV (core/saved_views' one writer of summary CSV,
 * the file the scheduled reports attach). */
json_t *reports_api_summary_csv(rest_call *call, err_t *err)
{
	json_t *sum = reports_summary(&call->core, rest_query(call, "from"), rest_query(call, "to"), err);
	if (!sum)
		return NULL;
	char *csv = saved_views_csv(sum);
	char *name = arena_sprintf(call->arena, "time-summary-%s-to-%s.csv", json_string_value(json_object_get(sum, "from")),
				   json_string_value(json_object_get(sum, "to")));
	json_decref(sum);
	if (!csv) {
		err_set(err, ERR_CODE_INTERNAL_ERROR, "out of memory");
		return NULL;
	}
	return rest_csv(call, csv, strlen(csv), name);
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
