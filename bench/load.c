/* bench/load: a small closed-loop HTTP/1.1 load generator for `make bench`.
 *
 *   load -c CONNS -d SECONDS [-m METHOD] [-H 'Name: value']... [-b BODY] http://127.0.0.1:PORT/path
 *
 * CONNS keep-alive connections on one epoll thread, each sending its next
 * request as soon as the previous answer is complete (no pipelining), for
 * SECONDS. Prints one line: requests, req/s, p50/p99 latency in ms, answers
 * that were not 2xx and connection errors. One thread keeps the generator's
 * own CPU small and steady next to the server on a 2-core machine; the
 * machine has no wrk or ab. Loopback and plain HTTP only: this measures the
 * server, not a network. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { MAX_CONNS = 1024, MAX_HEADERS = 16, BUF_CAP = 1 << 20 };

typedef struct {
	int fd;
	size_t sent;    /* bytes of the request written */
	size_t got;     /* bytes of the answer read */
	char *buf;
	double started; /* when the request began */
} conn_t;

static char *request;
static size_t request_len;
static struct sockaddr_in addr;
static int epfd;
static double *lat;
static size_t nlat, caplat;
static long non2xx, errors;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	perror(what);
	exit(2);
}

static void record(double ms)
{
	if (nlat == caplat) {
		caplat = caplat ? caplat * 2 : 65536;
		lat = realloc(lat, caplat * sizeof *lat);
		if (!lat)
			die("realloc");
	}
	lat[nlat++] = ms;
}

/* Opens (or reopens) c's connection and starts its next request. */
static void conn_open(conn_t *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (c->fd < 0)
		die("socket");
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(c->fd, (struct sockaddr *)&addr, sizeof addr) < 0 && errno != EINPROGRESS)
		die("connect");
	c->sent = c->got = 0;
	c->started = now_s();
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLIN, .data.ptr = c };
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0)
		die("epoll_ctl");
}

static void conn_want(conn_t *c, unsigned events)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };
	if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0)
		die("epoll_ctl");
}

/* The length of a complete answer in c->buf, 0 while incomplete; *status
 * and *keep tell its status and whether the connection stays open. */
static size_t answer_complete(conn_t *c, int *status, int *keep)
{
	c->buf[c->got] = '\0';
	char *end = strstr(c->buf, "\r\n\r\n");
	if (!end)
		return 0;
	size_t head = (size_t)(end - c->buf) + 4;
	*status = atoi(c->buf + 9);
	*keep = 1;
	long clen = -1;
	int chunked = 0;
	for (char *line = strstr(c->buf, "\r\n"); line && line < end; line = strstr(line + 2, "\r\n")) {
		const char *h = line + 2;
		if (!strncasecmp(h, "content-length:", 15))
			clen = atol(h + 15);
		else if (!strncasecmp(h, "transfer-encoding:", 18) && strstr(h, "chunked") && strstr(h, "chunked") < end)
			chunked = 1;
		else if (!strncasecmp(h, "connection:", 11) && !strncasecmp(h + 11 + strspn(h + 11, " "), "close", 5))
			*keep = 0;
	}
	if (clen >= 0)
		return c->got >= head + (size_t)clen ? head + (size_t)clen : 0;
	if (chunked) {
		/* The answers here are small; the last chunk ends the stream. */
		char *last = strstr(c->buf + head - 2, "\r\n0\r\n\r\n");
		return last ? (size_t)(last - c->buf) + 7 : 0;
	}
	*keep = 0; /* read to end of stream */
	return 0;
}

