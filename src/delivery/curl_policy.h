/* The SSRF policy (util/netpolicy) on a libcurl handle, the one setup every
 * outbound request uses (webhook deliveries, calendar feeds): proxies off
 * whatever the environment says (http_proxy, https_proxy, ALL_PROXY: a proxy
 * would make the connection for us, past the check), and each address curl is
 * about to connect to checked when its socket is opened, after DNS resolution
 * and again on every redirect, so rebinding cannot slip past. */
#ifndef DELIVERY_CURL_POLICY_H
#define DELIVERY_CURL_POLICY_H
#include <curl/curl.h>
#include <stdbool.h>

typedef struct {
	bool allow_private; /* WEBHOOK_ALLOW_PRIVATE (app/config) for the real thing */
	char refused[160];  /* why an address was refused, "" if none was */
} curl_policy;

/* Applies p (which must outlive the transfer) to h. */
void curl_policy_apply(CURL *h, curl_policy *p);

/* A GET of one bounded document through the policy: what to fetch and how. */
typedef struct {
	const char *url;
	bool allow_private;     /* also http (and, with allow_file, file://) */
	bool allow_file;        /* file:// when allow_private (local feeds in tests) */
	bool follow;            /* follow up to 5 redirects (never to file://) */
	long timeout;           /* seconds, connecting and in all */
	size_t max;             /* bytes: a longer body fails as CURL_GET_TOO_BIG */
	const char *user_agent;
} curl_get_request;

typedef enum {
	CURL_GET_OK,
	CURL_GET_TOO_BIG, /* the body passed rq->max */
	CURL_GET_REFUSED, /* an address the policy refuses; detail says which */
	CURL_GET_FAILED,  /* the network or an HTTP error status; detail says what */
} curl_get_outcome;

/* Fetches rq->url. On CURL_GET_OK, *body (malloc'd, NUL-terminated, the
 * caller frees it) holds *len bytes; otherwise detail (n bytes) says why. */
curl_get_outcome curl_policy_get(const curl_get_request *rq, char **body, size_t *len, char *detail, size_t n);

#endif
