#include "core/week.h"
#include "core/settings.h"
#include "core/timer.h"
#include "core/timesheets.h"
#include "util/dates.h"
#include <stdio.h>
#include <string.h>

#define HOURS(x) "round(coalesce(" x ", 0)::numeric / 3600, 4)"

/* Totals and breakdowns of one timesheet's stopped entries, over its period. */
static json_t *rollup(core_ctx *c, const char *ts_id, const char *start, const char *end, err_t *err)
{
	return DB_QUERY_JSON(
		c->db, err,
		"WITH e AS (SELECT e.log_date, e.project_id, e.billable, e.duration_seconds FROM time_entries e"
		"  WHERE e.timesheet_id = $1 AND e.workspace_id = $4 AND e.deleted_at IS NULL"
		"  AND e.duration_seconds IS NOT NULL)"
		" SELECT jsonb_build_object("
		" 'totals', (SELECT jsonb_build_object('hours', " HOURS("sum(duration_seconds)") ","
		"   'billable_hours', " HOURS("sum(duration_seconds) FILTER (WHERE billable)") ","
		"   'non_billable_hours', " HOURS("sum(duration_seconds) FILTER (WHERE NOT billable)") ","
		"   'entry_count', count(*)) FROM e),"
		" 'by_day', (SELECT jsonb_agg(jsonb_build_object('date', d::date::text,"
		"   'hours', " HOURS("(SELECT sum(duration_seconds) FROM e WHERE e.log_date = d::date)") ","
		"   'billable_hours', " HOURS("(SELECT sum(duration_seconds) FROM e WHERE e.log_date = d::date AND billable)") ")"
		"   ORDER BY d) FROM generate_series($2::date, $3::date, interval '1 day') d),"
		" 'by_project', (SELECT coalesce(jsonb_agg(jsonb_build_object('project_id', x.project_id,"
		"   'project_name', x.name, 'hours', " HOURS("x.total") ", 'billable_hours', " HOURS("x.billable") ")"
		"   ORDER BY x.total DESC, x.project_id), '[]'::jsonb)"
		"   FROM (SELECT e.project_id, p.name, sum(e.duration_seconds) AS total,"
		"   sum(e.duration_seconds) FILTER (WHERE e.billable) AS billable"
		"   FROM e LEFT JOIN projects p ON p.id = e.project_id GROUP BY e.project_id, p.name) x))",
		ts_id, start, end, c->actor->workspace_id);
}

/* An empty week from start to end (when no timesheet exists yet). */
static json_t *empty_rollup(long start_day)
{
	json_t *days = json_array();
	for (long d = start_day; d < start_day + 7; d++) {
		char date[11];
		dates_format(d, date);
		json_array_append_new(days, json_pack("{s:s, s:i, s:i}", "date", date, "hours", 0, "billable_hours", 0));
	}
	return json_pack("{s:{s:i, s:i, s:i, s:i}, s:o, s:[]}", "totals", "hours", 0, "billable_hours", 0,
			 "non_billable_hours", 0, "entry_count", 0, "by_day", days, "by_project");
}

json_t *week_summary(core_ctx *c, const char *day, err_t *err)
{
	char today[11], ts_id[64];
	long dnum;
	bool found;
	if (!day) {
		if (!settings_today(c, today, err))
			return NULL;
		day = today;
	}
	if (!dates_parse(day, &dnum)) {
		err_set_param(err, ERR_CODE_VALIDATION_FAILED, "period_start", "'period_start' must be a date YYYY-MM-DD");
		return NULL;
	}
	if (!timesheets_id_for_day(c, c->actor->user_id, day, ts_id, &found, err))
		return NULL;
	json_t *out = NULL, *sums = NULL, *sheet = NULL;
	if (found) {
		if (!(sheet = timesheets_get(c, ts_id, err)))
			return NULL;
		const char *start = json_string_value(json_object_get(sheet, "period_start"));
		const char *end = json_string_value(json_object_get(sheet, "period_end"));
		if (!(sums = rollup(c, ts_id, start, end, err)))
			goto done;
		out = json_pack("{s:s, s:s, s:{s:O, s:O}, s:O}", "period_start", start, "period_end", end, "timesheet", "id",
				json_object_get(sheet, "id"), "status", json_object_get(sheet, "status"), "entries",
				json_object_get(sheet, "entries"));
	} else {
		int dow;
		char tz[64], start[11], end[11];
		if (!settings_calendar(c, &dow, tz, err))
			return NULL;
		long s = dates_period_start(dnum, dow);
		dates_format(s, start);
		dates_format(s + 6, end);
		sums = empty_rollup(s);
		out = json_pack("{s:s, s:s, s:n, s:[]}", "period_start", start, "period_end", end, "timesheet", "entries");
	}
	json_object_update(out, sums);
	json_t *totals = json_object_get(out, "totals");
	json_object_set_new(out, "by_billable",
			    json_pack("{s:O, s:O}", "billable_hours", json_object_get(totals, "billable_hours"),
				      "non_billable_hours", json_object_get(totals, "non_billable_hours")));
	json_t *running = timer_active(c, err);
	if (!running) {
		json_decref(out);
		out = NULL;
		goto done;
	}
	json_object_set_new(out, "running_timer", running);
done:
	json_decref(sums);
	json_decref(sheet);
	return out;
}