static void conn_event(conn_t *c, unsigned events, int running)
{
	if (events & (EPOLLERR | EPOLLHUP) && !(events & EPOLLIN)) {
		errors++;
		epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
		if (running)
			conn_open(c);
		return;
	}
	if (c->sent < request_len && (events & EPOLLOUT)) {
		ssize_t n = write(c->fd, request + c->sent, request_len - c->sent);
		if (n < 0 && errno != EAGAIN) {
			errors++;
			epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
			if (running)
				conn_open(c);
			return;
		}
		if (n > 0)
			c->sent += (size_t)n;
		if (c->sent == request_len)
			conn_want(c, EPOLLIN);
	}
	if (!(events & EPOLLIN))
		return;
	for (;;) {
		ssize_t n = read(c->fd, c->buf + c->got, BUF_CAP - 1 - c->got);
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			errors++;
			epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
			if (running)
				conn_open(c);
			return;
		}
		c->got += (size_t)n;
		int status = 0, keep = 1;
		size_t len = answer_complete(c, &status, &keep);
		if (!len) {
			if (c->got >= BUF_CAP - 1) {
				fprintf(stderr, "load: answer over %d bytes\n", BUF_CAP);
				exit(2);
			}
			continue;
		}
		double t = now_s();
		record((t - c->started) * 1000.0);
		if (status < 200 || status > 299) {
			if (non2xx < 3) {
				size_t show = c->got < 600 ? c->got : 600;
				fprintf(stderr, "load: answer %d: %.*s\n", status, (int)show, c->buf);
			}
			non2xx++;
		}
		if (!running)
			return;
		if (!keep || len != c->got) {
			epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
			conn_open(c);
			return;
		}
		c->sent = c->got = 0;
		c->started = t;
		conn_want(c, EPOLLOUT);
		return;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double pct(double p)
{
	if (!nlat)
		return 0;
	size_t k = (size_t)(p / 100.0 * (double)nlat);
	return lat[k < nlat ? k : nlat - 1];
}

static void usage(void)
{
	fprintf(stderr, "usage: load -c CONNS -d SECONDS [-m METHOD] [-H 'Name: value']... [-b BODY] "
			"http://127.0.0.1:PORT/path\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int nconns = 1;
	double seconds = 5;
	const char *method = "GET", *body = NULL, *headers[MAX_HEADERS];
	int nheaders = 0, opt;
	while ((opt = getopt(argc, argv, "c:d:m:H:b:")) != -1) {
		switch (opt) {
		case 'c': nconns = atoi(optarg); break;
		case 'd': seconds = atof(optarg); break;
		case 'm': method = optarg; break;
		case 'b': body = optarg; break;
		case 'H':
			if (nheaders == MAX_HEADERS)
				usage();
			headers[nheaders++] = optarg;
			break;
		default: usage();
		}
	}
	if (optind != argc - 1 || nconns < 1 || nconns > MAX_CONNS || seconds <= 0)
		usage();
	char host[64];
	int port = 0;
	char path[4096] = "/";
	if (sscanf(argv[optind], "http://%63[^:/]:%d%4095s", host, &port, path) < 2 || port <= 0 || port > 65535)
		usage();
	addr.sin_family = AF_INET;
	addr.sin_port = htons((unsigned short)port);
	if (inet_pton(AF_INET, host, &addr.sin_addr) != 1)
		usage();

	size_t cap = 8192 + (body ? strlen(body) : 0);
	request = malloc(cap);
	if (!request)
		die("malloc");
	int n = snprintf(request, cap, "%s %s HTTP/1.1\r\nHost: %s:%d\r\n", method, path, host, port);
	for (int i = 0; i < nheaders; i++)
		n += snprintf(request + n, cap - (size_t)n, "%s\r\n", headers[i]);
	if (body)
		n += snprintf(request + n, cap - (size_t)n, "Content-Length: %zu\r\n", strlen(body));
	n += snprintf(request + n, cap - (size_t)n, "\r\n%s", body ? body : "");
	if ((size_t)n >= cap)
		usage();
	request_len = (size_t)n;

	epfd = epoll_create1(0);
	if (epfd < 0)
		die("epoll_create1");
	conn_t *conns = calloc((size_t)nconns, sizeof *conns);
	if (!conns)
		die("calloc");
	for (int i = 0; i < nconns; i++) {
		conns[i].fd = -1;
		conns[i].buf = malloc(BUF_CAP);
		if (!conns[i].buf)
			die("malloc");
		conn_open(&conns[i]);
	}
	double t0 = now_s(), end = t0 + seconds;
	struct epoll_event evs[256];
	for (;;) {
		double t = now_s();
		if (t >= end)
			break;
		int k = epoll_wait(epfd, evs, 256, (int)((end - t) * 1000) + 1);
		if (k < 0 && errno != EINTR)
			die("epoll_wait");
		int running = now_s() < end;
		for (int i = 0; i < k; i++)
			conn_event(evs[i].data.ptr, evs[i].events, running);
	}
	double elapsed = now_s() - t0;
	qsort(lat, nlat, sizeof *lat, cmp_double);
	printf("requests=%zu seconds=%.2f rps=%.1f p50_ms=%.2f p99_ms=%.2f non2xx=%ld errors=%ld\n", nlat, elapsed,
	       (double)nlat / elapsed, pct(50), pct(99), non2xx, errors);
	return non2xx || !nlat ? 1 : 0;
}
