/* libFuzzer harness: OAuth access-token checks (util/jwks.c). An input whose
 * first byte is '{' is a JSON Web Key Set: parsed, counted, freed, and a
 * fixed ES256 token checked against it. Any other input is a token as a
 * client sends it, checked against a fixed set of one P-256 key. */
#include "util/jwks.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_INPUT = 20 * 1024 };

static const char SET[] = "{\"keys\":[{\"kty\":\"EC\",\"kid\":\"k1\",\"crv\":\"P-256\","
			  "\"x\":\"cq6WG-x7OyuMU-YLA39JCaZm-0tVktMZLm5qpd8OnMI\","
			  "\"y\":\"xZU_GNQ1mZQXPZCVQ1J9YPLQzr43mhXMiwOILGXzH24\"}]}";
/* {"alg":"ES256","kid":"k1"}.{"iss":"https://issuer","sub":"u_1"}.(64 zero bytes) */
static const char TOKEN[] = "eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIn0.eyJpc3MiOiJodHRwczovL2lzc3VlciIsInN1YiI6InVfMSJ9."
			    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

static void check(const jwks_t *set, const char *token)
{
	jwks_expect x = { "https://issuer", "https://rs/mcp", 1795000000, 30 };
	char sub[16], alg[16], kid[16];
	memset(sub, 'x', sizeof sub);
	jwks_result r = jwks_verify(set, token, &x, sub, sizeof sub);
	if (!jwks_result_str(r)[0])
		abort();
	/* a subject comes back only with JWKS_OK (which needs a real signature) */
	if (r == JWKS_OK && !memchr(sub, '\0', sizeof sub))
		abort();
	if (r != JWKS_OK && sub[0] != 'x')
		abort();
	if (jwks_peek(token, alg, sizeof alg, kid, sizeof kid) && (!memchr(alg, '\0', sizeof alg) || !memchr(kid, '\0', sizeof kid)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static jwks_t *fixed;
	char err[200];
	if (!fixed && !(fixed = jwks_parse(SET, sizeof SET - 1, err, sizeof err)))
		abort();
	if (size > MAX_INPUT)
		return 0;
	char *text = malloc(size + 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	if (size && text[0] == '{') {
		jwks_t *set = jwks_parse(text, size, err, sizeof err);
		if (set && jwks_count(set) > 32)
			abort();
		check(set, TOKEN);
		jwks_free(set);
	} else {
		check(fixed, text);
	}
	free(text);
	return 0;
}
