/* Unit tests for the pure parts of src/core/saved_views.c: the report range
 * of a view on a given day, its validation, recipient addresses, and the CSV. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "core/saved_views.h"

static void sv_range(const char *filters, const char *today, const char *want_from, const char *want_to)
{
	json_t *f = json_loads(filters, 0, NULL);
	cr_assert_not_null(f, "bad test JSON %s", filters);
	char from[11], to[11];
	err_t err = { 0 };
	cr_assert(saved_views_range(f, today, from, to, &err), "%s on %s: %s", filters, today, err.message);
	cr_assert_str_eq(from, want_from, "%s on %s", filters, today);
	cr_assert_str_eq(to, want_to, "%s on %s", filters, today);
	json_decref(f);
}

static void sv_bad(const char *filters, const char *needle)
{
	json_t *f = json_loads(filters, JSON_DECODE_ANY, NULL);
	cr_assert_not_null(f, "bad test JSON %s", filters);
	err_t err = { 0 };
	cr_assert_not(saved_views_range(f, NULL, NULL, NULL, &err), "%s accepted", filters);
	cr_assert_eq(err.kind, ERR_VALIDATION, "%s: %s", filters, err.message);
	cr_assert(strstr(err.message, needle), "%s: '%s' lacks '%s'", filters, err.message, needle);
	json_decref(f);
}

Test(saved_views_unit, relative_ranges_end_yesterday)
{
	sv_range("{\"range\":\"last_day\"}", "2026-03-02", "2026-03-01", "2026-03-01");
	sv_range("{\"range\":\"last_week\"}", "2026-03-02", "2026-02-23", "2026-03-01");
	sv_range("{\"range\":\"last_month\"}", "2026-04-01", "2026-03-01", "2026-03-31");
	sv_range("{\"range\":\"last_month\"}", "2026-01-01", "2025-12-01", "2025-12-31");
	/* The 31st a month back does not exist in February: its last day. */
	sv_range("{\"range\":\"last_month\"}", "2026-03-31", "2026-02-28", "2026-03-30");
	sv_range("{\"range\":\"last_month\"}", "2024-03-30", "2024-02-29", "2024-03-29");
	sv_range("{\"range\":\"custom\",\"from\":\"2025-01-01\",\"to\":\"2025-01-31\"}", "2026-03-02", "2025-01-01",
		 "2025-01-31");
}

Test(saved_views_unit, filters_are_validated)
{
	sv_bad("[]", "'filters' must be an object");
	sv_bad("{}", "range");
	sv_bad("{\"range\":\"yesterday\"}", "'range' must be one of");
	sv_bad("{\"range\":\"custom\",\"from\":\"2025-01-01\"}", "to");
	sv_bad("{\"range\":\"custom\",\"from\":\"2025-02-01\",\"to\":\"2025-01-01\"}", "'from' must not be after 'to'");
	sv_bad("{\"range\":\"custom\",\"from\":\"2024-01-01\",\"to\":\"2025-06-01\"}", "at most 366 days");
	sv_bad("{\"range\":\"custom\",\"from\":\"2025-02-30\",\"to\":\"2025-03-01\"}", "from");
	sv_bad("{\"range\":\"last_day\",\"from\":\"2025-01-01\"}", "only for the custom range");
	sv_bad("{\"range\":\"last_day\",\"project_id\":\"p\"}", "project_id");
}

Test(saved_views_unit, recipient_addresses)
{
	cr_assert(saved_views_email_ok("ana@example.com"));
	cr_assert(saved_views_email_ok("boss+ws_1@mail.example.test"));
	const char *bad[] = { "", "ana", "ana@", "@example.com", "ana@example", "ana@@example.com", "a b@example.com",
			      "ana@example.com\r\nBcc: x@y.z", "Ana <ana@example.com>", "ana@example..com",
			      "ana@example.com.", "a,b@example.com", "ana@.com", NULL };
	for (const char **p = bad; *p; p++)
		cr_assert_not(saved_views_email_ok(*p), "accepted '%s'", *p);
}

Test(saved_views_unit, csv_quotes_what_needs_it)
{
	json_t *sum = json_loads(
		"{\"by_user\":[{\"user_id\":\"u_1\",\"name\":\"Ana \\\"A\\\", B\",\"total_hours\":2.5,\"billable_hours\":2,"
		"\"non_billable_hours\":0.5,\"entry_count\":3}],"
		"\"by_project\":[{\"project_id\":\"p_1\",\"name\":\"Line\\nbreak\",\"total_hours\":1,\"billable_hours\":1,"
		"\"non_billable_hours\":0,\"entry_count\":1},"
		"{\"project_id\":null,\"name\":null,\"total_hours\":1.5,\"billable_hours\":1,\"non_billable_hours\":0.5,"
		"\"entry_count\":2}]}",
		0, NULL);
	cr_assert_not_null(sum);
	char *csv = saved_views_csv(sum);
	cr_assert_str_eq(csv, "section,id,name,total_hours,billable_hours,non_billable_hours,entry_count\r\n"
			      "user,u_1,\"Ana \"\"A\"\", B\",2.5000,2.0000,0.5000,3\r\n"
			      "project,p_1,\"Line\nbreak\",1.0000,1.0000,0.0000,1\r\n"
			      "project,,(no project),1.5000,1.0000,0.5000,2\r\n");
	free(csv);
	json_decref(sum);
}
