#include "delivery/oauth_keys.h"
#include "delivery/curl_policy.h"
#include "util/jwks.h"
#include "util/log.h"
#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { MAX_DOC = 256 * 1024, LEEWAY_SECONDS = 30 };

struct oauth_keys {
	const oauth_config *cfg;
	pthread_mutex_t lock;
	jwks_t *set;           /* NULL until the first fetch succeeds */
	char jwks_uri[1024];   /* configured or discovered */
	time_t fetched_at;     /* last successful fetch */
	time_t refreshed_at;   /* last fetch for an unknown kid (successful or not) */
	long fetches;
};

/* GET url as a JSON document (new reference), through the SSRF policy, no
 * redirects, 5 s at most; NULL with errbuf set. */
static json_t *fetch_json(const oauth_config *cfg, const char *url, char *errbuf, size_t n)
{
	curl_get_request rq = { .url = url, .allow_private = cfg->allow_private, .timeout = 5, .max = MAX_DOC,
				.user_agent = "workestra-time oauth" };
	char *body, detail[256];
	size_t len;
	curl_get_outcome out = curl_policy_get(&rq, &body, &len, detail, sizeof detail);
	if (out != CURL_GET_OK) {
		if (out == CURL_GET_TOO_BIG)
			snprintf(errbuf, n, "%.200s is larger than %d bytes", url, MAX_DOC);
		else
			snprintf(errbuf, n, out == CURL_GET_REFUSED ? "%.200s: address not allowed: %s" : "%.200s: %s", url, detail);
		return NULL;
	}
	json_t *doc = json_loadb(body, len, 0, NULL);
	free(body);
	if (!json_is_object(doc)) {
		snprintf(errbuf, n, "%.200s did not answer a JSON object", url);
		json_decref(doc);
		return NULL;
	}
	return doc;
}

/* The issuer's metadata URLs: RFC 8414 puts the well-known part between the
 * host and the issuer's path; OpenID Connect appends it. */
static void metadata_urls(const char *issuer, char rfc8414[1200], char oidc[1200])
{
	size_t len = strlen(issuer);
	while (len && issuer[len - 1] == '/')
		len--;
	const char *scheme_end = strstr(issuer, "://");
	const char *path = scheme_end ? strchr(scheme_end + 3, '/') : NULL;
	size_t host_len = path && (size_t)(path - issuer) < len ? (size_t)(path - issuer) : len;
	snprintf(rfc8414, 1200, "%.*s/.well-known/oauth-authorization-server%.*s", (int)host_len, issuer,
		 (int)(len - host_len), issuer + host_len);
	snprintf(oidc, 1200, "%.*s/.well-known/openid-configuration", (int)len, issuer);
}

/* Finds jwks_uri in the issuer's metadata, whose issuer must be ours. */
static bool discover(oauth_keys *k, char *errbuf, size_t n)
{
	char urls[2][1200];
	metadata_urls(k->cfg->issuer, urls[0], urls[1]);
	for (int i = 0; i < 2; i++) {
		json_t *meta = fetch_json(k->cfg, urls[i], errbuf, n);
		if (!meta)
			continue;
		const char *iss = json_string_value(json_object_get(meta, "issuer"));
		const char *uri = json_string_value(json_object_get(meta, "jwks_uri"));
		bool ok = iss && !strcmp(iss, k->cfg->issuer) && uri && strlen(uri) < sizeof k->jwks_uri;
		if (ok)
			snprintf(k->jwks_uri, sizeof k->jwks_uri, "%s", uri);
		else
			snprintf(errbuf, n, "%.200s names another issuer or no jwks_uri", urls[i]);
		json_decref(meta);
		if (ok)
			return true;
	}
	return false;
}

/* Fetches the key set (under the lock). false with errbuf set; the keys held
 * before stay in use. */
static bool fetch_keys(oauth_keys *k, char *errbuf, size_t n)
{
	k->fetches++;
	if (!k->jwks_uri[0] && !discover(k, errbuf, n))
		return false;
	json_t *doc = fetch_json(k->cfg, k->jwks_uri, errbuf, n);
	if (!doc)
		return false;
	char *text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	jwks_t *set = text ? jwks_parse(text, strlen(text), errbuf, n) : NULL;
	free(text);
	if (!set)
		return false;
	if (!jwks_count(set)) {
		snprintf(errbuf, n, "%.200s holds no RS256 or ES256 signing key", k->jwks_uri);
		jwks_free(set);
		return false;
	}
	jwks_free(k->set);
	k->set = set;
	k->fetched_at = time(NULL);
	return true;
}

oauth_keys *oauth_keys_new(const oauth_config *cfg)
{
	if (!cfg || !cfg->issuer || !*cfg->issuer)
		return NULL;
	oauth_keys *k = calloc(1, sizeof *k);
	if (!k)
		abort();
	k->cfg = cfg;
	pthread_mutex_init(&k->lock, NULL);
	if (cfg->jwks_url && *cfg->jwks_url)
		snprintf(k->jwks_uri, sizeof k->jwks_uri, "%s", cfg->jwks_url);
	return k;
}

void oauth_keys_free(oauth_keys *k)
{
	if (!k)
		return;
	jwks_free(k->set);
	pthread_mutex_destroy(&k->lock);
	free(k);
}

long oauth_keys_fetches(oauth_keys *k)
{
	pthread_mutex_lock(&k->lock);
	long n = k->fetches;
	pthread_mutex_unlock(&k->lock);
	return n;
}

bool oauth_verify(oauth_keys *k, const char *token, char *sub, size_t subsz, err_t *err)
{
	char errbuf[300] = "";
	jwks_expect x = { .issuer = k->cfg->issuer,
			  .audience = k->cfg->audience && *k->cfg->audience ? k->cfg->audience : k->cfg->resource,
			  .now = time(NULL),
			  .leeway = LEEWAY_SECONDS };
	pthread_mutex_lock(&k->lock);
	bool stale = !k->set || x.now - k->fetched_at >= k->cfg->ttl_seconds;
	if (stale && !fetch_keys(k, errbuf, sizeof errbuf) && !k->set) {
		pthread_mutex_unlock(&k->lock);
		log_msg(LOG_ERROR, "oauth: cannot fetch the issuer's keys: %s", errbuf);
		return err_set(err, ERR_CODE_OAUTH_KEYS_UNAVAILABLE,
			       "the authorization server's keys cannot be fetched; try again shortly");
	}
	if (stale && errbuf[0])
		log_msg(LOG_WARN, "oauth: keeping the keys fetched before: %s", errbuf);
	jwks_result r = jwks_verify(k->set, token, &x, sub, subsz);
	/* A key the set does not hold may be a new one: fetch again, not too often. */
	if (r == JWKS_UNKNOWN_KID && x.now - k->refreshed_at >= k->cfg->refresh_seconds) {
		k->refreshed_at = x.now;
		errbuf[0] = '\0';
		if (fetch_keys(k, errbuf, sizeof errbuf))
			r = jwks_verify(k->set, token, &x, sub, subsz);
		else
			log_msg(LOG_WARN, "oauth: refreshing the issuer's keys failed: %s", errbuf);
	}
	pthread_mutex_unlock(&k->lock);
	if (r != JWKS_OK)
		return err_set(err, ERR_CODE_UNAUTHORIZED, "invalid access token: %s", jwks_result_str(r));
	return true;
}
