/* Unit tests for the SSRF policy (src/util/netpolicy.c): every range of the
 * IANA IPv4 and IPv6 special-purpose registries it knows, both edges where
 * an edge is easy to get wrong, the IPv6 forms that carry an IPv4 address,
 * what each class may reach with and without WEBHOOK_ALLOW_PRIVATE, and the
 * URL check of webhook subscriptions. Expected classes come from the
 * registries, not from the code. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include "util/netpolicy.h"

static struct sockaddr_storage np_t_addr(const char *text)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	if (strchr(text, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		cr_assert_eq(inet_pton(AF_INET6, text, &a->sin6_addr), 1, "%s", text);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		cr_assert_eq(inet_pton(AF_INET, text, &a->sin_addr), 1, "%s", text);
	}
	return ss;
}

static net_class np_t_classify(const char *text)
{
	struct sockaddr_storage ss = np_t_addr(text);
	return netpolicy_classify((struct sockaddr *)&ss);
}

typedef struct {
	const char *addr;
	net_class want;
} np_t_case;

static void np_t_check(const np_t_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		net_class got = np_t_classify(cases[i].addr);
		cr_expect_eq(got, cases[i].want, "%s is %s, expected %s", cases[i].addr, netpolicy_class_name(got),
			     netpolicy_class_name(cases[i].want));
	}
}

#define NP_T_CHECK(cases) np_t_check(cases, sizeof cases / sizeof cases[0])

Test(netpolicy, ipv4_special_purpose_ranges)
{
	static const np_t_case cases[] = {
		/* 0.0.0.0/8 "this network" */
		{ "0.0.0.0", NET_RESERVED }, { "0.1.2.3", NET_RESERVED }, { "0.255.255.255", NET_RESERVED },
		{ "1.0.0.1", NET_PUBLIC },
		/* 10/8 */
		{ "10.0.0.1", NET_PRIVATE }, { "10.255.255.255", NET_PRIVATE }, { "11.0.0.1", NET_PUBLIC },
		{ "9.255.255.255", NET_PUBLIC },
		/* 100.64/10 shared address space */
		{ "100.63.255.255", NET_PUBLIC }, { "100.64.0.1", NET_PRIVATE }, { "100.127.255.255", NET_PRIVATE },
		{ "100.128.0.0", NET_PUBLIC },
		/* 127/8 */
		{ "127.0.0.1", NET_LOOPBACK }, { "127.8.9.10", NET_LOOPBACK }, { "127.255.255.255", NET_LOOPBACK },
		{ "128.0.0.1", NET_PUBLIC },
		/* 169.254/16 */
		{ "169.254.0.1", NET_LINK_LOCAL }, { "169.254.1.1", NET_LINK_LOCAL }, { "169.254.255.255", NET_LINK_LOCAL },
		{ "169.255.0.1", NET_PUBLIC },
		/* 172.16/12 */
		{ "172.15.255.255", NET_PUBLIC }, { "172.16.0.1", NET_PRIVATE }, { "172.31.255.255", NET_PRIVATE },
		{ "172.32.0.1", NET_PUBLIC },
		/* 192.0.0/24 IETF protocol assignments, 192.0.2/24 TEST-NET-1 */
		{ "192.0.0.1", NET_RESERVED }, { "192.0.0.8", NET_RESERVED }, { "192.0.0.170", NET_RESERVED },
		{ "192.0.1.1", NET_PUBLIC }, { "192.0.2.1", NET_RESERVED }, { "192.0.2.255", NET_RESERVED },
		{ "192.0.3.1", NET_PUBLIC },
		/* 192.88.99/24 deprecated 6to4 relay anycast */
		{ "192.88.98.255", NET_PUBLIC }, { "192.88.99.1", NET_RESERVED }, { "192.88.100.0", NET_PUBLIC },
		/* 192.168/16 */
		{ "192.167.255.255", NET_PUBLIC }, { "192.168.0.1", NET_PRIVATE }, { "192.168.255.255", NET_PRIVATE },
		{ "192.169.0.0", NET_PUBLIC },
		/* 198.18/15 benchmarking */
		{ "198.17.255.255", NET_PUBLIC }, { "198.18.0.1", NET_RESERVED }, { "198.19.255.255", NET_RESERVED },
		{ "198.20.0.0", NET_PUBLIC },
		/* TEST-NET-2 and -3 */
		{ "198.51.100.7", NET_RESERVED }, { "198.51.101.1", NET_PUBLIC }, { "203.0.113.9", NET_RESERVED },
		{ "203.0.114.1", NET_PUBLIC },
		/* multicast 224/4, reserved 240/4, the limited broadcast */
		{ "223.255.255.255", NET_PUBLIC }, { "224.0.0.1", NET_RESERVED }, { "239.255.255.250", NET_RESERVED },
		{ "240.0.0.1", NET_RESERVED }, { "255.255.255.254", NET_RESERVED }, { "255.255.255.255", NET_RESERVED },
		/* globally reachable special-purpose ranges stay public: AS112, AMT */
		{ "192.31.196.1", NET_PUBLIC }, { "192.52.193.1", NET_PUBLIC }, { "192.175.48.1", NET_PUBLIC },
		/* ordinary addresses */
		{ "8.8.8.8", NET_PUBLIC }, { "93.184.216.34", NET_PUBLIC }, { "1.1.1.1", NET_PUBLIC },
	};
	NP_T_CHECK(cases);
}

