/* Settings, rates and plans over HTTP on a real PostgreSQL:
 * - GET/PATCH /api/v1/time/settings: defaults, partial admin-only PATCH with
 *   one audit row, every field's validation, nulls, the week start never
 *   moving an existing timesheet, and the workspace time zone deciding a
 *   timer's log_date;
 * - GET/POST/DELETE /api/v1/time/rates: each target kind, upsert by id, list,
 *   delete, refusals, the resolution order (entity > user on project > project
 *   > user > workspace default), effective dates, the snapshot on the entry
 *   and a currency other than the default;
 * - the Pro plan's refusals (402 plan_required) on a free workspace. */
#include "harness.h"
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SR_SETTINGS "/api/v1/time/settings"
#define SR_RATES "/api/v1/time/rates"
#define SR_ENTRIES "/api/v1/time-entries"

/* ---- requests ---------------------------------------------------------- */

/* Sends a request, asserts its status and returns the parsed body (owned). */
static json_t *sr_callv(long want, const char *tok, const char *method, const char *body, const char *fmt, va_list ap)
{
	char path[512];
	vsnprintf(path, sizeof path, fmt, ap);
	harness_response r = harness_request(method, path, tok, body, NULL);
	long got = r.status;
	char answer[1024];
	snprintf(answer, sizeof answer, "%s", r.body);
	json_t *j = json_incref(r.json);
	harness_response_free(&r);
	if (got != want) {
		json_decref(j); /* free before the assertion leaves the test */
		cr_assert_fail("%s %s %s: expected %ld, got %ld: %s", method, path, body ? body : "", want, got, answer);
	}
	return j;
}

/* The `data` of a successful answer (owned), status asserted. */
__attribute__((format(printf, 5, 6))) static json_t *sr_data(long want, const char *tok, const char *method,
							      const char *body, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	json_t *env = sr_callv(want, tok, method, body, fmt, ap);
	va_end(ap);
	cr_assert(json_object_get(env, "data"), "no data in the answer");
	json_t *d = json_incref(json_object_get(env, "data"));
	json_decref(env);
	return d;
}

/* Asserts an error answer with this status and code; when contains is not
 * NULL, the error message must contain it. */
__attribute__((format(printf, 7, 8))) static void sr_refused(long want, const char *code, const char *contains,
							      const char *tok, const char *method, const char *body,
							      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	json_t *env = sr_callv(want, tok, method, body, fmt, ap);
	va_end(ap);
	json_t *e = json_object_get(env, "error");
	const char *got = json_string_value(json_object_get(e, "code"));
	const char *msg = json_string_value(json_object_get(e, "message"));
	cr_assert_str_eq(got ? got : "(none)", code, "%s %s: expected error code %s", method, body ? body : "", code);
	if (contains)
		cr_assert(msg && strstr(msg, contains), "%s %s: the message \"%s\" must contain \"%s\"", method,
			  body ? body : "", msg ? msg : "(none)", contains);
	json_decref(env);
}

static const char *sr_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static long sr_int(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	cr_assert(json_is_integer(v), "'%s' must be an integer", key);
	return (long)json_integer_value(v);
}

static double sr_num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	cr_assert(json_is_number(v), "'%s' must be a number", key);
	return json_number_value(v);
}

