/* csv_field: RFC 4180 quoting and formula neutralisation (OWASP CSV
 * injection) for every text cell, and the saved-view report through it. */
#define _GNU_SOURCE /* open_memstream */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include "core/saved_views.h"
#include "util/csv.h"

static void csv_expect(const char *in, const char *want)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	cr_assert_not_null(f);
	csv_field(f, in);
	fclose(f);
	cr_assert_str_eq(out, want, "cell %s", in ? in : "(null)");
	free(out);
}

Test(csv, plain_text_is_written_as_is)
{
	csv_expect("Acme onboarding", "Acme onboarding");
	csv_expect("", "");
	csv_expect(NULL, "");
	csv_expect("a=b", "a=b");
	csv_expect("Rock 'n' roll", "Rock 'n' roll");
}

Test(csv, rfc4180_quoting)
{
	csv_expect("Ana \"A\", B", "\"Ana \"\"A\"\", B\"");
	csv_expect("Line\nbreak", "\"Line\nbreak\"");
	csv_expect("a,b", "\"a,b\"");
}

Test(csv, formula_cells_are_prefixed_with_a_quote)
{
	csv_expect("=HYPERLINK(\"http://evil.example\")", "\"'=HYPERLINK(\"\"http://evil.example\"\")\"");
	csv_expect("=1+2", "'=1+2");
	csv_expect("+1", "'+1");
	csv_expect("-2+3", "'-2+3");
	csv_expect("@SUM(A1)", "'@SUM(A1)");
	csv_expect("\tindented", "'\tindented");
	csv_expect("\rcmd", "\"'\rcmd\"");
	csv_expect("=cmd|' /C calc'!A0, x", "\"'=cmd|' /C calc'!A0, x\"");
}

Test(csv, the_scheduled_report_neutralises_names)
{
	json_t *sum = json_loads("{\"by_user\":[{\"user_id\":\"u_1\",\"name\":\"=2+5\",\"total_hours\":1,\"billable_hours\":1,"
				 "\"non_billable_hours\":0,\"entry_count\":1}],"
				 "\"by_project\":[{\"project_id\":\"p_1\",\"name\":\"@evil, inc\",\"total_hours\":1,"
				 "\"billable_hours\":0,\"non_billable_hours\":1,\"entry_count\":1}]}",
				 0, NULL);
	cr_assert_not_null(sum);
	char *csv = saved_views_csv(sum);
	cr_assert_str_eq(csv, "section,id,name,total_hours,billable_hours,non_billable_hours,entry_count\r\n"
			      "user,u_1,'=2+5,1.0000,1.0000,0.0000,1\r\n"
			      "project,p_1,\"'@evil, inc\",1.0000,0.0000,1.0000,1\r\n");
	free(csv);
	json_decref(sum);
}
