#include "core/timesheets.h"
#include "core/audit.h"
#include "core/fields.h"
#include "core/listing.h"
#include "core/paging.h"
#include "core/representation.h"
#include "core/settings.h"
#include "core/tx.h"
#include "store/query.h"
#include "util/dates.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const STATUSES[] = { "draft", "submitted", "approved", "rejected", NULL };

bool timesheets_transition_allowed(const char *status, timesheet_action action)
{
	switch (action) {
	case TS_SUBMIT:
		return !strcmp(status, "draft") || !strcmp(status, "rejected");
	case TS_APPROVE:
	case TS_REJECT:
		return !strcmp(status, "submitted");
	}
	return false;
}

const char *timesheets_action_target(timesheet_action action)
{
	switch (action) {
	case TS_SUBMIT: return "submitted";
	case TS_APPROVE: return "approved";
	case TS_REJECT: return "rejected";
	}
	return "";
}

static const char *action_verb(timesheet_action action)
{
	switch (action) {
	case TS_SUBMIT: return "submit";
	case TS_APPROVE: return "approve";
	case TS_REJECT: return "reject";
	}
	return "";
}

static const char *action_needs(timesheet_action action)
{
	return action == TS_SUBMIT ? "draft or rejected" : "submitted";
}

static bool locked_status(const char *status)
{
	return !strcmp(status, "submitted") || !strcmp(status, "approved");
}

static bool refuse_locked(const char *status, err_t *err)
{
	return err_set(err, ERR_CODE_TIMESHEET_LOCKED,
		       "the timesheet for this period is %s; its entries cannot be changed unless it is rejected", status);
}

/* Locks the timesheet covering log_date FOR SHARE; fills id/status when found. */
static bool find_for_day(core_ctx *c, const char *user_id, const char *log_date, char ts_id[64], char status[16],
			 bool *found, err_t *err)
{
	PGresult *r = DB_QUERY(c->db, err,
			       "SELECT id, status FROM timesheets WHERE workspace_id = $1 AND user_id = $2"
			       " AND period_start <= $3::date AND period_end >= $3::date FOR SHARE",
			       c->actor->workspace_id, user_id, log_date);
	if (!r)
		return false;
	*found = PQntuples(r) == 1;
	if (*found) {
		snprintf(ts_id, 64, "%s", PQgetvalue(r, 0, 0));
		snprintf(status, 16, "%s", PQgetvalue(r, 0, 1));
	}
	PQclear(r);
	return true;
}

bool timesheets_writable_for_day(core_ctx *c, const char *user_id, const char *log_date, char ts_id[64], err_t *err)
{
	char status[16];
	bool found;
	if (!find_for_day(c, user_id, log_date, ts_id, status, &found, err))
		return false;
	if (!found) {
		int dow;
		char tz[64];
		long day;
		if (!settings_calendar(c, &dow, tz, err))
			return false;
		if (!dates_parse(log_date, &day))
			return err_set_param(err, ERR_CODE_VALIDATION_FAILED, "log_date", "'log_date' must be a real calendar date");
		char start[11];
		dates_format(dates_period_start(day, dow), start);
		/* The week start may have changed since older periods were made: clip the
		 * new period so it never overlaps one of them (the exclusion constraint
		 * would refuse it), and let a concurrent creator win (ON CONFLICT). */
		if (!DB_EXEC(c->db, err,
			     "INSERT INTO timesheets (workspace_id, user_id, period_start, period_end)"
			     " SELECT $1, $2,"
			     " greatest($4::date, coalesce((SELECT max(period_end) + 1 FROM timesheets WHERE workspace_id = $1"
			     "   AND user_id = $2 AND period_end < $3::date AND period_end >= $4::date), $4::date)),"
			     " least($4::date + 6, coalesce((SELECT min(period_start) - 1 FROM timesheets WHERE workspace_id = $1"
			     "   AND user_id = $2 AND period_start > $3::date AND period_start <= $4::date + 6), $4::date + 6))"
			     " ON CONFLICT DO NOTHING",
			     c->actor->workspace_id, user_id, log_date, start))
			return false;
		if (!find_for_day(c, user_id, log_date, ts_id, status, &found, err))
			return false;
		if (!found)
			return err_set(err, ERR_CODE_CONFLICT, "could not open a timesheet for %s; retry", log_date);
	}
	return locked_status(status) ? refuse_locked(status, err) : true;
}

