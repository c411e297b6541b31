/* Webhook signatures, two of them on every delivery.
 *
 * X-Workestra-Signature: sha256=<hex>, the HMAC-SHA256 of "<timestamp>.<body>"
 * keyed with the subscription's secret as text, where the timestamp is the
 * X-Workestra-Timestamp header (unix seconds). Signing the timestamp lets
 * receivers refuse replays older than their tolerance.
 *
 * Standard Webhooks (https://www.standardwebhooks.com): webhook-signature is
 * "v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>">",
 * keyed with the bytes the secret stands for: a "whsec_<base64>" secret is
 * the base64-decoded part (standard or URL-safe alphabet, so the secrets made
 * before this signature, URL-safe, keep their bytes); any other secret is its
 * own bytes (the libraries' "raw" format). */
#ifndef DELIVERY_SIGNING_H
#define DELIVERY_SIGNING_H
#include <stddef.h>

enum {
	SIGNING_HEADER_LEN = 7 + 64 + 1,   /* "sha256=" + hex + NUL */
	SIGNING_STANDARD_LEN = 3 + 44 + 1, /* "v1," + base64 of 32 bytes + NUL */
	SIGNING_KEY_MAX = 256,
};

void signing_sign(const char *secret, long long timestamp, const char *body, size_t body_len,
		  char out[SIGNING_HEADER_LEN]);
/* The Standard Webhooks key of secret into key; returns its length. */
size_t signing_standard_key(const char *secret, unsigned char key[SIGNING_KEY_MAX]);
/* One "v1,<base64>" entry of webhook-signature. */
void signing_standard(const char *secret, const char *msg_id, long long timestamp, const char *body, size_t body_len,
		      char out[SIGNING_STANDARD_LEN]);

#endif
