#include "core/listing.h"
#include "core/paging.h"
#include "util/dates.h"
#include <stdio.h>
#include <string.h>

static bool digits(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* A field of type t as a cursor of ours holds it; the SQL casts that follow
 * must never fail on a client's token. */
static bool field_ok(char t, const char *v)
{
	long day;
	switch (t) {
	case 'd':
		return dates_parse(v, &day);
	case 'u':
		return digits(v[0] == '-' ? v + 1 : v, 17);
	case 'x':
		return digits(v, 19);
	default: /* 'i': the id, or "" at the head of a sync */
		return true;
	}
}

static bool take_cursor(listing_t *l, const char *prefix, const char *spec, const char *text, err_t *err)
{
	char kind[CURSOR_KIND];
	if (!cursor_decode(text, kind, l->key, &l->nkey))
		return err_set(err, ERR_CODE_INVALID_CURSOR, "'starting_after' is not a cursor this API gave out");
	bool sync_kind = kind[0] == prefix[0] && !strcmp(kind + 1, "s");
	bool list_kind = kind[0] == prefix[0] && !strcmp(kind + 1, "l");
	if (!sync_kind && !list_kind)
		return err_set(err, ERR_CODE_INVALID_CURSOR, "'starting_after' is a cursor of another list");
	if (list_kind && l->since)
		return err_set(err, ERR_CODE_INVALID_CURSOR,
			       "'starting_after' continues the list without 'updated_since'; a sync continues with the"
			       " next_cursor of its own answers");
	const char *types = sync_kind ? "xi" : spec;
	if (l->nkey != (int)strlen(types))
		return err_set(err, ERR_CODE_INVALID_CURSOR, "'starting_after' is not a cursor this API gave out");
	for (int i = 0; i < l->nkey; i++)
		if (!field_ok(types[i], l->key[i]))
			return err_set(err, ERR_CODE_INVALID_CURSOR, "'starting_after' is not a cursor this API gave out");
	l->sync = sync_kind;
	return true;
}

bool listing_begin(core_ctx *c, listing_t *l, const char *prefix, const char *spec, const char *updated_since,
		   core_page *page, err_t *err)
{
	memset(l, 0, sizeof *l);
	double t;
	if (updated_since && (strlen(updated_since) > 40 || !dates_parse_instant(updated_since, &t)))
		return err_set(err, ERR_CODE_VALIDATION_FAILED,
			       "'updated_since' must be an ISO 8601 instant such as 2026-04-29T10:23:00Z");
	l->since = updated_since;
	l->sync = updated_since != NULL;
	if (page->starting_after && !take_cursor(l, prefix, spec, page->starting_after, err))
		return false;
	if (l->sync && page->page > 1)
		return err_set(err, ERR_CODE_VALIDATION_FAILED,
			       "'page' does not apply to a sync (updated_since); follow next_cursor with starting_after");
	snprintf(l->kind, sizeof l->kind, "%c%c", prefix[0], l->sync ? 's' : 'l');
	l->nkeycols = l->sync ? 2 : (int)strlen(spec);
	page->keyset = true;
	page->cursor_mode = l->sync || page->starting_after;
	snprintf(l->limit, sizeof l->limit, "%ld", page->limit + 1);
	snprintf(l->offset, sizeof l->offset, "%ld", page->cursor_mode ? 0 : (page->page - 1) * page->limit);
	if (!l->sync)
		return true;
	/* Every transaction below xmin has ended: nothing committed later can
	 * land behind a cursor this read gives out. Read before the rows, so
	 * the bound is never newer than their snapshot. */
	PGresult *r = DB_QUERY(c->db, err, "SELECT pg_snapshot_xmin(pg_current_snapshot())::text");
	if (!r)
		return false;
	snprintf(l->xmin, sizeof l->xmin, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return true;
}

void listing_sync_tail(query_t *q, const listing_t *l, const char *alias)
{
	char sql[160];
	snprintf(sql, sizeof sql, " AND %s.change_xid < ", alias);
	query_cond(q, sql, l->xmin, "::xid8");
	if (l->since) {
		snprintf(sql, sizeof sql, " AND %s.updated_at >= ", alias);
		query_cond(q, sql, l->since, "::timestamptz");
	}
	if (l->nkey) {
		snprintf(sql, sizeof sql, " AND (%s.change_xid, %s.id) > (", alias, alias);
		query_cond(q, sql, l->key[0], "::xid8, ");
		query_cond(q, "", l->key[1], ")");
	}
	snprintf(sql, sizeof sql, " ORDER BY %s.change_xid, %s.id", alias, alias);
	query_sql(q, sql);
	query_cond(q, " LIMIT ", l->limit, "::bigint");
}

void listing_limit(query_t *q, const listing_t *l)
{
	query_cond(q, " LIMIT ", l->limit, "::bigint");
	query_cond(q, " OFFSET ", l->offset, "::bigint");
}

char *listing_run(core_ctx *c, listing_t *l, query_t *count, query_t *rows, core_page *page, err_t *err)
{
	PGresult *r;
	if (!page->cursor_mode && count && !paging_count(c, count, page, err))
		return NULL;
	if (!(r = query_run(c->db, rows, err)))
		return NULL;
	int n = PQntuples(r);
	page->has_more = n > page->limit;
	if (page->has_more)
		n = (int)page->limit;
	char *arr = query_json_array(r, n);
	if (!arr) {
		PQclear(r);
		err_set(err, ERR_CODE_INTERNAL_ERROR, "out of memory");
		return NULL;
	}
	page->next_cursor[0] = '\0';
	const char *key[CURSOR_FIELDS];
	if (n > 0 && (page->has_more || l->sync)) {
		for (int k = 0; k < l->nkeycols && k < CURSOR_FIELDS; k++)
			key[k] = PQgetvalue(r, n - 1, k + 1);
		cursor_encode(l->kind, key, l->nkeycols, page->next_cursor);
	} else if (l->sync) {
		/* Nothing new: a sync resumes where it was, or, on its first
		 * read, behind every transaction that had ended. */
		key[0] = l->nkey ? l->key[0] : l->xmin;
		key[1] = l->nkey ? l->key[1] : "";
		cursor_encode(l->kind, key, 2, page->next_cursor);
	}
	PQclear(r);
	return arr;
}
