#include "core/reports.h"
#include "core/refs.h"
#include "core/plans.h"
#include "core/representation.h"
#include "core/rounding.h"
#include "core/settings.h"
#include "core/tx.h"
#include "store/query.h"
#include "util/dates.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every report is one SQL statement built from the same parts:
 *   k      the rounding as two numbers (see rounding_params),
 *   x      the entries the report counts (scope_where), each rounded,
 *   fine   their sums per user, project, entity type, currency and key,
 *   agg    those sums once for everything and once per user, project,
 *          entity type, currency and report-specific key (GROUPING SETS),
 *   tally  those sums with their JSON,
 * then a report-specific SELECT that picks from tally. PostgreSQL builds the
 * JSON from exact numerics, as it does for the entry and timesheet shapes. */

/* Decimal hours, 4 places, from whole seconds. */
#define HOURS(sec) "round((" sec ")::numeric / 3600, 4)"
/* num / den to 4 places; NULL when den is not positive. */
#define RATIO(num, den) "CASE WHEN (" den ") > 0 THEN round((" num ")::numeric / (" den "), 4) END"
#define DAYS(interval) "round(extract(epoch FROM " interval ")::numeric / 86400, 2)"

/* Which sums a tally row holds: GROUPING(user_id, project_id, entity_type,
 * currency, key) sets one bit for each column the row is not grouped by. */
#define GS_ALL "31"
#define GS_USER "15"
#define GS_PROJECT "23"
#define GS_ENTITY_TYPE "27"
#define GS_CURRENCY "29"
#define GS_KEY "30"

/* The sums of a tally row (or of a row LEFT JOINed to none: zeros). */
#define TALLY_JSON(a)                                                                                            \
	"jsonb_build_object('total_hours', " HOURS("coalesce(" a ".total, 0)") ","                               \
	" 'total_seconds', coalesce(" a ".total, 0),"                                                            \
	" 'billable_hours', " HOURS("coalesce(" a ".billable, 0)") ", 'billable_seconds', coalesce(" a ".billable, 0)," \
	" 'non_billable_hours', " HOURS("coalesce(" a ".total - " a ".billable, 0)") ","                         \
	" 'non_billable_seconds', coalesce(" a ".total - " a ".billable, 0), 'entry_count', coalesce(" a ".n, 0))"
#define APPROVED_JSON(a)                                                                                         \
	"jsonb_build_object('approved_hours', " HOURS("coalesce(" a ".approved, 0)") ","                         \
	" 'approved_seconds', coalesce(" a ".approved, 0))"

/* The whole scope's sums, with the unrounded total beside them. */
#define TOTALS                                                                                                   \
	"(SELECT tally.j || jsonb_build_object('raw_total_seconds', tally.raw, 'raw_total_hours', " HOURS("tally.raw") ")" \
	" FROM tally WHERE tally.gs = " GS_ALL ")"

/* Per currency, the exact sum of rate × rounded billable seconds, as text: the
 * amount is rounded in C by rounding_amount (finish_amounts). */
#define AMOUNT_SUMS                                                                                              \
	"(SELECT coalesce(jsonb_agg(jsonb_build_object('currency', tally.currency, 'rate_seconds', tally.rate_seconds::text)" \
	" ORDER BY tally.currency), '[]'::jsonb) FROM tally WHERE tally.gs = " GS_CURRENCY                          \
	" AND tally.currency IS NOT NULL AND tally.rate_seconds IS NOT NULL)"

/* A breakdown: one object per group, biggest first. Ids are unique across
 * workspaces and tally only holds this workspace's entries, so joining names by
 * id stays inside the workspace. */
#define BREAKDOWN(gs, key, fields, join)                                                                         \
	"(SELECT coalesce(jsonb_agg(jsonb_build_object(" fields ") || tally.j"                                   \
	" ORDER BY tally.total DESC, " key "), '[]'::jsonb) FROM tally " join " WHERE tally.gs = " gs ")"
#define BY_USER                                                                                                  \
	BREAKDOWN(GS_USER, "tally.user_id", "'user_id', tally.user_id, 'name', coalesce(nullif(u.name, ''), u.email)", \
		  "LEFT JOIN users u ON u.id = tally.user_id")
#define BY_PROJECT                                                                                               \
	BREAKDOWN(GS_PROJECT, "tally.project_id", "'project_id', tally.project_id, 'name', p.name",                \
		  "LEFT JOIN projects p ON p.id = tally.project_id")
#define BY_ENTITY_TYPE BREAKDOWN(GS_ENTITY_TYPE, "tally.entity_type", "'entity_type', tally.entity_type", "")

/* Seconds of the estimates of project p's tasks (numeric(10,2) hours are whole seconds). */
#define ESTIMATE_SECONDS(p)                                                                                      \
	"(SELECT coalesce(sum((tk.estimate_hours * 3600)::bigint), 0)::bigint FROM tasks tk"                      \
	" WHERE tk.workspace_id = " p ".workspace_id AND tk.project_id = " p ".id)"
/* A project's actuals, the one definition (spec: "project actuals, the sum of
 * approved hours"): the approved seconds of tally row a, each entry rounded
 * like every report. Drafts, submitted and rejected time and running timers
 * are logged, not actual. The project rollup, estimate-vs-actual and the
 * budget alerts (which read estimate-vs-actual) all take it from here. */
#define ACTUAL_SECONDS(a) "coalesce(" a ".approved, 0)"
/* Every stopped entry of tally row a, whatever its timesheet's state. */
#define LOGGED_SECONDS(a) "coalesce(" a ".total, 0)"
/* Estimate against the actuals of tally row a (the logged time beside them);
 * the delta is actual − estimate (over when positive). */
