/* The scheduler inside serve: one thread with its own database connection
 * that fires each job at its UTC time of day through cron_run, so the HTTP
 * loop and its workers never wait for a job. Runs missed while no instance
 * was up are not caught up: the HTTP trigger or the CLI can run them. */
#ifndef CRON_SCHEDULER_H
#define CRON_SCHEDULER_H
#include "cron/cron.h"
#include <time.h>

typedef struct cron_scheduler cron_scheduler;

/* Starts the thread; env is copied (its strings and smtp must outlive it). */
cron_scheduler *cron_scheduler_start(const cron_env *env);
/* Wakes the thread, lets a job in progress finish, joins and frees it. */
void cron_scheduler_stop(cron_scheduler *s);
/* The first time strictly after now when a job set for hour:minute UTC fires. */
time_t cron_next_fire(time_t now, int hour, int minute);

#endif