/* One text value of a one-row SQL answer (copied into out). */
static void sr_sql_text(char *out, size_t n, const char *sql, int nparams, const char *p1, const char *p2)
{
	PGresult *r = nparams == 0 ? harness_sql(sql, 0) : nparams == 1 ? harness_sql(sql, 1, p1) : harness_sql(sql, 2, p1, p2);
	cr_assert_eq(PQntuples(r), 1, "expected one row from %s", sql);
	snprintf(out, n, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
}

/* ---- templates --------------------------------------------------------- */

/* Ids a body template may name: {member}, {project}, {task}, ... */
typedef struct {
	const char *member, *project, *task;
	const char *other_user, *other_project, *other_task;
} sr_ids;

static void sr_ids_of(const harness_ws *w, const harness_ws *other, sr_ids *ids)
{
	ids->member = w->member;
	ids->project = harness_demo_id(w, "projects", 0);
	ids->task = harness_demo_id(w, "tasks", 0); /* a task of projects[0] */
	ids->other_user = other ? other->member : "usr_doesnotexist";
	ids->other_project = other ? harness_demo_id(other, "projects", 0) : "prj_doesnotexist";
	ids->other_task = other ? harness_demo_id(other, "tasks", 0) : "tsk_doesnotexist";
}

/* Expands a template's {name} tokens to ids (malloc'd). */
static char *sr_expand(const char *tmpl, const sr_ids *ids)
{
	const struct {
		const char *token, *value;
	} map[] = {
		{ "{member}", ids->member },		 { "{project}", ids->project },
		{ "{task}", ids->task },		 { "{other_user}", ids->other_user },
		{ "{other_project}", ids->other_project }, { "{other_task}", ids->other_task },
	};
	size_t cap = strlen(tmpl) + 1;
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		for (const char *p = strstr(tmpl, map[i].token); p; p = strstr(p + 1, map[i].token))
			cap += strlen(map[i].value);
	char *out = malloc(cap), *o = out;
	cr_assert(out);
	for (const char *p = tmpl; *p;) {
		size_t i = 0;
		while (i < sizeof map / sizeof map[0] && strncmp(p, map[i].token, strlen(map[i].token)))
			i++;
		if (i < sizeof map / sizeof map[0]) {
			size_t n = strlen(map[i].value);
			memcpy(o, map[i].value, n);
			o += n;
			p += strlen(map[i].token);
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	return out;
}

/* ---- domain helpers ---------------------------------------------------- */

static json_t *sr_settings(const char *tok)
{
	return sr_data(200, tok, "GET", NULL, SR_SETTINGS);
}

static json_t *sr_patch_settings(const harness_ws *w, const char *body)
{
	return sr_data(200, w->admin_tok, "PATCH", body, SR_SETTINGS);
}

static long sr_audit_count(const harness_ws *w, const char *action)
{
	return harness_sql_long("SELECT count(*) FROM audit_log WHERE workspace_id = $1 AND action = $2", 2, w->ws, action);
}

/* A rate body from optional parts (NULL: left out); returns malloc'd JSON. */
static char *sr_rate_body(const char *id, const char *user, const char *project, const char *task, long rate,
			  const char *currency, const char *effective_from)
{
	json_t *b = json_pack("{s:I}", "hourly_rate", (json_int_t)rate);
	const struct {
		const char *key, *value;
	} parts[] = { { "id", id },
		      { "user_id", user },
		      { "project_id", project },
		      { "entity_type", task ? "task" : NULL },
		      { "entity_id", task },
		      { "currency", currency },
		      { "effective_from", effective_from } };
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
		if (parts[i].value)
			json_object_set_new(b, parts[i].key, json_string(parts[i].value));
	char *s = json_dumps(b, JSON_COMPACT);
	json_decref(b);
	return s;
}

/* POSTs a rate (want: 201 create, 200 update) and returns the answer (owned). */
static json_t *sr_upsert_rate(const harness_ws *w, long want, const char *id, const char *user, const char *project,
			      const char *task, long rate, const char *currency, const char *effective_from)
{
	char *body = sr_rate_body(id, user, project, task, rate, currency, effective_from);
	json_t *d = sr_data(want, w->admin_tok, "POST", body, SR_RATES);
	free(body);
	cr_assert_eq(sr_int(d, "hourly_rate"), rate);
	return d;
}

/* Creates a rate and copies its id into id_out. */
static void sr_create_rate(const harness_ws *w, const char *user, const char *project, const char *task, long rate,
			   const char *currency, const char *effective_from, char id_out[64])
{
	json_t *d = sr_upsert_rate(w, 201, NULL, user, project, task, rate, currency, effective_from);
	snprintf(id_out, 64, "%s", sr_str(d, "id"));
	json_decref(d);
}

/* A one-hour manual entry on a task for the token's user (owned). */
static json_t *sr_entry(const char *tok, const char *task, const char *log_date)
{
	char body[256];
	snprintf(body, sizeof body, "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"log_date\":\"%s\",\"hours\":1}", task,
		 log_date);
	return sr_data(201, tok, "POST", body, SR_ENTRIES);
}

static void sr_assert_rate(json_t *entry, long rate, const char *currency, const char *what)
{
	cr_assert_eq(sr_int(entry, "hourly_rate"), rate, "%s: expected hourly_rate %ld, got %ld", what, rate,
		     sr_int(entry, "hourly_rate"));
	cr_assert_str_eq(sr_str(entry, "currency"), currency, "%s: currency", what);
	/* The snapshot is on the row, not computed on read. */
	char stored[64];
	sr_sql_text(stored, sizeof stored, "SELECT hourly_rate || ' ' || currency FROM time_entries WHERE id = $1", 1,
		    sr_str(entry, "id"), NULL);
	char want[64];
	snprintf(want, sizeof want, "%ld %s", rate, currency);
	cr_assert_str_eq(stored, want, "%s: the stored snapshot", what);
}

/* Creates an entry and asserts its snapshotted rate; returns its id in id_out (may be NULL). */
static void sr_entry_expect(const char *tok, const char *task, const char *log_date, long rate, const char *currency,
			    const char *what, char *id_out)
{
	json_t *e = sr_entry(tok, task, log_date);
	sr_assert_rate(e, rate, currency, what);
	if (id_out)
		snprintf(id_out, 64, "%s", sr_str(e, "id"));
	json_decref(e);
}

static json_t *sr_get_entry(const harness_ws *w, const char *id)
{
	return sr_data(200, w->admin_tok, "GET", NULL, SR_ENTRIES "/%s", id);
}

/* ======================================================================= */
/* Settings                                                                 */
/* ======================================================================= */

Test(settings, get_answers_the_defaults_to_every_role)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	const char *toks[] = { w.admin_tok, w.manager_tok, w.member_tok };
	for (size_t i = 0; i < sizeof toks / sizeof toks[0]; i++) {
		json_t *s = sr_settings(toks[i]);
		cr_assert_str_eq(sr_str(s, "workspace_id"), w.ws);
		cr_assert_eq(sr_int(s, "week_start_dow"), 1, "weeks start on Monday by default");
		cr_assert_str_eq(sr_str(s, "timezone"), "UTC");
		cr_assert_float_eq(sr_num(s, "default_weekly_hours"), 40.0, 1e-9);
		cr_assert_float_eq(sr_num(s, "runaway_timer_hours"), 12.0, 1e-9);
		cr_assert(json_is_null(json_object_get(s, "auto_submit_dow")), "auto_submit_dow is off by default");
		cr_assert(json_is_null(json_object_get(s, "reminder_min_daily_hours")));
		cr_assert(json_is_null(json_object_get(s, "reminder_min_weekly_hours")));
		cr_assert_str_eq(sr_str(s, "rounding"), "none");
		cr_assert_eq(sr_int(s, "rounding_minutes"), 15);
		cr_assert_str_eq(sr_str(s, "default_currency"), "USD");
		cr_assert_eq(sr_int(s, "default_hourly_rate"), 0);
		cr_assert(strlen(sr_str(s, "updated_at")) == 20, "updated_at is ISO 8601 UTC");
		json_decref(s);
	}
	cr_assert_eq(sr_audit_count(&w, "time_settings.updated"), 0, "reading audits nothing");
	harness_workspace_free(&w);
}

Test(settings, admin_patch_changes_only_the_given_fields_and_audits_the_diff)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	json_t *before = sr_settings(w.admin_tok);
	/* timezone is given with its current value: given, but not changed. */
	json_t *s = sr_patch_settings(&w, "{\"week_start_dow\":3,\"rounding\":\"nearest\",\"default_weekly_hours\":37.5,"
					  "\"default_hourly_rate\":5000,\"timezone\":\"UTC\"}");
	cr_assert_eq(sr_int(s, "week_start_dow"), 3);
	cr_assert_str_eq(sr_str(s, "rounding"), "nearest");
	cr_assert_float_eq(sr_num(s, "default_weekly_hours"), 37.5, 1e-9);
	cr_assert_eq(sr_int(s, "default_hourly_rate"), 5000);
	cr_assert_str_eq(sr_str(s, "timezone"), "UTC");
	/* Every field not given keeps its value. */
	static const char *const untouched[] = { "runaway_timer_hours", "auto_submit_dow", "reminder_min_daily_hours",
						 "reminder_min_weekly_hours", "rounding_minutes", "default_currency", NULL };
	for (const char *const *k = untouched; *k; k++)
		cr_assert(json_equal(json_object_get(s, *k), json_object_get(before, *k)), "'%s' must not change", *k);
	/* GET agrees with the PATCH answer. */
	json_t *again = sr_settings(w.member_tok);
	json_object_del(again, "updated_at");
	json_t *s_cmp = json_deep_copy(s);
	json_object_del(s_cmp, "updated_at");
	cr_assert(json_equal(again, s_cmp), "GET after PATCH must show the patched settings");

	/* One audit row by the admin, with from/to of exactly the changed fields. */
	cr_assert_eq(sr_audit_count(&w, "time_settings.updated"), 1);
	PGresult *r = harness_sql("SELECT changes::text, user_id, entity_type, entity_id FROM audit_log"
				  " WHERE workspace_id = $1 AND action = 'time_settings.updated'",
				  1, w.ws);
	json_t *changes = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
	cr_assert_str_eq(PQgetvalue(r, 0, 1), w.admin);
	cr_assert_str_eq(PQgetvalue(r, 0, 2), "time_tracking_settings");
	cr_assert_str_eq(PQgetvalue(r, 0, 3), w.ws);
	PQclear(r);
	cr_assert(json_is_object(changes));
	cr_assert_eq(json_object_size(changes), 4, "only the 4 changed fields are in the diff");
	cr_assert_eq(sr_int(json_object_get(changes, "week_start_dow"), "from"), 1);
	cr_assert_eq(sr_int(json_object_get(changes, "week_start_dow"), "to"), 3);
	cr_assert_str_eq(sr_str(json_object_get(changes, "rounding"), "from"), "none");
	cr_assert_str_eq(sr_str(json_object_get(changes, "rounding"), "to"), "nearest");
	cr_assert_float_eq(sr_num(json_object_get(changes, "default_weekly_hours"), "from"), 40.0, 1e-9);
	cr_assert_float_eq(sr_num(json_object_get(changes, "default_weekly_hours"), "to"), 37.5, 1e-9);
	cr_assert_eq(sr_int(json_object_get(changes, "default_hourly_rate"), "from"), 0);
	cr_assert_eq(sr_int(json_object_get(changes, "default_hourly_rate"), "to"), 5000);
	cr_assert_null(json_object_get(changes, "timezone"), "an unchanged field is not in the diff");
	json_decref(changes);
	json_decref(s_cmp);
	json_decref(again);
	json_decref(s);
	json_decref(before);
	harness_workspace_free(&w);
}

Test(settings, members_and_managers_cannot_patch)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	const char *toks[] = { w.member_tok, w.manager_tok };
	for (size_t i = 0; i < sizeof toks / sizeof toks[0]; i++)
		sr_refused(403, "forbidden", NULL, toks[i], "PATCH", "{\"week_start_dow\":0,\"default_hourly_rate\":1}",
			   SR_SETTINGS);
	sr_refused(401, "unauthorized", NULL, NULL, "PATCH", "{\"week_start_dow\":0}", SR_SETTINGS);
	json_t *s = sr_settings(w.admin_tok);
	cr_assert_eq(sr_int(s, "week_start_dow"), 1, "a refused PATCH changes nothing");
	cr_assert_eq(sr_int(s, "default_hourly_rate"), 0);
	cr_assert_eq(sr_audit_count(&w, "time_settings.updated"), 0);
	json_decref(s);
	harness_workspace_free(&w);
}

