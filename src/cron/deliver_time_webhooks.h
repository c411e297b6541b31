/* The deliver-time-webhooks cron: sends every delivery due now (or at an
 * injected --now), for deployments that run no dispatcher and to catch up
 * after downtime. The same pump as the dispatcher, run to completion. */
#ifndef CRON_DELIVER_TIME_WEBHOOKS_H
#define CRON_DELIVER_TIME_WEBHOOKS_H
#include "cron/cron.h"
#include "util/err.h"
#include <jansson.h>

/* Its name for `cron run` and /api/cron/. It is not in the once-a-day registry:
 * every call sends what is due by then. */
#define CRON_DELIVER_WEBHOOKS "deliver-time-webhooks"

/* On a connection of its own to env->conninfo. now: unix seconds the
 * scheduler treats as the present (0: the real clock).
 * Returns {job, now, attempted, delivered, retrying, failed, lost}. */
json_t *cron_deliver_time_webhooks(const cron_env *env, double now, err_t *err);

#endif
