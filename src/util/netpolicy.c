#include "util/netpolicy.h"
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool allow_private_flag;
static pthread_once_t allow_once = PTHREAD_ONCE_INIT;

static void read_allow_private(void)
{
	const char *v = getenv("WEBHOOK_ALLOW_PRIVATE");
	allow_private_flag = v && *v && strcmp(v, "0") && strcasecmp(v, "false") && strcasecmp(v, "no");
}

bool netpolicy_allow_private(void)
{
	pthread_once(&allow_once, read_allow_private);
	return allow_private_flag;
}

static bool in4(uint32_t a, uint32_t net, int bits)
{
	uint32_t mask = bits == 0 ? 0 : 0xffffffffu << (32 - bits);
	return (a & mask) == (net & mask);
}

#define V4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

static net_class classify_v4(uint32_t a)
{
	if (a == V4(169, 254, 169, 254) || a == V4(100, 100, 100, 200) /* Alibaba */)
		return NET_METADATA;
	if (in4(a, V4(127, 0, 0, 0), 8))
		return NET_LOOPBACK;
	if (in4(a, V4(10, 0, 0, 0), 8) || in4(a, V4(172, 16, 0, 0), 12) || in4(a, V4(192, 168, 0, 0), 16) ||
	    in4(a, V4(100, 64, 0, 0), 10))
		return NET_PRIVATE;
	if (in4(a, V4(169, 254, 0, 0), 16))
		return NET_LINK_LOCAL;
	if (in4(a, V4(0, 0, 0, 0), 8) || in4(a, V4(192, 0, 0, 0), 24) || in4(a, V4(192, 0, 2, 0), 24) ||
	    in4(a, V4(198, 18, 0, 0), 15) || in4(a, V4(198, 51, 100, 0), 24) || in4(a, V4(203, 0, 113, 0), 24) ||
	    in4(a, V4(224, 0, 0, 0), 4) || in4(a, V4(240, 0, 0, 0), 4))
		return NET_RESERVED;
	return NET_PUBLIC;
}

static net_class classify_v6(const unsigned char *b)
{
	static const unsigned char zero[16];
	static const unsigned char metadata[16] = { 0xfd, 0x00, 0x0e, 0xc2, [14] = 0x02, [15] = 0x54 }; /* fd00:ec2::254 */
	/* IPv4-mapped (::ffff:a.b.c.d), NAT64 (64:ff9b::a.b.c.d) and the old
	 * IPv4-compatible form all reach an IPv4 address: judge that address. */
	bool mapped = !memcmp(b, zero, 10) && b[10] == 0xff && b[11] == 0xff;
	bool nat64 = b[0] == 0 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && !memcmp(b + 4, zero, 8);
	bool compat = !memcmp(b, zero, 12) && (b[12] | b[13] | b[14]) != 0;
	if (mapped || nat64 || compat)
		return classify_v4(V4(b[12], b[13], b[14], b[15]));
	if (!memcmp(b, metadata, 16))
		return NET_METADATA;
	if (!memcmp(b, zero, 15) && b[15] == 1)
		return NET_LOOPBACK;
	if (!memcmp(b, zero, 16) || b[0] == 0xff || (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) ||
	    (b[0] == 0x01 && b[1] == 0x00 && !memcmp(b + 2, zero, 6)))
		return NET_RESERVED;
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
		return NET_LINK_LOCAL;
	if ((b[0] & 0xfe) == 0xfc)
		return NET_PRIVATE;
	return NET_PUBLIC;
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
		return err_set(err, ERR_VALIDATION, "validation_failed", "'url': the host %.200s does not resolve (%s)", host,
			       gai_strerror(rc));
	bool ok = true;
	for (struct addrinfo *ai = res; ai && ok; ai = ai->ai_next) {
		net_class c = netpolicy_classify(ai->ai_addr);
		char text[64];
		netpolicy_format(ai->ai_addr, text, sizeof text);
		if (!netpolicy_address_allowed(ai->ai_addr, allow_private))
			ok = err_set(err, ERR_VALIDATION, "validation_failed",
				     "'url': %.200s resolves to %s, a %s address; webhooks only reach public addresses", host,
				     text, netpolicy_class_name(c));
		else if (!https && c == NET_PUBLIC)
			ok = err_set(err, ERR_VALIDATION, "validation_failed",
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
		err_set(err, ERR_VALIDATION, "validation_failed", "'url' must be an absolute http(s) URL");
		goto done;
	}
	if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PASSWORD, &pass, 0) == CURLUE_OK) {
		err_set(err, ERR_VALIDATION, "validation_failed", "'url' must not carry credentials; use the signing secret");
		goto done;
	}
	bool https = !strcasecmp(scheme, "https");
	if (!https && strcasecmp(scheme, "http")) {
		err_set(err, ERR_VALIDATION, "validation_failed", "'url' must use https");
		goto done;
	}
	if (!https && !allow_private) {
		err_set(err, ERR_VALIDATION, "validation_failed", "'url' must use https");
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
