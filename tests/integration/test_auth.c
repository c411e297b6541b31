#define _GNU_SOURCE /* asprintf */
/* Authentication (API tokens, HS256 session JWTs) and workspace isolation. */
#include "harness.h"
#include "util/crypto.h"
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define AU_ENTRIES "/api/v1/time-entries"

static const char *au_str(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* Asserts a 401 unauthorized with the Bearer challenge and no data; frees r. */
static void au_expect_401(harness_response *r, const char *what)
{
	cr_assert_eq(r->status, 401, "%s: expected 401, got %ld: %s", what, r->status, r->body);
	const char *code = harness_error_code(r);
	cr_assert(code && !strcmp(code, "unauthorized"), "%s: code unauthorized: %s", what, r->body);
	char *challenge = harness_header(r, "www-authenticate");
	cr_assert(challenge && !strncmp(challenge, "Bearer", 6), "%s: WWW-Authenticate: Bearer, got %s", what,
		  challenge ? challenge : "(none)");
	free(challenge);
	cr_assert_null(harness_data(r), "%s: no data with a 401", what);
	harness_response_free(r);
}

/* GET /api/v1/time-entries with the raw Authorization header value (NULL: none). */
static harness_response au_list_with(const char *authorization)
{
	char header[9000];
	snprintf(header, sizeof header, "Authorization: %s", authorization ? authorization : "");
	const char *hdrs[] = { header, NULL };
	return harness_request("GET", AU_ENTRIES, NULL, NULL, authorization ? hdrs : NULL);
}

/* Asserts tok is accepted and acts as user_id (the entries it lists are that user's). */
static void au_expect_accepted(const char *tok, const char *user_id, const char *what)
{
	char path[160];
	snprintf(path, sizeof path, AU_ENTRIES "?user_id=%s", user_id);
	harness_response r = harness_request("GET", path, tok, NULL, NULL);
	cr_assert_eq(r.status, 200, "%s: expected 200, got %ld: %s", what, r.status, r.body);
	harness_response_free(&r);
}

static char *au_entry_body(const harness_ws *w, const char *description)
{
	char *s = NULL;
	cr_assert(asprintf(&s,
			   "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":1,\"log_date\":\"2026-03-02\","
			   "\"description\":\"%s\"}",
			   harness_demo_id(w, "tasks", 0), description) > 0);
	return s;
}

/* Creates an entry as tok and returns it (asserting 201). */
static json_t *au_create(const harness_ws *w, const char *tok, const char *description)
{
	char *body = au_entry_body(w, description);
	harness_response r = harness_request("POST", AU_ENTRIES, tok, body, NULL);
	cr_assert_eq(r.status, 201, "create: %ld %s", r.status, r.body);
	json_t *d = json_incref(harness_data(&r));
	harness_response_free(&r);
	free(body);
	return d;
}

/* base64url(text), malloc'd. */
static char *au_b64(const char *text)
{
	size_t n = strlen(text);
	char *out = malloc(4 * ((n + 2) / 3) + 1);
	cr_assert(out);
	crypto_b64url_encode((const unsigned char *)text, n, out);
	return out;
}

/* A JWT from a header and claims JSON, signed HS256 with secret, or with
 * signature as given when secret is NULL. */
static char *au_jwt(const char *header_json, const char *claims_json, const char *secret, const char *signature)
{
	char *h = au_b64(header_json), *c = au_b64(claims_json);
	char *signing = NULL;
	cr_assert(asprintf(&signing, "%s.%s", h, c) > 0);
	char sig[64] = "";
	if (secret) {
		unsigned char mac[32];
		crypto_hmac_sha256(secret, strlen(secret), signing, strlen(signing), mac);
		crypto_b64url_encode(mac, sizeof mac, sig);
	} else {
		snprintf(sig, sizeof sig, "%s", signature);
	}
	char *tok = NULL;
	cr_assert(asprintf(&tok, "%s.%s", signing, sig) > 0);
	free(h), free(c), free(signing);
	return tok;
}

static char *au_claims(const char *sub, long ttl)
{
	char *s = NULL;
	cr_assert(asprintf(&s, "{\"sub\":\"%s\",\"exp\":%ld,\"role\":\"authenticated\"}", sub, (long)time(NULL) + ttl) > 0);
	return s;
}

/* ------------------------------------------------------------ API tokens */

Test(auth, missing_authorization_is_401_with_a_bearer_challenge)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char *body = au_entry_body(&w, "anonymous");
	static const struct {
		const char *method, *path;
		bool body;
	} cases[] = {
		{ "GET", AU_ENTRIES, false },		      { "POST", AU_ENTRIES, true },
		{ "GET", AU_ENTRIES "/te_x", false },	      { "PATCH", AU_ENTRIES "/te_x", true },
		{ "DELETE", AU_ENTRIES "/te_x", false },      { "GET", "/api/v1/timesheets", false },
		{ "GET", "/api/v1/time/timer/active", false }, { "POST", "/api/v1/time/timer/stop", false },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		harness_response r =
			harness_request(cases[i].method, cases[i].path, NULL, cases[i].body ? body : NULL, NULL);
		char *v = harness_header(&r, "x-api-version");
		cr_assert(v && !strcmp(v, "v1"), "%s %s: x-api-version", cases[i].method, cases[i].path);
		free(v);
		au_expect_401(&r, cases[i].path);
	}
	free(body);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_entries WHERE workspace_id = $1", 1, w.ws), 0);
	harness_workspace_free(&w);
}

