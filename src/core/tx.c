#include "core/tx.h"
#include <stdarg.h>
#include <stdlib.h>

/* Nested units reuse one savepoint name: PostgreSQL resolves ROLLBACK TO and
 * RELEASE to the newest savepoint of a name, which is the innermost unit,
 * the only one that may end. */
#define UNIT_SAVEPOINT "wt_unit"
#define BEST_EFFORT_SAVEPOINT "wt_best_effort"

enum { BEST_EFFORT_MAX_PARAMS = 8 };

/* The transaction state of the connection: PQTRANS_UNKNOWN when there is
 * none in use (the next statement opens one, outside any transaction). */
static PGTransactionStatusType conn_state(db_t *db)
{
	PGconn *conn = db_conn(db);
	if (!conn || PQstatus(conn) != CONNECTION_OK)
		return PQTRANS_UNKNOWN;
	return PQtransactionStatus(conn);
}

static void close_unit(tx_unit *u)
{
	u->open = false;
	u->ctx->tx = u->outer;
}

static bool begin(core_ctx *c, tx_unit *u, const char *begin_sql, err_t *err)
{
	*u = (tx_unit){ .ctx = c, .outer = c->tx };
	if (u->outer && !u->outer->open)
		return err_set(err, ERR_INTERNAL, "internal_error", "internal error (a unit of work nests in one that ended)");
	switch (conn_state(c->db)) {
	case PQTRANS_INTRANS:
		if (!DB_EXEC(c->db, err, "SAVEPOINT " UNIT_SAVEPOINT))
			return false;
		break;
	case PQTRANS_INERROR:
		return err_set(err, ERR_INTERNAL, "internal_error",
			       "internal error (a statement of the enclosing transaction failed and it was not rolled back)");
	case PQTRANS_ACTIVE:
		return err_set(err, ERR_INTERNAL, "internal_error", "internal error (the connection is busy)");
	default:
		/* No transaction: this unit owns one, unless it was to nest in a
		 * unit whose transaction went with a lost connection. */
		if (u->outer)
			return err_set(err, ERR_UNAVAILABLE, "database_unavailable",
				       "the database connection was lost in the middle of a transaction; try again");
		if (!DB_EXEC(c->db, err, begin_sql))
			return false;
		u->owns = true;
	}
	u->open = true;
	c->tx = u;
	return true;
}

bool tx_begin(core_ctx *c, tx_unit *u, err_t *err)
{
	return begin(c, u, "BEGIN", err);
}

bool tx_begin_snapshot(core_ctx *c, tx_unit *u, err_t *err)
{
	return begin(c, u, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err);
}

void tx_rollback(tx_unit *u)
{
	if (!u->open)
		return;
	db_t *db = u->ctx->db;
	if (u->owns) {
		db_rollback(db);
	} else if (conn_state(db) == PQTRANS_INTRANS || conn_state(db) == PQTRANS_INERROR) {
		/* Back to the savepoint (which also clears a failed statement's
		 * abort), then drop it: the outer unit goes on as before. (With
		 * the connection lost there is nothing to undo, and nothing to
		 * reconnect for.) */
		err_t ignored = { 0 };
		if (DB_EXEC(db, &ignored, "ROLLBACK TO SAVEPOINT " UNIT_SAVEPOINT))
			DB_EXEC(db, &ignored, "RELEASE SAVEPOINT " UNIT_SAVEPOINT);
	}
	close_unit(u);
}

bool tx_commit(tx_unit *u, err_t *err)
{
	if (!u->open)
		return err_set(err, ERR_INTERNAL, "internal_error", "internal error (a unit of work ended twice)");
	db_t *db = u->ctx->db;
	PGTransactionStatusType st;
	bool ok;
	if (u->ctx->tx != u)
		ok = err_set(err, ERR_INTERNAL, "internal_error", "internal error (a unit of work ends before one nested in it)");
	else if ((st = conn_state(db)) == PQTRANS_INERROR)
		/* COMMIT would answer ROLLBACK without an error: say so instead. */
		ok = err_set(err, ERR_INTERNAL, "internal_error", "internal error (a statement failed inside the unit of work)");
	else if (st != PQTRANS_INTRANS)
		/* The connection was lost (and maybe opened again): the work is
		 * gone, and a COMMIT on the new connection would say yes. */
		ok = err_set(err, ERR_UNAVAILABLE, "database_unavailable",
			     "the database connection was lost before the change was committed; try again");
	else
		ok = DB_EXEC(db, err, u->owns ? "COMMIT" : "RELEASE SAVEPOINT " UNIT_SAVEPOINT);
	if (!ok) {
		tx_rollback(u);
		return false;
	}
	close_unit(u);
	return true;
}

json_t *tx_end(tx_unit *u, json_t *out, bool dry_run, err_t *err)
{
	if (!out && !err_any(err))
		err_set(err, ERR_INTERNAL, "internal_error", "internal error");
	if (err_any(err) || dry_run)
		tx_rollback(u);
	else
		tx_commit(u, err);
	if (err_any(err)) {
		json_decref(out);
		return NULL;
	}
	return out;
}

void tx_best_effort(db_t *db, const char *sql, int nparams, ...)
{
	const char *params[BEST_EFFORT_MAX_PARAMS];
	if (nparams > BEST_EFFORT_MAX_PARAMS)
		abort();
	va_list ap;
	va_start(ap, nparams);
	for (int i = 0; i < nparams; i++)
		params[i] = va_arg(ap, const char *);
	va_end(ap);
	err_t ignored = { 0 };
	PGTransactionStatusType st = conn_state(db);
	if (st == PQTRANS_INERROR || st == PQTRANS_ACTIVE)
		return;
	bool nested = st == PQTRANS_INTRANS;
	if (nested && !DB_EXEC(db, &ignored, "SAVEPOINT " BEST_EFFORT_SAVEPOINT))
		return;
	PGresult *r = db_queryv(db, &ignored, sql, nparams, params);
	bool failed = !r;
	PQclear(r);
	if (nested) {
		if (failed)
			DB_EXEC(db, &ignored, "ROLLBACK TO SAVEPOINT " BEST_EFFORT_SAVEPOINT);
		DB_EXEC(db, &ignored, "RELEASE SAVEPOINT " BEST_EFFORT_SAVEPOINT);
	}
}
