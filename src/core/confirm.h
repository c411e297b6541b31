/* Confirmation of actions an AI tool prepared. A write tool never mutates: it
 * previews the action (a dry run of the core function, core/tx.h) and hands
 * out a confirmation token, signed with the server's key (HMAC-SHA256), bound
 * to the user, the workspace and the exact action, expiring after
 * CONFIRM_TTL_SECONDS and redeemable once. Redeeming re-validates and runs the
 * same core function the equivalent REST call runs, as the redeeming user,
 * with the audit source "ai_tool".
 *
 * Refusals: a token that does not verify is 422 invalid_confirmation; another
 * user's (or workspace's) token is 403 confirmation_forbidden; an expired one is
 * 422 confirmation_expired (not 410: clients treat it like any validation
 * failure and ask the tool again); a second redemption is 409 confirmation_used.
 * The single-use claim (a row in confirmations) is written in the same
 * transaction as the action, its audit rows and its events: a redemption
 * whose action fails (say the timesheet changed state meanwhile), or that
 * meets a database error, leaves no claim, so the token can be retried until
 * it expires; two concurrent redemptions of one token run the action once. */
#ifndef CORE_CONFIRM_H
#define CORE_CONFIRM_H
#include "core/ctx.h"
#include <jansson.h>
#include <time.h>

enum { CONFIRM_TTL_SECONDS = 600 };

typedef struct {
	unsigned char key[32];
} confirm_key;

/* The signing key is derived from the server secret (keyring_secret:
 * secret_key, i.e. WORKESTRA_SECRET_KEY, when given, else key_file, created
 * the first time). Several instances must share one secret. */
bool confirm_key_load(confirm_key *k, const char *secret_key, const char *key_file, err_t *err);
/* The key derived from a secret text (for tests and tools that mint tokens). */
void confirm_key_from_secret(confirm_key *k, const char *secret);

/* What a confirmation performs: the name of the write tool that prepared it. */
typedef enum {
	CONFIRM_LOG_TIME_ENTRY,
	CONFIRM_START_TIMER,
	CONFIRM_STOP_TIMER,
	CONFIRM_SUBMIT_TIMESHEET,
	CONFIRM_APPROVE_TIMESHEET,
	CONFIRM_REJECT_TIMESHEET,
	CONFIRM_PULL_FROM_TIME,
} confirm_kind;

typedef struct {
	confirm_kind kind;
	const char *target; /* the timesheet id of a transition, the invoice id of a pull, else NULL */
	json_t *body;       /* the REST body (borrowed), or NULL for none */
} confirm_action;

const char *confirm_kind_name(confirm_kind kind);
/* The REST call that performs the action: {method, path, body}; new reference. */
json_t *confirm_rest_call(const confirm_action *a);

/* A token for the actor to perform a, valid from now for CONFIRM_TTL_SECONDS.
 * malloc'd; NULL with err set when no randomness is available. */
char *confirm_issue(const confirm_key *k, const actor_t *actor, const confirm_action *a, time_t now, err_t *err);

/* Verifies token for the actor of c, claims it and runs its action, in one
 * unit of work (nested in c's when one is open). Returns
 * {action: {method, path, body}, result: <what the REST call returns>}. */
json_t *confirm_redeem(core_ctx *c, const confirm_key *k, const char *token, time_t now, err_t *err);

/* The person said no: verifies token like confirm_redeem and uses it up with
 * nothing run, so it cannot be confirmed afterwards (409 confirmation_used).
 * Returns {action: {method, path, body}, outcome: "declined"}. */
json_t *confirm_decline(core_ctx *c, const confirm_key *k, const char *token, time_t now, err_t *err);

/* What became of token (the actor's own, even when expired): "pending",
 * "confirmed", "declined" or "expired" (static strings); NULL with err set
 * when it does not verify for the actor. */
const char *confirm_outcome(core_ctx *c, const confirm_key *k, const char *token, time_t now, err_t *err);

#endif
