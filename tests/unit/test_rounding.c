/* Unit tests for src/core/rounding.c: every mode on exact multiples, just off
 * them and on the half, and the once-only rounding of amounts. */
#include <criterion/criterion.h>
#include "core/rounding.h"

/* Seconds for whole minutes plus extra seconds, to keep the cases readable. */
#define MINUTES(m) ((long)(m) * 60)

Test(rounding, parse_and_name_round_trip)
{
	static const char *const names[] = { "none", "up", "down", "nearest" };
	for (int i = 0; i < 4; i++) {
		rounding_mode m = ROUND_NONE;
		cr_assert(rounding_parse(names[i], &m), "'%s' parses", names[i]);
		cr_assert_eq((int)m, i);
		cr_assert_str_eq(rounding_name(m), names[i]);
	}
	rounding_mode m = ROUND_UP;
	cr_assert_not(rounding_parse("Up", &m), "names are case-sensitive");
	cr_assert_not(rounding_parse("", &m));
	cr_assert_not(rounding_parse("ceil", &m));
	cr_assert_not(rounding_parse(NULL, &m));
	cr_assert_eq(m, ROUND_UP, "a refused name leaves the output alone");
}

Test(rounding, none_keeps_the_seconds)
{
	static const long cases[] = { 0, 1, 59, 60, 449, 450, 451, 899, 900, 901, 86400 };
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		cr_assert_eq(rounding_apply(cases[i], ROUND_NONE, 15), cases[i], "none: %ld", cases[i]);
}

Test(rounding, exact_multiples_never_move)
{
	static const rounding_mode modes[] = { ROUND_UP, ROUND_DOWN, ROUND_NEAREST };
	static const int minutes[] = { 1, 5, 6, 15, 30, 60 };
	for (size_t m = 0; m < 3; m++)
		for (size_t u = 0; u < sizeof minutes / sizeof minutes[0]; u++)
			for (long k = 0; k <= 24 * 60 / minutes[u]; k += 7) {
				long s = k * MINUTES(minutes[u]);
				cr_assert_eq(rounding_apply(s, modes[m], minutes[u]), s, "%s/%d: %ld is a multiple",
					     rounding_name(modes[m]), minutes[u], s);
			}
}

Test(rounding, up_takes_any_remainder_to_the_next_unit)
{
	cr_assert_eq(rounding_apply(1, ROUND_UP, 15), MINUTES(15), "one second is a whole unit");
	cr_assert_eq(rounding_apply(MINUTES(15) + 1, ROUND_UP, 15), MINUTES(30));
	cr_assert_eq(rounding_apply(MINUTES(15) - 1, ROUND_UP, 15), MINUTES(15));
	cr_assert_eq(rounding_apply(MINUTES(7) + 30, ROUND_UP, 15), MINUTES(15), "the half rounds up too");
	cr_assert_eq(rounding_apply(MINUTES(61), ROUND_UP, 60), MINUTES(120));
	cr_assert_eq(rounding_apply(MINUTES(1) + 1, ROUND_UP, 1), MINUTES(2), "1-minute units");
	cr_assert_eq(rounding_apply(0, ROUND_UP, 15), 0, "nothing stays nothing");
}

Test(rounding, down_drops_any_remainder)
{
	cr_assert_eq(rounding_apply(1, ROUND_DOWN, 15), 0);
	cr_assert_eq(rounding_apply(MINUTES(15) - 1, ROUND_DOWN, 15), 0, "just under a unit is nothing");
	cr_assert_eq(rounding_apply(MINUTES(29) + 59, ROUND_DOWN, 15), MINUTES(15));
	cr_assert_eq(rounding_apply(MINUTES(7) + 30, ROUND_DOWN, 15), 0, "the half rounds down too");
	cr_assert_eq(rounding_apply(MINUTES(119), ROUND_DOWN, 60), MINUTES(60));
}

