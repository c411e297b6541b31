/* Standard Webhooks signing, secret rotation, the payload in the delivery
 * log and the replay of failed deliveries, end to end: the real serve
 * delivers to the scriptable receiver, and every signature is checked by code
 * that is not ours: the official `standardwebhooks` npm package
 * (tests/webhook-verify/verify.mjs, committed lockfile) and, since PyPI is
 * out of reach here, the Python standard-library check of the example
 * receiver (examples/webhook_receiver.py), which the README shows users;
 * the Node example receiver's checks run too. */
#include "harness.h"
#include "receiver.h"
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- running the outside checkers ---- */

static int run(const char *const argv[])
{
	pid_t pid = fork();
	if (pid == 0) {
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	int st;
	waitpid(pid, &st, 0);
	cr_assert(!(WIFEXITED(st) && WEXITSTATUS(st) == 127), "%s is not installed", argv[0]);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *b64(const char *data, size_t len)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = malloc(4 * (len / 3 + 1) + 1), *o = out;
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned char)data[i] << 16 | (i + 1 < len ? (unsigned char)data[i + 1] << 8 : 0) |
			     (i + 2 < len ? (unsigned char)data[i + 2] : 0);
		*o++ = t[v >> 18 & 63], *o++ = t[v >> 12 & 63];
		*o++ = i + 1 < len ? t[v >> 6 & 63] : '=';
		*o++ = i + 2 < len ? t[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

/* The official npm library on the captured request, with secret. */
static bool npm_verifies(const receiver_request *rq, const char *secret, bool raw)
{
	char path[64];
	snprintf(path, sizeof path, "/tmp/swh-case-%d.json", (int)getpid());
	char *id = receiver_header(rq, "webhook-id"), *ts = receiver_header(rq, "webhook-timestamp"),
	     *sig = receiver_header(rq, "webhook-signature"), *body = b64(rq->body, rq->body_len);
	cr_assert(id && ts && sig, "Standard Webhooks headers missing:\n%s", rq->headers);
	json_t *c = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?}", "secret", secret, "id", id, "timestamp", ts, "signature",
			      sig, "body_b64", body, "format", raw ? "raw" : NULL);
	cr_assert(json_dump_file(c, path, 0) == 0);
	json_decref(c);
	free(id), free(ts), free(sig), free(body);
	const char *const argv[] = { "node", "tests/webhook-verify/verify.mjs", path, NULL };
	int rc = run(argv);
	unlink(path);
	return rc == 0;
}

/* The captured request into WH_* variables and its body into a file
 * (path, 64 bytes), for the example receivers' checks. */
static void expose(const receiver_request *rq, const char *secret, const char *tag, char path[64])
{
	snprintf(path, 64, "/tmp/swh-%s-%d", tag, (int)getpid());
	FILE *f = fopen(path, "wb");
	cr_assert(f);
	fwrite(rq->body, 1, rq->body_len, f);
	fclose(f);
	char *id = receiver_header(rq, "webhook-id"), *std_ts = receiver_header(rq, "webhook-timestamp"),
	     *std_sig = receiver_header(rq, "webhook-signature"), *ts = receiver_header(rq, "X-Workestra-Timestamp"),
	     *sig = receiver_header(rq, "X-Workestra-Signature"), *prev = receiver_header(rq, "X-Workestra-Signature-Previous");
	cr_assert(id && std_ts && std_sig && ts && sig);
	setenv("WH_ID", id, 1), setenv("WH_STD_TS", std_ts, 1), setenv("WH_STD_SIG", std_sig, 1);
	setenv("WH_TS", ts, 1), setenv("WH_SIG", sig, 1), setenv("WH_SECRET", secret, 1);
	setenv("WH_PREV", prev ? prev : "", 1);
	free(id), free(std_ts), free(std_sig), free(ts), free(sig), free(prev);
}

