/* /mcp as an OAuth 2.1 resource server, against an authorization server of
 * the test's own: RSA and EC keys made here with OpenSSL, their JWKS and the
 * issuer's metadata served by a local HTTP server (tests/lib/receiver), and
 * a serve of its own started with OAUTH_ISSUER pointing at it. Valid RS256
 * and ES256 tokens get in; every other token is refused with 401 and a
 * WWW-Authenticate naming the resource metadata. */
#include "harness.h"
#include "receiver.h"
#include "util/crypto.h"
#include <criterion/criterion.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const OA_HEADERS[] = { "Accept: application/json, text/event-stream", NULL };
static const char OA_INIT[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
			      "\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}";

static void oa_b64(const unsigned char *in, size_t len, char *out)
{
	out[crypto_b64url_encode(in, len, out)] = '\0';
}

/* A big number as base64url of exactly width bytes (0: its own length). */
static void oa_bn_b64(const BIGNUM *bn, int width, char *out)
{
	unsigned char buf[512];
	int n = width ? width : BN_num_bytes(bn);
	cr_assert(BN_bn2binpad(bn, buf, n) == n);
	oa_b64(buf, (size_t)n, out);
}

/* The public JWK of key (RSA or EC P-256) named kid. */
static char *oa_jwk(EVP_PKEY *key, const char *kid)
{
	char *out = malloc(2048), a[600], b[600];
	BIGNUM *x = NULL, *y = NULL;
	if (EVP_PKEY_is_a(key, "RSA")) {
		cr_assert(EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &x) && EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &y));
		oa_bn_b64(x, 0, a);
		oa_bn_b64(y, 0, b);
		snprintf(out, 2048, "{\"kty\":\"RSA\",\"kid\":\"%s\",\"use\":\"sig\",\"alg\":\"RS256\",\"n\":\"%s\",\"e\":\"%s\"}", kid, a, b);
	} else {
		cr_assert(EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &x) && EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &y));
		oa_bn_b64(x, 32, a);
		oa_bn_b64(y, 32, b);
		snprintf(out, 2048, "{\"kty\":\"EC\",\"kid\":\"%s\",\"use\":\"sig\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"}", kid, a, b);
	}
	BN_free(x);
	BN_free(y);
	return out;
}

/* header.claims.signature: alg RS256 or ES256 signs with key; "none" signs
 * nothing; "HS256" uses the PEM of key's public half as the HMAC secret (the
 * algorithm-confusion attack). */
static char *oa_jwt(EVP_PKEY *key, const char *alg, const char *kid, const char *claims)
{
	char hdr[200], *out = malloc(8192);
	snprintf(hdr, sizeof hdr, "{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"%s\"}", alg, kid);
	size_t n = crypto_b64url_encode((const unsigned char *)hdr, strlen(hdr), out);
	out[n++] = '.';
	n += crypto_b64url_encode((const unsigned char *)claims, strlen(claims), out + n);
	out[n] = '\0';
	unsigned char sig[1024];
	size_t slen = sizeof sig;
	if (!strcmp(alg, "none")) {
		slen = 0;
	} else if (!strcmp(alg, "HS256")) {
		BIO *bio = BIO_new(BIO_s_mem());
		cr_assert(PEM_write_bio_PUBKEY(bio, key));
		char *pem;
		long plen = BIO_get_mem_data(bio, &pem);
		crypto_hmac_sha256(pem, (size_t)plen, out, n, sig);
		slen = 32;
		BIO_free(bio);
	} else {
		EVP_MD_CTX *md = EVP_MD_CTX_new();
		cr_assert(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1);
		cr_assert(EVP_DigestSign(md, sig, &slen, (const unsigned char *)out, n) == 1);
		EVP_MD_CTX_free(md);
		if (!strcmp(alg, "ES256")) { /* DER → r || s */
			const unsigned char *p = sig;
			ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)slen);
			cr_assert(es);
			cr_assert(BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, 32) == 32 &&
				  BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + 32, 32) == 32);
			ECDSA_SIG_free(es);
			slen = 64;
		}
	}
	out[n++] = '.';
	out[n + crypto_b64url_encode(sig, slen, out + n)] = '\0';
	return out;
}

static char *oa_claims(const char *iss, const char *aud, const char *sub, long exp_in)
{
	char *c = malloc(1024);
	long now = (long)time(NULL);
	snprintf(c, 1024, "{\"iss\":\"%s\",\"aud\":\"%s\",\"sub\":\"%s\",\"iat\":%ld,\"exp\":%ld,\"scope\":\"mcp\"}", iss, aud,
		 sub, now, now + exp_in);
	return c;
}

