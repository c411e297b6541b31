#include "store/db.h"
#include "util/log.h"
#include "util/metrics.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Statements are prepared once per connection, by their SQL text, so a
 * request pays PostgreSQL's parse and plan only the first time a worker's
 * connection sees a statement. The table is bounded (texts built from
 * filters vary); past it, statements run unprepared as before. A lost
 * connection forgets its statements with it. */
enum { MAX_PREPARED = 512 };
typedef struct {
	uint64_t hash;
	char *sql; /* owned */
} prepared_t;

struct db {
	char *conninfo;
	PGconn *conn;
	bool lost; /* the last connection broke: the next one is a reconnect */
	bool unprepared; /* db_plan_each_time */
	prepared_t prepared[MAX_PREPARED];
	int nprepared;
};

db_t *db_open(const char *conninfo)
{
	db_t *db = calloc(1, sizeof *db);
	if (!db)
		abort();
	db->conninfo = strdup(conninfo);
#ifdef DB_NEVER_PREPARE
	/* make bench's A build only: every statement planned each time, as
	 * before statements were prepared per connection. */
	db->unprepared = true;
#endif
	return db;
}

static void forget_prepared(db_t *db)
{
	for (int i = 0; i < db->nprepared; i++)
		free(db->prepared[i].sql);
	db->nprepared = 0;
}

void db_close(db_t *db)
{
	if (!db)
		return;
	forget_prepared(db);
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
	forget_prepared(db);
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

void db_plan_each_time(db_t *db)
{
	db->unprepared = true;
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

/* Data statements only: transaction control and other utilities are cheap
 * to parse and some (SAVEPOINT names) vary without end. */
static bool preparable(const char *sql)
{
	static const char *const verbs[] = { "SELECT", "INSERT", "UPDATE", "DELETE", "WITH", NULL };
	sql += strspn(sql, " \t\n");
	for (const char *const *v = verbs; *v; v++)
		if (!strncasecmp(sql, *v, strlen(*v)))
			return true;
	return false;
}

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* Runs sql on the connection, prepared when it can be. A failed PREPARE is
 * answered as the statement's own failure (it would have failed the same way). */
static PGresult *exec(db_t *db, const char *sql, int nparams, const char *const *params)
{
	if (db->unprepared || !preparable(sql))
		return PQexecParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0);
	uint64_t h = fnv1a(sql);
	int i = 0;
	while (i < db->nprepared && (db->prepared[i].hash != h || strcmp(db->prepared[i].sql, sql)))
		i++;
	char name[16];
	snprintf(name, sizeof name, "w%d", i);
	if (i == db->nprepared) {
		if (i == MAX_PREPARED)
			return PQexecParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0);
		PGresult *p = PQprepare(db->conn, name, sql, nparams, NULL);
		if (PQresultStatus(p) != PGRES_COMMAND_OK)
			return p;
		PQclear(p);
		db->prepared[db->nprepared++] = (prepared_t){ h, strdup(sql) };
		if (!db->prepared[i].sql)
			abort();
	}
	return PQexecPrepared(db->conn, name, nparams, params, NULL, NULL, 0);
}

PGresult *db_queryv(db_t *db, err_t *err, const char *sql, int nparams, const char *const *params)
{
	if (!db_connect(db, err))
		return NULL;
	bool idle = PQtransactionStatus(db->conn) == PQTRANS_IDLE;
	PGresult *res = exec(db, sql, nparams, params);
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
		res = exec(db, sql, nparams, params);
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
