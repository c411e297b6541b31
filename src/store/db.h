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
/* Runs this handle's statements unprepared, so each is planned for its
 * parameters every time, rather than with the generic plan a prepared
 * statement gets after five runs: for a connection whose every statement does
 * a batch's work (the webhook pump), where planning is cheap beside it, and a
 * generic plan, made before a table or its backlog grew, would scan it all
 * (a LIMIT parameter is planned as a tenth of the rows). */
void db_plan_each_time(db_t *db);

/* Statements take their text parameters (NULL is SQL NULL) after the SQL,
 * without a count:
 *
 *     PGresult *r = DB_QUERY(db, err, "SELECT ... WHERE workspace_id = $1 AND id = $2", ws, id);
 *     if (!DB_EXEC(db, err, "BEGIN")) ...
 *
 * The SQL and the parameters become one compound literal of const char *,
 * so the compiler checks that each is a string (an int or a json_t * is an
 * error) and its size is the count: nothing to keep in step by hand. The
 * arguments are evaluated once (neither sizeof nor _Generic evaluates them).
 * A literal 0 is a null pointer and would pass as SQL NULL, so the first
 * parameter is also checked to be a pointer, not an int: the count of an
 * old-style call left in place ("BEGIN", 0) fails to compile ("_Generic
 * selector of type int"). */
#define DB_STMT(...)                                                                                            \
	((const char *const[]){ __VA_ARGS__ }),                                                                   \
		(int)(sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *)) - 1 +                 \
			_Generic((DB_SECOND_(__VA_ARGS__, (void *)0, (void *)0)), char *: 0, const char *: 0, void *: 0)
#define DB_SECOND_(sql, first, ...) first
/* A result the caller PQclear()s, or NULL with err set. */
#define DB_QUERY(db, err, ...) db_query_stmt((db), (err), DB_STMT(__VA_ARGS__))
/* The first row's value of a statement that returns one json/jsonb column,
 * parsed (a new reference), or NULL when there is no row (err not set) or on
 * error. */
#define DB_QUERY_JSON(db, err, ...) db_query_json_stmt((db), (err), DB_STMT(__VA_ARGS__))
/* Whether the statement succeeded. */
#define DB_EXEC(db, err, ...) db_exec_stmt((db), (err), DB_STMT(__VA_ARGS__))

/* What the macros call: stmt[0] is the SQL, stmt[1..nparams] its parameters. */
PGresult *db_query_stmt(db_t *db, err_t *err, const char *const *stmt, int nparams);
json_t *db_query_json_stmt(db_t *db, err_t *err, const char *const *stmt, int nparams);
bool db_exec_stmt(db_t *db, err_t *err, const char *const *stmt, int nparams);
/* Runs sql with nparams parameters from an array (the query builder's way). */
PGresult *db_queryv(db_t *db, err_t *err, const char *sql, int nparams, const char *const *params);

/* Whether the database answers a trivial statement now (readiness probes). */
bool db_ping(db_t *db, err_t *err);
bool db_begin(db_t *db, err_t *err);
bool db_commit(db_t *db, err_t *err);
/* Rolls back if a transaction is open; safe to call on a broken connection. */
void db_rollback(db_t *db);

/* Value of (row, col) or NULL when SQL NULL. */
const char *db_value(const PGresult *res, int row, int col);

#endif