typedef struct {
	receiver_t *rx;
	char *issuer;
	char base[64]; /* the serve under test */
	char aud[128];
	int pid;
	EVP_PKEY *rsa, *ec;
	harness_ws w;
} oa_env;

static void oa_set_jwks(oa_env *e, const char *extra_jwk)
{
	char *r = oa_jwk(e->rsa, "rsa-1"), *c = oa_jwk(e->ec, "ec-1"), doc[8192];
	snprintf(doc, sizeof doc, "{\"keys\":[%s,%s%s%s]}", r, c, extra_jwk ? "," : "", extra_jwk ? extra_jwk : "");
	receiver_content(e->rx, "/jwks", doc);
	free(r);
	free(c);
}

/* issuer_path: "" or a path the issuer's URL ends with (its metadata then
 * lives at /.well-known/oauth-authorization-server<path>, RFC 8414 §3.1). */
static void oa_start(oa_env *e, const char *refresh_seconds, const char *issuer_path)
{
	harness_workspace(&e->w, "free", NULL);
	e->rx = receiver_start();
	e->issuer = receiver_url(e->rx, issuer_path);
	e->rsa = EVP_RSA_gen(2048);
	e->ec = EVP_EC_gen("P-256");
	cr_assert(e->rsa && e->ec);
	char meta[512];
	char *jwks = receiver_url(e->rx, "/jwks");
	snprintf(meta, sizeof meta, "{\"issuer\":\"%s\",\"jwks_uri\":\"%s\",\"response_types_supported\":[\"code\"]}",
		 e->issuer, jwks);
	free(jwks);
	char meta_path[200];
	snprintf(meta_path, sizeof meta_path, "/.well-known/oauth-authorization-server%s", issuer_path);
	receiver_content(e->rx, meta_path, meta);
	oa_set_jwks(e, NULL);
	char iss_env[200], refresh_env[64];
	snprintf(iss_env, sizeof iss_env, "OAUTH_ISSUER=%s", e->issuer);
	snprintf(refresh_env, sizeof refresh_env, "OAUTH_JWKS_REFRESH_SECONDS=%s", refresh_seconds);
	const char *env[] = { iss_env, refresh_env, "WEBHOOK_ALLOW_PRIVATE=1", NULL };
	e->pid = harness_spawn_serve(env, "build/serve-oauth.log", e->base);
	cr_assert(e->pid > 0);
	snprintf(e->aud, sizeof e->aud, "%s/mcp", e->base);
}

static void oa_stop(oa_env *e)
{
	cr_assert_eq(harness_stop_serve(e->pid), 0, "serve exits 0 on SIGTERM (no leak under ASan); see build/serve-oauth.log");
	receiver_stop(e->rx);
	free(e->issuer);
	EVP_PKEY_free(e->rsa);
	EVP_PKEY_free(e->ec);
	harness_workspace_free(&e->w);
}

static harness_response oa_post(const oa_env *e, const char *token)
{
	return harness_request_at(e->base, "POST", "/mcp", token, OA_INIT, OA_HEADERS);
}

/* token is refused with 401 and a challenge naming the resource metadata. */
static void oa_refused(const oa_env *e, char *token, const char *what)
{
	harness_response r = oa_post(e, token);
	cr_assert_eq(r.status, 401, "%s: %s", what, r.body);
	char *h = harness_header(&r, "www-authenticate"), want[200];
	snprintf(want, sizeof want, "resource_metadata=\"%s/.well-known/oauth-protected-resource/mcp\"", e->base);
	cr_assert(h && !strncmp(h, "Bearer ", 7) && strstr(h, want) && strstr(h, "error=\"invalid_token\""), "%s: %s", what,
		  h ? h : "(none)");
	free(h);
	harness_response_free(&r);
	free(token);
}

static void oa_accepted(const oa_env *e, char *token, const char *what)
{
	harness_response r = oa_post(e, token);
	cr_assert_eq(r.status, 200, "%s: %s", what, r.body);
	cr_assert(json_object_get(r.json, "result"), "%s: %s", what, r.body);
	harness_response_free(&r);
	free(token);
}

