#include "delivery/signing.h"
#include "util/crypto.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void signing_sign(const char *secret, long long timestamp, const char *body, size_t body_len,
		  char out[SIGNING_HEADER_LEN])
{
	char prefix[32];
	int plen = snprintf(prefix, sizeof prefix, "%lld.", timestamp);
	char *msg = malloc((size_t)plen + body_len + 1);
	if (!msg)
		abort();
	memcpy(msg, prefix, (size_t)plen);
	memcpy(msg + plen, body, body_len);
	unsigned char mac[32];
	crypto_hmac_sha256(secret, strlen(secret), msg, (size_t)plen + body_len, mac);
	free(msg);
	memcpy(out, "sha256=", 7);
	crypto_hex(mac, sizeof mac, out + 7);
}
