#include "core/entries.h"
#include "core/audit.h"
#include "core/fields.h"
#include "core/listing.h"
#include "core/paging.h"
#include "core/rates.h"
#include "core/refs.h"
#include "core/representation.h"
#include "core/timesheets.h"
#include "core/tx.h"
#include "store/query.h"
#include "util/csv.h"
#include "util/dates.h"
#include "util/utf8.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* created_at as whole microseconds, exact both ways, for the list's cursor. */
#define ENTRY_CREATED_US "(extract(epoch FROM e.created_at) * 1000000)::bigint"
#define US_TO_TIME "::bigint * interval '1 microsecond')"

static const char *const ENTRY_STATUSES[] = { "running", "draft", "submitted", "approved", "rejected", NULL };

static bool check_entity(core_ctx *c, entry_input *in, bool project_given, err_t *err)
{
	if (!in->entity_id[0])
		return true;
	ref_t ref;
	if (!refs_lookup(c, in->entity_type, in->entity_id, &ref, err))
		return false;
	if (!ref.found)
		return err_set_param(err, ERR_CODE_VALIDATION_FAILED, "entity_id", "'entity_id': no %s %s in this workspace",
				     in->entity_type, in->entity_id);
	const char *project = ref.project_id[0] ? ref.project_id : NULL;
	bool ok = true;
	if (project && project_given && strcmp(project, in->project_id))
		ok = err_set_param(err, ERR_CODE_VALIDATION_FAILED, "project_id",
				   "'project_id' %s does not match the %s's project %s", in->project_id, in->entity_type, project);
	else if (project)
		snprintf(in->project_id, sizeof in->project_id, "%s", project);
	/* A conversation's entry with no description takes the thread's subject. */
	if (!strcmp(in->entity_type, "conversation") && !in->description[0]) {
		utf8_snprintf(in->description_buf, sizeof in->description_buf, "%s", ref.label); /* a long one is cut */
		in->description = in->description_buf;
	}
	return ok;
}

static bool check_user(core_ctx *c, const char *user_id, err_t *err)
{
	if (!strcmp(user_id, c->actor->user_id))
		return true;
	if (!actor_sees_team(c->actor))
		return err_set_param(err, ERR_CODE_FORBIDDEN, "user_id", "members can log time only for themselves");
	return refs_check(c, "user", user_id, "user_id", err);
}

