/* The store (store/db.h) without a database, for fuzz harnesses: linked
 * before libwt.a, fake_store.c defines every function of store/db.c, so the
 * linker never takes db.o from the archive and no harness can connect.
 *
 * Transaction control (BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE) succeeds;
 * every other statement fails with database_unavailable, as when the server
 * is down, so a door runs its validation up to its first real query and then
 * takes its error path. Two lookups are answered, so requests get past
 * authentication: the API token FAKE_TOKEN and its user (an admin of a pro
 * workspace with every module). A harness may answer more through
 * fake_store_answer. */
#ifndef FUZZ_FAKE_STORE_H
#define FUZZ_FAKE_STORE_H
#include "core/actor.h"
#include "store/db.h"

#define FAKE_TOKEN_ID "tok_fuzz"
#define FAKE_TOKEN_SECRET "fuzz-token-secret"
#define FAKE_TOKEN FAKE_TOKEN_ID "." FAKE_TOKEN_SECRET
#define FAKE_USER_ID "u_fuzz"
#define FAKE_WORKSPACE_ID "ws_fuzz"

/* Consulted first for every statement: a result (the caller PQclear()s it),
 * or NULL to fall back to the behaviour above. */
extern PGresult *(*fake_store_answer)(const char *sql, int nparams, const char *const *params);

/* A PGRES_TUPLES_OK result of nrows x ncols text values (row-major; NULL is SQL NULL). */
PGresult *fake_store_rows(int ncols, int nrows, const char *const *values);

/* The actor FAKE_TOKEN authenticates as, for harnesses that call the core directly. */
void fake_store_actor(actor_t *actor);

#endif
