#include "store/rate_limits.h"
#include <stdlib.h>
#include <string.h>

bool rate_limits_hit(db_t *db, const char *workspace_id, const char *const *buckets, int n, rate_limits_counts *out,
		     err_t *err)
{
	memset(out, 0, sizeof *out);
	if (n < 1 || n > RATE_LIMITS_MAX_BUCKETS)
		return err_set(err, ERR_CODE_INTERNAL_ERROR, "internal error (%d rate-limit buckets)", n);
	/* A row whose window has passed starts again at 1: one row per bucket,
	 * for ever. Buckets are locked in name order, so two requests counting
	 * the same pair cannot deadlock. */
	PGresult *r = DB_QUERY(db, err,
			       "INSERT INTO api_rate_limits AS l (workspace_id, bucket, window_start, count)"
			       " SELECT $1, b, date_trunc('minute', now()), 1 FROM unnest(ARRAY[$2::text, $3::text]) b"
			       " WHERE b IS NOT NULL ORDER BY b"
			       " ON CONFLICT (workspace_id, bucket) DO UPDATE SET"
			       " count = CASE WHEN l.window_start = EXCLUDED.window_start THEN l.count + 1 ELSE 1 END,"
			       " window_start = EXCLUDED.window_start"
			       " RETURNING bucket, count,"
			       " greatest(1, ceil(extract(epoch FROM l.window_start + interval '1 minute' - now())))::int",
			       workspace_id, buckets[0], n > 1 ? buckets[1] : NULL);
	if (!r)
		return false;
	for (int i = 0; i < PQntuples(r); i++) {
		for (int b = 0; b < n; b++)
			if (!strcmp(PQgetvalue(r, i, 0), buckets[b]))
				out->count[b] = atol(PQgetvalue(r, i, 1));
		out->reset_seconds = atoi(PQgetvalue(r, i, 2));
	}
	PQclear(r);
	return true;
}
