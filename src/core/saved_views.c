#include "core/saved_views.h"
#include "core/audit.h"
#include "core/fields.h"
#include "core/paging.h"
#include "core/reports.h"
#include "core/tx.h"
#include "store/query.h"
#include "util/csv.h"
#include "util/dates.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define VIEW_JSON                                                                                              \
	"jsonb_build_object('id', v.id, 'workspace_id', v.workspace_id, 'user_id', v.user_id, 'name', v.name,"  \
	" 'filters', v.filters, 'recipients', v.recipients, 'schedule', v.schedule, 'enabled', v.enabled,"      \
	" 'created_at', wt_iso(v.created_at), 'updated_at', wt_iso(v.updated_at))"

static const char *const VIEW_KEYS[] = { "name", "filters", "recipients", "schedule", "enabled", NULL };

static bool invalid(err_t *err, const char *msg)
{
	return err_set(err, ERR_CODE_VALIDATION_FAILED, "%s", msg);
}

/* ------------------------------------------------------------- ranges */

static long days_in_month(int y, int m)
{
	int ny = m == 12 ? y + 1 : y, nm = m == 12 ? 1 : m + 1;
	return dates_from_civil(ny, nm, 1) - dates_from_civil(y, m, 1);
}

bool saved_views_range(json_t *filters, const char *today, char from[11], char to[11], err_t *err)
{
	static const char *const allowed[] = { "range", "from", "to", NULL };
	static const char *const ranges[] = { "last_day", "last_week", "last_month", "custom", NULL };
	if (!json_is_object(filters))
		return invalid(err, "'filters' must be an object such as {\"range\": \"last_week\"}");
	if (!fields_only(filters, allowed, err))
		return false;
	const char *range;
	if (fields_string(filters, "range", true, false, false, 16, &range, err) == FIELD_ERROR)
		return false;
	if (!fields_one_of(range, ranges))
		return invalid(err, "'range' must be one of last_day, last_week, last_month, custom");
	char f[11] = "", t[11] = "";
	long fd = 0, td = 0;
	bool custom = !strcmp(range, "custom");
	field_state fs = fields_date(filters, "from", custom, &fd, f, err);
	if (fs == FIELD_ERROR)
		return false;
	field_state ts = fields_date(filters, "to", custom, &td, t, err);
	if (ts == FIELD_ERROR)
		return false;
	if (!custom && (fs == FIELD_SET || ts == FIELD_SET))
		return invalid(err, "'from' and 'to' are only for the custom range");
	if (custom && fd > td)
		return invalid(err, "'from' must not be after 'to'");
	if (custom && td - fd + 1 > REPORTS_MAX_RANGE_DAYS)
		return err_set(err, ERR_CODE_VALIDATION_FAILED, "a range covers at most %d days",
			       REPORTS_MAX_RANGE_DAYS);
	if (!today)
		return true;
	if (custom) {
		snprintf(from, 11, "%s", f);
		snprintf(to, 11, "%s", t);
		return true;
	}
	long day;
	if (!dates_parse(today, &day))
		return invalid(err, "bad date");
	long end = day - 1, start = end;
	if (!strcmp(range, "last_week")) {
		start = day - 7;
	} else if (!strcmp(range, "last_month")) {
		int y, m, d;
		dates_to_civil(day, &y, &m, &d);
		int py = m == 1 ? y - 1 : y, pm = m == 1 ? 12 : m - 1;
		long dim = days_in_month(py, pm);
		start = dates_from_civil(py, pm, d > dim ? (int)dim : d);
		if (start > end)
			start = end;
	}
	dates_format(start, from);
	dates_format(end, to);
	return true;
}

/* ---------------------------------------------------------------- CSV */

static double num(json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

static void csv_rows(FILE *f, json_t *rows, const char *section, const char *id_key, const char *none)
{
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r) {
		const char *name = json_string_value(json_object_get(r, "name"));
		fputs(section, f);
		fputc(',', f);
		csv_field(f, json_string_value(json_object_get(r, id_key)));
		fputc(',', f);
		csv_field(f, name ? name : none);
		fprintf(f, ",%.4f,%.4f,%.4f,%lld\r\n", num(r, "total_hours"), num(r, "billable_hours"),
			num(r, "non_billable_hours"), (long long)json_integer_value(json_object_get(r, "entry_count")));
	}
}

char *saved_views_csv(json_t *summary)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	if (!f)
		return NULL;
	fputs("section,id,name,total_hours,billable_hours,non_billable_hours,entry_count\r\n", f);
	csv_rows(f, json_object_get(summary, "by_user"), "user", "user_id", "");
	csv_rows(f, json_object_get(summary, "by_project"), "project", "project_id", "(no project)");
	fclose(f);
	return out;
}

/* ------------------------------------------------------------ validation */

