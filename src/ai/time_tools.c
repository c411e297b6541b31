/* The ten time tools of the spec, and find_work_items (the records they log
 * on). Read tools answer from the core; write tools never mutate: each
 * previews its change as a dry run of the very core function the
 * confirmation runs (every check and write made, then rolled back:
 * core/tx.h), so a preview refuses exactly what the REST call would refuse;
 * then it describes the effect and returns a confirmation (core/confirm.h). */
#include "ai/tools.h"
#include "core/entries.h"
#include "core/invoicing.h"
#include "core/refs.h"
#include "core/reports.h"
#include "core/settings.h"
#include "core/timer.h"
#include "core/timesheets.h"
#include "core/week.h"
#include "core/work_items.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *arg(json_t *args, const char *key)
{
	return json_string_value(json_object_get(args, key));
}

static void iso_time(time_t t, char out[24])
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 24, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The answer of every write tool: what would happen (summary, the card's
 * lines in words, the preview as data) and how to make it happen. Takes
 * details and preview. */
static json_t *confirmation(const ai_env *env, const confirm_action *a, const char *summary, json_t *details,
			    json_t *preview, err_t *err)
{
	char *token = confirm_issue(env->confirm, env->core->actor, a, env->now, err);
	if (!token) {
		json_decref(details);
		json_decref(preview);
		return NULL;
	}
	char expires[24];
	iso_time(env->now + CONFIRM_TTL_SECONDS, expires);
	json_t *out = json_pack("{s:b, s:s, s:s, s:o, s:o, s:o, s:s, s:s}", "requires_confirmation", 1, "status",
				"pending", "summary", summary, "details", details, "preview", preview, "action",
				confirm_rest_call(a), "confirmation_token", token, "expires_at", expires);
	free(token);
	return out;
}

/* "task \"Design review\"", for summaries. */
static bool label(const ai_env *env, json_t *entry_like, char out[256], err_t *err)
{
	return refs_describe(env->core, arg(entry_like, "entity_type"), arg(entry_like, "entity_id"), out, 256, err);
}

