/* find_work_items: the records time can be logged on, found by words of their
 * name, in the caller's workspace only; what it finds is what log_time_entry
 * takes, so nobody has to type an id. */
#define _GNU_SOURCE /* strcasestr */
#include "harness.h"
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static harness_response wi_find(const char *token, const char *args)
{
	return harness_request("POST", "/api/ai/tools/find_work_items", token, args, NULL);
}

static json_t *wi_structured(const harness_response *r)
{
	return json_object_get(harness_data(r), "structuredContent");
}

static const char *wi_str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

Test(work_items, log_two_hours_on_the_acme_onboarding_task_without_an_id)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	/* "Log 2 hours on the Acme onboarding task yesterday": a word of the
	 * task's own title, and its project's name, each find it. */
	harness_response r = wi_find(w.member_tok, "{\"query\":\"kickoff\",\"types\":[\"task\"]}");
	cr_assert_eq(r.status, 200, "%s", r.body);
	json_t *items = json_object_get(wi_structured(&r), "items");
	cr_assert_eq(json_array_size(items), 1, "%s", r.body);
	json_t *it = json_array_get(items, 0);
	cr_assert_str_eq(wi_str(it, "id"), harness_demo_id(&w, "tasks", 0));
	cr_assert_str_eq(wi_str(it, "type"), "task");
	cr_assert_str_eq(wi_str(it, "title"), "Kickoff workshop");
	cr_assert_str_eq(wi_str(json_object_get(it, "project"), "name"), "Acme onboarding");
	cr_assert_str_eq(wi_str(json_object_get(it, "customer"), "name"), "Acme Corporation");
	harness_response_free(&r);

	r = wi_find(w.member_tok, "{\"query\":\"Acme onboarding\",\"types\":[\"task\"]}");
	cr_assert_eq(r.status, 200, "%s", r.body);
	items = json_object_get(wi_structured(&r), "items");
	cr_assert_eq(json_array_size(items), 3, "the Acme onboarding project has three tasks: %s", r.body);
	char args[512];
	snprintf(args, sizeof args,
		 "{\"entity_type\":\"%s\",\"entity_id\":\"%s\",\"hours\":2,\"log_date\":\"2026-03-04\"}",
		 wi_str(json_array_get(items, 0), "type"), wi_str(json_array_get(items, 0), "id"));
	harness_response_free(&r);
	r = harness_request("POST", "/api/ai/tools/log_time_entry", w.member_tok, args, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert(json_is_true(json_object_get(wi_structured(&r), "requires_confirmation")), "%s", r.body);
	harness_response_free(&r);
	harness_workspace_free(&w);
}

Test(work_items, every_kind_title_first_then_recent_and_types_filter)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	/* "acme" is in a task's project, a ticket's customer, a deal's and a
	 * project's own name, a calendar event's title: own titles first. */
	harness_response r = wi_find(w.admin_tok, "{\"query\":\"ACME\",\"limit\":50}");
	cr_assert_eq(r.status, 200, "%s", r.body);
	json_t *sc = wi_structured(&r), *items = json_object_get(sc, "items"), *it;
	cr_assert_geq(json_array_size(items), 6, "%s", r.body);
	cr_assert_eq(json_integer_value(json_object_get(sc, "total")), (json_int_t)json_array_size(items));
	bool seen_other = false, kinds[4] = { 0 };
	size_t i;
	json_array_foreach(items, i, it) {
		bool own = strcasestr(wi_str(it, "title"), "acme") != NULL;
		cr_assert(!(own && seen_other), "own-title matches come first: %s", r.body);
		seen_other = seen_other || !own;
		const char *type = wi_str(it, "type");
		kinds[0] |= !strcmp(type, "task");
		kinds[1] |= !strcmp(type, "ticket");
		kinds[2] |= !strcmp(type, "deal");
		kinds[3] |= !strcmp(type, "project");
	}
	cr_assert(kinds[0] && kinds[1] && kinds[2] && kinds[3], "%s", r.body);
	harness_response_free(&r);

	r = wi_find(w.admin_tok, "{\"query\":\"acme\",\"types\":[\"deal\",\"project\"],\"limit\":1}");
	sc = wi_structured(&r);
	cr_assert_eq(json_array_size(json_object_get(sc, "items")), 1, "%s", r.body);
	cr_assert_eq(json_integer_value(json_object_get(sc, "total")), 2, "%s", r.body);
	harness_response_free(&r);

	/* Time logged on a record makes it the most recent. */
	const char *task = harness_demo_id(&w, "tasks", 2);
	json_decref(harness_call(201, w.member_tok, "POST", "/api/v1/time-entries",
				 "{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":1,\"log_date\":\"2026-03-04\"}", task));
	r = wi_find(w.member_tok, "{\"types\":[\"task\"]}");
	cr_assert_str_eq(wi_str(json_array_get(json_object_get(wi_structured(&r), "items"), 0), "id"), task, "%s", r.body);
	harness_response_free(&r);
	harness_workspace_free(&w);
}

