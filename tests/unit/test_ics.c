/* Unit tests for src/util/ics.c: the RFC 5545 reader and the recurrence
 * expansion the calendar job relies on. Expected days come from dates_parse
 * of written-out dates, and weekdays were checked against a printed calendar
 * (2026-11-16 is a Monday). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/dates.h"
#include "util/ics.h"

static long ics_t_day(const char *iso)
{
	long d;
	cr_assert(dates_parse(iso, &d), "bad date %s", iso);
	return d;
}

/* Expands a feed over [from, to]; asserts it parses. */
static ics_instances ics_t_expand(const char *feed, const char *from, const char *to)
{
	ics_instances out = { 0 };
	char err[256] = "";
	cr_assert(ics_expand(feed, strlen(feed), ics_t_day(from), ics_t_day(to), &out, err, sizeof err), "%s", err);
	return out;
}

static const ics_instance *ics_t_find(const ics_instances *l, const char *uid, const char *rid)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->items[i].uid, uid) && !strcmp(l->items[i].recurrence_id, rid))
			return &l->items[i];
	return NULL;
}

static size_t ics_t_count(const ics_instances *l, const char *uid)
{
	size_t n = 0;
	for (size_t i = 0; i < l->n; i++)
		n += !strcmp(l->items[i].uid, uid);
	return n;
}

#define CAL(body) "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" body "END:VCALENDAR\r\n"

Test(ics, unfolds_lines_and_unescapes_text)
{
	ics_instances l = ics_t_expand(CAL("BEGIN:VEVENT\r\nUID:a@x\r\nDTSTART:20261118T090000Z\r\nDTEND:20261118T100000Z\r\n"
					   "SUMMARY:Planning\\, review\\; and\r\n  more\\nnext line \\\\ done\r\nEND:VEVENT\r\n"),
				       "2026-11-01", "2026-11-30");
	cr_assert_eq(l.n, 1);
	cr_assert_str_eq(l.items[0].summary, "Planning, review; and more\nnext line \\ done");
	cr_assert_str_eq(l.items[0].recurrence_id, "");
	cr_assert_eq(l.items[0].start.kind, ICS_UTC);
	cr_assert_eq(l.items[0].start.secs, 9 * 3600);
	cr_assert_eq(l.items[0].end.secs, 10 * 3600);
	ics_instances_free(&l);
}

Test(ics, folding_with_tabs_and_bare_newlines)
{
	ics_instances l = ics_t_expand("BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:long-\n\tuid\nDTSTART:20261118T090000Z\nDUR\n ATION:PT1H30M\n"
				       "SUMMARY:x\nEND:VEVENT\nEND:VCALENDAR",
				       "2026-11-18", "2026-11-18");
	cr_assert_eq(l.n, 1);
	cr_assert_str_eq(l.items[0].uid, "long-uid");
	cr_assert_eq(l.items[0].end.secs, 10 * 3600 + 30 * 60);
	ics_instances_free(&l);
}

Test(ics, tzid_parameters_quoted_and_floating)
{
	ics_instances l = ics_t_expand(CAL("BEGIN:VEVENT\r\nUID:tz\r\nDTSTART;TZID=\"Europe/Berlin\";X-FOO=\"a:b;c\":20261118T093000\r\n"
					   "DTEND;TZID=Europe/Berlin:20261118T103000\r\nSUMMARY;LANGUAGE=en:Standup\r\nEND:VEVENT\r\n"
					   "BEGIN:VEVENT\r\nUID:fl\r\nDTSTART:20261118T140000\r\nDTEND:20261118T150000\r\nEND:VEVENT\r\n"),
				       "2026-11-18", "2026-11-18");
	const ics_instance *tz = ics_t_find(&l, "tz", "");
	cr_assert(tz);
	cr_assert_eq(tz->start.kind, ICS_TZID);
	cr_assert_str_eq(tz->start.tzid, "Europe/Berlin");
	cr_assert_str_eq(tz->summary, "Standup");
	char local[20];
	ics_format_local(&tz->start, local);
	cr_assert_str_eq(local, "2026-11-18 09:30:00");
	const ics_instance *fl = ics_t_find(&l, "fl", "");
	cr_assert(fl);
	cr_assert_eq(fl->start.kind, ICS_FLOATING);
	ics_instances_free(&l);
}

