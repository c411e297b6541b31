#include "core/paging.h"
#include <stdio.h>
#include <stdlib.h>

/* The bound, or the end of the page asked for when that lies further: a
 * deep page scans that far for its own OFFSET anyway. */
static long cap(const core_page *page)
{
	long end = page->page * page->limit;
	return end > PAGING_TOTAL_BOUND ? end : PAGING_TOTAL_BOUND;
}

void paging_count_init(query_t *q, const char *from_sql)
{
	query_init(q, "SELECT count(*) FROM (SELECT 1 ");
	query_sql(q, from_sql);
}

const char *paging_count_limit(const core_page *page, char out[24])
{
	if (page->exact_total)
		return NULL;
	snprintf(out, 24, "%ld", cap(page) + 1);
	return out;
}

void paging_take_total(core_page *page, long counted)
{
	page->total_exact = page->exact_total || counted <= cap(page);
	page->total = page->total_exact ? counted : cap(page);
}

bool paging_count(core_ctx *c, query_t *q, core_page *page, err_t *err)
{
	char limit[24];
	query_cond(q, " LIMIT ", paging_count_limit(page, limit), "::bigint) AS counted");
	PGresult *r = query_run(c->db, q, err);
	if (!r)
		return false;
	paging_take_total(page, atol(PQgetvalue(r, 0, 0)));
	PQclear(r);
	return true;
}
