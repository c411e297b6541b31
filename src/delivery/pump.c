#include "delivery/pump.h"
#include "core/outbox.h"
#include "delivery/request.h"
#include "util/log.h"
#include "util/metrics.h"
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

/* DEFAULT_CAPACITY: transfers at once, and so the most a batch leases or
 * records; 128 drained 1.5 times the deliveries a second of 32 in
 * bench/webhooks.sh, with a third less PostgreSQL CPU for each.
 * REAP_INTERVAL_MS: attempts of dead senders are looked for on the first fill
 * and then at most this often: their leases ran out a minute ago already,
 * and a look on every fill would cost a round trip per batch. */
enum { DEFAULT_CAPACITY = 128, REAP_INTERVAL_MS = 1000 };

typedef struct transfer {
	outbox_job *job;
	delivery_request *req;
	struct transfer *next;
} transfer;

struct pump {
	db_t *db;
	CURLM *multi;
	pump_config cfg;
	transfer *running;
	int in_flight;
	bool more_due;
	pump_stats stats;
	/* Finished attempts not yet recorded: every transfer that ends in one
	 * collect (and every unsigned job of one fill) is recorded in one
	 * statement. At most capacity of them, as transfers. */
	outbox_result *batch;
	outbox_job **jobs; /* the batch's jobs, owned */
	int nbatch;
	long long reaped_at; /* monotonic ms of the last reap; 0: never */
};

pump_t *pump_new(db_t *db, const pump_config *cfg)
{
	pump_t *p = calloc(1, sizeof *p);
	if (!p || !(p->multi = curl_multi_init()))
		abort();
	p->db = db;
	db_plan_each_time(db); /* each statement leases or records a batch of a backlog that grows and shrinks */
	p->cfg = *cfg;
	if (p->cfg.capacity <= 0 || p->cfg.capacity > 256)
		p->cfg.capacity = DEFAULT_CAPACITY;
	p->batch = calloc((size_t)p->cfg.capacity, sizeof *p->batch);
	p->jobs = calloc((size_t)p->cfg.capacity, sizeof *p->jobs);
	if (!p->batch || !p->jobs)
		abort();
	return p;
}

static void transfer_free(pump_t *p, transfer *t)
{
	curl_multi_remove_handle(p->multi, request_handle(t->req));
	request_free(t->req);
	outbox_job_free(t->job);
	free(t);
}

static void flush(pump_t *p);

void pump_free(pump_t *p)
{
	if (!p)
		return;
	flush(p);
	for (transfer *t = p->running; t;) {
		transfer *next = t->next;
		outbox_release(p->db, t->job); /* its attempt is closed as unknown, and retried */
		transfer_free(p, t);
		t = next;
	}
	curl_multi_cleanup(p->multi);
	free(p->batch);
	free(p->jobs);
	free(p);
}

double pump_now(const pump_t *p)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6 + p->cfg.clock_offset;
}

void pump_count(pump_stats *s, int status, bool recorded)
{
	s->attempted++;
	if (!recorded)
		s->lost++;
	else if (status == STATUS_DELIVERED)
		s->delivered++;
	else if (status == STATUS_PENDING)
		s->retrying++;
	else
		s->failed++;
}

static long long monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Counts and logs (one line per attempt) a result; ok is whether it was
 * recorded, err why not; counts: lost, retry, delivered, failed. */
static void settle(pump_t *p, outbox_result *r, bool ok, const err_t *err, long counts[4])
{
	const outbox_job *job = r->job;
	const outbox_outcome *o = &r->outcome;
	bool recorded = ok && r->held;
	pump_count(&p->stats, (int)r->status, recorded);
	counts[!recorded ? 0 : r->status == STATUS_PENDING ? 1 : r->status == STATUS_DELIVERED ? 2 : 3]++;
	const char *status = recorded ? schedule_status_name(r->status) : ok ? err_code_name(ERR_CODE_LEASE_LOST) : err_name(err);
	log_json(recorded ? LOG_INFO : LOG_WARN, "webhook attempt",
		 json_pack("{s:s, s:s, s:i, s:I, s:I, s:s, s:s?}", "delivery", job->id, "event", job->event, "attempt",
			   job->attempt, "response_code", (json_int_t)o->response_code, "duration_ms",
			   (json_int_t)o->duration_ms, "status", status, "error", o->error[0] ? o->error : NULL));
	outbox_outcome_clear(&r->outcome);
}

/* Records the finished attempts in one statement. When that fails for a
 * reason other than the database being away (a deadlock, one row's data),
 * each is recorded alone, so one bad row does not cost the others their
 * record. What cannot be recorded counts as lost: its attempt stays in
 * flight until its lease runs out, and then it is closed as unknown and the
 * delivery sent again, with the same delivery id. */
