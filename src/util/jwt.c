#include "util/jwt.h"
#include "util/crypto.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { JWT_MAX = 8192 };

const char *jwt_result_str(jwt_result r)
{
	switch (r) {
	case JWT_OK: return "ok";
	case JWT_MALFORMED: return "malformed token";
	case JWT_BAD_ALG: return "unsupported algorithm (only HS256 is accepted)";
	case JWT_BAD_SIGNATURE: return "bad signature";
	case JWT_EXPIRED: return "token expired";
	case JWT_NOT_YET_VALID: return "token not yet valid";
	case JWT_NO_SUBJECT: return "token has no subject";
	}
	return "unknown";
}

static json_t *decode_part(const char *p, size_t len)
{
	unsigned char buf[JWT_MAX];
	if (len > sizeof buf * 4 / 3 - 4)
		return NULL;
	long n = crypto_b64url_decode(p, len, buf);
	if (n < 0)
		return NULL;
	return json_loadb((const char *)buf, (size_t)n, JSON_REJECT_DUPLICATES, NULL);
}

jwt_result jwt_verify_hs256(const char *token, const char *secret, time_t now, char *sub, size_t subsz)
{
	if (!token || strlen(token) > JWT_MAX)
		return JWT_MALFORMED;
	const char *d1 = strchr(token, '.');
	const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	if (!d1 || !d2 || strchr(d2 + 1, '.'))
		return JWT_MALFORMED;

	json_t *hdr = decode_part(token, (size_t)(d1 - token));
	if (!hdr)
		return JWT_MALFORMED;
	const char *alg = json_string_value(json_object_get(hdr, "alg"));
	int alg_ok = alg && strcmp(alg, "HS256") == 0;
	json_decref(hdr);
	if (!alg_ok)
		return JWT_BAD_ALG;

	unsigned char mac[32], given[64];
	crypto_hmac_sha256(secret, strlen(secret), token, (size_t)(d2 - token), mac);
	size_t siglen = strlen(d2 + 1);
	if (siglen > 64)
		return JWT_BAD_SIGNATURE;
	long glen = crypto_b64url_decode(d2 + 1, siglen, given);
	if (glen < 0 || !crypto_equal(mac, sizeof mac, given, (size_t)glen))
		return JWT_BAD_SIGNATURE;

	json_t *claims = decode_part(d1 + 1, (size_t)(d2 - d1 - 1));
	if (!claims || !json_is_object(claims)) {
		json_decref(claims);
		return JWT_MALFORMED;
	}
	jwt_result r = JWT_OK;
	json_t *exp = json_object_get(claims, "exp");
	json_t *nbf = json_object_get(claims, "nbf");
	const char *s = json_string_value(json_object_get(claims, "sub"));
	if (!json_is_number(exp) || json_number_value(exp) <= (double)now)
		r = JWT_EXPIRED;
	else if (nbf && (!json_is_number(nbf) || json_number_value(nbf) > (double)now + 60))
		r = JWT_NOT_YET_VALID;
	else if (!s || !*s)
		r = JWT_NO_SUBJECT;
	else
		snprintf(sub, subsz, "%s", s);
	json_decref(claims);
	return r;
}

char *jwt_sign_hs256(const char *claims_json, const char *secret)
{
	static const char hdr[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	size_t clen = strlen(claims_json);
	size_t cap = (sizeof hdr + clen) * 2 + 64;
	char *out = malloc(cap);
	if (!out)
		return NULL;
	size_t n = crypto_b64url_encode((const unsigned char *)hdr, sizeof hdr - 1, out);
	out[n++] = '.';
	n += crypto_b64url_encode((const unsigned char *)claims_json, clen, out + n);
	unsigned char mac[32];
	crypto_hmac_sha256(secret, strlen(secret), out, n, mac);
	out[n++] = '.';
	crypto_b64url_encode(mac, sizeof mac, out + n);
	return out;
}
