/* Unit tests for src/util/dates.c: civil-date parsing, formatting, day of week
 * and week periods. Reference values come from an independent day-by-day
 * calendar walk and from gmtime_r, not from the code under test. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "util/dates.h"

static int dates_t_days_in_month(int y, int m)
{
	static const int md[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return md[m - 1] + (m == 2 && leap);
}

Test(dates, parse_valid_dates)
{
	long day = -1;
	cr_assert(dates_parse("1970-01-01", &day));
	cr_assert_eq(day, 0);
	cr_assert(dates_parse("1970-01-02", &day));
	cr_assert_eq(day, 1);
	cr_assert(dates_parse("1969-12-31", &day));
	cr_assert_eq(day, -1);
	cr_assert(dates_parse("2000-03-01", &day));
	cr_assert_eq(day, 11017);
	cr_assert(dates_parse("1900-01-01", &day));
	cr_assert_eq(day, -25567);
	cr_assert(dates_parse("2026-04-29", &day));
	cr_assert_eq(day, 20572);
	cr_assert(dates_parse("0001-01-01", &day));
	cr_assert_eq(day, -719162);
	cr_assert(dates_parse("9999-12-31", &day));
	cr_assert_eq(day, 2932896);
}

Test(dates, parse_leap_days)
{
	long day = 0;
	cr_assert(dates_parse("2024-02-29", &day), "2024 is a leap year");
	cr_assert_eq(day, 19782);
	cr_assert(dates_parse("2000-02-29", &day), "2000 is a leap year (divisible by 400)");
	cr_assert(dates_parse("1600-02-29", &day));
	cr_assert_not(dates_parse("2023-02-29", &day), "2023 is not a leap year");
	cr_assert_not(dates_parse("1900-02-29", &day), "1900 is not a leap year (century)");
	cr_assert_not(dates_parse("2100-02-29", &day), "2100 is not a leap year (century)");
	cr_assert_not(dates_parse("2024-02-30", &day));
	cr_assert(dates_parse("2023-02-28", &day));
}

Test(dates, parse_rejects_impossible_dates)
{
	long day = 0;
	cr_assert_not(dates_parse("2026-13-01", &day));
	cr_assert_not(dates_parse("2026-00-10", &day));
	cr_assert_not(dates_parse("2026-01-00", &day));
	cr_assert_not(dates_parse("2026-01-32", &day));
	cr_assert_not(dates_parse("2026-04-31", &day));
	cr_assert_not(dates_parse("2026-06-31", &day));
	cr_assert_not(dates_parse("2026-09-31", &day));
	cr_assert_not(dates_parse("2026-11-31", &day));
	cr_assert_not(dates_parse("2026-99-99", &day));
	cr_assert_not(dates_parse("0000-01-01", &day), "year 0 is out of range");
	cr_assert(dates_parse("2026-04-30", &day));
	cr_assert(dates_parse("2026-12-31", &day));
}

Test(dates, parse_rejects_bad_syntax)
{
	long day = 0;
	cr_assert_not(dates_parse(NULL, &day));
	cr_assert_not(dates_parse("", &day));
	cr_assert_not(dates_parse("2026-4-1", &day));
	cr_assert_not(dates_parse("2026-04-1", &day));
	cr_assert_not(dates_parse("26-04-01", &day));
	cr_assert_not(dates_parse("2026-04-01x", &day), "trailing characters");
	cr_assert_not(dates_parse("2026-04-01 ", &day), "trailing space");
	cr_assert_not(dates_parse("2026-04-01T00:00:00Z", &day));
	cr_assert_not(dates_parse(" 2026-04-01", &day), "leading space");
	cr_assert_not(dates_parse("2026/04/01", &day));
	cr_assert_not(dates_parse("2026-04/01", &day));
	cr_assert_not(dates_parse("20260401", &day));
	cr_assert_not(dates_parse("+026-04-01", &day));
	cr_assert_not(dates_parse("-026-04-01", &day));
	cr_assert_not(dates_parse("2026-0a-01", &day));
	cr_assert_not(dates_parse("2026-04-0 ", &day));
	cr_assert_not(dates_parse("abcd-ef-gh", &day));
	cr_assert_not(dates_parse("2026--4-01", &day));
}

Test(dates, format_known_days)
{
	char out[11];
	memset(out, 'x', sizeof out);
	dates_format(0, out);
	cr_assert_str_eq(out, "1970-01-01");
	dates_format(-1, out);
	cr_assert_str_eq(out, "1969-12-31");
	dates_format(19782, out);
	cr_assert_str_eq(out, "2024-02-29");
	dates_format(20572, out);
	cr_assert_str_eq(out, "2026-04-29");
	dates_format(-719162, out);
	cr_assert_str_eq(out, "0001-01-01", "years below 1000 are zero padded");
	dates_format(2932896, out);
	cr_assert_str_eq(out, "9999-12-31");
}

/* Walks every day from 1900-01-01 to 2100-12-31 with an independent calendar
 * counter and checks from_civil, to_civil, format and parse against it. */