#define ESTIMATE_JSON(est, a)                                                                                    \
	"jsonb_build_object('estimate_hours', " HOURS(est) ", 'estimate_seconds', " est ","                       \
	" 'actual_hours', " HOURS(ACTUAL_SECONDS(a)) ", 'actual_seconds', " ACTUAL_SECONDS(a) ","                  \
	" 'logged_hours', " HOURS(LOGGED_SECONDS(a)) ", 'logged_seconds', " LOGGED_SECONDS(a) ","                  \
	" 'delta_hours', " HOURS(ACTUAL_SECONDS(a) " - " est) ", 'delta_seconds', " ACTUAL_SECONDS(a) " - " est ")"
/* Project p's time budget against the actuals of tally row a (a NULL budget:
 * NULL figures). */
#define BUDGET_JSON(p, a)                                                                                        \
	"jsonb_build_object('time_budget_hours', " HOURS(p ".time_budget_hours * 3600") ","                       \
	" 'time_budget_seconds', (" p ".time_budget_hours * 3600)::bigint,"                                      \
	" 'budget_used_ratio', " RATIO(ACTUAL_SECONDS(a), p ".time_budget_hours * 3600") ")"

/* The candidate stage visit (its entered_at) an entry belongs to: the latest
 * stage entered by the end of the entry's day in the workspace time zone (the
 * parameter between the two halves). Time logged before the first recorded
 * stage, sourcing, counts toward the first: it went into getting them there. */
#define STAGE_KEY_BEFORE_TZ                                                                                      \
	"coalesce((SELECT max(h.entered_at) FROM candidate_stage_history h WHERE h.workspace_id = e.workspace_id"  \
	" AND h.candidate_id = e.entity_id AND h.entered_at < (e.log_date + 1)::timestamp AT TIME ZONE "
#define STAGE_KEY_AFTER_TZ                                                                                       \
	"::text), (SELECT min(h.entered_at) FROM candidate_stage_history h"                                        \
	" WHERE h.workspace_id = e.workspace_id AND h.candidate_id = e.entity_id))"

/* How many of a record's latest entries a rollup shows. */
#define RECENT_ENTRIES "10"

/* Which entries a report counts. NULL / false: no restriction. */
typedef struct {
	const char *from, *to; /* log_date range, both included */
	/* With edges: only the days of from..to outside the whole months the
	 * rollup answers: edge[0..1] the first and last day before them,
	 * edge[2..3] after them (NULL when that side has none). */
	bool edges;
	const char *edge[4];
	const char *user_id;
	const char *project_id;
	bool on_a_project;
	const char *entity_type, *entity_id;
	const char *contact_id; /* everything linked to the contact */
	bool approved;          /* also sum approved time (joins timesheets) */
	bool totals_json;       /* only the whole scope's tally row needs its JSON */
	/* The report-specific grouping key: SQL text over e, optionally around
	 * one parameter (key, key_param, key_after). NULL: none. */
	const char *key, *key_param, *key_after;
} scope_t;

typedef struct {
	core_ctx *c;
	tx_unit tx; /* the read-only snapshot */
	settings_t settings;
	char unit[24], bump[24]; /* the rounding, as SQL parameters */
	char months[2][11], edges[4][11]; /* the rollup's dates (rollup_fits), parameters too */
	query_t q;
} report_t;

static bool check_date(const char *name, const char *value, long *day, err_t *err)
{
	if (!value)
		return err_set_param(err, ERR_CODE_VALIDATION_FAILED, name, "'%s' is required: a date YYYY-MM-DD", name);
	if (!dates_parse(value, day))
		return err_set_param(err, ERR_CODE_VALIDATION_FAILED, name, "'%s' must be a date YYYY-MM-DD", name);
	return true;
}

static bool check_range(const char *from, const char *to, long *first, long *last, err_t *err)
{
	if (!check_date("from", from, first, err) || !check_date("to", to, last, err))
		return false;
	if (*last < *first)
		return err_set_param(err, ERR_CODE_VALIDATION_FAILED, "to", "'to' must be on or after 'from'");
	if (*last - *first + 1 > REPORTS_MAX_RANGE_DAYS)
		return err_set_param(err, ERR_CODE_VALIDATION_FAILED, "from",
				     "'from' to 'to' may span at most %d days; ask for the range in parts", REPORTS_MAX_RANGE_DAYS);
	return true;
}

/* Rounding to a multiple of a unit depends only on the remainder, and each mode
 * rounds up exactly the remainders from some threshold on (none: unit 1). Probing
 * rounding_apply for unit and threshold keeps rounding.c the one place the rule
 * is written, while PostgreSQL rounds every entry inside the sums. A rule that
 * does not have that shape is refused rather than reported wrongly. */
static bool rounding_params(report_t *r, err_t *err)
{
	rounding_mode m = r->settings.rounding;
	int minutes = r->settings.rounding_minutes;
	long unit = (long)minutes * 60, bump = unit;
	bool identity = true, threshold = unit > 1;
	for (long rem = 0; rem < unit; rem++) {
		long v = rounding_apply(rem, m, minutes);
		identity = identity && v == rem && rounding_apply(unit + rem, m, minutes) == unit + rem;
		if (v == unit && bump == unit)
			bump = rem;
		threshold = threshold && v == (rem >= bump ? unit : 0) &&
			    rounding_apply(unit + rem, m, minutes) == unit + v;
	}
	if (identity || unit < 1)
		unit = bump = 1;
	else if (!threshold)
		return err_set(err, ERR_CODE_INTERNAL_ERROR, "rounding mode %s cannot be reported", rounding_name(m));
	snprintf(r->unit, sizeof r->unit, "%ld", unit);
	snprintf(r->bump, sizeof r->bump, "%ld", bump);
	return true;
}

