/* Timesheets: one per user and period. The period follows the workspace's week
 * start when the row is created and is frozen on it; the row appears with the
 * period's first entry. Transitions: draft|rejected → submitted → approved|rejected. */
#ifndef CORE_TIMESHEETS_H
#define CORE_TIMESHEETS_H
#include "core/ctx.h"
#include <jansson.h>

typedef struct {
	const char *user_id, *status, *period_start_from, *period_start_to; /* NULL: any */
	const char *updated_since; /* an ISO 8601 instant: a sync read (core/listing.h) */
} timesheets_filter;

typedef enum { TS_SUBMIT, TS_APPROVE, TS_REJECT } timesheet_action;

/* Whether action may leave status; pure, for the rules and their tests. */
bool timesheets_transition_allowed(const char *status, timesheet_action action);
const char *timesheets_action_target(timesheet_action action);

/* Inside the caller's unit of work: finds or creates the timesheet of user_id whose
 * period holds log_date (YYYY-MM-DD) and locks it for sharing; fails with 409
 * timesheet_locked when it is submitted or approved. ts_id holds 64 bytes. */
bool timesheets_writable_for_day(core_ctx *c, const char *user_id, const char *log_date, char ts_id[64], err_t *err);
/* Inside the caller's unit of work: fails with timesheet_locked unless ts_id is
 * draft or rejected. */
bool timesheets_assert_writable(core_ctx *c, const char *ts_id, err_t *err);

/* Read-only: which timesheet of user_id holds log_date (found false when none
 * exists yet). */
bool timesheets_id_for_day(core_ctx *c, const char *user_id, const char *log_date, char ts_id[64], bool *found, err_t *err);

/* The others return a new reference, or NULL with err set. The mutations run in a
 * unit of work (core/tx.h); with dry_run they run every check and write and
 * roll back, returning what they would return. */
/* A page of the list: its rows as the text of a JSON array (malloc'd, as
 * store/query.h query_json_array writes it), or NULL with err set. */
char *timesheets_list(core_ctx *c, const timesheets_filter *f, core_page *page, err_t *err);
json_t *timesheets_get(core_ctx *c, const char *id, err_t *err);
/* PATCH: only "notes". */
json_t *timesheets_update(core_ctx *c, const char *id, json_t *body, bool dry_run, err_t *err);
/* body may be NULL except for TS_REJECT, which needs {"reason"}. Returns the
 * timesheet after the transition, with its entries. */
json_t *timesheets_transition(core_ctx *c, const char *id, timesheet_action action, json_t *body, bool dry_run,
			      err_t *err);

#endif