/* One setting and a JSON value for it. */
typedef struct {
	const char *field, *value;
} sr_setting_case;

static const sr_setting_case SR_INVALID_SETTINGS[] = {
	{ "week_start_dow", "7" },
	{ "week_start_dow", "-1" },
	{ "week_start_dow", "1.5" },
	{ "week_start_dow", "\"1\"" },
	{ "week_start_dow", "true" },
	{ "week_start_dow", "null" },
	{ "timezone", "\"Mars/Olympus_Mons\"" },
	{ "timezone", "\"\"" },
	{ "timezone", "\"UTC; DROP TABLE users\"" },
	{ "timezone", "5" },
	{ "timezone", "null" },
	{ "default_weekly_hours", "-1" },
	{ "default_weekly_hours", "168.5" },
	{ "default_weekly_hours", "\"40\"" },
	{ "default_weekly_hours", "null" },
	{ "runaway_timer_hours", "0" },
	{ "runaway_timer_hours", "-2" },
	{ "runaway_timer_hours", "168.01" },
	{ "runaway_timer_hours", "null" },
	{ "auto_submit_dow", "7" },
	{ "auto_submit_dow", "-1" },
	{ "auto_submit_dow", "2.5" },
	{ "auto_submit_dow", "\"friday\"" },
	{ "reminder_min_daily_hours", "-0.5" },
	{ "reminder_min_daily_hours", "24.5" },
	{ "reminder_min_daily_hours", "\"8\"" },
	{ "reminder_min_weekly_hours", "-1" },
	{ "reminder_min_weekly_hours", "169" },
	{ "reminder_min_weekly_hours", "false" },
	{ "rounding", "\"sideways\"" },
	{ "rounding", "\"NONE\"" },
	{ "rounding", "\"\"" },
	{ "rounding", "1" },
	{ "rounding", "null" },
	{ "rounding_minutes", "0" },
	{ "rounding_minutes", "61" },
	{ "rounding_minutes", "7.5" },
	{ "rounding_minutes", "\"15\"" },
	{ "rounding_minutes", "null" },
	{ "default_currency", "\"usd\"" },
	{ "default_currency", "\"EURO\"" },
	{ "default_currency", "\"EU\"" },
	{ "default_currency", "\"E1R\"" },
	{ "default_currency", "978" },
	{ "default_currency", "null" },
	{ "default_hourly_rate", "-1" },
	{ "default_hourly_rate", "12.5" },
	{ "default_hourly_rate", "\"5000\"" },
	{ "default_hourly_rate", "null" },
};

Test(settings, every_invalid_value_is_refused_naming_the_field)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	json_t *before = sr_settings(w.admin_tok);
	char body[256], quoted[80];
	for (size_t i = 0; i < sizeof SR_INVALID_SETTINGS / sizeof SR_INVALID_SETTINGS[0]; i++) {
		const sr_setting_case *c = &SR_INVALID_SETTINGS[i];
		snprintf(body, sizeof body, "{\"%s\":%s}", c->field, c->value);
		snprintf(quoted, sizeof quoted, "'%s'", c->field);
		sr_refused(422, "validation_failed", quoted, w.admin_tok, "PATCH", body, SR_SETTINGS);
	}
	/* A valid field next to an invalid one is not applied either. */
	sr_refused(422, "validation_failed", "'rounding_minutes'", w.admin_tok, "PATCH",
		   "{\"week_start_dow\":3,\"rounding_minutes\":0}", SR_SETTINGS);
	json_t *after = sr_settings(w.admin_tok);
	cr_assert(json_equal(after, before), "refused PATCHes change nothing");
	cr_assert_eq(sr_audit_count(&w, "time_settings.updated"), 0, "refused PATCHes audit nothing");
	json_decref(after);
	json_decref(before);
	harness_workspace_free(&w);
}

Test(settings, boundary_values_are_accepted)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	static const sr_setting_case valid[] = {
		{ "week_start_dow", "0" },	       { "week_start_dow", "6" },
		{ "timezone", "\"Europe/Berlin\"" },    { "timezone", "\"America/Argentina/Buenos_Aires\"" },
		{ "default_weekly_hours", "0" },       { "default_weekly_hours", "168" },
		{ "runaway_timer_hours", "0.25" },     { "runaway_timer_hours", "168" },
		{ "auto_submit_dow", "0" },	       { "auto_submit_dow", "6" },
		{ "reminder_min_daily_hours", "0" },   { "reminder_min_daily_hours", "24" },
		{ "reminder_min_weekly_hours", "0" },  { "reminder_min_weekly_hours", "168" },
		{ "rounding", "\"up\"" },	       { "rounding", "\"down\"" },
		{ "rounding", "\"nearest\"" },	       { "rounding", "\"none\"" },
		{ "rounding_minutes", "1" },	       { "rounding_minutes", "60" },
		{ "default_currency", "\"EUR\"" },     { "default_hourly_rate", "0" },
		{ "default_hourly_rate", "1250000" },
	};
	char body[256];
	for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
		snprintf(body, sizeof body, "{\"%s\":%s}", valid[i].field, valid[i].value);
		json_t *s = sr_patch_settings(&w, body);
		json_t *want = json_loads(valid[i].value, JSON_DECODE_ANY, NULL);
		json_t *got = json_object_get(s, valid[i].field);
		if (json_is_number(want))
			cr_assert(json_is_number(got) && json_number_value(got) == json_number_value(want),
				  "%s: the answer must echo the value", body);
		else
			cr_assert(json_equal(got, want), "%s: the answer must echo the value", body);
		json_decref(want);
		json_decref(s);
	}
	harness_workspace_free(&w);
}

