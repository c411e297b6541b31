/* libFuzzer harness: HS256 JWT verification (util/jwt.c). An input without a
 * newline is a token as a client sends it. An input "HEADER\nCLAIMS" is two
 * JSON texts that the harness encodes and signs with the server's secret, so
 * the fuzzer reaches the header and claims checks behind the signature. */
#include "util/crypto.h"
#include "util/jwt.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Above the verifier's own 8 KB limit, so its refusal is exercised too. */
enum { MAX_INPUT = 10 * 1024 };

static const char SECRET[] = "fuzz-jwt-secret";
static const time_t NOW = 1795000000; /* 2026-11-18 */

/* base64url(header) "." base64url(claims) "." base64url(HMAC); malloc'd. */
static char *sign(const char *header, size_t hlen, const char *claims, size_t clen)
{
	char *tok = malloc((hlen + clen) * 2 + 64);
	if (!tok)
		abort();
	size_t n = crypto_b64url_encode((const unsigned char *)header, hlen, tok);
	tok[n++] = '.';
	n += crypto_b64url_encode((const unsigned char *)claims, clen, tok + n);
	unsigned char mac[32];
	crypto_hmac_sha256(SECRET, strlen(SECRET), tok, n, mac);
	tok[n++] = '.';
	crypto_b64url_encode(mac, sizeof mac, tok + n);
	return tok;
}

static void verify(const char *token)
{
	char sub[16];
	memset(sub, 'x', sizeof sub);
	jwt_result r = jwt_verify_hs256(token, SECRET, NOW, sub, sizeof sub);
	if (!jwt_result_str(r)[0])
		abort();
	/* a subject comes back only with JWT_OK, cut to fit and terminated */
	if (r == JWT_OK && (!memchr(sub, '\0', sizeof sub) || !sub[0]))
		abort();
	if (r != JWT_OK && sub[0] != 'x')
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > MAX_INPUT)
		return 0;
	char *text = malloc(size + 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	char *nl = memchr(text, '\n', size);
	if (!nl) {
		verify(text);
	} else {
		char *tok = sign(text, (size_t)(nl - text), nl + 1, size - (size_t)(nl - text) - 1);
		verify(tok);
		free(tok);
	}
	free(text);
	return 0;
}
