/* A user's week at a glance: the timesheet period holding a day, with totals
 * and breakdowns by day, project and billable. Answers "how many billable hours
 * did I log this week?" for the AI tools, from the same rows REST shows. */
#ifndef CORE_WEEK_H
#define CORE_WEEK_H
#include "core/ctx.h"
#include <jansson.h>

/* The caller's period holding day (YYYY-MM-DD; NULL: today in the workspace's
 * time zone). Returns {period_start, period_end, timesheet: {id, status} | null,
 * totals: {hours, billable_hours, non_billable_hours, entry_count},
 * by_day: [{date, hours, billable_hours}] (every day of the period),
 * by_project: [{project_id, project_name, hours, billable_hours}],
 * by_billable: {billable_hours, non_billable_hours}, running_timer: entry | null,
 * entries: [...]}. Hours count stopped entries, as timesheet totals do. */
json_t *week_summary(core_ctx *c, const char *day, err_t *err);

#endif
