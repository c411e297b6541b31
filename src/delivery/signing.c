#include "delivery/signing.h"
#include "util/crypto.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* HMAC-SHA256 of prefix followed by body. */
static void mac_of(const void *key, size_t keylen, const char *prefix, size_t plen, const char *body, size_t body_len,
		   unsigned char mac[32])
{
	char *msg = malloc(plen + body_len + 1);
	if (!msg)
		abort();
	memcpy(msg, prefix, plen);
	memcpy(msg + plen, body, body_len);
	crypto_hmac_sha256(key, keylen, msg, plen + body_len, mac);
	free(msg);
}

void signing_sign(const char *secret, long long timestamp, const char *body, size_t body_len,
		  char out[SIGNING_HEADER_LEN])
{
	char prefix[32];
	int plen = snprintf(prefix, sizeof prefix, "%lld.", timestamp);
	unsigned char mac[32];
	mac_of(secret, strlen(secret), prefix, (size_t)plen, body, body_len, mac);
	memcpy(out, "sha256=", 7);
	crypto_hex(mac, sizeof mac, out + 7);
}

size_t signing_standard_key(const char *secret, unsigned char key[SIGNING_KEY_MAX])
{
	size_t n = strlen(secret);
	if (!strncmp(secret, "whsec_", 6) && n - 6 <= (SIGNING_KEY_MAX - 3) * 4 / 3) {
		long k = crypto_b64_decode(secret + 6, n - 6, key);
		if (k > 0)
			return (size_t)k;
	}
	if (n > SIGNING_KEY_MAX)
		n = SIGNING_KEY_MAX; /* secrets are at most 256 characters (core/webhooks) */
	memcpy(key, secret, n);
	return n;
}

void signing_standard(const char *secret, const char *msg_id, long long timestamp, const char *body, size_t body_len,
		      char out[SIGNING_STANDARD_LEN])
{
	unsigned char key[SIGNING_KEY_MAX], mac[32];
	size_t klen = signing_standard_key(secret, key);
	char prefix[128];
	int plen = snprintf(prefix, sizeof prefix, "%.80s.%lld.", msg_id, timestamp);
	mac_of(key, klen, prefix, (size_t)plen, body, body_len, mac);
	memset(key, 0, sizeof key);
	memcpy(out, "v1,", 3);
	crypto_b64_encode(mac, sizeof mac, out + 3);
}
