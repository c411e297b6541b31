/* Workspace time-tracking settings (time_tracking_settings). */
#ifndef CORE_SETTINGS_H
#define CORE_SETTINGS_H
#include "core/ctx.h"

/* The workspace's week start (0 = Sunday … 6) and IANA time zone; defaults
 * (Monday, UTC) when the workspace has no settings row. tz holds 64 bytes. */
bool settings_calendar(core_ctx *c, int *week_start_dow, char tz[64], err_t *err);

#endif
