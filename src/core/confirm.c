#include "core/confirm.h"
#include "util/keyring.h"
#include "core/entries.h"
#include "core/invoicing.h"
#include "core/timer.h"
#include "core/timesheets.h"
#include "core/tx.h"
#include "util/crypto.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Tokens read "wtc1.<payload>.<mac>": a versioned prefix keeps them from ever
 * being mistaken for session JWTs, and the MAC covers prefix and payload. */
#define TOKEN_PREFIX "wtc1."
enum { MAX_TOKEN = 8192, SECRET_BYTES = 32 };

static const struct {
	confirm_kind kind;
	const char *name, *path; /* path: "%s" takes the target */
} ACTIONS[] = {
	{ CONFIRM_LOG_TIME_ENTRY, "log_time_entry", "/api/v1/time-entries" },
	{ CONFIRM_START_TIMER, "start_timer", "/api/v1/time/timer/start" },
	{ CONFIRM_STOP_TIMER, "stop_timer", "/api/v1/time/timer/stop" },
	{ CONFIRM_SUBMIT_TIMESHEET, "submit_timesheet", "/api/v1/timesheets/%s/submit" },
	{ CONFIRM_APPROVE_TIMESHEET, "approve_timesheet", "/api/v1/timesheets/%s/approve" },
	{ CONFIRM_REJECT_TIMESHEET, "reject_timesheet", "/api/v1/timesheets/%s/reject" },
	{ CONFIRM_PULL_FROM_TIME, "convert_time_to_invoice_lines", "/api/v1/invoices/%s/pull-from-time" },
};
enum { NACTIONS = sizeof ACTIONS / sizeof ACTIONS[0] };

const char *confirm_kind_name(confirm_kind kind)
{
	return (size_t)kind < NACTIONS ? ACTIONS[kind].name : "unknown";
}

static bool kind_of(const char *name, confirm_kind *out)
{
	for (size_t i = 0; name && i < NACTIONS; i++)
		if (!strcmp(ACTIONS[i].name, name)) {
			*out = ACTIONS[i].kind;
			return true;
		}
	return false;
}

void confirm_key_from_secret(confirm_key *k, const char *secret)
{
	/* A derived key, so the same secret used elsewhere signs nothing we accept. */
	static const char label[] = "workestra confirmation tokens v1";
	crypto_hmac_sha256(secret, strlen(secret), label, sizeof label - 1, k->key);
}

bool confirm_key_load(confirm_key *k, const char *secret_key, const char *key_file, err_t *err)
{
	char secret[129];
	if (!keyring_secret(secret_key, key_file, secret, err))
		return false;
	confirm_key_from_secret(k, secret);
	return true;
}

json_t *confirm_rest_call(const confirm_action *a)
{
	char path[256];
	if ((size_t)a->kind >= NACTIONS)
		return NULL;
	snprintf(path, sizeof path, ACTIONS[a->kind].path, a->target ? a->target : "");
	return json_pack("{s:s, s:s, s:O}", "method", "POST", "path", path, "body", a->body ? a->body : json_null());
}

static void sign(const confirm_key *k, const char *text, size_t len, char mac_b64[64])
{
	unsigned char mac[32];
	crypto_hmac_sha256(k->key, sizeof k->key, text, len, mac);
	crypto_b64url_encode(mac, sizeof mac, mac_b64);
}

char *confirm_issue(const confirm_key *k, const actor_t *actor, const confirm_action *a, time_t now, err_t *err)
{
	unsigned char raw[16];
	char jti[32];
	if (!crypto_random(raw, sizeof raw)) {
		err_set(err, ERR_CODE_INTERNAL_ERROR, "no randomness available");
		return NULL;
	}
	crypto_b64url_encode(raw, sizeof raw, jti);
	json_t *claims = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s?, s:O, s:I, s:I}", "v", 1, "jti", jti, "uid",
				   actor->user_id, "ws", actor->workspace_id, "act", confirm_kind_name(a->kind), "tgt",
				   a->target, "body", a->body ? a->body : json_null(), "iat", (json_int_t)now, "exp",
				   (json_int_t)(now + CONFIRM_TTL_SECONDS));
	char *payload = json_dumps(claims, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(claims);
	if (!payload)
		abort();
	size_t plen = strlen(payload);
	size_t cap = strlen(TOKEN_PREFIX) + 4 * (plen / 3 + 1) + 64;
	char *tok = malloc(cap);
	if (!tok)
		abort();
	size_t n = (size_t)snprintf(tok, cap, "%s", TOKEN_PREFIX);
	n += crypto_b64url_encode((const unsigned char *)payload, plen, tok + n);
	free(payload);
	char mac[64];
	sign(k, tok, n, mac);
	snprintf(tok + n, cap - n, ".%s", mac);
	return tok;
}

