#include "store/sessions.h"
#include <stdio.h>

bool sessions_create(db_t *db, const char *id, const char *workspace_id, const char *user_id, const char *version,
		     const char *client_info, const char *capabilities, err_t *err)
{
	return DB_EXEC(db, err,
		       "INSERT INTO mcp_sessions (id, workspace_id, user_id, protocol_version, client_info, client_capabilities)"
		       " VALUES ($1, $2, $3, $4, coalesce($5::jsonb, '{}'), coalesce($6::jsonb, '{}'))",
		       id, workspace_id, user_id, version, client_info, capabilities);
}

bool sessions_load(db_t *db, const char *id, const char *user_id, session_row *row, bool *found, err_t *err)
{
	/* last_seen_at moves at most once a minute: a busy session is not a write per message. */
	PGresult *r = DB_QUERY(db, err,
			       "WITH s AS (SELECT id, protocol_version, log_level, client_capabilities, subscriptions,"
			       "  last_seen_at FROM mcp_sessions"
			       "  WHERE id = $1 AND user_id = $2 AND ended_at IS NULL),"
			       " t AS (UPDATE mcp_sessions m SET last_seen_at = now() FROM s"
			       "  WHERE m.id = s.id AND s.last_seen_at < now() - interval '1 minute')"
			       " SELECT protocol_version, log_level, client_capabilities::text, subscriptions::text FROM s",
			       id, user_id);
	if (!r)
		return false;
	*found = PQntuples(r) == 1;
	if (*found) {
		snprintf(row->protocol_version, sizeof row->protocol_version, "%s", PQgetvalue(r, 0, 0));
		snprintf(row->log_level, sizeof row->log_level, "%s", PQgetvalue(r, 0, 1));
		row->client_capabilities = json_loads(PQgetvalue(r, 0, 2), 0, NULL);
		row->subscriptions = json_loads(PQgetvalue(r, 0, 3), 0, NULL);
	}
	PQclear(r);
	return true;
}

bool sessions_set_level(db_t *db, const char *id, const char *level, err_t *err)
{
	return DB_EXEC(db, err, "UPDATE mcp_sessions SET log_level = $2 WHERE id = $1", id, level);
}

#ifdef WT_TEST_BUILD
bool sessions_set_subscriptions(db_t *db, const char *id, const char *uris, err_t *err)
{
	return DB_EXEC(db, err, "UPDATE mcp_sessions SET subscriptions = $2::jsonb WHERE id = $1", id, uris);
}
#endif

bool sessions_end(db_t *db, const char *id, const char *user_id, bool *found, err_t *err)
{
	PGresult *r = DB_QUERY(db, err,
			       "UPDATE mcp_sessions SET ended_at = now() WHERE id = $1 AND user_id = $2 AND ended_at IS NULL"
			       " RETURNING id",
			       id, user_id);
	if (!r)
		return false;
	*found = PQntuples(r) == 1;
	PQclear(r);
	return true;
}
