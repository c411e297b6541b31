#include "store/migrate.h"
#include "util/embedded.h"
#include "util/log.h"
#include <stdio.h>
#include <stdlib.h>

/* Arbitrary constant shared by every process of this program. */
#define MIGRATE_LOCK_KEY "7263540011"

static bool apply_one(db_t *db, const embedded_file *m, int version, bool *ran, err_t *err)
{
	char vbuf[16];
	snprintf(vbuf, sizeof vbuf, "%d", version);
	*ran = false;
	if (!db_begin(db, err))
		return false;
	if (!DB_EXEC(db, err, "SELECT pg_advisory_xact_lock(" MIGRATE_LOCK_KEY ")"))
		goto fail;
	PGresult *r = DB_QUERY(db, err, "SELECT 1 FROM schema_migrations WHERE version = $1", vbuf);
	if (!r)
		goto fail;
	int done = PQntuples(r) > 0;
	PQclear(r);
	if (done) {
		db_rollback(db);
		return true;
	}
	/* Simple query protocol: a migration file holds several statements. */
	PGresult *res = PQexec(db_conn(db), m->text);
	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
		err_set(err, ERR_INTERNAL, "migration_failed", "migration %s failed: %s", m->name,
			PQresultErrorMessage(res));
		PQclear(res);
		goto fail;
	}
	PQclear(res);
	if (!DB_EXEC(db, err, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", vbuf, m->name))
		goto fail;
	if (!db_commit(db, err))
		goto fail;
	*ran = true;
	log_msg(LOG_INFO, "applied migration %s", m->name);
	return true;
fail:
	db_rollback(db);
	return false;
}

bool migrate_run(db_t *db, int *applied, err_t *err)
{
	*applied = 0;
	/* Creating the ledger races harmlessly between processes only under the lock. */
	if (!db_begin(db, err))
		return false;
	if (!DB_EXEC(db, err, "SELECT pg_advisory_xact_lock(" MIGRATE_LOCK_KEY ")") ||
	    !DB_EXEC(db, err,
		     "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL,"
		     " applied_at timestamptz NOT NULL DEFAULT now())") ||
	    !db_commit(db, err)) {
		db_rollback(db);
		return false;
	}
	for (const embedded_file *m = embedded_migrations; m->name; m++) {
		int version = atoi(m->name);
		if (version <= 0)
			return err_set(err, ERR_INTERNAL, "migration_failed", "migration %s has no number", m->name);
		bool ran;
		if (!apply_one(db, m, version, &ran, err))
			return false;
		*applied += ran;
	}
	return true;
}