Test(auth, malformed_credentials_are_401)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char *wrong_scheme = NULL, *long_tok = malloc(9001);
	cr_assert(asprintf(&wrong_scheme, "Token %s", w.member_tok) > 0 && long_tok);
	memcpy(long_tok, "Bearer tok_", 11);
	memset(long_tok + 11, 'x', 8989);
	long_tok[9000] = '\0';
	long_tok[5000] = '.';
	const char *values[] = {
		"Basic dXNlcjpwYXNzd29yZA==", "Bearer", "Bearer ", "Bearer garbage", "Bearer tok_nodot", "Bearer abc.def",
		"Bearer tok_.", "Bearer .", "Bearer a.b.c", "Bearer ...", wrong_scheme, long_tok,
	};
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
		harness_response r = au_list_with(values[i]);
		char what[64];
		snprintf(what, sizeof what, "Authorization: %.40s", values[i]);
		au_expect_401(&r, what);
	}
	free(wrong_scheme);
	free(long_tok);
	harness_workspace_free(&w);
}

Test(auth, token_id_and_secret_must_both_match)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	const char *dot = strchr(w.member_tok, '.');
	cr_assert(dot && !strncmp(w.member_tok, "tok_", 4), "a token is tok_<id>.<secret>: %s", w.member_tok);
	char id[80], secret[120], tok[220];
	snprintf(id, sizeof id, "%.*s", (int)(dot - w.member_tok), w.member_tok);
	snprintf(secret, sizeof secret, "%s", dot + 1);

	/* The right token, and the scheme in any case. */
	au_expect_accepted(w.member_tok, w.member, "the member's token");
	snprintf(tok, sizeof tok, "bearer %s", w.member_tok);
	harness_response r = au_list_with(tok);
	cr_assert_eq(r.status, 200, "the scheme is case-insensitive: %ld %s", r.status, r.body);
	harness_response_free(&r);

	/* An unknown id with the right secret. */
	snprintf(tok, sizeof tok, "tok_00000000000000000000000000000000.%s", secret);
	r = harness_request("GET", AU_ENTRIES, tok, NULL, NULL);
	au_expect_401(&r, "unknown token id");
	/* Another user's id with this secret. */
	const char *mdot = strchr(w.manager_tok, '.');
	snprintf(tok, sizeof tok, "%.*s.%s", (int)(mdot - w.manager_tok), w.manager_tok, secret);
	r = harness_request("GET", AU_ENTRIES, tok, NULL, NULL);
	au_expect_401(&r, "manager's id with member's secret");
	/* The right id with a wrong secret: changed, truncated, empty, extended. */
	char changed[120];
	snprintf(changed, sizeof changed, "%s", secret);
	changed[strlen(changed) - 1] = changed[strlen(changed) - 1] == 'A' ? 'B' : 'A';
	const char *wrong[] = { changed, "short", "", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" };
	for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
		snprintf(tok, sizeof tok, "%s.%s", id, wrong[i]);
		r = harness_request("GET", AU_ENTRIES, tok, NULL, NULL);
		au_expect_401(&r, "right id, wrong secret");
	}
	snprintf(tok, sizeof tok, "%s.%sX", id, secret);
	r = harness_request("GET", AU_ENTRIES, tok, NULL, NULL);
	au_expect_401(&r, "right id, secret with an extra character");

	/* Only a hash of the secret is stored. */
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM api_tokens WHERE id = $1 AND secret_hash <> $2"
				      " AND position($2 in secret_hash) = 0",
				      2, id, secret),
		     1);
	harness_workspace_free(&w);
}

