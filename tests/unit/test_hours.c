/* Unit tests for src/util/hours.c: exact decimal hours <-> integer seconds. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include "util/hours.h"

/* Parses s and returns the seconds, failing the test when it is refused. */
static long hours_t_ok(const char *s)
{
	long secs = -12345;
	cr_assert(hours_parse(s, &secs), "hours_parse(\"%s\") should succeed", s);
	return secs;
}

static void hours_t_bad(const char *s)
{
	long secs = -12345;
	cr_assert_not(hours_parse(s, &secs), "hours_parse(\"%s\") should fail", s ? s : "(null)");
}

Test(hours, parse_common_values)
{
	cr_assert_eq(hours_t_ok("1.5"), 5400);
	cr_assert_eq(hours_t_ok("0.25"), 900);
	cr_assert_eq(hours_t_ok(".5"), 1800);
	cr_assert_eq(hours_t_ok("2"), 7200);
	cr_assert_eq(hours_t_ok("0.1"), 360);
	cr_assert_eq(hours_t_ok("0"), 0);
	cr_assert_eq(hours_t_ok("0.0"), 0);
	cr_assert_eq(hours_t_ok("8"), 28800);
	cr_assert_eq(hours_t_ok("24"), 86400);
	cr_assert_eq(hours_t_ok("7.75"), 27900);
	cr_assert_eq(hours_t_ok("0.01"), 36);
	cr_assert_eq(hours_t_ok("1.50"), 5400, "trailing zeros are fine");
	cr_assert_eq(hours_t_ok("007"), 25200, "leading zeros are fine");
}

Test(hours, parse_fraction_digits)
{
	cr_assert_eq(hours_t_ok("0.123456"), 444, "6 fraction digits: 444.4416 s rounds to 444");
	cr_assert_eq(hours_t_ok("1.000001"), 3600, "0.0036 s rounds down");
	cr_assert_eq(hours_t_ok("0.999999"), 3600, "3599.9964 s rounds up");
	hours_t_bad("0.1234567");
	hours_t_bad("1.0000000");
	hours_t_bad(".0000001");
}

Test(hours, parse_rounds_half_up)
{
	/* 0.00125 h is exactly 4.5 s. */
	cr_assert_eq(hours_t_ok("0.00125"), 5);
	cr_assert_eq(hours_t_ok("0.001249"), 4, "4.4964 s");
	cr_assert_eq(hours_t_ok("0.001251"), 5, "4.5036 s");
	/* 0.000125 h is 0.45 s; 0.000139 h is 0.5004 s. */
	cr_assert_eq(hours_t_ok("0.000125"), 0);
	cr_assert_eq(hours_t_ok("0.000139"), 1);
	cr_assert_eq(hours_t_ok("0.000001"), 0, "0.0036 s");
	cr_assert_eq(hours_t_ok("10.00125"), 36005);
}

Test(hours, parse_trailing_dot_is_accepted)
{
	/* The code accepts a whole number followed by a bare '.' as that number. */
	cr_assert_eq(hours_t_ok("1."), 3600);
	cr_assert_eq(hours_t_ok("0."), 0);
	/* ...but a lone '.' has no digits at all. */
	hours_t_bad(".");
}

Test(hours, parse_rejects_non_decimals)
{
	hours_t_bad(NULL);
	hours_t_bad("");
	hours_t_bad("-1");
	hours_t_bad("+1");
	hours_t_bad("-0.5");
	hours_t_bad("1e2");
	hours_t_bad("1E2");
	hours_t_bad("abc");
	hours_t_bad("1abc");
	hours_t_bad(" 1");
	hours_t_bad("1 ");
	hours_t_bad("1\n");
	hours_t_bad("1,5");
	hours_t_bad("1.5.5");
	hours_t_bad("1..5");
	hours_t_bad("..5");
	hours_t_bad("0x10");
	hours_t_bad("inf");
	hours_t_bad("nan");
	hours_t_bad("1:30");
}

Test(hours, parse_limits)
{
	cr_assert_eq(hours_t_ok("1000000"), 3600000000L, "exactly 1,000,000 hours is allowed");
	cr_assert_eq(hours_t_ok("999999.999999"), 3600000000L, "999999.999999 h rounds to 3.6e9 s");
	hours_t_bad("1000001");
	hours_t_bad("9999999");
	hours_t_bad("10000000");
	hours_t_bad("99999999999999999999999999");
	hours_t_bad("18446744073709551616");
}

