#include "delivery/feed_fetch.h"
#include "util/ics.h"
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct {
	char *data;
	size_t len, cap;
	bool too_big;
} sink;

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
	sink *s = arg;
	size_t n = size * nmemb;
	if (s->len + n > ICS_MAX_FEED) {
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

static bool public_v4(uint32_t a)
{
	uint8_t b0 = (uint8_t)(a >> 24), b1 = (uint8_t)(a >> 16);
	return !(b0 == 0 || b0 == 10 || b0 == 127 || b0 >= 224 || (b0 == 169 && b1 == 254) ||
		 (b0 == 172 && (b1 & 0xf0) == 16) || (b0 == 192 && b1 == 168) || (b0 == 100 && (b1 & 0xc0) == 64));
}

static bool public_address(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return public_v4(ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr));
	if (sa->sa_family != AF_INET6)
		return false;
	const uint8_t *b = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (!memcmp(b, mapped, 12))
		return public_v4((uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 | b[15]);
	/* only global unicast (2000::/3) */
	return (b[0] & 0xe0) == 0x20;
}

/* Every connection, including after a redirect, is checked where it goes. */
static curl_socket_t open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *addr)
{
	(void)purpose;
	bool *blocked = arg;
	if (!public_address(&addr->addr)) {
		*blocked = true;
		return CURL_SOCKET_BAD;
	}
	return socket(addr->family, addr->socktype, addr->protocol);
}

bool feed_fetch(const char *url, bool allow_private, char **body, size_t *len, char *errbuf, size_t n)
{
	*body = NULL;
	*len = 0;
	CURL *h = curl_easy_init();
	if (!h) {
		snprintf(errbuf, n, "could not start libcurl");
		return false;
	}
	sink s = { 0 };
	bool blocked = false;
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
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_err);
	if (!allow_private) {
		curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_socket);
		curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, &blocked);
	}
	CURLcode rc = curl_easy_perform(h);
	curl_easy_cleanup(h);
	if (rc != CURLE_OK) {
		if (s.too_big || rc == CURLE_FILESIZE_EXCEEDED)
			snprintf(errbuf, n, "the feed is larger than %d bytes", ICS_MAX_FEED);
		else if (blocked)
			snprintf(errbuf, n, "the feed's address is not public");
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
