/* The cron framework: the CLI and HTTP triggers, the CRON_SECRET guard, one
 * recorded run per job and UTC day (replayed, never redone), the advisory
 * lock across concurrent runs, and serve's scheduler stopping on SIGTERM. */
#include "harness.h"
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CRF_JOB "time-tracking-reminders"

static const char *crf_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static harness_response crf_trigger(const char *method, const char *job, const char *auth)
{
	char path[128], header[256];
	snprintf(path, sizeof path, "/api/cron/%s", job);
	snprintf(header, sizeof header, "Authorization: %s", auth ? auth : "");
	const char *headers[] = { header, NULL };
	return harness_request(method, path, NULL, NULL, auth ? headers : NULL);
}

Test(cron_framework, cli_runs_once_per_day_and_replays)
{
	json_t *first = harness_cron(CRF_JOB, "2025-01-06T17:25:00Z");
	cr_assert(first, "cron run failed");
	cr_assert_str_eq(crf_str(first, "job"), CRF_JOB);
	cr_assert_str_eq(crf_str(first, "run_date"), "2025-01-06");
	cr_assert_str_eq(crf_str(first, "status"), "succeeded");
	cr_assert(json_is_false(json_object_get(first, "replayed")));
	cr_assert(json_is_object(json_object_get(first, "counts")));
	/* Later the same UTC day: the recorded run answers. */
	json_t *again = harness_cron(CRF_JOB, "2025-01-06T23:59:00Z");
	cr_assert(again);
	cr_assert(json_is_true(json_object_get(again, "replayed")));
	cr_assert_str_eq(crf_str(again, "now"), "2025-01-06T17:25:00Z");
	cr_assert(json_equal(json_object_get(first, "counts"), json_object_get(again, "counts")));
	cr_assert_eq(harness_sql_long("SELECT attempts FROM cron_runs WHERE job = $1 AND run_date = '2025-01-06'", 1, CRF_JOB), 1);
	json_decref(first);
	json_decref(again);
}

Test(cron_framework, cli_refuses_unknown_jobs_and_bad_times)
{
	cr_assert_null(harness_cron("no-such-job", "2025-01-06T10:00:00Z"));
	cr_assert_null(harness_cron(CRF_JOB, "yesterday-ish"));
	cr_assert_null(harness_cron(CRF_JOB, "yesterday"));
	cr_assert_null(harness_cron("deliver-time-webhooks-not-here", NULL));
	json_t *list = harness_cli("cron", "list", NULL);
	cr_assert(json_is_array(list));
	cr_assert_geq(json_array_size(list), 5);
	json_decref(list);
}

Test(cron_framework, http_trigger_needs_the_secret)
{
	harness_response r = crf_trigger("POST", CRF_JOB, NULL);
	cr_assert_eq(r.status, 401, "%s", r.body);
	cr_assert_str_eq(harness_error_code(&r), "unauthorized");
	harness_response_free(&r);
	r = crf_trigger("POST", CRF_JOB, "Bearer wrong-secret");
	cr_assert_eq(r.status, 401);
	harness_response_free(&r);
	r = crf_trigger("POST", CRF_JOB, "Bearer " HARNESS_CRON_SECRET "x");
	cr_assert_eq(r.status, 401);
	harness_response_free(&r);
	/* A user's API token is not the cron secret. */
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char bearer[200];
	snprintf(bearer, sizeof bearer, "Bearer %s", w.admin_tok);
	r = crf_trigger("GET", CRF_JOB, bearer);
	cr_assert_eq(r.status, 401);
	harness_response_free(&r);

	r = crf_trigger("POST", CRF_JOB, "Bearer " HARNESS_CRON_SECRET);
	cr_assert_eq(r.status, 200, "%s", r.body);
	json_t *run = harness_data(&r);
	cr_assert_str_eq(crf_str(run, "job"), CRF_JOB);
	cr_assert_str_eq(crf_str(run, "status"), "succeeded");
	harness_response_free(&r);
	/* GET works too, and the same day answers from the record. */
	r = crf_trigger("GET", CRF_JOB, "Bearer " HARNESS_CRON_SECRET);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert(json_is_true(json_object_get(harness_data(&r), "replayed")));
	harness_response_free(&r);

	r = crf_trigger("POST", "no-such-job", "Bearer " HARNESS_CRON_SECRET);
	cr_assert_eq(r.status, 404);
	harness_response_free(&r);
	r = crf_trigger("DELETE", CRF_JOB, "Bearer " HARNESS_CRON_SECRET);
	cr_assert_eq(r.status, 405);
	cr_assert_str_eq(harness_error_code(&r), "method_not_allowed");
	char *allow = harness_header(&r, "allow");
	cr_assert(allow && strstr(allow, "GET") && strstr(allow, "POST"), "Allow: %s", allow ? allow : "(none)");
	free(allow);
	harness_response_free(&r);
	harness_workspace_free(&w);
}

