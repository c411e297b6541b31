#include "model_server.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { MAX_STEPS = 64, MAX_REQUESTS = 256 };

struct model_server {
	int listen_fd, port;
	pthread_t accept_thread;
	pthread_mutex_t lock;
	bool stopping;
	int handlers;
	json_t *steps[MAX_STEPS];
	int nsteps, used;
	json_t *requests[MAX_REQUESTS];
	int nrequests;
	int serial; /* numbers completions and tool calls */
	bool repeat;
};

typedef struct {
	model_server *m;
	int fd;
} conn_arg;

static bool send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w <= 0)
			return false;
		p += w, n -= (size_t)w;
	}
	return true;
}

/* One `data:` event holding a chunk whose choices[0] is choice (stolen; NULL:
 * empty choices, with usage). */
static bool send_chunk(int fd, int serial, json_t *choice, json_t *usage)
{
	json_t *chunk = json_pack("{s:s, s:s, s:i, s:s, s:[]}", "id", "", "object", "chat.completion.chunk", "created",
				  1767225600, "model", "scripted", "choices");
	char id[32];
	snprintf(id, sizeof id, "chatcmpl-%d", serial);
	json_object_set_new(chunk, "id", json_string(id));
	if (choice)
		json_array_append_new(json_object_get(chunk, "choices"), choice);
	if (usage)
		json_object_set_new(chunk, "usage", usage);
	char *text = json_dumps(chunk, JSON_COMPACT);
	json_decref(chunk);
	size_t n = strlen(text) + 16;
	char *frame = malloc(n);
	int len = snprintf(frame, n, "data: %s\n\n", text);
	bool ok = send_all(fd, frame, (size_t)len);
	free(frame);
	free(text);
	return ok;
}

static json_t *delta_choice(json_t *delta, const char *finish)
{
	return json_pack("{s:i, s:o, s:s?}", "index", 0, "delta", delta, "finish_reason", finish);
}

/* Streams a step's text and tool calls as chat.completion.chunk events. */
static void stream(int fd, int serial, json_t *step)
{
	static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
				   "Connection: close\r\n\r\n";
	if (!send_all(fd, head, sizeof head - 1))
		return;
	send_chunk(fd, serial, delta_choice(json_pack("{s:s, s:s}", "role", "assistant", "content", ""), NULL), NULL);
	const char *text = json_string_value(json_object_get(step, "text"));
	for (size_t at = 0, len = text ? strlen(text) : 0; at < len;) {
		size_t n = len - at < 7 ? len - at : 7;
		while (at + n < len && ((unsigned char)text[at + n] & 0xC0) == 0x80)
			n++; /* pieces end on a character boundary */
		send_chunk(fd, serial, delta_choice(json_pack("{s:s%}", "content", text + at, n), NULL), NULL);
		at += n;
	}
	json_t *calls = json_object_get(step, "tool_calls");
	for (size_t i = 0; i < json_array_size(calls); i++) {
		json_t *c = json_array_get(calls, i);
		const char *args = json_string_value(json_object_get(c, "arguments"));
		char id[48];
		snprintf(id, sizeof id, "call_%d_%zu", serial, i);
		send_chunk(fd, serial,
			   delta_choice(json_pack("{s:[{s:i, s:s, s:s, s:{s:O, s:s}}]}", "tool_calls", "index", (int)i, "id", id,
						  "type", "function", "function", "name", json_object_get(c, "name"),
						  "arguments", ""),
					NULL),
			   NULL);
		size_t len = args ? strlen(args) : 0, third = len / 3 + 1;
		for (size_t at = 0; at < len; at += third) {
			size_t n = len - at < third ? len - at : third;
			send_chunk(fd, serial,
				   delta_choice(json_pack("{s:[{s:i, s:{s:s%}}]}", "tool_calls", "index", (int)i, "function",
							  "arguments", args + at, n),
						NULL),
				   NULL);
		}
	}
	send_chunk(fd, serial, delta_choice(json_object(), json_array_size(calls) ? "tool_calls" : "stop"), NULL);
	send_chunk(fd, serial, NULL,
		   json_pack("{s:i, s:i, s:i}", "prompt_tokens", 100, "completion_tokens", 10, "total_tokens", 110));
	send_all(fd, "data: [DONE]\n\n", 14);
}