/* Opens the read-only snapshot every query of the report sees, and loads the
 * settings the report follows. */
static bool report_begin(report_t *r, core_ctx *c, err_t *err)
{
	r->c = c;
	if (!tx_begin_snapshot(c, &r->tx, err))
		return false;
	if (settings_load(c, &r->settings, err) && rounding_params(r, err))
		return true;
	tx_rollback(&r->tx);
	return false;
}

/* Ends the snapshot; returns out, or NULL with err set (out dropped). */
static json_t *report_end(report_t *r, json_t *out, err_t *err)
{
	return tx_end(&r->tx, out, false, err);
}

/* Whether ticket tk's hours roll up to its customer (tk.contact_id): only
 * through a billable project, the contract the customer is billed under. The
 * one rule: the ticket rollup's rolls_up_to_customer and the contact rollup. */
#define TICKET_ROLLS_UP(tk) "EXISTS (SELECT 1 FROM projects bp WHERE bp.id = " tk ".project_id AND bp.billable)"

/* Linked to a contact: its projects (with their tasks; tickets only by the
 * ticket rule), the tickets that name it and roll up to it, and the deals and
 * conversations that name it. Each is closed by "))". */
static const char *const CONTACT_LINKS[] = {
	" AND ((e.entity_type <> 'ticket' AND e.project_id IN (SELECT id FROM projects WHERE workspace_id = ",
	" OR (e.entity_type = 'ticket' AND e.entity_id IN (SELECT tk.id FROM tickets tk WHERE " TICKET_ROLLS_UP("tk")
	" AND tk.workspace_id = ",
	" OR (e.entity_type = 'deal' AND e.entity_id IN (SELECT id FROM deals WHERE workspace_id = ",
	" OR (e.entity_type = 'conversation' AND e.entity_id IN (SELECT id FROM conversations WHERE workspace_id = ",
};

/* WHERE for the entries (alias e) a report counts: live, stopped, visible to the
 * actor and in scope. The leading columns match the time_entries_report index
 * (workspace_id, log_date, live only). */
static void scope_where(query_t *q, const core_ctx *c, const scope_t *s)
{
	query_cond(q, " WHERE e.workspace_id = ", c->actor->workspace_id,
		   " AND e.deleted_at IS NULL AND e.duration_seconds IS NOT NULL");
	if (s->from)
		query_cond(q, " AND e.log_date >= ", s->from, "::date");
	if (s->to)
		query_cond(q, " AND e.log_date <= ", s->to, "::date");
	if (s->edges) {
		/* Up to two ranges ORed, each its own index range; none: no entries. */
		bool any = false;
		for (int i = 0; i < 4; i += 2) {
			if (!s->edge[i])
				continue;
			query_cond(q, any ? " OR (" : " AND ((", s->edge[i], "::date <= e.log_date");
			query_cond(q, " AND e.log_date <= ", s->edge[i + 1], "::date)");
			any = true;
		}
		query_sql(q, any ? ")" : " AND false");
	}
	if (!actor_sees_team(c->actor))
		query_cond(q, " AND e.user_id = ", c->actor->user_id, "");
	if (s->user_id)
		query_cond(q, " AND e.user_id = ", s->user_id, "");
	if (s->project_id)
		query_cond(q, " AND e.project_id = ", s->project_id, "");
	if (s->on_a_project)
		query_sql(q, " AND e.project_id IS NOT NULL");
	if (s->entity_type)
		query_cond(q, " AND e.entity_type = ", s->entity_type, "");
	if (s->entity_id)
		query_cond(q, " AND e.entity_id = ", s->entity_id, "");
	if (s->contact_id) {
		for (size_t i = 0; i < sizeof CONTACT_LINKS / sizeof CONTACT_LINKS[0]; i++) {
			query_cond(q, CONTACT_LINKS[i], c->actor->workspace_id, " AND contact_id = ");
			query_cond(q, "", s->contact_id, "))");
		}
		query_sql(q, ")");
	}
}

/* Starts the report's statement with the k, x and fine CTEs for s. */
static void fine_tallies(report_t *r, const scope_t *s)
{
	query_t *q = &r->q;
	query_init(q, "WITH k AS (SELECT ");
	query_cond(q, "", r->unit, "::int AS unit, ");
	query_cond(q, "", r->bump, "::int AS bump),");
	query_sql(q, " x AS (SELECT e.user_id, e.project_id, e.entity_type, e.billable, e.currency, e.hourly_rate,"
		     " e.duration_seconds AS raw, e.duration_seconds / k.unit * k.unit"
		     " + CASE WHEN e.duration_seconds % k.unit >= k.bump THEN k.unit ELSE 0 END AS secs, ");
	query_sql(q, s->approved ? "ts.status = 'approved'" : "NULL::boolean");
	query_sql(q, " AS approved, ");
	if (s->key && s->key_param)
		query_cond(q, s->key, s->key_param, s->key_after);
	else
		query_sql(q, s->key ? s->key : "NULL::text");
	query_sql(q, " AS key FROM time_entries e CROSS JOIN k");
	if (s->approved)
		query_sql(q, " JOIN timesheets ts ON ts.id = e.timesheet_id");
	scope_where(q, r->c, s);
	/* Sums at the finest grain first, then the groupings over those few rows:
	 * one pass of aggregates per entry instead of one per grouping. */
	query_sql(q, "), fine AS (SELECT x.user_id, x.project_id, x.entity_type, x.currency, x.key,"
		     " sum(x.secs) AS total, sum(x.secs) FILTER (WHERE x.billable) AS billable,"
		     " sum(x.secs) FILTER (WHERE x.approved) AS approved, sum(x.raw) AS raw, count(*) AS n,"
		     " sum(x.hourly_rate * x.secs) FILTER (WHERE x.billable) AS rate_seconds"
		     " FROM x GROUP BY 1, 2, 3, 4, 5)");
}