static void *crf_concurrent(void *arg)
{
	return harness_cron("time-budget-alerts", arg);
}

/* The webhook drain has the same triggers, but every call sends what is due. */
Test(cron_framework, webhook_drain_runs_over_http_each_time)
{
	harness_response r = crf_trigger("POST", "deliver-time-webhooks", "Bearer wrong-secret");
	cr_assert_eq(r.status, 401);
	harness_response_free(&r);
	for (int i = 0; i < 2; i++) {
		r = crf_trigger("POST", "deliver-time-webhooks", "Bearer " HARNESS_CRON_SECRET);
		cr_assert_eq(r.status, 200, "%s", r.body);
		cr_assert_str_eq(crf_str(harness_data(&r), "job"), "deliver-time-webhooks", "%s", r.body);
		cr_assert(json_is_integer(json_object_get(harness_data(&r), "attempted")), "%s", r.body);
		cr_assert_null(json_object_get(harness_data(&r), "replayed"));
		harness_response_free(&r);
	}
}

Test(cron_framework, concurrent_runs_do_the_work_once)
{
	enum { N = 4 };
	pthread_t t[N];
	json_t *out[N];
	for (int i = 0; i < N; i++)
		pthread_create(&t[i], NULL, crf_concurrent, "2025-01-07T16:45:00Z");
	int fresh = 0;
	for (int i = 0; i < N; i++) {
		pthread_join(t[i], (void **)&out[i]);
		cr_assert(out[i], "run %d failed", i);
		fresh += json_is_false(json_object_get(out[i], "replayed"));
	}
	cr_assert_eq(fresh, 1, "exactly one run does the work, the others replay it");
	for (int i = 0; i < N; i++)
		json_decref(out[i]);
	cr_assert_eq(harness_sql_long("SELECT attempts FROM cron_runs WHERE job = 'time-budget-alerts' AND run_date = '2025-01-07'", 0), 1);
}

/* A second serve: no CRON_SECRET (every cron endpoint is off) and the
 * scheduler on; SIGTERM must stop it cleanly and quickly. */
Test(cron_framework, no_secret_means_off_and_scheduler_stops_on_sigterm)
{
	int port = harness_free_port();
	char portbuf[16], base[64];
	snprintf(portbuf, sizeof portbuf, "%d", port);
	snprintf(base, sizeof base, "http://127.0.0.1:%d", port);
	pid_t pid = fork();
	if (pid == 0) {
		FILE *f = freopen("/dev/null", "w", stderr);
		(void)f;
		setenv("PORT", portbuf, 1);
		unsetenv("CRON_SECRET");
		setenv("SCHEDULER", "on", 1);
		execl(harness_bin(), harness_bin(), "serve", (char *)NULL);
		_exit(127);
	}
	long status = 0;
	for (int i = 0; i < 100 && status != 200; i++) {
		harness_response h = harness_request_at(base, "GET", "/healthz", NULL, NULL, NULL);
		status = h.status;
		harness_response_free(&h);
		if (status != 200)
			usleep(100 * 1000);
	}
	cr_assert_eq(status, 200, "second serve did not start");
	const char *auth[] = { "Authorization: Bearer " HARNESS_CRON_SECRET, NULL };
	harness_response r = harness_request_at(base, "POST", "/api/cron/" CRF_JOB, NULL, NULL, auth);
	cr_assert_eq(r.status, 404, "%s", r.body);
	harness_response_free(&r);
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	kill(pid, SIGTERM);
	int st;
	waitpid(pid, &st, 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "serve status %d", st);
	cr_assert_lt(b.tv_sec - a.tv_sec, 5, "serve took too long to stop");
}
