#include "delivery/feed_fetch.h"
#include "delivery/curl_policy.h"
#include "util/ics.h"
#include <stdio.h>

bool feed_fetch(const char *url, bool allow_private, char **body, size_t *len, char *errbuf, size_t n)
{
	curl_get_request rq = { .url = url, .allow_private = allow_private, .allow_file = true, .follow = true,
				.timeout = 10, .max = ICS_MAX_FEED, .user_agent = "workestra-time calendar import" };
	char detail[256];
	switch (curl_policy_get(&rq, body, len, detail, sizeof detail)) {
	case CURL_GET_OK:
		return true;
	case CURL_GET_TOO_BIG:
		snprintf(errbuf, n, "the feed is larger than %d bytes", ICS_MAX_FEED);
		return false;
	case CURL_GET_REFUSED:
		snprintf(errbuf, n, "the feed's address is not allowed: %s", detail);
		return false;
	case CURL_GET_FAILED:
		break;
	}
	snprintf(errbuf, n, "fetching the feed failed: %s", detail);
	return false;
}