/* Ends the CTEs with tally, the sums of agg with their JSON (for the whole
 * scope's row only, with totals_json: one per user costs at scale). */
static void tally_json(report_t *r, const scope_t *s)
{
	query_sql(&r->q, ", tally AS (SELECT agg.*, ");
	if (s->totals_json)
		query_sql(&r->q, "CASE WHEN agg.gs = " GS_ALL " THEN ");
	query_sql(&r->q, TALLY_JSON("agg"));
	/* Approved time needs the timesheets; reports that skip it keep to the index. */
	if (s->approved)
		query_sql(&r->q, " || " APPROVED_JSON("agg"));
	if (s->totals_json)
		query_sql(&r->q, " END");
	query_sql(&r->q, " AS j FROM agg) ");
}

/* Starts the report's statement with the k, x, agg and tally CTEs for s. */
static void scoped_tallies(report_t *r, const scope_t *s)
{
	fine_tallies(r, s);
	query_sql(&r->q, ", agg AS (SELECT f.user_id, f.project_id, f.entity_type, f.currency, f.key,"
			 " GROUPING(f.user_id, f.project_id, f.entity_type, f.currency, f.key) AS gs,"
			 " coalesce(sum(f.total), 0)::bigint AS total, coalesce(sum(f.billable), 0)::bigint AS billable,"
			 " coalesce(sum(f.approved), 0)::bigint AS approved, coalesce(sum(f.raw), 0)::bigint AS raw,"
			 " coalesce(sum(f.n), 0)::bigint AS n, sum(f.rate_seconds) AS rate_seconds FROM fine f"
			 " GROUP BY GROUPING SETS ((), (f.user_id), (f.project_id), (f.entity_type), (f.currency), (f.key)))");
	tally_json(r, s);
}

/* ------------------------------------------------------------ the rollup */

/* Which rows of time_rollup (schemas/sql/0016) answer a report: per user
 * (summary, utilization of a user), per project and user (utilization of a
 * project). The summary also reads the rows per project, entity type and
 * currency. */
typedef enum { ROLLUP_SUMMARY, ROLLUP_USER, ROLLUP_PROJECT } rollup_use;

/* The rows of time_rollup_all (folded and not) of the workspace, dim and
 * whole months; "AND ..." with more conditions may follow. */
static void rollup_rows(report_t *r, const char *columns, const char *dim, const char *mfrom, const char *mto)
{
	query_t *q = &r->q;
	query_sql(q, columns);
	query_cond(q, " FROM time_rollup_all t WHERE t.workspace_id = ", r->c->actor->workspace_id, " AND t.dim = ");
	query_sql(q, dim);
	query_cond(q, " AND t.month >= ", mfrom, "::date");
	query_cond(q, " AND t.month <= ", mto, "::date");
}

/* The sums per user of the range: the rollup's whole months and the edge
 * days' fine rows; users without entries left out. */
static void rollup_by_user(report_t *r, const scope_t *s, rollup_use use, const char *mfrom, const char *mto)
{
	query_t *q = &r->q;
	query_sql(q, ", ru AS (SELECT v.user_id, sum(v.total) AS total, sum(v.billable) AS billable, sum(v.raw) AS raw,"
		     " sum(v.n) AS n FROM (");
	rollup_rows(r, "SELECT t.user_id, t.total, t.billable, t.raw, t.n", use == ROLLUP_PROJECT ? "'p'" : "'u'", mfrom, mto);
	if (use == ROLLUP_PROJECT)
		query_cond(q, " AND t.project_id = ", s->project_id, "");
	else
		query_sql(q, " AND t.project_id IS NULL");
	if (s->user_id)
		query_cond(q, " AND t.user_id = ", s->user_id, "");
	query_sql(q, " UNION ALL SELECT f.user_id, f.total, coalesce(f.billable, 0), f.raw, f.n FROM fine f) v"
		     " GROUP BY v.user_id HAVING sum(v.n) > 0)");
}

/* The summary's sums per project, entity type and currency, the same way. */
static void rollup_by_kind(report_t *r, const char *mfrom, const char *mto)
{
	query_t *q = &r->q;
	query_sql(q, ", rk AS (SELECT v.project_id, v.entity_type, v.currency, sum(v.total) AS total,"
		     " sum(v.billable) AS billable, sum(v.raw) AS raw, sum(v.n) AS n,"
		     " CASE WHEN sum(v.rated) > 0 THEN sum(v.rate_seconds) END AS rate_seconds FROM (");
	rollup_rows(r, "SELECT t.project_id, t.entity_type, t.currency, t.total, t.billable, t.raw, t.n, t.rate_seconds, t.rated",
		    "'k'", mfrom, mto);
	query_sql(q, " UNION ALL SELECT f.project_id, f.entity_type, f.currency, f.total, coalesce(f.billable, 0), f.raw,"
		     " f.n, coalesce(f.rate_seconds, 0), CASE WHEN f.rate_seconds IS NULL THEN 0 ELSE 1 END::bigint"
		     " FROM fine f) v GROUP BY 1, 2, 3 HAVING sum(v.n) > 0)");
}

/* The agg rows of scoped_tallies, from the rollup: the same sums, tagged
 * with the same GROUPING bits (user 16, project 8, entity type 4, currency
 * 2, key 1), for the groupings the report reads. */
