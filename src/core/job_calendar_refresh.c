/* time-calendar-refresh: every enabled calendar connection's ICS feed is
 * fetched (by the caller: run->feeds), parsed and its events of the 7 days before the run's clock are
 * upserted into time_calendar_imports by (uid, recurrence instance), so a
 * refresh never duplicates. Instances cancelled in the feed, or gone from it,
 * are deleted when nobody converted them, and kept as cancelled when they
 * were. Wall-clock times are converted in PostgreSQL: TZID times in their
 * IANA zone, floating times and all-day dates in the workspace's zone. Each
 * connection records when it was refreshed and its last error. */
#include "core/calendar_import.h"
#include "core/jobs.h"
#include "core/settings.h"
#include "util/dates.h"
#include "util/ics.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	long imported, updated, cancelled, removed, events;
} refresh_counts;

static const char *zone_of(const ics_time *t)
{
	return t->kind == ICS_UTC ? "UTC" : t->kind == ICS_TZID ? t->tzid : "";
}

/* Upserts one instance (or, cancelled, deletes or marks it); *in_window says
 * whether it starts in the window. */
static bool one_instance(core_ctx *c, PGresult *k, int row, const ics_instance *in, const char *tz, const char *now,
			 refresh_counts *n, bool *in_window, err_t *err)
{
	char start[20], end[20];
	ics_format_local(&in->start, start);
	ics_format_local(&in->end, end);
	const char *conn = PQgetvalue(k, row, 0), *user = PQgetvalue(k, row, 1);
	PGresult *r = DB_QUERY(c->db, err,
			       "SELECT s, greatest(e, s), s >= $4::timestamptz - interval '7 days' AND s < $4::timestamptz"
			       " FROM (SELECT wt_ics_time($1::timestamp, $2, $5) AS s, wt_ics_time($3::timestamp, $6, $5) AS e) v",
			       start, zone_of(&in->start), end, now, tz, zone_of(&in->end));
	if (!r)
		return false;
	*in_window = !strcmp(PQgetvalue(r, 0, 2), "t");
	char s[64], e[64];
	snprintf(s, sizeof s, "%s", PQgetvalue(r, 0, 0));
	snprintf(e, sizeof e, "%s", PQgetvalue(r, 0, 1));
	PQclear(r);
	if (!*in_window)
		return true;
	n->events++;
	if (in->cancelled) {
		r = DB_QUERY(c->db, err,
			     "WITH d AS (DELETE FROM time_calendar_imports WHERE connection_id = $1 AND uid = $2"
			     " AND recurrence_id = $3 AND converted_entry_id IS NULL RETURNING 1),"
			     " u AS (UPDATE time_calendar_imports SET status = 'cancelled', updated_at = now()"
			     " WHERE connection_id = $1 AND uid = $2 AND recurrence_id = $3 AND converted_entry_id IS NOT NULL"
			     " AND status <> 'cancelled' RETURNING 1)"
			     " SELECT (SELECT count(*) FROM d), (SELECT count(*) FROM u)",
			     conn, in->uid, in->recurrence_id);
		if (!r)
			return false;
		n->removed += atol(PQgetvalue(r, 0, 0));
		n->cancelled += atol(PQgetvalue(r, 0, 1));
		PQclear(r);
		return true;
	}
	r = DB_QUERY(c->db, err,
		     "INSERT INTO time_calendar_imports AS i (workspace_id, user_id, connection_id, uid, recurrence_id, title,"
		     " starts_at, ends_at, all_day) VALUES ($1, $2, $3, $4, $5, $6, $7::timestamptz, $8::timestamptz, $9::boolean)"
		     " ON CONFLICT (connection_id, uid, recurrence_id) DO UPDATE SET title = excluded.title,"
		     " starts_at = excluded.starts_at, ends_at = excluded.ends_at, all_day = excluded.all_day,"
		     " status = 'confirmed', updated_at = now()"
		     " WHERE (i.title, i.starts_at, i.ends_at, i.all_day, i.status)"
		     " IS DISTINCT FROM (excluded.title, excluded.starts_at, excluded.ends_at, excluded.all_day, 'confirmed')"
		     " RETURNING (xmax = 0)",
		     c->actor->workspace_id, user, conn, in->uid, in->recurrence_id, in->summary, s, e,
		     in->all_day ? "true" : "false");
	if (!r)
		return false;
	if (PQntuples(r) == 1) {
		if (!strcmp(PQgetvalue(r, 0, 0), "t"))
			n->imported++;
		else
			n->updated++;
	}
	PQclear(r);
	return true;
}

/* Rows of the window whose instance is no longer in the feed. */
static bool disappeared(core_ctx *c, const char *conn, json_t *seen, const char *now, refresh_counts *n, err_t *err)
{
	char *keys = json_dumps(seen, JSON_COMPACT);
	if (!keys)
		return err_set(err, ERR_INTERNAL, "internal_error", "out of memory");
	PGresult *r = DB_QUERY(
		c->db, err,
		"WITH gone AS (SELECT i.id, i.converted_entry_id FROM time_calendar_imports i WHERE i.connection_id = $1"
		" AND i.starts_at >= $3::timestamptz - interval '7 days' AND i.starts_at < $3::timestamptz"
		" AND NOT EXISTS (SELECT 1 FROM jsonb_to_recordset($2::jsonb) AS k(uid text, rid text)"
		" WHERE k.uid = i.uid AND k.rid = i.recurrence_id)),"
		" d AS (DELETE FROM time_calendar_imports WHERE id IN (SELECT id FROM gone WHERE converted_entry_id IS NULL) RETURNING 1),"
		" u AS (UPDATE time_calendar_imports SET status = 'cancelled', updated_at = now()"
		" WHERE id IN (SELECT id FROM gone WHERE converted_entry_id IS NOT NULL) AND status <> 'cancelled' RETURNING 1)"
		" SELECT (SELECT count(*) FROM d), (SELECT count(*) FROM u)",
		conn, keys, now);
	free(keys);
	if (!r)
		return false;
	n->removed += atol(PQgetvalue(r, 0, 0));
	n->cancelled += atol(PQgetvalue(r, 0, 1));
	PQclear(r);
	return true;
}