Test(settings, unknown_settings_are_refused_by_name)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	static const char *const bodies[] = {
		"{\"colour\":\"red\"}",
		"{\"week_start_dow\":2,\"colour\":\"red\"}",
		"{\"workspace_id\":\"ws_other\"}",
		"{\"updated_at\":\"2026-01-01T00:00:00Z\"}",
		"{\"rounding_mode\":\"up\"}", /* the column's name, not the setting's */
	};
	static const char *const named[] = { "colour", "colour", "workspace_id", "updated_at", "rounding_mode" };
	for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++)
		sr_refused(422, "validation_failed", named[i], w.admin_tok, "PATCH", bodies[i], SR_SETTINGS);
	json_t *s = sr_settings(w.admin_tok);
	cr_assert_eq(sr_int(s, "week_start_dow"), 1, "a refused PATCH applies none of its fields");
	cr_assert_str_eq(sr_str(s, "workspace_id"), w.ws);
	cr_assert_eq(sr_audit_count(&w, "time_settings.updated"), 0);
	json_decref(s);
	harness_workspace_free(&w);
}

Test(settings, nullable_settings_take_null_and_back)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	static const char *const nullable[] = { "auto_submit_dow", "reminder_min_daily_hours", "reminder_min_weekly_hours" };
	json_t *s = sr_patch_settings(&w, "{\"auto_submit_dow\":5,\"reminder_min_daily_hours\":6.5,"
					  "\"reminder_min_weekly_hours\":30}");
	cr_assert_eq(sr_int(s, "auto_submit_dow"), 5);
	cr_assert_float_eq(sr_num(s, "reminder_min_daily_hours"), 6.5, 1e-9);
	cr_assert_float_eq(sr_num(s, "reminder_min_weekly_hours"), 30.0, 1e-9);
	json_decref(s);
	s = sr_patch_settings(&w, "{\"auto_submit_dow\":null,\"reminder_min_daily_hours\":null,"
				  "\"reminder_min_weekly_hours\":null}");
	for (size_t i = 0; i < sizeof nullable / sizeof nullable[0]; i++)
		cr_assert(json_is_null(json_object_get(s, nullable[i])), "'%s' must be null after PATCH null", nullable[i]);
	json_decref(s);
	s = sr_settings(w.admin_tok);
	for (size_t i = 0; i < sizeof nullable / sizeof nullable[0]; i++)
		cr_assert(json_is_null(json_object_get(s, nullable[i])), "GET: '%s' must stay null", nullable[i]);
	json_decref(s);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_tracking_settings WHERE workspace_id = $1"
				      " AND auto_submit_dow IS NULL AND reminder_min_daily_hours IS NULL"
				      " AND reminder_min_weekly_hours IS NULL",
				      1, w.ws),
		     1, "the columns are SQL NULL");
	/* The second PATCH's audit row records the values going to null. */
	PGresult *r = harness_sql("SELECT changes::text FROM audit_log WHERE workspace_id = $1"
				  " AND action = 'time_settings.updated' ORDER BY created_at DESC LIMIT 1",
				  1, w.ws);
	json_t *changes = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
	PQclear(r);
	cr_assert_eq(sr_int(json_object_get(changes, "auto_submit_dow"), "from"), 5);
	cr_assert(json_is_null(json_object_get(json_object_get(changes, "auto_submit_dow"), "to")));
	json_decref(changes);
	harness_workspace_free(&w);
}

/* An entry on log_date and the period its timesheet must have. */
typedef struct {
	const char *log_date, *period_start, *period_end;
	bool in_first; /* lands in the timesheet created before the change */
} sr_period_case;

Test(settings, changing_the_week_start_never_moves_an_existing_timesheet)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	const char *task = harness_demo_id(&w, "tasks", 0);
	/* Monday weeks: Wednesday 2026-03-11 is in 03-09 .. 03-15. */
	json_t *first = sr_entry(w.member_tok, task, "2026-03-11");
	char first_ts[64];
	snprintf(first_ts, sizeof first_ts, "%s", sr_str(first, "timesheet_id"));
	json_t *ts = sr_data(200, w.member_tok, "GET", NULL, "/api/v1/timesheets/%s", first_ts);
	cr_assert_str_eq(sr_str(ts, "period_start"), "2026-03-09");
	cr_assert_str_eq(sr_str(ts, "period_end"), "2026-03-15");
	json_decref(ts);

	json_t *s = sr_patch_settings(&w, "{\"week_start_dow\":0}"); /* Sunday weeks from now on */
	json_decref(s);

	static const sr_period_case cases[] = {
		{ "2026-03-11", "2026-03-09", "2026-03-15", true },  /* the same day again */
		{ "2026-03-15", "2026-03-09", "2026-03-15", true },  /* a Sunday still in the old period */
		{ "2026-03-17", "2026-03-16", "2026-03-21", false }, /* Sunday week 03-15.., clipped after the old one */
		{ "2026-03-25", "2026-03-22", "2026-03-28", false }, /* a whole Sunday week */
		{ "2026-03-04", "2026-03-01", "2026-03-07", false }, /* Sunday week 03-01.., clipped before the old one */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *e = sr_entry(w.member_tok, task, cases[i].log_date);
		if (cases[i].in_first)
			cr_assert_str_eq(sr_str(e, "timesheet_id"), first_ts, "%s belongs to the existing timesheet",
					 cases[i].log_date);
		else
			cr_assert_str_neq(sr_str(e, "timesheet_id"), first_ts);
		ts = sr_data(200, w.member_tok, "GET", NULL, "/api/v1/timesheets/%s", sr_str(e, "timesheet_id"));
		cr_assert_str_eq(sr_str(ts, "period_start"), cases[i].period_start, "%s: period_start", cases[i].log_date);
		cr_assert_str_eq(sr_str(ts, "period_end"), cases[i].period_end, "%s: period_end", cases[i].log_date);
		json_decref(ts);
		json_decref(e);
	}
	/* The old row itself is untouched in the database. */
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM timesheets WHERE id = $1 AND period_start = '2026-03-09'"
				      " AND period_end = '2026-03-15'",
				      1, first_ts),
		     1);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM timesheets WHERE workspace_id = $1 AND user_id = $2", 2, w.ws,
				      w.member),
		     4, "one old and three new periods");
	json_decref(first);
	harness_workspace_free(&w);
}