static void copy_opt(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

bool entries_prepare(core_ctx *c, json_t *body, entry_kind kind, entry_input *in, err_t *err)
{
	static const char *const manual_fields[] = { "entity_type", "entity_id", "project_id", "description",
						     "log_date", "hours", "billable", "user_id", NULL };
	static const char *const timer_fields[] = { "entity_type", "entity_id", "project_id", "description",
						    "billable", NULL };
	memset(in, 0, sizeof *in);
	in->seconds = -1;
	in->billable = true;
	const char *entity_id, *project_id, *user_id = NULL;
	long day;
	if (!json_is_object(body))
		return fields_only(body, manual_fields, err);
	/* Every field is checked, not only up to the first bad one: a form
	 * shows all of its problems at once (err's list of problems). */
	fields_only(body, kind == ENTRY_TIMER ? timer_fields : manual_fields, err);
	bool type_ok = fields_string(body, "entity_type", true, false, false, 32, &in->entity_type, err) == FIELD_SET;
	bool ids_ok = fields_string(body, "entity_id", false, true, false, 63, &entity_id, err) != FIELD_ERROR;
	ids_ok &= fields_string(body, "project_id", false, true, false, 63, &project_id, err) != FIELD_ERROR;
	fields_string(body, "description", false, true, true, ENTRY_MAX_DESCRIPTION, &in->description, err);
	fields_bool(body, "billable", &in->billable, err);
	if (kind != ENTRY_TIMER) {
		fields_date(body, "log_date", kind == ENTRY_MANUAL, &day, in->log_date, err);
		fields_hours(body, "hours", kind == ENTRY_MANUAL, ENTRY_MAX_SECONDS, &in->seconds, err);
		fields_string(body, "user_id", false, false, false, 63, &user_id, err);
	}
	if (type_ok && !refs_loggable(in->entity_type))
		err_add_param(err, ERR_CODE_VALIDATION_FAILED, "entity_type",
			      "'entity_type' must be one of task, ticket, deal, candidate, calendar_event, conversation, project");
	bool project_entity = type_ok && !strcmp(in->entity_type, "project");
	/* Time attached to nothing would show on no record and in no rollup. */
	if (ids_ok && !entity_id && !project_id)
		err_add_param(err, ERR_CODE_VALIDATION_FAILED, "entity_id",
			      "'entity_id' is required (or, for time on a project as a whole, 'project_id'):"
			      " an entry names the record or the project it is logged against");
	if (err_any(err))
		return false;
	if (!in->description)
		in->description = "";
	copy_opt(in->entity_id, sizeof in->entity_id, entity_id);
	copy_opt(in->project_id, sizeof in->project_id, project_id);
	copy_opt(in->user_id, sizeof in->user_id, user_id ? user_id : c->actor->user_id);
	if (project_entity && !in->entity_id[0] && in->project_id[0])
		copy_opt(in->entity_id, sizeof in->entity_id, in->project_id);
	bool project_given = in->project_id[0] != '\0';
	return check_user(c, in->user_id, err) && (!project_given || refs_check(c, "project", in->project_id, "project_id", err)) &&
	       check_entity(c, in, project_given, err);
}

json_t *entries_fetch(core_ctx *c, const char *id, err_t *err)
{
	/* Found by its id alone, then checked: a prepared statement turns
	 * generic after five runs, and with the workspace in the same WHERE a
	 * tenant that grew faster than ANALYZE ran got a plan on another index
	 * that filtered its 11 k entries to find one (3.5 ms instead of 0.1;
	 * README, Performance). The fence keeps the checks out of the scan. */
	query_t q;
	query_init(&q, "WITH x AS MATERIALIZED (SELECT " ENTRY_JSON " AS j, e.workspace_id, e.user_id, e.deleted_at"
		       ENTRY_FROM);
	query_cond(&q, " WHERE e.id = ", id, ")");
	query_cond(&q, " SELECT x.j FROM x WHERE x.workspace_id = ", c->actor->workspace_id, " AND x.deleted_at IS NULL");
	if (!actor_sees_team(c->actor))
		query_cond(&q, " AND x.user_id = ", c->actor->user_id, "");
	json_t *out = query_one(c->db, &q, err);
	if (!out && !err_any(err))
		err_set(err, ERR_CODE_NOT_FOUND, "no time entry %s", id);
	return out;
}

json_t *entries_get(core_ctx *c, const char *id, err_t *err)
{
	return entries_fetch(c, id, err);
}

/* A sync read (with_deleted) also returns soft-deleted entries, as tombstones. */
static void add_filters(query_t *q, core_ctx *c, const entries_filter *f, bool with_deleted)
{
	query_cond(q, " WHERE e.workspace_id = ", c->actor->workspace_id, with_deleted ? "" : " AND e.deleted_at IS NULL");
	if (!actor_sees_team(c->actor))
		query_cond(q, " AND e.user_id = ", c->actor->user_id, "");
	if (f->user_id)
		query_cond(q, " AND e.user_id = ", f->user_id, "");
	if (f->entity_type)
		query_cond(q, " AND e.entity_type = ", f->entity_type, "");
	if (f->entity_id)
		query_cond(q, " AND e.entity_id = ", f->entity_id, "");
	if (f->project_id)
		query_cond(q, " AND e.project_id = ", f->project_id, "");
	if (f->from)
		query_cond(q, " AND e.log_date >= ", f->from, "::date");
	if (f->to)
		query_cond(q, " AND e.log_date <= ", f->to, "::date");
	if (f->billable >= 0)
		query_sql(q, f->billable ? " AND e.billable" : " AND NOT e.billable");
	if (f->status && !strcmp(f->status, "running"))
		query_sql(q, " AND " ENTRY_RUNNING);
	else if (f->status)
		query_cond(q, " AND NOT " ENTRY_RUNNING " AND t.status = ", f->status, "");
}

static bool check_filter(core_ctx *c, const entries_filter *f, err_t *err)
{
	long d;
	if (f->entity_type && !refs_loggable(f->entity_type))
		return err_set_param(err, ERR_CODE_VALIDATION_FAILED, "entity_type", "'entity_type' is not a known entity type");
	if (f->status && !fields_one_of(f->status, ENTRY_STATUSES))
		return err_set_param(err, ERR_CODE_VALIDATION_FAILED, "status",
				     "'status' must be running, draft, submitted, approved or rejected");
	if (f->from && !dates_parse(f->from, &d))
		err_add_param(err, ERR_CODE_VALIDATION_FAILED, "from", "'from' must be a date YYYY-MM-DD");
	if (f->to && !dates_parse(f->to, &d))
		err_add_param(err, ERR_CODE_VALIDATION_FAILED, "to", "'to' must be a date YYYY-MM-DD");
	if (err_any(err))
		return false;
	if (f->user_id && !actor_may_access_user(c->actor, f->user_id))
		return err_set(err, ERR_CODE_FORBIDDEN, "members can list only their own time entries");
	return true;
}

char *entries_list(core_ctx *c, const entries_filter *f, core_page *page, err_t *err)
{
	if (!check_filter(c, f, err))
		return NULL;
	listing_t l;
	if (!listing_begin(c, &l, "e", "dui", f->updated_since, page, err))
		return NULL;
	query_t count, q;
	if (l.sync) {
		query_init(&q, "SELECT " ENTRY_JSON " || jsonb_build_object('deleted_at', wt_iso(e.deleted_at)),"
			       " e.change_xid::text, e.id" ENTRY_FROM);
		add_filters(&q, c, f, true);
		listing_sync_tail(&q, &l, "e");
		return listing_run(c, &l, NULL, &q, page, err);
	}
	/* Every entry has its timesheet (timesheet_id NOT NULL REFERENCES):
	 * the count joins it only to filter on the timesheet's status. */
	bool by_sheet_status = f->status && strcmp(f->status, "running");
	paging_count_init(&count, by_sheet_status ? ENTRY_FROM : " FROM time_entries e ");
	add_filters(&count, c, f, false);
	query_init(&q, "SELECT " ENTRY_JSON ", e.log_date::text, " ENTRY_CREATED_US "::text, e.id" ENTRY_FROM);
	add_filters(&q, c, f, false);
	if (l.nkey) {
		/* After (log_date, created_at, id) in the list's order: dates and
		 * times descending, ids ascending. */
		query_cond(&q, " AND e.log_date <= ", l.key[0], "::date");
		query_cond(&q, " AND (e.log_date < ", l.key[0], "::date");
		query_cond(&q, " OR e.created_at < ('epoch'::timestamptz + ", l.key[1], US_TO_TIME);
		query_cond(&q, " OR (e.created_at = ('epoch'::timestamptz + ", l.key[1], US_TO_TIME);
		query_cond(&q, " AND e.id > ", l.key[2], "))");
	}
	query_sql(&q, " ORDER BY e.log_date DESC, e.created_at DESC, e.id");
	listing_limit(&q, &l);
	return listing_run(c, &l, &count, &q, page, err);
}

/* The CSV columns, in order, and the SQL that selects them as text. */
static const char CSV_HEADER[] = "id,user_id,log_date,entity_type,entity_id,project_id,description,hours,"
				 "duration_seconds,billable,status,hourly_rate,currency,invoiced,source,started_at,"
				 "ended_at,created_at,updated_at\r\n";
#define CSV_COLUMNS                                                                                              \
	"SELECT e.id, e.user_id, e.log_date::text, e.entity_type, e.entity_id, e.project_id, e.description,"     \
	" round(coalesce(e.duration_seconds, greatest(0, floor(extract(epoch FROM now() - e.started_at))))"      \
	"::numeric / 3600, 4)::text, e.duration_seconds::text, e.billable::text,"                               \
	" CASE WHEN " ENTRY_RUNNING " THEN 'running' ELSE t.status END, e.hourly_rate::text, e.currency,"        \
	" (e.invoice_line_id IS NOT NULL)::text, e.source, wt_iso(e.started_at), wt_iso(e.ended_at),"           \
	" wt_iso(e.created_at), wt_iso(e.updated_at)"

bool entries_export_csv(core_ctx *c, const entries_filter *f, char **out, size_t *len, err_t *err)
{
	char cap[24];
	if (!check_filter(c, f, err))
		return false;
	snprintf(cap, sizeof cap, "%d", ENTRY_CSV_MAX_ROWS + 1);
	query_t q;
	query_init(&q, CSV_COLUMNS ENTRY_FROM);
	add_filters(&q, c, f, false);
	query_cond(&q, " ORDER BY e.log_date DESC, e.created_at DESC, e.id LIMIT ", cap, "::bigint");
	PGresult *r = query_run(c->db, &q, err);
	if (!r)
		return false;
	int rows = PQntuples(r), cols = PQnfields(r);
	if (rows > ENTRY_CSV_MAX_ROWS) {
		PQclear(r);
		return err_set(err, ERR_CODE_EXPORT_TOO_LARGE,
			       "more than %d entries match; narrow the filters (e.g. from and to) and export in parts",
			       ENTRY_CSV_MAX_ROWS);
	}
	FILE *m = open_memstream(out, len);
	if (!m) {
		PQclear(r);
		return err_set(err, ERR_CODE_INTERNAL_ERROR, "out of memory");
	}
	fputs(CSV_HEADER, m);
	for (int i = 0; i < rows; i++) {
		for (int k = 0; k < cols; k++) {
			if (k)
				fputc(',', m);
			csv_field(m, PQgetisnull(r, i, k) ? NULL : PQgetvalue(r, i, k));
		}
		fputs("\r\n", m);
	}
	PQclear(r);
	if (fclose(m) != 0) {
		free(*out);
		*out = NULL;
		return err_set(err, ERR_CODE_INTERNAL_ERROR, "out of memory");
	}
	return true;
}

bool entries_insert(core_ctx *c, const entry_input *in, const char *ts_id, bool running, const char *source,
		    char id_out[64], err_t *err)
{
	char secs[24], rate_text[24];
	rate_t rate;
	if (!rates_resolve(c, in->user_id, in->project_id, in->entity_type, in->entity_id, in->log_date, &rate, err))
		return false;
	snprintf(secs, sizeof secs, "%ld", in->seconds);
	snprintf(rate_text, sizeof rate_text, "%ld", rate.hourly_rate);
	/* A timer starts on a whole second, as it stops (timer.c): durations are
	 * the exact difference of the two. */
	PGresult *r = DB_QUERY(
		c->db, err,
		"INSERT INTO time_entries (workspace_id, user_id, entity_type, entity_id, project_id, description,"
		" log_date, duration_seconds, started_at, billable, timesheet_id, source, hourly_rate, currency,"
		" calendar_event_id)"
		" VALUES ($1, $2, $3, nullif($4, ''), nullif($5, ''), $6, $7::date,"
		" CASE WHEN $8::boolean THEN NULL ELSE $9::integer END, CASE WHEN $8::boolean THEN date_trunc('second', now()) END,"
		" $10::boolean, $11, $12, $13::bigint, $14, nullif($15, '')) RETURNING id",
		c->actor->workspace_id, in->user_id, in->entity_type, in->entity_id, in->project_id, in->description,
		in->log_date, running ? "true" : "false", running ? NULL : secs, in->billable ? "true" : "false", ts_id,
		source, rate_text, rate.currency, in->calendar_event_id);
	if (!r)
		return false;
	snprintf(id_out, 64, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return true;
}

json_t *entries_create(core_ctx *c, json_t *body, bool dry_run, err_t *err)
{
	entry_input in;
	tx_unit u;
	if (!tx_begin(c, &u, err))
		return NULL;
	char ts_id[64], id[64];
	json_t *out = NULL;
	if (entries_prepare(c, body, ENTRY_MANUAL, &in, err) &&
	    timesheets_writable_for_day(c, in.user_id, in.log_date, ts_id, err) &&
	    entries_insert(c, &in, ts_id, false, c->actor->source, id, err) && (out = entries_fetch(c, id, err)) &&
	    audit_record(c, "time_entry.created", "time_entry", id, out, err))
		events_emit(c, "time_entry.created", out, err);
	return tx_end(&u, out, dry_run, err);
}

/* Locks the visible, live entry FOR UPDATE and refuses invoiced or locked ones. */
static json_t *lock_editable(core_ctx *c, const char *id, err_t *err)
{
	PGresult *r = DB_QUERY(c->db, err,
			       "SELECT e.invoice_line_id IS NOT NULL, e.timesheet_id, e.user_id FROM time_entries e"
			       " WHERE e.id = $1 AND e.workspace_id = $2 AND e.deleted_at IS NULL FOR UPDATE",
			       id, c->actor->workspace_id);
	if (!r)
		return NULL;
	bool ok = PQntuples(r) == 1 && actor_may_access_user(c->actor, PQgetvalue(r, 0, 2));
	if (!ok)
		err_set(err, ERR_CODE_NOT_FOUND, "no time entry %s", id);
	else if (PQgetvalue(r, 0, 0)[0] == 't')
		ok = err_set(err, ERR_CODE_ENTRY_INVOICED, "the entry is on an invoice and can no longer change");
	else
		ok = timesheets_assert_writable(c, PQgetvalue(r, 0, 1), err);
	PQclear(r);
	return ok ? entries_fetch(c, id, err) : NULL;
}

/* The entry's current values overlaid with the PATCH body, for validation. */
static json_t *merge_patch(json_t *before, json_t *body)
{
	json_t *m = json_pack("{s:O, s:O, s:O, s:O, s:O, s:O, s:O}", "entity_type", json_object_get(before, "entity_type"),
			      "entity_id", json_object_get(before, "entity_id"), "project_id",
			      json_object_get(before, "project_id"), "description", json_object_get(before, "description"),
			      "log_date", json_object_get(before, "log_date"), "billable",
			      json_object_get(before, "billable"), "user_id", json_object_get(before, "user_id"));
	/* Moving to another record re-derives the project unless one is given. */
	if ((json_object_get(body, "entity_type") || json_object_get(body, "entity_id")) && !json_object_get(body, "project_id"))
		json_object_del(m, "project_id");
	if (json_object_get(body, "entity_type") && !json_object_get(body, "entity_id"))
		json_object_del(m, "entity_id");
	json_object_update(m, body);
	return m;
}

/* Whether value differs from the string (or null, as "") at key of obj. */
static bool changed(json_t *obj, const char *key, const char *value)
{
	const char *old = json_string_value(json_object_get(obj, key));
	return strcmp(old ? old : "", value);
}

json_t *entries_update(core_ctx *c, const char *id, json_t *body, bool dry_run, err_t *err)
{
	static const char *const patchable[] = { "entity_type", "entity_id", "project_id", "description",
						 "log_date", "hours", "billable", NULL };
	static const char *const diff_keys[] = { "entity_type", "entity_id", "project_id", "description",
						 "log_date", "duration_seconds", "billable", "timesheet_id",
						 "hourly_rate", "currency", NULL };
	tx_unit u;
	if (!fields_only(body, patchable, err) || !tx_begin(c, &u, err))
		return NULL;
	json_t *before = lock_editable(c, id, err), *after = NULL, *merged = NULL;
	entry_input in;
	char ts_id[64];
	if (!before)
		goto done;
	if (json_is_true(json_object_get(before, "running")) && json_object_get(body, "hours")) {
		err_set_param(err, ERR_CODE_TIMER_RUNNING, "hours", "a running timer has no hours yet; stop it first");
		goto done;
	}
	merged = merge_patch(before, body);
	if (!entries_prepare(c, merged, ENTRY_PATCH, &in, err))
		goto done;
	snprintf(ts_id, sizeof ts_id, "%s", json_string_value(json_object_get(before, "timesheet_id")));
	if (strcmp(in.log_date, json_string_value(json_object_get(before, "log_date"))) &&
	    !timesheets_writable_for_day(c, in.user_id, in.log_date, ts_id, err))
		goto done;
	char secs[24], rate_text[24];
	rate_t rate;
	snprintf(secs, sizeof secs, "%ld", in.seconds);
	/* The rate follows what the entry is logged against, and only that. */
	bool retarget = changed(before, "project_id", in.project_id) || changed(before, "entity_id", in.entity_id) ||
			changed(before, "entity_type", in.entity_type) || changed(before, "log_date", in.log_date);
	if (retarget && !rates_resolve(c, in.user_id, in.project_id, in.entity_type, in.entity_id, in.log_date, &rate, err))
		goto done;
	snprintf(rate_text, sizeof rate_text, "%ld", retarget ? rate.hourly_rate : 0);
	if (!DB_EXEC(c->db, err,
		     "UPDATE time_entries SET entity_type = $2, entity_id = nullif($3, ''), project_id = nullif($4, ''),"
		     " description = $5, log_date = $6::date, billable = $7::boolean, timesheet_id = $8,"
		     " duration_seconds = CASE WHEN $9::integer > 0 THEN $9::integer ELSE duration_seconds END,"
		     " ended_at = CASE WHEN $9::integer > 0 AND started_at IS NOT NULL THEN started_at + make_interval(secs => $9::integer)"
		     "  ELSE ended_at END,"
		     " hourly_rate = CASE WHEN $10::boolean THEN $11::bigint ELSE hourly_rate END,"
		     " currency = CASE WHEN $10::boolean THEN $12 ELSE currency END, updated_at = now() WHERE id = $1",
		     id, in.entity_type, in.entity_id, in.project_id, in.description, in.log_date,
		     in.billable ? "true" : "false", ts_id, in.seconds > 0 ? secs : "0", retarget ? "true" : "false",
		     rate_text, retarget ? rate.currency : ""))
		goto done;
	if ((after = entries_fetch(c, id, err))) {
		json_t *diff = audit_diff(before, after, diff_keys);
		if (audit_record(c, "time_entry.updated", "time_entry", id, diff, err))
			events_emit(c, "time_entry.updated", after, err);
		json_decref(diff);
	}
done:
	json_decref(before);
	json_decref(merged);
	return tx_end(&u, after, dry_run, err);
}

json_t *entries_delete(core_ctx *c, const char *id, bool dry_run, err_t *err)
{
	tx_unit u;
	if (!tx_begin(c, &u, err))
		return NULL;
	json_t *before = lock_editable(c, id, err);
	if (before && DB_EXEC(c->db, err, "UPDATE time_entries SET deleted_at = now(), updated_at = now() WHERE id = $1", id) &&
	    audit_record(c, "time_entry.deleted", "time_entry", id, before, err))
		events_emit(c, "time_entry.deleted", before, err);
	return tx_end(&u, before, dry_run, err);
}
