#include "http/workers.h"
#include "util/metrics.h"
#include <pthread.h>
#include <stdlib.h>

struct workers {
	http_app app;
	void (*wake)(void *);
	void *wake_arg;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	workers_job *queue_head, *queue_tail, *done;
	int in_flight;
	int queued, busy; /* for the metrics gauges */
	bool stopping;
	int n;
	pthread_t *threads;
};

workers_job *workers_job_new(void)
{
	workers_job *job = calloc(1, sizeof *job);
	if (!job)
		abort();
	job->arena = arena_new();
	job->req.arena = job->arena;
	job->req.content_length = -1;
	return job;
}

void workers_job_free(workers_job *job)
{
	if (!job)
		return;
	arena_free(job->arena);
	free(job);
}

static void *worker_main(void *arg)
{
	workers_t *w = arg;
	void *state = w->app.state_new(w->app.app);
	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->queue_head && !w->stopping)
			pthread_cond_wait(&w->cond, &w->lock);
		workers_job *job = w->queue_head;
		if (!job)
			break; /* stopping and drained */
		w->queue_head = job->next;
		if (!w->queue_head)
			w->queue_tail = NULL;
		metrics_worker_queue(--w->queued, ++w->busy);
		pthread_mutex_unlock(&w->lock);

		if (job->admitting)
			job->admitted = w->app.admit(state, &job->req, &job->resp);
		else
			w->app.handle(state, &job->req, &job->resp);

		pthread_mutex_lock(&w->lock);
		metrics_worker_queue(w->queued, --w->busy);
		job->next = w->done;
		w->done = job;
		pthread_mutex_unlock(&w->lock);
		w->wake(w->wake_arg);
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	w->app.state_free(state);
	return NULL;
}

workers_t *workers_start(int n, const http_app *app, void (*wake)(void *), void *wake_arg)
{
	workers_t *w = calloc(1, sizeof *w);
	if (!w)
		abort();
	w->app = *app;
	w->wake = wake;
	w->wake_arg = wake_arg;
	w->n = n;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	w->threads = calloc((size_t)n, sizeof *w->threads);
	for (int i = 0; i < n; i++)
		if (pthread_create(&w->threads[i], NULL, worker_main, w))
			abort();
	return w;
}

void workers_stop(workers_t *w)
{
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	for (int i = 0; i < w->n; i++)
		pthread_join(w->threads[i], NULL);
}

void workers_free(workers_t *w)
{
	workers_job *j = w->done;
	while (j) {
		workers_job *next = j->next;
		workers_job_free(j);
		j = next;
	}
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	free(w->threads);
	free(w);
}

void workers_submit(workers_t *w, workers_job *job)
{
	job->next = NULL;
	pthread_mutex_lock(&w->lock);
	if (w->queue_tail)
		w->queue_tail->next = job;
	else
		w->queue_head = job;
	w->queue_tail = job;
	w->in_flight++;
	metrics_worker_queue(++w->queued, w->busy);
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

workers_job *workers_take_done(workers_t *w)
{
	pthread_mutex_lock(&w->lock);
	workers_job *list = w->done;
	w->done = NULL;
	for (workers_job *j = list; j; j = j->next)
		w->in_flight--;
	pthread_mutex_unlock(&w->lock);
	return list;
}

int workers_in_flight(workers_t *w)
{
	pthread_mutex_lock(&w->lock);
	int n = w->in_flight;
	pthread_mutex_unlock(&w->lock);
	return n;
}
