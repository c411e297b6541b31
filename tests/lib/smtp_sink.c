#define _GNU_SOURCE /* memmem */
#include "smtp_sink.h"
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

enum { SINK_MAX = 256 };

static struct {
	int listen_fd;
	pthread_t thread;
	volatile bool stop;
	pthread_mutex_t lock;
	smtp_sink_message msgs[SINK_MAX];
	size_t n;
} sink = { .listen_fd = -1, .lock = PTHREAD_MUTEX_INITIALIZER };

typedef struct {
	int fd;
	char buf[65536];
	size_t len;
} conn;

static void say(int fd, const char *line)
{
	ssize_t w = write(fd, line, strlen(line));
	(void)w;
}

/* Reads one CRLF-terminated line (without CRLF) into out; false at EOF. */
static bool read_line(conn *c, char **out)
{
	for (;;) {
		char *eol = memmem(c->buf, c->len, "\r\n", 2);
		if (eol) {
			size_t n = (size_t)(eol - c->buf);
			*out = strndup(c->buf, n);
			memmove(c->buf, eol + 2, c->len - n - 2);
			c->len -= n + 2;
			return true;
		}
		if (c->len == sizeof c->buf)
			return false;
		ssize_t r = read(c->fd, c->buf + c->len, sizeof c->buf - c->len);
		if (r <= 0)
			return false;
		c->len += (size_t)r;
	}
}

static void append(char **s, size_t *len, const char *line)
{
	size_t l = strlen(line);
	*s = realloc(*s, *len + l + 3);
	memcpy(*s + *len, line, l);
	memcpy(*s + *len + l, "\r\n", 3);
	*len += l + 2;
}

static void serve(int fd)
{
	conn *c = calloc(1, sizeof *c);
	c->fd = fd;
	char *from = NULL, *rcpt = NULL, *line;
	say(fd, "220 sink ESMTP\r\n");
	while (read_line(c, &line)) {
		if (!strncasecmp(line, "EHLO", 4)) {
			say(fd, "250-sink\r\n250 8BITMIME\r\n");
		} else if (!strncasecmp(line, "HELO", 4) || !strncasecmp(line, "NOOP", 4)) {
			say(fd, "250 ok\r\n");
		} else if (!strncasecmp(line, "MAIL FROM:", 10)) {
			free(from);
			from = strdup(line + 10);
			say(fd, "250 ok\r\n");
		} else if (!strncasecmp(line, "RCPT TO:", 8)) {
			if (!rcpt)
				rcpt = strdup(line + 8);
			say(fd, "250 ok\r\n");
		} else if (!strncasecmp(line, "RSET", 4)) {
			free(from), free(rcpt);
			from = rcpt = NULL;
			say(fd, "250 ok\r\n");
		} else if (!strncasecmp(line, "DATA", 4)) {
			say(fd, "354 go ahead\r\n");
			char *data = NULL, *l = NULL;
			size_t len = 0;
			while (read_line(c, &l)) {
				bool end = !strcmp(l, ".");
				if (!end)
					append(&data, &len, l[0] == '.' ? l + 1 : l);
				free(l);
				if (end)
					break;
			}
			pthread_mutex_lock(&sink.lock);
			if (sink.n < SINK_MAX)
				sink.msgs[sink.n++] = (smtp_sink_message){ from, rcpt, data ? data : strdup("") };
			pthread_mutex_unlock(&sink.lock);
			from = rcpt = NULL;
			say(fd, "250 queued\r\n");
		} else if (!strncasecmp(line, "QUIT", 4)) {
			say(fd, "221 bye\r\n");
			free(line);
			break;
		} else {
			say(fd, "502 not implemented\r\n");
		}
		free(line);
	}
	free(from);
	free(rcpt);
	free(c);
	close(fd);
}

static void *sink_main(void *arg)
{
	(void)arg;
	while (!sink.stop) {
		struct pollfd p = { .fd = sink.listen_fd, .events = POLLIN };
		if (poll(&p, 1, 100) <= 0)
			continue;
		int fd = accept(sink.listen_fd, NULL, NULL);
		if (fd >= 0)
			serve(fd); /* one client at a time is all the tests need */
	}
	return NULL;
}

int smtp_sink_start(void)
{
	sink.listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(sink.listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof a;
	cr_assert(!bind(sink.listen_fd, (struct sockaddr *)&a, sizeof a) && !listen(sink.listen_fd, 8) &&
		  !getsockname(sink.listen_fd, (struct sockaddr *)&a, &len), "smtp sink: cannot listen");
	sink.stop = false;
	cr_assert(!pthread_create(&sink.thread, NULL, sink_main, NULL));
	return ntohs(a.sin_port);
}

void smtp_sink_stop(void)
{
	sink.stop = true;
	pthread_join(sink.thread, NULL);
	close(sink.listen_fd);
	sink.listen_fd = -1;
	pthread_mutex_lock(&sink.lock);
	for (size_t i = 0; i < sink.n; i++)
		smtp_sink_message_free(&sink.msgs[i]);
	sink.n = 0;
	pthread_mutex_unlock(&sink.lock);
}

size_t smtp_sink_count(void)
{
	pthread_mutex_lock(&sink.lock);
	size_t n = sink.n;
	pthread_mutex_unlock(&sink.lock);
	return n;
}

smtp_sink_message smtp_sink_get(size_t i)
{
	pthread_mutex_lock(&sink.lock);
	cr_assert(i < sink.n, "no message %zu (have %zu)", i, sink.n);
	smtp_sink_message m = { strdup(sink.msgs[i].from ? sink.msgs[i].from : ""),
				strdup(sink.msgs[i].rcpt ? sink.msgs[i].rcpt : ""), strdup(sink.msgs[i].data) };
	pthread_mutex_unlock(&sink.lock);
	return m;
}

void smtp_sink_message_free(smtp_sink_message *m)
{
	free(m->from);
	free(m->rcpt);
	free(m->data);
	memset(m, 0, sizeof *m);
}

size_t smtp_sink_wait(size_t n, int ms)
{
	for (int i = 0; i < ms / 20 && smtp_sink_count() < n; i++)
		usleep(20 * 1000);
	return smtp_sink_count();
}
