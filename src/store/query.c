#include "store/query.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void query_init(query_t *q, const char *sql)
{
	q->len = 0;
	q->n = 0;
	q->overflow = false;
	q->sql[0] = '\0';
	query_sql(q, sql);
}

void query_sql(query_t *q, const char *sql)
{
	size_t l = strlen(sql);
	if (q->len + l + 1 > sizeof q->sql) {
		q->overflow = true;
		return;
	}
	memcpy(q->sql + q->len, sql, l + 1);
	q->len += l;
}

void query_param(query_t *q, const char *value)
{
	if (q->n >= QUERY_MAX_PARAMS) {
		q->overflow = true;
		return;
	}
	q->params[q->n++] = value;
	char buf[16];
	snprintf(buf, sizeof buf, "$%d", q->n);
	query_sql(q, buf);
}

void query_cond(query_t *q, const char *before, const char *value, const char *after)
{
	query_sql(q, before);
	query_param(q, value);
	query_sql(q, after);
}

PGresult *query_run(db_t *db, query_t *q, err_t *err)
{
	if (q->overflow) {
		err_set(err, ERR_CODE_INTERNAL_ERROR, "internal error (query too long)");
		return NULL;
	}
	return db_queryv(db, err, q->sql, q->n, q->params);
}

char *query_json_array(PGresult *r, int n)
{
	size_t len = 2;
	for (int i = 0; i < n; i++)
		len += (size_t)PQgetlength(r, i, 0) + 1;
	char *out = malloc(len + 1), *p = out;
	if (!out)
		return NULL;
	*p++ = '[';
	for (int i = 0; i < n; i++) {
		if (i)
			*p++ = ',';
		size_t l = (size_t)PQgetlength(r, i, 0);
		memcpy(p, PQgetvalue(r, i, 0), l);
		p += l;
	}
	*p++ = ']';
	*p = '\0';
	return out;
}

char *query_rows(db_t *db, query_t *rows, err_t *err)
{
	PGresult *r = query_run(db, rows, err);
	if (!r)
		return NULL;
	char *out = query_json_array(r, PQntuples(r));
	PQclear(r);
	if (!out)
		err_set(err, ERR_CODE_INTERNAL_ERROR, "out of memory");
	return out;
}

json_t *query_one(db_t *db, query_t *q, err_t *err)
{
	PGresult *r = query_run(db, q, err);
	if (!r)
		return NULL;
	json_t *out = PQntuples(r) == 1 ? json_loads(PQgetvalue(r, 0, 0), JSON_DECODE_ANY, NULL) : NULL;
	PQclear(r);
	return out;
}