static void error_answer(int fd, json_t *step)
{
	int status = (int)json_integer_value(json_object_get(step, "status"));
	const char *body = json_string_value(json_object_get(step, "body"));
	const char *retry = json_string_value(json_object_get(step, "retry_after"));
	char dflt[128];
	snprintf(dflt, sizeof dflt, "{\"error\":{\"message\":\"scripted failure %d\",\"type\":\"server_error\"}}", status);
	if (!body)
		body = dflt;
	char head[512];
	int n = snprintf(head, sizeof head,
			 "HTTP/1.1 %d Scripted\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n%s%s%s"
			 "Connection: close\r\n\r\n",
			 status, strlen(body), retry ? "Retry-After: " : "", retry ? retry : "", retry ? "\r\n" : "");
	send_all(fd, head, (size_t)n);
	send_all(fd, body, strlen(body));
}

/* Reads a whole request (head and Content-Length body); the body, malloc'd. */
static char *read_request(int fd)
{
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);
	long need = -1;
	size_t head_end = 0;
	for (;;) {
		if (len + 4096 > cap)
			buf = realloc(buf, cap *= 2);
		ssize_t r = recv(fd, buf + len, cap - len - 1, 0);
		if (r <= 0)
			break;
		len += (size_t)r;
		buf[len] = '\0';
		if (!head_end) {
			char *e = strstr(buf, "\r\n\r\n");
			if (!e)
				continue;
			head_end = (size_t)(e - buf) + 4;
			for (char *l = buf; l && l < e; l = strstr(l, "\r\n") ? strstr(l, "\r\n") + 2 : NULL)
				if (!strncasecmp(l, "content-length:", 15))
					need = strtol(l + 15, NULL, 10);
			if (need < 0)
				need = 0;
		}
		if (head_end && len >= head_end + (size_t)need)
			break;
	}
	if (!head_end) {
		free(buf);
		return NULL;
	}
	char *body = strndup(buf + head_end, len - head_end);
	free(buf);
	return body;
}

static void *serve_conn(void *arg)
{
	conn_arg *ca = arg;
	model_server *m = ca->m;
	int fd = ca->fd;
	free(ca);
	char *body = read_request(fd);
	json_t *req = body ? json_loads(body, 0, NULL) : NULL;
	free(body);
	pthread_mutex_lock(&m->lock);
	if (m->nrequests < MAX_REQUESTS)
		m->requests[m->nrequests++] = req ? json_incref(req) : json_null();
	if (m->repeat && m->used >= m->nsteps)
		m->used = 0;
	json_t *step = m->used < m->nsteps ? json_incref(m->steps[m->used++]) : NULL;
	int serial = ++m->serial;
	pthread_mutex_unlock(&m->lock);
	json_decref(req);
	if (!step) {
		step = json_pack("{s:i, s:s}", "status", 500, "body", "{\"error\":{\"message\":\"the script is used up\"}}");
	}
	if (json_object_get(step, "status")) {
		error_answer(fd, step);
	} else if (json_object_get(step, "hang_ms")) {
		static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n";
		send_all(fd, head, sizeof head - 1);
		long left = (long)json_integer_value(json_object_get(step, "hang_ms"));
		while (left > 0) {
			pthread_mutex_lock(&m->lock);
			bool stop = m->stopping;
			pthread_mutex_unlock(&m->lock);
			struct pollfd p = { .fd = fd, .events = POLLIN };
			if (stop || (poll(&p, 1, 50) > 0 && recv(fd, (char[1]){ 0 }, 1, MSG_DONTWAIT) == 0))
				break; /* the client gave up */
			left -= 50;
		}
	} else {
		stream(fd, serial, step);
	}
	json_decref(step);
	shutdown(fd, SHUT_WR);
	close(fd);
	pthread_mutex_lock(&m->lock);
	m->handlers--;
	pthread_mutex_unlock(&m->lock);
	return NULL;
}

