#include "harness.h"
#include "util/jwt.h"
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char base_url[64];
static pid_t server_pid;
static char server_log[256];

const char *harness_base(void)
{
	/* Criterion may run each test in a re-executed process: the URL travels
	 * in the environment, not in a global. */
	const char *b = getenv("WT_BASE_URL");
	return b ? b : base_url;
}

const char *harness_bin(void)
{
	const char *b = getenv("WT_BIN");
	return b && *b ? b : "build/workestra-time";
}

int harness_free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof a;
	if (bind(fd, (struct sockaddr *)&a, sizeof a) || getsockname(fd, (struct sockaddr *)&a, &len)) {
		perror("free_port");
		exit(2);
	}
	int port = ntohs(a.sin_port);
	close(fd);
	return port;
}

typedef struct {
	char *data;
	size_t len;
} buf_t;

static size_t collect(char *ptr, size_t size, size_t n, void *userdata)
{
	buf_t *b = userdata;
	size_t add = size * n;
	char *p = realloc(b->data, b->len + add + 1);
	if (!p)
		return 0;
	b->data = p;
	memcpy(b->data + b->len, ptr, add);
	b->len += add;
	b->data[b->len] = '\0';
	return add;
}

harness_response harness_request(const char *method, const char *path, const char *token, const char *body,
				 const char *const *extra_headers)
{
	return harness_request_at(harness_base(), method, path, token, body, extra_headers);
}

harness_response harness_request_at(const char *base, const char *method, const char *path, const char *token,
				    const char *body, const char *const *extra_headers)
{
	harness_response r = { 0 };
	CURL *curl = curl_easy_init();
	char url[4096];
	snprintf(url, sizeof url, "%s%s", base, path);
	buf_t hb = { 0 }, bb = { 0 };
	struct curl_slist *hdrs = NULL;
	char auth[8300];
	if (token) {
		snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
		hdrs = curl_slist_append(hdrs, auth);
	}
	if (body)
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	for (const char *const *h = extra_headers; h && *h; h++)
		hdrs = curl_slist_append(hdrs, *h);
	hdrs = curl_slist_append(hdrs, "Expect:");
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, collect);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, &hb);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &bb);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
	if (body) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	CURLcode rc = curl_easy_perform(curl);
	if (rc == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r.status);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(curl);
	r.headers = hb.data ? hb.data : strdup("");
	r.body = bb.data ? bb.data : strdup("");
	r.json = json_loads(r.body, JSON_DECODE_ANY, NULL);
	return r;
}

json_t *harness_call(long want, const char *token, const char *method, const char *path, const char *fmt, ...)
{
	char body[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(body, sizeof body, fmt, ap);
	va_end(ap);
	harness_response r = harness_request(method, path, token, *body ? body : NULL, NULL);
	cr_assert_eq(r.status, want, "%s %s: want %ld, got %ld: %s", method, path, want, r.status, r.body);
	json_t *d = json_incref(harness_data(&r));
	harness_response_free(&r);
	return d;
}

void harness_response_free(harness_response *r)
{
	free(r->headers);
	free(r->body);
	json_decref(r->json);
	memset(r, 0, sizeof *r);
}

char *harness_header(const harness_response *r, const char *name)
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

json_t *harness_data(const harness_response *r)
{
	return json_object_get(r->json, "data");
}

const char *harness_error_code(const harness_response *r)
{
	return json_string_value(json_object_get(json_object_get(r->json, "error"), "code"));
}

static json_t *run_cli(char *const *argv)
{
	int fds[2];
	if (pipe(fds))
		return NULL;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execv(harness_bin(), argv);
		_exit(127);
	}
	close(fds[1]);
	buf_t out = { 0 };
	char tmp[4096];
	ssize_t n;
	while ((n = read(fds[0], tmp, sizeof tmp)) > 0)
		collect(tmp, 1, (size_t)n, &out);
	close(fds[0]);
	int st;
	waitpid(pid, &st, 0);
	json_t *j = NULL;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0 && out.data)
		j = json_loads(out.data, 0, NULL);
	free(out.data);
	return j;
}

json_t *harness_cli(const char *arg0, ...)
{
	char *argv[32];
	int n = 0;
	argv[n++] = (char *)harness_bin();
	va_list ap;
	va_start(ap, arg0);
	for (const char *a = arg0; a && n < 31; a = va_arg(ap, const char *))
		argv[n++] = (char *)a;
	va_end(ap);
	argv[n] = NULL;
	return run_cli(argv);
}

