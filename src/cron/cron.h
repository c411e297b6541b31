/* The cron jobs by name and how one run happens, whichever trigger asks
 * (the CLI, POST /api/cron/NAME, the scheduler inside serve):
 *  - the job's advisory lock is taken on a connection of its own, in a
 *    transaction held for the whole run, so instances queue up per job;
 *  - a succeeded run of the same UTC day is answered from cron_runs (nothing
 *    is done twice); a failed one is retried;
 *  - the job runs on the caller's connection (its core operations commit as
 *    they go), the email outbox is flushed when SMTP is configured, and the
 *    run is recorded, all before the lock is released. */
#ifndef CRON_CRON_H
#define CRON_CRON_H
#include "core/jobs.h"
#include "delivery/smtp.h"
#include <stddef.h>

typedef struct {
	const char *name;
	job_fn run;
	int hour, minute; /* when the scheduler fires it, UTC (the spec's table) */
} cron_job;

typedef struct {
	const char *conninfo;    /* for the lock connection (and the webhook drain's own) */
	const smtp_config *smtp; /* NULL: emails stay in the outbox */
	bool allow_private;      /* WEBHOOK_ALLOW_PRIVATE: feeds and webhooks may reach private addresses */
} cron_env;

/* The registry, in the order the spec lists the jobs. */
const cron_job *cron_jobs(size_t *n);
const cron_job *cron_find(const char *name);

/* Runs job name for the UTC day of now_iso (ISO 8601; NULL: the database's
 * clock). Returns {job, run_date, now, status, counts, errors, details,
 * attempts, started_at, finished_at, replayed} (new reference), or NULL with
 * err: 404 not_found for an unknown job, 422 for a bad now_iso, 503 when the
 * database is down. A job that failed is returned with status "failed". */
json_t *cron_run(db_t *db, const cron_env *env, const char *name, const char *now_iso, err_t *err);

#endif