#define ROLLUP_AGG_COLUMNS(t)                                                                                    	"coalesce(sum(" t ".total), 0)::bigint AS total, coalesce(sum(" t ".billable), 0)::bigint AS billable,"      	" 0::bigint AS approved, coalesce(sum(" t ".raw), 0)::bigint AS raw, coalesce(sum(" t ".n), 0)::bigint AS n"

/* Whether the rollup answers a report of s over first..last: a range holding
 * a whole month, no approved time, no report-specific key, and every entry
 * the actor sees in scope (members only their own, by user). Fills the whole
 * months (r->months: their first and last day) and s's edges (r->edges). */
static bool rollup_fits(report_t *r, scope_t *s, rollup_use use, long first, long last)
{
	char *mfrom = r->months[0], *mto = r->months[1];
	char (*edges)[11] = r->edges;
	int y, m, d;
	dates_to_civil(first, &y, &m, &d);
	long from_month = d == 1 ? first : dates_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1);
	dates_to_civil(last + 1, &y, &m, &d);
	long to_month = d == 1 ? last : dates_from_civil(y, m, 1) - 1;
	if (from_month > to_month || s->approved || s->key || s->entity_type || s->contact_id || s->on_a_project)
		return false;
	if (!actor_sees_team(r->c->actor) && !(use == ROLLUP_USER && s->user_id && !strcmp(s->user_id, r->c->actor->user_id)))
		return false;
	dates_format(from_month, mfrom);
	dates_format(to_month, mto);
	s->edges = true;
	if (first < from_month) {
		dates_format(first, edges[0]);
		dates_format(from_month - 1, edges[1]);
		s->edge[0] = edges[0];
		s->edge[1] = edges[1];
	}
	if (to_month < last) {
		dates_format(to_month + 1, edges[2]);
		dates_format(last, edges[3]);
		s->edge[2] = edges[2];
		s->edge[3] = edges[3];
	}
	return true;
}

/* Folds the workspace's rollup changes into the rollup before the report's
 * snapshot: a short write of its own, best effort (the report reads the
 * changes not folded as well), so a report reads about as many rows as the
 * months and groups it covers, however many writes came before it. */
static void rollup_fold(core_ctx *c)
{
	tx_best_effort(c->db, "SELECT time_rollup_compact($1)", 1, c->actor->workspace_id);
}

/* Starts the report's statement with CTEs agg and tally as scoped_tallies
 * makes them, from the rollup when it answers the report (rollup_fits), else
 * by scoped_tallies. Identical figures either way. */
static void range_tallies(report_t *r, scope_t *s, rollup_use use, long first, long last)
{
	if (!rollup_fits(r, s, use, first, last)) {
		scoped_tallies(r, s);
		return;
	}
	const char *mfrom = r->months[0], *mto = r->months[1];
	fine_tallies(r, s);
	rollup_by_user(r, s, use, mfrom, mto);
	if (use == ROLLUP_SUMMARY) {
		rollup_by_kind(r, mfrom, mto);
		query_sql(&r->q, ", agg AS (SELECT NULL::text AS user_id, rk.project_id, rk.entity_type, rk.currency,"
				 " NULL::text AS key, 17 + 2 * GROUPING(rk.project_id, rk.entity_type, rk.currency) AS gs, "
				 ROLLUP_AGG_COLUMNS("rk") ", sum(rk.rate_seconds) AS rate_seconds FROM rk"
				 " GROUP BY GROUPING SETS ((), (rk.project_id), (rk.entity_type), (rk.currency))"
				 " UNION ALL SELECT ru.user_id, NULL, NULL, NULL, NULL, " GS_USER ", " ROLLUP_AGG_COLUMNS("ru")
				 ", NULL FROM ru GROUP BY ru.user_id)");
	} else {
		query_sql(&r->q, ", agg AS (SELECT ru.user_id, NULL::text AS project_id, NULL::text AS entity_type,"
				 " NULL::text AS currency, NULL::text AS key, 15 + 16 * GROUPING(ru.user_id) AS gs, "
				 ROLLUP_AGG_COLUMNS("ru") ", NULL::numeric AS rate_seconds FROM ru"
				 " GROUP BY GROUPING SETS ((), (ru.user_id)))");
	}
	tally_json(r, s);
}

/* PostgreSQL sums rate × rounded seconds per currency exactly; each amount is
 * rounded once, here, by the one rule for money. */
static bool finish_amounts(json_t *report, err_t *err)
{
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(report, "amounts"), i, a) {
		const char *text = json_string_value(json_object_get(a, "rate_seconds"));
		char *end = NULL;
		errno = 0;
		long long sum = text ? strtoll(text, &end, 10) : -1;
		if (!text || errno || *end || sum < 0)
			return err_set(err, ERR_CODE_INTERNAL_ERROR, "a billable amount is out of range");
		json_object_set_new(a, "amount", json_integer(rounding_amount(sum)));
		json_object_del(a, "rate_seconds");
	}
	return true;
}

/* Runs the statement (one jsonb value) and adds what every report says. NULL
 * without err when the statement found nothing. */
static json_t *report_run(report_t *r, err_t *err)
{
	PGresult *res = query_run(r->c->db, &r->q, err);
	if (!res)
		return NULL;
	json_t *out = NULL;
	if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0)) {
		out = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
		if (!out)
			err_set(err, ERR_CODE_INTERNAL_ERROR, "internal error (bad JSON from database)");
	}
	PQclear(res);
	if (out && !finish_amounts(out, err)) {
		json_decref(out);
		return NULL;
	}
	if (out)
		json_object_set_new(out, "rounding", json_pack("{s:s, s:i}", "mode", rounding_name(r->settings.rounding),
							      "minutes", r->settings.rounding_minutes));
	return out;
}

