/* A PostgreSQL connection owned by one thread, with reconnection, parameterized
 * queries and transactions. Errors map to err_t: unique and exclusion
 * violations are conflicts, a lost connection is "database_unavailable". */
#ifndef STORE_DB_H
#define STORE_DB_H
#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include "util/err.h"

typedef struct db db_t;

/* Returns a handle owned by the caller (db_close). It connects lazily and
 * reconnects when the connection is lost; never NULL. */
db_t *db_open(const char *conninfo);
void db_close(db_t *db);
/* Connects if needed; false (and err set) when the database cannot be reached. */
bool db_connect(db_t *db, err_t *err);
PGconn *db_conn(db_t *db);

/* Runs sql with nparams text parameters (NULL means SQL NULL). Returns a result
 * the caller PQclear()s, or NULL with err set. */
PGresult *db_query(db_t *db, err_t *err, const char *sql, int nparams, ...);
PGresult *db_queryv(db_t *db, err_t *err, const char *sql, int nparams, const char *const *params);
/* Runs sql, which returns one json/jsonb column, and returns the first row's value
 * parsed (a new reference), or NULL when there is no row (err not set) or on error. */
json_t *db_query_json(db_t *db, err_t *err, const char *sql, int nparams, ...);
/* Runs a statement and returns true on success. */
bool db_exec(db_t *db, err_t *err, const char *sql, int nparams, ...);

bool db_begin(db_t *db, err_t *err);
bool db_commit(db_t *db, err_t *err);
/* Rolls back if a transaction is open; safe to call on a broken connection. */
void db_rollback(db_t *db);

/* Value of (row, col) or NULL when SQL NULL. */
const char *db_value(const PGresult *res, int row, int col);

#endif
