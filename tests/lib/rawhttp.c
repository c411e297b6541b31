#include "rawhttp.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

int raw_port(const char *base)
{
	const char *colon = strrchr(base, ':');
	return colon ? atoi(colon + 1) : 0;
}

int raw_connect(int port, const char *src)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (src) {
		struct sockaddr_in s = { .sin_family = AF_INET };
		if (inet_pton(AF_INET, src, &s.sin_addr) != 1 || bind(fd, (struct sockaddr *)&s, sizeof s)) {
			close(fd);
			return -1;
		}
	}
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof a)) {
		close(fd);
		return -1;
	}
	return fd;
}

bool raw_send(int fd, const char *bytes, size_t len)
{
	size_t sent = 0;
	while (sent < len) {
		ssize_t n = send(fd, bytes + sent, len - sent, MSG_NOSIGNAL);
		if (n <= 0)
			return false; /* the server may answer and close before taking everything */
		sent += (size_t)n;
	}
	return true;
}

int raw_complete_responses(const char *text, size_t len)
{
	int n = 0;
	size_t at = 0;
	while (at < len) {
		const char *end = strstr(text + at, "\r\n\r\n");
		if (!end)
			break;
		size_t head_len = (size_t)(end - (text + at)) + 4;
		long body = 0;
		for (const char *p = text + at; p < end; p++)
			if ((p == text + at || p[-1] == '\n') && !strncasecmp(p, "content-length:", 15))
				body = strtol(p + 15, NULL, 10);
		if (at + head_len + (size_t)body > len)
			break;
		at += head_len + (size_t)body;
		n++;
	}
	return n;
}

raw_result raw_read(int fd, int want, int timeout_ms)
{
	raw_result out = { 0 };
	size_t cap = 4096;
	out.text = malloc(cap);
	if (!out.text)
		abort();
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, timeout_ms) <= 0)
			break;
		if (out.len + 2048 > cap) {
			cap *= 2;
			out.text = realloc(out.text, cap);
			if (!out.text)
				abort();
		}
		ssize_t n = recv(fd, out.text + out.len, cap - out.len - 1, 0);
		if (n <= 0) {
			out.closed = true;
			break;
		}
		out.len += (size_t)n;
		out.text[out.len] = '\0';
		if (want > 0 && raw_complete_responses(out.text, out.len) >= want)
			break;
	}
	out.text[out.len] = '\0';
	out.responses = raw_complete_responses(out.text, out.len);
	if (sscanf(out.text, "HTTP/1.%*d %ld", &out.status) != 1)
		out.status = 0;
	return out;
}

raw_result raw_exchange(int port, const char *bytes, size_t len, bool shut, int want, int timeout_ms)
{
	int fd = raw_connect(port, NULL);
	if (fd < 0) {
		raw_result none = { .text = calloc(1, 1), .closed = true };
		return none;
	}
	raw_send(fd, bytes, len);
	if (shut)
		shutdown(fd, SHUT_WR);
	raw_result out = raw_read(fd, want, timeout_ms);
	close(fd);
	return out;
}

long raw_rss_kb(int pid)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/status", pid);
	FILE *f = fopen(path, "r");
	long kb = 0;
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, "VmRSS:", 6))
			kb = strtol(line + 6, NULL, 10);
	if (f)
		fclose(f);
	return kb;
}
