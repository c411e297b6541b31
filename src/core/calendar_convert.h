/* "Convert to time entry" on a calendar event: the meeting becomes a manual
 * entry of the event's user, through the same rules as any other entry. */
#ifndef CORE_CALENDAR_CONVERT_H
#define CORE_CALENDAR_CONVERT_H
#include "core/ctx.h"
#include <jansson.h>

/* Converts event_id into an entry: log_date is the day the event starts in
 * the workspace's time zone, hours its length (at most 24: 422 otherwise),
 * description its title, the entity the record it is linked to (or the event
 * itself). body (NULL or an object) may override billable, description,
 * entity_type and entity_id. Members convert only their own events (others
 * answer 404); a second conversion answers 409 already_converted; a locked
 * timesheet 409 timesheet_locked. Audited and announced as time_entry.created.
 * Runs in a unit of work (core/tx.h), nested in c's when one is open (calendar
 * imports convert this way); dry_run rolls it back. Returns the new entry (new
 * reference), or NULL with err set. */
json_t *calendar_convert_event(core_ctx *c, const char *event_id, json_t *body, bool dry_run, err_t *err);

/* The check of body calendar_convert_event makes first, for callers that
 * check it before their own work. */
bool calendar_convert_check_body(json_t *body, err_t *err);

#endif
