#include "core/settings.h"
#include "core/audit.h"
#include "core/tx.h"
#include "store/query.h"
#include "util/utf8.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SETTINGS_JSON                                                                                           \
	"SELECT jsonb_build_object('workspace_id', workspace_id, 'week_start_dow', week_start_dow,"               \
	" 'timezone', timezone, 'default_weekly_hours', default_weekly_hours,"                                    \
	" 'runaway_timer_hours', runaway_timer_hours, 'auto_submit_dow', auto_submit_dow,"                        \
	" 'reminder_min_daily_hours', reminder_min_daily_hours, 'reminder_min_weekly_hours', reminder_min_weekly_hours," \
	" 'rounding', rounding_mode, 'rounding_minutes', rounding_minutes, 'default_currency', default_currency,"  \
	" 'default_hourly_rate', default_hourly_rate, 'allow_self_approval', allow_self_approval,"              \
	" 'updated_at', wt_iso(updated_at))"                                                                     \
	" FROM time_tracking_settings WHERE workspace_id = $1"

/* How each setting is validated and which column it writes. */
typedef enum { SET_DOW, SET_TIMEZONE, SET_HOURS, SET_ROUNDING, SET_MINUTES, SET_CURRENCY, SET_MONEY, SET_BOOL } setting_kind;

static const struct {
	const char *name, *column;
	setting_kind kind;
	bool nullable;
	double min, max; /* for hours: min is exclusive when min_exclusive */
	bool min_exclusive;
} SETTINGS[] = {
	{ "week_start_dow", "week_start_dow", SET_DOW, false, 0, 6, false },
	{ "timezone", "timezone", SET_TIMEZONE, false, 0, 0, false },
	{ "default_weekly_hours", "default_weekly_hours", SET_HOURS, false, 0, 168, false },
	{ "runaway_timer_hours", "runaway_timer_hours", SET_HOURS, false, 0, 168, true },
	{ "auto_submit_dow", "auto_submit_dow", SET_DOW, true, 0, 6, false },
	{ "reminder_min_daily_hours", "reminder_min_daily_hours", SET_HOURS, true, 0, 24, false },
	{ "reminder_min_weekly_hours", "reminder_min_weekly_hours", SET_HOURS, true, 0, 168, false },
	{ "rounding", "rounding_mode", SET_ROUNDING, false, 0, 0, false },
	{ "rounding_minutes", "rounding_minutes", SET_MINUTES, false, 1, 60, false },
	{ "default_currency", "default_currency", SET_CURRENCY, false, 0, 0, false },
	{ "default_hourly_rate", "default_hourly_rate", SET_MONEY, false, 0, 1e12, false },
	{ "allow_self_approval", "allow_self_approval", SET_BOOL, false, 0, 0, false },
};
enum { NSETTINGS = sizeof SETTINGS / sizeof SETTINGS[0] };

static bool ensure_row(core_ctx *c, err_t *err)
{
	return DB_EXEC(c->db, err, "INSERT INTO time_tracking_settings (workspace_id) VALUES ($1) ON CONFLICT DO NOTHING",
		       c->actor->workspace_id);
}

bool settings_calendar(core_ctx *c, int *week_start_dow, char tz[64], err_t *err)
{
	settings_t s;
	if (!settings_load(c, &s, err))
		return false;
	*week_start_dow = s.week_start_dow;
	snprintf(tz, 64, "%s", s.timezone);
	return true;
}