json_t *reports_summary(core_ctx *c, const char *from, const char *to, err_t *err)
{
	long first, last;
	report_t r;
	if (!check_range(from, to, &first, &last, err))
		return NULL;
	rollup_fold(c);
	if (!report_begin(&r, c, err))
		return NULL;
	scope_t s = { .from = from, .to = to };
	range_tallies(&r, &s, ROLLUP_SUMMARY, first, last);
	query_sql(&r.q, "SELECT " TOTALS " || jsonb_build_object('amounts', " AMOUNT_SUMS ", 'by_user', " BY_USER
			", 'by_project', " BY_PROJECT ", 'by_entity_type', " BY_ENTITY_TYPE ")");
	json_t *out = report_run(&r, err);
	if (out) {
		json_object_set_new(out, "from", json_string(from));
		json_object_set_new(out, "to", json_string(to));
	}
	return report_end(&r, out, err);
}

/* ------------------------------------------------------------------ rollups */

/* Each appends "|| <jsonb>" with the type's own figures for record id. */
typedef void (*rollup_extras)(report_t *r, const char *id);

static void project_extras(report_t *r, const char *id)
{
	query_sql(&r->q, " || (SELECT jsonb_build_object('name', p.name, 'contact_id', p.contact_id,"
			 " 'project_billable', p.billable,"
			 " 'actual_approved_hours', " HOURS(ACTUAL_SECONDS("tally")) ","
			 " 'actual_approved_seconds', " ACTUAL_SECONDS("tally") ","
			 " 'budget_amount', p.budget_amount, 'currency', p.currency)"
			 " || " BUDGET_JSON("p", "tally") " || " ESTIMATE_JSON("est.secs", "tally")
			 " FROM projects p CROSS JOIN LATERAL (SELECT " ESTIMATE_SECONDS("p") " AS secs) est"
			 " JOIN tally ON tally.gs = " GS_ALL);
	query_cond(&r->q, " WHERE p.workspace_id = ", r->c->actor->workspace_id, "");
	query_cond(&r->q, " AND p.id = ", id, ")");
}

/* A ticket's billable hours roll up to its customer only by TICKET_ROLLS_UP. */
static void ticket_extras(report_t *r, const char *id)
{
	query_sql(&r->q, " || (SELECT jsonb_build_object('contact_id', tk.contact_id, 'project_id', tk.project_id,"
			 " 'rolls_up_to_customer', cb.rolls_up,"
			 " 'customer_billable_hours', " HOURS("cb.secs") ", 'customer_billable_seconds', cb.secs)"
			 " FROM tickets tk JOIN tally ON tally.gs = " GS_ALL
			 " CROSS JOIN LATERAL (SELECT " TICKET_ROLLS_UP("tk") " AS rolls_up) ru"
			 " CROSS JOIN LATERAL (SELECT ru.rolls_up, CASE WHEN ru.rolls_up THEN tally.billable ELSE 0 END AS secs) cb");
	query_cond(&r->q, " WHERE tk.workspace_id = ", r->c->actor->workspace_id, "");
	query_cond(&r->q, " AND tk.id = ", id, ")");
}

static void contact_extras(report_t *r, const char *id)
{
	query_sql(&r->q, " || jsonb_build_object('by_entity_type', " BY_ENTITY_TYPE ")"
			 " || (SELECT jsonb_build_object('name', ct.name) FROM contacts ct");
	query_cond(&r->q, " WHERE ct.workspace_id = ", r->c->actor->workspace_id, "");
	query_cond(&r->q, " AND ct.id = ", id, ")");
}

/* Time to hire: each stage visit with its days (to the next stage, or to now
 * for the current one) and the hours logged during it. */
static void candidate_extras(report_t *r, const char *id)
{
	query_t *q = &r->q;
	query_sql(q, " || (SELECT jsonb_build_object('name', cd.name, 'stage', cd.stage,"
		     " 'total_days', (SELECT " DAYS("now() - min(sh.entered_at)") " FROM candidate_stage_history sh"
		     "  WHERE sh.workspace_id = cd.workspace_id AND sh.candidate_id = cd.id),"
		     " 'by_stage', (SELECT coalesce(jsonb_agg(jsonb_build_object('stage', h.stage,"
		     "  'entered_at', wt_iso(h.entered_at), 'left_at', wt_iso(h.left_at),"
		     "  'days', " DAYS("coalesce(h.left_at, now()) - h.entered_at") ")"
		     "  || " TALLY_JSON("tally") " || " APPROVED_JSON("tally") " ORDER BY h.entered_at), '[]'::jsonb)"
		     "  FROM (SELECT sh.stage, sh.entered_at, lead(sh.entered_at) OVER (ORDER BY sh.entered_at) AS left_at"
		     "   FROM candidate_stage_history sh WHERE sh.workspace_id = cd.workspace_id AND sh.candidate_id = cd.id) h"
		     "  LEFT JOIN tally ON tally.gs = " GS_KEY " AND tally.key = h.entered_at))"
		     " FROM candidates cd");
	query_cond(q, " WHERE cd.workspace_id = ", r->c->actor->workspace_id, "");
	query_cond(q, " AND cd.id = ", id, ")");
}

/* What a rollup counts: the entries logged on the record, everything on a
 * project (its tasks and tickets too), or everything linked to a contact. */
typedef enum { ON_RECORD, ON_PROJECT, LINKED_TO_CONTACT } rollup_reach;

