/* No harness reaches the network, whatever the code under test tries: these
 * definitions win over libc's (and the sanitizers' interceptors) for the
 * harness and every library it loads. Names resolve from the fixed table
 * below, address literals as themselves, and every connect() is refused.
 * scripts/fuzz.sh also runs harnesses in a network namespace of their own. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

/* By suffix; up to two answers per name, so "every address is checked" is exercised. */
static const struct {
	const char *suffix, *a, *b;
} NAMES[] = {
	{ "localhost", "127.0.0.1", "::1" },
	{ ".internal", "10.1.2.3", NULL },
	{ ".metadata", "169.254.169.254", NULL },
	{ ".mixed", "93.184.216.34", "192.168.1.1" },
	{ ".v6", "2606:2800:220:1::", "fd00:ec2::254" },
	{ ".invalid", NULL, NULL }, /* does not resolve */
};

static struct addrinfo *literal(const char *text)
{
	struct addrinfo *ai = calloc(1, sizeof *ai + sizeof(struct sockaddr_in6));
	if (!ai)
		abort();
	ai->ai_socktype = SOCK_STREAM;
	ai->ai_addr = (struct sockaddr *)(ai + 1);
	struct sockaddr_in *v4 = (struct sockaddr_in *)ai->ai_addr;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ai->ai_addr;
	if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		ai->ai_family = AF_INET;
		ai->ai_addrlen = sizeof *v4;
	} else if (inet_pton(AF_INET6, text, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		ai->ai_family = AF_INET6;
		ai->ai_addrlen = sizeof *v6;
	} else {
		free(ai);
		return NULL;
	}
	return ai;
}

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints, struct addrinfo **res)
{
	(void)service;
	(void)hints;
	*res = NULL;
	if (!node)
		return EAI_NONAME;
	if ((*res = literal(node)))
		return 0;
	size_t n = strlen(node);
	const char *a = "93.184.216.34", *b = NULL; /* any other name: one public address */
	for (size_t i = 0; i < sizeof NAMES / sizeof NAMES[0]; i++) {
		size_t s = strlen(NAMES[i].suffix);
		if (n >= s && !strcasecmp(node + n - s, NAMES[i].suffix)) {
			a = NAMES[i].a;
			b = NAMES[i].b;
			break;
		}
	}
	if (!a)
		return EAI_NONAME;
	*res = literal(a);
	if (b)
		(*res)->ai_next = literal(b);
	return 0;
}

void freeaddrinfo(struct addrinfo *ai)
{
	while (ai) {
		struct addrinfo *next = ai->ai_next;
		free(ai);
		ai = next;
	}
}

int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	(void)fd;
	(void)addr;
	(void)len;
	errno = ECONNREFUSED;
	return -1;
}
