/* GET /api/v1/work-items: the records time can be logged on, found by words
 * (the same search as the find_work_items tool), so a REST client can start a
 * timer on "the Acme onboarding task". */
#include "core/work_items.h"
#include "rest/rest.h"
#include <stdlib.h>
#include <string.h>

/* "task,ticket" into ["task","ticket"]; the core checks each name. */
static json_t *split_types(const char *list)
{
	json_t *types = json_array();
	const char *p = list;
	while (*p) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		json_array_append_new(types, json_stringn(p, n));
		p += n + (comma ? 1 : 0);
	}
	return types;
}

json_t *work_items_api_find(rest_call *call, err_t *err)
{
	const char *limit = rest_query(call, "limit"), *types = rest_query(call, "types");
	work_items_query q = { .query = rest_query(call, "query") };
	if (limit) {
		char *end;
		q.limit = strtol(limit, &end, 10);
		if (*end || q.limit == 0)
			q.limit = -1; /* not a number, or an explicit 0: out of range, not "the default" */
	}
	q.types = types ? split_types(types) : NULL;
	json_t *out = work_items_find(&call->core, &q, err);
	json_decref(q.types);
	return out;
}
