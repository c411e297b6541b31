#include "core/calendar_convert.h"
#include "core/audit.h"
#include "core/entries.h"
#include "core/fields.h"
#include "core/refs.h"
#include "core/settings.h"
#include "core/timesheets.h"
#include "core/tx.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Exact decimal hours for whole seconds: six places make hours_parse give the
 * same seconds back, so the entry lasts exactly as long as the event. */
static void exact_hours(long seconds, char out[32])
{
	snprintf(out, 32, "%ld.%06ld", seconds / 3600, ((seconds % 3600) * 1000000 + 1800) / 3600);
}

/* Whether the entry already made from the event exists; fills its id. */
static bool find_conversion(core_ctx *c, const char *event_id, char entry_id[64], err_t *err)
{
	PGresult *r = DB_QUERY(c->db, err,
			       "SELECT id FROM time_entries WHERE workspace_id = $1 AND calendar_event_id = $2"
			       " AND deleted_at IS NULL",
			       c->actor->workspace_id, event_id);
	if (!r)
		return false;
	snprintf(entry_id, 64, "%s", PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
	PQclear(r);
	return true;
}

/* What the entry is logged against when the request does not say: the
 * record the event is linked to, when entries can be logged on it and it still
 * exists, else the event itself. */
static bool default_entity(core_ctx *c, const char *event_id, const char *type, const char *id, json_t *entry,
			   err_t *err)
{
	if (type && id) {
		if (refs_check_target(c, type, id, err)) {
			json_object_set_new(entry, "entity_type", json_string(type));
			json_object_set_new(entry, "entity_id", json_string(id));
			return true;
		}
		if (err->kind != ERR_VALIDATION)
			return false;
		err_clear(err);
	}
	json_object_set_new(entry, "entity_type", json_string("calendar_event"));
	json_object_set_new(entry, "entity_id", json_string(event_id));
	return true;
}

/* Whether the event row r may become an entry for this actor: visible to
 * them, not converted yet (a deleted conversion may be redone), short enough. */
static bool convertible(core_ctx *c, const PGresult *r, const char *event_id, err_t *err)
{
	if (PQntuples(r) != 1 || !actor_may_access_user(c->actor, PQgetvalue(r, 0, 0)))
		return err_set(err, ERR_CODE_NOT_FOUND, "no calendar event %s", event_id);
	char existing[64];
	if (!find_conversion(c, event_id, existing, err))
		return false;
	if (existing[0])
		return err_set(err, ERR_CODE_ALREADY_CONVERTED,
			       "the event was already converted into time entry %s", existing);
	if (atol(PQgetvalue(r, 0, 3)) > ENTRY_MAX_SECONDS)
		return err_set(err, ERR_CODE_VALIDATION_FAILED,
			       "the event lasts more than 24 hours; log its days as separate entries instead");
	return true;
}

/* The event, locked so two conversions of it take turns, as the body of a
 * manual entry, with the request's overrides laid over it. */
static json_t *entry_body(core_ctx *c, const char *event_id, json_t *overrides, err_t *err)
{
	settings_t s;
	if (!settings_load(c, &s, err))
		return NULL;
	PGresult *r = DB_QUERY(c->db, err,
			       "SELECT user_id, title, (starts_at AT TIME ZONE $3)::date::text,"
			       " extract(epoch FROM ends_at - starts_at)::bigint, entity_type, entity_id"
			       " FROM calendar_events WHERE workspace_id = $1 AND id = $2 FOR UPDATE",
			       c->actor->workspace_id, event_id, s.timezone);
	if (!r)
		return NULL;
	json_t *entry = NULL;
	if (convertible(c, r, event_id, err)) {
		char hours[32];
		exact_hours(atol(PQgetvalue(r, 0, 3)), hours);
		entry = json_pack("{s:s, s:s, s:s, s:s}", "user_id", PQgetvalue(r, 0, 0), "description",
				  PQgetvalue(r, 0, 1), "log_date", PQgetvalue(r, 0, 2), "hours", hours);
		bool own_entity = json_object_get(overrides, "entity_type") != NULL;
		if (entry && !own_entity &&
		    !default_entity(c, event_id, db_value(r, 0, 4), db_value(r, 0, 5), entry, err)) {
			json_decref(entry);
			entry = NULL;
		}
		if (entry && overrides)
			json_object_update(entry, overrides);
	}
	PQclear(r);
	return entry;
}

bool calendar_convert_check_body(json_t *body, err_t *err)
{
	static const char *const overridable[] = { "billable", "description", "entity_type", "entity_id", NULL };
	if (body && !fields_only(body, overridable, err))
		return false;
	/* A record id alone could be read as any type: the two come together. */
	if (json_object_get(body, "entity_id") && !json_object_get(body, "entity_type"))
		return err_set_param(err, ERR_CODE_VALIDATION_FAILED, "entity_type", "'entity_type' is required with 'entity_id'");
	return true;
}

json_t *calendar_convert_event(core_ctx *c, const char *event_id, json_t *body, bool dry_run, err_t *err)
{
	entry_input in;
	char ts_id[64], id[64];
	tx_unit u;
	if (!calendar_convert_check_body(body, err) || !tx_begin(c, &u, err))
		return NULL;
	json_t *out = NULL, *entry = entry_body(c, event_id, body, err);
	if (entry && entries_prepare(c, entry, ENTRY_MANUAL, &in, err) &&
	    timesheets_writable_for_day(c, in.user_id, in.log_date, ts_id, err)) {
		snprintf(in.calendar_event_id, sizeof in.calendar_event_id, "%s", event_id);
		if (entries_insert(c, &in, ts_id, false, "calendar", id, err) && (out = entries_fetch(c, id, err)) &&
		    audit_record(c, "time_entry.created", "time_entry", id, out, err))
			events_emit(c, "time_entry.created", out, err);
	}
	/* in borrows its strings from entry: released only after the insert. */
	json_decref(entry);
	return tx_end(&u, out, dry_run, err);
}