Test(settings, a_timer_is_logged_on_today_in_the_workspace_time_zone)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	/* +14 and -11 are 25 hours apart: at any moment at least one of them is
	 * on another calendar day than UTC. */
	char tz[64];
	sr_sql_text(tz, sizeof tz,
		    "SELECT tz FROM unnest(ARRAY['Pacific/Kiritimati', 'Pacific/Pago_Pago']) AS tz"
		    " WHERE (now() AT TIME ZONE tz)::date <> (now() AT TIME ZONE 'UTC')::date LIMIT 1",
		    0, NULL, NULL);
	char body[128];
	snprintf(body, sizeof body, "{\"timezone\":\"%s\"}", tz);
	json_t *s = sr_patch_settings(&w, body);
	cr_assert_str_eq(sr_str(s, "timezone"), tz);
	json_decref(s);

	static const char *const day_sql = "SELECT (now() AT TIME ZONE $1)::date::text";
	char local_before[11], utc_before[11], local_after[11], utc_after[11];
	sr_sql_text(local_before, sizeof local_before, day_sql, 1, tz, NULL);
	sr_sql_text(utc_before, sizeof utc_before, day_sql, 1, "UTC", NULL);
	snprintf(body, sizeof body, "{\"entity_type\":\"task\",\"entity_id\":\"%s\"}", harness_demo_id(&w, "tasks", 0));
	json_t *e = sr_data(201, w.member_tok, "POST", body, "/api/v1/time/timer/start");
	sr_sql_text(local_after, sizeof local_after, day_sql, 1, tz, NULL);
	sr_sql_text(utc_after, sizeof utc_after, day_sql, 1, "UTC", NULL);

	const char *log_date = sr_str(e, "log_date");
	cr_assert(!strcmp(log_date, local_before) || !strcmp(log_date, local_after),
		  "a timer started in %s is logged on the local date %s, not %s", tz, local_before, log_date);
	/* started_at is UTC: its date part is the other day. */
	const char *started = sr_str(e, "started_at");
	if (!strcmp(local_before, local_after) && !strcmp(utc_before, utc_after)) {
		cr_assert_str_neq(log_date, utc_before, "the UTC date must not be used in %s", tz);
		cr_assert(!strncmp(started, utc_before, 10), "started_at %s is on the UTC date %s", started, utc_before);
	}
	/* The period containing the local date holds the entry. */
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM timesheets t JOIN time_entries e ON e.timesheet_id = t.id"
				      " WHERE e.id = $1 AND e.log_date BETWEEN t.period_start AND t.period_end",
				      1, sr_str(e, "id")),
		     1);
	json_decref(e);
	harness_workspace_free(&w);
}

/* ======================================================================= */
/* Rates                                                                    */
/* ======================================================================= */

/* A rate target: which of user / project / task it names. */
typedef struct {
	const char *what;
	bool user, project, task;
	long rate;
} sr_target_case;

static const sr_target_case SR_TARGETS[] = {
	{ "user", true, false, false, 7000 },
	{ "project", false, true, false, 9000 },
	{ "user on project", true, true, false, 11000 },
	{ "entity", false, false, true, 13000 },
};
enum { SR_NTARGETS = sizeof SR_TARGETS / sizeof SR_TARGETS[0] };

static void sr_assert_target(json_t *rate, const sr_target_case *t, const sr_ids *ids)
{
	cr_assert_str_eq(sr_str(rate, "user_id"), t->user ? ids->member : "", "%s: user_id", t->what);
	cr_assert_str_eq(sr_str(rate, "project_id"), t->project ? ids->project : "", "%s: project_id", t->what);
	cr_assert_str_eq(sr_str(rate, "entity_type"), t->task ? "task" : "", "%s: entity_type", t->what);
	cr_assert_str_eq(sr_str(rate, "entity_id"), t->task ? ids->task : "", "%s: entity_id", t->what);
}

Test(rates, create_each_target_update_by_id_list_and_delete)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	sr_ids ids;
	sr_ids_of(&w, NULL, &ids);
	char rid[SR_NTARGETS][64];
	for (size_t i = 0; i < SR_NTARGETS; i++) {
		const sr_target_case *t = &SR_TARGETS[i];
		json_t *r = sr_upsert_rate(&w, 201, NULL, t->user ? ids.member : NULL, t->project ? ids.project : NULL,
					   t->task ? ids.task : NULL, t->rate, NULL, NULL);
		cr_assert(!strncmp(sr_str(r, "id"), "rate_", 5), "rate ids start with rate_: %s", sr_str(r, "id"));
		cr_assert_str_eq(sr_str(r, "workspace_id"), w.ws);
		sr_assert_target(r, t, &ids);
		cr_assert_str_eq(sr_str(r, "currency"), "USD", "%s: the default currency", t->what);
		cr_assert_str_eq(sr_str(r, "effective_from"), "1970-01-01", "%s: in force since always", t->what);
		snprintf(rid[i], sizeof rid[i], "%s", sr_str(r, "id"));
		json_decref(r);
	}
	/* Update by id: 200, the same id, the new values. */
	json_t *u = sr_upsert_rate(&w, 200, rid[1], NULL, ids.project, NULL, 9500, "EUR", "2026-01-01");
	cr_assert_str_eq(sr_str(u, "id"), rid[1]);
	sr_assert_target(u, &SR_TARGETS[1], &ids);
	cr_assert_str_eq(sr_str(u, "currency"), "EUR");
	cr_assert_str_eq(sr_str(u, "effective_from"), "2026-01-01");
	json_decref(u);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_rate_overrides WHERE workspace_id = $1", 1, w.ws),
		     SR_NTARGETS, "an update creates no row");
	/* An unknown id is not created silently. */
	char *ghost = sr_rate_body("rate_doesnotexist", NULL, ids.project, NULL, 1, NULL, NULL);
	sr_refused(404, "not_found", NULL, w.admin_tok, "POST", ghost, SR_RATES);
	free(ghost);

	/* The list, in creation order, with the update applied. */
	json_t *list = sr_data(200, w.admin_tok, "GET", NULL, SR_RATES);
	cr_assert(json_is_array(list));
	cr_assert_eq(json_array_size(list), SR_NTARGETS);
	for (size_t i = 0; i < SR_NTARGETS; i++) {
		json_t *r = json_array_get(list, i);
		cr_assert_str_eq(sr_str(r, "id"), rid[i], "list order is creation order");
		sr_assert_target(r, &SR_TARGETS[i], &ids);
		cr_assert_eq(sr_int(r, "hourly_rate"), i == 1 ? 9500 : SR_TARGETS[i].rate);
	}
	json_decref(list);

	/* Delete answers the deleted rate; a second delete is 404. */
	json_t *d = sr_data(200, w.admin_tok, "DELETE", NULL, SR_RATES "/%s", rid[0]);
	cr_assert_str_eq(sr_str(d, "id"), rid[0]);
	cr_assert_eq(sr_int(d, "hourly_rate"), 7000);
	json_decref(d);
	sr_refused(404, "not_found", NULL, w.admin_tok, "DELETE", NULL, SR_RATES "/%s", rid[0]);
	list = sr_data(200, w.admin_tok, "GET", NULL, SR_RATES);
	cr_assert_eq(json_array_size(list), SR_NTARGETS - 1);
	for (size_t i = 0; i < json_array_size(list); i++)
		cr_assert_str_neq(sr_str(json_array_get(list, i), "id"), rid[0], "the deleted rate is gone from the list");
	json_decref(list);

	/* Audit: one upsert per create and update, one delete. */
	cr_assert_eq(sr_audit_count(&w, "time_entry.rate_override.upserted"), SR_NTARGETS + 1);
	cr_assert_eq(sr_audit_count(&w, "time_entry.rate_override.deleted"), 1);
	PGresult *r = harness_sql("SELECT changes::text, user_id, entity_type FROM audit_log WHERE workspace_id = $1"
				  " AND action = 'time_entry.rate_override.upserted' AND entity_id = $2"
				  " ORDER BY created_at DESC LIMIT 1",
				  2, w.ws, rid[1]);
	cr_assert_eq(PQntuples(r), 1);
	json_t *changes = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
	cr_assert_str_eq(PQgetvalue(r, 0, 1), w.admin);
	cr_assert_str_eq(PQgetvalue(r, 0, 2), "time_rate_override");
	PQclear(r);
	cr_assert_eq(sr_int(json_object_get(changes, "hourly_rate"), "from"), 9000);
	cr_assert_eq(sr_int(json_object_get(changes, "hourly_rate"), "to"), 9500);
	cr_assert_str_eq(sr_str(json_object_get(changes, "currency"), "to"), "EUR");
	cr_assert_null(json_object_get(changes, "project_id"), "the unchanged target is not in the diff");
	json_decref(changes);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM audit_log WHERE workspace_id = $1 AND entity_id = $2"
				      " AND action = 'time_entry.rate_override.deleted'",
				      2, w.ws, rid[0]),
		     1);
	harness_workspace_free(&w);
}

