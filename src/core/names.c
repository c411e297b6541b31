#include "core/names.h"
#include <stdio.h>
#include <stdlib.h>

json_t *names_complete(core_ctx *c, names_kind kind, const char *prefix, long limit, long *total, err_t *err)
{
	/* starts_with, not LIKE: what was typed may hold % or _. */
	static const char *const sql[] = {
		[NAMES_PROJECT] = "SELECT DISTINCT name FROM projects WHERE workspace_id = $1 AND starts_with(lower(name), lower($2))",
		[NAMES_TASK] = "SELECT DISTINCT title FROM tasks WHERE workspace_id = $1 AND starts_with(lower(title), lower($2))",
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
