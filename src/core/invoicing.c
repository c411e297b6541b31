#include "core/invoicing.h"
#include "core/audit.h"
#include "core/fields.h"
#include "core/plans.h"
#include "core/refs.h"
#include "core/representation.h"
#include "core/rounding.h"
#include "core/settings.h"
#include "core/tx.h"
#include "store/query.h"
#include "util/hours.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How entries gather into lines. key: entries with the same key (and rate)
 * share a line; label: what the line's description starts with; order: how the
 * lines are sorted (with "no project" last). The expressions see e
 * (time_entries), p (projects), k (tasks, when the entry is on one), u (users). */
static const struct {
	const char *name, *key, *label, *order;
} GROUPINGS[] = {
	{ "project", "coalesce(e.project_id, '')", "coalesce(p.name, 'Time without a project')",
	  "(p.id IS NULL)::int || coalesce(p.name, '')" },
	{ "task", "coalesce(k.id, 'project:' || coalesce(e.project_id, ''))",
	  "coalesce(k.title, p.name || ': other work', 'Other work')",
	  "(p.id IS NULL)::int || coalesce(p.name, '') || chr(1) || coalesce(k.title, '')" },
	{ "user", "e.user_id", "coalesce(nullif(u.name, ''), u.email)", "coalesce(nullif(u.name, ''), u.email)" },
	{ "entry", "e.id",
	  "coalesce(nullif(e.description, ''), k.title, p.name, e.entity_type) || ' (' || e.log_date::text || ')'",
	  "to_char(e.log_date, 'YYYYMMDD') || to_char(e.created_at, 'YYYYMMDDHH24MISSUS')" },
};
enum { NGROUPINGS = sizeof GROUPINGS / sizeof GROUPINGS[0] };

#define PULL_FROM                                                                                                \
	" FROM time_entries e JOIN timesheets t ON t.id = e.timesheet_id"                                        \
	" LEFT JOIN projects p ON p.workspace_id = e.workspace_id AND p.id = e.project_id"
#define PULL_LABEL_JOINS                                                                                         \
	" LEFT JOIN tasks k ON e.entity_type = 'task' AND k.workspace_id = e.workspace_id AND k.id = e.entity_id"  \
	" LEFT JOIN users u ON u.workspace_id = e.workspace_id AND u.id = e.user_id"
/* What may be billed. A running timer has no duration yet, so it is never taken. */
#define PULL_BILLABLE                                                                                            \
	" AND e.billable AND e.invoice_line_id IS NULL AND t.status = 'approved' AND e.duration_seconds IS NOT NULL"
#define INVOICE_SQL "SELECT status, currency FROM invoices WHERE workspace_id = $1 AND id = $2"

/* A customer's time: on its projects, or on a ticket, deal or conversation
 * linked to it. Each piece takes the contact id as its parameter. */
static const char *const CUSTOMER_LINKS[] = {
	" OR (e.entity_type = 'ticket' AND e.entity_id IN (SELECT x.id FROM tickets x"
	" WHERE x.workspace_id = e.workspace_id AND x.contact_id = ",
	" OR (e.entity_type = 'deal' AND e.entity_id IN (SELECT x.id FROM deals x"
	" WHERE x.workspace_id = e.workspace_id AND x.contact_id = ",
	" OR (e.entity_type = 'conversation' AND e.entity_id IN (SELECT x.id FROM conversations x"
	" WHERE x.workspace_id = e.workspace_id AND x.contact_id = ",
};

typedef struct {
	const char *invoice_id;
	char from[11], to[11];
	const char *project_id, *contact_id; /* borrowed from the body; NULL: any */
	size_t grouping;                     /* index in GROUPINGS */
	char currency[8];                    /* the invoice's */
	settings_t settings;
} pull_t;

/* One candidate entry. Strings are borrowed from the candidates' result. */
typedef struct {
	const char *id, *key, *label, *order;
	long seconds; /* as billed: rounded the way the workspace rounds invoices */
	long rate;    /* minor units per hour, snapshotted on the entry */
} bill_entry;

