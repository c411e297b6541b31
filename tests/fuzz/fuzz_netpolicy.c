/* libFuzzer harness: the SSRF policy (util/netpolicy.c). The input's first 16
 * bytes are classified as an IPv6 address and its first 4 as an IPv4 one
 * (the mapped, NAT64 and compatible forms must judge as their IPv4 address
 * does); the whole input is also checked as a webhook URL, with names
 * answered from support/offline.c's table, never by DNS. */
#include "util/netpolicy.h"
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { MAX_INPUT = 4096 };

static void classify(const uint8_t *data, size_t size)
{
	struct sockaddr_in6 v6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in v4 = { .sin_family = AF_INET };
	char text[64];
	if (size >= 4) {
		memcpy(&v4.sin_addr, data, 4);
		net_class c4 = netpolicy_classify((struct sockaddr *)&v4);
		netpolicy_format((struct sockaddr *)&v4, text, sizeof text);
		if (netpolicy_address_allowed((struct sockaddr *)&v4, false) != (c4 == NET_PUBLIC))
			abort();
		/* ::ffff:a.b.c.d is the same host */
		memset(&v6.sin6_addr, 0, 16);
		v6.sin6_addr.s6_addr[10] = v6.sin6_addr.s6_addr[11] = 0xff;
		memcpy(&v6.sin6_addr.s6_addr[12], data, 4);
		if (netpolicy_classify((struct sockaddr *)&v6) != c4)
			abort();
	}
	if (size >= 16) {
		memcpy(&v6.sin6_addr, data, 16);
		net_class c6 = netpolicy_classify((struct sockaddr *)&v6);
		netpolicy_format((struct sockaddr *)&v6, text, sizeof text);
		if (!netpolicy_class_name(c6)[0])
			abort();
		/* metadata and reserved addresses are never reachable */
		if ((c6 == NET_METADATA || c6 == NET_RESERVED) && netpolicy_address_allowed((struct sockaddr *)&v6, true))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > MAX_INPUT)
		return 0;
	classify(data, size);
	char *url = malloc(size + 1);
	if (!url)
		abort();
	memcpy(url, data, size);
	url[size] = '\0';
	for (int allow_private = 0; allow_private < 2; allow_private++) {
		err_t err = { 0 };
		bool ok = netpolicy_check_url(url, allow_private, &err);
		if (ok == err_any(&err) || (!ok && err.kind != ERR_VALIDATION))
			abort();
		/* without the test switch, only https reaches anything */
		if (ok && !allow_private && strncasecmp(url, "https:", 6))
			abort();
	}
	free(url);
	return 0;
}
