/* The bounded total of a page-mode list (core/paging): the count's LIMIT
 * and what a count taken under it says. */
#include <criterion/criterion.h>
#include <string.h>
#include "core/paging.h"

Test(paging, the_count_stops_one_row_past_the_bound)
{
	core_page p = { .page = 1, .limit = 50 };
	char buf[24];
	cr_assert_str_eq(paging_count_limit(&p, buf), "1001");
	paging_take_total(&p, 1000);
	cr_assert_eq(p.total, 1000);
	cr_assert(p.total_exact, "1,000 rows counted under a LIMIT of 1,001: all of them");
	paging_take_total(&p, 1001);
	cr_assert_eq(p.total, 1000);
	cr_assert(!p.total_exact, "the 1,001st row: more match, 1,000 is a lower bound");
	paging_take_total(&p, 0);
	cr_assert_eq(p.total, 0);
	cr_assert(p.total_exact);
}

Test(paging, a_deep_page_counts_to_its_own_end)
{
	core_page p = { .page = 30, .limit = 50 };
	char buf[24];
	cr_assert_str_eq(paging_count_limit(&p, buf), "1501");
	paging_take_total(&p, 1200);
	cr_assert_eq(p.total, 1200);
	cr_assert(p.total_exact);
	paging_take_total(&p, 1501);
	cr_assert_eq(p.total, 1500);
	cr_assert(!p.total_exact);
}

Test(paging, exact_on_request_counts_everything)
{
	core_page p = { .page = 1, .limit = 50, .exact_total = true };
	char buf[24];
	cr_assert_null(paging_count_limit(&p, buf), "no LIMIT (NULL: LIMIT ALL)");
	paging_take_total(&p, 10000000);
	cr_assert_eq(p.total, 10000000);
	cr_assert(p.total_exact);
}