static void flush(pump_t *p)
{
	if (!p->nbatch)
		return;
	err_t err = { 0 };
	long counts[4] = { 0 }; /* lost, retry, delivered, failed */
	if (outbox_record_many(p->db, p->batch, p->nbatch, &err)) {
		for (int i = 0; i < p->nbatch; i++)
			settle(p, &p->batch[i], true, NULL, counts);
	} else if (p->nbatch > 1 && err.code != ERR_CODE_DATABASE_UNAVAILABLE && err.code != ERR_CODE_TIMEOUT) {
		log_msg(LOG_WARN, "webhook dispatcher: recording %d attempts at once failed (%s); recording each alone",
			p->nbatch, err.message);
		for (int i = 0; i < p->nbatch; i++) {
			err_t one = { 0 };
			bool ok = outbox_record_many(p->db, &p->batch[i], 1, &one);
			settle(p, &p->batch[i], ok, &one, counts);
		}
	} else {
		for (int i = 0; i < p->nbatch; i++)
			settle(p, &p->batch[i], false, &err, counts);
	}
	for (int i = 0; i < p->nbatch; i++)
		outbox_job_free(p->jobs[i]);
	p->nbatch = 0;
	metrics_webhook_deliveries("lost", counts[0]);
	metrics_webhook_deliveries("retry", counts[1]);
	metrics_webhook_deliveries(schedule_status_name(STATUS_DELIVERED), counts[2]);
	metrics_webhook_deliveries(schedule_status_name(STATUS_FAILED), counts[3]);
}

/* Adds a finished attempt (job and outcome now belong to the batch). */
static void finished(pump_t *p, outbox_job *job, const outbox_outcome *o)
{
	if (p->nbatch == p->cfg.capacity)
		flush(p);
	p->jobs[p->nbatch] = job;
	p->batch[p->nbatch++] = (outbox_result){ .job = job, .outcome = *o };
}

int pump_fill(pump_t *p)
{
	int room = p->cfg.capacity - p->in_flight;
	p->more_due = false;
	if (room <= 0) {
		p->more_due = true;
		return 0;
	}
	err_t err = { 0 };
	/* Attempts whose sender died are closed first: only then can their
	 * deliveries be leased again. */
	int unknown = 0;
	long long now_ms = monotonic_ms();
	if (!p->reaped_at || now_ms - p->reaped_at >= REAP_INTERVAL_MS) {
		unknown = outbox_reap(p->db, pump_now(p), &err);
		if (unknown >= 0)
			p->reaped_at = now_ms;
	}
	if (unknown > 0)
		p->stats.unknown += unknown;
	metrics_webhook_deliveries("unknown", unknown);
	outbox_job *jobs = unknown < 0 ? NULL : outbox_lease(p->db, pump_now(p), room, &err);
	if (err_any(&err)) {
		log_msg(LOG_WARN, "webhook dispatcher: leasing failed: %s", err.message);
		return -1;
	}
	int n = 0;
	while (jobs) {
		outbox_job *job = jobs;
		jobs = job->next;
		job->next = NULL;
		n++;
		if (!job->secret) {
			/* A job whose secret does not open cannot be signed: failed
			 * without sending. */
			outbox_outcome o;
			outbox_unsigned_outcome(pump_now(p), &o);
			finished(p, job, &o);
			continue;
		}
		transfer *t = calloc(1, sizeof *t);
		if (!t)
			abort();
		t->job = job;
		t->req = request_new(job, pump_now(p), p->cfg.allow_private);
		t->next = p->running;
		p->running = t;
		p->in_flight++;
		curl_multi_add_handle(p->multi, request_handle(t->req));
	}
	flush(p);
	p->more_due = n == room;
	return n;
}

bool pump_more_due(const pump_t *p)
{
	return p->more_due;
}

int pump_in_flight(const pump_t *p)
{
	return p->in_flight;
}

void pump_wait(pump_t *p, int extra_fd, int timeout_ms, bool *extra_ready)
{
	struct curl_waitfd extra = { .fd = extra_fd, .events = CURL_WAIT_POLLIN };
	int numfds = 0;
	*extra_ready = false;
	curl_multi_poll(p->multi, extra_fd >= 0 ? &extra : NULL, extra_fd >= 0 ? 1 : 0, timeout_ms, &numfds);
	*extra_ready = extra_fd >= 0 && (extra.revents & CURL_WAIT_POLLIN);
}

void pump_wakeup(pump_t *p)
{
	curl_multi_wakeup(p->multi);
}

int pump_collect(pump_t *p)
{
	int running = 0, done = 0, left = 0;
	curl_multi_perform(p->multi, &running);
	CURLMsg *msg;
	while ((msg = curl_multi_info_read(p->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		transfer **link = &p->running;
		while (*link && request_handle((*link)->req) != msg->easy_handle)
			link = &(*link)->next;
		transfer *t = *link;
		if (!t)
			continue;
		*link = t->next;
		p->in_flight--;
		done++;
		outbox_outcome o;
		request_finish(t->req, msg->data.result, &o);
		finished(p, t->job, &o);
		t->job = NULL; /* the batch's now */
		transfer_free(p, t);
	}
	flush(p);
	return done;
}

bool pump_drain(pump_t *p)
{
	/* The database is asked again only when a transfer has finished, since
	 * only then is there room for more. */
	bool refill = true;
	for (;;) {
		if (refill && pump_fill(p) < 0)
			return false;
		if (pump_in_flight(p) == 0)
			return true;
		bool ignored;
		pump_wait(p, -1, 1000, &ignored);
		refill = pump_collect(p) > 0;
	}
}

const pump_stats *pump_get_stats(const pump_t *p)
{
	return &p->stats;
}