json_t *harness_cron(const char *job, const char *now)
{
	return now ? harness_cli("cron", "run", job, "--now", now, NULL) : harness_cli("cron", "run", job, NULL);
}

static void make_user(harness_ws *w, const char *role, const char *tag, char *id, char *tok)
{
	char email[128];
	snprintf(email, sizeof email, "%s-%s@example.test", tag, w->ws + 3);
	json_t *u = harness_cli("admin", "user", "create", "--workspace", w->ws, "--email", email, "--name", tag, "--role",
				role, "--weekly-hours", "40", NULL);
	cr_assert(u, "admin user create failed");
	snprintf(id, 64, "%s", json_string_value(json_object_get(u, "id")));
	json_decref(u);
	json_t *t = harness_cli("admin", "token", "create", "--user", id, NULL);
	cr_assert(t, "admin token create failed");
	snprintf(tok, 160, "%s", json_string_value(json_object_get(t, "token")));
	json_decref(t);
}

void harness_workspace(harness_ws *w, const char *plan, const char *modules)
{
	memset(w, 0, sizeof *w);
	json_t *ws = harness_cli("admin", "workspace", "create", "--name", "Test workspace", "--plan", plan, "--modules",
				 modules ? modules : "", NULL);
	cr_assert(ws, "admin workspace create failed");
	snprintf(w->ws, sizeof w->ws, "%s", json_string_value(json_object_get(ws, "id")));
	json_decref(ws);
	make_user(w, "admin", "admin", w->admin, w->admin_tok);
	make_user(w, "manager", "manager", w->manager, w->manager_tok);
	make_user(w, "member", "member", w->member, w->member_tok);
	make_user(w, "member", "member2", w->member2, w->member2_tok);
	w->demo = harness_cli("admin", "demo", "--workspace", w->ws, NULL);
	cr_assert(w->demo, "admin demo failed");
}

void harness_workspace_free(harness_ws *w)
{
	json_decref(w->demo);
	w->demo = NULL;
}

const char *harness_demo_id(const harness_ws *w, const char *list, size_t index)
{
	return json_string_value(json_object_get(json_array_get(json_object_get(w->demo, list), index), "id"));
}

static PGconn *test_conn(void)
{
	static PGconn *conn; /* one per test process (Criterion forks per test) */
	if (!conn || PQstatus(conn) != CONNECTION_OK) {
		conn = PQconnectdb(getenv("DATABASE_URL"));
		cr_assert(PQstatus(conn) == CONNECTION_OK, "test database: %s", PQerrorMessage(conn));
	}
	return conn;
}

static PGresult *sqlv(const char *sql, int nparams, va_list ap)
{
	const char *params[16];
	for (int i = 0; i < nparams && i < 16; i++)
		params[i] = va_arg(ap, const char *);
	PGresult *r = PQexecParams(test_conn(), sql, nparams, NULL, params, NULL, NULL, 0);
	cr_assert(PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK, "sql failed: %s",
		  PQresultErrorMessage(r));
	return r;
}

PGresult *harness_sql(const char *sql, int nparams, ...)
{
	va_list ap;
	va_start(ap, nparams);
	PGresult *r = sqlv(sql, nparams, ap);
	va_end(ap);
	return r;
}

long harness_sql_long(const char *sql, int nparams, ...)
{
	va_list ap;
	va_start(ap, nparams);
	PGresult *r = sqlv(sql, nparams, ap);
	va_end(ap);
	long v = PQntuples(r) > 0 && !PQgetisnull(r, 0, 0) ? atol(PQgetvalue(r, 0, 0)) : 0;
	PQclear(r);
	return v;
}

char *harness_jwt(const char *user_id, long ttl, const char *secret)
{
	char claims[256];
	snprintf(claims, sizeof claims, "{\"sub\":\"%s\",\"exp\":%ld,\"role\":\"authenticated\"}", user_id,
		 (long)time(NULL) + ttl);
	return jwt_sign_hs256(claims, secret);
}

static size_t discard(char *ptr, size_t size, size_t n, void *userdata)
{
	(void)ptr;
	(void)userdata;
	return size * n;
}

static bool healthy_at(const char *base)
{
	char url[128];
	snprintf(url, sizeof url, "%s/healthz", base);
	CURL *curl = curl_easy_init();
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 2L);
	long status = 0;
	if (curl_easy_perform(curl) == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(curl);
	return status == 200;
}

