/* Keyset pages for the lists that offer cursors (time entries, timesheets).
 * The ordinary list walks its own sort key; with updated_since, or a cursor
 * a sync read gave out, it becomes a sync read: it walks (change_xid, id),
 * deleted rows included, and stops at the oldest transaction still running,
 * so a row committed later always sorts after the reader's cursor (why not
 * updated_at: schemas/sql/0013). Cursors are opaque (util/cursor) and carry
 * which list and which mode they belong to. */
#ifndef CORE_LISTING_H
#define CORE_LISTING_H
#include "core/ctx.h"
#include "store/query.h"
#include "util/cursor.h"
#include <jansson.h>

typedef struct {
	bool sync;
	char kind[CURSOR_KIND];                /* the kind of the cursors this read gives out */
	char key[CURSOR_FIELDS][CURSOR_FIELD]; /* the position handed back */
	int nkey;                              /* 0: from the start */
	int nkeycols;                          /* key columns the rows query selects after its JSON */
	const char *since;                     /* updated_since, checked */
	char xmin[24];                         /* sync: rows of older transactions only */
	char limit[24], offset[24];
} listing_t;

/* Sets l up for the list whose cursors start with prefix ("e", "t") and
 * whose ordinary sort key has the field types in spec ('d' date, 'u'
 * microseconds since 1970, 'i' id; the id comes last). Checks updated_since
 * (an ISO 8601 instant) and page->starting_after (400 invalid_cursor when it
 * is not a cursor of this list and mode); sets page->cursor_mode. */
bool listing_begin(core_ctx *c, listing_t *l, const char *prefix, const char *spec, const char *updated_since,
		   core_page *page, err_t *err);
/* A sync read's conditions on alias (which has change_xid, updated_at, id),
 * its order and its limit. */
void listing_sync_tail(query_t *q, const listing_t *l, const char *alias);
/* The ordinary list's limit (one more row than the page, to know has_more)
 * and, in page mode, its offset. */
void listing_limit(query_t *q, const listing_t *l);
/* Runs count (page mode only, started with paging_count_init; may be NULL
 * in cursor mode) and rows, whose
 * first column is the row's JSON and the next nkeycols its key; fills
 * page's total, has_more and next_cursor. The page's rows as the text of a
 * JSON array (store/query.h query_json_array; malloc'd), or NULL with err. */
char *listing_run(core_ctx *c, listing_t *l, query_t *count, query_t *rows, core_page *page, err_t *err);

#endif
