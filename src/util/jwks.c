#include "util/jwks.h"
#include "util/crypto.h"
#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { TOKEN_MAX = 16384, MAX_KEYS = 32, PART_MAX = 12288 };

typedef enum { KEY_RSA, KEY_EC } key_type;

typedef struct {
	char kid[128];
	key_type type;
	EVP_PKEY *pkey;
} jwk;

struct jwks {
	jwk keys[MAX_KEYS];
	size_t n;
};

const char *jwks_result_str(jwks_result r)
{
	switch (r) {
	case JWKS_OK: return "ok";
	case JWKS_MALFORMED: return "malformed token";
	case JWKS_BAD_ALG: return "unsupported algorithm (RS256 and ES256 are accepted)";
	case JWKS_UNKNOWN_KID: return "signed with a key the authorization server does not publish";
	case JWKS_BAD_SIGNATURE: return "bad signature";
	case JWKS_BAD_ISSUER: return "issued by another authorization server";
	case JWKS_BAD_AUDIENCE: return "meant for another resource (aud)";
	case JWKS_EXPIRED: return "token expired (or has no exp)";
	case JWKS_NOT_YET_VALID: return "token not yet valid";
	case JWKS_NO_SUBJECT: return "token has no subject";
	}
	return "unknown";
}

/* base64url text of a JSON string member, decoded into out; its length or -1. */
static long b64_member(json_t *o, const char *name, unsigned char *out, size_t cap)
{
	const char *s = json_string_value(json_object_get(o, name));
	size_t len = s ? strlen(s) : 0;
	if (!len || len / 4 * 3 + 3 > cap)
		return -1;
	return crypto_b64url_decode(s, len, out);
}

static EVP_PKEY *from_params(const char *type, OSSL_PARAM_BLD *b)
{
	OSSL_PARAM *params = b ? OSSL_PARAM_BLD_to_param(b) : NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *pkey = NULL;
	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return pkey;
}

static EVP_PKEY *rsa_key(json_t *k)
{
	unsigned char n[1024], e[16];
	long nl = b64_member(k, "n", n, sizeof n), el = b64_member(k, "e", e, sizeof e);
	if (nl < 256 || el < 1) /* RSA keys under 2048 bits are refused */
		return NULL;
	BIGNUM *bn = BN_bin2bn(n, (int)nl, NULL), *be = BN_bin2bn(e, (int)el, NULL);
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	EVP_PKEY *pkey = NULL;
	if (bn && be && b && OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, bn) &&
	    OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, be))
		pkey = from_params("RSA", b);
	OSSL_PARAM_BLD_free(b);
	BN_free(bn);
	BN_free(be);
	return pkey;
}

static EVP_PKEY *ec_key(json_t *k)
{
	const char *crv = json_string_value(json_object_get(k, "crv"));
	unsigned char x[48], y[48], point[65];
	if (!crv || strcmp(crv, "P-256") || b64_member(k, "x", x, sizeof x) != 32 || b64_member(k, "y", y, sizeof y) != 32)
		return NULL;
	point[0] = 0x04; /* uncompressed */
	memcpy(point + 1, x, 32);
	memcpy(point + 33, y, 32);
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	EVP_PKEY *pkey = NULL;
	if (b && OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) &&
	    OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point))
		pkey = from_params("EC", b);
	OSSL_PARAM_BLD_free(b);
	return pkey;
}

jwks_t *jwks_parse(const char *text, size_t len, char *errbuf, size_t errlen)
{
	json_error_t jerr;
	json_t *doc = json_loadb(text, len, 0, &jerr), *keys = json_object_get(doc, "keys"), *k;
	if (!json_is_array(keys)) {
		snprintf(errbuf, errlen, "not a JSON Web Key Set (no \"keys\" array)");
		json_decref(doc);
		return NULL;
	}
	jwks_t *set = calloc(1, sizeof *set);
	if (!set)
		abort();
	size_t i;
	json_array_foreach(keys, i, k) {
		const char *kty = json_string_value(json_object_get(k, "kty"));
		const char *use = json_string_value(json_object_get(k, "use"));
		const char *alg = json_string_value(json_object_get(k, "alg"));
		const char *kid = json_string_value(json_object_get(k, "kid"));
		if (set->n == MAX_KEYS || !kty || (use && strcmp(use, "sig")))
			continue;
		jwk *key = &set->keys[set->n];
		if (!strcmp(kty, "RSA") && (!alg || !strcmp(alg, "RS256"))) {
			key->type = KEY_RSA;
			key->pkey = rsa_key(k);
		} else if (!strcmp(kty, "EC") && (!alg || !strcmp(alg, "ES256"))) {
			key->type = KEY_EC;
			key->pkey = ec_key(k);
		}
		if (!key->pkey)
			continue;
		snprintf(key->kid, sizeof key->kid, "%s", kid ? kid : "");
		set->n++;
	}
	json_decref(doc);
	return set;
}

void jwks_free(jwks_t *set)
{
	for (size_t i = 0; set && i < set->n; i++)
		EVP_PKEY_free(set->keys[i].pkey);
	free(set);
}

size_t jwks_count(const jwks_t *set)
{
	return set ? set->n : 0;
}

static json_t *decode_json(const char *p, size_t len)
{
	unsigned char buf[PART_MAX];
	if (len / 4 * 3 + 3 > sizeof buf)
		return NULL;
	long n = crypto_b64url_decode(p, len, buf);
	json_t *v = n < 0 ? NULL : json_loadb((const char *)buf, (size_t)n, JSON_REJECT_DUPLICATES, NULL);
	if (v && !json_is_object(v)) {
		json_decref(v);
		v = NULL;
	}
	return v;
}

