#include "fake_store.h"
#include "util/crypto.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { FAKE_MAX_PARAMS = 32 };

struct db {
	int unused;
};

PGresult *(*fake_store_answer)(const char *sql, int nparams, const char *const *params);

db_t *db_open(const char *conninfo)
{
	(void)conninfo;
	db_t *db = calloc(1, sizeof *db);
	if (!db)
		abort();
	return db;
}

void db_close(db_t *db)
{
	free(db);
}

/* No connection, ever: callers that reach for libpq directly (migrations)
 * get NULL, which libpq treats as a failed connection. */
PGconn *db_conn(db_t *db)
{
	(void)db;
	return NULL;
}

/* Nothing is planned here, so there is no planning to change. */
void db_plan_each_time(db_t *db)
{
	(void)db;
}

bool db_connect(db_t *db, err_t *err)
{
	(void)db;
	return err_set(err, ERR_CODE_DATABASE_UNAVAILABLE, "the database is not reachable; try again shortly");
}

PGresult *fake_store_rows(int ncols, int nrows, const char *const *values)
{
	PGresult *r = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	PGresAttDesc attrs[FAKE_MAX_PARAMS];
	char names[FAKE_MAX_PARAMS][8];
	if (!r || ncols > FAKE_MAX_PARAMS)
		abort();
	memset(attrs, 0, sizeof attrs);
	for (int c = 0; c < ncols; c++) {
		snprintf(names[c], sizeof names[c], "c%d", c);
		attrs[c].name = names[c];
		attrs[c].format = 0;
		attrs[c].typid = 25; /* text */
		attrs[c].typlen = -1;
		attrs[c].atttypmod = -1;
	}
	if (!PQsetResultAttrs(r, ncols, attrs))
		abort();
	for (int row = 0; row < nrows; row++)
		for (int c = 0; c < ncols; c++) {
			const char *v = values[row * ncols + c];
			if (!PQsetvalue(r, row, c, (char *)v, v ? (int)strlen(v) : -1))
				abort();
		}
	return r;
}

void fake_store_actor(actor_t *actor)
{
	memset(actor, 0, sizeof *actor);
	snprintf(actor->workspace_id, sizeof actor->workspace_id, "%s", FAKE_WORKSPACE_ID);
	snprintf(actor->user_id, sizeof actor->user_id, "%s", FAKE_USER_ID);
	snprintf(actor->role, sizeof actor->role, "admin"); /* the widest permissions: the most code */
	snprintf(actor->plan, sizeof actor->plan, "pro");
	snprintf(actor->modules, sizeof actor->modules, "projects,finance,people,support,crm,recruiting,scheduling,inbox");
	actor->source = "api";
}

static bool starts(const char *sql, const char *word)
{
	return !strncasecmp(sql, word, strlen(word));
}

/* The two lookups core/auth.c makes, answered for FAKE_TOKEN and FAKE_USER_ID. */
static PGresult *auth_answer(const char *sql, int nparams, const char *const *params)
{
	if (nparams >= 1 && params[0] && strstr(sql, "FROM api_tokens") && starts(sql, "SELECT")) {
		if (strcmp(params[0], FAKE_TOKEN_ID))
			return fake_store_rows(2, 0, NULL);
		char hash[65];
		crypto_sha256_hex(FAKE_TOKEN_SECRET, strlen(FAKE_TOKEN_SECRET), hash);
		const char *row[] = { FAKE_USER_ID, hash };
		return fake_store_rows(2, 1, row);
	}
	if (nparams >= 1 && params[0] && strstr(sql, "FROM users u") && strstr(sql, "JOIN workspaces")) {
		if (strcmp(params[0], FAKE_USER_ID))
			return fake_store_rows(5, 0, NULL);
		actor_t a;
		fake_store_actor(&a);
		const char *row[] = { a.workspace_id, a.user_id, a.role, a.plan, a.modules };
		return fake_store_rows(5, 1, row);
	}
	if (starts(sql, "UPDATE api_tokens SET last_used_at"))
		return PQmakeEmptyPGresult(NULL, PGRES_COMMAND_OK);
	return NULL;
}

PGresult *db_queryv(db_t *db, err_t *err, const char *sql, int nparams, const char *const *params)
{
	(void)db;
	PGresult *r = fake_store_answer ? fake_store_answer(sql, nparams, params) : NULL;
	if (!r)
		r = auth_answer(sql, nparams, params);
	if (r)
		return r;
	if (starts(sql, "BEGIN") || starts(sql, "COMMIT") || starts(sql, "ROLLBACK") || starts(sql, "SAVEPOINT") ||
	    starts(sql, "RELEASE"))
		return PQmakeEmptyPGresult(NULL, PGRES_COMMAND_OK);
	err_set(err, ERR_CODE_DATABASE_UNAVAILABLE, "the database is not reachable; try again shortly");
	return NULL;
}

PGresult *db_query_stmt(db_t *db, err_t *err, const char *const *stmt, int nparams)
{
	return db_queryv(db, err, stmt[0], nparams, stmt + 1);
}

json_t *db_query_json_stmt(db_t *db, err_t *err, const char *const *stmt, int nparams)
{
	PGresult *r = db_queryv(db, err, stmt[0], nparams, stmt + 1);
	if (!r)
		return NULL;
	json_t *out = NULL;
	if (PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
		out = json_loads(PQgetvalue(r, 0, 0), JSON_DECODE_ANY, NULL);
	PQclear(r);
	return out;
}

bool db_exec_stmt(db_t *db, err_t *err, const char *const *stmt, int nparams)
{
	PGresult *r = db_queryv(db, err, stmt[0], nparams, stmt + 1);
	PQclear(r);
	return r != NULL;
}

bool db_ping(db_t *db, err_t *err)
{
	return DB_EXEC(db, err, "SELECT 1");
}

bool db_begin(db_t *db, err_t *err)
{
	return DB_EXEC(db, err, "BEGIN");
}

bool db_commit(db_t *db, err_t *err)
{
	return DB_EXEC(db, err, "COMMIT");
}

void db_rollback(db_t *db)
{
	(void)db;
}

const char *db_value(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}