Test(netpolicy, cloud_metadata_endpoints)
{
	static const np_t_case cases[] = {
		{ "169.254.169.254", NET_METADATA }, { "169.254.170.2", NET_METADATA },
		{ "169.254.170.23", NET_METADATA },  { "100.100.100.200", NET_METADATA },
		{ "fd00:ec2::254", NET_METADATA },   { "fd00:ec2::23", NET_METADATA },
		{ "169.254.169.253", NET_LINK_LOCAL }, { "fd00:ec2::255", NET_PRIVATE },
		/* through the IPv6 forms that carry an IPv4 address */
		{ "::ffff:169.254.169.254", NET_METADATA }, { "64:ff9b::a9fe:a9fe", NET_METADATA },
		{ "2002:a9fe:a9fe::", NET_METADATA }, { "::169.254.169.254", NET_METADATA },
	};
	NP_T_CHECK(cases);
}

Test(netpolicy, ipv6_special_purpose_ranges)
{
	static const np_t_case cases[] = {
		/* unspecified, loopback */
		{ "::", NET_RESERVED }, { "::1", NET_LOOPBACK },
		/* 100::/64 discard-only */
		{ "100::", NET_RESERVED }, { "100::ffff:ffff:ffff:ffff", NET_RESERVED },
		/* 2001::/23 IETF protocol assignments: Teredo 2001::/32, benchmarking 2001:2::/48, ORCHID */
		{ "2001::1", NET_RESERVED }, { "2001:0:4136:e378:8000:63bf:3fff:fdd2", NET_RESERVED },
		{ "2001:1::1", NET_RESERVED }, { "2001:2::1", NET_RESERVED }, { "2001:10::1", NET_RESERVED },
		{ "2001:20::1", NET_RESERVED }, { "2001:1ff:ffff::1", NET_RESERVED }, { "2001:200::1", NET_PUBLIC },
		/* 2001:db8::/32 and 3fff::/20 documentation */
		{ "2001:db7:ffff::1", NET_PUBLIC }, { "2001:db8::1", NET_RESERVED }, { "2001:db8:ffff::1", NET_RESERVED },
		{ "2001:db9::1", NET_PUBLIC }, { "3fff::1", NET_RESERVED }, { "3fff:fff:ffff::1", NET_RESERVED },
		{ "3fff:1000::1", NET_PUBLIC },
		/* 5f00::/16 segment routing */
		{ "5f00::1", NET_RESERVED },
		/* fc00::/7 unique local */
		{ "fc00::1", NET_PRIVATE }, { "fd12:3456::1", NET_PRIVATE }, { "fdff:ffff::1", NET_PRIVATE },
		/* fe80::/10 link-local, fec0::/10 site-local */
		{ "fe80::1", NET_LINK_LOCAL }, { "febf:ffff::1", NET_LINK_LOCAL }, { "fec0::1", NET_PRIVATE },
		{ "feff:ffff::1", NET_PRIVATE },
		/* ff00::/8 multicast */
		{ "ff02::1", NET_RESERVED }, { "ff0e::101", NET_RESERVED },
		/* outside 2000::/3 nothing is allocated for unicast */
		{ "::1:2:3:4", NET_RESERVED }, { "1::1", NET_RESERVED }, { "4000::1", NET_RESERVED },
		{ "e000::1", NET_RESERVED }, { "1fff:ffff::1", NET_RESERVED },
		/* global unicast */
		{ "2000::1", NET_PUBLIC }, { "2606:4700::1111", NET_PUBLIC }, { "2a00:1450:4001::200e", NET_PUBLIC },
		{ "3ffe::1", NET_PUBLIC },
	};
	NP_T_CHECK(cases);
}

