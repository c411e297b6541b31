#include "delivery/send_now.h"
#include "core/outbox.h"
#include "delivery/request.h"
#include "util/metrics.h"
#include <sys/time.h>

bool delivery_send_now(db_t *db, const char *delivery_id, const char *lease, bool allow_private, err_t *err)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	double now = (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
	outbox_job *job = outbox_leased(db, delivery_id, lease, now, err);
	if (!job)
		return err_any(err) ? false
				    : err_set(err, ERR_CODE_LEASE_LOST, "delivery %.64s is no longer leased", delivery_id);
	outbox_outcome o;
	if (job->secret) {
		delivery_request *r = request_new(job, now, allow_private);
		CURLcode rc = curl_easy_perform(request_handle(r));
		request_finish(r, rc, &o);
		request_free(r);
	} else {
		outbox_unsigned_outcome(now, &o);
	}
	delivery_status st;
	bool ok = outbox_record(db, job, &o, &st, err);
	metrics_webhook_deliveries(!ok ? "lost" : st == STATUS_PENDING ? "retry" : schedule_status_name(st), 1);
	outbox_outcome_clear(&o);
	outbox_job_free(job);
	return ok;
}