/* The Python example receiver's stdlib checks: which = "standard" or "workestra". */
static bool python_verifies(const receiver_request *rq, const char *secret, const char *which)
{
	static const char script[] =
		"import os, sys; sys.path.insert(0, 'examples'); import webhook_receiver as w\n"
		"raw = open(sys.argv[1], 'rb').read(); e = os.environ\n"
		"ok = w.verify_standard(raw, e['WH_ID'], e['WH_STD_TS'], e['WH_STD_SIG'], e['WH_SECRET'])"
		" if sys.argv[2] == 'standard' else"
		" w.verify(raw, e['WH_TS'], [e['WH_SIG'], e['WH_PREV']], e['WH_SECRET'])\n"
		"sys.exit(0 if ok else 1)\n";
	char path[64];
	expose(rq, secret, "py", path);
	const char *const argv[] = { "python3", "-c", script, path, which, NULL };
	int rc = run(argv);
	unlink(path);
	return rc == 0;
}

/* The Node example receiver's checks (examples/webhook-receiver.js), both
 * signatures at once. */
static bool node_example_verifies(const receiver_request *rq, const char *secret)
{
	static const char script[] =
		"const { verify, verifyStandard } = require('./examples/webhook-receiver.js');"
		"const raw = require('fs').readFileSync(process.argv[1]), e = process.env;"
		"process.exit(verifyStandard(raw, e.WH_ID, e.WH_STD_TS, e.WH_STD_SIG, e.WH_SECRET)"
		" && verify(raw, e.WH_TS, [e.WH_SIG, e.WH_PREV], e.WH_SECRET) ? 0 : 1);";
	char path[64];
	expose(rq, secret, "js", path);
	const char *const argv[] = { "node", "-e", script, path, NULL };
	int rc = run(argv);
	unlink(path);
	return rc == 0;
}

/* Every check that must accept secret for rq (npm, Python, both headers). */
static void all_accept(const receiver_request *rq, const char *secret, bool raw)
{
	cr_assert(npm_verifies(rq, secret, raw), "standardwebhooks refuses the signature for %s", secret);
	cr_assert(python_verifies(rq, secret, "standard"), "the Python standard check refuses %s", secret);
	cr_assert(python_verifies(rq, secret, "workestra"), "X-Workestra-Signature does not verify with %s", secret);
	cr_assert(node_example_verifies(rq, secret), "the Node example receiver refuses %s", secret);
}

static void all_refuse(const receiver_request *rq, const char *secret, bool raw)
{
	cr_assert(!npm_verifies(rq, secret, raw), "standardwebhooks accepts a wrong secret %s", secret);
	cr_assert(!python_verifies(rq, secret, "standard"));
	cr_assert(!python_verifies(rq, secret, "workestra"));
	cr_assert(!node_example_verifies(rq, secret));
}

/* ---- the API ---- */

static const char *str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static json_t *subscribe(const harness_ws *w, const char *url, const char *secret)
{
	if (secret)
		return harness_call(201, w->admin_tok, "POST", "/api/v1/time/webhooks",
				    "{\"url\":\"%s\",\"events\":[\"time_entry.created\"],\"secret\":\"%s\"}", url, secret);
	return harness_call(201, w->admin_tok, "POST", "/api/v1/time/webhooks",
			    "{\"url\":\"%s\",\"events\":[\"time_entry.created\"]}", url);
}

static void log_entry(const harness_ws *w, const char *description)
{
	json_decref(harness_call(201, w->admin_tok, "POST", "/api/v1/time-entries",
				 "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":1,\"log_date\":\"2026-04-29\","
				 "\"description\":\"%s\"}",
				 harness_demo_id(w, "tasks", 0), description));
}

/* Logs an entry and returns the n-th request (0-based) path receives. */
static receiver_request next_delivery(receiver_t *rx, const harness_ws *w, const char *path, int n)
{
	log_entry(w, "standard");
	cr_assert(receiver_wait(rx, path, n + 1, 10000), "delivery %d did not arrive on %s", n + 1, path);
	receiver_request rq;
	cr_assert(receiver_get(rx, path, n, &rq));
	return rq;
}

