/* The authorization server's signing keys, for /mcp as an OAuth 2.1 resource
 * server: fetched with libcurl through the SSRF policy (curl_policy) from
 * OAUTH_JWKS_URL, or from the jwks_uri of the issuer's metadata (RFC 8414
 * /.well-known/oauth-authorization-server, else OpenID Connect discovery),
 * kept in memory behind a mutex, fetched again after ttl_seconds and when a
 * token names a key the set does not hold (at most once per
 * refresh_seconds, so tokens with made-up kids cannot make us hammer the
 * issuer). Runs on worker threads (it blocks while fetching, up to 5 s a
 * request), never on the event loop. */
#ifndef DELIVERY_OAUTH_KEYS_H
#define DELIVERY_OAUTH_KEYS_H
#include "util/err.h"
#include <stdbool.h>
#include <stddef.h>

typedef struct {
	const char *issuer;   /* OAUTH_ISSUER: the iss tokens must carry */
	const char *audience; /* OAUTH_AUDIENCE, default: resource */
	const char *resource; /* OAUTH_RESOURCE: this server's /mcp URL */
	const char *jwks_url; /* OAUTH_JWKS_URL, or NULL: discovered */
	bool allow_private;   /* WEBHOOK_ALLOW_PRIVATE: loopback/private issuers, over http too (tests) */
	long refresh_seconds; /* least time between refreshes for an unknown kid */
	long ttl_seconds;     /* keys are fetched again after this */
} oauth_config;

typedef struct oauth_keys oauth_keys;

/* NULL when config has no issuer. cfg must outlive the result. */
oauth_keys *oauth_keys_new(const oauth_config *cfg);
void oauth_keys_free(oauth_keys *k);

/* Verifies an access token (a JWT signed RS256 or ES256 by the issuer, for
 * this resource, in date) and copies its sub. false with ERR_UNAUTHORIZED
 * (the token is refused) or ERR_UNAVAILABLE (the keys could not be fetched). */
bool oauth_verify(oauth_keys *k, const char *token, char *sub, size_t subsz, err_t *err);

/* How many times the key set was fetched (tests and logs). */
long oauth_keys_fetches(oauth_keys *k);

#endif
