/* Integration test harness: the test binary's main() starts one real
 * `workestra-time serve` (on DATABASE_URL, a free port, a known JWT secret)
 * before Criterion runs the tests, and stops it afterwards. Tests talk to it
 * over HTTP with libcurl and may read the database directly to check what was
 * written (audit rows, outbox events). */
#ifndef TESTS_HARNESS_H
#define TESTS_HARNESS_H
#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

#define HARNESS_JWT_SECRET "integration-test-jwt-secret"
/* WORKESTRA_SECRET_KEY of the server under test, so tests can mint tokens. */
#define HARNESS_SECRET_KEY "integration-test-confirmation-secret"

/* CRON_SECRET of the server under test (its scheduler is off: SCHEDULER=off). */
#define HARNESS_CRON_SECRET "integration-test-cron-secret"

typedef struct {
	long status;
	char *headers; /* raw response headers, lowercase names as sent */
	char *body;
	json_t *json;  /* parsed body, or NULL */
} harness_response;

/* A workspace with three users (admin, manager, member), their API tokens,
 * and the demo records of the other modules (json: the output of admin demo). */
typedef struct {
	char ws[64];
	char admin[64], manager[64], member[64], member2[64];          /* user ids */
	char admin_tok[160], manager_tok[160], member_tok[160], member2_tok[160];
	json_t *demo;
} harness_ws;

/* Base URL of the server under test, e.g. http://127.0.0.1:PORT */
const char *harness_base(void);
/* Path to the workestra-time binary. */
const char *harness_bin(void);

/* method, path ("/api/v1/..."), token (NULL: no Authorization), body (NULL: none).
 * extra_headers: NULL-terminated array of "Name: value" strings or NULL. */
harness_response harness_request(const char *method, const char *path, const char *token, const char *body,
				 const char *const *extra_headers);
/* The same against another server (base like http://127.0.0.1:PORT). */
harness_response harness_request_at(const char *base, const char *method, const char *path, const char *token,
				    const char *body, const char *const *extra_headers);
void harness_response_free(harness_response *r);
/* A request whose status must be want (the test fails otherwise); returns its
 * data (a new reference). The body is printf-formatted; "" sends none. */
json_t *harness_call(long want, const char *token, const char *method, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* A free TCP port on the loopback interface. */
int harness_free_port(void);
/* Value of a response header (case-insensitive name), malloc'd, or NULL. */
char *harness_header(const harness_response *r, const char *name);
/* The response's data / error.code, borrowed from r->json. */
json_t *harness_data(const harness_response *r);
const char *harness_error_code(const harness_response *r);

/* Runs `workestra-time args...` (NULL-terminated) and returns its stdout parsed as JSON. */
json_t *harness_cli(const char *arg0, ...);
/* `workestra-time cron run job --now now` (now NULL: the clock); the printed
 * run, or NULL when the command failed. */
json_t *harness_cron(const char *job, const char *now);
/* A new workspace (plan "free" or "pro", modules CSV or NULL) with users and demo data. */
void harness_workspace(harness_ws *w, const char *plan, const char *modules);
void harness_workspace_free(harness_ws *w);
/* First id of a demo list, e.g. harness_demo_id(w, "tasks", 0). */
const char *harness_demo_id(const harness_ws *w, const char *list, size_t index);

/* Runs SQL with text params on the test database; the caller PQclear()s. */
PGresult *harness_sql(const char *sql, int nparams, ...);
/* Convenience: first column of first row as a long (0 if none). */
long harness_sql_long(const char *sql, int nparams, ...);

/* Starts another `workestra-time serve` on a free port with the current
 * environment plus env ("NAME=value" strings, NULL-terminated, may be NULL),
 * its stderr to log_path; waits until it is healthy. Returns its pid (0 when
 * it did not come up) and its base URL in base (64 bytes). The main server is
 * started this way with WEBHOOK_ALLOW_PRIVATE=1 (webhook tests deliver to
 * 127.0.0.1). */
int harness_spawn_serve(const char *const *env, const char *log_path, char base[64]);
/* SIGTERM, then waits: the exit status (0 clean), or -1 when it did not exit normally. */
int harness_stop_serve(int pid);

/* An HS256 JWT for user_id expiring in ttl seconds (negative: already expired). */
char *harness_jwt(const char *user_id, long ttl, const char *secret);

#endif
