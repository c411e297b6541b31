#include "core/names.h"
#include "core/work_items.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Task titles come from the find_work_items search, so a completion finds
 * what the tool finds: words anywhere in the title, the project's or the
 * customer's name, own-title matches and recent tasks first. */
static json_t *task_titles(core_ctx *c, const char *typed, long limit, long *total, err_t *err)
{
	json_t *types = json_pack("[s]", "task");
	work_items_query q = { .query = typed, .types = types,
			       .limit = limit < WORK_ITEMS_MAX_LIMIT ? limit : WORK_ITEMS_MAX_LIMIT };
	json_t *found = work_items_find(c, &q, err), *item, *seen;
	json_decref(types);
	if (!found)
		return NULL;
	json_t *titles = json_array();
	size_t i, j;
	json_array_foreach(json_object_get(found, "items"), i, item) {
		const char *title = json_string_value(json_object_get(item, "title"));
		bool dup = false;
		json_array_foreach(titles, j, seen)
			dup = dup || !strcmp(json_string_value(seen), title);
		if (!dup)
			json_array_append_new(titles, json_string(title));
	}
	*total = (long)json_integer_value(json_object_get(found, "total"));
	json_decref(found);
	return titles;
}

json_t *names_complete(core_ctx *c, names_kind kind, const char *prefix, long limit, long *total, err_t *err)
{
	if (kind == NAMES_TASK)
		return task_titles(c, prefix, limit, total, err);
	/* starts_with, not LIKE: what was typed may hold % or _. */
	static const char *const sql[] = {
		[NAMES_PROJECT] = "SELECT DISTINCT name FROM projects WHERE workspace_id = $1 AND starts_with(lower(name), lower($2))",
		[NAMES_TASK] = NULL, /* task_titles */
		[NAMES_CUSTOMER] = "SELECT DISTINCT name FROM contacts WHERE workspace_id = $1 AND starts_with(lower(name), lower($2))",
	};
	char q[512];
	snprintf(q, sizeof q, "SELECT coalesce(jsonb_agg(n ORDER BY n), '[]'::jsonb)::text, count(*) FROM (%s) AS x(n)",
		 sql[kind]);
	PGresult *r = DB_QUERY(c->db, err, q, c->actor->workspace_id, prefix ? prefix : "");
	if (!r)
		return NULL;
	json_t *all = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
	*total = atol(PQgetvalue(r, 0, 1));
	PQclear(r);
	while (all && (long)json_array_size(all) > limit)
		json_array_remove(all, json_array_size(all) - 1);
	return all;
}