static bool parse_pull(json_t *body, pull_t *p, err_t *err)
{
	static const char *const allowed[] = { "from", "to", "project_id", "contact_id", "group_by", NULL };
	const char *group_by = NULL;
	long from, to;
	if (!fields_only(body, allowed, err) || fields_date(body, "from", true, &from, p->from, err) == FIELD_ERROR ||
	    fields_date(body, "to", true, &to, p->to, err) == FIELD_ERROR ||
	    fields_string(body, "project_id", false, true, false, 63, &p->project_id, err) == FIELD_ERROR ||
	    fields_string(body, "contact_id", false, true, false, 63, &p->contact_id, err) == FIELD_ERROR ||
	    fields_string(body, "group_by", false, false, false, 16, &group_by, err) == FIELD_ERROR)
		return false;
	if (from > to)
		return err_set_param(err, ERR_CODE_VALIDATION_FAILED, "from", "'from' must not be after 'to'");
	for (p->grouping = 0; group_by && p->grouping < NGROUPINGS && strcmp(GROUPINGS[p->grouping].name, group_by);)
		p->grouping++;
	if (p->grouping == NGROUPINGS)
		return err_set_param(err, ERR_CODE_VALIDATION_FAILED, "group_by", "'group_by' must be project, task, user or entry");
	return true;
}

/* Reads the invoice (locked for the rest of the pull, so it cannot be sent
 * half filled and two pulls onto it take turns) and keeps its currency. */
static bool load_invoice(core_ctx *c, pull_t *p, err_t *err)
{
	PGresult *r = DB_QUERY(c->db, err, INVOICE_SQL " FOR UPDATE", c->actor->workspace_id, p->invoice_id);
	if (!r)
		return false;
	bool ok = PQntuples(r) == 1;
	if (!ok)
		err_set(err, ERR_CODE_NOT_FOUND, "no invoice %s", p->invoice_id);
	else if (strcmp(PQgetvalue(r, 0, 0), "draft"))
		ok = err_set(err, ERR_CODE_INVOICE_NOT_DRAFT, "the invoice is %s; time can be pulled only onto a draft",
			     PQgetvalue(r, 0, 0));
	else
		snprintf(p->currency, sizeof p->currency, "%s", PQgetvalue(r, 0, 1));
	PQclear(r);
	return ok;
}

/* The workspace's live entries in the range that match the filters. */
static void add_scope(query_t *q, core_ctx *c, const pull_t *p)
{
	query_cond(q, " WHERE e.workspace_id = ", c->actor->workspace_id, " AND e.deleted_at IS NULL");
	query_cond(q, " AND e.log_date >= ", p->from, "::date");
	query_cond(q, " AND e.log_date <= ", p->to, "::date");
	if (p->project_id)
		query_cond(q, " AND e.project_id = ", p->project_id, "");
	if (p->contact_id) {
		query_cond(q, " AND (p.contact_id = ", p->contact_id, "");
		for (size_t i = 0; i < sizeof CUSTOMER_LINKS / sizeof CUSTOMER_LINKS[0]; i++)
			query_cond(q, CUSTOMER_LINKS[i], p->contact_id, "))");
		query_sql(q, ")");
	}
}

/* A timer still running in the range would be left out now and never billed
 * with the rest of its day, so the pull waits until it is stopped. */
static bool refuse_running_timers(core_ctx *c, const pull_t *p, err_t *err)
{
	query_t q;
	query_init(&q, "SELECT count(*)" PULL_FROM);
	add_scope(&q, c, p);
	query_sql(&q, " AND " ENTRY_RUNNING);
	PGresult *r = query_run(c->db, &q, err);
	if (!r)
		return false;
	long n = atol(PQgetvalue(r, 0, 0));
	PQclear(r);
	return n == 0 ? true
		      : err_set(err, ERR_CODE_TIMER_RUNNING,
				"%ld timer%s running on time in %s..%s; stop %s before pulling that time", n,
				n == 1 ? " is" : "s are", p->from, p->to, n == 1 ? "it" : "them");
}

