/* libFuzzer harness: bearer credentials as the API receives them
 * (core/auth.c: the API token "tok_<id>.<secret>" and session JWT paths),
 * against the fake store, which knows one token (FAKE_TOKEN) and its user.
 * The input is the credential text after "Bearer ". Each input is tried with
 * and without a JWT secret configured.
 * Not reached: the SQL itself and last_used_at bookkeeping (needs a database). */
#include "core/auth.h"
#include "support/fake_store.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_INPUT = 10 * 1024 };

static db_t *db;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	db = db_open("");
	return 0;
}

static void check(const char *cred, const char *jwt_secret)
{
	actor_t actor;
	memset(&actor, 0, sizeof actor);
	err_t err = { 0 };
	bool ok = auth_bearer(db, cred, jwt_secret, &actor, &err);
	if (ok != !err_any(&err))
		abort();
	if (!ok && err.kind != ERR_UNAUTHORIZED && err.kind != ERR_UNAVAILABLE)
		abort(); /* a bad credential is 401, never anything else */
	/* only the one known token (or a JWT naming its user) authenticates */
	if (ok && strcmp(actor.user_id, FAKE_USER_ID))
		abort();
	if (ok && strchr(cred, '.') == strrchr(cred, '.') && strcmp(cred, FAKE_TOKEN))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > MAX_INPUT)
		return 0;
	char *cred = malloc(size + 1);
	if (!cred)
		abort();
	memcpy(cred, data, size);
	cred[size] = '\0';
	check(cred, NULL);
	check(cred, "fuzz-jwt-secret");
	free(cred);
	return 0;
}
