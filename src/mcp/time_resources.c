#include "mcp/time_resources.h"
#include "core/timer.h"
#include "core/week.h"
#include "mcp/resources.h"
#include "util/jsontext.h"
#include "util/log.h"
#include <stdlib.h>

/* contents: [{uri, mimeType, text}] for a JSON answer (stolen), or NULL. */
static json_t *json_contents(const char *uri, json_t *answer)
{
	if (!answer)
		return NULL;
	char *text = jsontext_dump(answer);
	json_decref(answer);
	json_t *out = json_pack("[{s:s, s:s, s:s}]", "uri", uri, "mimeType", "application/json", "text", text ? text : "{}");
	free(text);
	return out;
}

static json_t *timer(core_ctx *c, const char *uri, json_t *vars, err_t *err)
{
	(void)vars;
	json_t *t = timer_active(c, err);
	return json_contents(uri, t ? json_pack("{s:b, s:o}", "running", !json_is_null(t), "timer", t) : NULL);
}

static json_t *week(core_ctx *c, const char *uri, json_t *vars, err_t *err)
{
	return json_contents(uri, week_summary(c, json_string_value(json_object_get(vars, "day")), err));
}

void mcp_time_resources_register(void)
{
	static const struct {
		const char *def;
		mcp_resource_fn fn;
	} list[] = {
		{ "{\"uri\":\"workestra://time/timer\",\"name\":\"timer\",\"title\":\"Your running timer\","
		  "\"description\":\"The timer you have running (record, project, started_at), or running: false.\","
		  "\"mimeType\":\"application/json\"}",
		  timer },
		{ "{\"uri\":\"workestra://time/week\",\"name\":\"week\",\"title\":\"Your timesheet this week\","
		  "\"description\":\"This week's hours: totals, by day, by project, billable, and the timesheet's status.\","
		  "\"mimeType\":\"application/json\"}",
		  week },
		{ "{\"uriTemplate\":\"workestra://time/weeks/{day}\",\"name\":\"week-of\",\"title\":\"Your timesheet for a week\","
		  "\"description\":\"The week holding day (YYYY-MM-DD): totals, by day, by project, billable, status.\","
		  "\"mimeType\":\"application/json\"}",
		  week },
	};
	for (size_t i = 0; i < sizeof list / sizeof list[0]; i++) {
		json_t *def = json_loads(list[i].def, 0, NULL);
		if (!def || !mcp_resources_register(def, list[i].fn))
			log_msg(LOG_ERROR, "resource not registered: %s", list[i].def);
	}
}