Test(netpolicy, ipv6_forms_carrying_ipv4_are_judged_by_it)
{
	static const np_t_case cases[] = {
		/* IPv4-mapped ::ffff:0:0/96 */
		{ "::ffff:8.8.8.8", NET_PUBLIC }, { "::ffff:10.0.0.1", NET_PRIVATE }, { "::ffff:127.0.0.1", NET_LOOPBACK },
		{ "::ffff:0.0.0.0", NET_RESERVED }, { "::ffff:169.254.1.1", NET_LINK_LOCAL },
		{ "::ffff:198.18.0.1", NET_RESERVED },
		/* IPv4-compatible ::/96 (deprecated); :: and ::1 keep their own meaning */
		{ "::127.0.0.1", NET_LOOPBACK }, { "::0.0.0.2", NET_RESERVED }, { "::0.0.0.255", NET_RESERVED },
		{ "::10.1.2.3", NET_PRIVATE }, { "::192.168.0.1", NET_PRIVATE }, { "::8.8.8.8", NET_PUBLIC },
		/* NAT64 well-known prefix 64:ff9b::/96 */
		{ "64:ff9b::7f00:1", NET_LOOPBACK }, { "64:ff9b::127.1.2.3", NET_LOOPBACK },
		{ "64:ff9b::c0a8:101", NET_PRIVATE }, { "64:ff9b::808:808", NET_PUBLIC }, { "64:ff9b::", NET_RESERVED },
		/* 64:ff9b::/32 outside the /96 is unassigned; local-use NAT64 64:ff9b:1::/48 is the site's */
		{ "64:ff9b:0:1::808:808", NET_RESERVED }, { "64:ff9b:1::1", NET_PRIVATE },
		{ "64:ff9b:1:ffff::808:808", NET_PRIVATE }, { "64:ff9b:2::1", NET_RESERVED },
		/* 6to4 2002::/16: the IPv4 address is bits 16..47 */
		{ "2002:7f00:1::", NET_LOOPBACK }, { "2002:7f00:0001:abcd::1", NET_LOOPBACK },
		{ "2002:0808:0808::", NET_PUBLIC }, { "2002:0808:0808:1::1", NET_PUBLIC },
		{ "2002:0a00:0001::1", NET_PRIVATE }, { "2002:c0a8:0101:1::1", NET_PRIVATE },
		{ "2002:a9fe:0101::", NET_LINK_LOCAL }, { "2002::", NET_RESERVED }, { "2002:e000:0001::", NET_RESERVED },
		{ "2002:ffff:ffff::", NET_RESERVED }, { "2003::1", NET_PUBLIC }, { "2001:ffff::1", NET_PUBLIC },
	};
	NP_T_CHECK(cases);
}

