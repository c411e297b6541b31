/* Timers: a running timer is an entry with started_at set and ended_at null;
 * the database keeps at most one per user (a partial unique index), and starts
 * and stops of one user are serialized on the user's row. */
#ifndef CORE_TIMER_H
#define CORE_TIMER_H
#include "core/ctx.h"
#include <jansson.h>

/* The caller's running entry, or JSON null. New reference; NULL on error. */
json_t *timer_active(core_ctx *c, err_t *err);

/* The mutations run in a unit of work (core/tx.h), nested in c's when one is
 * open; with dry_run they run every check and write and roll back, returning
 * what they would return. */

/* Stops any running timer of the caller, then starts a new one, atomically.
 * body: {entity_type, entity_id?, project_id?, description?, billable?}.
 * Returns the new entry with "stopped_timer" (the entry stopped, or null). */
json_t *timer_start(core_ctx *c, json_t *body, bool dry_run, err_t *err);
/* Stops the caller's running timer (409 no_active_timer when none); returns
 * the stopped entry. */
json_t *timer_stop(core_ctx *c, bool dry_run, err_t *err);

/* Stops running entry entry_id of any user in the actor's workspace at
 * ended_at (ISO 8601), for the runaway-timer cron; audited as timer.stopped
 * with the actor's source. 409 no_active_timer when it no longer runs. */
json_t *timer_stop_at(core_ctx *c, const char *entry_id, const char *ended_at, bool dry_run, err_t *err);

#endif
