/* Rollups and reports: the numbers other modules show (task lists, project
 * budgets, ticket and contact totals, candidate time-to-hire, dashboards,
 * utilization). All read-only. Every number follows the same rules:
 *  - members count only their own entries, managers and admins the workspace;
 *  - deleted entries and running timers (no duration yet) count nothing;
 *  - each entry's seconds are rounded by the workspace rounding setting
 *    (rounding_apply) before they are summed; raw_total_seconds keeps the
 *    unrounded sum, and every report says which rounding it used;
 *  - hours are decimal hours rounded to 4 places beside integer *_seconds;
 *  - amounts are integer minor units per currency: each entry's snapshotted
 *    rate × its rounded seconds, summed exactly, then divided by 3600 once
 *    (rounding_amount). Entries without a rate add nothing.
 * Each report reads one consistent snapshot. Failures: 422 validation_failed
 * naming the parameter, 404 for records not in the workspace, 403 and 402 as
 * documented per function. */
#ifndef CORE_REPORTS_H
#define CORE_REPORTS_H
#include "core/ctx.h"
#include <jansson.h>

/* The longest range a dated report covers, both ends included. */
enum { REPORTS_MAX_RANGE_DAYS = 366 };

/* Totals over log dates from..to (YYYY-MM-DD, both required): hours, billable
 * and non-billable hours, entry count, billable amounts per currency, and
 * breakdowns by user, project and entity type. */
json_t *reports_summary(core_ctx *c, const char *from, const char *to, err_t *err);

/* The time on one record: task, ticket, deal, candidate, calendar_event,
 * conversation, project or contact (everything linked to it). Totals with
 * approved hours, the 10 latest entries, and per type: a project's budget and
 * estimate against its actuals (approved hours, as estimate-vs-actual counts
 * them), a ticket's hours that roll up to its customer, a contact's
 * breakdown by entity type, a candidate's hours and days per stage. */
json_t *reports_rollup(core_ctx *c, const char *entity_type, const char *entity_id, err_t *err);

/* Hours per task of project_id (required), tasks without time included. */
json_t *reports_task_rollups(core_ctx *c, const char *project_id, err_t *err);

/* Per project (project_id, or every project when NULL): the tasks' estimate,
 * the actuals (approved hours: the one definition, shared with the project
 * rollup and the budget alerts) beside the logged hours, the delta
 * actual − estimate, and the time budget with budget_used_ratio
 * (actual / budget; null without a budget). */
json_t *reports_estimate_vs_actual(core_ctx *c, const char *project_id, err_t *err);

typedef struct {
	const char *user_id;    /* one of user_id and project_id; neither: the caller */
	const char *project_id;
	const char *from, *to;  /* required */
} reports_utilization_query;

/* Pro (402 plan_required first). Billable hours against capacity: each user's
 * weekly hours (the People module's employees.weekly_hours when subscribed and
 * the user has a row, else the workspace default_weekly_hours) × the range's
 * Monday–Friday days / 5. For a project, the capacity of the users who logged
 * time on it in the range. Members may ask only about themselves (403). */
json_t *reports_utilization(core_ctx *c, const reports_utilization_query *q, err_t *err);

#endif