static bool store(core_ctx *c, PGresult *k, int row, const ics_instances *list, const char *tz, const char *now,
		  refresh_counts *n, err_t *err)
{
	json_t *seen = json_array();
	bool ok = db_begin(c->db, err);
	for (size_t i = 0; ok && i < list->n; i++) {
		bool in_window = false;
		ok = one_instance(c, k, row, &list->items[i], tz, now, n, &in_window, err);
		if (ok && in_window)
			json_array_append_new(seen, json_pack("{s:s, s:s}", "uid", list->items[i].uid, "rid",
							      list->items[i].recurrence_id));
	}
	ok = ok && disappeared(c, PQgetvalue(k, row, 0), seen, now, n, err) &&
	     DB_EXEC(c->db, err,
		     "UPDATE calendar_connections SET last_refreshed_at = now(), last_error = NULL WHERE id = $1",
		     PQgetvalue(k, row, 0)) &&
	     db_commit(c->db, err);
	json_decref(seen);
	if (!ok)
		db_rollback(c->db);
	return ok;
}

/* Fetches and stores one connection; false with err set when it failed. */
static bool one_connection(job_run *run, core_ctx *c, PGresult *k, int row, const char *tz, refresh_counts *n,
			   err_t *err)
{
	const char *url = PQgetvalue(k, row, 2);
	if (!calendar_url_allowed(url, false, err))
		return false;
	char msg[256] = "", *body = NULL;
	size_t len = 0;
	if (!run->feeds)
		return err_set(err, ERR_VALIDATION, "feed_unavailable", "no feed fetcher: the feed was not fetched");
	if (!run->feeds->fetch(run->feeds->arg, url, &body, &len, msg, sizeof msg))
		return err_set(err, ERR_VALIDATION, "feed_unavailable", "%s", msg);
	long today;
	char day[11];
	memcpy(day, run->now, 10);
	day[10] = '\0';
	ics_instances list = { 0 };
	bool ok = dates_parse(day, &today);
	if (!ok)
		err_set(err, ERR_INTERNAL, "internal_error", "bad run clock %s", run->now);
	/* wall-clock days a day wider on each side: the exact window is applied
	 * once the times are converted */
	else if (!(ok = ics_expand(body, len, today - 8, today + 1, &list, msg, sizeof msg)))
		err_set(err, ERR_VALIDATION, "feed_invalid", "%s", msg);
	free(body);
	ok = ok && store(c, k, row, &list, tz, run->now, n, err);
	ics_instances_free(&list);
	return ok;
}

static bool refresh_workspace(job_run *run, core_ctx *c, void *arg, err_t *err)
{
	(void)arg;
	settings_t s;
	if (!settings_load(c, &s, err))
		return false;
	PGresult *k = DB_QUERY(c->db, err,
			       "SELECT id, user_id, url FROM calendar_connections WHERE workspace_id = $1 AND enabled"
			       " ORDER BY created_at, id",
			       c->actor->workspace_id);
	if (!k)
		return false;
	for (int i = 0; i < PQntuples(k); i++) {
		refresh_counts n = { 0 };
		err_t e = { 0 };
		jobs_count(run, "connections", 1);
		bool ok = one_connection(run, c, k, i, s.timezone, &n, &e);
		json_t *detail = json_pack("{s:s, s:s, s:i, s:i, s:i, s:i, s:i}", "connection_id", PQgetvalue(k, i, 0),
					   "user_id", PQgetvalue(k, i, 1), "events", (json_int_t)n.events, "imported",
					   (json_int_t)n.imported, "updated", (json_int_t)n.updated, "cancelled",
					   (json_int_t)n.cancelled, "removed", (json_int_t)n.removed);
		if (ok) {
			jobs_count(run, "refreshed", 1);
			jobs_count(run, "events", n.events);
			jobs_count(run, "imported", n.imported);
			jobs_count(run, "updated", n.updated);
			jobs_count(run, "cancelled", n.cancelled);
			jobs_count(run, "removed", n.removed);
		} else {
			if (e.kind == ERR_UNAVAILABLE) {
				json_decref(detail);
				PQclear(k);
				*err = e;
				return false;
			}
			jobs_count(run, "failed", 1);
			jobs_error(run, c->actor->workspace_id, PQgetvalue(k, i, 0), &e);
			json_object_set_new(detail, "error", json_string(e.message));
			err_t e2 = { 0 };
			if (!DB_EXEC(c->db, &e2,
				     "UPDATE calendar_connections SET last_refreshed_at = now(), last_error = $2 WHERE id = $1",
				     PQgetvalue(k, i, 0), e.message) &&
			    e2.kind == ERR_UNAVAILABLE) {
				json_decref(detail);
				PQclear(k);
				*err = e2;
				return false;
			}
		}
		jobs_detail(run, "connections", detail);
	}
	PQclear(k);
	return true;
}

bool jobs_calendar_refresh(job_run *run, err_t *err)
{
	static const char *const names[] = { "connections", "refreshed", "failed",  "events",
					     "imported",    "updated",   "cancelled", "removed" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		jobs_count(run, names[i], 0);
	return jobs_each_workspace(run, refresh_workspace, NULL, err);
}
