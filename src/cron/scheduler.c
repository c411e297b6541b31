#include "cron/scheduler.h"
#include "util/log.h"
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

struct cron_scheduler {
	cron_env env;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stopping;
};

time_t cron_next_fire(time_t now, int hour, int minute)
{
	time_t midnight = now - now % 86400; /* UTC days are 86400 s: no leap seconds in time_t */
	time_t t = midnight + hour * 3600 + minute * 60;
	return t > now ? t : t + 86400;
}

/* Sleeps until `until` or a stop; true when it is time to fire. */
static bool sleep_until(cron_scheduler *s, time_t until)
{
	pthread_mutex_lock(&s->lock);
	struct timespec ts = { .tv_sec = until };
	while (!s->stopping && time(NULL) < until)
		if (pthread_cond_timedwait(&s->wake, &s->lock, &ts) == ETIMEDOUT && time(NULL) >= until)
			break;
	bool fire = !s->stopping;
	pthread_mutex_unlock(&s->lock);
	return fire;
}

static void *scheduler_main(void *arg)
{
	cron_scheduler *s = arg;
	db_t *db = db_open(s->env.conninfo);
	size_t n;
	const cron_job *jobs = cron_jobs(&n);
	for (;;) {
		time_t now = time(NULL), next = 0;
		for (size_t i = 0; i < n; i++) {
			time_t t = cron_next_fire(now, jobs[i].hour, jobs[i].minute);
			if (!next || t < next)
				next = t;
		}
		if (!sleep_until(s, next))
			break;
		for (size_t i = 0; i < n; i++) {
			if (cron_next_fire(next - 1, jobs[i].hour, jobs[i].minute) != next)
				continue;
			err_t err = { 0 };
			json_t *out = cron_run(db, &s->env, jobs[i].name, NULL, &err);
			if (!out)
				log_json(LOG_ERROR, "cron run failed",
					 json_pack("{s:s, s:s, s:s}", "job", jobs[i].name, "code", err_name(&err), "message", err.message));
			json_decref(out);
		}
	}
	db_close(db);
	return NULL;
}

cron_scheduler *cron_scheduler_start(const cron_env *env)
{
	cron_scheduler *s = calloc(1, sizeof *s);
	if (!s)
		abort();
	s->env = *env;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	/* SIGTERM and SIGINT belong to the HTTP loop: the thread never takes them. */
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	int rc = pthread_create(&s->thread, NULL, scheduler_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		log_msg(LOG_ERROR, "could not start the cron scheduler");
		free(s);
		return NULL;
	}
	size_t n;
	cron_jobs(&n);
	log_json(LOG_INFO, "cron scheduler started", json_pack("{s:i}", "jobs", (int)n));
	return s;
}

void cron_scheduler_stop(cron_scheduler *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->stopping = true;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->wake);
	free(s);
}