bool settings_today(core_ctx *c, char day[11], err_t *err)
{
	int dow;
	char tz[64];
	if (!settings_calendar(c, &dow, tz, err))
		return false;
	PGresult *r = DB_QUERY(c->db, err, "SELECT (now() AT TIME ZONE $1)::date::text", tz);
	if (!r)
		return false;
	snprintf(day, 11, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return true;
}

bool settings_load(core_ctx *c, settings_t *s, err_t *err)
{
	memset(s, 0, sizeof *s);
	s->week_start_dow = 1;
	snprintf(s->timezone, sizeof s->timezone, "UTC");
	s->rounding_minutes = 15;
	snprintf(s->currency, sizeof s->currency, "USD");
	s->default_weekly_hours = 40;
	s->runaway_timer_hours = 12;
	s->auto_submit_dow = -1;
	s->reminder_min_daily_hours = -1;
	s->reminder_min_weekly_hours = -1;
	s->allow_self_approval = false;
	PGresult *r = DB_QUERY(c->db, err,
			       "SELECT week_start_dow, timezone, rounding_mode, rounding_minutes, default_currency,"
			       " default_hourly_rate, default_weekly_hours, runaway_timer_hours, auto_submit_dow,"
			       " reminder_min_daily_hours, reminder_min_weekly_hours, allow_self_approval"
			       " FROM time_tracking_settings WHERE workspace_id = $1",
			       c->actor->workspace_id);
	if (!r)
		return false;
	if (PQntuples(r) == 1) {
		s->week_start_dow = atoi(PQgetvalue(r, 0, 0));
		snprintf(s->timezone, sizeof s->timezone, "%s", PQgetvalue(r, 0, 1));
		rounding_parse(PQgetvalue(r, 0, 2), &s->rounding);
		s->rounding_minutes = atoi(PQgetvalue(r, 0, 3));
		snprintf(s->currency, sizeof s->currency, "%s", PQgetvalue(r, 0, 4));
		s->default_hourly_rate = atol(PQgetvalue(r, 0, 5));
		s->default_weekly_hours = atof(PQgetvalue(r, 0, 6));
		s->runaway_timer_hours = atof(PQgetvalue(r, 0, 7));
		s->auto_submit_dow = PQgetisnull(r, 0, 8) ? -1 : atoi(PQgetvalue(r, 0, 8));
		s->reminder_min_daily_hours = PQgetisnull(r, 0, 9) ? -1 : atof(PQgetvalue(r, 0, 9));
		s->reminder_min_weekly_hours = PQgetisnull(r, 0, 10) ? -1 : atof(PQgetvalue(r, 0, 10));
		s->allow_self_approval = PQgetvalue(r, 0, 11)[0] == 't';
	}
	PQclear(r);
	return true;
}

json_t *settings_get(core_ctx *c, err_t *err)
{
	if (!ensure_row(c, err))
		return NULL;
	return DB_QUERY_JSON(c->db, err, SETTINGS_JSON, c->actor->workspace_id);
}

static bool valid_timezone(core_ctx *c, const char *tz, err_t *err)
{
	PGresult *r = DB_QUERY(c->db, err, "SELECT 1 FROM pg_timezone_names WHERE name = $1", tz);
	if (!r)
		return false;
	int n = PQntuples(r);
	PQclear(r);
	return n > 0 ? true
		     : err_set_param(err, ERR_CODE_VALIDATION_FAILED, "timezone", "'timezone' must be an IANA time zone such as Europe/Berlin");
}

/* Validates one setting's value and renders it as SQL parameter text (in arena-free storage out). */
static bool setting_value(core_ctx *c, int i, json_t *v, char out[64], err_t *err)
{
	const char *name = SETTINGS[i].name;
	if (json_is_null(v)) {
		if (!SETTINGS[i].nullable)
			return err_set_param(err, ERR_CODE_VALIDATION_FAILED, name, "'%s' cannot be null", name);
		out[0] = '\0';
		return true;
	}
	switch (SETTINGS[i].kind) {
	case SET_DOW:
	case SET_MINUTES:
	case SET_MONEY:
		if (!json_is_integer(v) || json_integer_value(v) < SETTINGS[i].min || json_integer_value(v) > SETTINGS[i].max)
			return err_set(err, ERR_CODE_VALIDATION_FAILED, "'%s' must be a whole number from %.0f to %.0f",
				       name, SETTINGS[i].min, SETTINGS[i].max);
		snprintf(out, 64, "%lld", (long long)json_integer_value(v));
		return true;
	case SET_HOURS: {
		double h = json_number_value(v);
		if (!json_is_number(v) || !isfinite(h) || h > SETTINGS[i].max || h < SETTINGS[i].min ||
		    (SETTINGS[i].min_exclusive && h <= SETTINGS[i].min))
			return err_set(err, ERR_CODE_VALIDATION_FAILED, "'%s' must be a number of hours from %s%.0f to %.0f",
				       name, SETTINGS[i].min_exclusive ? "more than " : "", SETTINGS[i].min, SETTINGS[i].max);
		snprintf(out, 64, "%.2f", h);
		return true;
	}
	case SET_TIMEZONE:
		if (!json_is_string(v) || json_string_length(v) > 63)
			return err_set_param(err, ERR_CODE_VALIDATION_FAILED, "timezone", "'timezone' must be an IANA time zone name");
		snprintf(out, 64, "%s", json_string_value(v));
		return valid_timezone(c, out, err);
	case SET_ROUNDING: {
		rounding_mode m;
		if (!json_is_string(v) || !rounding_parse(json_string_value(v), &m))
			return err_set_param(err, ERR_CODE_VALIDATION_FAILED, "rounding", "'rounding' must be none, up, down or nearest");
		snprintf(out, 64, "%s", rounding_name(m));
		return true;
	}
	case SET_BOOL:
		if (!json_is_boolean(v))
			return err_set_param(err, ERR_CODE_VALIDATION_FAILED, name, "'%s' must be true or false", name);
		snprintf(out, 64, "%s", json_is_true(v) ? "true" : "false");
		return true;
	case SET_CURRENCY: {
		const char *s = json_is_string(v) ? json_string_value(v) : "";
		bool ok = strlen(s) == 3;
		for (int k = 0; ok && k < 3; k++)
			ok = s[k] >= 'A' && s[k] <= 'Z';
		if (!ok)
			return err_set_param(err, ERR_CODE_VALIDATION_FAILED, "default_currency", "'default_currency' must be an ISO 4217 code such as EUR");
		snprintf(out, 64, "%s", s);
		return true;
	}
	}
	return false;
}

json_t *settings_update(core_ctx *c, json_t *body, bool dry_run, err_t *err)
{
	char vals[NSETTINGS][64];
	if (!actor_is_admin(c->actor)) {
		err_set(err, ERR_CODE_FORBIDDEN, "only workspace admins can change time-tracking settings");
		return NULL;
	}
	if (!json_is_object(body)) {
		err_set(err, ERR_CODE_INVALID_BODY, "the request body must be a JSON object");
		return NULL;
	}
	const char *key;
	json_t *v;
	json_object_foreach(body, key, v) {
		int i = 0;
		while (i < NSETTINGS && strcmp(SETTINGS[i].name, key))
			i++;
		if (i == NSETTINGS) {
			err_set_param(err, ERR_CODE_VALIDATION_FAILED, key, "unknown setting '%.*s'", utf8_prefix(key, 64), key);
			return NULL;
		}
	}
	tx_unit u;
	if (!tx_begin(c, &u, err))
		return NULL;
	json_t *before = NULL, *after = NULL;
	query_t q;
	query_init(&q, "UPDATE time_tracking_settings SET updated_at = now()");
	for (int i = 0; i < NSETTINGS; i++) {
		json_t *val = json_object_get(body, SETTINGS[i].name);
		if (!val)
			continue;
		if (!setting_value(c, i, val, vals[i], err))
			goto done;
		query_sql(&q, ", ");
		query_sql(&q, SETTINGS[i].column);
		query_cond(&q, " = nullif(", vals[i], ", '')");
		if (SETTINGS[i].kind == SET_BOOL)
			query_sql(&q, "::boolean");
		else if (SETTINGS[i].kind != SET_TIMEZONE && SETTINGS[i].kind != SET_ROUNDING && SETTINGS[i].kind != SET_CURRENCY)
			query_sql(&q, "::numeric");
	}
	query_cond(&q, " WHERE workspace_id = ", c->actor->workspace_id, "");
	if (!ensure_row(c, err) || !(before = DB_QUERY_JSON(c->db, err, SETTINGS_JSON " FOR UPDATE", c->actor->workspace_id)))
		goto done;
	PGresult *r = query_run(c->db, &q, err);
	if (!r)
		goto done;
	PQclear(r);
	if ((after = DB_QUERY_JSON(c->db, err, SETTINGS_JSON, c->actor->workspace_id))) {
		const char *keys[NSETTINGS + 1];
		for (int i = 0; i < NSETTINGS; i++)
			keys[i] = SETTINGS[i].name;
		keys[NSETTINGS] = NULL;
		json_t *diff = audit_diff(before, after, keys);
		audit_record(c, "time_settings.updated", "time_tracking_settings", c->actor->workspace_id, diff, err);
		json_decref(diff);
	}
done:
	json_decref(before);
	return tx_end(&u, after, dry_run, err);
}