bool timesheets_assert_writable(core_ctx *c, const char *ts_id, err_t *err)
{
	PGresult *r = DB_QUERY(c->db, err, "SELECT status FROM timesheets WHERE id = $1 FOR SHARE", ts_id);
	if (!r)
		return false;
	bool ok = true;
	if (PQntuples(r) == 1 && locked_status(PQgetvalue(r, 0, 0)))
		ok = refuse_locked(PQgetvalue(r, 0, 0), err);
	PQclear(r);
	return ok;
}

static json_t *fetch_one(core_ctx *c, const char *id, bool with_entries, err_t *err)
{
	query_t q;
	query_init(&q, "SELECT " TIMESHEET_JSON);
	if (with_entries)
		query_sql(&q, " || jsonb_build_object('entries', coalesce((SELECT jsonb_agg(" ENTRY_JSON
			      " ORDER BY e.log_date, e.created_at, e.id) FROM time_entries e WHERE e.timesheet_id = t.id"
			      " AND e.deleted_at IS NULL), '[]'::jsonb))");
	query_sql(&q, " FROM timesheets t" TIMESHEET_TOTALS);
	query_cond(&q, " WHERE t.id = ", id, "");
	query_cond(&q, " AND t.workspace_id = ", c->actor->workspace_id, "");
	if (!actor_sees_team(c->actor))
		query_cond(&q, " AND t.user_id = ", c->actor->user_id, "");
	json_t *out = query_one(c->db, &q, err);
	if (!out && !err_any(err))
		err_set(err, ERR_CODE_NOT_FOUND, "no timesheet %s", id);
	return out;
}

json_t *timesheets_get(core_ctx *c, const char *id, err_t *err)
{
	return fetch_one(c, id, true, err);
}

static void add_filters(query_t *q, core_ctx *c, const timesheets_filter *f)
{
	query_cond(q, " WHERE t.workspace_id = ", c->actor->workspace_id, "");
	if (!actor_sees_team(c->actor))
		query_cond(q, " AND t.user_id = ", c->actor->user_id, "");
	if (f->user_id)
		query_cond(q, " AND t.user_id = ", f->user_id, "");
	if (f->status)
		query_cond(q, " AND t.status = ", f->status, "");
	if (f->period_start_from)
		query_cond(q, " AND t.period_start >= ", f->period_start_from, "::date");
	if (f->period_start_to)
		query_cond(q, " AND t.period_start <= ", f->period_start_to, "::date");
}

char *timesheets_list(core_ctx *c, const timesheets_filter *f, core_page *page, err_t *err)
{
	long d;
	if (f->status && !fields_one_of(f->status, STATUSES)) {
		err_set_param(err, ERR_CODE_VALIDATION_FAILED, "status", "'status' must be draft, submitted, approved or rejected");
		return NULL;
	}
	if (f->period_start_from && !dates_parse(f->period_start_from, &d))
		err_add_param(err, ERR_CODE_VALIDATION_FAILED, "period_start_from",
			      "'period_start_from' must be a date YYYY-MM-DD");
	if (f->period_start_to && !dates_parse(f->period_start_to, &d))
		err_add_param(err, ERR_CODE_VALIDATION_FAILED, "period_start_to", "'period_start_to' must be a date YYYY-MM-DD");
	if (err_any(err))
		return NULL;
	if (f->user_id && !actor_may_access_user(c->actor, f->user_id)) {
		err_set(err, ERR_CODE_FORBIDDEN, "members can list only their own timesheets");
		return NULL;
	}
	listing_t l;
	if (!listing_begin(c, &l, "t", "di", f->updated_since, page, err))
		return NULL;
	query_t count, q;
	query_init(&q, "SELECT " TIMESHEET_JSON ", " /* the key: sync, or the list's */);
	query_sql(&q, l.sync ? "t.change_xid::text, t.id" : "t.period_start::text, t.id");
	query_sql(&q, " FROM timesheets t" TIMESHEET_TOTALS);
	add_filters(&q, c, f);
	if (l.sync) {
		listing_sync_tail(&q, &l, "t");
		return listing_run(c, &l, NULL, &q, page, err);
	}
	paging_count_init(&count, "FROM timesheets t");
	add_filters(&count, c, f);
	if (l.nkey) {
		/* After (period_start, id) in the list's order: descending, then ascending. */
		query_cond(&q, " AND t.period_start <= ", l.key[0], "::date");
		query_cond(&q, " AND (t.period_start < ", l.key[0], "::date");
		query_cond(&q, " OR t.id > ", l.key[1], ")");
	}
	query_sql(&q, " ORDER BY t.period_start DESC, t.id");
	listing_limit(&q, &l);
	return listing_run(c, &l, &count, &q, page, err);
}