Test(rounding, nearest_rounds_the_half_up)
{
	/* 15-minute units: the half is 7:30. */
	cr_assert_eq(rounding_apply(MINUTES(7) + 29, ROUND_NEAREST, 15), 0, "just under the half: down");
	cr_assert_eq(rounding_apply(MINUTES(7) + 30, ROUND_NEAREST, 15), MINUTES(15), "exactly the half: up");
	cr_assert_eq(rounding_apply(MINUTES(7) + 31, ROUND_NEAREST, 15), MINUTES(15));
	cr_assert_eq(rounding_apply(MINUTES(22) + 29, ROUND_NEAREST, 15), MINUTES(15));
	cr_assert_eq(rounding_apply(MINUTES(22) + 30, ROUND_NEAREST, 15), MINUTES(30), "the half of the second unit");
	/* 6-minute units (tenths of an hour): the half is 3:00. */
	cr_assert_eq(rounding_apply(MINUTES(3) - 1, ROUND_NEAREST, 6), 0);
	cr_assert_eq(rounding_apply(MINUTES(3), ROUND_NEAREST, 6), MINUTES(6));
	/* 1-minute units: the half is 30 s. */
	cr_assert_eq(rounding_apply(29, ROUND_NEAREST, 1), 0);
	cr_assert_eq(rounding_apply(30, ROUND_NEAREST, 1), MINUTES(1));
	cr_assert_eq(rounding_apply(MINUTES(90) + 29, ROUND_NEAREST, 1), MINUTES(90));
	/* 60-minute units: the half is 30:00. */
	cr_assert_eq(rounding_apply(MINUTES(89) + 59, ROUND_NEAREST, 60), MINUTES(60));
	cr_assert_eq(rounding_apply(MINUTES(90), ROUND_NEAREST, 60), MINUTES(120));
}

Test(rounding, every_mode_lands_on_a_neighbouring_multiple)
{
	static const rounding_mode modes[] = { ROUND_UP, ROUND_DOWN, ROUND_NEAREST };
	for (size_t m = 0; m < 3; m++)
		for (long s = 0; s <= 2 * 3600; s += 17) {
			long r = rounding_apply(s, modes[m], 15);
			cr_assert_eq(r % MINUTES(15), 0, "%s: %ld gives a multiple", rounding_name(modes[m]), s);
			cr_assert(r >= s - MINUTES(15) && r <= s + MINUTES(15), "%s: %ld stays within one unit",
				  rounding_name(modes[m]), s);
			cr_assert(rounding_apply(s, ROUND_DOWN, 15) <= r && r <= rounding_apply(s, ROUND_UP, 15),
				  "%s: %ld between down and up", rounding_name(modes[m]), s);
		}
}

Test(rounding, a_unit_of_no_minutes_leaves_the_seconds)
{
	cr_assert_eq(rounding_apply(451, ROUND_UP, 0), 451);
	cr_assert_eq(rounding_apply(451, ROUND_NEAREST, -5), 451);
}

Test(rounding, amount_divides_by_3600_once_half_up)
{
	cr_assert_eq(rounding_amount(0), 0);
	cr_assert_eq(rounding_amount(12000LL * 5400), 18000, "120.00/h for 1.5 h is 180.00");
	cr_assert_eq(rounding_amount(10000LL * 3600), 10000, "an exact hour");
	cr_assert_eq(rounding_amount(1799), 0, "just under half a minor unit: down");
	cr_assert_eq(rounding_amount(1800), 1, "exactly half a minor unit: up");
	cr_assert_eq(rounding_amount(5399), 1);
	cr_assert_eq(rounding_amount(5400), 2, "1.5 minor units: up");
	cr_assert_eq(rounding_amount(3600LL * 1000000000LL), 1000000000L, "large sums stay exact");
}

Test(rounding, amount_rounds_the_sum_not_each_entry)
{
	/* Three 1-second entries at 12.00/h: each is 0.333 minor units, which
	 * would round to nothing one by one; summed first they make 1. */
	long long rate = 1200, sum = 0, each = 0;
	for (int i = 0; i < 3; i++) {
		sum += rate * 1;
		each += rounding_amount(rate * 1);
	}
	cr_assert_eq(each, 0);
	cr_assert_eq(rounding_amount(sum), 1);
	/* 45 minutes at 99.99/h = 74.9925 → 74.99. */
	cr_assert_eq(rounding_amount(9999LL * 2700), 7499);
}
