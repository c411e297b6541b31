#include "delivery/pump.h"
#include "core/outbox.h"
#include "delivery/request.h"
#include "util/log.h"
#include "util/metrics.h"
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

enum { DEFAULT_CAPACITY = 32 };

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
};

pump_t *pump_new(db_t *db, const pump_config *cfg)
{
	pump_t *p = calloc(1, sizeof *p);
	if (!p || !(p->multi = curl_multi_init()))
		abort();
	p->db = db;
	p->cfg = *cfg;
	if (p->cfg.capacity <= 0 || p->cfg.capacity > 256)
		p->cfg.capacity = DEFAULT_CAPACITY;
	return p;
}

static void transfer_free(pump_t *p, transfer *t)
{
	curl_multi_remove_handle(p->multi, request_handle(t->req));
	request_free(t->req);
	outbox_job_free(t->job);
	free(t);
}

void pump_free(pump_t *p)
{
	if (!p)
		return;
	for (transfer *t = p->running; t;) {
		transfer *next = t->next;
		outbox_release(p->db, t->job); /* its attempt is closed as unknown, and retried */
		transfer_free(p, t);
		t = next;
	}
	curl_multi_cleanup(p->multi);
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

/* Records the outcome and logs one line per attempt. */
static void record(pump_t *p, const outbox_job *job, outbox_outcome *o)
{
	err_t err = { 0 };
	delivery_status st = STATUS_FAILED;
	bool ok = outbox_record(p->db, job, o, &st, &err);
	pump_count(&p->stats, (int)st, ok);
	metrics_webhook_deliveries(!ok ? "lost" : st == STATUS_PENDING ? "retry" : schedule_status_name(st), 1);
	log_json(ok ? LOG_INFO : LOG_WARN, "webhook attempt",
		 json_pack("{s:s, s:s, s:i, s:I, s:I, s:s, s:s?}", "delivery", job->id, "event", job->event, "attempt",
			   job->attempt, "response_code", (json_int_t)o->response_code, "duration_ms",
			   (json_int_t)o->duration_ms, "status", ok ? schedule_status_name(st) : err_name(&err), "error",
			   o->error[0] ? o->error : NULL));
	outbox_outcome_clear(o);
}

/* A job whose secret does not open cannot be signed: fail it without sending. */
static void fail_unsigned(pump_t *p, outbox_job *job)
{
	outbox_outcome o;
	outbox_unsigned_outcome(pump_now(p), &o);
	record(p, job, &o);
	outbox_job_free(job);
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
	int unknown = outbox_reap(p->db, pump_now(p), &err);
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
			fail_unsigned(p, job);
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
		record(p, t->job, &o);
		transfer_free(p, t);
	}
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
