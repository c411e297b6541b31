#include "core/notifications.h"
#include "core/paging.h"
#include "store/query.h"
#include "util/jsontext.h"
#include <stdio.h>
#include <stdlib.h>

#define NOTIFICATION_JSON                                                                                        \
	"jsonb_build_object('id', n.id, 'kind', n.kind, 'title', n.title, 'body', n.body, 'data', n.data,"       \
	" 'read', n.read_at IS NOT NULL, 'read_at', wt_iso(n.read_at), 'created_at', wt_iso(n.created_at))"

bool notifications_create(core_ctx *c, const notification_input *n, bool *created, err_t *err)
{
	char *data = jsontext_dump(n->data);
	PGresult *r = DB_QUERY(c->db, err,
			       "INSERT INTO notifications (workspace_id, user_id, kind, title, body, data, dedupe_key)"
			       " VALUES ($1, $2, $3, $4, coalesce($5, ''), coalesce($6::jsonb, '{}'), $7)"
			       " ON CONFLICT (workspace_id, dedupe_key) DO NOTHING RETURNING id",
			       c->actor->workspace_id, n->user_id, n->kind, n->title, n->body, data, n->dedupe_key);
	free(data);
	if (!r)
		return false;
	*created = PQntuples(r) == 1;
	PQclear(r);
	return true;
}

static void own_filter(query_t *q, core_ctx *c, bool unread_only)
{
	query_cond(q, " WHERE n.workspace_id = ", c->actor->workspace_id, "");
	query_cond(q, " AND n.user_id = ", c->actor->user_id, "");
	if (unread_only)
		query_sql(q, " AND n.read_at IS NULL");
}

char *notifications_list(core_ctx *c, bool unread_only, core_page *page, err_t *err)
{
	char limit[24], offset[24];
	snprintf(limit, sizeof limit, "%ld", page->limit);
	snprintf(offset, sizeof offset, "%ld", (page->page - 1) * page->limit);
	query_t count, q;
	paging_count_init(&count, "FROM notifications n");
	own_filter(&count, c, unread_only);
	query_init(&q, "SELECT " NOTIFICATION_JSON " FROM notifications n");
	own_filter(&q, c, unread_only);
	query_cond(&q, " ORDER BY n.created_at DESC, n.id LIMIT ", limit, "::bigint");
	query_cond(&q, " OFFSET ", offset, "::bigint");
	return paging_count(c, &count, page, err) ? query_rows(c->db, &q, err) : NULL;
}

json_t *notifications_mark_read(core_ctx *c, const char *id, err_t *err)
{
	json_t *out = DB_QUERY_JSON(c->db, err,
				    "UPDATE notifications n SET read_at = coalesce(n.read_at, now())"
				    " WHERE n.id = $1 AND n.workspace_id = $2 AND n.user_id = $3 RETURNING " NOTIFICATION_JSON,
				    id, c->actor->workspace_id, c->actor->user_id);
	if (!out && !err_any(err))
		err_set(err, ERR_CODE_NOT_FOUND, "no notification %s", id);
	return out;
}