static const struct {
	const char *type;
	rollup_reach reach;
	bool by_stage;        /* key entries by candidate stage visit */
	rollup_extras extras; /* NULL: the common figures only */
} ROLLUPS[] = {
	{ "task", ON_RECORD, false, NULL },
	{ "ticket", ON_RECORD, false, ticket_extras },
	{ "deal", ON_RECORD, false, NULL },
	{ "candidate", ON_RECORD, true, candidate_extras },
	{ "calendar_event", ON_RECORD, false, NULL },
	{ "conversation", ON_RECORD, false, NULL },
	{ "project", ON_PROJECT, false, project_extras },
	{ "contact", LINKED_TO_CONTACT, false, contact_extras },
};

json_t *reports_rollup(core_ctx *c, const char *entity_type, const char *entity_id, err_t *err)
{
	size_t i = 0, n = sizeof ROLLUPS / sizeof ROLLUPS[0];
	while (i < n && strcmp(ROLLUPS[i].type, entity_type))
		i++;
	if (i == n) {
		err_set_param(err, ERR_CODE_VALIDATION_FAILED, "entity_type",
			      "'entity_type' must be one of task, ticket, deal, candidate, calendar_event, conversation, project, contact");
		return NULL;
	}
	report_t r;
	if (!report_begin(&r, c, err))
		return NULL;
	rollup_reach reach = ROLLUPS[i].reach;
	if (!refs_require(c, reach == LINKED_TO_CONTACT ? "contact" : entity_type, entity_id, err))
		return report_end(&r, NULL, err);
	scope_t s = { .approved = true };
	if (reach == LINKED_TO_CONTACT) {
		s.contact_id = entity_id;
	} else if (reach == ON_PROJECT) {
		s.project_id = entity_id;
	} else {
		s.entity_type = entity_type;
		s.entity_id = entity_id;
	}
	if (ROLLUPS[i].by_stage) {
		s.key = STAGE_KEY_BEFORE_TZ;
		s.key_param = r.settings.timezone;
		s.key_after = STAGE_KEY_AFTER_TZ;
	}
	scoped_tallies(&r, &s);
	query_sql(&r.q, "SELECT " TOTALS " || jsonb_build_object('amounts', " AMOUNT_SUMS ", 'recent_entries',"
			" (SELECT coalesce(jsonb_agg(re.j ORDER BY re.log_date DESC, re.created_at DESC, re.id), '[]'::jsonb)"
			" FROM (SELECT " ENTRY_JSON " AS j, e.log_date, e.created_at, e.id" ENTRY_FROM);
	scope_where(&r.q, c, &s);
	query_sql(&r.q, " ORDER BY e.log_date DESC, e.created_at DESC, e.id LIMIT " RECENT_ENTRIES ") re))");
	if (ROLLUPS[i].extras)
		ROLLUPS[i].extras(&r, entity_id);
	json_t *out = report_run(&r, err);
	if (out) {
		json_object_set_new(out, "entity_type", json_string(entity_type));
		json_object_set_new(out, "entity_id", json_string(entity_id));
	} else if (!err_any(err)) {
		err_set(err, ERR_CODE_NOT_FOUND, "no %s %s in this workspace", entity_type, entity_id);
	}
	return report_end(&r, out, err);
}

json_t *reports_task_rollups(core_ctx *c, const char *project_id, err_t *err)
{
	report_t r;
	if (!project_id) {
		err_set_param(err, ERR_CODE_VALIDATION_FAILED, "project_id", "'project_id' is required");
		return NULL;
	}
	if (!report_begin(&r, c, err))
		return NULL;
	scope_t s = { .project_id = project_id, .entity_type = "task", .approved = true, .key = "e.entity_id" };
	scoped_tallies(&r, &s);
	query_sql(&r.q, "SELECT jsonb_build_object('project_id', p.id, 'name', p.name, 'tasks',"
			" (SELECT coalesce(jsonb_agg(jsonb_build_object('task_id', tk.id, 'title', tk.title,"
			"  'estimate_hours', " HOURS("tk.estimate_hours * 3600") ","
			"  'estimate_seconds', (tk.estimate_hours * 3600)::bigint)"
			"  || " TALLY_JSON("tally") " || " APPROVED_JSON("tally") " ORDER BY tk.title, tk.id), '[]'::jsonb)"
			"  FROM tasks tk LEFT JOIN tally ON tally.gs = " GS_KEY " AND tally.key = tk.id"
			"  WHERE tk.workspace_id = p.workspace_id AND tk.project_id = p.id))"
			" FROM projects p");
	query_cond(&r.q, " WHERE p.workspace_id = ", c->actor->workspace_id, "");
	query_cond(&r.q, " AND p.id = ", project_id, "");
	json_t *out = report_run(&r, err);
	if (!out && !err_any(err))
		err_set(err, ERR_CODE_NOT_FOUND, "no project %s in this workspace", project_id);
	return report_end(&r, out, err);
}

json_t *reports_estimate_vs_actual(core_ctx *c, const char *project_id, err_t *err)
{
	report_t r;
	if (!report_begin(&r, c, err))
		return NULL;
	if (project_id && !refs_require(c, "project", project_id, err))
		return report_end(&r, NULL, err);
	scope_t s = { .project_id = project_id, .on_a_project = true, .approved = true };
	scoped_tallies(&r, &s);
	query_sql(&r.q, "SELECT jsonb_build_object('projects', (SELECT coalesce(jsonb_agg("
			" jsonb_build_object('project_id', p.id, 'name', p.name)"
			" || " BUDGET_JSON("p", "tally") " || " ESTIMATE_JSON("est.secs", "tally") " || " APPROVED_JSON("tally")
			" ORDER BY p.name, p.id), '[]'::jsonb)"
			" FROM projects p CROSS JOIN LATERAL (SELECT " ESTIMATE_SECONDS("p") " AS secs) est"
			" LEFT JOIN tally ON tally.gs = " GS_PROJECT " AND tally.project_id = p.id");
	query_cond(&r.q, " WHERE p.workspace_id = ", c->actor->workspace_id, "");
	if (project_id)
		query_cond(&r.q, " AND p.id = ", project_id, "");
	query_sql(&r.q, "))");
	json_t *out = report_run(&r, err);
	if (out && project_id)
		json_object_set_new(out, "project_id", json_string(project_id));
	return report_end(&r, out, err);
}

