/* Unit tests for webhook signing and the retry schedule (src/delivery) and
 * the keyring (src/util); the SSRF policy is test_netpolicy.c. Signature
 * vectors come from Python's hmac module, not from the code under test. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include "core/schedule.h"
#include "delivery/signing.h"
#include "util/dates.h"
#include "util/keyring.h"

Test(signing, matches_an_independent_hmac)
{
	char sig[SIGNING_HEADER_LEN];
	const char *body = "{\"id\":\"evt_1\",\"event\":\"timer.started\"}";
	signing_sign("whsec_test_secret", 1714386180, body, strlen(body), sig);
	cr_assert_str_eq(sig, "sha256=557b4d19ff2a37616255806fb5d4116783f92afecd5fb6080acbbadd3e8c0323");
	signing_sign("k", 0, "", 0, sig);
	cr_assert_str_eq(sig, "sha256=6b4a4b8b3c40f1e8f53a3d36682e5f99f7ad2ac1df1c93dfe336f329167641e7");
}

Test(signing, covers_timestamp_body_and_secret)
{
	char a[SIGNING_HEADER_LEN], b[SIGNING_HEADER_LEN];
	signing_sign("secret", 100, "{}", 2, a);
	signing_sign("secret", 101, "{}", 2, b);
	cr_assert_str_neq(a, b);
	signing_sign("secret", 100, "{ }", 3, b);
	cr_assert_str_neq(a, b);
	signing_sign("secreT", 100, "{}", 2, b);
	cr_assert_str_neq(a, b);
	/* "10" + ".0{}" must differ from "100" + ".{}": the dot separates. */
	signing_sign("secret", 10, "0.{}", 4, b);
	cr_assert_str_neq(a, b);
	cr_assert_eq(strlen(a), 71);
}

/* The vector of the Standard Webhooks reference libraries (the npm package
 * signs the same bytes to the same value). */
