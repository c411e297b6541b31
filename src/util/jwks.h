/* Verification of JSON Web Tokens signed with public keys (RS256, ES256)
 * against a JSON Web Key Set (RFC 7517), as an OAuth 2.1 resource server
 * checks the access tokens an authorization server issued. Pure: the caller
 * fetches the key set. Only RS256 with an RSA key and ES256 with a P-256 key
 * are accepted, so "none", HS256 (a public key used as an HMAC secret) and a
 * key of the wrong type are refused whatever the token's header says. */
#ifndef UTIL_JWKS_H
#define UTIL_JWKS_H
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

typedef struct jwks jwks_t;

typedef enum {
	JWKS_OK = 0,
	JWKS_MALFORMED,
	JWKS_BAD_ALG,     /* not RS256 or ES256, or not the key's algorithm */
	JWKS_UNKNOWN_KID, /* no key of the set has the token's kid */
	JWKS_BAD_SIGNATURE,
	JWKS_BAD_ISSUER,
	JWKS_BAD_AUDIENCE,
	JWKS_EXPIRED, /* also: no exp at all */
	JWKS_NOT_YET_VALID,
	JWKS_NO_SUBJECT,
} jwks_result;

/* What the claims must say. */
typedef struct {
	const char *issuer;   /* iss, exactly */
	const char *audience; /* one of aud (a string or an array) */
	time_t now;
	long leeway; /* seconds of clock skew allowed on exp and nbf */
} jwks_expect;

/* Parses a JWK Set ({"keys": [...]}): RSA keys (n, e) and EC P-256 keys
 * (x, y) meant for signatures; other keys are skipped. NULL when the text is
 * not a key set (errbuf says why). */
jwks_t *jwks_parse(const char *json, size_t len, char *errbuf, size_t errlen);
void jwks_free(jwks_t *set);
size_t jwks_count(const jwks_t *set);

/* The token's header alg and kid (either may come back ""); false when the
 * token is not a JWT. */
bool jwks_peek(const char *token, char *alg, size_t algsz, char *kid, size_t kidsz);

/* Verifies token's signature with the set's key named by its kid (no kid:
 * the set's only key of the right type) and its claims against x; on JWKS_OK
 * copies sub. */
jwks_result jwks_verify(const jwks_t *set, const char *token, const jwks_expect *x, char *sub, size_t subsz);
const char *jwks_result_str(jwks_result r);

#endif
