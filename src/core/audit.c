#include "core/audit.h"
#include <stdlib.h>

bool audit_record(core_ctx *c, const char *action, const char *entity_type, const char *entity_id,
		  json_t *changes, err_t *err)
{
	char *text = changes ? json_dumps(changes, JSON_COMPACT) : NULL;
	bool ok = db_exec(c->db, err,
			  "INSERT INTO audit_log (workspace_id, user_id, action, entity_type, entity_id, changes,"
			  " ip_address, user_agent, source) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, left($8, 512), $9)",
			  9, c->actor->workspace_id, c->actor->user_id[0] ? c->actor->user_id : NULL, action,
			  entity_type, entity_id, text ? text : "{}", c->actor->ip, c->actor->user_agent,
			  c->actor->source ? c->actor->source : "api");
	free(text);
	return ok;
}

bool events_emit(core_ctx *c, const char *event, json_t *data, err_t *err)
{
	char *text = json_dumps(data, JSON_COMPACT);
	bool ok = db_exec(c->db, err,
			  "WITH e AS (SELECT wt_id('evt') AS id, clock_timestamp() AS at)"
			  " INSERT INTO time_webhook_events (id, workspace_id, event, payload, created_at)"
			  " SELECT e.id, $1, $2, jsonb_build_object('id', e.id, 'event', $2::text, 'workspace_id', $1::text,"
			  " 'data', $3::jsonb, 'timestamp', wt_iso(e.at)), e.at FROM e",
			  3, c->actor->workspace_id, event, text ? text : "{}");
	free(text);
	if (ok)
		ok = db_exec(c->db, err, "SELECT pg_notify('time_events', $1)", 1, c->actor->workspace_id);
	return ok;
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
