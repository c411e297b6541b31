/* When the scheduler fires a job: the next hh:mm UTC strictly after now. */
#include "cron/scheduler.h"
#include <criterion/criterion.h>

#define DAY 86400L
/* 2026-04-29T00:00:00Z */
#define MIDNIGHT 1777420800L

Test(cron_schedule, later_today)
{
	cr_assert_eq(cron_next_fire(MIDNIGHT + 3600, 6, 30), MIDNIGHT + 6 * 3600 + 30 * 60);
}

Test(cron_schedule, passed_today_means_tomorrow)
{
	cr_assert_eq(cron_next_fire(MIDNIGHT + 17 * 3600, 16, 45), MIDNIGHT + DAY + 16 * 3600 + 45 * 60);
}

Test(cron_schedule, exactly_now_means_tomorrow)
{
	/* After firing at 06:30:00 the next computation must not fire again. */
	cr_assert_eq(cron_next_fire(MIDNIGHT + 6 * 3600 + 30 * 60, 6, 30), MIDNIGHT + DAY + 6 * 3600 + 30 * 60);
	cr_assert_eq(cron_next_fire(MIDNIGHT + 6 * 3600 + 30 * 60 - 1, 6, 30), MIDNIGHT + 6 * 3600 + 30 * 60);
}

Test(cron_schedule, midnight_job)
{
	cr_assert_eq(cron_next_fire(MIDNIGHT - 1, 0, 0), MIDNIGHT);
	cr_assert_eq(cron_next_fire(MIDNIGHT, 0, 0), MIDNIGHT + DAY);
}

Test(cron_schedule, registry_names_match_the_spec)
{
	size_t n;
	const cron_job *jobs = cron_jobs(&n);
	cr_assert_eq(n, 8);
	cr_assert_not_null(cron_find("time-calendar-refresh"));
	cr_assert_not_null(cron_find("time-running-timer-nudges"));
	cr_assert_not_null(cron_find("time-auto-submit-timesheets"));
	cr_assert_not_null(cron_find("time-weekly-digest"));
	cr_assert_not_null(cron_find("time-budget-alerts"));
	cr_assert_not_null(cron_find("time-tracking-reminders"));
	cr_assert_not_null(cron_find("time-scheduled-reports"));
	cr_assert_not_null(cron_find("time-rollup-fold")); /* ours: bounds the reports' queue */
	/* The webhook drain runs at every call, outside the once-a-day registry. */
	cr_assert_null(cron_find("deliver-time-webhooks"));
	for (size_t i = 0; i < n; i++)
		cr_assert(jobs[i].hour >= 0 && jobs[i].hour < 24 && jobs[i].minute >= 0 && jobs[i].minute < 60);
	const cron_job *b = cron_find("time-budget-alerts");
	cr_assert(b->hour == 16 && b->minute == 45);
}