Test(rates, only_admins_write_rates)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char id[64], body[256];
	sr_create_rate(&w, NULL, harness_demo_id(&w, "projects", 0), NULL, 9000, NULL, NULL, id);
	snprintf(body, sizeof body, "{\"project_id\":\"%s\",\"hourly_rate\":1,\"effective_from\":\"2026-01-01\"}",
		 harness_demo_id(&w, "projects", 0));
	char upd[256];
	snprintf(upd, sizeof upd, "{\"id\":\"%s\",\"project_id\":\"%s\",\"hourly_rate\":1}", id,
		 harness_demo_id(&w, "projects", 0));
	const char *toks[] = { w.member_tok, w.manager_tok };
	for (size_t i = 0; i < sizeof toks / sizeof toks[0]; i++) {
		sr_refused(403, "forbidden", NULL, toks[i], "POST", body, SR_RATES);
		sr_refused(403, "forbidden", NULL, toks[i], "POST", upd, SR_RATES);
		sr_refused(403, "forbidden", NULL, toks[i], "DELETE", NULL, SR_RATES "/%s", id);
	}
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_rate_overrides WHERE workspace_id = $1 AND id = $2"
				      " AND hourly_rate = 9000",
				      2, w.ws, id),
		     1, "refused writes change nothing");
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_rate_overrides WHERE workspace_id = $1", 1, w.ws), 1);
	cr_assert_eq(sr_audit_count(&w, "time_entry.rate_override.upserted"), 1);
	cr_assert_eq(sr_audit_count(&w, "time_entry.rate_override.deleted"), 0);
	harness_workspace_free(&w);
}

/* Rates are an admin matter (README: "Rates (admins)"): other roles do not read
 * every colleague's billing rate either. */
Test(rates, only_admins_list_rates)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char id[64];
	sr_create_rate(&w, w.member2, NULL, NULL, 7000, NULL, NULL, id);
	const char *toks[] = { w.member_tok, w.manager_tok };
	long status[2];
	char code[2][32];
	for (size_t i = 0; i < 2; i++) {
		harness_response r = harness_request("GET", SR_RATES, toks[i], NULL, NULL);
		status[i] = r.status;
		snprintf(code[i], sizeof code[i], "%s", harness_error_code(&r) ? harness_error_code(&r) : "(none)");
		harness_response_free(&r);
	}
	harness_workspace_free(&w); /* before asserting: nothing leaks when it fails */
	for (size_t i = 0; i < 2; i++) {
		cr_expect_eq(status[i], 403, "GET %s as %s: expected 403, got %ld", SR_RATES, i ? "manager" : "member",
			     status[i]);
		cr_expect_str_eq(code[i], "forbidden");
	}
}

/* A refused rate body and the status/code it must get. */
typedef struct {
	const char *body;
	long status;
	const char *code;
	const char *contains; /* in the error message, or NULL */
} sr_refusal_case;

static const sr_refusal_case SR_RATE_REFUSALS[] = {
	/* targets */
	{ "{\"hourly_rate\":5000}", 422, "validation_failed", "target" },
	{ "{\"hourly_rate\":5000,\"currency\":\"EUR\",\"effective_from\":\"2026-01-01\"}", 422, "validation_failed", NULL },
	{ "{\"entity_type\":\"task\",\"entity_id\":\"{task}\",\"user_id\":\"{member}\",\"hourly_rate\":5000}", 422,
	  "validation_failed", NULL },
	{ "{\"entity_type\":\"task\",\"entity_id\":\"{task}\",\"project_id\":\"{project}\",\"hourly_rate\":5000}", 422,
	  "validation_failed", NULL },
	{ "{\"entity_type\":\"task\",\"hourly_rate\":5000}", 422, "validation_failed", NULL },
	{ "{\"project_id\":\"{project}\",\"entity_type\":\"task\",\"hourly_rate\":5000}", 422, "validation_failed",
	  "entity_id" },
	{ "{\"entity_id\":\"{task}\",\"hourly_rate\":5000}", 422, "validation_failed", "entity_type" },
	{ "{\"entity_type\":\"spaceship\",\"entity_id\":\"{task}\",\"hourly_rate\":5000}", 422, "validation_failed",
	  "entity_type" },
	/* the rate */
	{ "{\"project_id\":\"{project}\"}", 422, "validation_failed", "hourly_rate" },
	{ "{\"project_id\":\"{project}\",\"hourly_rate\":-1}", 422, "validation_failed", "hourly_rate" },
	{ "{\"project_id\":\"{project}\",\"hourly_rate\":120.5}", 422, "validation_failed", "hourly_rate" },
	{ "{\"project_id\":\"{project}\",\"hourly_rate\":\"12000\"}", 422, "validation_failed", "hourly_rate" },
	{ "{\"project_id\":\"{project}\",\"hourly_rate\":null}", 422, "validation_failed", "hourly_rate" },
	/* the currency and the date */
	{ "{\"project_id\":\"{project}\",\"hourly_rate\":5000,\"currency\":\"eur\"}", 422, "validation_failed", "currency" },
	{ "{\"project_id\":\"{project}\",\"hourly_rate\":5000,\"currency\":\"EURO\"}", 422, "validation_failed",
	  "currency" },
	{ "{\"project_id\":\"{project}\",\"hourly_rate\":5000,\"currency\":\"E1\"}", 422, "validation_failed", "currency" },
	{ "{\"project_id\":\"{project}\",\"hourly_rate\":5000,\"currency\":978}", 422, "validation_failed", "currency" },
	{ "{\"project_id\":\"{project}\",\"hourly_rate\":5000,\"effective_from\":\"2026-02-30\"}", 422,
	  "validation_failed", "effective_from" },
	{ "{\"project_id\":\"{project}\",\"hourly_rate\":5000,\"colour\":\"red\"}", 422, "validation_failed", "colour" },
	/* targets that are not in this workspace */
	{ "{\"user_id\":\"{other_user}\",\"hourly_rate\":5000}", 422, "validation_failed", "user_id" },
	{ "{\"project_id\":\"{other_project}\",\"hourly_rate\":5000}", 422, "validation_failed", "project_id" },
	{ "{\"user_id\":\"{member}\",\"project_id\":\"{other_project}\",\"hourly_rate\":5000}", 422, "validation_failed",
	  "project_id" },
	{ "{\"entity_type\":\"task\",\"entity_id\":\"{other_task}\",\"hourly_rate\":5000}", 422, "validation_failed",
	  "entity_id" },
	{ "{\"user_id\":\"usr_doesnotexist\",\"hourly_rate\":5000}", 422, "validation_failed", "user_id" },
	{ "{\"project_id\":\"prj_doesnotexist\",\"hourly_rate\":5000}", 422, "validation_failed", "project_id" },
	{ "{\"entity_type\":\"task\",\"entity_id\":\"tsk_doesnotexist\",\"hourly_rate\":5000}", 422, "validation_failed",
	  "entity_id" },
	/* not an object */
	{ "[1,2]", 400, "invalid_body", NULL },
};

