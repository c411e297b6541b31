/* util/jwks without a network: key sets that are not key sets, keys that are
 * skipped, and tokens refused before any signature is checked. */
#include <criterion/criterion.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <string.h>
#include "util/crypto.h"
#include "util/jwks.h"

static char *jw_token(const char *hdr, const char *claims, const char *sig)
{
	static char out[4096];
	size_t n = crypto_b64url_encode((const unsigned char *)hdr, strlen(hdr), out);
	out[n++] = '.';
	n += crypto_b64url_encode((const unsigned char *)claims, strlen(claims), out + n);
	snprintf(out + n, sizeof out - n, ".%s", sig);
	return out;
}

Test(jwks, sets_that_are_not_sets_and_keys_that_are_skipped)
{
	char err[200];
	cr_assert_null(jwks_parse("[]", 2, err, sizeof err));
	cr_assert_null(jwks_parse("{\"keys\":{}}", 11, err, sizeof err));
	cr_assert_null(jwks_parse("not json", 8, err, sizeof err));
	/* An HMAC key, an encryption key, a short RSA key, a P-384 key: none used. */
	const char *set = "{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"},"
			  "{\"kty\":\"RSA\",\"use\":\"enc\",\"n\":\"AQAB\",\"e\":\"AQAB\"},"
			  "{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"},"
			  "{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"AA\",\"y\":\"AA\"}]}";
	jwks_t *k = jwks_parse(set, strlen(set), err, sizeof err);
	cr_assert_not_null(k);
	cr_assert_eq(jwks_count(k), 0);
	jwks_free(k);
}

Test(jwks, an_ec_key_parses_and_tokens_are_refused_by_alg_before_their_signature)
{
	EVP_PKEY *ec = EVP_EC_gen("P-256");
	BIGNUM *x = NULL, *y = NULL;
	cr_assert(EVP_PKEY_get_bn_param(ec, OSSL_PKEY_PARAM_EC_PUB_X, &x) && EVP_PKEY_get_bn_param(ec, OSSL_PKEY_PARAM_EC_PUB_Y, &y));
	unsigned char bx[32], by[32];
	BN_bn2binpad(x, bx, 32);
	BN_bn2binpad(y, by, 32);
	char sx[64], sy[64], set[300], err[200];
	sx[crypto_b64url_encode(bx, 32, sx)] = '\0';
	sy[crypto_b64url_encode(by, 32, sy)] = '\0';
	snprintf(set, sizeof set, "{\"keys\":[{\"kty\":\"EC\",\"kid\":\"k1\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"}]}", sx, sy);
	jwks_t *k = jwks_parse(set, strlen(set), err, sizeof err);
	cr_assert_eq(jwks_count(k), 1, "%s", set);
	jwks_expect want = { "https://issuer", "https://rs/mcp", 1000, 30 };
	char sub[64], alg[16], kid[16];
	const char *claims = "{\"iss\":\"https://issuer\",\"aud\":\"https://rs/mcp\",\"sub\":\"u_1\",\"exp\":2000}";
	cr_assert_eq(jwks_verify(k, jw_token("{\"alg\":\"none\",\"kid\":\"k1\"}", claims, ""), &want, sub, sizeof sub), JWKS_BAD_ALG);
	cr_assert_eq(jwks_verify(k, jw_token("{\"alg\":\"HS256\",\"kid\":\"k1\"}", claims, "AAAA"), &want, sub, sizeof sub), JWKS_BAD_ALG);
	cr_assert_eq(jwks_verify(k, jw_token("{\"alg\":\"RS256\",\"kid\":\"k1\"}", claims, "AAAA"), &want, sub, sizeof sub), JWKS_BAD_ALG,
		     "an RS256 header naming an EC key");
	cr_assert_eq(jwks_verify(k, jw_token("{\"alg\":\"ES256\",\"kid\":\"k9\"}", claims, "AAAA"), &want, sub, sizeof sub), JWKS_UNKNOWN_KID);
	cr_assert_eq(jwks_verify(k, jw_token("{\"alg\":\"ES256\",\"kid\":\"k1\"}", claims, "AAAA"), &want, sub, sizeof sub), JWKS_BAD_SIGNATURE);
	cr_assert_eq(jwks_verify(k, "a.b", &want, sub, sizeof sub), JWKS_MALFORMED);
	cr_assert_eq(jwks_verify(k, "a.b.c.d", &want, sub, sizeof sub), JWKS_MALFORMED);
	cr_assert(jwks_peek(jw_token("{\"alg\":\"ES256\",\"kid\":\"k1\"}", claims, "x"), alg, sizeof alg, kid, sizeof kid));
	cr_assert_str_eq(alg, "ES256");
	cr_assert_str_eq(kid, "k1");
	cr_assert_not(jwks_peek("tok_abc.def", alg, sizeof alg, kid, sizeof kid));
	jwks_free(k);
	BN_free(x);
	BN_free(y);
	EVP_PKEY_free(ec);
}