/* Locks the visible timesheet id FOR UPDATE and copies its status and owner. */
static bool lock_visible(core_ctx *c, const char *id, char status[16], char owner[64], err_t *err)
{
	PGresult *r = DB_QUERY(c->db, err, "SELECT status, user_id FROM timesheets WHERE id = $1 AND workspace_id = $2 FOR UPDATE",
			       id, c->actor->workspace_id);
	if (!r)
		return false;
	bool found = PQntuples(r) == 1 && actor_may_access_user(c->actor, PQgetvalue(r, 0, 1));
	if (found) {
		snprintf(status, 16, "%s", PQgetvalue(r, 0, 0));
		snprintf(owner, 64, "%s", PQgetvalue(r, 0, 1));
	}
	PQclear(r);
	return found ? true : err_set(err, ERR_CODE_NOT_FOUND, "no timesheet %s", id);
}

json_t *timesheets_update(core_ctx *c, const char *id, json_t *body, bool dry_run, err_t *err)
{
	static const char *const allowed[] = { "notes", NULL };
	const char *notes;
	tx_unit u;
	if (!fields_only(body, allowed, err) ||
	    fields_string(body, "notes", true, false, true, 10000, &notes, err) == FIELD_ERROR || !tx_begin(c, &u, err))
		return NULL;
	char status[16], owner[64];
	json_t *before = NULL, *after = NULL;
	if (lock_visible(c, id, status, owner, err) && (before = fetch_one(c, id, false, err)) &&
	    DB_EXEC(c->db, err, "UPDATE timesheets SET notes = $2, updated_at = now() WHERE id = $1", id, notes) &&
	    (after = fetch_one(c, id, true, err))) {
		static const char *const keys[] = { "notes", NULL };
		json_t *diff = audit_diff(before, after, keys);
		audit_record(c, "timesheet.updated", "timesheet", id, diff, err);
		json_decref(diff);
	}
	json_decref(before);
	return tx_end(&u, after, dry_run, err);
}

static bool timer_running_in(core_ctx *c, const char *id, bool *running, err_t *err)
{
	PGresult *r = DB_QUERY(c->db, err,
			       "SELECT 1 FROM time_entries e WHERE e.timesheet_id = $1 AND e.deleted_at IS NULL AND " ENTRY_RUNNING,
			       id);
	if (!r)
		return false;
	*running = PQntuples(r) > 0;
	PQclear(r);
	return true;
}

/* Approving or rejecting one's own timesheet needs the workspace setting
 * allow_self_approval: a permission matter (403), like time:approve itself,
 * whatever state the timesheet is in. */
static bool check_not_own(core_ctx *c, timesheet_action action, const char *owner, err_t *err)
{
	if (action == TS_SUBMIT || !c->actor->user_id[0] || strcmp(owner, c->actor->user_id))
		return true;
	settings_t s;
	if (!settings_load(c, &s, err))
		return false;
	return s.allow_self_approval ? true
				     : err_set(err, ERR_CODE_FORBIDDEN,
					       "you cannot %s your own timesheet: another manager or admin must, unless an admin"
					       " turns on the setting allow_self_approval",
					       action_verb(action));
}

