/* Database outages: a server whose database is unreachable stays up, says so
 * on /readyz and answers API calls 503 database_unavailable (no crash, no
 * hang) and still stops cleanly; the main server reconnects after its
 * connections are killed. */
#include "harness.h"
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define OUT_DEAD_DB "host=127.0.0.1 port=1 dbname=workestra_nowhere connect_timeout=2"

/* A second `serve` on port with this DATABASE_URL; its stderr goes to log. */
static pid_t out_spawn(int port, const char *database_url, const char *log)
{
	pid_t parent = getpid();
	pid_t pid = fork();
	cr_assert(pid >= 0, "fork");
	if (pid == 0) {
		/* Never outlive the test process, even when an assertion ends it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(126);
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		char portbuf[16];
		snprintf(portbuf, sizeof portbuf, "%d", port);
		setenv("PORT", portbuf, 1);
		setenv("HOST", "127.0.0.1", 1);
		setenv("DATABASE_URL", database_url, 1);
		setenv("WORKERS", "2", 1);
		execl(harness_bin(), harness_bin(), "serve", (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void out_log_path(char *out, size_t n)
{
	const char *base = getenv("WT_SERVE_LOG");
	snprintf(out, n, "%s.outage", base && *base ? base : "build/serve-test.log");
}

/* Waits for /healthz 200 on the current base URL; fails if the process exits. */
static void out_wait_healthy(pid_t pid, const char *log)
{
	for (int i = 0; i < 300; i++) {
		harness_response r = harness_request("GET", "/healthz", NULL, NULL, NULL);
		long status = r.status;
		harness_response_free(&r);
		if (status == 200)
			return;
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid)
			cr_assert_fail("serve exited (%s %d) instead of serving while its database is unreachable; see %s",
				 WIFEXITED(st) ? "status" : "signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), log);
		usleep(100 * 1000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	cr_assert_fail("serve never answered /healthz; see %s", log);
}

/* SIGTERMs pid and returns its wait status; SIGKILLs it if it will not stop. */
static int out_terminate(pid_t pid)
{
	kill(pid, SIGTERM);
	int st = 0;
	for (int i = 0; i < 600; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return st;
		usleep(50 * 1000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	cr_assert_fail("serve did not exit within 30 s of SIGTERM");
	return st;
}

static void out_expect_unavailable(const char *method, const char *path, const char *tok, const char *body)
{
	harness_response r = harness_request(method, path, tok, body, NULL);
	cr_assert_eq(r.status, 503, "%s %s: expected 503, got %ld: %s", method, path, r.status, r.body);
	const char *code = harness_error_code(&r);
	cr_assert_str_eq(code ? code : "(none)", "database_unavailable", "%s %s: %s", method, path, r.body);
	char *v = harness_header(&r, "x-api-version");
	cr_assert_str_eq(v ? v : "(none)", "v1", "every /api/v1 answer carries X-API-Version");
	free(v);
	harness_response_free(&r);
}

Test(outage, unreachable_database_answers_503_and_stops_cleanly, .timeout = 120)
{
	char log[300], base[64];
	out_log_path(log, sizeof log);
	int port = harness_free_port();
	char *saved = strdup(harness_base());
	snprintf(base, sizeof base, "http://127.0.0.1:%d", port);
	setenv("WT_BASE_URL", base, 1);
	pid_t pid = out_spawn(port, OUT_DEAD_DB, log);
	out_wait_healthy(pid, log);

	harness_response r = harness_request("GET", "/readyz", NULL, NULL, NULL);
	cr_assert_eq(r.status, 503, "/readyz with no database: %ld %s", r.status, r.body);
	harness_response_free(&r);
	const char *tok = "tok_0123456789abcdef.not-a-real-secret";
	out_expect_unavailable("GET", "/api/v1/time-entries", tok, NULL);
	out_expect_unavailable("GET", "/api/v1/time/timer/active", tok, NULL);
	out_expect_unavailable("POST", "/api/v1/time-entries", tok,
			       "{\"entity_type\":\"task\",\"log_date\":\"2026-04-29\",\"hours\":1}");
	out_expect_unavailable("POST", "/api/v1/time/timer/start", tok, "{\"entity_type\":\"task\"}");
	/* The console's files need no database: the page loads and shows the API's 503 itself. */
	r = harness_request("GET", "/time", NULL, NULL, NULL);
	cr_assert_eq(r.status, 200, "the console with no database: %ld %s", r.status, r.body);
	harness_response_free(&r);
	/* Still alive and still answering after the failures. */
	r = harness_request("GET", "/healthz", NULL, NULL, NULL);
	cr_assert_eq(r.status, 200);
	harness_response_free(&r);
	cr_assert_eq(waitpid(pid, NULL, WNOHANG), 0, "serve is still running");

	int st = out_terminate(pid);
	cr_assert(WIFEXITED(st), "serve was killed by signal %d (see %s)", WIFSIGNALED(st) ? WTERMSIG(st) : 0, log);
	cr_assert_eq(WEXITSTATUS(st), 0, "serve exits 0 on SIGTERM (see %s)", log);
	setenv("WT_BASE_URL", saved, 1);
	free(saved);
}

static long out_terminate_backends(void)
{
	PGresult *r = harness_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
				  " WHERE datname = current_database() AND pid <> pg_backend_pid()",
				  0);
	long n = 0;
	for (int i = 0; i < PQntuples(r); i++)
		n += PQgetvalue(r, i, 0)[0] == 't';
	PQclear(r);
	return n;
}

static void out_expect_status(long want, const char *method, const char *path, const char *tok, const char *body)
{
	harness_response r = harness_request(method, path, tok, body, NULL);
	cr_assert_eq(r.status, want, "%s %s after the connections were killed: expected %ld, got %ld: %s", method, path,
		     want, r.status, r.body);
	harness_response_free(&r);
}

Test(outage, server_reconnects_after_its_connections_are_killed, .timeout = 120)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char body[512], path[128];
	snprintf(body, sizeof body, "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"log_date\":\"2026-04-29\",\"hours\":1}",
		 harness_demo_id(&w, "tasks", 0));
	harness_response r = harness_request("POST", "/api/v1/time-entries", w.member_tok, body, NULL);
	cr_assert_eq(r.status, 201, "%s", r.body);
	snprintf(path, sizeof path, "/api/v1/time-entries/%s", json_string_value(json_object_get(harness_data(&r), "id")));
	harness_response_free(&r);
	/* Give every worker a connection to lose. */
	for (int i = 0; i < 8; i++)
		out_expect_status(200, "GET", path, w.member_tok, NULL);

	for (int round = 0; round < 2; round++) {
		cr_assert(out_terminate_backends() >= 1, "the server's connections were terminated");
		/* More requests than workers, so each worker meets its dead connection. */
		for (int i = 0; i < 12; i++)
			out_expect_status(200, "GET", path, w.member_tok, NULL);
		out_expect_status(200, "GET", "/readyz", NULL, NULL);
		out_terminate_backends();
		/* Writes (a transaction) after the loss succeed too. */
		for (int i = 0; i < 6; i++)
			out_expect_status(201, "POST", "/api/v1/time-entries", w.member_tok, body);
		out_terminate_backends();
		for (int i = 0; i < 6; i++)
			out_expect_status(200, "GET", "/api/v1/timesheets", w.manager_tok, NULL);
	}
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_entries WHERE workspace_id = $1", 1, w.ws), 13);
	harness_workspace_free(&w);
}