/* ------------------------------------------------------------- utilization */

/* Monday to Friday days in first..last. */
static long working_days(long first, long last)
{
	long n = 0;
	for (long d = first; d <= last; d++) {
		int dow = dates_dow(d);
		n += dow >= 1 && dow <= 5;
	}
	return n;
}

json_t *reports_utilization(core_ctx *c, const reports_utilization_query *uq, err_t *err)
{
	long first, last;
	if (!plans_require(c->actor, FEATURE_UTILIZATION, err) || !check_range(uq->from, uq->to, &first, &last, err))
		return NULL;
	if (uq->user_id && uq->project_id) {
		err_set(err, ERR_CODE_VALIDATION_FAILED, "give 'user_id' or 'project_id', not both");
		return NULL;
	}
	const char *user = uq->project_id ? NULL : uq->user_id ? uq->user_id : c->actor->user_id;
	if (!actor_sees_team(c->actor) && (uq->project_id || strcmp(user, c->actor->user_id))) {
		err_set(err, ERR_CODE_FORBIDDEN, "members can see utilization only for themselves");
		return NULL;
	}
	rollup_fold(c);
	report_t r;
	if (!report_begin(&r, c, err))
		return NULL;
	if (!(user ? refs_require(c, "user", user, err) : refs_require(c, "project", uq->project_id, err)))
		return report_end(&r, NULL, err);
	char days[24], default_weekly[24];
	long wd = working_days(first, last);
	snprintf(days, sizeof days, "%ld", wd);
	snprintf(default_weekly, sizeof default_weekly, "%lld", llround(r.settings.default_weekly_hours * 3600));
	scope_t s = { .from = uq->from, .to = uq->to, .user_id = user, .project_id = uq->project_id, .totals_json = true };
	range_tallies(&r, &s, user ? ROLLUP_USER : ROLLUP_PROJECT, first, last);
	/* Without the People module its hours are not ours to use, row or not. */
	query_sql(&r.q, plans_has_module(c->actor, "people")
				? ", cap AS (SELECT u.id, coalesce(nullif(u.name, ''), u.email) AS name,"
				  " CASE WHEN h.weekly IS NULL THEN 'default' ELSE 'people' END AS source, w.weekly"
				  " FROM users u LEFT JOIN LATERAL (SELECT (emp.weekly_hours * 3600)::bigint AS weekly"
				  "  FROM employees emp WHERE emp.workspace_id = u.workspace_id AND emp.user_id = u.id) h ON true"
				: ", cap AS (SELECT u.id, coalesce(nullif(u.name, ''), u.email) AS name,"
				  " 'default' AS source, w.weekly"
				  " FROM users u CROSS JOIN LATERAL (SELECT NULL::bigint AS weekly) h");
	query_cond(&r.q, " CROSS JOIN LATERAL (SELECT coalesce(h.weekly, ", default_weekly, "::bigint) AS weekly) w");
	query_cond(&r.q, " WHERE u.workspace_id = ", c->actor->workspace_id, "");
	/* The user asked about, or everyone who logged time in scope. */
	query_cond(&r.q, " AND (u.id = ", user, " OR u.id IN (SELECT tally.user_id FROM tally WHERE tally.gs = " GS_USER "))),");
	query_cond(&r.q, " capacity AS (SELECT cap.*, round(cap.weekly * ", days, "::numeric / 5)::bigint AS secs FROM cap)");
	query_sql(&r.q, " SELECT " TOTALS " || (SELECT jsonb_build_object("
			"  'capacity_hours', " HOURS("cs.secs") ", 'capacity_seconds', cs.secs,"
			"  'utilization', " RATIO("tally.billable", "cs.secs") ","
			"  'billable_share', " RATIO("tally.billable", "tally.total") ")"
			"  FROM (SELECT coalesce(sum(capacity.secs), 0)::bigint AS secs FROM capacity) cs"
			"  JOIN tally ON tally.gs = " GS_ALL ")"
			" || jsonb_build_object('users', (SELECT coalesce(jsonb_agg(jsonb_build_object("
			"  'user_id', capacity.id, 'name', capacity.name, 'capacity_source', capacity.source,"
			"  'weekly_hours', " HOURS("capacity.weekly") ", 'weekly_seconds', capacity.weekly,"
			"  'capacity_hours', " HOURS("capacity.secs") ","
			"  'capacity_seconds', capacity.secs,"
			"  'utilization', " RATIO("coalesce(tally.billable, 0)", "capacity.secs") ")"
			"  || " TALLY_JSON("tally") " ORDER BY capacity.name, capacity.id), '[]'::jsonb)"
			"  FROM capacity LEFT JOIN tally ON tally.gs = " GS_USER " AND tally.user_id = capacity.id))");
	json_t *out = report_run(&r, err);
	if (out) {
		json_object_set_new(out, "user_id", user ? json_string(user) : json_null());
		json_object_set_new(out, "project_id", uq->project_id ? json_string(uq->project_id) : json_null());
		json_object_set_new(out, "from", json_string(uq->from));
		json_object_set_new(out, "to", json_string(uq->to));
		json_object_set_new(out, "working_days", json_integer(wd));
	}
	return report_end(&r, out, err);
}
