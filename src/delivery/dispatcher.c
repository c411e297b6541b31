#include "delivery/dispatcher.h"
#include "util/log.h"
#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { POLL_MS = 5000 };

struct dispatcher {
	char *conninfo;
	pump_config cfg;
	pthread_t thread;
	atomic_bool stop;
	pthread_mutex_t lock; /* guards pump between the thread and dispatcher_stop */
	pump_t *pump;
};

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A connection that only listens; NULL (logged) when the database is away. */
static PGconn *listen_connect(const char *conninfo)
{
	PGconn *c = PQconnectdb(conninfo);
	PGresult *r = PQstatus(c) == CONNECTION_OK ? PQexec(c, "LISTEN time_events") : NULL;
	bool ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	if (!ok) {
		log_msg(LOG_WARN, "webhook dispatcher: LISTEN failed, polling meanwhile: %s", PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	return c;
}

/* Consumes pending notifications; false when the connection broke. */
static bool drain_notifications(PGconn *c, bool *woken)
{
	if (!PQconsumeInput(c))
		return false;
	PGnotify *n;
	while ((n = PQnotifies(c))) {
		*woken = true;
		PQfreemem(n);
	}
	return true;
}

static void *dispatcher_main(void *arg)
{
	dispatcher_t *d = arg;
	db_t *db = db_open(d->conninfo);
	pthread_mutex_lock(&d->lock);
	d->pump = pump_new(db, &d->cfg); /* the pump uses this thread's connection only */
	pthread_mutex_unlock(&d->lock);
	PGconn *listener = NULL;
	long long next_poll = 0, next_listen = 0;
	bool woken = true;
	while (!atomic_load(&d->stop)) {
		long long now = now_ms();
		if (!listener && now >= next_listen) {
			listener = listen_connect(d->conninfo);
			next_listen = now + POLL_MS;
			woken = true; /* events may have come while nobody listened */
		}
		if (woken || now >= next_poll) {
			woken = false;
			pump_fill(d->pump);
			next_poll = now + POLL_MS;
		}
		long long wait = next_poll - now_ms();
		bool readable = false;
		pump_wait(d->pump, listener ? PQsocket(listener) : -1, wait < 0 ? 0 : wait > POLL_MS ? POLL_MS : (int)wait,
			  &readable);
		if (readable && !drain_notifications(listener, &woken)) {
			log_msg(LOG_WARN, "webhook dispatcher: lost the LISTEN connection; polling until it is back");
			PQfinish(listener);
			listener = NULL;
		}
		if (pump_collect(d->pump) > 0 && pump_more_due(d->pump))
			woken = true;
	}
	pthread_mutex_lock(&d->lock);
	pump_free(d->pump); /* gives back the leases of abandoned transfers */
	d->pump = NULL;
	pthread_mutex_unlock(&d->lock);
	PQfinish(listener);
	db_close(db);
	return NULL;
}

dispatcher_t *dispatcher_start(const char *conninfo, const pump_config *cfg)
{
	dispatcher_t *d = calloc(1, sizeof *d);
	if (!d)
		abort();
	d->conninfo = strdup(conninfo);
	d->cfg = *cfg;
	atomic_init(&d->stop, false);
	pthread_mutex_init(&d->lock, NULL);
	if (pthread_create(&d->thread, NULL, dispatcher_main, d)) {
		free(d->conninfo);
		free(d);
		return NULL;
	}
	return d;
}

void dispatcher_stop(dispatcher_t *d)
{
	if (!d)
		return;
	atomic_store(&d->stop, true);
	pthread_mutex_lock(&d->lock);
	if (d->pump)
		pump_wakeup(d->pump);
	pthread_mutex_unlock(&d->lock);
	pthread_join(d->thread, NULL);
	pthread_mutex_destroy(&d->lock);
	free(d->conninfo);
	free(d);
}