Test(ics, all_day_events)
{
	ics_instances l = ics_t_expand(CAL("BEGIN:VEVENT\r\nUID:ad\r\nDTSTART;VALUE=DATE:20261119\r\nSUMMARY:Offsite\r\nEND:VEVENT\r\n"
					   "BEGIN:VEVENT\r\nUID:ad2\r\nDTSTART;VALUE=DATE:20261120\r\nDTEND;VALUE=DATE:20261122\r\nEND:VEVENT\r\n"),
				       "2026-11-01", "2026-11-30");
	const ics_instance *a = ics_t_find(&l, "ad", "");
	cr_assert(a && a->all_day);
	cr_assert_eq(a->start.kind, ICS_DATE);
	cr_assert_eq(a->end.day, ics_t_day("2026-11-20"));
	const ics_instance *b = ics_t_find(&l, "ad2", "");
	cr_assert(b && b->all_day);
	cr_assert_eq(b->end.day - b->start.day, 2);
	ics_instances_free(&l);
}

Test(ics, daily_count_and_interval)
{
	ics_instances l = ics_t_expand(CAL("BEGIN:VEVENT\r\nUID:d\r\nDTSTART:20261116T080000Z\r\nDTEND:20261116T081500Z\r\n"
					   "RRULE:FREQ=DAILY;INTERVAL=2;COUNT=3\r\nEND:VEVENT\r\n"),
				       "2026-11-01", "2026-12-31");
	cr_assert_eq(l.n, 3);
	cr_assert(ics_t_find(&l, "d", "20261116T080000Z"));
	cr_assert(ics_t_find(&l, "d", "20261118T080000Z"));
	cr_assert(ics_t_find(&l, "d", "20261120T080000Z"));
	cr_assert_eq(ics_t_find(&l, "d", "20261120T080000Z")->end.secs, 8 * 3600 + 900);
	ics_instances_free(&l);
}

Test(ics, daily_until_and_window)
{
	/* started long ago, without COUNT: only the window's days come out */
	ics_instances l = ics_t_expand(CAL("BEGIN:VEVENT\r\nUID:u\r\nDTSTART;TZID=America/New_York:20200101T090000\r\n"
					   "DURATION:PT30M\r\nRRULE:FREQ=DAILY;UNTIL=20261119T235959Z\r\nEND:VEVENT\r\n"),
				       "2026-11-15", "2026-11-30");
	cr_assert_eq(l.n, 5, "got %zu", l.n); /* 15..19 */
	cr_assert(ics_t_find(&l, "u", "20261115T090000"));
	cr_assert(ics_t_find(&l, "u", "20261119T090000"));
	cr_assert_not(ics_t_find(&l, "u", "20261120T090000"));
	ics_instances_free(&l);
}

Test(ics, weekly_byday_with_count)
{
	/* Monday 16 Nov: MO,WE,FR for 5 instances = 16,18,20,23,25 */
	ics_instances l = ics_t_expand(CAL("BEGIN:VEVENT\r\nUID:w\r\nDTSTART:20261116T150000Z\r\nDTEND:20261116T160000Z\r\n"
					   "RRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=5\r\nEND:VEVENT\r\n"),
				       "2026-11-01", "2026-12-31");
	cr_assert_eq(l.n, 5);
	const char *want[] = { "20261116T150000Z", "20261118T150000Z", "20261120T150000Z", "20261123T150000Z",
			       "20261125T150000Z" };
	for (int i = 0; i < 5; i++)
		cr_assert(ics_t_find(&l, "w", want[i]), "missing %s", want[i]);
	ics_instances_free(&l);
}

