#include "core/calendar_import.h"
#include "core/calendar_convert.h"
#include "core/fields.h"
#include "core/settings.h"
#include "core/tx.h"
#include "util/dates.h"
#include "util/netpolicy.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CONNECTION_JSON                                                                                          \
	"jsonb_build_object('id', k.id, 'provider', k.provider, 'url', k.url, 'name', k.name, 'enabled', k.enabled," \
	" 'last_refreshed_at', wt_iso(k.last_refreshed_at), 'last_error', k.last_error, 'created_at', wt_iso(k.created_at))"

#define IMPORT_JSON                                                                                              \
	"jsonb_build_object('id', i.id, 'connection_id', i.connection_id, 'uid', i.uid, 'recurrence_id', i.recurrence_id," \
	" 'title', i.title, 'starts_at', wt_iso(i.starts_at), 'ends_at', wt_iso(i.ends_at), 'all_day', i.all_day,"   \
	" 'status', i.status, 'converted_entry_id', i.converted_entry_id, 'updated_at', wt_iso(i.updated_at))"

bool calendar_url_allowed(const char *url, bool from_client, err_t *err)
{
	size_t len = url ? strlen(url) : 0;
	if (!len || len > CALENDAR_MAX_URL)
		return err_set_param(err, ERR_CODE_VALIDATION_FAILED, "url", "'url' must be 1 to %d characters",
				     CALENDAR_MAX_URL);
	for (const char *p = url; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return err_set_param(err, ERR_CODE_VALIDATION_FAILED, "url", "'url' must not contain spaces or control characters");
	if (!strncasecmp(url, "https://", 8) && len > 8)
		return true;
	if (!strncasecmp(url, "http://", 7) && len > 7 && netpolicy_allow_private())
		return true;
	/* Never file:// from a client: that would read the server's own files. */
	if (!strncasecmp(url, "file://", 7) && !from_client && netpolicy_allow_private())
		return true;
	return err_set_param(err, ERR_CODE_VALIDATION_FAILED, "url", "'url' must be an https:// ICS feed URL");
}

static bool own_user(core_ctx *c, err_t *err)
{
	return c->actor->user_id[0] ? true
				    : err_set(err, ERR_CODE_FORBIDDEN, "calendar connections belong to a user");
}

json_t *calendar_connections_list(core_ctx *c, err_t *err)
{
	if (!own_user(c, err))
		return NULL;
	return DB_QUERY_JSON(c->db, err,
			     "SELECT coalesce(jsonb_agg(" CONNECTION_JSON " ORDER BY k.created_at, k.id), '[]')"
			     " FROM calendar_connections k WHERE k.workspace_id = $1 AND k.user_id = $2",
			     c->actor->workspace_id, c->actor->user_id);
}

json_t *calendar_connections_create(core_ctx *c, json_t *body, bool dry_run, err_t *err)
{
	static const char *const allowed[] = { "url", "name", "enabled", "provider", NULL };
	const char *url = NULL, *name = "", *provider = "ics";
	bool enabled = true;
	if (!own_user(c, err) || !fields_only(body, allowed, err) ||
	    fields_string(body, "url", true, false, false, CALENDAR_MAX_URL, &url, err) == FIELD_ERROR ||
	    fields_string(body, "name", false, false, true, 200, &name, err) == FIELD_ERROR ||
	    fields_string(body, "provider", false, false, false, 16, &provider, err) == FIELD_ERROR ||
	    fields_bool(body, "enabled", &enabled, err) == FIELD_ERROR || !calendar_url_allowed(url, true, err))
		return NULL;
	name = name ? name : "";
	if (provider && strcmp(provider, "ics")) {
		err_set_param(err, ERR_CODE_VALIDATION_FAILED, "provider", "'provider' must be 'ics'");
		return NULL;
	}
	tx_unit u;
	if (!tx_begin(c, &u, err))
		return NULL;
	/* one user's connections take turns, so the cap holds */
	long n = -1;
	PGresult *r = DB_QUERY(c->db, err,
			       "SELECT count(k.id) FROM users u LEFT JOIN calendar_connections k ON k.workspace_id = u.workspace_id"
			       " AND k.user_id = u.id WHERE u.workspace_id = $1 AND u.id = $2 GROUP BY u.id, u.workspace_id",
			       c->actor->workspace_id, c->actor->user_id);
	if (r) {
		n = PQntuples(r) ? atol(PQgetvalue(r, 0, 0)) : -1;
		PQclear(r);
	}
	json_t *out = NULL;
	if (r && n >= CALENDAR_MAX_CONNECTIONS)
		err_set(err, ERR_CODE_VALIDATION_FAILED, "at most %d calendar connections per user",
			CALENDAR_MAX_CONNECTIONS);
	else if (r)
		out = DB_QUERY_JSON(c->db, err,
				    "INSERT INTO calendar_connections AS k (workspace_id, user_id, url, name, enabled)"
				    " VALUES ($1, $2, $3, $4, $5::boolean) RETURNING " CONNECTION_JSON,
				    c->actor->workspace_id, c->actor->user_id, url, name, enabled ? "true" : "false");
	return tx_end(&u, out, dry_run, err);
}

json_t *calendar_connections_delete(core_ctx *c, const char *id, bool dry_run, err_t *err)
{
	tx_unit u;
	if (!own_user(c, err) || !tx_begin(c, &u, err))
		return NULL;
	json_t *out = DB_QUERY_JSON(c->db, err,
				    "DELETE FROM calendar_connections AS k WHERE k.id = $1 AND k.workspace_id = $2 AND k.user_id = $3"
				    " RETURNING " CONNECTION_JSON,
				    id, c->actor->workspace_id, c->actor->user_id);
	if (!out && !err_any(err))
		err_set(err, ERR_CODE_NOT_FOUND, "no calendar connection %s", id);
	return tx_end(&u, out, dry_run, err);
}

static bool query_day(const char *name, const char *v, err_t *err)
{
	long d;
	return !v || dates_parse(v, &d) ? true
		: err_set_param(err, ERR_CODE_VALIDATION_FAILED, name, "'%s' must be a date YYYY-MM-DD", name);
}

json_t *calendar_imports_list(core_ctx *c, const char *from, const char *to, err_t *err)
{
	settings_t s;
	if (!own_user(c, err) || !query_day("from", from, err) || !query_day("to", to, err) || !settings_load(c, &s, err))
		return NULL;
	return DB_QUERY_JSON(
		c->db, err,
		"SELECT coalesce(jsonb_agg(" IMPORT_JSON " ORDER BY i.starts_at, i.id), '[]') FROM time_calendar_imports i"
		" WHERE i.workspace_id = $1 AND i.user_id = $2 AND i.status <> 'cancelled'"
		" AND ($3::date IS NULL OR i.starts_at >= $3::date::timestamp AT TIME ZONE $5)"
		" AND ($4::date IS NULL OR i.starts_at < ($4::date + 1)::timestamp AT TIME ZONE $5)",
		c->actor->workspace_id, c->actor->user_id, from, to, s.timezone);
}

/* The import's calendar event, made from it the first time. */
static bool import_event(core_ctx *c, PGresult *r, char event_id[64], err_t *err)
{
	const char *existing = db_value(r, 0, 3);
	if (existing) {
		PGresult *e = DB_QUERY(c->db, err, "SELECT 1 FROM calendar_events WHERE workspace_id = $1 AND id = $2",
				       c->actor->workspace_id, existing);
		if (!e)
			return false;
		bool found = PQntuples(e) == 1;
		PQclear(e);
		if (found) {
			snprintf(event_id, 64, "%s", existing);
			return true;
		}
	}
	PGresult *e = DB_QUERY(c->db, err,
			       "INSERT INTO calendar_events (workspace_id, user_id, title, starts_at, ends_at)"
			       " SELECT workspace_id, user_id, title, starts_at, ends_at FROM time_calendar_imports"
			       " WHERE id = $1 AND ends_at > starts_at RETURNING id",
			       PQgetvalue(r, 0, 0));
	if (!e)
		return false;
	bool made = PQntuples(e) == 1;
	if (made)
		snprintf(event_id, 64, "%s", PQgetvalue(e, 0, 0));
	PQclear(e);
	return made ? DB_EXEC(c->db, err, "UPDATE time_calendar_imports SET calendar_event_id = $2 WHERE id = $1",
			      PQgetvalue(r, 0, 0), event_id)
		    : err_set(err, ERR_CODE_VALIDATION_FAILED, "the event has no duration to log");
}

json_t *calendar_imports_convert(core_ctx *c, const char *id, json_t *body, bool dry_run, err_t *err)
{
	tx_unit u;
	if (!own_user(c, err) || !calendar_convert_check_body(body, err) || !tx_begin(c, &u, err))
		return NULL;
	/* locked: two conversions of one import take turns */
	PGresult *r = DB_QUERY(c->db, err,
			       "SELECT i.id, i.status, i.converted_entry_id, i.calendar_event_id,"
			       " EXISTS (SELECT 1 FROM time_entries e WHERE e.id = i.converted_entry_id AND e.deleted_at IS NULL)"
			       " FROM time_calendar_imports i WHERE i.id = $1 AND i.workspace_id = $2 AND i.user_id = $3 FOR UPDATE",
			       id, c->actor->workspace_id, c->actor->user_id);
	json_t *out = NULL;
	char event_id[64];
	if (!r)
		return tx_end(&u, NULL, dry_run, err);
	if (PQntuples(r) != 1)
		err_set(err, ERR_CODE_NOT_FOUND, "no calendar import %s", id);
	else if (!strcmp(PQgetvalue(r, 0, 4), "t"))
		err_set(err, ERR_CODE_ALREADY_CONVERTED, "the import was already converted into time entry %s",
			PQgetvalue(r, 0, 2));
	else if (!strcmp(PQgetvalue(r, 0, 1), "cancelled"))
		err_set(err, ERR_CODE_IMPORT_CANCELLED, "the event was cancelled in its calendar");
	else if (import_event(c, r, event_id, err) && (out = calendar_convert_event(c, event_id, body, false, err)) &&
		 !DB_EXEC(c->db, err, "UPDATE time_calendar_imports SET converted_entry_id = $2, updated_at = now() WHERE id = $1",
			  id, json_string_value(json_object_get(out, "id")))) {
		json_decref(out);
		out = NULL;
	}
	PQclear(r);
	return tx_end(&u, out, dry_run, err);
}