/* Appends one line of a card ("Hours: 1.50") to lines. */
static void line(json_t *lines, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void line(json_t *lines, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	json_t *text = json_vsprintf(fmt, ap);
	va_end(ap);
	if (text)
		json_array_append_new(lines, text);
}

/* "you" for the caller, else 'user "Ann Lee"'; out holds 256 bytes. */
static bool person(const ai_env *env, const char *user_id, char out[256], err_t *err)
{
	if (!user_id || !strcmp(user_id, env->core->actor->user_id)) {
		snprintf(out, 256, "you");
		return true;
	}
	return refs_describe(env->core, "user", user_id, out, 256, err);
}

/* The card lines every entry-like record starts with: who, what, project,
 * description (a new array), or NULL with err set. */
static json_t *entry_lines(const ai_env *env, json_t *e, err_t *err)
{
	char who[256], what[256], project[256];
	const char *pid = arg(e, "project_id");
	if (!person(env, arg(e, "user_id"), who, err) || !label(env, e, what, err) ||
	    (pid && !refs_describe(env->core, "project", pid, project, sizeof project, err)))
		return NULL;
	json_t *lines = json_array();
	line(lines, "Who: %s", who);
	line(lines, "Record: %s", what);
	if (pid && strcmp(arg(e, "entity_type") ? arg(e, "entity_type") : "", "project"))
		line(lines, "Project: %s", project);
	if (arg(e, "description") && *arg(e, "description"))
		line(lines, "Description: %s", arg(e, "description"));
	return lines;
}

static json_t *get_active_timer(const ai_env *env, json_t *args, err_t *err)
{
	(void)args;
	json_t *t = timer_active(env->core, err);
	return t ? json_pack("{s:b, s:o}", "running", !json_is_null(t), "timer", t) : NULL;
}

static json_t *get_my_timesheet(const ai_env *env, json_t *args, err_t *err)
{
	return week_summary(env->core, arg(args, "period_start"), err);
}

static json_t *get_utilization(const ai_env *env, json_t *args, err_t *err)
{
	reports_utilization_query q = {
		.user_id = arg(args, "user_id"),
		.project_id = arg(args, "project_id"),
		.from = arg(args, "from"),
		.to = arg(args, "to"),
	};
	return reports_utilization(env->core, &q, err);
}

static json_t *find_work_items(const ai_env *env, json_t *args, err_t *err)
{
	work_items_query q = {
		.query = arg(args, "query"),
		.types = json_object_get(args, "types"),
		.limit = (long)json_integer_value(json_object_get(args, "limit")),
	};
	if (json_object_get(args, "limit") && q.limit == 0)
		q.limit = -1; /* an explicit 0 is out of range, not "the default" */
	return work_items_find(env->core, &q, err);
}

/* The fields of an entry a preview shows, absent when null. */
static json_t *entry_preview(json_t *entry, const char *const *keys)
{
	json_t *out = json_object();
	for (const char *const *k = keys; *k; k++) {
		json_t *v = json_object_get(entry, *k);
		if (v && !json_is_null(v))
			json_object_set(out, *k, v);
	}
	return out;
}

static double entry_hours(json_t *entry)
{
	return (double)json_integer_value(json_object_get(entry, "duration_seconds")) / 3600;
}

static json_t *log_time_entry(const ai_env *env, json_t *args, err_t *err)
{
	static const char *const shown[] = { "entity_type", "entity_id", "project_id", "description", "log_date", NULL };
	char what[256], summary[512];
	core_ctx *c = env->core;
	json_t *entry = entries_create(c, args, true, err);
	if (!entry || !label(env, entry, what, err)) {
		json_decref(entry);
		return NULL;
	}
	const char *user = arg(entry, "user_id");
	bool self = !strcmp(user, c->actor->user_id), billable = json_is_true(json_object_get(entry, "billable"));
	snprintf(summary, sizeof summary, "Log %.2f h on %s on %s (%s)%s%s", entry_hours(entry), what, arg(entry, "log_date"),
		 billable ? "billable" : "not billable", self ? "" : " for user ", self ? "" : user);
	json_t *details = entry_lines(env, entry, err);
	if (!details) {
		json_decref(entry);
		return NULL;
	}
	line(details, "Date: %s", arg(entry, "log_date"));
	line(details, "Hours: %.2f (%s)", entry_hours(entry), billable ? "billable" : "not billable");
	line(details, "Change: a new time entry");
	json_t *creates = entry_preview(entry, shown);
	json_object_set_new(creates, "hours", json_real(entry_hours(entry)));
	json_object_set_new(creates, "billable", json_boolean(billable));
	json_object_set_new(creates, "user_id", json_string(user));
	json_decref(entry);
	confirm_action a = { CONFIRM_LOG_TIME_ENTRY, NULL, args };
	return confirmation(env, &a, summary, details, json_pack("{s:o}", "creates_entry", creates), err);
}

static json_t *start_timer(const ai_env *env, json_t *args, err_t *err)
{
	static const char *const shown[] = { "entity_type", "entity_id", "project_id", "description", "billable",
					     "log_date", NULL };
	char what[256], running_what[256] = "", summary[600];
	json_t *timer = timer_start(env->core, args, true, err);
	if (!timer)
		return NULL;
	json_t *stopped = json_object_get(timer, "stopped_timer");
	if (!label(env, timer, what, err) || (json_is_object(stopped) && !label(env, stopped, running_what, err))) {
		json_decref(timer);
		return NULL;
	}
	snprintf(summary, sizeof summary, "Start a timer on %s%s%s%s", what, running_what[0] ? " (stopping your running timer on " : "",
		 running_what, running_what[0] ? ")" : "");
	json_t *details = entry_lines(env, timer, err);
	if (!details) {
		json_decref(timer);
		return NULL;
	}
	line(details, "Change: a timer starts now (%s)",
	     json_is_false(json_object_get(timer, "billable")) ? "not billable" : "billable");
	if (running_what[0])
		line(details, "Also: your running timer on %s stops, started %s, and becomes an entry of %.2f h",
		     running_what, arg(stopped, "started_at"), entry_hours(stopped));
	json_t *preview = json_pack("{s:o, s:O}", "starts_timer", entry_preview(timer, shown), "stops_timer",
				    json_is_object(stopped) ? stopped : json_null());
	json_decref(timer);
	confirm_action a = { CONFIRM_START_TIMER, NULL, args };
	return confirmation(env, &a, summary, details, preview, err);
}

static json_t *stop_timer(const ai_env *env, json_t *args, err_t *err)
{
	(void)args;
	char what[256], summary[512];
	json_t *stopped = timer_stop(env->core, true, err);
	if (!stopped)
		return NULL;
	if (!label(env, stopped, what, err)) {
		json_decref(stopped);
		return NULL;
	}
	snprintf(summary, sizeof summary, "Stop your running timer on %s (started %s, %.2f h so far)", what,
		 arg(stopped, "started_at"), entry_hours(stopped));
	json_t *details = entry_lines(env, stopped, err);
	if (!details) {
		json_decref(stopped);
		return NULL;
	}
	line(details, "Change: the timer started %s stops now and becomes an entry of %.2f h on %s",
	     arg(stopped, "started_at"), entry_hours(stopped), arg(stopped, "log_date") ? arg(stopped, "log_date") : "today");
	confirm_action a = { CONFIRM_STOP_TIMER, NULL, NULL };
	return confirmation(env, &a, summary, details, json_pack("{s:o}", "stops_timer", stopped), err);
}

/* The answer of the three transitions; the timesheet's id is resolved by the
 * caller. The preview shows the timesheet as it is and the status the
 * transition (run and rolled back) leaves it in. */
static json_t *transition(const ai_env *env, const char *id, confirm_kind kind, timesheet_action action, json_t *body,
			  err_t *err)
{
	json_t *after = timesheets_transition(env->core, id, action, body, true, err);
	json_t *sheet = after ? timesheets_get(env->core, id, err) : NULL;
	if (!sheet) {
		json_decref(after);
		return NULL;
	}
	static const char *const verbs[] = { "Submit", "Approve", "Reject" };
	char summary[700];
	const char *owner = arg(sheet, "user_id");
	bool own = owner && !strcmp(owner, env->core->actor->user_id);
	snprintf(summary, sizeof summary, "%s %s timesheet %s for %s to %s (%.2f h, %.2f h billable, %lld entries)%s%s",
		 verbs[action], own ? "your" : "the", id, arg(sheet, "period_start"), arg(sheet, "period_end"),
		 json_number_value(json_object_get(sheet, "total_hours")),
		 json_number_value(json_object_get(sheet, "billable_hours")),
		 (long long)json_integer_value(json_object_get(sheet, "entry_count")), body ? " with reason: " : "",
		 body ? arg(body, "reason") : "");
	json_t *preview = json_pack("{s:{s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O}, s:O}", "timesheet", "id",
				    json_object_get(sheet, "id"), "user_id", json_object_get(sheet, "user_id"),
				    "period_start", json_object_get(sheet, "period_start"), "period_end",
				    json_object_get(sheet, "period_end"), "status", json_object_get(sheet, "status"),
				    "total_hours", json_object_get(sheet, "total_hours"), "billable_hours",
				    json_object_get(sheet, "billable_hours"), "entry_count",
				    json_object_get(sheet, "entry_count"), "new_status", json_object_get(after, "status"));
	char who[256];
	json_t *details = json_array();
	if (!person(env, owner, who, err)) {
		json_decref(details);
		json_decref(preview);
		json_decref(sheet);
		json_decref(after);
		return NULL;
	}
	line(details, "Whose: %s", who);
	line(details, "Timesheet: %s, week %s to %s", id, arg(sheet, "period_start"), arg(sheet, "period_end"));
	line(details, "Status: %s \xe2\x86\x92 %s", arg(sheet, "status"), arg(after, "status"));
	line(details, "Hours: %.2f (%.2f billable) in %lld entries", json_number_value(json_object_get(sheet, "total_hours")),
	     json_number_value(json_object_get(sheet, "billable_hours")),
	     (long long)json_integer_value(json_object_get(sheet, "entry_count")));
	if (body)
		line(details, "Reason: %s", arg(body, "reason"));
	json_decref(sheet);
	json_decref(after);
	confirm_action a = { kind, id, body };
	return confirmation(env, &a, summary, details, preview, err);
}

static json_t *submit_timesheet(const ai_env *env, json_t *args, err_t *err)
{
	const char *id = arg(args, "timesheet_id");
	char ts_id[64], today[11];
	if (!id) {
		const char *day = arg(args, "period_start");
		bool found;
		if (!day && !settings_today(env->core, today, err))
			return NULL;
		day = day ? day : today;
		if (!timesheets_id_for_day(env->core, env->core->actor->user_id, day, ts_id, &found, err))
			return NULL;
		if (!found) {
			err_set(err, ERR_CODE_NOT_FOUND,
				"you have no timesheet for the week of %s: it appears with the week's first entry", day);
			return NULL;
		}
		id = ts_id;
	}
	return transition(env, id, CONFIRM_SUBMIT_TIMESHEET, TS_SUBMIT, NULL, err);
}

static json_t *approve_timesheet(const ai_env *env, json_t *args, err_t *err)
{
	return transition(env, arg(args, "timesheet_id"), CONFIRM_APPROVE_TIMESHEET, TS_APPROVE, NULL, err);
}

static json_t *reject_timesheet(const ai_env *env, json_t *args, err_t *err)
{
	json_t *body = json_pack("{s:O}", "reason", json_object_get(args, "reason"));
	json_t *out = transition(env, arg(args, "timesheet_id"), CONFIRM_REJECT_TIMESHEET, TS_REJECT, body, err);
	json_decref(body);
	return out;
}

/* The card of a pull: each line the invoice gets (the first MAX_SHOWN), the total. */
static json_t *invoice_lines(json_t *preview)
{
	enum { MAX_SHOWN = 20 };
	json_t *lines = json_array(), *l, *all = json_object_get(preview, "lines");
	const char *cur = arg(preview, "currency") ? arg(preview, "currency") : "";
	size_t i;
	line(lines, "Invoice: %s", arg(preview, "invoice_id"));
	json_array_foreach(all, i, l) {
		if (i == MAX_SHOWN) {
			line(lines, "\xe2\x80\xa6 and %zu more lines", json_array_size(all) - MAX_SHOWN);
			break;
		}
		line(lines, "Line: %s, %.2f %s", arg(l, "description"),
		     (double)json_integer_value(json_object_get(l, "amount")) / 100, cur);
	}
	line(lines, "Total: %.2f h, %.2f %s from %lld approved entries",
	     json_number_value(json_object_get(preview, "total_hours")),
	     (double)json_integer_value(json_object_get(preview, "total_amount")) / 100, cur,
	     (long long)json_integer_value(json_object_get(preview, "entry_count")));
	return lines;
}

static json_t *convert_time_to_invoice_lines(const ai_env *env, json_t *args, err_t *err)
{
	const char *invoice_id = arg(args, "invoice_id");
	if (!invoice_id) {
		err_set_param(err, ERR_CODE_VALIDATION_FAILED, "invoice_id", "'invoice_id' is required");
		return NULL;
	}
	json_t *body = json_deep_copy(args);
	json_object_del(body, "invoice_id");
	json_t *preview = invoicing_pull_from_time(env->core, invoice_id, body, true, err);
	json_t *out = NULL;
	if (preview) {
		char summary[400];
		snprintf(summary, sizeof summary, "Put %.2f approved billable hours (%lld entries, %lld lines, %.2f %s) on invoice %s",
			 json_number_value(json_object_get(preview, "total_hours")),
			 (long long)json_integer_value(json_object_get(preview, "entry_count")),
			 (long long)json_array_size(json_object_get(preview, "lines")),
			 (double)json_integer_value(json_object_get(preview, "total_amount")) / 100,
			 arg(preview, "currency") ? arg(preview, "currency") : "", invoice_id);
		confirm_action a = { CONFIRM_PULL_FROM_TIME, invoice_id, body };
		out = confirmation(env, &a, summary, invoice_lines(preview), preview, err);
	}
	json_decref(body);
	return out;
}

ai_tool_fn ai_time_tool(const char *name)
{
	static const struct {
		const char *name;
		ai_tool_fn fn;
	} table[] = {
		{ "find_work_items", find_work_items },
		{ "get_active_timer", get_active_timer },
		{ "get_my_timesheet", get_my_timesheet },
		{ "get_utilization", get_utilization },
		{ "log_time_entry", log_time_entry },
		{ "start_timer", start_timer },
		{ "stop_timer", stop_timer },
		{ "submit_timesheet", submit_timesheet },
		{ "approve_timesheet", approve_timesheet },
		{ "reject_timesheet", reject_timesheet },
		{ "convert_time_to_invoice_lines", convert_time_to_invoice_lines },
	};
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		if (!strcmp(table[i].name, name))
			return table[i].fn;
	return NULL;
}