Test(ics, weekly_interval_until_default_day)
{
	ics_instances l = ics_t_expand(CAL("BEGIN:VEVENT\r\nUID:w2\r\nDTSTART:20261104T100000Z\r\nDTEND:20261104T110000Z\r\n"
					   "RRULE:FREQ=WEEKLY;INTERVAL=2;UNTIL=20261202\r\nEND:VEVENT\r\n"),
				       "2026-11-01", "2026-12-31");
	/* Wednesdays 4 Nov, 18 Nov, 2 Dec */
	cr_assert_eq(l.n, 3, "got %zu", l.n);
	cr_assert(ics_t_find(&l, "w2", "20261202T100000Z"));
	ics_instances_free(&l);
}

Test(ics, exdate_and_recurrence_id_override)
{
	ics_instances l = ics_t_expand(
		CAL("BEGIN:VEVENT\r\nUID:r\r\nDTSTART;TZID=Europe/Paris:20261116T100000\r\nDTEND;TZID=Europe/Paris:20261116T110000\r\n"
		    "RRULE:FREQ=DAILY;COUNT=5\r\nEXDATE;TZID=Europe/Paris:20261117T100000,20261118T100000\r\nSUMMARY:Daily\r\nEND:VEVENT\r\n"
		    "BEGIN:VEVENT\r\nUID:r\r\nRECURRENCE-ID;TZID=Europe/Paris:20261119T100000\r\n"
		    "DTSTART;TZID=Europe/Paris:20261119T140000\r\nDTEND;TZID=Europe/Paris:20261119T143000\r\nSUMMARY:Moved\r\nEND:VEVENT\r\n"
		    "BEGIN:VEVENT\r\nUID:r\r\nRECURRENCE-ID;TZID=Europe/Paris:20261120T100000\r\nDTSTART;TZID=Europe/Paris:20261120T100000\r\n"
		    "DTEND;TZID=Europe/Paris:20261120T110000\r\nSTATUS:CANCELLED\r\nEND:VEVENT\r\n"),
		"2026-11-01", "2026-11-30");
	cr_assert_eq(ics_t_count(&l, "r"), 3, "got %zu", ics_t_count(&l, "r"));
	cr_assert(ics_t_find(&l, "r", "20261116T100000"));
	cr_assert_not(ics_t_find(&l, "r", "20261117T100000"));
	const ics_instance *moved = ics_t_find(&l, "r", "20261119T100000");
	cr_assert(moved);
	cr_assert_str_eq(moved->summary, "Moved");
	cr_assert_eq(moved->start.secs, 14 * 3600);
	cr_assert_eq(moved->end.secs, 14 * 3600 + 1800);
	cr_assert_not(moved->cancelled);
	const ics_instance *gone = ics_t_find(&l, "r", "20261120T100000");
	cr_assert(gone && gone->cancelled);
	ics_instances_free(&l);
}

Test(ics, cancelled_event)
{
	ics_instances l = ics_t_expand(CAL("BEGIN:VEVENT\r\nUID:c\r\nDTSTART:20261118T090000Z\r\nDTEND:20261118T100000Z\r\n"
					   "STATUS:CANCELLED\r\nEND:VEVENT\r\n"),
				       "2026-11-01", "2026-11-30");
	cr_assert_eq(l.n, 1);
	cr_assert(l.items[0].cancelled);
	ics_instances_free(&l);
}

Test(ics, nested_components_are_not_the_event)
{
	ics_instances l = ics_t_expand(CAL("BEGIN:VTIMEZONE\r\nTZID:X\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nEND:STANDARD\r\n"
					   "END:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:n\r\nDTSTART:20261118T090000Z\r\nDTEND:20261118T100000Z\r\n"
					   "BEGIN:VALARM\r\nSUMMARY:alarm\r\nTRIGGER:-PT15M\r\nEND:VALARM\r\nSUMMARY:Real\r\nEND:VEVENT\r\n"),
				       "2026-11-01", "2026-11-30");
	cr_assert_eq(l.n, 1);
	cr_assert_str_eq(l.items[0].summary, "Real");
	ics_instances_free(&l);
}

