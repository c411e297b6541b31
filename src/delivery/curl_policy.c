#include "delivery/curl_policy.h"
#include "util/netpolicy.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static curl_socket_t open_checked(void *userdata, curlsocktype purpose, struct curl_sockaddr *address)
{
	curl_policy *p = userdata;
	(void)purpose;
	if (!netpolicy_address_allowed(&address->addr, p->allow_private)) {
		char text[64];
		netpolicy_format(&address->addr, text, sizeof text);
		snprintf(p->refused, sizeof p->refused, "refused to connect to %s: a %s address", text,
			 netpolicy_class_name(netpolicy_classify(&address->addr)));
		return CURL_SOCKET_BAD;
	}
	return socket(address->family, address->socktype, address->protocol);
}

void curl_policy_apply(CURL *h, curl_policy *p)
{
	p->refused[0] = '\0';
	/* "" overrides the environment's proxy variables; "*" as the no-proxy
	 * list bypasses any proxy for every host, should one be set later. */
	curl_easy_setopt(h, CURLOPT_PROXY, "");
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_checked);
	curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, p);
}

/* A response body kept in memory, NUL-terminated, up to max bytes: past max
 * the transfer stops and too_big is set. */
typedef struct {
	size_t max;
	char *data;
	size_t len, cap;
	bool too_big;
} sink;

static size_t sink_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	sink *s = arg;
	size_t n = size * nmemb;
	if (s->len + n > s->max) {
		s->too_big = true;
		return 0;
	}
	if (s->len + n + 1 > s->cap) {
		size_t cap = (s->len + n + 1) * 2;
		char *grown = realloc(s->data, cap);
		if (!grown)
			return 0;
		s->data = grown;
		s->cap = cap;
	}
	memcpy(s->data + s->len, ptr, n);
	s->len += n;
	s->data[s->len] = '\0';
	return n;
}

curl_get_outcome curl_policy_get(const curl_get_request *rq, char **body, size_t *len, char *detail, size_t n)
{
	*body = NULL;
	*len = 0;
	CURL *h = curl_easy_init();
	if (!h) {
		snprintf(detail, n, "could not start libcurl");
		return CURL_GET_FAILED;
	}
	sink s = { .max = rq->max };
	curl_policy policy = { .allow_private = rq->allow_private };
	char curl_err[CURL_ERROR_SIZE] = "";
	const char *protocols = !rq->allow_private ? "https" : rq->allow_file ? "https,http,file" : "https,http";
	curl_easy_setopt(h, CURLOPT_URL, rq->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, protocols);
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, rq->allow_private ? "https,http" : "https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, rq->follow ? 1L : 0L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, rq->timeout);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, rq->timeout);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)rq->max);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(h, CURLOPT_USERAGENT, rq->user_agent);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_err);
	curl_policy_apply(h, &policy); /* every connection, redirects included */
	CURLcode rc = curl_easy_perform(h);
	curl_easy_cleanup(h);
	curl_get_outcome out = CURL_GET_OK;
	if (rc != CURLE_OK) {
		if (s.too_big || rc == CURLE_FILESIZE_EXCEEDED) {
			out = CURL_GET_TOO_BIG;
			snprintf(detail, n, "larger than %zu bytes", rq->max);
		} else if (policy.refused[0]) {
			out = CURL_GET_REFUSED;
			snprintf(detail, n, "%s", policy.refused);
		} else {
			out = CURL_GET_FAILED;
			snprintf(detail, n, "%s", curl_err[0] ? curl_err : curl_easy_strerror(rc));
		}
	} else if (!s.data && !(s.data = calloc(1, 1))) {
		out = CURL_GET_FAILED;
		snprintf(detail, n, "out of memory");
	}
	if (out != CURL_GET_OK) {
		free(s.data);
		return out;
	}
	*body = s.data;
	*len = s.len;
	return CURL_GET_OK;
}
