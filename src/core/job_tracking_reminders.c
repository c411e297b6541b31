/* time-tracking-reminders: on working days (Monday to Friday in the
 * workspace's time zone) users who logged less than reminder_min_daily_hours
 * that day get a daily reminder; on Fridays, users below
 * reminder_min_weekly_hours for the period so far get a weekly one. A running
 * timer counts up to the run's clock. Each reminder is stored once per user
 * and day (or period). */
#include "core/jobs.h"
#include "core/notifications.h"
#include "core/settings.h"
#include "util/dates.h"
#include <stdio.h>
#include <stdlib.h>

enum { WEEKLY_DOW = 5 /* Friday */ };

typedef struct {
	const char *kind;   /* reminder.daily | reminder.weekly */
	bool daily;
	const char *from, *to;
	double min_hours;
} reminder;

static bool remind(job_run *run, core_ctx *c, const reminder *rm, err_t *err)
{
	char min[32];
	snprintf(min, sizeof min, "%.2f", rm->min_hours);
	PGresult *r = DB_QUERY(
		c->db, err,
		"SELECT u.id, round(coalesce(sum(coalesce(e.duration_seconds,"
		"  greatest(0, extract(epoch FROM $4::timestamptz - e.started_at)))), 0)::numeric / 3600, 2)::text"
		" FROM users u LEFT JOIN time_entries e ON e.workspace_id = u.workspace_id AND e.user_id = u.id"
		"  AND e.deleted_at IS NULL AND e.log_date BETWEEN $2::date AND $3::date"
		"  AND (e.started_at IS NULL OR e.started_at <= $4::timestamptz)"
		" WHERE u.workspace_id = $1 GROUP BY u.id"
		" HAVING coalesce(sum(coalesce(e.duration_seconds, greatest(0, extract(epoch FROM $4::timestamptz - e.started_at)))), 0)"
		"  < $5::numeric * 3600 ORDER BY u.id",
		c->actor->workspace_id, rm->from, rm->to, run->now, min);
	if (!r)
		return false;
	bool ok = true;
	for (int i = 0; ok && i < PQntuples(r); i++) {
		char key[200], title[200];
		snprintf(key, sizeof key, "%s:%s:%s", rm->kind, PQgetvalue(r, i, 0), rm->from);
		if (rm->daily)
			snprintf(title, sizeof title, "You have logged %s of %.4g hours on %s", PQgetvalue(r, i, 1), rm->min_hours,
				 rm->from);
		else
			snprintf(title, sizeof title, "You have logged %s of %.4g hours this week (%s to %s)", PQgetvalue(r, i, 1),
				 rm->min_hours, rm->from, rm->to);
		json_t *data = json_pack("{s:s, s:s, s:f, s:f}", "from", rm->from, "to", rm->to, "logged_hours",
					 atof(PQgetvalue(r, i, 1)), "min_hours", rm->min_hours);
		notification_input n = { .user_id = PQgetvalue(r, i, 0), .kind = rm->kind, .title = title, .data = data,
					 .dedupe_key = key };
		bool created;
		ok = notifications_create(c, &n, &created, err);
		json_decref(data);
		if (ok)
			jobs_count(run, rm->daily ? "daily_reminders" : "weekly_reminders", created ? 1 : 0);
	}
	PQclear(r);
	return ok;
}

static bool reminders_workspace(job_run *run, core_ctx *c, void *arg, err_t *err)
{
	(void)arg;
	settings_t s;
	char today[11], start[11];
	long day;
	if (!settings_load(c, &s, err) || !jobs_local_day(run, c, s.timezone, today, err))
		return false;
	if (!dates_parse(today, &day))
		return true;
	int dow = dates_dow(day);
	if (dow >= 1 && dow <= 5 && s.reminder_min_daily_hours > 0) {
		reminder rm = { "reminder.daily", true, today, today, s.reminder_min_daily_hours };
		if (!remind(run, c, &rm, err))
			return false;
	}
	if (dow == WEEKLY_DOW && s.reminder_min_weekly_hours > 0) {
		dates_format(dates_period_start(day, s.week_start_dow), start);
		reminder rm = { "reminder.weekly", false, start, today, s.reminder_min_weekly_hours };
		if (!remind(run, c, &rm, err))
			return false;
	}
	return true;
}

bool jobs_tracking_reminders(job_run *run, err_t *err)
{
	jobs_count(run, "daily_reminders", 0);
	jobs_count(run, "weekly_reminders", 0);
	return jobs_each_workspace(run, reminders_workspace, NULL, err);
}