Test(ics, instances_per_rule_are_bounded)
{
	ics_instances l = ics_t_expand(CAL("BEGIN:VEVENT\r\nUID:b\r\nDTSTART:20200101T000000Z\r\nDURATION:PT1M\r\n"
					   "RRULE:FREQ=DAILY\r\nEND:VEVENT\r\n"),
				       "2020-01-01", "2029-12-31");
	cr_assert_eq(l.n, ICS_MAX_INSTANCES);
	ics_instances_free(&l);
}

Test(ics, rejects_what_is_not_a_calendar)
{
	ics_instances l = { 0 };
	char err[128];
	cr_assert_not(ics_expand("<html>nope</html>", 17, 0, 100000, &l, err, sizeof err));
	cr_assert(strstr(err, "VCALENDAR"));
	cr_assert_eq(l.n, 0);
}

Test(ics, malformed_input_never_crashes)
{
	const char *bad[] = {
		CAL("BEGIN:VEVENT\r\nUID:x\r\nDTSTART:2026111\r\nEND:VEVENT\r\n"),
		CAL("BEGIN:VEVENT\r\nUID:x\r\nDTSTART:20261318T090000Z\r\nEND:VEVENT\r\n"),
		CAL("BEGIN:VEVENT\r\nUID:x\r\nDTSTART;TZID=\"unterminated:20261118T090000\r\nEND:VEVENT\r\n"),
		CAL("BEGIN:VEVENT\r\nUID:x\r\nDTSTART:20261118T090000Z\r\nRRULE:FREQ=DAILY;INTERVAL=0\r\nEND:VEVENT\r\n"),
		CAL("BEGIN:VEVENT\r\nUID:x\r\nDTSTART:20261118T090000Z\r\nDTEND:20261117T090000Z\r\nEND:VEVENT\r\n"),
		CAL("BEGIN:VEVENT\r\nUID:x\r\nDTSTART:20261118T090000Z\r\nDURATION:P\r\nRRULE:;;==\r\nEXDATE:,,,\r\n"),
		"BEGIN:VCALENDAR\r\n \r\n\t\r\n:\r\n;;;\r\nBEGIN:VEVENT\r\nEND:VEVENT\r\nEND:VEVENT\r\nEND:VCALENDAR\r\nEND:VCALENDAR",
		"",
		"BEGIN:VCALENDAR",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ics_instances l = { 0 };
		char err[128];
		ics_expand(bad[i], strlen(bad[i]), ics_t_day("2026-11-01"), ics_t_day("2026-11-30"), &l, err, sizeof err);
		ics_instances_free(&l);
	}
	/* every prefix of a valid feed, and random bytes */
	const char *good = CAL("BEGIN:VEVENT\r\nUID:p\r\nDTSTART;TZID=Europe/Paris:20261116T100000\r\nDURATION:PT1H\r\n"
			       "RRULE:FREQ=WEEKLY;BYDAY=MO,TU;COUNT=4\r\nEXDATE;TZID=Europe/Paris:20261117T100000\r\nEND:VEVENT\r\n");
	for (size_t n = 0; n <= strlen(good); n++) {
		ics_instances l = { 0 };
		char err[128];
		ics_expand(good, n, ics_t_day("2026-11-01"), ics_t_day("2026-11-30"), &l, err, sizeof err);
		ics_instances_free(&l);
	}
	srand(42);
	char junk[2048];
	for (int round = 0; round < 200; round++) {
		size_t len = (size_t)(rand() % (int)sizeof junk);
		memcpy(junk, good, len < strlen(good) ? len : strlen(good));
		for (size_t i = 0; i < len; i++)
			if (rand() % 8 == 0)
				junk[i] = (char)(rand() % 256);
		ics_instances l = { 0 };
		char err[128];
		ics_expand(junk, len, 0, 30000, &l, err, sizeof err);
		ics_instances_free(&l);
	}
}

Test(ics, oversized_feed_is_refused)
{
	ics_instances l = { 0 };
	char err[128];
	cr_assert_not(ics_expand("BEGIN:VCALENDAR", (size_t)ICS_MAX_FEED + 1, 0, 1, &l, err, sizeof err));
	cr_assert(strstr(err, "larger"));
}