Test(dates, every_day_1900_to_2100_round_trips)
{
	int y = 1900, m = 1, d = 1;
	long expect = -25567; /* 1900-01-01 */
	long checked = 0;
	while (y <= 2100) {
		cr_assert_eq(dates_from_civil(y, m, d), expect, "from_civil(%04d-%02d-%02d)", y, m, d);
		int yy, mm, dd;
		dates_to_civil(expect, &yy, &mm, &dd);
		cr_assert(yy == y && mm == m && dd == d, "to_civil(%ld) = %d-%d-%d, want %d-%d-%d", expect, yy, mm,
			  dd, y, m, d);

		char want[40], got[11];
		snprintf(want, sizeof want, "%04d-%02d-%02d", y, m, d);
		dates_format(expect, got);
		cr_assert_str_eq(got, want);
		long parsed = 12345678;
		cr_assert(dates_parse(want, &parsed), "parse(%s)", want);
		cr_assert_eq(parsed, expect, "parse(%s)", want);

		expect++;
		checked++;
		if (++d > dates_t_days_in_month(y, m)) {
			d = 1;
			if (++m > 12) {
				m = 1;
				y++;
			}
		}
	}
	cr_assert_eq(expect, dates_from_civil(2101, 1, 1));
	cr_assert_eq(checked, 73414); /* 201 years, 49 leap days (1900 and 2100 are not leap) */
}

Test(dates, dow_known_days)
{
	cr_assert_eq(dates_dow(0), 4, "1970-01-01 was a Thursday");
	cr_assert_eq(dates_dow(-1), 3, "1969-12-31 was a Wednesday");
	cr_assert_eq(dates_dow(-4), 0, "1969-12-28 was a Sunday");
	cr_assert_eq(dates_dow(3), 0, "1970-01-04 was a Sunday");
	cr_assert_eq(dates_dow(dates_from_civil(2026, 4, 29)), 3, "2026-04-29 is a Wednesday");
	cr_assert_eq(dates_dow(dates_from_civil(2026, 5, 2)), 6, "2026-05-02 is a Saturday");
	cr_assert_eq(dates_dow(dates_from_civil(2000, 1, 1)), 6, "2000-01-01 was a Saturday");
	cr_assert_eq(dates_dow(dates_from_civil(1900, 1, 1)), 1, "1900-01-01 was a Monday");
	cr_assert_eq(dates_dow(dates_from_civil(1, 1, 1)), 1, "0001-01-01 (proleptic) was a Monday");
}

Test(dates, dow_matches_gmtime_1900_to_2100)
{
	for (long day = -25567; day <= dates_from_civil(2100, 12, 31); day++) {
		time_t t = (time_t)day * 86400;
		struct tm tm;
		cr_assert_not_null(gmtime_r(&t, &tm));
		int dow = dates_dow(day);
		cr_assert(dow >= 0 && dow <= 6);
		cr_assert_eq(dow, tm.tm_wday, "day %ld", day);
		int y, m, d;
		dates_to_civil(day, &y, &m, &d);
		cr_assert(y == tm.tm_year + 1900 && m == tm.tm_mon + 1 && d == tm.tm_mday, "day %ld", day);
	}
}

Test(dates, period_start_every_week_start)
{
	long from = dates_from_civil(2025, 12, 1), to = dates_from_civil(2026, 3, 15);
	for (int ws = 0; ws <= 6; ws++) {
		for (long day = from; day <= to; day++) {
			long s = dates_period_start(day, ws);
			cr_assert_leq(s, day, "ws=%d day=%ld", ws, day);
			cr_assert_lt(day - s, 7, "ws=%d day=%ld", ws, day);
			cr_assert_eq(dates_dow(s), ws, "ws=%d day=%ld start=%ld", ws, day, s);
			/* Every day of the same period maps to the same start. */
			cr_assert_eq(dates_period_start(s + 6, ws), s);
		}
	}
	/* Also across 1970-01-01 and negative day numbers. */
	for (int ws = 0; ws <= 6; ws++) {
		for (long day = -30; day <= 30; day++) {
			long s = dates_period_start(day, ws);
			cr_assert(s <= day && day - s < 7 && dates_dow(s) == ws, "ws=%d day=%ld start=%ld", ws, day, s);
		}
	}
}

Test(dates, period_start_known_values)
{
	long wed = dates_from_civil(2026, 4, 29);
	char out[11];
	dates_format(dates_period_start(wed, 1), out);
	cr_assert_str_eq(out, "2026-04-27", "Monday weeks");
	dates_format(dates_period_start(wed, 0), out);
	cr_assert_str_eq(out, "2026-04-26", "Sunday weeks");
	dates_format(dates_period_start(wed, 6), out);
	cr_assert_str_eq(out, "2026-04-25", "Saturday weeks");
	cr_assert_eq(dates_period_start(wed, 3), wed, "a Wednesday starts its own Wednesday week");
	dates_format(dates_period_start(wed, 4), out);
	cr_assert_str_eq(out, "2026-04-23", "Thursday weeks");
}

/* Found by tests/fuzz/fuzz_dates.c: an offset carried the first or last day
 * of the four-digit years out of them, and the formatted instant no longer
 * parsed ("0000-12-31T23:00:00Z", "10000-01-01T00:30:00" cut short). */
Test(dates, instants_round_trip_and_stay_in_four_digit_years)
{
	static const char *const ok[] = { "0001-01-01T00:00:00Z", "0001-01-01T01:00:00+01:00",
					  "9999-12-31T23:59:59Z", "9999-12-31T22:30:00-01:00",
					  "2026-04-29 10:23:00.5+05:30" };
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		double t, again;
		char out[21];
		cr_assert(dates_parse_instant(ok[i], &t), "%s", ok[i]);
		dates_format_instant(t, out);
		cr_assert(dates_parse_instant(out, &again), "%s formats as %s", ok[i], out);
		cr_assert_eq(again, (double)(long long)t, "%s", ok[i]);
	}
	double t;
	cr_assert_not(dates_parse_instant("0001-01-01T00:00:00+01:00", &t), "would be year 0");
	cr_assert_not(dates_parse_instant("9999-12-31T23:30:00-01:00", &t), "would be year 10000");
	cr_assert_not(dates_parse_instant("9999-12-31T23:59:60Z", &t), "a leap second into year 10000");
}