Test(oauth, metadata_and_the_challenge_name_the_authorization_server)
{
	oa_env e = { 0 };
	oa_start(&e, "30", "/realms/acme");
	static const char *const paths[] = { "/.well-known/oauth-protected-resource",
					     "/.well-known/oauth-protected-resource/mcp" };
	for (size_t i = 0; i < 2; i++) {
		harness_response r = harness_request_at(e.base, "GET", paths[i], NULL, NULL, NULL);
		cr_assert_eq(r.status, 200, "%s: %s", paths[i], r.body);
		cr_assert_str_eq(json_string_value(json_object_get(r.json, "resource")), e.aud);
		cr_assert_str_eq(json_string_value(json_array_get(json_object_get(r.json, "authorization_servers"), 0)), e.issuer);
		harness_response_free(&r);
	}
	/* No token at all: 401 with the metadata's address, no error code. */
	harness_response r = oa_post(&e, NULL);
	cr_assert_eq(r.status, 401);
	char *h = harness_header(&r, "www-authenticate");
	cr_assert(h && strstr(h, "resource_metadata=\"") && strstr(h, "/.well-known/oauth-protected-resource/mcp\"") &&
		  !strstr(h, "error="), "%s", h ? h : "(none)");
	free(h);
	harness_response_free(&r);
	/* The keys are found through the path-suffixed metadata (RFC 8414). */
	char *c = oa_claims(e.issuer, e.aud, e.w.member, 300);
	oa_accepted(&e, oa_jwt(e.rsa, "RS256", "rsa-1", c), "issuer with a path");
	free(c);
	/* Without OAUTH_ISSUER (the harness's own serve) there is no metadata. */
	r = harness_request("GET", "/.well-known/oauth-protected-resource", NULL, NULL, NULL);
	cr_assert_eq(r.status, 404, "%s", r.body);
	harness_response_free(&r);
	oa_stop(&e);
}

Test(oauth, rs256_and_es256_tokens_of_the_issuer_get_in_and_api_tokens_still_do)
{
	oa_env e = { 0 };
	oa_start(&e, "30", "");
	char *c = oa_claims(e.issuer, e.aud, e.w.member, 300);
	oa_accepted(&e, oa_jwt(e.rsa, "RS256", "rsa-1", c), "RS256");
	oa_accepted(&e, oa_jwt(e.ec, "ES256", "ec-1", c), "ES256");
	free(c);
	/* aud may be a list holding this resource. */
	char list[1024];
	snprintf(list, sizeof list, "{\"iss\":\"%s\",\"aud\":[\"other\",\"%s\"],\"sub\":\"%s\",\"exp\":%ld}", e.issuer, e.aud,
		 e.w.manager, (long)time(NULL) + 60);
	oa_accepted(&e, oa_jwt(e.ec, "ES256", "ec-1", list), "aud list");
	oa_accepted(&e, strdup(e.w.member_tok), "personal API token");
	cr_assert_eq(receiver_count(e.rx, "/jwks"), 1, "the keys were fetched once and kept");
	/* The session belongs to the token's subject. */
	c = oa_claims(e.issuer, e.aud, e.w.member2, 300);
	char *token = oa_jwt(e.rsa, "RS256", "rsa-1", c);
	harness_response r = oa_post(&e, token);
	free(token);
	free(c);
	char *sid = harness_header(&r, "mcp-session-id");
	cr_assert(sid, "%s", r.body);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM mcp_sessions WHERE id = $1 AND user_id = $2", 2, sid, e.w.member2), 1);
	free(sid);
	harness_response_free(&r);
	oa_stop(&e);
}

