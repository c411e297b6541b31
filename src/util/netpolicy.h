/* Where the server may connect: the one SSRF policy of every outbound request
 * (webhook deliveries, calendar feeds). A webhook URL is checked when a
 * subscription is saved (scheme, host, every address it resolves to), and
 * every address is checked again when a connection is opened, after DNS
 * resolution (delivery/curl_policy), so a name that later resolves somewhere
 * private (DNS rebinding) is refused. Addresses follow the IANA IPv4 and IPv6
 * special-purpose registries; IPv6 forms that carry an IPv4 address (mapped,
 * compatible, NAT64 64:ff9b::/96, 6to4 2002::/16) are judged by that address. */
#ifndef UTIL_NETPOLICY_H
#define UTIL_NETPOLICY_H
#include "util/err.h"
#include <sys/socket.h>

typedef enum {
	NET_PUBLIC,
	NET_PRIVATE,    /* RFC 1918, CGNAT 100.64/10, unique local fc00::/7, site-local fec0::/10,
			   local-use NAT64 64:ff9b:1::/48 */
	NET_LOOPBACK,   /* 127/8, ::1 */
	NET_LINK_LOCAL, /* 169.254/16, fe80::/10 */
	NET_METADATA,   /* cloud metadata endpoints: 169.254.169.254, fd00:ec2::254, ... */
	NET_RESERVED,   /* unspecified, "this network", multicast, broadcast, documentation,
			   benchmarking, discard, Teredo and the other IETF assignments,
			   and IPv6 outside 2000::/3 */
} net_class;

net_class netpolicy_classify(const struct sockaddr *sa);
const char *netpolicy_class_name(net_class c);
/* Whether loopback, private and link-local addresses are reachable (and http
 * to them), for tests and local development: WEBHOOK_ALLOW_PRIVATE, which
 * app/config reads and sets once at start, before any thread exists. The
 * process-wide policy of the core's URL checks; transports and delivery are
 * handed the value in their own configuration. Default false. */
void netpolicy_set_allow_private(bool allow);
bool netpolicy_allow_private(void);
/* Whether an outbound request may connect to sa; metadata and reserved addresses never. */
bool netpolicy_address_allowed(const struct sockaddr *sa, bool allow_private);
/* Checks a subscription URL: https (or http to a non-public address when
 * allow_private), no credentials, a host that resolves, every address allowed.
 * false with a validation error naming the rule. */
bool netpolicy_check_url(const char *url, bool allow_private, err_t *err);
/* Writes the numeric form of sa into out (at least 64 bytes). */
void netpolicy_format(const struct sockaddr *sa, char *out, size_t len);

#endif
