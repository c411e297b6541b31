/* Thin wrappers over OpenSSL for the few primitives the program uses. */
#ifndef UTIL_CRYPTO_H
#define UTIL_CRYPTO_H
#include <stddef.h>
#include <stdbool.h>

/* hex must hold 65 bytes. */
void crypto_sha256_hex(const void *data, size_t len, char hex[65]);
/* out must hold 32 bytes. */
void crypto_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len, unsigned char out[32]);
void crypto_hex(const unsigned char *in, size_t len, char *out /* 2*len+1 */);
/* Constant-time equality of two equal-length buffers; false when lengths differ. */
bool crypto_equal(const void *a, size_t alen, const void *b, size_t blen);
/* Fills buf with cryptographically secure random bytes; false on failure. */
bool crypto_random(void *buf, size_t len);
/* URL-safe base64 without padding. out must hold 4*ceil(len/3)+1. Returns length written. */
size_t crypto_b64url_encode(const unsigned char *in, size_t len, char *out);
/* Decodes URL-safe base64 (padding optional). Returns decoded length or -1 on bad input;
 * out must hold 3*len/4+3 bytes. */
long crypto_b64url_decode(const char *in, size_t len, unsigned char *out);
/* Standard base64 with padding (RFC 4648 section 4); out as above. */
size_t crypto_b64_encode(const unsigned char *in, size_t len, char *out);
/* Decodes standard or URL-safe base64 (padding optional); as crypto_b64url_decode. */
long crypto_b64_decode(const char *in, size_t len, unsigned char *out);

#endif