/* Billable time in other currencies than the invoice's: left for another
 * invoice, and reported so it is not silently forgotten. */
static json_t *skipped_currencies(core_ctx *c, const pull_t *p, err_t *err)
{
	query_t q;
	query_init(&q, "SELECT coalesce(jsonb_agg(jsonb_build_object('reason', 'other_currency', 'currency', s.cur,"
		       " 'entry_count', s.n) ORDER BY s.cur), '[]') FROM (SELECT coalesce(e.currency, '') AS cur,"
		       " count(*) AS n" PULL_FROM);
	add_scope(&q, c, p);
	query_cond(&q, PULL_BILLABLE " AND e.currency IS DISTINCT FROM ", p->currency, " GROUP BY 1) s");
	PGresult *r = query_run(c->db, &q, err);
	if (!r)
		return NULL;
	json_t *out = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
	PQclear(r);
	return out;
}

static PGresult *select_candidates(core_ctx *c, const pull_t *p, err_t *err)
{
	query_t q;
	query_init(&q, "SELECT e.id, ");
	query_sql(&q, GROUPINGS[p->grouping].key);
	query_sql(&q, ", ");
	query_sql(&q, GROUPINGS[p->grouping].label);
	query_sql(&q, ", ");
	query_sql(&q, GROUPINGS[p->grouping].order);
	query_sql(&q, ", e.duration_seconds, coalesce(e.hourly_rate, 0)" PULL_FROM PULL_LABEL_JOINS);
	add_scope(&q, c, p);
	query_cond(&q, PULL_BILLABLE " AND e.currency = ", p->currency, "");
	/* Locking in id order, whatever the grouping, keeps concurrent pulls from
	 * deadlocking. A pull that waits on a row another pull took re-checks the
	 * row once that commits (READ COMMITTED), finds invoice_line_id set and
	 * leaves it out: no entry is billed twice. */
	query_sql(&q, " ORDER BY e.id FOR UPDATE OF e");
	return query_run(c->db, &q, err);
}

static int compare_entries(const void *a, const void *b)
{
	const bill_entry *x = a, *y = b;
	int d = strcmp(x->order, y->order);
	if (!d)
		d = strcmp(x->key, y->key);
	if (!d)
		d = (x->rate > y->rate) - (x->rate < y->rate);
	return d ? d : strcmp(x->id, y->id);
}

/* A line holds one group at one rate, so its unit amount is that rate. */
static bool same_line(const bill_entry *a, const bill_entry *b)
{
	return !strcmp(a->key, b->key) && a->rate == b->rate;
}

/* Hours for a description: at most two decimals, no trailing zeros ("12.5"). */
static void hours_text(long seconds, char out[32])
{
	long hundredths = (seconds * 100 + 1800) / 3600;
	snprintf(out, 32, "%ld.%02ld", hundredths / 100, hundredths % 100);
	char *end = out + strlen(out) - 1;
	while (*end == '0')
		*end-- = '\0';
	if (*end == '.')
		*end = '\0';
}

/* The line for a run of n entries; amount = sum(rate × seconds) / 3600, rounded once. */
static json_t *make_line(const pull_t *p, const bill_entry *rows, size_t n)
{
	long seconds = 0;
	long long rate_seconds = 0;
	json_t *ids = json_array();
	for (size_t i = 0; i < n; i++) {
		seconds += rows[i].seconds;
		rate_seconds += (long long)rows[i].rate * rows[i].seconds;
		json_array_append_new(ids, json_string(rows[i].id));
	}
	char hours[32];
	hours_text(seconds, hours);
	return json_pack("{s:o, s:I, s:f, s:I, s:I, s:s, s:I, s:o}", "description",
			 json_sprintf("%s \xe2\x80\x94 %s h", rows[0].label, hours), "seconds", (json_int_t)seconds,
			 "hours", hours_from_seconds(seconds), "unit_amount", (json_int_t)rows[0].rate, "amount",
			 (json_int_t)rounding_amount(rate_seconds), "currency", p->currency, "entry_count", (json_int_t)n,
			 "entry_ids", ids);
}

