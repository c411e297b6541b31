/* One signed webhook POST as a libcurl easy handle: JSON body, the
 * X-Workestra-* headers, a 10 s timeout, no redirects, no proxies, http(s)
 * only, and the SSRF policy applied to each address curl is about to connect
 * to (after DNS resolution, so rebinding cannot slip past the check made when
 * the subscription was saved). Runs under a multi handle (the pump) or alone
 * (the test button). */
#ifndef DELIVERY_REQUEST_H
#define DELIVERY_REQUEST_H
#include "core/outbox.h"
#include <curl/curl.h>

enum { REQUEST_TIMEOUT_MS = 10000 };

typedef struct delivery_request delivery_request;

/* A request for job (borrowed: it must outlive the request); at is the
 * scheduler clock's now. Never NULL. */
delivery_request *request_new(const outbox_job *job, double at, bool allow_private);
CURL *request_handle(delivery_request *r);
/* Fills o from the finished transfer (rc is its result); o->response_body is
 * the caller's to clear. */
void request_finish(delivery_request *r, CURLcode rc, outbox_outcome *o);
void request_free(delivery_request *r);

#endif
