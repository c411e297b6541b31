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

/* A response body kept in memory, NUL-terminated, up to max bytes: past max
 * the transfer stops and too_big is set (a fetch never holds more than it
 * allows). Pass curl_sink_write as CURLOPT_WRITEFUNCTION with the sink as
 * CURLOPT_WRITEDATA; the caller frees data. */
typedef struct {
	size_t max;
	char *data;
	size_t len, cap;
	bool too_big;
} curl_sink;

size_t curl_sink_write(char *ptr, size_t size, size_t nmemb, void *sink);

#endif