static long long line_int(json_t *line, const char *key)
{
	return (long long)json_integer_value(json_object_get(line, key));
}

/* Inserts the line, moves its entries onto it and announces each entry. The
 * UPDATE re-checks invoice_line_id IS NULL: should an entry have been taken
 * after all, the counts differ and the whole pull rolls back. */
static bool write_line(core_ctx *c, const pull_t *p, json_t *line, err_t *err)
{
	char secs[24], unit[24], amount[24];
	snprintf(secs, sizeof secs, "%lld", line_int(line, "seconds"));
	snprintf(unit, sizeof unit, "%lld", line_int(line, "unit_amount"));
	snprintf(amount, sizeof amount, "%lld", line_int(line, "amount"));
	json_t *line_id = DB_QUERY_JSON(c->db, err,
					"INSERT INTO invoice_lines (workspace_id, invoice_id, description, seconds,"
					" unit_amount, amount) VALUES ($1, $2, $3, $4::bigint, $5::bigint, $6::bigint)"
					" RETURNING to_jsonb(id)",
					c->actor->workspace_id, p->invoice_id,
					json_string_value(json_object_get(line, "description")), secs, unit, amount);
	if (!line_id)
		return false;
	json_object_set_new(line, "id", line_id);
	json_t *entry_ids = json_object_get(line, "entry_ids");
	char *ids = json_dumps(entry_ids, JSON_COMPACT);
	PGresult *r = DB_QUERY(c->db, err,
			       "UPDATE time_entries e SET invoice_line_id = $1, updated_at = now() FROM timesheets t"
			       " WHERE t.id = e.timesheet_id AND e.workspace_id = $2"
			       " AND e.id IN (SELECT jsonb_array_elements_text($3::jsonb))"
			       " AND e.invoice_line_id IS NULL AND e.deleted_at IS NULL RETURNING " ENTRY_JSON,
			       json_string_value(line_id), c->actor->workspace_id, ids ? ids : "[]");
	free(ids);
	if (!r)
		return false;
	bool ok = (size_t)PQntuples(r) == json_array_size(entry_ids)
			  ? true
			  : err_set(err, ERR_CODE_CONFLICT, "a concurrent change got there first; retry");
	for (int i = 0; ok && i < PQntuples(r); i++) {
		json_t *entry = json_loads(PQgetvalue(r, i, 0), 0, NULL);
		ok = entry && events_emit(c, "time_entry.invoiced", entry, err);
		json_decref(entry);
	}
	PQclear(r);
	return ok;
}