static void *accept_loop(void *arg)
{
	model_server *m = arg;
	for (;;) {
		struct pollfd p = { .fd = m->listen_fd, .events = POLLIN };
		pthread_mutex_lock(&m->lock);
		bool stop = m->stopping;
		pthread_mutex_unlock(&m->lock);
		if (stop)
			break;
		if (poll(&p, 1, 50) <= 0)
			continue;
		int fd = accept(m->listen_fd, NULL, NULL);
		if (fd < 0)
			continue;
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		conn_arg *ca = malloc(sizeof *ca);
		ca->m = m;
		ca->fd = fd;
		pthread_t t;
		pthread_mutex_lock(&m->lock);
		m->handlers++;
		pthread_mutex_unlock(&m->lock);
		if (pthread_create(&t, NULL, serve_conn, ca) == 0) {
			pthread_detach(t);
		} else {
			close(fd);
			free(ca);
			pthread_mutex_lock(&m->lock);
			m->handlers--;
			pthread_mutex_unlock(&m->lock);
		}
	}
	return NULL;
}

model_server *model_server_start(int port)
{
	model_server *m = calloc(1, sizeof *m);
	pthread_mutex_init(&m->lock, NULL);
	m->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	setsockopt(m->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t al = sizeof a;
	if (bind(m->listen_fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(m->listen_fd, 128) < 0) {
		close(m->listen_fd);
		free(m);
		return NULL;
	}
	getsockname(m->listen_fd, (struct sockaddr *)&a, &al);
	m->port = ntohs(a.sin_port);
	pthread_create(&m->accept_thread, NULL, accept_loop, m);
	return m;
}

void model_server_reset(model_server *m)
{
	pthread_mutex_lock(&m->lock);
	for (int i = 0; i < m->nsteps; i++)
		json_decref(m->steps[i]);
	for (int i = 0; i < m->nrequests; i++)
		json_decref(m->requests[i]);
	m->nsteps = m->used = m->nrequests = 0;
	pthread_mutex_unlock(&m->lock);
}

void model_server_stop(model_server *m)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	m->stopping = true;
	pthread_mutex_unlock(&m->lock);
	pthread_join(m->accept_thread, NULL);
	for (;;) { /* handlers notice stopping within 50 ms */
		pthread_mutex_lock(&m->lock);
		int left = m->handlers;
		pthread_mutex_unlock(&m->lock);
		if (!left)
			break;
		nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
	}
	close(m->listen_fd);
	model_server_reset(m);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

int model_server_port(const model_server *m)
{
	return m->port;
}

void model_server_repeat(model_server *m)
{
	pthread_mutex_lock(&m->lock);
	m->repeat = true;
	pthread_mutex_unlock(&m->lock);
}

char *model_server_base(const model_server *m)
{
	char *s = malloc(64);
	snprintf(s, 64, "http://127.0.0.1:%d/v1", m->port);
	return s;
}

void model_server_push(model_server *m, const char *step_json)
{
	json_t *step = json_loads(step_json, 0, NULL);
	if (!step) {
		fprintf(stderr, "model_server_push: not JSON: %s\n", step_json);
		abort();
	}
	pthread_mutex_lock(&m->lock);
	if (m->nsteps < MAX_STEPS)
		m->steps[m->nsteps++] = step;
	else
		json_decref(step);
	pthread_mutex_unlock(&m->lock);
}

int model_server_count(model_server *m)
{
	pthread_mutex_lock(&m->lock);
	int n = m->nrequests;
	pthread_mutex_unlock(&m->lock);
	return n;
}

json_t *model_server_request(model_server *m, int i)
{
	pthread_mutex_lock(&m->lock);
	json_t *r = i >= 0 && i < m->nrequests ? m->requests[i] : NULL;
	pthread_mutex_unlock(&m->lock);
	return r;
}