Test(auth, revoked_token_is_401)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	json_t *t = harness_cli("admin", "token", "create", "--user", w.member, "--name", "browser extension", NULL);
	cr_assert(t, "admin token create");
	const char *tok = au_str(t, "token"), *tok_id = au_str(t, "id");
	const char *dot = strchr(tok, '.');
	cr_assert(dot && strlen(tok_id) == (size_t)(dot - tok) && !strncmp(tok, tok_id, strlen(tok_id)),
		  "the token id is the part before the dot: %s / %s", tok_id, tok);
	au_expect_accepted(tok, w.member, "a new token");

	json_t *rv = harness_cli("admin", "token", "revoke", "--id", tok_id, NULL);
	cr_assert(rv, "admin token revoke");
	cr_assert_str_eq(au_str(rv, "id"), tok_id);
	cr_assert(json_is_true(json_object_get(rv, "revoked")));
	json_decref(rv);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM api_tokens WHERE id = $1 AND revoked_at IS NOT NULL", 1, tok_id),
		     1);
	harness_response r = harness_request("GET", AU_ENTRIES, tok, NULL, NULL);
	au_expect_401(&r, "revoked token");
	char *body = au_entry_body(&w, "after revocation");
	r = harness_request("POST", AU_ENTRIES, tok, body, NULL);
	au_expect_401(&r, "revoked token writes");
	free(body);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_entries WHERE workspace_id = $1", 1, w.ws), 0);

	/* Revoking one token leaves the user's other tokens working. */
	au_expect_accepted(w.member_tok, w.member, "the member's other token");
	/* Revoking again fails; so does an unknown id. */
	cr_assert_null(harness_cli("admin", "token", "revoke", "--id", tok_id, NULL), "a second revoke fails");
	cr_assert_null(harness_cli("admin", "token", "revoke", "--id", "tok_doesnotexist", NULL));

	/* The harness's token, revoked by the id before its dot. */
	char member_id[80];
	snprintf(member_id, sizeof member_id, "%.*s", (int)(strchr(w.member_tok, '.') - w.member_tok), w.member_tok);
	rv = harness_cli("admin", "token", "revoke", "--id", member_id, NULL);
	cr_assert(rv);
	json_decref(rv);
	r = harness_request("GET", AU_ENTRIES, w.member_tok, NULL, NULL);
	au_expect_401(&r, "the revoked harness token");
	au_expect_accepted(w.member2_tok, w.member2, "member2 is not affected");
	json_decref(t);
	harness_workspace_free(&w);
}

/* ------------------------------------------------------------------- JWTs */