Test(work_items, wildcards_are_plain_text_and_bad_arguments_are_refused)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	static const char *const none[] = { "{\"query\":\"%\"}", "{\"query\":\"_\"}", "{\"query\":\"\\\\\"}",
					    "{\"query\":\"acme%onboarding\"}", "{\"query\":\"zzz-no-such-record\"}" };
	for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
		harness_response r = wi_find(w.member_tok, none[i]);
		cr_assert_eq(r.status, 200, "%s", r.body);
		cr_assert_eq(json_array_size(json_object_get(wi_structured(&r), "items")), 0, "%s: %s", none[i], r.body);
		harness_response_free(&r);
	}
	static const char *const bad[] = { "{\"types\":[\"invoice\"]}", "{\"limit\":0}", "{\"limit\":51}",
					   "{\"types\":\"task\"}", "{\"query\":7}", "{\"q\":\"x\"}" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		harness_response r = wi_find(w.member_tok, bad[i]);
		cr_assert_eq(r.status, 200, "%s", r.body);
		cr_assert(json_is_true(json_object_get(harness_data(&r), "isError")), "%s: %s", bad[i], r.body);
		harness_response_free(&r);
	}
	harness_workspace_free(&w);
}

Test(work_items, another_workspace_and_other_peoples_calendars_stay_hidden)
{
	harness_ws a, b;
	harness_workspace(&a, "free", NULL);
	harness_workspace(&b, "free", NULL);
	harness_response r = wi_find(a.admin_tok, "{\"limit\":50}");
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_gt(json_array_size(json_object_get(wi_structured(&r), "items")), 0, "%s", r.body);
	cr_assert(!strstr(r.body, harness_demo_id(&b, "tasks", 0)) && !strstr(r.body, harness_demo_id(&b, "projects", 0)),
		  "workspace B's records leaked: %s", r.body);
	harness_response_free(&r);
	/* Calendar events are their owner's: a member sees only their own. */
	r = wi_find(a.member_tok, "{\"types\":[\"calendar_event\"],\"limit\":50}");
	cr_assert_eq(r.status, 200, "%s", r.body);
	long own = harness_sql_long("SELECT count(*) FROM calendar_events WHERE user_id = $1", 1, a.member);
	long all = harness_sql_long("SELECT count(*) FROM calendar_events WHERE workspace_id = $1", 1, a.ws);
	cr_assert_lt(own, all, "the demo gives other users events too");
	cr_assert_eq((long)json_array_size(json_object_get(wi_structured(&r), "items")), own, "%s", r.body);
	harness_response_free(&r);
	r = wi_find(a.manager_tok, "{\"types\":[\"calendar_event\"],\"limit\":50}");
	cr_assert_eq((long)json_array_size(json_object_get(wi_structured(&r), "items")), all, "%s", r.body);
	harness_response_free(&r);
	harness_workspace_free(&a);
	harness_workspace_free(&b);
}
