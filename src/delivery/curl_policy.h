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

#endif
