#include "core/audit.h"
#include "util/jsontext.h"
#include <stdlib.h>

/* The user a row names when no user acts (the crons' system actor): the
 * owner of the entry or timesheet whose data changed; NULL for anything else. */
#define OWNER_OF_ENTITY                                                                                          \
	"CASE $4 WHEN 'time_entry' THEN (SELECT user_id FROM time_entries WHERE id = $5 AND workspace_id = $1)"   \
	" WHEN 'timesheet' THEN (SELECT user_id FROM timesheets WHERE id = $5 AND workspace_id = $1) END"

bool audit_record(core_ctx *c, const char *action, const char *entity_type, const char *entity_id,
		  json_t *changes, err_t *err)
{
	char *text = jsontext_dump(changes);
	bool ok = DB_EXEC(c->db, err,
			  "INSERT INTO audit_log (workspace_id, user_id, action, entity_type, entity_id, changes,"
			  " ip_address, user_agent, source)"
			  " VALUES ($1, coalesce($2, " OWNER_OF_ENTITY "), $3, $4, $5, $6::jsonb, $7, left($8, 512), $9)",
			  c->actor->workspace_id, c->actor->user_id[0] ? c->actor->user_id : NULL, action,
			  entity_type, entity_id, text ? text : "{}", c->actor->ip, c->actor->user_agent,
			  c->actor->source ? c->actor->source : "api");
	free(text);
	return ok;
}

bool events_emit(core_ctx *c, const char *event, json_t *data, err_t *err)
{
	char *text = jsontext_dump(data);
	/* The event and one delivery per enabled subscription that wants it, in
	 * one statement inside the caller's transaction: a change and its
	 * deliveries commit (or vanish) together. */
	PGresult *r = DB_QUERY(
		c->db, err,
		"WITH e AS (INSERT INTO time_webhook_events (id, workspace_id, event, payload, created_at)"
		"  SELECT x.id, $1, $2, jsonb_build_object('id', x.id, 'event', $2::text, 'workspace_id', $1::text,"
		"  'data', $3::jsonb, 'timestamp', wt_iso(x.at)), x.at"
		"  FROM (SELECT wt_id('evt') AS id, clock_timestamp() AS at) x RETURNING id, created_at),"
		" d AS (INSERT INTO time_webhook_deliveries (workspace_id, webhook_id, event_id, event, next_attempt_at)"
		"  SELECT $1, w.id, e.id, $2, e.created_at FROM e JOIN time_webhooks w"
		"  ON w.workspace_id = $1 AND w.enabled AND $2 = ANY (w.events) RETURNING 1)"
		" SELECT count(*) FROM d",
		c->actor->workspace_id, event, text ? text : "{}");
	free(text);
	if (!r)
		return false;
	bool fanned_out = atol(PQgetvalue(r, 0, 0)) > 0;
	PQclear(r);
	/* Wakes the dispatchers at commit; nobody listens for events nobody wants. */
	return !fanned_out || DB_EXEC(c->db, err, "SELECT pg_notify('time_events', $1)", c->actor->workspace_id);
}

json_t *audit_diff(json_t *before, json_t *after, const char *const *keys)
{
	json_t *diff = json_object();
	for (const char *const *k = keys; *k; k++) {
		json_t *a = json_object_get(before, *k);
		json_t *b = json_object_get(after, *k);
		if (!json_equal(a ? a : json_null(), b ? b : json_null()))
			json_object_set_new(diff, *k,
					    json_pack("{s:O, s:O}", "from", a ? a : json_null(), "to", b ? b : json_null()));
	}
	return diff;
}
