/* Where webhooks may send: the SSRF policy. A URL is checked when a
 * subscription is saved (scheme, host, every address it resolves to) and each
 * address is checked again when a delivery connects, after DNS resolution, so
 * a name that later resolves somewhere private (DNS rebinding) is refused. */
#ifndef UTIL_NETPOLICY_H
#define UTIL_NETPOLICY_H
#include "util/err.h"
#include <sys/socket.h>

typedef enum {
	NET_PUBLIC,
	NET_PRIVATE,    /* RFC 1918, CGNAT 100.64/10, IPv6 unique local fc00::/7 */
	NET_LOOPBACK,   /* 127/8, ::1 */
	NET_LINK_LOCAL, /* 169.254/16, fe80::/10 */
	NET_METADATA,   /* cloud metadata endpoints: 169.254.169.254, fd00:ec2::254 */
	NET_RESERVED,   /* unspecified, multicast, broadcast, documentation, benchmarking */
} net_class;

net_class netpolicy_classify(const struct sockaddr *sa);
const char *netpolicy_class_name(net_class c);
/* WEBHOOK_ALLOW_PRIVATE (read once): loopback, private and link-local
 * addresses become reachable, for tests and local development. */
bool netpolicy_allow_private(void);
/* Whether a delivery may connect to sa; metadata and reserved addresses never. */
bool netpolicy_address_allowed(const struct sockaddr *sa, bool allow_private);
/* Checks a subscription URL: https (or http to a non-public address when
 * allow_private), no credentials, a host that resolves, every address allowed.
 * false with a validation error naming the rule. */
bool netpolicy_check_url(const char *url, bool allow_private, err_t *err);
/* Writes the numeric form of sa into out (at least 64 bytes). */
void netpolicy_format(const struct sockaddr *sa, char *out, size_t len);

#endif
