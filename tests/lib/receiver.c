#include "receiver.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { MAX_PATHS = 32, MAX_REQUESTS = 512, MAX_STEPS = 16 };

typedef struct {
	char path[256];
	char steps[MAX_STEPS][32];
	int nsteps, used;
	char *content; /* receiver_content: a 200 with this JSON body */
} script_t;

struct receiver {
	int listen_fd, port;
	pthread_t accept_thread;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	bool stopping;
	int handlers; /* connection threads still running */
	script_t scripts[MAX_PATHS];
	int nscripts;
	receiver_request requests[MAX_REQUESTS];
	int nrequests;
};

typedef struct {
	receiver_t *rx;
	int fd;
} conn_arg;

/* The next step for path (under the lock); "200" for unscripted paths. */
static void next_step(receiver_t *rx, const char *path, char out[32])
{
	for (int i = 0; i < rx->nscripts; i++) {
		script_t *s = &rx->scripts[i];
		if (strcmp(s->path, path))
			continue;
		int k = s->used < s->nsteps ? s->used : s->nsteps - 1;
		s->used++;
		snprintf(out, 32, "%s", s->steps[k]);
		return;
	}
	snprintf(out, 32, "200");
}

static void respond(int fd, int status)
{
	char body[64], resp[256];
	int blen = snprintf(body, sizeof body, "{\"received\":true,\"status\":%d}", status);
	int n = snprintf(resp, sizeof resp, "HTTP/1.1 %d Scripted\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
					    "Connection: close\r\n%s\r\n%s",
			 status, blen, status >= 300 && status < 400 ? "Location: http://127.0.0.1:1/elsewhere\r\n" : "", body);
	ssize_t w = write(fd, resp, (size_t)n);
	(void)w;
}

static void respond_content(int fd, const char *body)
{
	char head[160];
	size_t blen = strlen(body);
	int n = snprintf(head, sizeof head,
			 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
			 blen);
	if (write(fd, head, (size_t)n) == n) {
		ssize_t w = write(fd, body, blen);
		(void)w;
	}
}

/* Reads one request: header block and Content-Length bytes of body. */
static bool read_request(int fd, char **head, char **body, size_t *body_len)
{
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap + 1);
	char *end = NULL;
	while (!end) {
		if (len == cap) {
			free(buf);
			return false;
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n <= 0) {
			free(buf);
			return false;
		}
		len += (size_t)n;
		buf[len] = '\0';
		end = strstr(buf, "\r\n\r\n");
	}
	size_t hlen = (size_t)(end - buf) + 4;
	size_t want = 0;
	for (char *p = buf; p < buf + hlen; p = strstr(p, "\r\n") + 2)
		if (!strncasecmp(p, "content-length:", 15))
			want = strtoul(p + 15, NULL, 10);
	if (want > cap - hlen) {
		free(buf);
		return false;
	}
	while (len < hlen + want) {
		ssize_t n = read(fd, buf + len, hlen + want - len);
		if (n <= 0) {
			free(buf);
			return false;
		}
		len += (size_t)n;
	}
	*head = strndup(buf, hlen);
	*body = malloc(want + 1);
	memcpy(*body, buf + hlen, want);
	(*body)[want] = '\0';
	*body_len = want;
	free(buf);
	return true;
}