Test(signing, standard_webhooks_vector)
{
	char sig[SIGNING_STANDARD_LEN];
	const char *body = "{\"test\": 2432232314}";
	signing_standard("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body,
			 strlen(body), sig);
	cr_assert_str_eq(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

/* whsec_ keys are the decoded bytes, in either base64 alphabet; any other
 * secret (or a whsec_ that does not decode) is its own text. */
Test(signing, standard_keys)
{
	unsigned char key[SIGNING_KEY_MAX];
	cr_assert_eq(signing_standard_key("whsec_+/+/", key), 3);
	cr_assert(!memcmp(key, "\xfb\xff\xbf", 3));
	cr_assert_eq(signing_standard_key("whsec_-_-_", key), 3);
	cr_assert(!memcmp(key, "\xfb\xff\xbf", 3));
	cr_assert_eq(signing_standard_key("plain-secret", key), 12);
	cr_assert(!memcmp(key, "plain-secret", 12));
	cr_assert_eq(signing_standard_key("whsec_not*base64", key), 16);
	cr_assert(!memcmp(key, "whsec_not*base64", 16));
}

Test(schedule, classifies_status_classes)
{
	cr_assert_eq(schedule_classify(200), VERDICT_DELIVERED);
	cr_assert_eq(schedule_classify(204), VERDICT_DELIVERED);
	cr_assert_eq(schedule_classify(299), VERDICT_DELIVERED);
	cr_assert_eq(schedule_classify(400), VERDICT_PERMANENT);
	cr_assert_eq(schedule_classify(404), VERDICT_PERMANENT);
	cr_assert_eq(schedule_classify(410), VERDICT_PERMANENT);
	cr_assert_eq(schedule_classify(499), VERDICT_PERMANENT);
	cr_assert_eq(schedule_classify(301), VERDICT_PERMANENT, "redirects are not followed");
	cr_assert_eq(schedule_classify(429), VERDICT_RETRY);
	cr_assert_eq(schedule_classify(500), VERDICT_RETRY);
	cr_assert_eq(schedule_classify(503), VERDICT_RETRY);
	cr_assert_eq(schedule_classify(0), VERDICT_RETRY, "no answer: timeout or connection error");
}

Test(schedule, backoff_is_1_5_30_minutes_then_fail)
{
	cr_assert_eq(schedule_backoff(1), 60);
	cr_assert_eq(schedule_backoff(2), 300);
	cr_assert_eq(schedule_backoff(3), 1800);
	cr_assert_eq(schedule_backoff(4), -1);
	cr_assert_eq(schedule_backoff(0), -1);
	long delay = -1;
	cr_assert_eq(schedule_next(VERDICT_RETRY, 1, SCHEDULE_MAX_ATTEMPTS, &delay), STATUS_PENDING);
	cr_assert_eq(delay, 60);
	cr_assert_eq(schedule_next(VERDICT_RETRY, 2, SCHEDULE_MAX_ATTEMPTS, &delay), STATUS_PENDING);
	cr_assert_eq(delay, 300);
	cr_assert_eq(schedule_next(VERDICT_RETRY, 3, SCHEDULE_MAX_ATTEMPTS, &delay), STATUS_PENDING);
	cr_assert_eq(delay, 1800);
	cr_assert_eq(schedule_next(VERDICT_RETRY, 4, SCHEDULE_MAX_ATTEMPTS, &delay), STATUS_FAILED);
	cr_assert_eq(schedule_next(VERDICT_PERMANENT, 1, SCHEDULE_MAX_ATTEMPTS, &delay), STATUS_FAILED);
	cr_assert_eq(schedule_next(VERDICT_DELIVERED, 4, SCHEDULE_MAX_ATTEMPTS, &delay), STATUS_DELIVERED);
	/* A test event or a manual retry of a finished delivery: one attempt only. */
	cr_assert_eq(schedule_next(VERDICT_RETRY, 1, 1, &delay), STATUS_FAILED);
	cr_assert_eq(schedule_next(VERDICT_RETRY, 5, 5, &delay), STATUS_FAILED);
	cr_assert_str_eq(schedule_status_name(STATUS_PENDING), "pending");
	cr_assert_str_eq(schedule_status_name(STATUS_DELIVERED), "delivered");
	cr_assert_str_eq(schedule_status_name(STATUS_FAILED), "failed");
}

/* Total time from the first attempt to the last: 1 + 5 + 30 minutes. */
Test(schedule, whole_schedule_spans_36_minutes)
{
	long total = 0, delay;
	int attempt = 1;
	while (schedule_next(VERDICT_RETRY, attempt, SCHEDULE_MAX_ATTEMPTS, &delay) == STATUS_PENDING) {
		total += delay;
		attempt++;
	}
	cr_assert_eq(attempt, 4);
	cr_assert_eq(total, 36 * 60);
}

Test(keyring, seal_and_open_bound_to_context)
{
	keyring_set("unit-test-secret-key-0123456789");
	char *sealed = keyring_seal("whsec_abc", "wh_1");
	cr_assert(sealed && !strncmp(sealed, "v1.", 3));
	cr_assert_null(strstr(sealed, "whsec_abc"));
	char *plain = keyring_open(sealed, "wh_1");
	cr_assert_str_eq(plain, "whsec_abc");
	free(plain);
	cr_assert_null(keyring_open(sealed, "wh_2"), "another row's context must not open it");
	char *tampered = strdup(sealed);
	tampered[10] = tampered[10] == 'A' ? 'B' : 'A';
	cr_assert_null(keyring_open(tampered, "wh_1"));
	free(tampered);
	char *again = keyring_seal("whsec_abc", "wh_1");
	cr_assert_str_neq(again, sealed, "a fresh nonce every time");
	free(again);
	keyring_set("another-key-entirely-0123456789");
	cr_assert_null(keyring_open(sealed, "wh_1"), "a different key must not open it");
	free(sealed);
}

Test(dates, parses_iso_instants)
{
	double t;
	cr_assert(dates_parse_instant("2026-04-29T10:23:00Z", &t));
	cr_assert_float_eq(t, 1777458180.0, 1e-6);
	cr_assert(dates_parse_instant("2026-04-29T12:23:00+02:00", &t));
	cr_assert_float_eq(t, 1777458180.0, 1e-6);
	cr_assert(dates_parse_instant("2026-04-29 10:23:00.250Z", &t));
	cr_assert_float_eq(t, 1777458180.25, 1e-6);
	cr_assert_not(dates_parse_instant("2026-04-29T10:23:00", &t), "a zone is required");
	cr_assert_not(dates_parse_instant("2026-02-30T10:23:00Z", &t));
	cr_assert_not(dates_parse_instant("2026-04-29T24:00:00Z", &t));
	cr_assert_not(dates_parse_instant("2026-04-29T10:23:00Zjunk", &t));
	char out[21];
	dates_format_instant(1777458180.9, out);
	cr_assert_str_eq(out, "2026-04-29T10:23:00Z");
	dates_format_instant(0, out);
	cr_assert_str_eq(out, "1970-01-01T00:00:00Z");
}