/* hours.h: "False on anything else or a value above 1,000,000 hours."
 * hours_parse accepts 1000000.5 (it checks only the whole part) while
 * hours_from_double(1000000.5) refuses it. Disabled until fixed in src/util/hours.c. */
Test(hours, parse_rejects_fraction_above_limit)
{
	hours_t_bad("1000000.5");
	hours_t_bad("1000000.000001");
}

Test(hours, from_double_values)
{
	long s = -1;
	cr_assert(hours_from_double(0.1, &s));
	cr_assert_eq(s, 360, "0.1 is exactly 360 s despite binary floating point");
	cr_assert(hours_from_double(0.1 + 0.2, &s));
	cr_assert_eq(s, 1080);
	cr_assert(hours_from_double(1.5, &s));
	cr_assert_eq(s, 5400);
	cr_assert(hours_from_double(0.25, &s));
	cr_assert_eq(s, 900);
	cr_assert(hours_from_double(7.7, &s));
	cr_assert_eq(s, 27720);
	cr_assert(hours_from_double(0.0, &s));
	cr_assert_eq(s, 0);
	cr_assert(hours_from_double(2.0 / 3.0, &s));
	cr_assert_eq(s, 2400, "0.666667 h = 2400.0012 s");
	cr_assert(hours_from_double(1e-7, &s));
	cr_assert_eq(s, 0, "below 6 fraction digits rounds to 0");
	cr_assert(hours_from_double(1000000.0, &s));
	cr_assert_eq(s, 3600000000L);
}

Test(hours, from_double_rejects)
{
	long s = 77;
	cr_assert_not(hours_from_double(NAN, &s));
	cr_assert_not(hours_from_double(-NAN, &s));
	cr_assert_not(hours_from_double(INFINITY, &s));
	cr_assert_not(hours_from_double(-INFINITY, &s));
	cr_assert_not(hours_from_double(-1.0, &s));
	cr_assert_not(hours_from_double(-0.5, &s));
	cr_assert_not(hours_from_double(-1e-9, &s));
	cr_assert_not(hours_from_double(1000000.5, &s));
	cr_assert_not(hours_from_double(1e7, &s));
	cr_assert_not(hours_from_double(1e300, &s));
	cr_assert_not(hours_from_double(1.7976931348623157e308, &s));
}

Test(hours, from_seconds_values)
{
	cr_assert_eq(hours_from_seconds(5400), 1.5);
	cr_assert_eq(hours_from_seconds(0), 0.0);
	cr_assert_eq(hours_from_seconds(3600), 1.0);
	cr_assert_eq(hours_from_seconds(900), 0.25);
	cr_assert_float_eq(hours_from_seconds(1), 0.0003, 1e-12, "1 s = 0.000277.. h rounds to 0.0003");
	cr_assert_float_eq(hours_from_seconds(7), 0.0019, 1e-12, "7 s = 0.001944.. h");
	cr_assert_float_eq(hours_from_seconds(18), 0.005, 1e-12);
	cr_assert_float_eq(hours_from_seconds(360), 0.1, 1e-12);
	cr_assert_float_eq(hours_from_seconds(3599), 0.9997, 1e-12);
	cr_assert_float_eq(hours_from_seconds(3600000000L), 1000000.0, 1e-6);
}

/* Multiples of 9 s are exact 4-decimal hours, so display and parse round-trip. */
Test(hours, seconds_round_trip)
{
	for (long secs = 0; secs <= 100L * 3600; secs += 9) {
		double h = hours_from_seconds(secs);
		long back = -1;
		cr_assert(hours_from_double(h, &back), "secs=%ld h=%f", secs, h);
		cr_assert_eq(back, secs, "secs=%ld h=%.6f", secs, h);
		char buf[32];
		snprintf(buf, sizeof buf, "%.4f", h);
		back = -1;
		cr_assert(hours_parse(buf, &back), "%s", buf);
		cr_assert_eq(back, secs, "%s", buf);
	}
}
