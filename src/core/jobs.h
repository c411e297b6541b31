/* The daily jobs of the crons, as core operations. A job gets the run's
 * clock (so `cron run NAME --now ...` replays any day), acts on every
 * workspace as the system actor (role admin, no user, source "cron"), and
 * reports what it did in counts, errors and details. Every job is idempotent
 * on its own (dedupe keys, state checks, upserts): the cron_runs record in
 * cron/ is the first guard, not the only one. */
#ifndef CORE_JOBS_H
#define CORE_JOBS_H
#include "core/ctx.h"
#include <jansson.h>

/* Where a job gets bytes from outside: the core never touches the network,
 * so the caller (the cron door) fetches and hands the bytes over. */
typedef struct {
	/* The calendar feed at url: *body (malloc'd, NUL-terminated) holds *len
	 * bytes; false with why in errbuf (n bytes). */
	bool (*fetch)(void *arg, const char *url, char **body, size_t *len, char *errbuf, size_t n);
	void *arg;
} job_feeds;

typedef struct {
	db_t *db;
	const job_feeds *feeds; /* NULL: no feed can be fetched */
	char now[32];    /* the run's clock, ISO 8601 UTC */
	char day[11];    /* its UTC date */
	json_t *counts;  /* {name: integer} */
	json_t *errors;  /* [{workspace_id, item, code, message}] */
	json_t *details; /* {list: [...]}: what a job wants to show, e.g. skipped */
} job_run;

/* A whole-job failure returns false with err set (the run is recorded as
 * failed and may be retried); failures of one item are recorded with
 * jobs_error and the job goes on. */
typedef bool (*job_fn)(job_run *run, err_t *err);

bool jobs_running_timer_nudges(job_run *run, err_t *err);
bool jobs_auto_submit_timesheets(job_run *run, err_t *err);
bool jobs_weekly_digest(job_run *run, err_t *err);
bool jobs_budget_alerts(job_run *run, err_t *err);
bool jobs_tracking_reminders(job_run *run, err_t *err);
bool jobs_scheduled_reports(job_run *run, err_t *err);
bool jobs_calendar_refresh(job_run *run, err_t *err);
bool jobs_rollup_fold(job_run *run, err_t *err);

/* ---- shared by the jobs (jobs.c) ---- */

/* Called once per workspace with c acting as that workspace's system actor.
 * Returning false records err against the workspace (its open transaction is
 * rolled back) and the job goes on, unless the database is gone. */
typedef bool (*jobs_workspace_fn)(job_run *run, core_ctx *c, void *arg, err_t *err);
bool jobs_each_workspace(job_run *run, jobs_workspace_fn fn, void *arg, err_t *err);
/* Adds n to counts[name]. */
void jobs_count(job_run *run, const char *name, long n);
/* Records an item's failure; item may be NULL. */
void jobs_error(job_run *run, const char *workspace_id, const char *item, const err_t *e);
/* Appends item (stolen) to details[list]. */
void jobs_detail(job_run *run, const char *list, json_t *item);
/* The run's date in time zone tz (YYYY-MM-DD). */
bool jobs_local_day(job_run *run, core_ctx *c, const char *tz, char day[11], err_t *err);
/* The workspace's users: columns id, email, display name, role (ordered by
 * id); admins_only: only admins. The caller PQclear()s. */
PGresult *jobs_users(core_ctx *c, bool admins_only, err_t *err);
/* A member actor for user_id in the system actor's workspace: reports then
 * count exactly that user's time, as they would see it themselves. */
void jobs_user_actor(const actor_t *system, const char *user_id, actor_t *out);

#endif
