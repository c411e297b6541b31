/* bench/sink: a webhook receiver for the delivery benchmark that answers
 * every request at once, so a drain's time is the sender's.
 *
 *   sink [PORT]       (0 or none: a free port)
 *
 * One epoll thread on 127.0.0.1, HTTP/1.1 keep-alive (pipelined requests
 * too): each request, once its Content-Length bytes of body have arrived,
 * gets "200 OK" with an empty body. Prints the port on its first line, then
 * runs until SIGTERM or SIGINT and prints "requests=N" (complete requests
 * answered) before it exits. A request without a "webhook-id" header is
 * counted apart ("unsigned=N"): every delivery carries one. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

enum { BUF_CAP = 256 * 1024, MAX_EVENTS = 256 };

typedef struct {
	int fd;
	size_t got;
	char buf[BUF_CAP];
} conn_t;

static volatile sig_atomic_t stopping;
static long requests, unsigned_requests;
static const char ANSWER[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static void die(const char *what)
{
	perror(what);
	exit(2);
}

/* The length of the complete request at the start of buf, 0 while
 * incomplete, -1 when it cannot be a request we answer. */
static long request_length(conn_t *c)
{
	char *end = memmem(c->buf, c->got, "\r\n\r\n", 4);
	if (!end)
		return c->got >= BUF_CAP ? -1 : 0;
	size_t head = (size_t)(end - c->buf) + 4;
	long clen = 0;
	int has_id = 0;
	for (char *line = memmem(c->buf, head, "\r\n", 2); line && line < end;
	     line = memmem(line + 2, (size_t)(end - line), "\r\n", 2)) {
		const char *h = line + 2;
		if (!strncasecmp(h, "content-length:", 15))
			clen = atol(h + 15);
		else if (!strncasecmp(h, "webhook-id:", 11))
			has_id = 1;
	}
	if (clen < 0 || head + (size_t)clen > BUF_CAP)
		return -1;
	if (c->got < head + (size_t)clen)
		return 0;
	if (!has_id)
		unsigned_requests++;
	return (long)(head + (size_t)clen);
}

static void conn_close(int epfd, conn_t *c)
{
	epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c);
}

/* Reads what arrived and answers every complete request in it. */
static void conn_read(int epfd, conn_t *c)
{
	for (;;) {
		ssize_t n = read(c->fd, c->buf + c->got, BUF_CAP - c->got);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			conn_close(epfd, c);
			return;
		}
		c->got += (size_t)n;
		long len;
		int answers = 0;
		while ((len = request_length(c)) > 0) {
			memmove(c->buf, c->buf + len, c->got - (size_t)len);
			c->got -= (size_t)len;
			requests++;
			answers++;
		}
		if (len < 0) {
			conn_close(epfd, c);
			return;
		}
		/* The answers are tiny: the socket buffer takes them whole. */
		for (int i = 0; i < answers; i++)
			if (write(c->fd, ANSWER, sizeof ANSWER - 1) != (ssize_t)(sizeof ANSWER - 1)) {
				conn_close(epfd, c);
				return;
			}
	}
}

int main(int argc, char **argv)
{
	int port = argc > 1 ? atoi(argv[1]) : 0;
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (lfd < 0)
		die("socket");
	int one = 1;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(lfd, 1024) < 0)
		die("bind/listen");
	socklen_t alen = sizeof addr;
	getsockname(lfd, (struct sockaddr *)&addr, &alen);
	printf("%d\n", ntohs(addr.sin_port));
	fflush(stdout);

	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	int epfd = epoll_create1(0);
	if (epfd < 0)
		die("epoll_create1");
	struct epoll_event lev = { .events = EPOLLIN, .data.ptr = NULL };
	epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &lev);
	struct epoll_event evs[MAX_EVENTS];
	while (!stopping) {
		int n = epoll_wait(epfd, evs, MAX_EVENTS, 1000);
		for (int i = 0; i < n; i++) {
			conn_t *c = evs[i].data.ptr;
			if (c) {
				conn_read(epfd, c);
				continue;
			}
			int fd;
			while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
				setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
				conn_t *nc = malloc(sizeof *nc);
				if (!nc)
					die("malloc");
				nc->fd = fd;
				nc->got = 0;
				struct epoll_event ev = { .events = EPOLLIN, .data.ptr = nc };
				if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
					die("epoll_ctl");
			}
		}
	}
	printf("requests=%ld unsigned=%ld\n", requests, unsigned_requests);
	return 0;
}