Test(rates, refusals_write_nothing)
{
	harness_ws w, other;
	harness_workspace(&w, "free", NULL);
	harness_workspace(&other, "free", NULL);
	sr_ids ids;
	sr_ids_of(&w, &other, &ids);
	for (size_t i = 0; i < sizeof SR_RATE_REFUSALS / sizeof SR_RATE_REFUSALS[0]; i++) {
		const sr_refusal_case *c = &SR_RATE_REFUSALS[i];
		char *body = sr_expand(c->body, &ids);
		sr_refused(c->status, c->code, c->contains, w.admin_tok, "POST", body, SR_RATES);
		free(body);
	}
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_rate_overrides WHERE workspace_id = $1", 1, w.ws), 0,
		     "no refused rate was written");
	cr_assert_eq(sr_audit_count(&w, "time_entry.rate_override.upserted"), 0);

	/* Another workspace's rate is not found here, neither to update nor to delete. */
	char theirs[64];
	sr_create_rate(&other, NULL, ids.other_project, NULL, 4200, NULL, NULL, theirs);
	char *upd = sr_rate_body(theirs, NULL, ids.project, NULL, 1, NULL, NULL);
	sr_refused(404, "not_found", NULL, w.admin_tok, "POST", upd, SR_RATES);
	free(upd);
	sr_refused(404, "not_found", NULL, w.admin_tok, "DELETE", NULL, SR_RATES "/%s", theirs);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_rate_overrides WHERE id = $1 AND hourly_rate = 4200"
				      " AND workspace_id = $2",
				      2, theirs, other.ws),
		     1, "the other workspace's rate is untouched");
	json_t *list = sr_data(200, w.admin_tok, "GET", NULL, SR_RATES);
	cr_assert_eq(json_array_size(list), 0, "another workspace's rates are not listed");
	json_decref(list);
	harness_workspace_free(&other);
	harness_workspace_free(&w);
}

Test(rates, same_target_and_effective_date_is_a_conflict)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	const char *project = harness_demo_id(&w, "projects", 0);
	char a[64], b[64], c[64];
	sr_create_rate(&w, NULL, project, NULL, 9000, NULL, "2026-01-01", a);
	sr_create_rate(&w, NULL, project, NULL, 9500, NULL, "2026-03-01", b);
	sr_create_rate(&w, w.member, project, NULL, 9000, NULL, "2026-01-01", c); /* another target: fine */
	char *dup = sr_rate_body(NULL, NULL, project, NULL, 1, "EUR", "2026-01-01");
	sr_refused(409, "conflict", NULL, w.admin_tok, "POST", dup, SR_RATES);
	free(dup);
	/* Without effective_from both default to the same date. */
	char d[64];
	sr_create_rate(&w, w.member, NULL, NULL, 7000, NULL, NULL, d);
	dup = sr_rate_body(NULL, w.member, NULL, NULL, 7100, NULL, NULL);
	sr_refused(409, "conflict", NULL, w.admin_tok, "POST", dup, SR_RATES);
	free(dup);
	/* Moving one rate onto another's date by id is a conflict too. */
	char *move = sr_rate_body(b, NULL, project, NULL, 9500, NULL, "2026-01-01");
	sr_refused(409, "conflict", NULL, w.admin_tok, "POST", move, SR_RATES);
	free(move);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_rate_overrides WHERE workspace_id = $1", 1, w.ws), 4);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_rate_overrides WHERE id = $1 AND effective_from = '2026-03-01'",
				      1, b),
		     1, "the refused move left the rate where it was");
	cr_assert_eq(sr_audit_count(&w, "time_entry.rate_override.upserted"), 4, "conflicts audit nothing");
	harness_workspace_free(&w);
}

/* One step of the resolution ladder: a rate added (or the workspace default)
 * and the rate a new entry then gets. */
typedef struct {
	const char *what;
	bool user, project, task, is_default;
	long rate;
} sr_ladder_step;

/* A probe after the whole ladder: who logs on which task gets what. */
typedef struct {
	const char *what;
	bool member2;
	size_t task; /* demo task index: 0 and 1 are in projects[0], 8 in projects[2] */
	long rate;
} sr_probe;

Test(rates, resolution_order_entity_user_on_project_project_user_default)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	sr_ids ids;
	sr_ids_of(&w, NULL, &ids);
	static const sr_ladder_step ladder[] = {
		{ "workspace default", false, false, false, true, 5000 },
		{ "user", true, false, false, false, 7000 },
		{ "project", false, true, false, false, 9000 },
		{ "user on project", true, true, false, false, 11000 },
		{ "entity", false, false, true, false, 13000 },
	};
	enum { NSTEPS = sizeof ladder / sizeof ladder[0] };
	char entries[NSTEPS][64];
	for (size_t i = 0; i < NSTEPS; i++) {
		const sr_ladder_step *s = &ladder[i];
		if (s->is_default) {
			char body[64];
			snprintf(body, sizeof body, "{\"default_hourly_rate\":%ld}", s->rate);
			json_decref(sr_patch_settings(&w, body));
		} else {
			char id[64];
			sr_create_rate(&w, s->user ? ids.member : NULL, s->project ? ids.project : NULL,
				       s->task ? ids.task : NULL, s->rate, NULL, NULL, id);
		}
		sr_entry_expect(w.member_tok, ids.task, "2026-03-10", s->rate, "USD", s->what, entries[i]);
	}
	/* Every earlier entry kept the rate it was created with. */
	for (size_t i = 0; i < NSTEPS; i++) {
		json_t *e = sr_get_entry(&w, entries[i]);
		sr_assert_rate(e, ladder[i].rate, "USD", ladder[i].what);
		json_decref(e);
	}
	/* With every override in place, each applies exactly where it should. */
	static const sr_probe probes[] = {
		{ "member on the rated task: entity", false, 0, 13000 },
		{ "member2 on the rated task: entity, whoever logs", true, 0, 13000 },
		{ "member on another task of the project: user on project", false, 1, 11000 },
		{ "member2 on another task of the project: project", true, 1, 9000 },
		{ "member on another project: user", false, 8, 7000 },
		{ "member2 on another project: workspace default", true, 8, 5000 },
	};
	for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++)
		sr_entry_expect(probes[i].member2 ? w.member2_tok : w.member_tok, harness_demo_id(&w, "tasks", probes[i].task),
				"2026-03-11", probes[i].rate, "USD", probes[i].what, NULL);
	harness_workspace_free(&w);
}