static int entries_in(const char *header)
{
	int n = header && *header ? 1 : 0;
	for (const char *p = header; p && *p; p++)
		n += *p == ' ';
	return n;
}

Test(webhooks_standard, generated_secret_and_both_signatures_verify, .timeout = 90)
{
	harness_ws w;
	harness_workspace(&w, "pro", "projects");
	receiver_t *rx = receiver_start();
	char *url = receiver_url(rx, "/std");
	json_t *wh = subscribe(&w, url, NULL);
	const char *secret = str(wh, "secret");
	/* whsec_ and the standard base64 of 32 bytes: 43 characters and one '='. */
	cr_assert_eq(strlen(secret), 6 + 44, "secret %s", secret);
	cr_assert(!strncmp(secret, "whsec_", 6) && secret[49] == '=' && strspn(secret + 6,
		  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") == 43, "secret %s", secret);

	receiver_request rq = next_delivery(rx, &w, "/std", 0);
	char *id = receiver_header(&rq, "webhook-id"), *dlv = receiver_header(&rq, "X-Workestra-Delivery");
	char *ts = receiver_header(&rq, "webhook-timestamp"), *xts = receiver_header(&rq, "X-Workestra-Timestamp");
	char *sig = receiver_header(&rq, "webhook-signature");
	cr_assert(id && dlv && !strcmp(id, dlv), "webhook-id %s is the delivery id %s", id, dlv);
	cr_assert(ts && xts && !strcmp(ts, xts));
	cr_assert(!strncmp(sig, "v1,", 3) && entries_in(sig) == 1, "one v1 entry: %s", sig);
	cr_assert_null(receiver_header(&rq, "X-Workestra-Signature-Previous"));
	all_accept(&rq, secret, false);
	all_refuse(&rq, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", false);
	free(id), free(dlv), free(ts), free(xts), free(sig);
	receiver_request_free(&rq);
	json_decref(wh);
	free(url);
	receiver_stop(rx);
	harness_workspace_free(&w);
}

/* A secret given by the client: a plain one is the key as it is (the
 * libraries' raw format); a whsec_ one in the URL-safe alphabet (how secrets
 * were generated before) keys with its bytes, so the receiver's
 * standard-alphabet spelling of the same bytes verifies. */
Test(webhooks_standard, given_and_legacy_secrets, .timeout = 90)
{
	harness_ws w;
	harness_workspace(&w, "pro", "projects");
	receiver_t *rx = receiver_start();
	char *plain_url = receiver_url(rx, "/plain"), *legacy_url = receiver_url(rx, "/legacy");
	static const char plain[] = "my-own-shared-secret-1234";
	/* 32 bytes whose base64 has '-' and '_' in the URL-safe alphabet. */
	static const char legacy[] = "whsec_-_-_--8AAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRo";
	static const char legacy_std[] = "whsec_+/+/++8AAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRo=";
	json_t *a = subscribe(&w, plain_url, plain), *b = subscribe(&w, legacy_url, legacy);
	receiver_request rq = next_delivery(rx, &w, "/plain", 0);
	cr_assert(npm_verifies(&rq, plain, true), "raw-format secret refused");
	cr_assert(python_verifies(&rq, plain, "standard"));
	cr_assert(python_verifies(&rq, plain, "workestra"));
	cr_assert(node_example_verifies(&rq, plain));
	receiver_request_free(&rq);
	cr_assert(receiver_wait(rx, "/legacy", 1, 10000));
	cr_assert(receiver_get(rx, "/legacy", 0, &rq));
	cr_assert(npm_verifies(&rq, legacy_std, false), "the legacy secret's bytes do not key the signature");
	cr_assert(python_verifies(&rq, legacy, "standard"));
	cr_assert(python_verifies(&rq, legacy, "workestra")); /* the text keys the old header, unchanged */
	cr_assert(node_example_verifies(&rq, legacy));
	receiver_request_free(&rq);
	/* A whsec_ secret that is not base64 of a usable key is refused. */
	harness_response r = harness_request("POST", "/api/v1/time/webhooks", w.admin_tok,
					     "{\"url\":\"https://example.com/h\",\"events\":[\"time_entry.created\"],"
					     "\"secret\":\"whsec_not*base64*at*all\"}",
					     NULL);
	cr_assert_eq(r.status, 422, "%s", r.body);
	cr_assert_str_eq(harness_error_code(&r), "validation_failed");
	harness_response_free(&r);
	json_decref(a), json_decref(b);
	free(plain_url), free(legacy_url);
	receiver_stop(rx);
	harness_workspace_free(&w);
}

Test(webhooks_standard, rotation_overlap_signs_with_both_secrets, .timeout = 120)
{
	harness_ws w;
	harness_workspace(&w, "pro", "projects");
	receiver_t *rx = receiver_start();
	char *url = receiver_url(rx, "/rot");
	json_t *wh = subscribe(&w, url, NULL);
	char old[128], path[200];
	snprintf(old, sizeof old, "%s", str(wh, "secret"));
	snprintf(path, sizeof path, "/api/v1/time/webhooks/%s/rotate-secret", str(wh, "id"));

	/* The default overlap (WEBHOOK_SECRET_OVERLAP_HOURS unset: 24 h). */
	json_t *rot = harness_call(200, w.admin_tok, "POST", path, "%s", "");
	char fresh[128];
	snprintf(fresh, sizeof fresh, "%s", str(rot, "secret"));
	cr_assert(strcmp(fresh, old) && !strncmp(fresh, "whsec_", 6));
	cr_assert(str(rot, "previous_secret_expires_at"));
	long hours = harness_sql_long("SELECT round(extract(epoch FROM previous_expires_at - updated_at) / 3600)"
				      " FROM time_webhooks WHERE id = $1",
				      1, str(wh, "id"));
	cr_assert_eq(hours, 24);
	/* The secret is not in the audit row, nor in a later read. */
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM audit_log WHERE entity_id = $1 AND action ="
				      " 'time_webhook.secret_rotated' AND position($2 in changes::text) = 0",
				      2, str(wh, "id"), fresh),
		     1);
	char sub[160];
	snprintf(sub, sizeof sub, "/api/v1/time/webhooks/%s", str(wh, "id"));
	json_t *got = harness_call(200, w.admin_tok, "GET", sub, "%s", "");
	cr_assert_null(json_object_get(got, "secret"));
	cr_assert_str_eq(str(got, "previous_secret_expires_at"), str(rot, "previous_secret_expires_at"));
	json_decref(got);

	receiver_request rq = next_delivery(rx, &w, "/rot", 0);
	char *sig = receiver_header(&rq, "webhook-signature");
	cr_assert_eq(entries_in(sig), 2, "two v1 entries during the overlap: %s", sig);
	free(sig);
	char *prev = receiver_header(&rq, "X-Workestra-Signature-Previous");
	cr_assert(prev && !strncmp(prev, "sha256=", 7));
	free(prev);
	all_accept(&rq, fresh, false);
	all_accept(&rq, old, false);
	all_refuse(&rq, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", false);
	receiver_request_free(&rq);

	/* Once the overlap is over (its end moved into the past here, instead
	 * of waiting a day), the old secret signs nothing. */
	PQclear(harness_sql("UPDATE time_webhooks SET previous_expires_at = now() - interval '1 second' WHERE id = $1", 1,
			    str(wh, "id")));
	rq = next_delivery(rx, &w, "/rot", 1);
	sig = receiver_header(&rq, "webhook-signature");
	cr_assert_eq(entries_in(sig), 1, "the overlap is over: %s", sig);
	free(sig);
	cr_assert_null(receiver_header(&rq, "X-Workestra-Signature-Previous"));
	all_accept(&rq, fresh, false);
	all_refuse(&rq, old, false);
	receiver_request_free(&rq);
	json_decref(rot);
	rot = harness_call(200, w.admin_tok, "GET", sub, "%s", "");
	cr_assert(json_is_null(json_object_get(rot, "previous_secret_expires_at")));

	/* PATCH with a secret replaces it at once and ends an overlap. */
	json_decref(rot);
	rot = harness_call(200, w.admin_tok, "POST", path, "{\"overlap_hours\":5}");
	cr_assert(str(rot, "previous_secret_expires_at"));
	snprintf(fresh, sizeof fresh, "%s", str(rot, "secret"));
	json_decref(harness_call(200, w.admin_tok, "PATCH", sub, "{\"secret\":\"%s\"}", fresh));
	json_decref(rot);
	rot = harness_call(200, w.admin_tok, "GET", sub, "%s", "");
	cr_assert(json_is_null(json_object_get(rot, "previous_secret_expires_at")));

	/* overlap_hours 0: the old secret stops at once; one signature again. */
	json_decref(rot);
	rot = harness_call(200, w.admin_tok, "POST", path, "{\"overlap_hours\":0}");
	char third[128];
	snprintf(third, sizeof third, "%s", str(rot, "secret"));
	cr_assert(json_is_null(json_object_get(rot, "previous_secret_expires_at")));
	rq = next_delivery(rx, &w, "/rot", 2);
	sig = receiver_header(&rq, "webhook-signature");
	cr_assert_eq(entries_in(sig), 1, "%s", sig);
	free(sig);
	all_accept(&rq, third, false);
	all_refuse(&rq, fresh, false);
	receiver_request_free(&rq);

	/* Bad bodies, another workspace's subscription, members. */
	harness_response r = harness_request("POST", path, w.admin_tok, "{\"overlap_hours\":721}", NULL);
	cr_assert_eq(r.status, 422);
	harness_response_free(&r);
	r = harness_request("POST", path, w.admin_tok, "{\"nope\":1}", NULL);
	cr_assert_eq(r.status, 422);
	harness_response_free(&r);
	r = harness_request("POST", path, w.member_tok, NULL, NULL);
	cr_assert_eq(r.status, 403);
	harness_response_free(&r);
	harness_ws other;
	harness_workspace(&other, "pro", "projects");
	r = harness_request("POST", path, other.admin_tok, NULL, NULL);
	cr_assert_eq(r.status, 404);
	harness_response_free(&r);
	harness_workspace_free(&other);
	json_decref(rot), json_decref(wh);
	free(url);
	receiver_stop(rx);
	harness_workspace_free(&w);
}

/* The delivery log shows the payload, the very JSON the receiver got. */
Test(webhooks_standard, delivery_log_shows_the_payload, .timeout = 60)
{
	harness_ws w;
	harness_workspace(&w, "pro", "projects");
	receiver_t *rx = receiver_start();
	char *url = receiver_url(rx, "/log");
	json_t *wh = subscribe(&w, url, NULL);
	receiver_request rq = next_delivery(rx, &w, "/log", 0);
	json_t *sent = json_loadb(rq.body, rq.body_len, 0, NULL);
	char path[200];
	snprintf(path, sizeof path, "/api/v1/time/webhooks/%s/deliveries", str(wh, "id"));
	json_t *log = harness_call(200, w.admin_tok, "GET", path, "%s", "");
	json_t *payload = json_object_get(json_array_get(log, 0), "payload");
	cr_assert(sent && payload);
	cr_assert(json_equal(sent, payload), "log payload differs from the body sent");
	json_decref(sent), json_decref(log), json_decref(wh);
	receiver_request_free(&rq);
	free(url);
	receiver_stop(rx);
	harness_workspace_free(&w);
}

static const char *DELIVERY_AT =
	"SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM time_webhook_deliveries"
	" WHERE webhook_id = $1 ORDER BY created_at, id OFFSET $2::int LIMIT 1";

static char *delivery_at(const char *wid, const char *index)
{
	PGresult *r = harness_sql(DELIVERY_AT, 2, wid, index);
	cr_assert_eq(PQntuples(r), 1);
	char *v = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	return v;
}

static long count_status(const char *wid, const char *status)
{
	return harness_sql_long("SELECT count(*) FROM time_webhook_deliveries WHERE webhook_id = $1 AND status = $2", 2,
				wid, status);
}

/* Polls (the dispatcher works on its own) until cond holds; false after 10 s. */
static bool until_status(const char *wid, const char *status, long want)
{
	for (int i = 0; i < 200; i++) {
		if (count_status(wid, status) == want)
			return true;
		usleep(50 * 1000);
	}
	return false;
}

Test(webhooks_standard, replay_resends_failed_deliveries_in_range_only, .timeout = 120)
{
	harness_ws w;
	harness_workspace(&w, "pro", "projects");
	receiver_t *rx = receiver_start();
	receiver_script(rx, "/replay", "410"); /* failed at once, no retry */
	char *url = receiver_url(rx, "/replay");
	json_t *wh = subscribe(&w, url, NULL);
	const char *wid = str(wh, "id");
	for (int i = 0; i < 4; i++) {
		log_entry(&w, "replay");
		cr_assert(until_status(wid, "failed", i + 1), "delivery %d did not fail", i + 1);
	}
	/* The range holds the 2nd and 3rd deliveries: from inclusive, to exclusive. */
	char *from = delivery_at(wid, "1"), *to = delivery_at(wid, "3"), path[200];
	snprintf(path, sizeof path, "/api/v1/time/webhooks/%s/deliveries/replay", wid);
	receiver_script(rx, "/replay", "200");
	json_t *out = harness_call(202, w.admin_tok, "POST", path, "{\"from\":\"%s\",\"to\":\"%s\"}", from, to);
	cr_assert_eq(json_integer_value(json_object_get(out, "queued")), 2);
	cr_assert(json_is_false(json_object_get(out, "has_more")));
	json_decref(out);
	cr_assert(until_status(wid, "delivered", 2), "the replayed deliveries were not sent");
	cr_assert_eq(count_status(wid, "failed"), 2);
	cr_assert_eq(receiver_count(rx, "/replay"), 6);
	/* The ones out of range are untouched: one attempt each, still failed. */
	PGresult *r = harness_sql("SELECT string_agg(status || ':' || attempts, ',' ORDER BY created_at, id)"
				  " FROM time_webhook_deliveries WHERE webhook_id = $1",
				  1, wid);
	cr_assert_str_eq(PQgetvalue(r, 0, 0), "failed:1,delivered:2,delivered:2,failed:1");
	PQclear(r);
	/* Again: nothing failed is left in range. */
	out = harness_call(202, w.admin_tok, "POST", path, "{\"from\":\"%s\",\"to\":\"%s\"}", from, to);
	cr_assert_eq(json_integer_value(json_object_get(out, "queued")), 0);
	json_decref(out);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM audit_log WHERE entity_id = $1 AND action ="
				      " 'time_webhook.deliveries_replayed'",
				      1, wid),
		     2);
	/* Refusals: order, format, missing fields. */
	harness_response bad = harness_request("POST", path, w.admin_tok, "{\"from\":\"2026-05-01T00:00:00Z\",\"to\":\"2026-04-01T00:00:00Z\"}", NULL);
	cr_assert_eq(bad.status, 422, "%s", bad.body);
	harness_response_free(&bad);
	bad = harness_request("POST", path, w.admin_tok, "{\"from\":\"yesterday\",\"to\":\"2026-04-01T00:00:00Z\"}", NULL);
	cr_assert_eq(bad.status, 422, "%s", bad.body);
	harness_response_free(&bad);
	bad = harness_request("POST", path, w.admin_tok, "{\"from\":\"2026-04-01T00:00:00Z\"}", NULL);
	cr_assert_eq(bad.status, 422, "%s", bad.body);
	harness_response_free(&bad);
	free(from), free(to), free(url);
	json_decref(wh);
	receiver_stop(rx);
	harness_workspace_free(&w);
}
