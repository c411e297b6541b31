#include "cron/deliver_time_webhooks.h"
#include "delivery/pump.h"
#include "util/dates.h"
#include "util/metrics.h"
#include <sys/time.h>

json_t *cron_deliver_time_webhooks(const cron_env *env, double now, err_t *err)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	double real = (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
	pump_config cfg = { .clock_offset = now > 0 ? now - real : 0, .allow_private = env->allow_private };
	db_t *db = db_open(env->conninfo);
	if (!db_connect(db, err)) {
		db_close(db);
		metrics_cron_run(CRON_DELIVER_WEBHOOKS, "error");
		return NULL;
	}
	pump_t *p = pump_new(db, &cfg);
	bool ok = pump_drain(p);
	char at[21];
	dates_format_instant(pump_now(p), at);
	const pump_stats *s = pump_get_stats(p);
	json_t *out = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "job", "deliver-time-webhooks", "now", at,
				"attempted", (json_int_t)s->attempted, "delivered", (json_int_t)s->delivered, "retrying",
				(json_int_t)s->retrying, "failed", (json_int_t)s->failed, "lost", (json_int_t)s->lost,
				"unknown", (json_int_t)s->unknown);
	pump_free(p);
	db_close(db);
	metrics_cron_run(CRON_DELIVER_WEBHOOKS, ok ? "succeeded" : "failed");
	if (!ok) {
		json_decref(out);
		err_set(err, ERR_UNAVAILABLE, "database_unavailable", "the database failed while leasing deliveries");
		return NULL;
	}
	return out;
}
