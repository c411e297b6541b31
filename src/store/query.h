/* Builds a parameterized SQL statement piece by piece (for filtered lists), so
 * values never enter the SQL text. Memory: the builder owns a fixed buffer. */
#ifndef STORE_QUERY_H
#define STORE_QUERY_H
#include "store/db.h"

enum { QUERY_MAX_SQL = 8192, QUERY_MAX_PARAMS = 32 };

typedef struct {
	char sql[QUERY_MAX_SQL];
	size_t len;
	const char *params[QUERY_MAX_PARAMS];
	int n;
	bool overflow;
} query_t;

void query_init(query_t *q, const char *sql);
/* Appends raw SQL text (constants only, never user input). */
void query_sql(query_t *q, const char *sql);
/* Appends "$N" for a new parameter (borrowed; must outlive the query). */
void query_param(query_t *q, const char *value);
/* Appends sql_before, $N, sql_after: e.g. query_cond(q, " AND e.user_id = ", v, ""). */
void query_cond(query_t *q, const char *before, const char *value, const char *after);
PGresult *query_run(db_t *db, query_t *q, err_t *err);
/* Runs q, which selects one json column, and returns the single row's value
 * (a new reference). No row: NULL with err unset, so the caller names what
 * was not found. */
json_t *query_one(db_t *db, query_t *q, err_t *err);
/* The JSON texts in column 0 of r's first n rows as the text of one JSON
 * array, spliced without a parse: PostgreSQL wrote them (its json
 * functions), so they are valid JSON. malloc'd (free()). */
char *query_json_array(PGresult *r, int n);
/* Runs rows (one json column per row) into a JSON array text
 * (query_json_array); NULL with err set on failure. */
char *query_rows(db_t *db, query_t *rows, err_t *err);

#endif
