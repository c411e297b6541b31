/* /api/v1/time-entries */
#include "core/entries.h"
#include "rest/rest.h"

/* The list's filters, shared by the JSON list and the CSV export. */
static bool read_filter(rest_call *call, entries_filter *f, err_t *err)
{
	*f = (entries_filter){
		.entity_type = rest_query(call, "entity_type"),
		.entity_id = rest_query(call, "entity_id"),
		.project_id = rest_query(call, "project_id"),
		.user_id = rest_query(call, "user_id"),
		.status = rest_query(call, "status"),
		.from = rest_query(call, "from"),
		.to = rest_query(call, "to"),
	};
	return rest_query_bool(call, "billable", &f->billable, err);
}

json_t *entries_api_list(rest_call *call, err_t *err)
{
	entries_filter f;
	if (!read_filter(call, &f, err) || !rest_cursor_paging(call, err))
		return NULL;
	f.updated_since = rest_query(call, "updated_since");
	return rest_json_text(call, entries_list(&call->core, &f, &call->page, err));
}

json_t *entries_api_csv(rest_call *call, err_t *err)
{
	entries_filter f;
	char *csv = NULL;
	size_t len = 0;
	if (!read_filter(call, &f, err) || !entries_export_csv(&call->core, &f, &csv, &len, err))
		return NULL;
	return rest_csv(call, csv, len, "time-entries.csv");
}

json_t *entries_api_get(rest_call *call, err_t *err)
{
	return entries_get(&call->core, call->params[0], err);
}

json_t *entries_api_create(rest_call *call, err_t *err)
{
	json_t *body = rest_body_object(call, err);
	call->status = 201;
	return body ? entries_create(&call->core, body, false, err) : NULL;
}

json_t *entries_api_update(rest_call *call, err_t *err)
{
	json_t *body = rest_body_object(call, err);
	return body ? entries_update(&call->core, call->params[0], body, false, err) : NULL;
}

json_t *entries_api_delete(rest_call *call, err_t *err)
{
	return entries_delete(&call->core, call->params[0], false, err);
}
