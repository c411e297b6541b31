/* The cron_runs ledger: one row per job and UTC day, and the advisory lock
 * that makes instances take turns on a job. Persistence only; cron/ decides. */
#ifndef STORE_CRON_RUNS_H
#define STORE_CRON_RUNS_H
#include "store/db.h"
#include <jansson.h>

/* The run's clock and UTC day for now_iso (NULL: now), and the start time,
 * each ISO 8601 / YYYY-MM-DD. ERR_VALIDATION when PostgreSQL cannot read it. */
bool cron_runs_clock(db_t *db, const char *now_iso, char now[32], char day[11], char started[32], err_t *err);
/* Opens a transaction on lk and waits for the job's advisory lock (held until
 * lk commits or rolls back). */
bool cron_runs_lock(db_t *lk, const char *job, err_t *err);
/* The day's succeeded run as JSON, or NULL (err unset) when there is none. */
json_t *cron_runs_succeeded(db_t *lk, const char *job, const char *day, err_t *err);
/* Records the run (inserting or replacing the day's row); returns it as JSON.
 * counts, errors and details are borrowed. */
json_t *cron_runs_record(db_t *lk, const char *job, const char *day, bool ok, const char *now, json_t *counts,
			 json_t *errors, json_t *details, const char *started, err_t *err);

#endif