Test(oauth, wrong_issuer_audience_kid_alg_expiry_and_signature_are_refused)
{
	oa_env e = { 0 };
	oa_start(&e, "30", "");
	char *good = oa_claims(e.issuer, e.aud, e.w.member, 300);
	oa_accepted(&e, oa_jwt(e.rsa, "RS256", "rsa-1", good), "first, valid");
	int fetched = receiver_count(e.rx, "/jwks");

	char *c = oa_claims("https://evil.example", e.aud, e.w.member, 300);
	oa_refused(&e, oa_jwt(e.rsa, "RS256", "rsa-1", c), "wrong issuer");
	free(c);
	c = oa_claims(e.issuer, "https://other.example/mcp", e.w.member, 300);
	oa_refused(&e, oa_jwt(e.ec, "ES256", "ec-1", c), "wrong audience");
	free(c);
	c = oa_claims(e.issuer, e.aud, e.w.member, -120);
	oa_refused(&e, oa_jwt(e.rsa, "RS256", "rsa-1", c), "expired");
	free(c);
	c = oa_claims(e.issuer, e.aud, "u_nobody", 300);
	oa_refused(&e, oa_jwt(e.rsa, "RS256", "rsa-1", c), "unknown subject");
	free(c);
	oa_refused(&e, oa_jwt(e.rsa, "none", "rsa-1", good), "alg none");
	oa_refused(&e, oa_jwt(e.rsa, "HS256", "rsa-1", good), "HS256 keyed with the public key");
	oa_refused(&e, oa_jwt(e.ec, "ES256", "rsa-1", good), "ES256 naming the RSA key");
	char *t = oa_jwt(e.rsa, "RS256", "rsa-1", good);
	t[strlen(t) - 5] = t[strlen(t) - 5] == 'A' ? 'B' : 'A';
	oa_refused(&e, t, "tampered signature");
	cr_assert_eq(receiver_count(e.rx, "/jwks"), fetched, "none of these fetched the keys again");

	/* A kid the set lacks: the keys are fetched once more, then refused; a
	 * second one within OAUTH_JWKS_REFRESH_SECONDS fetches nothing. */
	EVP_PKEY *stranger = EVP_RSA_gen(2048);
	oa_refused(&e, oa_jwt(stranger, "RS256", "rsa-9", good), "unknown kid");
	cr_assert_eq(receiver_count(e.rx, "/jwks"), fetched + 1, "one refresh for the unknown kid");
	oa_refused(&e, oa_jwt(stranger, "RS256", "rsa-8", good), "another unknown kid");
	cr_assert_eq(receiver_count(e.rx, "/jwks"), fetched + 1, "refreshes are rate limited");
	EVP_PKEY_free(stranger);
	free(good);
	oa_stop(&e);
}

Test(oauth, a_key_the_issuer_adds_later_is_picked_up_on_its_first_token)
{
	oa_env e = { 0 };
	oa_start(&e, "0", "");
	char *c = oa_claims(e.issuer, e.aud, e.w.member, 300);
	oa_accepted(&e, oa_jwt(e.rsa, "RS256", "rsa-1", c), "before rotation");
	EVP_PKEY *next = EVP_EC_gen("P-256");
	char *jwk = oa_jwk(next, "ec-2");
	oa_set_jwks(&e, jwk);
	oa_accepted(&e, oa_jwt(next, "ES256", "ec-2", c), "the new key");
	cr_assert_eq(receiver_count(e.rx, "/jwks"), 2);
	free(jwk);
	free(c);
	EVP_PKEY_free(next);
	oa_stop(&e);
}

/* The 2026-07-28 era (stateless: no initialize, no session) goes through the
 * same bearer check and carries the same challenge. */
static harness_response oa_stateless(const oa_env *e, const char *token)
{
	static const char body[] = "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/list\",\"params\":{\"_meta\":{"
				   "\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","
				   "\"io.modelcontextprotocol/clientCapabilities\":{}}}}";
	const char *hdrs[] = { OA_HEADERS[0], "MCP-Protocol-Version: 2026-07-28", "Mcp-Method: tools/list", NULL };
	return harness_request_at(e->base, "POST", "/mcp", token, body, hdrs);
}

Test(oauth, the_stateless_era_takes_the_same_tokens_and_challenge)
{
	oa_env e = { 0 };
	oa_start(&e, "30", "");
	char *c = oa_claims(e.issuer, e.aud, e.w.member, 300);
	char *tok = oa_jwt(e.ec, "ES256", "ec-1", c);
	harness_response r = oa_stateless(&e, tok);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_null(harness_header(&r, "mcp-session-id"));
	json_t *res = json_object_get(r.json, "result");
	cr_assert_str_eq(json_string_value(json_object_get(res, "resultType")), "complete", "%s", r.body);
	cr_assert_eq(json_array_size(json_object_get(res, "tools")), 11, "%s", r.body);
	harness_response_free(&r);
	free(tok);

	char wrong_aud[1024];
	snprintf(wrong_aud, sizeof wrong_aud, "{\"iss\":\"%s\",\"aud\":\"other\",\"sub\":\"%s\",\"exp\":%ld}", e.issuer,
		 e.w.member, (long)time(NULL) + 60);
	tok = oa_jwt(e.rsa, "RS256", "rsa-1", wrong_aud);
	r = oa_stateless(&e, tok);
	cr_assert_eq(r.status, 401, "%s", r.body);
	char *h = harness_header(&r, "www-authenticate");
	cr_assert(h && strstr(h, "resource_metadata=\"") && strstr(h, "error=\"invalid_token\""), "%s", h ? h : "(none)");
	free(h);
	harness_response_free(&r);
	free(tok);
	free(c);
	oa_stop(&e);
}
