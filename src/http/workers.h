/* A fixed pool of worker threads that run application handlers off the event
 * loop. Each worker owns per-thread state (e.g. its database connection). A
 * finished job is queued back and the loop is woken with a callback. */
#ifndef HTTP_WORKERS_H
#define HTTP_WORKERS_H
#include "http/message.h"
#include <stdbool.h>

typedef struct {
	void *(*state_new)(void *app);  /* on the worker's thread */
	void (*state_free)(void *state);
	void (*handle)(void *state, const http_request *req, http_response *resp);
	/* Before a body that has not arrived yet is read: whether to read it
	 * (routing and credentials allow it); false fills resp with the answer.
	 * NULL: every body is read. The body is empty when this runs. */
	bool (*admit)(void *state, const http_request *req, http_response *resp);
	void *app;
} http_app;

typedef struct workers_job {
	http_request req;
	http_response resp;
	arena_t *arena;          /* owns req, resp and everything they point to */
	void *owner;             /* the connection's state; the loop thread's business */
	bool orphaned;           /* the client left; only the loop thread reads/writes it */
	bool admitting;          /* run app.admit instead of app.handle */
	bool admitted;           /* admit's answer */
	struct workers_job *next;
} workers_job;

typedef struct workers workers_t;

/* Starts n threads; wake(wake_arg) is called (from a worker) when a job is done. */
workers_t *workers_start(int n, const http_app *app, void (*wake)(void *), void *wake_arg);
/* Finishes queued jobs and joins the threads; finished jobs stay to be taken. */
void workers_stop(workers_t *w);
/* Frees the pool and any finished job nobody took. After workers_stop. */
void workers_free(workers_t *w);
/* Queues a job; the pool owns it until it comes back from workers_take_done. */
void workers_submit(workers_t *w, workers_job *job);
/* Detaches every finished job (a list linked by next); the caller owns them. */
workers_job *workers_take_done(workers_t *w);
/* Jobs submitted and not yet taken back. */
int workers_in_flight(workers_t *w);

workers_job *workers_job_new(void);
void workers_job_free(workers_job *job);

#endif
