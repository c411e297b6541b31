#include "store/db.h"
#include "util/log.h"
#include "util/metrics.h"
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum { DB_MAX_PARAMS = 32 };

struct db {
	char *conninfo;
	PGconn *conn;
	bool lost; /* the last connection broke: the next one is a reconnect */
};

db_t *db_open(const char *conninfo)
{
	db_t *db = calloc(1, sizeof *db);
	if (!db)
		abort();
	db->conninfo = strdup(conninfo);
	return db;
}

void db_close(db_t *db)
{
	if (!db)
		return;
	if (db->conn) {
		PQfinish(db->conn);
		metrics_db_connection(METRICS_DB_CLOSED);
	}
	free(db->conninfo);
	free(db);
}

PGconn *db_conn(db_t *db)
{
	return db->conn;
}

/* Drops a connection that broke; the next query opens another. */
static void drop_lost(db_t *db)
{
	PQfinish(db->conn);
	db->conn = NULL;
	db->lost = true;
	metrics_db_connection(METRICS_DB_LOST);
}

static void silence_notices(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

bool db_connect(db_t *db, err_t *err)
{
	if (db->conn && PQstatus(db->conn) == CONNECTION_OK)
		return true;
	if (db->conn)
		drop_lost(db);
	db->conn = PQconnectdb(db->conninfo);
	if (PQstatus(db->conn) != CONNECTION_OK) {
		log_msg(LOG_WARN, "database connection failed: %s", PQerrorMessage(db->conn));
		PQfinish(db->conn);
		db->conn = NULL;
		metrics_db_connection(METRICS_DB_FAILED);
		return err_set(err, ERR_UNAVAILABLE, "database_unavailable", "the database is not reachable; try again shortly");
	}
	metrics_db_connection(db->lost ? METRICS_DB_REOPENED : METRICS_DB_OPENED);
	db->lost = false;
	PQsetNoticeProcessor(db->conn, silence_notices, NULL);
	PGresult *r = PQexec(db->conn, "SET TIME ZONE 'UTC'; SET statement_timeout = '30s'");
	PQclear(r);
	return true;
}

/* Translates a failed result into err. */
static void map_error(db_t *db, const PGresult *res, err_t *err)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(db->conn);
	if (!db->conn || PQstatus(db->conn) != CONNECTION_OK || !state || !strncmp(state, "08", 2) ||
	    !strcmp(state, "57P01")) {
		err_set(err, ERR_UNAVAILABLE, "database_unavailable", "the database is not reachable; try again shortly");
		return;
	}
	if (!strcmp(state, "23505") || !strcmp(state, "23P01")) {
		err_set(err, ERR_CONFLICT, "conflict", "the change conflicts with existing data");
		return;
	}
	if (!strcmp(state, "40001") || !strcmp(state, "40P01")) {
		err_set(err, ERR_CONFLICT, "conflict", "a concurrent change got there first; retry");
		return;
	}
	if (!strcmp(state, "57014")) {
		err_set(err, ERR_UNAVAILABLE, "timeout", "the query took too long");
		return;
	}
	if (!strncmp(state, "22", 2) || !strncmp(state, "23", 2)) {
		log_msg(LOG_WARN, "data error %s: %s", state, msg);
		err_set(err, ERR_VALIDATION, "validation_failed", "a value is out of range or invalid");
		return;
	}
	log_msg(LOG_ERROR, "database error %s: %s", state, msg);
	err_set(err, ERR_INTERNAL, "internal_error", "internal error");
}

static void collect_params(const char **params, int nparams, va_list ap)
{
	if (nparams > DB_MAX_PARAMS)
		abort();
	for (int i = 0; i < nparams; i++)
		params[i] = va_arg(ap, const char *);
}

PGresult *db_queryv(db_t *db, err_t *err, const char *sql, int nparams, const char *const *params)
{
	if (!db_connect(db, err))
		return NULL;
	bool idle = PQtransactionStatus(db->conn) == PQTRANS_IDLE;
	PGresult *res = PQexecParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(res);
	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
		return res;
	/* A connection lost between requests (server restart, idle kill) is
	 * reopened and the statement retried once, when no transaction was open. */
	if (idle && PQstatus(db->conn) != CONNECTION_OK) {
		PQclear(res);
		drop_lost(db);
		if (!db_connect(db, err))
			return NULL;
		res = PQexecParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0);
		st = PQresultStatus(res);
		if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
			return res;
	}
	map_error(db, res, err);
	PQclear(res);
	/* A dropped connection is reopened by the next query. */
	if (PQstatus(db->conn) != CONNECTION_OK)
		drop_lost(db);
	return NULL;
}

PGresult *db_query(db_t *db, err_t *err, const char *sql, int nparams, ...)
{
	const char *params[DB_MAX_PARAMS];
	va_list ap;
	va_start(ap, nparams);
	collect_params(params, nparams, ap);
	va_end(ap);
	return db_queryv(db, err, sql, nparams, params);
}

json_t *db_query_json(db_t *db, err_t *err, const char *sql, int nparams, ...)
{
	const char *params[DB_MAX_PARAMS];
	va_list ap;
	va_start(ap, nparams);
	collect_params(params, nparams, ap);
	va_end(ap);
	PGresult *res = db_queryv(db, err, sql, nparams, params);
	if (!res)
		return NULL;
	json_t *out = NULL;
	if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0)) {
		json_error_t jerr;
		out = json_loads(PQgetvalue(res, 0, 0), JSON_DECODE_ANY, &jerr);
		if (!out)
			err_set(err, ERR_INTERNAL, "internal_error", "internal error (bad JSON from database)");
	}
	PQclear(res);
	return out;
}

bool db_exec(db_t *db, err_t *err, const char *sql, int nparams, ...)
{
	const char *params[DB_MAX_PARAMS];
	va_list ap;
	va_start(ap, nparams);
	collect_params(params, nparams, ap);
	va_end(ap);
	PGresult *res = db_queryv(db, err, sql, nparams, params);
	if (!res)
		return false;
	PQclear(res);
	return true;
}

bool db_begin(db_t *db, err_t *err)
{
	return db_exec(db, err, "BEGIN", 0);
}

bool db_commit(db_t *db, err_t *err)
{
	return db_exec(db, err, "COMMIT", 0);
}

void db_rollback(db_t *db)
{
	if (!db->conn || PQstatus(db->conn) != CONNECTION_OK)
		return;
	if (PQtransactionStatus(db->conn) == PQTRANS_IDLE)
		return;
	PQclear(PQexec(db->conn, "ROLLBACK"));
}

const char *db_value(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}
