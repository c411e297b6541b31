#include "util/netpolicy.h"
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool allow_private_flag;

void netpolicy_set_allow_private(bool allow)
{
	allow_private_flag = allow;
}

bool netpolicy_allow_private(void)
{
	return allow_private_flag;
}

#define V4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

/* The IANA IPv4 special-purpose registry (RFC 6890 and successors), plus
 * multicast. Ranges it lists as globally reachable (AS112, AMT) stay public. */
static const struct {
	uint32_t net;
	int bits;
	net_class c;
} v4_ranges[] = {
	{ V4(0, 0, 0, 0), 8, NET_RESERVED },       /* "this network": 0.0.0.0 reaches the host itself */
	{ V4(10, 0, 0, 0), 8, NET_PRIVATE },       /* RFC 1918 */
	{ V4(100, 64, 0, 0), 10, NET_PRIVATE },    /* shared address space, CGNAT (RFC 6598) */
	{ V4(127, 0, 0, 0), 8, NET_LOOPBACK },
	{ V4(169, 254, 0, 0), 16, NET_LINK_LOCAL },
	{ V4(172, 16, 0, 0), 12, NET_PRIVATE },    /* RFC 1918 */
	{ V4(192, 0, 0, 0), 24, NET_RESERVED },    /* IETF protocol assignments, DS-Lite, NAT64 discovery */
	{ V4(192, 0, 2, 0), 24, NET_RESERVED },    /* TEST-NET-1 */
	{ V4(192, 88, 99, 0), 24, NET_RESERVED },  /* 6to4 relay anycast, deprecated (RFC 7526) */
	{ V4(192, 168, 0, 0), 16, NET_PRIVATE },   /* RFC 1918 */
	{ V4(198, 18, 0, 0), 15, NET_RESERVED },   /* benchmarking (RFC 2544) */
	{ V4(198, 51, 100, 0), 24, NET_RESERVED }, /* TEST-NET-2 */
	{ V4(203, 0, 113, 0), 24, NET_RESERVED },  /* TEST-NET-3 */
	{ V4(224, 0, 0, 0), 4, NET_RESERVED },     /* multicast */
	{ V4(240, 0, 0, 0), 4, NET_RESERVED },     /* reserved, and 255.255.255.255 broadcast */
};

/* Instance credentials live behind these; link-local or not, never reachable. */
static const uint32_t v4_metadata[] = {
	V4(169, 254, 169, 254), /* AWS, GCP, Azure, OpenStack, ... */
	V4(169, 254, 170, 2),   /* AWS ECS task metadata */
	V4(169, 254, 170, 23),  /* AWS EKS Pod Identity */
	V4(100, 100, 100, 200), /* Alibaba Cloud */
};

static net_class classify_v4(uint32_t a)
{
	for (size_t i = 0; i < sizeof v4_metadata / sizeof v4_metadata[0]; i++)
		if (a == v4_metadata[i])
			return NET_METADATA;
	for (size_t i = 0; i < sizeof v4_ranges / sizeof v4_ranges[0]; i++) {
		uint32_t mask = 0xffffffffu << (32 - v4_ranges[i].bits);
		if ((a & mask) == v4_ranges[i].net)
			return v4_ranges[i].c;
	}
	return NET_PUBLIC;
}

/* Whether the first bits of b are those of prefix (an IPv6 literal). */
static bool in6(const unsigned char *b, const char *prefix, int bits)
{
	unsigned char p[16];
	if (inet_pton(AF_INET6, prefix, p) != 1)
		abort(); /* a typo in the tables below */
	int whole = bits / 8, rest = bits % 8;
	if (memcmp(b, p, (size_t)whole))
		return false;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return !rest || (b[whole] & mask) == (p[whole] & mask);
}

static uint32_t v4_at(const unsigned char *b)
{
	return V4(b[0], b[1], b[2], b[3]);
}

/* The IANA IPv6 special-purpose registry, ranges that are not public. */
static const struct {
	const char *prefix;
	int bits;
	net_class c;
} v6_ranges[] = {
	{ "64:ff9b:1::", 48, NET_PRIVATE }, /* local-use IPv4/IPv6 translation (RFC 8215) */
	{ "100::", 64, NET_RESERVED },      /* discard-only (RFC 6666) */
	{ "2001::", 23, NET_RESERVED },     /* IETF protocol assignments: Teredo 2001::/32 (its IPv4
					       address is obfuscated), benchmarking, ORCHID, anycast */
	{ "2001:db8::", 32, NET_RESERVED }, /* documentation */
	{ "3fff::", 20, NET_RESERVED },     /* documentation (RFC 9637) */
	{ "5f00::", 16, NET_RESERVED },     /* segment routing SIDs (RFC 9602) */
	{ "fc00::", 7, NET_PRIVATE },       /* unique local */
	{ "fe80::", 10, NET_LINK_LOCAL },
	{ "fec0::", 10, NET_PRIVATE },      /* site-local, deprecated (RFC 3879) but still routed by some */
	{ "ff00::", 8, NET_RESERVED },      /* multicast */
};

static const char *const v6_metadata[] = {
	"fd00:ec2::254", /* AWS instance metadata */
	"fd00:ec2::23",  /* AWS EKS Pod Identity */
};