/* Checks the MAC and returns the claims (new reference), or NULL with err set. */
static json_t *verify(const confirm_key *k, const char *token, err_t *err)
{
	size_t len = token ? strlen(token) : 0;
	const char *dot = len && len < MAX_TOKEN && !strncmp(token, TOKEN_PREFIX, strlen(TOKEN_PREFIX))
				  ? strrchr(token, '.')
				  : NULL;
	if (!dot || dot < token + strlen(TOKEN_PREFIX)) {
		err_set(err, ERR_CODE_INVALID_CONFIRMATION, "'confirmation_token' is not a confirmation token");
		return NULL;
	}
	char mac[64];
	sign(k, token, (size_t)(dot - token), mac);
	if (!crypto_equal(mac, strlen(mac), dot + 1, strlen(dot + 1))) {
		err_set(err, ERR_CODE_INVALID_CONFIRMATION,
			"'confirmation_token' was altered or was not issued by this server");
		return NULL;
	}
	const char *p = token + strlen(TOKEN_PREFIX);
	size_t plen = (size_t)(dot - p);
	unsigned char *raw = malloc(3 * plen / 4 + 3);
	if (!raw)
		abort();
	long n = crypto_b64url_decode(p, plen, raw);
	json_t *claims = n > 0 ? json_loadb((const char *)raw, (size_t)n, 0, NULL) : NULL;
	free(raw);
	if (!json_is_object(claims)) {
		json_decref(claims);
		err_set(err, ERR_CODE_INVALID_CONFIRMATION, "'confirmation_token' has an unreadable payload");
		return NULL;
	}
	return claims;
}

/* Records jti as used with its outcome, inside the caller's unit of work: a
 * confirmation's claim commits with the action or not at all. 409
 * confirmation_used when it already was. A concurrent redemption of the same
 * token waits here on the first one's row: once that commits it finds the
 * row and is refused; once that rolls back (its action failed) it takes the
 * claim itself. */
static bool claim(core_ctx *c, const char *jti, const char *act, time_t exp, const char *outcome, err_t *err)
{
	char exp_text[24];
	snprintf(exp_text, sizeof exp_text, "%lld", (long long)exp);
	PGresult *r = DB_QUERY(c->db, err,
			       "INSERT INTO confirmations (jti, workspace_id, user_id, action, expires_at, outcome)"
			       " VALUES ($1, $2, $3, $4, to_timestamp($5::bigint), $6) ON CONFLICT (jti) DO NOTHING RETURNING jti",
			       jti, c->actor->workspace_id, c->actor->user_id, act, exp_text, outcome);
	if (!r)
		return false;
	int n = PQntuples(r);
	PQclear(r);
	return n == 1 ? true
		      : err_set(err, ERR_CODE_CONFIRMATION_USED,
				"this confirmation was already used; ask the assistant to prepare the action again");
}

/* The action, as a unit nested in the redemption's. */
static json_t *perform(core_ctx *c, const confirm_action *a, err_t *err)
{
	switch (a->kind) {
	case CONFIRM_LOG_TIME_ENTRY: return entries_create(c, a->body, false, err);
	case CONFIRM_START_TIMER: return timer_start(c, a->body, false, err);
	case CONFIRM_STOP_TIMER: return timer_stop(c, false, err);
	case CONFIRM_SUBMIT_TIMESHEET: return timesheets_transition(c, a->target, TS_SUBMIT, NULL, false, err);
	case CONFIRM_APPROVE_TIMESHEET: return timesheets_transition(c, a->target, TS_APPROVE, NULL, false, err);
	case CONFIRM_REJECT_TIMESHEET: return timesheets_transition(c, a->target, TS_REJECT, a->body, false, err);
	case CONFIRM_PULL_FROM_TIME: return invoicing_pull_from_time(c, a->target, a->body, false, err);
	}
	err_set(err, ERR_CODE_INTERNAL_ERROR, "unknown confirmation action");
	return NULL;
}

/* A verified token's claims for the actor of c, or NULL with err set: not
 * ours, altered, another user's, or (unless expired_ok) expired. */
typedef struct {
	json_t *claims; /* owned */
	const char *jti;
	time_t exp;
	confirm_action a;
} verified;