/* The two dots of a compact JWS, or false. */
static bool split(const char *token, const char **d1, const char **d2)
{
	if (!token || strlen(token) > TOKEN_MAX)
		return false;
	*d1 = strchr(token, '.');
	*d2 = *d1 ? strchr(*d1 + 1, '.') : NULL;
	return *d1 && *d2 && !strchr(*d2 + 1, '.');
}

bool jwks_peek(const char *token, char *alg, size_t algsz, char *kid, size_t kidsz)
{
	const char *d1, *d2;
	if (!split(token, &d1, &d2))
		return false;
	json_t *hdr = decode_json(token, (size_t)(d1 - token));
	if (!hdr)
		return false;
	const char *a = json_string_value(json_object_get(hdr, "alg"));
	const char *k = json_string_value(json_object_get(hdr, "kid"));
	snprintf(alg, algsz, "%s", a ? a : "");
	snprintf(kid, kidsz, "%s", k ? k : "");
	json_decref(hdr);
	return true;
}

/* JWS ES256 signatures are r || s (32 bytes each); OpenSSL verifies DER. */
static bool es256_der(const unsigned char *raw, size_t len, unsigned char *der, size_t *derlen)
{
	if (len != 64)
		return false;
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(raw, 32, NULL), *s = BN_bin2bn(raw + 32, 32, NULL);
	if (!sig || !r || !s || !ECDSA_SIG_set0(sig, r, s)) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(sig);
		return false;
	}
	unsigned char *p = der;
	int n = i2d_ECDSA_SIG(sig, NULL);
	bool ok = n > 0 && (size_t)n <= *derlen && i2d_ECDSA_SIG(sig, &p) == n;
	*derlen = ok ? (size_t)n : 0;
	ECDSA_SIG_free(sig);
	return ok;
}

static bool signature_ok(const jwk *key, const char *signed_part, size_t signed_len, const char *sig_b64)
{
	unsigned char sig[1024], der[128];
	size_t slen = strlen(sig_b64);
	if (!slen || slen / 4 * 3 + 3 > sizeof sig)
		return false;
	long n = crypto_b64url_decode(sig_b64, slen, sig);
	if (n <= 0)
		return false;
	const unsigned char *check = sig;
	size_t check_len = (size_t)n;
	if (key->type == KEY_EC) {
		size_t dl = sizeof der;
		if (!es256_der(sig, (size_t)n, der, &dl))
			return false;
		check = der;
		check_len = dl;
	}
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	bool ok = md && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key->pkey) == 1 &&
		  EVP_DigestVerify(md, check, check_len, (const unsigned char *)signed_part, signed_len) == 1;
	EVP_MD_CTX_free(md);
	return ok;
}

static bool audience_ok(json_t *aud, const char *want)
{
	if (json_is_string(aud))
		return !strcmp(json_string_value(aud), want);
	json_t *v;
	size_t i;
	json_array_foreach(aud, i, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), want))
			return true;
	return false;
}

static jwks_result check_claims(json_t *c, const jwks_expect *x, char *sub, size_t subsz)
{
	const char *iss = json_string_value(json_object_get(c, "iss"));
	json_t *exp = json_object_get(c, "exp"), *nbf = json_object_get(c, "nbf");
	const char *s = json_string_value(json_object_get(c, "sub"));
	if (!iss || !x->issuer || strcmp(iss, x->issuer))
		return JWKS_BAD_ISSUER;
	if (!x->audience || !audience_ok(json_object_get(c, "aud"), x->audience))
		return JWKS_BAD_AUDIENCE;
	if (!json_is_number(exp) || json_number_value(exp) + (double)x->leeway <= (double)x->now)
		return JWKS_EXPIRED;
	if (nbf && (!json_is_number(nbf) || json_number_value(nbf) > (double)(x->now + x->leeway)))
		return JWKS_NOT_YET_VALID;
	if (!s || !*s)
		return JWKS_NO_SUBJECT;
	snprintf(sub, subsz, "%s", s);
	return JWKS_OK;
}

jwks_result jwks_verify(const jwks_t *set, const char *token, const jwks_expect *x, char *sub, size_t subsz)
{
	const char *d1, *d2;
	char alg[16], kid[128];
	if (!split(token, &d1, &d2) || !jwks_peek(token, alg, sizeof alg, kid, sizeof kid))
		return JWKS_MALFORMED;
	key_type want;
	if (!strcmp(alg, "RS256"))
		want = KEY_RSA;
	else if (!strcmp(alg, "ES256"))
		want = KEY_EC;
	else
		return JWKS_BAD_ALG;
	const jwk *key = NULL;
	size_t of_type = 0;
	for (size_t i = 0; set && i < set->n; i++) {
		if (set->keys[i].type != want) {
			/* The header names a key of the other type: not a new key, a mismatch. */
			if (kid[0] && !strcmp(set->keys[i].kid, kid))
				return JWKS_BAD_ALG;
			continue;
		}
		of_type++;
		if (kid[0] && !strcmp(set->keys[i].kid, kid))
			key = &set->keys[i];
		else if (!kid[0] && !key)
			key = &set->keys[i];
	}
	if (!key || (!kid[0] && of_type != 1))
		return JWKS_UNKNOWN_KID;
	if (!signature_ok(key, token, (size_t)(d2 - token), d2 + 1))
		return JWKS_BAD_SIGNATURE;
	json_t *claims = decode_json(d1 + 1, (size_t)(d2 - d1 - 1));
	if (!claims)
		return JWKS_MALFORMED;
	jwks_result r = check_claims(claims, x, sub, subsz);
	json_decref(claims);
	return r;
}