bool saved_views_email_ok(const char *s)
{
	size_t n = strlen(s);
	if (n < 3 || n > 254)
		return false;
	const char *at = strchr(s, '@');
	if (!at || at == s || strchr(at + 1, '@') || at - s > 64)
		return false;
	for (const char *p = s; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch <= 0x20 || ch == 0x7f || strchr("<>()[]\\,;:\"", ch))
			return false;
	}
	const char *domain = at + 1, *dot = strrchr(domain, '.');
	return dot && dot != domain && dot[1] && !strstr(domain, "..") && domain[strlen(domain) - 1] != '.';
}

static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* The owner's role and email. */
static bool owner_info(core_ctx *c, const char *user_id, char role[16], char email[330], err_t *err)
{
	PGresult *r = DB_QUERY(c->db, err, "SELECT role, email FROM users WHERE workspace_id = $1 AND id = $2",
			       c->actor->workspace_id, user_id);
	if (!r)
		return false;
	bool found = PQntuples(r) == 1;
	if (found) {
		snprintf(role, 16, "%s", PQgetvalue(r, 0, 0));
		snprintf(email, 330, "%s", PQgetvalue(r, 0, 1));
	}
	PQclear(r);
	return found ? true : err_set(err, ERR_CODE_NOT_FOUND, "no user %s", user_id);
}

/* Checks a whole view v (every key present) for an owner; *enabled is set. */
static bool validate(core_ctx *c, json_t *v, const char *owner, bool *enabled, err_t *err)
{
	static const char *const schedules[] = { "daily", "weekly", "monthly", NULL };
	const char *name, *schedule;
	char f[11], t[11];
	*enabled = true;
	if (fields_string(v, "name", true, false, false, 200, &name, err) == FIELD_ERROR ||
	    fields_string(v, "schedule", true, false, false, 16, &schedule, err) == FIELD_ERROR ||
	    fields_bool(v, "enabled", enabled, err) == FIELD_ERROR)
		return false;
	if (has_control(name))
		return invalid(err, "'name' cannot contain control characters");
	if (!fields_one_of(schedule, schedules))
		return invalid(err, "'schedule' must be one of daily, weekly, monthly");
	json_t *filters = json_object_get(v, "filters");
	if (!filters)
		return invalid(err, "'filters' is required");
	if (!saved_views_range(filters, NULL, f, t, err))
		return false;
	json_t *rcpt = json_object_get(v, "recipients");
	if (!json_is_array(rcpt) || json_array_size(rcpt) == 0 || json_array_size(rcpt) > SAVED_VIEWS_MAX_RECIPIENTS)
		return err_set_param(err, ERR_CODE_VALIDATION_FAILED, "recipients",
				     "'recipients' must be a list of 1 to %d email addresses", SAVED_VIEWS_MAX_RECIPIENTS);
	char role[16], email[330];
	if (!owner_info(c, owner, role, email, err))
		return false;
	bool member = !strcmp(role, "member");
	size_t i, j;
	json_t *r;
	json_array_foreach(rcpt, i, r) {
		const char *s = json_string_value(r);
		if (!s || !saved_views_email_ok(s))
			return err_set_param(err, ERR_CODE_VALIDATION_FAILED, "recipients",
					     "'recipients[%zu]' must be an email address such as ana@example.com", i);
		for (j = 0; j < i; j++)
			if (!strcasecmp(s, json_string_value(json_array_get(rcpt, j))))
				return err_set_param(err, ERR_CODE_VALIDATION_FAILED, "recipients",
						     "'recipients[%zu]' is listed twice", i);
		if (member && strcasecmp(s, email))
			return err_set(err, ERR_CODE_FORBIDDEN,
				       "a member's saved view can only be sent to the member's own address (%s)", email);
	}
	return true;
}

/* ------------------------------------------------------------ operations */

static json_t *fetch_view(core_ctx *c, const char *id, bool for_update, err_t *err)
{
	json_t *out = DB_QUERY_JSON(c->db, err,
				    for_update ? "SELECT " VIEW_JSON " FROM time_saved_views v WHERE v.id = $1"
						 " AND v.workspace_id = $2 FOR UPDATE"
					       : "SELECT " VIEW_JSON " FROM time_saved_views v WHERE v.id = $1"
						 " AND v.workspace_id = $2",
				    id, c->actor->workspace_id);
	if (out && !actor_is_admin(c->actor) &&
	    strcmp(json_string_value(json_object_get(out, "user_id")), c->actor->user_id)) {
		json_decref(out);
		out = NULL;
	}
	if (!out && !err_any(err))
		err_set(err, ERR_CODE_NOT_FOUND, "no saved view %s", id);
	return out;
}

static void list_filter(query_t *q, core_ctx *c)
{
	query_cond(q, " WHERE v.workspace_id = ", c->actor->workspace_id, "");
	if (!actor_is_admin(c->actor))
		query_cond(q, " AND v.user_id = ", c->actor->user_id, "");
}

