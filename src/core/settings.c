#include "core/settings.h"
#include <stdio.h>
#include <stdlib.h>

bool settings_calendar(core_ctx *c, int *week_start_dow, char tz[64], err_t *err)
{
	*week_start_dow = 1;
	snprintf(tz, 64, "UTC");
	PGresult *r = db_query(c->db, err, "SELECT week_start_dow, timezone FROM time_tracking_settings WHERE workspace_id = $1",
			       1, c->actor->workspace_id);
	if (!r)
		return false;
	if (PQntuples(r) == 1) {
		*week_start_dow = atoi(PQgetvalue(r, 0, 0));
		snprintf(tz, 64, "%s", PQgetvalue(r, 0, 1));
	}
	PQclear(r);
	return true;
}