static net_class classify_v6(const unsigned char *b)
{
	static const unsigned char zero[16];
	if (!memcmp(b, zero, 16))
		return NET_RESERVED; /* unspecified */
	if (!memcmp(b, zero, 15) && b[15] == 1)
		return NET_LOOPBACK;
	/* Forms that reach an IPv4 address are judged by that address:
	 * IPv4-mapped, the deprecated IPv4-compatible ::a.b.c.d, NAT64's
	 * well-known prefix, and 6to4 (2002:AABB:CCDD::/48). */
	if (in6(b, "::ffff:0:0", 96) || in6(b, "::", 96) || in6(b, "64:ff9b::", 96))
		return classify_v4(v4_at(b + 12));
	if (in6(b, "2002::", 16))
		return classify_v4(v4_at(b + 2));
	for (size_t i = 0; i < sizeof v6_metadata / sizeof v6_metadata[0]; i++)
		if (in6(b, v6_metadata[i], 128))
			return NET_METADATA;
	for (size_t i = 0; i < sizeof v6_ranges / sizeof v6_ranges[0]; i++)
		if (in6(b, v6_ranges[i].prefix, v6_ranges[i].bits))
			return v6_ranges[i].c;
	/* Only 2000::/3 is allocated for global unicast; the rest is unassigned. */
	return (b[0] & 0xe0) == 0x20 ? NET_PUBLIC : NET_RESERVED;
}

net_class netpolicy_classify(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return classify_v4(ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr));
	if (sa->sa_family == AF_INET6)
		return classify_v6(((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr);
	return NET_RESERVED;
}

const char *netpolicy_class_name(net_class c)
{
	switch (c) {
	case NET_PUBLIC: return "public";
	case NET_PRIVATE: return "private";
	case NET_LOOPBACK: return "loopback";
	case NET_LINK_LOCAL: return "link-local";
	case NET_METADATA: return "cloud metadata";
	case NET_RESERVED: return "reserved";
	}
	return "unknown";
}

bool netpolicy_address_allowed(const struct sockaddr *sa, bool allow_private)
{
	net_class c = netpolicy_classify(sa);
	if (c == NET_PUBLIC)
		return true;
	return allow_private && (c == NET_PRIVATE || c == NET_LOOPBACK || c == NET_LINK_LOCAL);
}

void netpolicy_format(const struct sockaddr *sa, char *out, size_t len)
{
	const void *addr = sa->sa_family == AF_INET6 ? (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr
						      : (const void *)&((const struct sockaddr_in *)sa)->sin_addr;
	if (!inet_ntop(sa->sa_family, addr, out, (socklen_t)len))
		snprintf(out, len, "?");
}

/* Checks every address host resolves to; http additionally needs all of them non-public. */
static bool check_addresses(const char *host, bool https, bool allow_private, err_t *err)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	int rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc)
		return err_set_param(err, ERR_CODE_VALIDATION_FAILED, "url", "'url': the host %.200s does not resolve (%s)", host,
				     gai_strerror(rc));
	bool ok = true;
	for (struct addrinfo *ai = res; ai && ok; ai = ai->ai_next) {
		net_class c = netpolicy_classify(ai->ai_addr);
		char text[64];
		netpolicy_format(ai->ai_addr, text, sizeof text);
		if (!netpolicy_address_allowed(ai->ai_addr, allow_private))
			ok = err_set_param(err, ERR_CODE_VALIDATION_FAILED, "url",
					   "'url': %.200s resolves to %s, a %s address; webhooks only reach public addresses", host,
					   text, netpolicy_class_name(c));
		else if (!https && c == NET_PUBLIC)
			ok = err_set_param(err, ERR_CODE_VALIDATION_FAILED, "url",
					   "'url' must use https; plain http is only accepted for private test receivers");
	}
	freeaddrinfo(res);
	return ok;
}

bool netpolicy_check_url(const char *url, bool allow_private, err_t *err)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *user = NULL, *pass = NULL;
	bool ok = false;
	if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		err_set_param(err, ERR_CODE_VALIDATION_FAILED, "url", "'url' must be an absolute http(s) URL");
		goto done;
	}
	if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PASSWORD, &pass, 0) == CURLUE_OK) {
		err_set_param(err, ERR_CODE_VALIDATION_FAILED, "url", "'url' must not carry credentials; use the signing secret");
		goto done;
	}
	bool https = !strcasecmp(scheme, "https");
	if (!https && strcasecmp(scheme, "http")) {
		err_set_param(err, ERR_CODE_VALIDATION_FAILED, "url", "'url' must use https");
		goto done;
	}
	if (!https && !allow_private) {
		err_set_param(err, ERR_CODE_VALIDATION_FAILED, "url", "'url' must use https");
		goto done;
	}
	/* curl keeps IPv6 literals bracketed; getaddrinfo wants them bare. */
	size_t hl = strlen(host);
	if (hl > 2 && host[0] == '[' && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
		char *zone = strchr(host, '%');
		if (zone)
			*zone = '\0';
	}
	ok = check_addresses(host, https, allow_private, err);
done:
	curl_free(scheme);
	curl_free(host);
	curl_free(user);
	curl_free(pass);
	curl_url_cleanup(u);
	return ok;
}
