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

size_t curl_sink_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	curl_sink *s = arg;
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