static void *handle_conn(void *arg)
{
	conn_arg *ca = arg;
	receiver_t *rx = ca->rx;
	char *head = NULL, *body = NULL;
	size_t body_len = 0;
	if (read_request(ca->fd, &head, &body, &body_len)) {
		char path[256] = "";
		sscanf(head, "%*s %255s", path);
		char step[32];
		char *content = NULL;
		pthread_mutex_lock(&rx->lock);
		next_step(rx, path, step);
		for (int i = 0; i < rx->nscripts; i++)
			if (!strcmp(rx->scripts[i].path, path) && rx->scripts[i].content)
				content = strdup(rx->scripts[i].content);
		if (rx->nrequests < MAX_REQUESTS) {
			receiver_request *r = &rx->requests[rx->nrequests++];
			snprintf(r->path, sizeof r->path, "%s", path);
			r->headers = head;
			r->body = body;
			r->body_len = body_len;
			head = body = NULL;
		}
		pthread_cond_broadcast(&rx->changed);
		pthread_mutex_unlock(&rx->lock);
		int delay = 0, status = 200;
		if (!strncmp(step, "slow:", 5))
			sscanf(step + 5, "%d:%d", &delay, &status);
		else if (strcmp(step, "drop"))
			status = atoi(step);
		/* Sleep in slices so stopping the receiver is not held up. */
		for (int waited = 0; waited < delay; waited += 50) {
			pthread_mutex_lock(&rx->lock);
			bool stop = rx->stopping;
			pthread_mutex_unlock(&rx->lock);
			if (stop)
				break;
			usleep(50 * 1000);
		}
		if (content)
			respond_content(ca->fd, content);
		else if (strcmp(step, "drop"))
			respond(ca->fd, status);
		free(content);
	}
	free(head);
	free(body);
	close(ca->fd);
	pthread_mutex_lock(&rx->lock);
	rx->handlers--;
	pthread_cond_broadcast(&rx->changed);
	pthread_mutex_unlock(&rx->lock);
	free(ca);
	return NULL;
}

static void *accept_loop(void *arg)
{
	receiver_t *rx = arg;
	for (;;) {
		struct pollfd pfd = { .fd = rx->listen_fd, .events = POLLIN };
		int pr = poll(&pfd, 1, 100);
		pthread_mutex_lock(&rx->lock);
		bool stop = rx->stopping;
		pthread_mutex_unlock(&rx->lock);
		if (stop)
			break;
		if (pr <= 0)
			continue;
		int fd = accept(rx->listen_fd, NULL, NULL);
		if (fd < 0)
			continue;
		conn_arg *ca = malloc(sizeof *ca);
		ca->rx = rx;
		ca->fd = fd;
		pthread_mutex_lock(&rx->lock);
		rx->handlers++;
		pthread_mutex_unlock(&rx->lock);
		pthread_t t;
		if (pthread_create(&t, NULL, handle_conn, ca)) {
			close(fd);
			free(ca);
			pthread_mutex_lock(&rx->lock);
			rx->handlers--;
			pthread_mutex_unlock(&rx->lock);
			continue;
		}
		pthread_detach(t);
	}
	return NULL;
}

