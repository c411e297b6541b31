/* The webhook signature: X-Workestra-Signature: sha256=<hex>, the HMAC-SHA256
 * of "<timestamp>.<body>" keyed with the subscription's secret, where the
 * timestamp is the X-Workestra-Timestamp header (unix seconds). Signing the
 * timestamp lets receivers refuse replays older than their tolerance. */
#ifndef DELIVERY_SIGNING_H
#define DELIVERY_SIGNING_H
#include <stddef.h>

enum { SIGNING_HEADER_LEN = 7 + 64 + 1 }; /* "sha256=" + hex + NUL */

void signing_sign(const char *secret, long long timestamp, const char *body, size_t body_len,
		  char out[SIGNING_HEADER_LEN]);

#endif
