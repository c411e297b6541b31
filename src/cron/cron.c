#include "cron/cron.h"
#include "delivery/feed_fetch.h"
#include "delivery/mailer.h"
#include "store/cron_runs.h"
#include "util/dates.h"
#include "util/log.h"
#include "util/metrics.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const cron_job JOBS[] = {
	{ "time-rollup-fold", jobs_rollup_fold, 3, 15 },
	{ "time-calendar-refresh", jobs_calendar_refresh, 4, 45 },
	{ "time-running-timer-nudges", jobs_running_timer_nudges, 6, 30 },
	{ "time-auto-submit-timesheets", jobs_auto_submit_timesheets, 5, 30 },
	{ "time-scheduled-reports", jobs_scheduled_reports, 6, 20 },
	{ "time-weekly-digest", jobs_weekly_digest, 7, 30 },
	{ "time-budget-alerts", jobs_budget_alerts, 16, 45 },
	{ "time-tracking-reminders", jobs_tracking_reminders, 17, 25 },
};

const cron_job *cron_jobs(size_t *n)
{
	*n = sizeof JOBS / sizeof JOBS[0];
	return JOBS;
}

const cron_job *cron_find(const char *name)
{
	for (size_t i = 0; i < sizeof JOBS / sizeof JOBS[0]; i++)
		if (!strcmp(JOBS[i].name, name))
			return &JOBS[i];
	return NULL;
}

/* The run's clock and UTC day from now_iso (NULL: now), and when it started. */
static bool run_clock(db_t *db, const char *now_iso, job_run *run, char started[32], err_t *err)
{
	/* PostgreSQL also takes words like 'yesterday': insist on a date first. */
	char date[11];
	long d;
	snprintf(date, sizeof date, "%s", now_iso ? now_iso : "");
	if (now_iso && (strlen(now_iso) < 10 || !dates_parse(date, &d)))
		return err_set_param(err, ERR_CODE_VALIDATION_FAILED, "now",
				     "'now' must be an ISO 8601 time such as 2026-04-29T10:23:00Z");
	err_t e = { 0 };
	if (!cron_runs_clock(db, now_iso, run->now, run->day, started, &e)) {
		if (e.kind == ERR_VALIDATION)
			return err_set_param(err, ERR_CODE_VALIDATION_FAILED, "now",
					     "'now' must be an ISO 8601 time such as 2026-04-29T10:23:00Z");
		*err = e;
		return false;
	}
	return true;
}

static void flush_mail(db_t *db, const cron_env *env, job_run *run)
{
	if (!env->smtp)
		return;
	long sent = 0, failed = 0;
	err_t e = { 0 };
	if (!mailer_flush(db, env->smtp, &sent, &failed, &e))
		jobs_error(run, NULL, "email_outbox", &e);
	jobs_count(run, "emails_sent", sent);
	if (failed)
		jobs_count(run, "email_attempts_failed", failed);
}

/* The jobs' feeds come from here: the core never touches the network. */
static bool fetch_feed(void *arg, const char *url, char **body, size_t *len, char *errbuf, size_t n)
{
	const cron_env *env = arg;
	return feed_fetch(url, env->allow_private, body, len, errbuf, n);
}

/* One run under the job's lock; *outcome says how it ended, for the metrics. */
static json_t *run_locked(db_t *db, const cron_env *env, const cron_job *job, const char *now_iso,
			  const char **outcome, err_t *err)
{
	const char *name = job->name;
	job_feeds feeds = { fetch_feed, (void *)env };
	job_run run = { .db = db, .feeds = &feeds };
	char started[32];
	if (!run_clock(db, now_iso, &run, started, err))
		return NULL;
	db_t *lk = db_open(env->conninfo);
	json_t *out = NULL;
	if (!cron_runs_lock(lk, name, err))
		goto done;
	out = cron_runs_succeeded(lk, name, run.day, err);
	if (out || err_any(err)) {
		if (out) {
			json_object_set_new(out, "replayed", json_true());
			*outcome = "replayed";
		}
		goto done;
	}
	run.counts = json_object();
	run.errors = json_array();
	run.details = json_object();
	err_t job_err = { 0 };
	bool ok = job->run(&run, &job_err);
	db_rollback(db); /* a job never leaves a transaction open; be sure */
	if (!ok)
		jobs_error(&run, NULL, NULL, &job_err);
	flush_mail(db, env, &run);
	out = cron_runs_record(lk, name, run.day, ok, run.now, run.counts, run.errors, run.details, started, err);
	json_decref(run.counts);
	json_decref(run.errors);
	json_decref(run.details);
	if (out && db_commit(lk, err)) {
		json_object_set_new(out, "replayed", json_false());
		*outcome = ok ? "succeeded" : "failed";
		log_json(ok ? LOG_INFO : LOG_WARN, "cron run",
			 json_pack("{s:s, s:s, s:O}", "job", name, "run_date", run.day, "status",
				   json_object_get(out, "status")));
	} else {
		json_decref(out);
		out = NULL;
	}
done:
	db_rollback(lk);
	db_close(lk);
	return out;
}

json_t *cron_run(db_t *db, const cron_env *env, const char *name, const char *now_iso, err_t *err)
{
	const cron_job *job = cron_find(name);
	if (!job) {
		err_set(err, ERR_CODE_NOT_FOUND, "no cron job named '%.64s'", name);
		return NULL;
	}
	const char *outcome = "error"; /* it could not run, or its run could not be recorded */
	json_t *out = run_locked(db, env, job, now_iso, &outcome, err);
	/* The job's own name: never the caller's text, which is unbounded. */
	metrics_cron_run(job->name, outcome);
	return out;
}
