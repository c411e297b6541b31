#include "delivery/curl_policy.h"
#include "util/netpolicy.h"
#include <stdio.h>
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
