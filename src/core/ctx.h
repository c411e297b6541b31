/* What every core operation gets: the caller's database connection, the actor,
 * and the unit of work open on that connection (core/tx.h), if any. */
#ifndef CORE_CTX_H
#define CORE_CTX_H
#include "core/actor.h"
#include "store/db.h"

struct tx_unit;

typedef struct {
	db_t *db;
	const actor_t *actor;
	/* The innermost unit of work open on db, or NULL: a mutation called with
	 * one nests in it (a savepoint), otherwise it owns its transaction. Set
	 * and restored by tx_begin and the calls that end a unit. */
	struct tx_unit *tx;
} core_ctx;

/* A page of a list: 1-based page, limit 1..200. Lists with keyset cursors
 * (core/listing.h) also read starting_after and fill the cursor fields. */
typedef struct {
	long page;
	long limit;
	long total; /* filled by the list operation (not in cursor mode; core/paging.h) */
	bool exact_total;           /* asked: count every row, however many */
	bool total_exact;           /* answered: false when total is a lower bound */
	const char *starting_after; /* a next_cursor handed back, or NULL */
	bool keyset;                /* set by such a list: answer has_more and next_cursor */
	bool cursor_mode;           /* and without page and total */
	bool has_more;
	char next_cursor[256];      /* "" when there is none */
} core_page;

#endif
