#include "core/work_items.h"
#include <stdio.h>
#include <string.h>

static const char *const TYPES[] = { "task", "ticket", "deal", "candidate", "calendar_event", "conversation", "project", NULL };

/* Every loggable record with its project and customer where the other modules
 * link them; "recent" is the creation time (a calendar event's start). Each
 * branch is scoped to the workspace in its own WHERE. */
#define ITEMS_SQL                                                                                                    \
	"SELECT 'task' AS type, t.id, t.title, p.id AS project_id, p.name AS project_name, ct.id AS customer_id,"   \
	"       ct.name AS customer_name, t.created_at AS created"                                                   \
	"  FROM tasks t JOIN projects p ON p.workspace_id = t.workspace_id AND p.id = t.project_id"                  \
	"  LEFT JOIN contacts ct ON ct.id = p.contact_id WHERE t.workspace_id = $1"                                  \
	" UNION ALL SELECT 'ticket', k.id, k.subject, p.id, p.name, ct.id, ct.name, k.created_at FROM tickets k"     \
	"  LEFT JOIN projects p ON p.workspace_id = k.workspace_id AND p.id = k.project_id"                          \
	"  LEFT JOIN contacts ct ON ct.id = coalesce(k.contact_id, p.contact_id) WHERE k.workspace_id = $1"          \
	" UNION ALL SELECT 'deal', d.id, d.name, NULL, NULL, ct.id, ct.name, d.created_at FROM deals d"               \
	"  LEFT JOIN contacts ct ON ct.id = d.contact_id WHERE d.workspace_id = $1"                                  \
	" UNION ALL SELECT 'candidate', a.id, a.name, NULL, NULL, NULL, NULL, a.created_at FROM candidates a"         \
	"  WHERE a.workspace_id = $1"                                                                                \
	" UNION ALL SELECT 'calendar_event', e.id, e.title, p.id, p.name, ct.id, ct.name, e.starts_at"               \
	"  FROM calendar_events e"                                                                                   \
	"  LEFT JOIN projects p ON e.entity_type = 'project' AND p.workspace_id = e.workspace_id AND p.id = e.entity_id" \
	"  LEFT JOIN contacts ct ON ct.id = p.contact_id WHERE e.workspace_id = $1 AND ($3::boolean OR e.user_id = $2)" \
	" UNION ALL SELECT 'conversation', v.id, v.subject, NULL, NULL, ct.id, ct.name, v.created_at"                \
	"  FROM conversations v LEFT JOIN contacts ct ON ct.id = v.contact_id WHERE v.workspace_id = $1"             \
	" UNION ALL SELECT 'project', p.id, p.name, NULL, NULL, ct.id, ct.name, p.created_at FROM projects p"        \
	"  LEFT JOIN contacts ct ON ct.id = p.contact_id WHERE p.workspace_id = $1"

/* The words, split on white space, become ILIKE patterns with their own
 * wildcards (% _) and the escape character (\) escaped: a word matches as
 * plain text anywhere in a name. A record matches when every word appears in
 * its title, its project's name or its customer's name. */
static const char SEARCH_SQL[] =
	"WITH words AS ("
	"  SELECT '%' || replace(replace(replace(w, '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%' AS pat"
	"    FROM regexp_split_to_table(coalesce($4, ''), '\\s+') AS w WHERE w <> ''),"
	" items AS (" ITEMS_SQL "),"
	" hits AS ("
	"  SELECT i.*, NOT EXISTS (SELECT 1 FROM words WHERE i.title NOT ILIKE words.pat) AS in_title,"
	"         greatest(i.created, (SELECT max(te.created_at) FROM time_entries te WHERE te.workspace_id = $1"
	"                  AND te.user_id = $2 AND te.entity_type = i.type AND te.entity_id = i.id"
	"                  AND te.deleted_at IS NULL)) AS recent"
	"    FROM items i"
	"   WHERE ($5::text IS NULL OR i.type = ANY (string_to_array($5, ',')))"
	"     AND NOT EXISTS (SELECT 1 FROM words WHERE NOT (i.title ILIKE words.pat"
	"                     OR coalesce(i.project_name, '') ILIKE words.pat OR coalesce(i.customer_name, '') ILIKE words.pat))),"
	" page AS (SELECT * FROM hits ORDER BY in_title DESC, recent DESC, title, id LIMIT $6::int)"
	" SELECT json_build_object('items', coalesce((SELECT json_agg(json_build_object('id', id, 'type', type, 'title', title,"
	"   'project', CASE WHEN project_id IS NULL THEN NULL ELSE json_build_object('id', project_id, 'name', project_name) END,"
	"   'customer', CASE WHEN customer_id IS NULL THEN NULL ELSE json_build_object('id', customer_id, 'name', customer_name) END,"
	"   'updated_at', to_char(recent AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'))"
	"   ORDER BY in_title DESC, recent DESC, title, id) FROM page), '[]'::json),"
	"   'total', (SELECT count(*) FROM hits))";

static bool known_type(const char *t)
{
	for (int i = 0; t && TYPES[i]; i++)
		if (!strcmp(TYPES[i], t))
			return true;
	return false;
}

json_t *work_items_find(core_ctx *c, const work_items_query *q, err_t *err)
{
	long limit = q->limit ? q->limit : WORK_ITEMS_DEFAULT_LIMIT;
	if (limit < 1 || limit > WORK_ITEMS_MAX_LIMIT) {
		err_set_param(err, ERR_CODE_VALIDATION_FAILED, "limit", "'limit' must be from 1 to %d", WORK_ITEMS_MAX_LIMIT);
		return NULL;
	}
	if (q->query && strlen(q->query) > 200) {
		err_set_param(err, ERR_CODE_VALIDATION_FAILED, "query", "'query' must be at most 200 characters");
		return NULL;
	}
	char types[128] = "";
	size_t i, used = 0;
	json_t *t;
	if (q->types && !json_is_array(q->types)) {
		err_set_param(err, ERR_CODE_VALIDATION_FAILED, "types", "'types' must be an array");
		return NULL;
	}
	json_array_foreach(q->types, i, t) {
		const char *name = json_string_value(t);
		if (!known_type(name)) {
			err_set_param(err, ERR_CODE_VALIDATION_FAILED, "types",
				      "'types' may hold task, ticket, deal, candidate, calendar_event, conversation, project");
			return NULL;
		}
		int n = snprintf(types + used, sizeof types - used, "%s%s", used ? "," : "", name);
		if (n < 0 || (size_t)n >= sizeof types - used) {
			err_set_param(err, ERR_CODE_VALIDATION_FAILED, "types", "'types' lists too many types");
			return NULL;
		}
		used += (size_t)n;
	}
	char lim[16];
	snprintf(lim, sizeof lim, "%ld", limit);
	json_t *out = DB_QUERY_JSON(c->db, err, SEARCH_SQL, c->actor->workspace_id, c->actor->user_id,
				    actor_sees_team(c->actor) ? "true" : "false", q->query ? q->query : "",
				    used ? types : NULL, lim);
	if (!out && !err_any(err))
		err_set(err, ERR_CODE_INTERNAL_ERROR, "the search answered nothing");
	return out;
}