receiver_t *receiver_start(void)
{
	receiver_t *rx = calloc(1, sizeof *rx);
	pthread_mutex_init(&rx->lock, NULL);
	pthread_cond_init(&rx->changed, NULL);
	rx->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(rx->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t alen = sizeof a;
	if (bind(rx->listen_fd, (struct sockaddr *)&a, sizeof a) || listen(rx->listen_fd, 128) ||
	    getsockname(rx->listen_fd, (struct sockaddr *)&a, &alen)) {
		perror("receiver");
		abort();
	}
	rx->port = ntohs(a.sin_port);
	pthread_create(&rx->accept_thread, NULL, accept_loop, rx);
	return rx;
}

void receiver_stop(receiver_t *rx)
{
	pthread_mutex_lock(&rx->lock);
	rx->stopping = true;
	pthread_mutex_unlock(&rx->lock);
	pthread_join(rx->accept_thread, NULL);
	close(rx->listen_fd);
	pthread_mutex_lock(&rx->lock);
	while (rx->handlers > 0)
		pthread_cond_wait(&rx->changed, &rx->lock);
	pthread_mutex_unlock(&rx->lock);
	for (int i = 0; i < rx->nrequests; i++) {
		free(rx->requests[i].headers);
		free(rx->requests[i].body);
	}
	for (int i = 0; i < rx->nscripts; i++)
		free(rx->scripts[i].content);
	pthread_mutex_destroy(&rx->lock);
	pthread_cond_destroy(&rx->changed);
	free(rx);
}

int receiver_port(const receiver_t *rx)
{
	return rx->port;
}

char *receiver_url(const receiver_t *rx, const char *path)
{
	char *u = malloc(strlen(path) + 40);
	sprintf(u, "http://127.0.0.1:%d%s", rx->port, path);
	return u;
}

void receiver_script(receiver_t *rx, const char *path, const char *steps)
{
	pthread_mutex_lock(&rx->lock);
	script_t *s = NULL;
	for (int i = 0; i < rx->nscripts && !s; i++)
		if (!strcmp(rx->scripts[i].path, path))
			s = &rx->scripts[i];
	if (!s && rx->nscripts < MAX_PATHS)
		s = &rx->scripts[rx->nscripts++];
	if (s) {
		free(s->content);
		memset(s, 0, sizeof *s);
		snprintf(s->path, sizeof s->path, "%s", path);
		char copy[512];
		snprintf(copy, sizeof copy, "%s", steps);
		char *save = NULL;
		for (char *t = strtok_r(copy, ",", &save); t && s->nsteps < MAX_STEPS; t = strtok_r(NULL, ",", &save))
			snprintf(s->steps[s->nsteps++], 32, "%s", t);
	}
	pthread_mutex_unlock(&rx->lock);
}

static int count_locked(receiver_t *rx, const char *path)
{
	int n = 0;
	for (int i = 0; i < rx->nrequests; i++)
		n += !strcmp(rx->requests[i].path, path);
	return n;
}

int receiver_count(receiver_t *rx, const char *path)
{
	pthread_mutex_lock(&rx->lock);
	int n = count_locked(rx, path);
	pthread_mutex_unlock(&rx->lock);
	return n;
}

bool receiver_wait(receiver_t *rx, const char *path, int n, int timeout_ms)
{
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&rx->lock);
	int rc = 0;
	while (count_locked(rx, path) < n && rc == 0)
		rc = pthread_cond_timedwait(&rx->changed, &rx->lock, &deadline);
	bool ok = count_locked(rx, path) >= n;
	pthread_mutex_unlock(&rx->lock);
	return ok;
}

bool receiver_get(receiver_t *rx, const char *path, int index, receiver_request *out)
{
	bool found = false;
	pthread_mutex_lock(&rx->lock);
	for (int i = 0, k = 0; i < rx->nrequests && !found; i++) {
		if (strcmp(rx->requests[i].path, path))
			continue;
		if (k++ == index) {
			*out = rx->requests[i];
			out->headers = strdup(rx->requests[i].headers);
			out->body = malloc(out->body_len + 1);
			memcpy(out->body, rx->requests[i].body, out->body_len + 1);
			found = true;
		}
	}
	pthread_mutex_unlock(&rx->lock);
	return found;
}

void receiver_request_free(receiver_request *r)
{
	free(r->headers);
	free(r->body);
	r->headers = r->body = NULL;
}

char *receiver_header(const receiver_request *r, const char *name)
{
	size_t n = strlen(name);
	for (const char *line = r->headers; line && *line;) {
		const char *eol = strstr(line, "\r\n");
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		if (len > n && line[n] == ':' && !strncasecmp(line, name, n)) {
			const char *v = line + n + 1;
			while (*v == ' ')
				v++;
			return strndup(v, len - (size_t)(v - line));
		}
		line = eol ? eol + 2 : line + len;
	}
	return NULL;
}

void receiver_content(receiver_t *rx, const char *path, const char *json_body)
{
	receiver_script(rx, path, "200");
	pthread_mutex_lock(&rx->lock);
	for (int i = 0; i < rx->nscripts; i++)
		if (!strcmp(rx->scripts[i].path, path))
			rx->scripts[i].content = strdup(json_body);
	pthread_mutex_unlock(&rx->lock);
}