/* The lines of the pull, written, and its totals. */
static json_t *bill(core_ctx *c, const pull_t *p, bool dry_run, err_t *err)
{
	PGresult *r = select_candidates(c, p, err);
	if (!r)
		return NULL;
	size_t n = (size_t)PQntuples(r);
	bill_entry *rows = calloc(n + 1, sizeof *rows);
	if (!rows) {
		PQclear(r);
		err_set(err, ERR_CODE_INTERNAL_ERROR, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		int row = (int)i;
		rows[i] = (bill_entry){
			.id = PQgetvalue(r, row, 0),
			.key = PQgetvalue(r, row, 1),
			.label = PQgetvalue(r, row, 2),
			.order = PQgetvalue(r, row, 3),
			.seconds = rounding_apply(atol(PQgetvalue(r, row, 4)), p->settings.rounding,
						  p->settings.rounding_minutes),
			.rate = atol(PQgetvalue(r, row, 5)),
		};
	}
	qsort(rows, n, sizeof *rows, compare_entries);
	json_t *lines = json_array();
	long long total_seconds = 0, total_amount = 0;
	bool ok = true;
	for (size_t i = 0, j; ok && i < n; i = j) {
		for (j = i + 1; j < n && same_line(&rows[i], &rows[j]);)
			j++;
		json_t *line = make_line(p, rows + i, j - i);
		ok = line && write_line(c, p, line, err);
		if (ok) {
			total_seconds += line_int(line, "seconds");
			total_amount += line_int(line, "amount");
		}
		json_array_append_new(lines, line);
	}
	free(rows);
	PQclear(r);
	if (!ok) {
		json_decref(lines);
		return NULL;
	}
	return json_pack("{s:s, s:b, s:s, s:s, s:s, s:s, s:s?, s:s?, s:o, s:I, s:I, s:f, s:I}", "invoice_id",
			 p->invoice_id, "preview", dry_run, "currency", p->currency, "group_by",
			 GROUPINGS[p->grouping].name, "from", p->from, "to", p->to, "project_id", p->project_id,
			 "contact_id", p->contact_id, "lines", lines, "entry_count", (json_int_t)n, "total_seconds",
			 (json_int_t)total_seconds, "total_hours", hours_from_seconds((long)total_seconds), "total_amount",
			 (json_int_t)total_amount);
}

static bool audit_pull(core_ctx *c, const pull_t *p, json_t *out, err_t *err)
{
	json_t *line_ids = json_array(), *line;
	size_t i;
	json_array_foreach(json_object_get(out, "lines"), i, line)
		json_array_append(line_ids, json_object_get(line, "id"));
	json_t *changes = json_pack("{s:o, s:O, s:O, s:s, s:s, s:s, s:s}", "line_ids", line_ids, "entry_count",
				    json_object_get(out, "entry_count"), "total_amount", json_object_get(out, "total_amount"),
				    "currency", p->currency, "from", p->from, "to", p->to, "group_by",
				    GROUPINGS[p->grouping].name);
	if (!changes)
		return err_set(err, ERR_CODE_INTERNAL_ERROR, "internal error");
	bool ok = audit_record(c, "invoice.lines_filled_from_time", "invoice", p->invoice_id, changes, err);
	json_decref(changes);
	return ok;
}

/* A dry run's lines were rolled back: their ids name nothing. */
static void drop_line_ids(json_t *out)
{
	size_t i;
	json_t *line;
	json_array_foreach(json_object_get(out, "lines"), i, line)
		json_object_del(line, "id");
}

json_t *invoicing_pull_from_time(core_ctx *c, const char *invoice_id, json_t *body, bool dry_run, err_t *err)
{
	pull_t p = { .invoice_id = invoice_id };
	tx_unit u;
	if (!plans_require(c->actor, FEATURE_INVOICE_BRIDGE, err))
		return NULL;
	if (!actor_sees_team(c->actor)) {
		err_set(err, ERR_CODE_FORBIDDEN, "only managers and admins can pull time onto invoices");
		return NULL;
	}
	if (!parse_pull(body, &p, err) || !tx_begin(c, &u, err))
		return NULL;
	json_t *out = NULL, *skipped = NULL;
	if (refs_check(c, "project", p.project_id, "project_id", err) &&
	    refs_check(c, "contact", p.contact_id, "contact_id", err) &&
	    load_invoice(c, &p, err) && settings_load(c, &p.settings, err) && refuse_running_timers(c, &p, err) &&
	    (out = bill(c, &p, dry_run, err)) && (skipped = skipped_currencies(c, &p, err))) {
		json_object_set_new(out, "skipped", skipped);
		if (json_integer_value(json_object_get(out, "entry_count")) > 0)
			audit_pull(c, &p, out, err);
		if (dry_run)
			drop_line_ids(out);
	}
	return tx_end(&u, out, dry_run, err);
}