Test(auth, jwt_acts_as_its_user)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char *jwt = harness_jwt(w.member, 300, HARNESS_JWT_SECRET);
	json_t *theirs = au_create(&w, w.member2_tok, "member2's work");

	json_t *mine = au_create(&w, jwt, "logged with a session token");
	cr_assert_str_eq(au_str(mine, "user_id"), w.member, "the JWT's sub is the author");
	cr_assert_str_eq(au_str(mine, "workspace_id"), w.ws);

	/* It sees what the member sees: their own entry, not member2's. */
	harness_response r = harness_request("GET", AU_ENTRIES, jwt, NULL, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_eq(json_array_size(harness_data(&r)), 1, "%s", r.body);
	cr_assert_str_eq(au_str(json_array_get(harness_data(&r), 0), "id"), au_str(mine, "id"));
	harness_response_free(&r);
	char path[160];
	snprintf(path, sizeof path, AU_ENTRIES "/%s", au_str(theirs, "id"));
	r = harness_request("GET", path, jwt, NULL, NULL);
	cr_assert_eq(r.status, 404, "a member's JWT cannot read member2's entry: %s", r.body);
	harness_response_free(&r);

	/* The member's API token finds the entry made with the JWT. */
	snprintf(path, sizeof path, AU_ENTRIES "/%s", au_str(mine, "id"));
	r = harness_request("GET", path, w.member_tok, NULL, NULL);
	cr_assert_eq(r.status, 200);
	harness_response_free(&r);

	/* A manager's JWT has the manager's reach. */
	char *mgr = harness_jwt(w.manager, 300, HARNESS_JWT_SECRET);
	r = harness_request("GET", AU_ENTRIES, mgr, NULL, NULL);
	cr_assert_eq(r.status, 200);
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(r.json, "pagination"), "total")), 2, "%s", r.body);
	harness_response_free(&r);

	free(mgr);
	free(jwt);
	json_decref(mine);
	json_decref(theirs);
	harness_workspace_free(&w);
}

Test(auth, bad_jwts_are_401)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	const char *hs256 = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	char *claims = au_claims(w.member, 300);
	char *manager_claims = au_claims(w.manager, 300);

	char *good = au_jwt(hs256, claims, HARNESS_JWT_SECRET, NULL);
	au_expect_accepted(good, w.member, "a hand-made HS256 JWT");

	/* Same header and signature, another subject in the payload. */
	char *tampered = NULL;
	{
		char *h = au_b64(hs256), *c = au_b64(manager_claims);
		const char *sig = strrchr(good, '.') + 1;
		cr_assert(asprintf(&tampered, "%s.%s.%s", h, c, sig) > 0);
		free(h), free(c);
	}
	char *no_exp = NULL;
	cr_assert(asprintf(&no_exp, "{\"sub\":\"%s\"}", w.member) > 0);
	char *no_sub = NULL;
	cr_assert(asprintf(&no_sub, "{\"exp\":%ld}", (long)time(NULL) + 300) > 0);
	char *unknown = au_claims("u_doesnotexist", 300);
	const char *good_sig = strrchr(good, '.') + 1;

	struct {
		const char *what;
		char *tok;
	} cases[] = {
		{ "expired", harness_jwt(w.member, -60, HARNESS_JWT_SECRET) },
		{ "signed with another secret", harness_jwt(w.member, 300, "not-the-server-secret") },
		{ "alg none, no signature", au_jwt("{\"alg\":\"none\",\"typ\":\"JWT\"}", claims, NULL, "") },
		{ "alg none with a valid-looking signature", au_jwt("{\"alg\":\"none\",\"typ\":\"JWT\"}", claims, NULL, good_sig) },
		{ "alg None", au_jwt("{\"alg\":\"None\"}", claims, NULL, "") },
		{ "alg HS512", au_jwt("{\"alg\":\"HS512\",\"typ\":\"JWT\"}", claims, HARNESS_JWT_SECRET, NULL) },
		{ "tampered payload", tampered },
		{ "no exp", au_jwt(hs256, no_exp, HARNESS_JWT_SECRET, NULL) },
		{ "no sub", au_jwt(hs256, no_sub, HARNESS_JWT_SECRET, NULL) },
		{ "sub of an unknown user", au_jwt(hs256, unknown, HARNESS_JWT_SECRET, NULL) },
		{ "harness_jwt for an unknown user", harness_jwt("u_doesnotexist", 300, HARNESS_JWT_SECRET) },
		{ "payload not JSON", au_jwt(hs256, "not json", HARNESS_JWT_SECRET, NULL) },
		{ "empty signature", au_jwt(hs256, claims, NULL, "") },
	};
	char *body = au_entry_body(&w, "with a bad JWT");
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cr_assert(cases[i].tok, "%s: built", cases[i].what);
		harness_response r = harness_request("GET", AU_ENTRIES, cases[i].tok, NULL, NULL);
		au_expect_401(&r, cases[i].what);
		r = harness_request("POST", AU_ENTRIES, cases[i].tok, body, NULL);
		au_expect_401(&r, cases[i].what);
		free(cases[i].tok);
	}
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_entries WHERE workspace_id = $1", 1, w.ws), 0,
		     "no bad JWT wrote anything");
	free(body);
	free(unknown), free(no_sub), free(no_exp), free(good), free(claims), free(manager_claims);
	harness_workspace_free(&w);
}