static bool verify_for(core_ctx *c, const confirm_key *k, const char *token, time_t now, bool expired_ok, verified *v,
		       err_t *err)
{
	memset(v, 0, sizeof *v);
	if (!(v->claims = verify(k, token, err)))
		return false;
	json_t *claims = v->claims;
	v->jti = json_string_value(json_object_get(claims, "jti"));
	const char *uid = json_string_value(json_object_get(claims, "uid"));
	const char *ws = json_string_value(json_object_get(claims, "ws"));
	json_t *exp = json_object_get(claims, "exp"), *body = json_object_get(claims, "body");
	v->exp = (time_t)json_integer_value(exp);
	v->a = (confirm_action){ .target = json_string_value(json_object_get(claims, "tgt")),
				 .body = json_is_object(body) ? body : NULL };
	if (!v->jti || !uid || !ws || !json_is_integer(exp) ||
	    !kind_of(json_string_value(json_object_get(claims, "act")), &v->a.kind))
		err_set(err, ERR_CODE_INVALID_CONFIRMATION, "'confirmation_token' lacks required claims");
	else if (strcmp(uid, c->actor->user_id) || strcmp(ws, c->actor->workspace_id))
		err_set(err, ERR_CODE_CONFIRMATION_FORBIDDEN,
			"this confirmation was prepared for another user; only that user can confirm it");
	else if (!expired_ok && now >= v->exp)
		err_set(err, ERR_CODE_CONFIRMATION_EXPIRED,
			"this confirmation expired (they last %d minutes); ask the assistant to prepare the action again",
			CONFIRM_TTL_SECONDS / 60);
	else
		return true;
	json_decref(v->claims);
	v->claims = NULL;
	return false;
}

json_t *confirm_redeem(core_ctx *c, const confirm_key *k, const char *token, time_t now, err_t *err)
{
	verified v;
	if (!verify_for(c, k, token, now, false, &v, err))
		return NULL;
	/* Rows of long-expired tokens are dead weight: drop a few on the way,
	 * skipping rows another redemption holds, outside the redemption. */
	tx_best_effort(c->db,
		       "DELETE FROM confirmations WHERE jti IN (SELECT jti FROM confirmations"
		       " WHERE expires_at < now() - interval '1 day' LIMIT 100 FOR UPDATE SKIP LOCKED)",
		       0);
	actor_t as_tool = *c->actor;
	as_tool.source = "ai_tool";
	core_ctx tc = *c;
	tc.actor = &as_tool;
	/* The claim, the action, its audit rows and its events: one unit. A
	 * failed action (or a database error anywhere) rolls the claim back
	 * with it, so the token stays good for a retry until it expires. */
	json_t *out = NULL;
	tx_unit u;
	if (tx_begin(&tc, &u, err)) {
		json_t *result = claim(&tc, v.jti, confirm_kind_name(v.a.kind), v.exp, "confirmed", err)
					 ? perform(&tc, &v.a, err)
					 : NULL;
		if (result)
			out = json_pack("{s:o, s:o}", "action", confirm_rest_call(&v.a), "result", result);
		out = tx_end(&u, out, false, err);
	}
	json_decref(v.claims);
	return out;
}

json_t *confirm_decline(core_ctx *c, const confirm_key *k, const char *token, time_t now, err_t *err)
{
	verified v;
	if (!verify_for(c, k, token, now, false, &v, err))
		return NULL;
	json_t *out = NULL;
	tx_unit u;
	if (tx_begin(c, &u, err)) {
		if (claim(c, v.jti, confirm_kind_name(v.a.kind), v.exp, "declined", err))
			out = json_pack("{s:o, s:s}", "action", confirm_rest_call(&v.a), "outcome", "declined");
		out = tx_end(&u, out, false, err);
	}
	json_decref(v.claims);
	return out;
}

const char *confirm_outcome(core_ctx *c, const confirm_key *k, const char *token, time_t now, err_t *err)
{
	verified v;
	if (!verify_for(c, k, token, now, true, &v, err))
		return NULL;
	const char *outcome = NULL;
	PGresult *r = DB_QUERY(c->db, err, "SELECT outcome FROM confirmations WHERE jti = $1", v.jti);
	if (r) {
		outcome = PQntuples(r) == 1 ? (!strcmp(PQgetvalue(r, 0, 0), "declined") ? "declined" : "confirmed")
		          : now >= v.exp   ? "expired"
					   : "pending";
		PQclear(r);
	}
	json_decref(v.claims);
	return outcome;
}
