/* Units of work: how core writes begin, compose and end.
 *
 * Every core mutation runs in a unit. The first unit on a connection owns the
 * transaction (BEGIN … COMMIT or ROLLBACK); a unit begun while another is open
 * is a savepoint inside it, which releases into the outer unit or rolls back
 * to itself and leaves the outer unit usable. So mutations compose: a
 * confirmation's claim and the mutation it runs, or a cron job's stop of a
 * timer and the notice to its owner, commit together or not at all, and a
 * mutation that fails inside a larger unit undoes only itself.
 *
 * A dry run is the real mutation whose unit rolls back at the end instead of
 * committing: every check and every write ran, what it returns is what the
 * mutation would return, and nothing stays (audit rows, outbox events,
 * deliveries and NOTIFYs vanish with the rest). Previews are dry runs.
 *
 * The open unit travels in core_ctx.tx: tx_begin makes the new unit the
 * context's current one, and tx_commit, tx_rollback and tx_end restore the
 * unit it nested in. Every unit begun must be ended, on the same context,
 * before the function that began it returns. */
#ifndef CORE_TX_H
#define CORE_TX_H
#include "core/ctx.h"
#include <jansson.h>

typedef struct tx_unit {
	core_ctx *ctx;
	struct tx_unit *outer; /* the unit this one nests in, or NULL */
	bool owns;             /* began the transaction; else a savepoint in it */
	bool open;
} tx_unit;

/* Begins a unit on c: a transaction when none is open on c's connection, else
 * a savepoint in it. Refused when the enclosing transaction already failed
 * (it must roll back first) or c's unit lost its connection. */
bool tx_begin(core_ctx *c, tx_unit *u, err_t *err);
/* The same, for reads that must see one snapshot (reports): a unit that owns
 * its transaction makes it REPEATABLE READ READ ONLY; a nested one reads in
 * the transaction it is in, at that transaction's isolation. */
bool tx_begin_snapshot(core_ctx *c, tx_unit *u, err_t *err);
/* Commits (the owner) or releases the savepoint into the outer unit. On
 * failure the unit is rolled back and err set: also when a statement in it
 * failed (internal_error) or its connection was lost meanwhile
 * (database_unavailable), where a bare COMMIT would answer as if all was
 * well. Ends the unit either way. */
bool tx_commit(tx_unit *u, err_t *err);
/* Rolls the unit back (to its savepoint when nested) and ends it. Safe on a
 * unit already ended and on a broken connection. */
void tx_rollback(tx_unit *u);
/* How a mutation ends its unit: with no error and dry_run false it commits
 * and returns out; with dry_run it rolls back and returns out (the preview);
 * on an error (or when out is NULL) it rolls back, drops out and returns
 * NULL with err set. Takes ownership of out. */
json_t *tx_end(tx_unit *u, json_t *out, bool dry_run, err_t *err);

/* Runs a write whose failure does not matter (bookkeeping: a token's last
 * use, a sweep of expired rows). Its error is dropped, and inside an open
 * transaction it runs in a savepoint of its own, so a failure neither sets
 * the caller's error nor aborts the caller's transaction. */
void tx_best_effort(db_t *db, const char *sql, int nparams, ...);

#endif