/* ------------------------------------------------------------- isolation */

/* Asserts r is 404 not_found and shows none of needles (NULL-terminated); frees r. */
static void au_expect_hidden(harness_response *r, const char *const *needles, const char *what)
{
	cr_assert_eq(r->status, 404, "%s: expected 404, got %ld: %s", what, r->status, r->body);
	const char *code = harness_error_code(r);
	cr_assert(code && !strcmp(code, "not_found"), "%s: not_found: %s", what, r->body);
	for (; *needles; needles++)
		cr_assert(!strstr(r->body, *needles), "%s: the answer leaks %s: %s", what, *needles, r->body);
	harness_response_free(r);
}

Test(auth, another_workspace_is_invisible)
{
	harness_ws a, b;
	harness_workspace(&a, "free", NULL);
	harness_workspace(&b, "free", NULL);
	json_t *secret_entry = au_create(&b, b.member_tok, "B-confidential-merger-work");
	const char *eid = au_str(secret_entry, "id");
	const char *ts = au_str(secret_entry, "timesheet_id");
	const char *const leaks[] = { "B-confidential-merger-work", b.ws, b.member, harness_demo_id(&b, "tasks", 0), NULL };

	char *a_jwt = harness_jwt(a.admin, 300, HARNESS_JWT_SECRET);
	const char *outsiders[] = { a.admin_tok, a.manager_tok, a.member_tok, a_jwt };
	char entry_path[160], ts_path[160], submit_path[200];
	snprintf(entry_path, sizeof entry_path, AU_ENTRIES "/%s", eid);
	snprintf(ts_path, sizeof ts_path, "/api/v1/timesheets/%s", ts);
	snprintf(submit_path, sizeof submit_path, "/api/v1/timesheets/%s/submit", ts);
	for (size_t i = 0; i < sizeof outsiders / sizeof outsiders[0]; i++) {
		const char *tok = outsiders[i];
		harness_response r = harness_request("GET", entry_path, tok, NULL, NULL);
		au_expect_hidden(&r, leaks, "GET B's entry");
		r = harness_request("PATCH", entry_path, tok, "{\"description\":\"overwritten from A\"}", NULL);
		au_expect_hidden(&r, leaks, "PATCH B's entry");
		r = harness_request("DELETE", entry_path, tok, NULL, NULL);
		au_expect_hidden(&r, leaks, "DELETE B's entry");
		r = harness_request("GET", ts_path, tok, NULL, NULL);
		au_expect_hidden(&r, leaks, "GET B's timesheet");
		r = harness_request("POST", submit_path, tok, NULL, NULL);
		au_expect_hidden(&r, leaks, "submit B's timesheet");

		/* Lists filtered on B's records are empty, never B's rows. */
		char q[256];
		snprintf(q, sizeof q, AU_ENTRIES "?entity_id=%s", harness_demo_id(&b, "tasks", 0));
		r = harness_request("GET", q, tok, NULL, NULL);
		cr_assert_eq(r.status, 200, "%s", r.body);
		cr_assert_eq(json_array_size(harness_data(&r)), 0, "A's list shows none of B: %s", r.body);
		cr_assert(!strstr(r.body, eid));
		harness_response_free(&r);
	}
	/* An admin of A filtering on B's user gets nothing of B either. */
	char q[256];
	snprintf(q, sizeof q, AU_ENTRIES "?user_id=%s", b.member);
	harness_response r = harness_request("GET", q, a.admin_tok, NULL, NULL);
	cr_assert(r.status == 200 || r.status == 403 || r.status == 404, "%ld %s", r.status, r.body);
	if (r.status == 200)
		cr_assert_eq(json_array_size(harness_data(&r)), 0, "%s", r.body);
	cr_assert(!strstr(r.body, eid) && !strstr(r.body, "B-confidential"), "%s", r.body);
	harness_response_free(&r);

	/* A cannot attach its time to B's records or users. */
	char *body = NULL;
	cr_assert(asprintf(&body, "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":1,\"log_date\":\"2026-03-02\"}",
			   harness_demo_id(&b, "tasks", 0)) > 0);
	r = harness_request("POST", AU_ENTRIES, a.admin_tok, body, NULL);
	cr_assert_eq(r.status, 422, "B's task from A: %s", r.body);
	harness_response_free(&r);
	free(body);
	cr_assert(asprintf(&body, "{\"entity_type\":\"project\",\"project_id\":\"%s\",\"hours\":1,\"log_date\":\"2026-03-02\"}",
			   harness_demo_id(&b, "projects", 0)) > 0);
	r = harness_request("POST", AU_ENTRIES, a.admin_tok, body, NULL);
	cr_assert_eq(r.status, 422, "B's project from A: %s", r.body);
	harness_response_free(&r);
	free(body);
	cr_assert(asprintf(&body,
			   "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":1,\"log_date\":\"2026-03-02\","
			   "\"user_id\":\"%s\"}",
			   harness_demo_id(&a, "tasks", 0), b.member) > 0);
	r = harness_request("POST", AU_ENTRIES, a.manager_tok, body, NULL);
	cr_assert(r.status == 422 || r.status == 403 || r.status == 404, "time for B's user from A: %ld %s", r.status,
		  r.body);
	harness_response_free(&r);
	free(body);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_entries WHERE workspace_id = $1", 1, a.ws), 0);

	/* B's entry is untouched and B still sees it. */
	PGresult *row = harness_sql("SELECT description, deleted_at IS NULL FROM time_entries WHERE id = $1", 1, eid);
	cr_assert_str_eq(PQgetvalue(row, 0, 0), "B-confidential-merger-work");
	cr_assert_str_eq(PQgetvalue(row, 0, 1), "t");
	PQclear(row);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM timesheets WHERE id = $1 AND status = 'draft'", 1, ts), 1);
	r = harness_request("GET", entry_path, b.member_tok, NULL, NULL);
	cr_assert_eq(r.status, 200);
	harness_response_free(&r);
	char *b_jwt = harness_jwt(b.manager, 300, HARNESS_JWT_SECRET);
	r = harness_request("GET", entry_path, b_jwt, NULL, NULL);
	cr_assert_eq(r.status, 200, "B's manager's JWT reads it: %s", r.body);
	harness_response_free(&r);

	free(b_jwt);
	free(a_jwt);
	json_decref(secret_entry);
	harness_workspace_free(&a);
	harness_workspace_free(&b);
}