Test(rates, the_most_recent_effective_date_on_or_before_the_entry_wins)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	const char *project = harness_demo_id(&w, "projects", 0), *task = harness_demo_id(&w, "tasks", 0);
	json_decref(sr_patch_settings(&w, "{\"default_hourly_rate\":5000}"));
	char id[64];
	/* Created out of order on purpose: the date decides, not the insertion. */
	sr_create_rate(&w, NULL, project, NULL, 9500, NULL, "2026-03-01", id);
	sr_create_rate(&w, NULL, project, NULL, 9000, NULL, "2026-01-01", id);
	static const struct {
		const char *log_date;
		long rate;
	} cases[] = {
		{ "2025-12-31", 5000 }, /* before any override: the default */
		{ "2026-01-01", 9000 }, /* the first day in force */
		{ "2026-02-15", 9000 },
		{ "2026-02-28", 9000 },
		{ "2026-03-01", 9500 },
		{ "2026-03-15", 9500 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		sr_entry_expect(w.member_tok, task, cases[i].log_date, cases[i].rate, "USD", cases[i].log_date, NULL);
	harness_workspace_free(&w);
}

Test(rates, an_entry_keeps_its_rate_until_what_it_is_logged_against_changes)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	const char *project = harness_demo_id(&w, "projects", 0), *task = harness_demo_id(&w, "tasks", 0);
	json_decref(sr_patch_settings(&w, "{\"default_hourly_rate\":5000}"));
	char rate_id[64], entry[64];
	sr_create_rate(&w, NULL, project, NULL, 9000, NULL, NULL, rate_id);
	sr_entry_expect(w.member_tok, task, "2026-03-10", 9000, "USD", "created", entry);

	/* The rate changes: the entry does not. */
	json_decref(sr_upsert_rate(&w, 200, rate_id, NULL, project, NULL, 9900, NULL, NULL));
	json_t *e = sr_get_entry(&w, entry);
	sr_assert_rate(e, 9000, "USD", "after the rate changed");
	json_decref(e);

	/* Edits that do not touch what or when keep the snapshot. */
	static const char *const keep[] = { "{\"description\":\"renamed\"}", "{\"hours\":2.5}", "{\"billable\":false}" };
	for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++) {
		e = sr_data(200, w.member_tok, "PATCH", keep[i], SR_ENTRIES "/%s", entry);
		sr_assert_rate(e, 9000, "USD", keep[i]);
		json_decref(e);
	}
	/* A new date re-resolves: today's rate for the project. */
	e = sr_data(200, w.member_tok, "PATCH", "{\"log_date\":\"2026-03-11\"}", SR_ENTRIES "/%s", entry);
	sr_assert_rate(e, 9900, "USD", "after PATCH log_date");
	json_decref(e);
	/* Moving to a task of another project re-resolves to the default. */
	char body[128];
	snprintf(body, sizeof body, "{\"entity_id\":\"%s\"}", harness_demo_id(&w, "tasks", 8));
	e = sr_data(200, w.member_tok, "PATCH", body, SR_ENTRIES "/%s", entry);
	sr_assert_rate(e, 5000, "USD", "after moving to another project");
	json_decref(e);

	/* Deleting the rate does not touch an entry made under it. */
	char other[64];
	sr_entry_expect(w.member_tok, task, "2026-03-12", 9900, "USD", "second entry", other);
	json_decref(sr_data(200, w.admin_tok, "DELETE", NULL, SR_RATES "/%s", rate_id));
	e = sr_get_entry(&w, other);
	sr_assert_rate(e, 9900, "USD", "after the rate was deleted");
	json_decref(e);
	harness_workspace_free(&w);
}

Test(rates, a_rate_in_another_currency_is_carried_onto_the_entry)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	const char *project = harness_demo_id(&w, "projects", 0), *task = harness_demo_id(&w, "tasks", 0);
	json_decref(sr_patch_settings(&w, "{\"default_hourly_rate\":5000}"));
	char id[64];
	sr_create_rate(&w, NULL, project, NULL, 12000, "EUR", NULL, id);
	sr_entry_expect(w.member_tok, task, "2026-03-10", 12000, "EUR", "EUR project rate", NULL);
	/* The default keeps the default currency; a changed default currency is
	 * carried by the default rate and by new rates that name none. */
	sr_entry_expect(w.member_tok, harness_demo_id(&w, "tasks", 8), "2026-03-10", 5000, "USD", "default", NULL);
	json_decref(sr_patch_settings(&w, "{\"default_currency\":\"GBP\"}"));
	sr_entry_expect(w.member_tok, harness_demo_id(&w, "tasks", 8), "2026-03-11", 5000, "GBP", "default in GBP", NULL);
	json_t *r = sr_upsert_rate(&w, 201, NULL, w.member, NULL, NULL, 6000, NULL, NULL);
	cr_assert_str_eq(sr_str(r, "currency"), "GBP", "a rate without currency takes the workspace's");
	json_decref(r);
	sr_entry_expect(w.member_tok, harness_demo_id(&w, "tasks", 8), "2026-03-12", 6000, "GBP", "user rate in GBP", NULL);
	/* The EUR entry stays EUR. */
	sr_entry_expect(w.member_tok, task, "2026-03-13", 12000, "EUR", "EUR project rate again", NULL);
	harness_workspace_free(&w);
}

/* ======================================================================= */
/* Plans                                                                    */
/* ======================================================================= */

Test(plans, pro_features_answer_402_naming_the_plan_on_a_free_workspace)
{
	harness_ws w;
	harness_workspace(&w, "free", "projects,finance");
	const char *invoice = harness_demo_id(&w, "invoices", 0);
	cr_assert(invoice, "the demo has an invoice");
	static const char *const util = "/api/v1/time/reports/utilization?from=2026-03-01&to=2026-03-31";
	const char *toks[] = { w.admin_tok, w.manager_tok };
	for (size_t i = 0; i < sizeof toks / sizeof toks[0]; i++) {
		sr_refused(402, "plan_required", "Pro", toks[i], "GET", NULL, "%s", util);
		sr_refused(402, "plan_required", "Pro", toks[i], "POST", "{\"from\":\"2026-03-01\",\"to\":\"2026-03-31\"}",
			   "/api/v1/invoices/%s/pull-from-time", invoice);
		sr_refused(402, "plan_required", "Pro", toks[i], "POST",
			   "{\"from\":\"2026-03-01\",\"to\":\"2026-03-31\",\"preview\":true}",
			   "/api/v1/invoices/%s/pull-from-time", invoice);
	}
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM invoice_lines WHERE invoice_id = $1", 1, invoice), 0,
		     "a refused pull writes nothing");

	/* The same requests on a Pro workspace are answered. */
	harness_ws pro;
	harness_workspace(&pro, "pro", "projects,finance");
	json_decref(sr_data(200, pro.admin_tok, "GET", NULL, "%s", util));
	json_decref(sr_data(200, pro.admin_tok, "POST", "{\"from\":\"2026-03-01\",\"to\":\"2026-03-31\",\"preview\":true}",
			    "/api/v1/invoices/%s/pull-from-time", harness_demo_id(&pro, "invoices", 0)));
	harness_workspace_free(&pro);
	harness_workspace_free(&w);
}
