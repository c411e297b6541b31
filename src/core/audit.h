/* The audit log and the webhook outbox. Both are written inside the caller's
 * open transaction, so a change, its audit row and its events commit together. */
#ifndef CORE_AUDIT_H
#define CORE_AUDIT_H
#include "core/ctx.h"
#include <jansson.h>

/* Writes an audit_log row for the actor; changes may be NULL (borrowed). A
 * row written with no acting user (a cron job, source cron) names the user
 * whose data changed: the owner of the time_entry or timesheet. */
bool audit_record(core_ctx *c, const char *action, const char *entity_type, const char *entity_id,
		  json_t *changes, err_t *err);
/* Writes an outbox event {id: "evt_…", event, workspace_id, data, timestamp}
 * and one pending delivery per enabled webhook subscribed to it, then wakes
 * the dispatchers (NOTIFY time_events, sent at commit); data is borrowed. */
bool events_emit(core_ctx *c, const char *event, json_t *data, err_t *err);
/* The {field: {"from": old, "to": new}} diff of the named keys between two
 * objects; a new reference, empty when nothing changed. */
json_t *audit_diff(json_t *before, json_t *after, const char *const *keys);

#endif