Test(netpolicy, what_each_class_may_reach)
{
	static const struct {
		const char *addr;
		bool strict, relaxed; /* allowed without / with allow_private */
	} cases[] = {
		{ "8.8.8.8", true, true },         { "2606:4700::1111", true, true }, { "10.0.0.1", false, true },
		{ "127.0.0.1", false, true },      { "::1", false, true },            { "fe80::1", false, true },
		{ "fec0::1", false, true },        { "2002:7f00:1::", false, true },  { "64:ff9b::7f00:1", false, true },
		{ "169.254.169.254", false, false }, { "fd00:ec2::254", false, false }, { "0.0.0.0", false, false },
		{ "::", false, false },            { "2001::1", false, false },       { "2001:db8::1", false, false },
		{ "ff02::1", false, false },       { "198.18.0.1", false, false },    { "240.0.0.1", false, false },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct sockaddr_storage ss = np_t_addr(cases[i].addr);
		cr_expect_eq(netpolicy_address_allowed((struct sockaddr *)&ss, false), cases[i].strict, "%s strict",
			     cases[i].addr);
		cr_expect_eq(netpolicy_address_allowed((struct sockaddr *)&ss, true), cases[i].relaxed, "%s relaxed",
			     cases[i].addr);
	}
	struct sockaddr_storage other = { .ss_family = AF_UNIX };
	cr_assert_eq(netpolicy_classify((struct sockaddr *)&other), NET_RESERVED);
}

/* WEBHOOK_ALLOW_PRIVATE itself is read by app/config (test_config.c). */
Test(netpolicy, allow_private_is_off_until_set)
{
	cr_assert_not(netpolicy_allow_private());
	netpolicy_set_allow_private(true);
	cr_assert(netpolicy_allow_private());
	netpolicy_set_allow_private(false);
	cr_assert_not(netpolicy_allow_private());
}

Test(netpolicy, urls_without_allow_private)
{
	static const char *const refused[] = {
		"http://93.184.216.34/", "https://127.0.0.1/", "https://10.1.2.3/x", "https://[::1]/",
		"https://169.254.169.254/", "https://0.0.0.0/", "ftp://93.184.216.34/", "https://u:p@93.184.216.34/",
		"://nothing", "https://localhost/", "https://[2002:7f00:1::]/", "https://[64:ff9b::7f00:1]/",
		"https://[::127.0.0.1]/", "https://[fec0::1]/", "https://[2001::1]/", "https://[2001:db8::1]/",
		"https://198.18.0.1/", "https://192.0.0.170/", NULL,
	};
	for (const char *const *u = refused; *u; u++) {
		err_t err = { 0 };
		cr_assert_not(netpolicy_check_url(*u, false, &err), "%s was accepted", *u);
		cr_assert_str_eq(err.code, "validation_failed");
	}
	err_t err = { 0 };
	cr_assert(netpolicy_check_url("https://93.184.216.34/hook?x=1", false, &err), "%s", err.message);
	cr_assert(netpolicy_check_url("https://[2606:4700::1111]:8443/h", false, &err), "%s", err.message);
	cr_assert(netpolicy_check_url("https://[2002:808:808::1]/h", false, &err), "%s", err.message);
}

Test(netpolicy, urls_with_allow_private)
{
	err_t err = { 0 };
	cr_assert(netpolicy_check_url("http://127.0.0.1:9999/hook", true, &err), "%s", err.message);
	cr_assert(netpolicy_check_url("https://10.1.2.3/hook", true, &err), "%s", err.message);
	cr_assert(netpolicy_check_url("http://[::1]:8080/", true, &err), "%s", err.message);
	cr_assert(netpolicy_check_url("http://[2002:7f00:1::]:8080/", true, &err), "%s", err.message);
	/* Plain http to the internet, metadata and reserved addresses stay refused. */
	cr_assert_not(netpolicy_check_url("http://93.184.216.34/", true, &err));
	err_clear(&err);
	cr_assert_not(netpolicy_check_url("http://169.254.169.254/latest", true, &err));
	err_clear(&err);
	cr_assert_not(netpolicy_check_url("https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", true, &err));
	err_clear(&err);
	cr_assert_not(netpolicy_check_url("http://[64:ff9b::a9fe:a9fe]/latest", true, &err));
}
