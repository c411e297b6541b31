#include "store/db.h"
#include "util/log.h"
#include "util/metrics.h"
#include <stdlib.h>
#include <string.h>

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
		return err_set(err, ERR_CODE_DATABASE_UNAVAILABLE, "the database is not reachable; try again shortly");
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
		err_set(err, ERR_CODE_DATABASE_UNAVAILABLE, "the database is not reachable; try again shortly");
		return;
	}
	if (!strcmp(state, "23505") || !strcmp(state, "23P01")) {
		err_set(err, ERR_CODE_CONFLICT, "the change conflicts with existing data");
		return;
	}
	if (!strcmp(state, "40001") || !strcmp(state, "40P01")) {
		err_set(err, ERR_CODE_CONFLICT, "a concurrent change got there first; retry");
		return;
	}
	if (!strcmp(state, "57014")) {
		err_set(err, ERR_CODE_TIMEOUT, "the query took too long");
		return;
	}
	if (!strncmp(state, "22", 2) || !strncmp(state, "23", 2)) {
		log_msg(LOG_WARN, "data error %s: %s", state, msg);
		err_set(err, ERR_CODE_VALIDATION_FAILED, "a value is out of range or invalid");
		return;
	}
	log_msg(LOG_ERROR, "database error %s: %s", state, msg);
	err_set(err, ERR_CODE_INTERNAL_ERROR, "internal error");
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

PGresult *db_query_stmt(db_t *db, err_t *err, const char *const *stmt, int nparams)
{
	return db_queryv(db, err, stmt[0], nparams, stmt + 1);
}

json_t *db_query_json_stmt(db_t *db, err_t *err, const char *const *stmt, int nparams)
{
	PGresult *res = db_queryv(db, err, stmt[0], nparams, stmt + 1);
	if (!res)
		return NULL;
	json_t *out = NULL;
	if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0)) {
		json_error_t jerr;
		out = json_loads(PQgetvalue(res, 0, 0), JSON_DECODE_ANY, &jerr);
		if (!out)
			err_set(err, ERR_CODE_INTERNAL_ERROR, "internal error (bad JSON from database)");
	}
	PQclear(res);
	return out;
}

bool db_exec_stmt(db_t *db, err_t *err, const char *const *stmt, int nparams)
{
	PGresult *res = db_queryv(db, err, stmt[0], nparams, stmt + 1);
	if (!res)
		return false;
	PQclear(res);
	return true;
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
