#include "core/timer.h"
#include "core/audit.h"
#include "core/entries.h"
#include "core/representation.h"
#include "core/settings.h"
#include "core/timesheets.h"
#include "core/tx.h"
#include <stdio.h>
#include <string.h>

/* Timer actions made over the plain API are audited with source "timer". */
static const actor_t *timer_actor(core_ctx *c, actor_t *copy)
{
	*copy = *c->actor;
	if (!copy->source || !strcmp(copy->source, "api"))
		copy->source = "timer";
	return copy;
}

static bool lock_user(core_ctx *c, err_t *err)
{
	return DB_EXEC(c->db, err, "SELECT 1 FROM users WHERE id = $1 FOR UPDATE", c->actor->user_id);
}

/* Finds the caller's running entry id; "" when none. */
static bool running_id(core_ctx *c, char id[64], err_t *err)
{
	PGresult *r = DB_QUERY(c->db, err,
			       "SELECT e.id FROM time_entries e WHERE e.workspace_id = $1 AND e.user_id = $2"
			       " AND e.deleted_at IS NULL AND " ENTRY_RUNNING,
			       c->actor->workspace_id, c->actor->user_id);
	if (!r)
		return false;
	snprintf(id, 64, "%s", PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
	PQclear(r);
	return true;
}

/* Stops entry id at `at` (ISO 8601; NULL: now); returns the stopped entry,
 * audited and announced. Both ends are whole seconds (a start is written so,
 * and one written before that rule is cut here), so the duration is exactly
 * their difference: a timer stopped at start + 12 h lasts 43200 s. */
static json_t *stop_entry(core_ctx *c, const char *id, const char *at, err_t *err)
{
	if (!DB_EXEC(c->db, err,
		     "UPDATE time_entries SET started_at = date_trunc('second', started_at),"
		     " ended_at = greatest(date_trunc('second', coalesce($2::timestamptz, now())), date_trunc('second', started_at)),"
		     " duration_seconds = greatest(0, extract(epoch FROM date_trunc('second', coalesce($2::timestamptz, now()))"
		     "  - date_trunc('second', started_at)))::integer,"
		     " updated_at = now() WHERE id = $1",
		     id, at))
		return NULL;
	json_t *entry = entries_fetch(c, id, err);
	if (entry && audit_record(c, "timer.stopped", "time_entry", id, entry, err) &&
	    audit_record(c, "time_entry.created", "time_entry", id, entry, err) &&
	    events_emit(c, "timer.stopped", entry, err))
		events_emit(c, "time_entry.created", entry, err);
	if (err_any(err)) {
		json_decref(entry);
		return NULL;
	}
	return entry;
}

json_t *timer_active(core_ctx *c, err_t *err)
{
	char id[64];
	if (!running_id(c, id, err))
		return NULL;
	return id[0] ? entries_fetch(c, id, err) : json_null();
}

/* c as the timer acts: the same connection and unit of work, its own source. */
static core_ctx timer_ctx(core_ctx *c, actor_t *copy)
{
	core_ctx tc = *c;
	tc.actor = timer_actor(c, copy);
	return tc;
}

json_t *timer_start(core_ctx *c, json_t *body, bool dry_run, err_t *err)
{
	actor_t tactor;
	core_ctx tc = timer_ctx(c, &tactor);
	entry_input in;
	tx_unit u;
	if (!tx_begin(&tc, &u, err))
		return NULL;
	char prev[64], ts_id[64], id[64];
	json_t *stopped = NULL, *out = NULL;
	if (!entries_prepare(&tc, body, ENTRY_TIMER, &in, err) || !lock_user(&tc, err) || !running_id(&tc, prev, err))
		goto done;
	if (prev[0] && !(stopped = stop_entry(&tc, prev, NULL, err)))
		goto done;
	if (settings_today(&tc, in.log_date, err) && timesheets_writable_for_day(&tc, in.user_id, in.log_date, ts_id, err) &&
	    entries_insert(&tc, &in, ts_id, true, "timer", id, err) && (out = entries_fetch(&tc, id, err)) &&
	    audit_record(&tc, "timer.started", "time_entry", id, out, err) && events_emit(&tc, "timer.started", out, err))
		json_object_set(out, "stopped_timer", stopped ? stopped : json_null());
done:
	json_decref(stopped);
	return tx_end(&u, out, dry_run, err);
}

json_t *timer_stop(core_ctx *c, bool dry_run, err_t *err)
{
	actor_t tactor;
	core_ctx tc = timer_ctx(c, &tactor);
	tx_unit u;
	if (!tx_begin(&tc, &u, err))
		return NULL;
	char id[64];
	json_t *out = NULL;
	if (lock_user(&tc, err) && running_id(&tc, id, err)) {
		if (!id[0])
			err_set(err, ERR_CODE_NO_ACTIVE_TIMER, "you have no running timer");
		else
			out = stop_entry(&tc, id, NULL, err);
	}
	return tx_end(&u, out, dry_run, err);
}

json_t *timer_stop_at(core_ctx *c, const char *entry_id, const char *ended_at, bool dry_run, err_t *err)
{
	tx_unit u;
	if (!tx_begin(c, &u, err))
		return NULL;
	json_t *out = NULL;
	/* Lock the owner as starts and stops do, then look again: a stop that got
	 * there first must win, not be stopped a second time. */
	PGresult *r = NULL;
	if (DB_EXEC(c->db, err,
		    "SELECT 1 FROM users WHERE id = (SELECT user_id FROM time_entries WHERE id = $1 AND workspace_id = $2)"
		    " FOR UPDATE",
		    entry_id, c->actor->workspace_id) &&
	    (r = DB_QUERY(c->db, err,
			  "SELECT 1 FROM time_entries e WHERE e.id = $1 AND e.workspace_id = $2 AND e.deleted_at IS NULL AND " ENTRY_RUNNING,
			  entry_id, c->actor->workspace_id))) {
		if (PQntuples(r) == 0)
			err_set_param(err, ERR_CODE_NO_ACTIVE_TIMER, "entry_id", "entry %s is not a running timer", entry_id);
		else
			out = stop_entry(c, entry_id, ended_at, err);
		PQclear(r);
	}
	return tx_end(&u, out, dry_run, err);
}