static void print_log(const char *path)
{
	char cmd[600];
	snprintf(cmd, sizeof cmd, "tail -n 40 '%s' >&2", path);
	if (system(cmd) != 0)
		fprintf(stderr, "(no server log)\n");
}

/* Serves a test spawned and has not stopped yet: killed when the test process
 * exits, also after a failed assertion, so none outlives its test. */
static pid_t spawned[16];

static void kill_spawned(void)
{
	for (size_t i = 0; i < sizeof spawned / sizeof spawned[0]; i++)
		if (spawned[i] > 0) {
			kill(spawned[i], SIGKILL);
			waitpid(spawned[i], NULL, 0);
			spawned[i] = 0;
		}
}

static void track_spawned(pid_t pid, bool add)
{
	static bool registered;
	if (!registered) {
		atexit(kill_spawned);
		registered = true;
	}
	for (size_t i = 0; i < sizeof spawned / sizeof spawned[0]; i++)
		if (add ? spawned[i] == 0 : spawned[i] == pid) {
			spawned[i] = add ? pid : 0;
			return;
		}
}

int harness_spawn_serve(const char *const *env, const char *log_path, char base[64])
{
	int port = harness_free_port();
	snprintf(base, 64, "http://127.0.0.1:%d", port);
	char portbuf[16];
	snprintf(portbuf, sizeof portbuf, "%d", port);
	pid_t pid = fork();
	if (pid == 0) {
		/* Its own process group: a signal meant for the test's group never reaches it. */
		setpgid(0, 0);
		FILE *log = freopen(log_path, "w", stderr);
		(void)log;
		setenv("PORT", portbuf, 1);
		setenv("HOST", "127.0.0.1", 1);
		setenv("WORKESTRA_JWT_SECRET", HARNESS_JWT_SECRET, 1);
		setenv("WORKESTRA_SECRET_KEY", HARNESS_SECRET_KEY, 1);
		setenv("WORKERS", "4", 1);
		setenv("CRON_SECRET", HARNESS_CRON_SECRET, 1);
		setenv("SCHEDULER", "off", 1);
		unsetenv("SMTP_URL");
		for (const char *const *e = env; e && *e; e++)
			putenv(strdup(*e));
		execl(harness_bin(), harness_bin(), "serve", (char *)NULL);
		_exit(127);
	}
	track_spawned(pid, true);
	for (int i = 0; i < 300; i++) {
		if (healthy_at(base))
			return pid;
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			fprintf(stderr, "serve exited early\n");
			print_log(log_path);
			return 0;
		}
		usleep(100 * 1000);
	}
	fprintf(stderr, "serve did not become healthy\n");
	print_log(log_path);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return 0;
}

int harness_stop_serve(int pid)
{
	if (pid <= 0)
		return -1; /* kill(0) would signal the whole process group */
	kill(pid, SIGTERM);
	int st = 0;
	waitpid(pid, &st, 0);
	track_spawned(pid, false);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static bool start_server(void)
{
	snprintf(server_log, sizeof server_log, "%s", getenv("WT_SERVE_LOG") ? getenv("WT_SERVE_LOG") : "build/serve-test.log");
	static const char *const env[] = { "WEBHOOK_ALLOW_PRIVATE=1", NULL };
	server_pid = harness_spawn_serve(env, server_log, base_url);
	if (!server_pid)
		return false;
	track_spawned(server_pid, false); /* stopped (and checked) by stop_server */
	setenv("WT_BASE_URL", base_url, 1);
	return true;
}

static int stop_server(void)
{
	int st = harness_stop_serve(server_pid);
	if (st != 0) {
		fprintf(stderr, "serve did not exit cleanly on SIGTERM (status %d)\n", st);
		print_log(server_log);
		return 1;
	}
	return 0;
}

int main(int argc, char *argv[])
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	/* Every process the tests start (serve, CLI drains) shares one server secret,
	 * as the instances of one deployment do. */
	setenv("WORKESTRA_SECRET_KEY", HARNESS_SECRET_KEY, 1);
	struct criterion_test_set *tests = criterion_initialize();
	int result = 1;
	if (criterion_handle_args(argc, argv, true)) {
		if (getenv("DATABASE_URL") && start_server()) {
			result = !criterion_run_all_tests(tests);
			result |= stop_server();
		} else if (!getenv("DATABASE_URL")) {
			fprintf(stderr, "DATABASE_URL is not set: run through scripts/test-pg.sh\n");
		}
	}
	criterion_finalize(tests);
	curl_global_cleanup();
	return result;
}
