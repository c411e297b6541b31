/* Workspace time-tracking settings (time_tracking_settings): read by everyone
 * in the workspace, changed by admins, every field validated and audited. */
#ifndef CORE_SETTINGS_H
#define CORE_SETTINGS_H
#include "core/ctx.h"
#include "core/rounding.h"
#include <jansson.h>

typedef struct {
	int week_start_dow;        /* 0 = Sunday … 6 */
	char timezone[64];         /* IANA */
	rounding_mode rounding;
	int rounding_minutes;
	char currency[4];
	long default_hourly_rate;  /* minor units per hour */
	double default_weekly_hours;
	double runaway_timer_hours;       /* a running timer older than this is a runaway */
	int auto_submit_dow;              /* -1 when auto-submit is off */
	double reminder_min_daily_hours;  /* -1 when daily reminders are off */
	double reminder_min_weekly_hours; /* -1 when weekly reminders are off */
	bool allow_self_approval;         /* approvers may approve or reject their own timesheets */
} settings_t;

/* The workspace's week start (0 = Sunday … 6) and IANA time zone; defaults
 * (Monday, UTC) when the workspace has no settings row. tz holds 64 bytes. */
bool settings_calendar(core_ctx *c, int *week_start_dow, char tz[64], err_t *err);
/* Today's date (YYYY-MM-DD) in the workspace's time zone. */
bool settings_today(core_ctx *c, char day[11], err_t *err);
/* The settings core rules need, with defaults when no row exists. */
bool settings_load(core_ctx *c, settings_t *s, err_t *err);
/* GET: every setting as JSON (new reference). */
json_t *settings_get(core_ctx *c, err_t *err);
/* PATCH: partial update by an admin; returns the new settings. Runs in a unit
 * of work (core/tx.h); dry_run rolls it back and returns what it would. */
json_t *settings_update(core_ctx *c, json_t *body, bool dry_run, err_t *err);

#endif
