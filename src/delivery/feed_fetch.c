#include "delivery/feed_fetch.h"
#include "delivery/curl_policy.h"
#include "util/ics.h"
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool feed_fetch(const char *url, bool allow_private, char **body, size_t *len, char *errbuf, size_t n)
{
	*body = NULL;
	*len = 0;
	CURL *h = curl_easy_init();
	if (!h) {
		snprintf(errbuf, n, "could not start libcurl");
		return false;
	}
	curl_sink s = { .max = ICS_MAX_FEED };
	curl_policy policy = { .allow_private = allow_private };
	char curl_err[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, allow_private ? "https,http,file" : "https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, allow_private ? "https,http" : "https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)ICS_MAX_FEED);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(h, CURLOPT_USERAGENT, "workestra-time calendar import");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, curl_sink_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_err);
	curl_policy_apply(h, &policy); /* every connection, redirects included */
	CURLcode rc = curl_easy_perform(h);
	curl_easy_cleanup(h);
	if (rc != CURLE_OK) {
		if (s.too_big || rc == CURLE_FILESIZE_EXCEEDED)
			snprintf(errbuf, n, "the feed is larger than %d bytes", ICS_MAX_FEED);
		else if (policy.refused[0])
			snprintf(errbuf, n, "the feed's address is not allowed: %s", policy.refused);
		else
			snprintf(errbuf, n, "fetching the feed failed: %s", curl_err[0] ? curl_err : curl_easy_strerror(rc));
		free(s.data);
		return false;
	}
	if (!s.data) {
		s.data = calloc(1, 1);
		if (!s.data) {
			snprintf(errbuf, n, "out of memory");
			return false;
		}
	}
	*body = s.data;
	*len = s.len;
	return true;
}