char *saved_views_list(core_ctx *c, core_page *page, err_t *err)
{
	char limit[24], offset[24];
	snprintf(limit, sizeof limit, "%ld", page->limit);
	snprintf(offset, sizeof offset, "%ld", (page->page - 1) * page->limit);
	query_t count, q;
	paging_count_init(&count, "FROM time_saved_views v");
	list_filter(&count, c);
	query_init(&q, "SELECT " VIEW_JSON " FROM time_saved_views v");
	list_filter(&q, c);
	query_cond(&q, " ORDER BY v.created_at, v.id LIMIT ", limit, "::bigint");
	query_cond(&q, " OFFSET ", offset, "::bigint");
	return paging_count(c, &count, page, err) ? query_rows(c->db, &q, err) : NULL;
}

json_t *saved_views_get(core_ctx *c, const char *id, err_t *err)
{
	return fetch_view(c, id, false, err);
}

static bool require_user(core_ctx *c, err_t *err)
{
	return c->actor->user_id[0] ? true : err_set(err, ERR_CODE_FORBIDDEN, "saved views belong to a user");
}

/* Writes v (validated) as view id (NULL: a new view owned by owner); the new
 * id goes to out_id. */
static bool store(core_ctx *c, const char *id, const char *owner, json_t *v, bool enabled, char out_id[64], err_t *err)
{
	char *filters = json_dumps(json_object_get(v, "filters"), JSON_COMPACT);
	char *rcpt = json_dumps(json_object_get(v, "recipients"), JSON_COMPACT);
	const char *name = json_string_value(json_object_get(v, "name"));
	const char *schedule = json_string_value(json_object_get(v, "schedule"));
	PGresult *r;
	if (id)
		r = DB_QUERY(c->db, err,
			     "UPDATE time_saved_views SET name = $3, filters = $4::jsonb, recipients = $5::jsonb,"
			     " schedule = $6, enabled = $7::boolean, updated_at = now() WHERE id = $1 AND workspace_id = $2"
			     " RETURNING id",
			     id, c->actor->workspace_id, name, filters, rcpt, schedule, enabled ? "true" : "false");
	else
		r = DB_QUERY(c->db, err,
			     "INSERT INTO time_saved_views (workspace_id, user_id, name, filters, recipients, schedule, enabled)"
			     " VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6, $7::boolean) RETURNING id",
			     c->actor->workspace_id, owner, name, filters, rcpt, schedule, enabled ? "true" : "false");
	free(filters);
	free(rcpt);
	if (!r)
		return false;
	snprintf(out_id, 64, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return true;
}

static void audit_upsert(core_ctx *c, json_t *before, json_t *after, const char *id, err_t *err)
{
	json_t *diff = audit_diff(before, after, VIEW_KEYS);
	audit_record(c, "time_saved_view.upserted", "time_saved_view", id, diff, err);
	json_decref(diff);
}

json_t *saved_views_create(core_ctx *c, json_t *body, bool dry_run, err_t *err)
{
	bool enabled;
	char id[64];
	tx_unit u;
	if (!require_user(c, err) || !fields_only(body, VIEW_KEYS, err) || !tx_begin(c, &u, err))
		return NULL;
	json_t *out = NULL;
	if (validate(c, body, c->actor->user_id, &enabled, err) && store(c, NULL, c->actor->user_id, body, enabled, id, err) &&
	    (out = fetch_view(c, id, false, err)))
		audit_upsert(c, NULL, out, id, err);
	return tx_end(&u, out, dry_run, err);
}

json_t *saved_views_update(core_ctx *c, const char *id, json_t *body, bool dry_run, err_t *err)
{
	bool enabled;
	char new_id[64];
	tx_unit u;
	if (!require_user(c, err) || !fields_only(body, VIEW_KEYS, err) || !tx_begin(c, &u, err))
		return NULL;
	json_t *out = NULL, *before = fetch_view(c, id, true, err), *merged = NULL;
	if (before) {
		merged = json_deep_copy(before);
		json_object_update(merged, body);
		if (validate(c, merged, json_string_value(json_object_get(before, "user_id")), &enabled, err) &&
		    store(c, id, NULL, merged, enabled, new_id, err) && (out = fetch_view(c, id, false, err)))
			audit_upsert(c, before, out, id, err);
	}
	json_decref(merged);
	json_decref(before);
	return tx_end(&u, out, dry_run, err);
}

json_t *saved_views_delete(core_ctx *c, const char *id, bool dry_run, err_t *err)
{
	tx_unit u;
	if (!require_user(c, err) || !tx_begin(c, &u, err))
		return NULL;
	json_t *before = fetch_view(c, id, true, err);
	if (before && DB_EXEC(c->db, err, "DELETE FROM time_saved_views WHERE id = $1 AND workspace_id = $2", id,
			      c->actor->workspace_id))
		audit_record(c, "time_saved_view.deleted", "time_saved_view", id, before, err);
	return tx_end(&u, before, dry_run, err);
}