static bool check_transition(core_ctx *c, const char *id, timesheet_action action, const char *status,
			     const char *owner, err_t *err)
{
	if (action != TS_SUBMIT && !actor_can_approve(c->actor))
		return err_set(err, ERR_CODE_FORBIDDEN, "%s needs the time:approve permission (managers and admins)",
			       action_verb(action));
	if (!check_not_own(c, action, owner, err))
		return false;
	if (!timesheets_transition_allowed(status, action))
		return err_set(err, ERR_CODE_INVALID_TRANSITION,
			       "cannot %s a timesheet that is %s: only %s timesheets can become %s", action_verb(action),
			       status, action_needs(action), timesheets_action_target(action));
	if (action == TS_SUBMIT) {
		bool running;
		if (!timer_running_in(c, id, &running, err))
			return false;
		if (running)
			return err_set(err, ERR_CODE_TIMER_RUNNING,
				       "a timer is running in this period; stop it before submitting");
	}
	return true;
}

/* The body a transition takes: none, or {"reason"} to reject. */
static bool transition_body(timesheet_action action, json_t *body, const char **reason, err_t *err)
{
	*reason = NULL;
	if (action == TS_REJECT) {
		static const char *const allowed[] = { "reason", NULL };
		if (!body)
			return err_set_param(err, ERR_CODE_VALIDATION_FAILED, "reason", "'reason' is required to reject a timesheet");
		return fields_only(body, allowed, err) &&
		       fields_string(body, "reason", true, false, false, 2000, reason, err) != FIELD_ERROR;
	}
	if (body && json_object_size(body) > 0)
		return err_set(err, ERR_CODE_VALIDATION_FAILED, "%s takes no body fields", action_verb(action));
	return true;
}

bool timesheets_id_for_day(core_ctx *c, const char *user_id, const char *log_date, char ts_id[64], bool *found, err_t *err)
{
	char status[16];
	return find_for_day(c, user_id, log_date, ts_id, status, found, err);
}

json_t *timesheets_transition(core_ctx *c, const char *id, timesheet_action action, json_t *body, bool dry_run,
			      err_t *err)
{
	const char *reason;
	tx_unit u;
	if (!transition_body(action, body, &reason, err) || !tx_begin(c, &u, err))
		return NULL;
	char status[16], owner[64];
	json_t *after = NULL;
	if (lock_visible(c, id, status, owner, err) && check_transition(c, id, action, status, owner, err)) {
		/* The system actor (a cron) has no user: the row says nobody did it. */
		const char *uid = c->actor->user_id[0] ? c->actor->user_id : NULL;
		bool ok;
		switch (action) {
		case TS_SUBMIT:
			ok = DB_EXEC(c->db, err,
				     "UPDATE timesheets SET status = 'submitted', submitted_at = now(), submitted_by = $2,"
				     " updated_at = now() WHERE id = $1", id, uid);
			break;
		case TS_APPROVE:
			ok = DB_EXEC(c->db, err,
				     "UPDATE timesheets SET status = 'approved', approved_at = now(), approved_by = $2,"
				     " updated_at = now() WHERE id = $1", id, uid);
			break;
		default:
			ok = DB_EXEC(c->db, err,
				     "UPDATE timesheets SET status = 'rejected', rejected_at = now(), rejected_by = $2,"
				     " rejection_reason = $3, updated_at = now() WHERE id = $1", id, uid, reason);
			break;
		}
		if (ok && (after = fetch_one(c, id, false, err))) {
			char event[32];
			snprintf(event, sizeof event, "timesheet.%s", timesheets_action_target(action));
			json_t *diff = json_pack("{s:{s:s, s:s}}", "status", "from", status, "to",
						 timesheets_action_target(action));
			if (reason)
				json_object_set_new(diff, "rejection_reason", json_string(reason));
			if (audit_record(c, event, "timesheet", id, diff, err))
				events_emit(c, event, after, err);
			json_decref(diff);
			json_decref(after);
			after = err_any(err) ? NULL : fetch_one(c, id, true, err);
		}
	}
	return tx_end(&u, after, dry_run, err);
}
