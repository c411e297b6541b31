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

/* A time-based DURATION on a whole-day start (not allowed by RFC 5545, found
 * by fuzz_ics) rounds up to whole days, so the end stays a whole day. */
Test(ics, all_day_duration_in_hours_rounds_up_to_days)
{
	ics_instances l = ics_t_expand(CAL("BEGIN:VEVENT\r\nUID:d\r\nDTSTART;VALUE=DATE:20261119\r\nDURATION:PT30M\r\nEND:VEVENT\r\n"
					   "BEGIN:VEVENT\r\nUID:e\r\nDTSTART;VALUE=DATE:20261119\r\nDURATION:P1DT1H\r\nEND:VEVENT\r\n"),
				       "2026-11-01", "2026-11-30");
	const ics_instance *d = ics_t_find(&l, "d", ""), *e = ics_t_find(&l, "e", "");
	cr_assert(d && d->all_day && e && e->all_day);
	cr_assert_eq(d->end.day - d->start.day, 1);
	cr_assert_eq(d->end.secs, 0);
	cr_assert_eq(e->end.day - e->start.day, 2);
	cr_assert_eq(e->end.secs, 0);
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

/* ------------------------------------------------- COUNT rules far away */

/* dates' civil helpers are trusted here (test_dates checks them); weekdays
 * and week starts are worked out independently of src/util/ics.c. */
static int ics_t_dow(long day)
{
	return (int)(((day % 7) + 7 + 4) % 7); /* 1970-01-01 was a Thursday */
}

static void ics_t_date(long day, char out[9])
{
	int y, m, d;
	dates_to_civil(day, &y, &m, &d);
	snprintf(out, 9, "%04d%02d%02d", y, m, d);
}

typedef struct {
	bool weekly;
	long start, interval, count; /* count 0: none */
	long until;                  /* -1: none; else the last day allowed */
	unsigned byday;              /* 0: none */
	int wkst;
	long exdates[6];
	size_t nex;
	long rids[2], moved_to[2]; /* overrides: the instance replaced, the day it moves to */
	size_t nov;
} ics_t_rule;

/* The rule's instance days in [from, to] walked one day at a time from
 * DTSTART, the slow obvious way: the oracle the arithmetic jump must match.
 * Each entry is "day:recurrence-id"; returns how many. */
static size_t ics_t_brute(const ics_t_rule *r, long from, long to, char out[][40])
{
	unsigned mask = r->byday ? r->byday : r->weekly ? 1u << ics_t_dow(r->start) : 0x7f;
	long week0 = r->start - (ics_t_dow(r->start) - r->wkst + 7) % 7;
	size_t n = 0;
	long seen = 0;
	for (long day = r->start; day <= to && (!r->count || seen < r->count); day++) {
		if (r->until >= 0 && day > r->until)
			break;
		long week = day - (ics_t_dow(day) - r->wkst + 7) % 7;
		bool on = r->weekly ? (week - week0) / 7 % r->interval == 0 : (day - r->start) % r->interval == 0;
		if (!on || !(mask & (1u << ics_t_dow(day))))
			continue;
		seen++;
		bool gone = day < from;
		for (size_t i = 0; i < r->nex; i++)
			gone = gone || r->exdates[i] == day;
		for (size_t i = 0; i < r->nov; i++)
			gone = gone || r->rids[i] == day;
		if (!gone) {
			char d[9];
			ics_t_date(day, d);
			snprintf(out[n++], 40, "%ld:%sT093000Z", day, d);
		}
	}
	/* overrides come out on their own day whatever the rule did */
	for (size_t i = 0; i < r->nov; i++)
		if (r->moved_to[i] >= from && r->moved_to[i] <= to) {
			char d[9];
			ics_t_date(r->rids[i], d);
			snprintf(out[n++], 40, "%ld:%sT093000Z", r->moved_to[i], d);
		}
	return n;
}

static char *ics_t_feed(const ics_t_rule *r)
{
	static const char *const names[] = { "SU", "MO", "TU", "WE", "TH", "FR", "SA" };
	char *feed = malloc(4096), d[9];
	size_t o = 0;
	ics_t_date(r->start, d);
	o += (size_t)snprintf(feed + o, 4096 - o,
			      "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:far\r\nDTSTART:%sT093000Z\r\nDURATION:PT30M\r\n"
			      "RRULE:FREQ=%s;INTERVAL=%ld;WKST=%s",
			      d, r->weekly ? "WEEKLY" : "DAILY", r->interval, names[r->wkst]);
	if (r->count)
		o += (size_t)snprintf(feed + o, 4096 - o, ";COUNT=%ld", r->count);
	if (r->until >= 0) {
		ics_t_date(r->until, d);
		o += (size_t)snprintf(feed + o, 4096 - o, ";UNTIL=%s", d);
	}
	for (int w = 0, first = 1; w < 7; w++)
		if (r->byday & (1u << w)) {
			o += (size_t)snprintf(feed + o, 4096 - o, "%s%s", first ? ";BYDAY=" : ",", names[w]);
			first = 0;
		}
	for (size_t i = 0; i < r->nex; i++) {
		ics_t_date(r->exdates[i], d);
		o += (size_t)snprintf(feed + o, 4096 - o, "%s%sT093000Z", i ? "," : "\r\nEXDATE:", d);
	}
	o += (size_t)snprintf(feed + o, 4096 - o, "\r\nEND:VEVENT\r\n");
	for (size_t i = 0; i < r->nov; i++) {
		char m[9];
		ics_t_date(r->rids[i], d);
		ics_t_date(r->moved_to[i], m);
		o += (size_t)snprintf(feed + o, 4096 - o,
				      "BEGIN:VEVENT\r\nUID:far\r\nRECURRENCE-ID:%sT093000Z\r\nDTSTART:%sT093000Z\r\n"
				      "DURATION:PT30M\r\nEND:VEVENT\r\n",
				      d, m);
	}
	snprintf(feed + o, 4096 - o, "END:VCALENDAR\r\n");
	return feed;
}

static int ics_t_cmp(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

static long ics_t_rand(long lo, long hi)
{
	return lo + rand() % (hi - lo + 1);
}

/* Random small rules whose 10-day window lies far from DTSTART (up to 120
 * years), with COUNT chosen so the rule often runs out just before, inside
 * or just after the window; the expansion must equal the day-by-day walk. */
Test(ics, count_rules_far_from_dtstart_match_a_day_by_day_walk)
{
	srand(20261120);
	long from = ics_t_day("2026-11-12"), to = ics_t_day("2026-11-21");
	long max_steps = 0;
	for (int round = 0; round < 3000; round++) {
		ics_t_rule r = { 0 };
		r.weekly = rand() % 2;
		r.interval = rand() % 5 ? ics_t_rand(1, 4) : ics_t_rand(5, 40);
		r.byday = rand() % 3 ? 0 : (unsigned)ics_t_rand(1, 127);
		r.wkst = (int)ics_t_rand(0, 6);
		long back = round % 4 == 0 ? ics_t_rand(-12, 40) : ics_t_rand(0, 44000); /* 1906 .. */
		r.start = from - back;
		/* about how many occurrences precede the window */
		long days = r.byday ? __builtin_popcount(r.byday) : r.weekly ? 1 : 7;
		long before = back > 0 ? back * days / (r.weekly ? 7 * r.interval : 7 * r.interval) : 0;
		r.count = rand() % 8 == 0 ? 0 : before + ics_t_rand(-6, 8);
		if (r.count < 1 && r.count != 0)
			r.count = 1;
		r.until = rand() % 6 == 0 ? ics_t_rand(from - 3, to + 3) : -1;
		r.nex = (size_t)ics_t_rand(0, 5);
		for (size_t i = 0; i < r.nex; i++)
			r.exdates[i] = ics_t_rand(from - 2, to + 2);
		r.nov = (size_t)ics_t_rand(0, 2);
		for (size_t i = 0; i < r.nov; i++) {
			r.rids[i] = ics_t_rand(from - 3, to + 3);
			r.moved_to[i] = r.rids[i] + ics_t_rand(-1, 2);
		}
		/* two overrides of one instance would be a feed error of its own */
		if (r.nov == 2 && r.rids[0] == r.rids[1])
			r.nov = 1;

		static char want[64][40], got[64][40];
		size_t nw = ics_t_brute(&r, from, to, want);
		char *feed = ics_t_feed(&r), err[256] = "";
		ics_instances l = { 0 };
		cr_assert(ics_expand(feed, strlen(feed), from, to, &l, err, sizeof err), "%s", err);
		long steps = ics_expand_steps();
		max_steps = steps > max_steps ? steps : max_steps;
		cr_assert_leq(l.n, 64);
		for (size_t i = 0; i < l.n; i++)
			snprintf(got[i], 40, "%ld:%s", l.items[i].start.day, l.items[i].recurrence_id);
		qsort(want, nw, sizeof want[0], ics_t_cmp);
		qsort(got, l.n, sizeof got[0], ics_t_cmp);
		cr_assert_eq(l.n, nw, "round %d: %zu instances, the walk has %zu\n%s", round, l.n, nw, feed);
		for (size_t i = 0; i < nw; i++)
			cr_assert_str_eq(got[i], want[i], "round %d\n%s", round, feed);
		ics_instances_free(&l);
		free(feed);
	}
	/* at most the window and a week on each side, in days, whatever DTSTART */
	cr_assert_leq(max_steps, 7 * (to - from + 1 + 7 + 7), "%ld steps", max_steps);
}

Test(ics, count_rule_exact_far_from_dtstart)
{
	/* Daily from 1 Jan 1900, 45,999 occurrences: the last is 45,998 days
	 * later, 9 Dec 2025 (checked with Python's datetime). */
	long first = ics_t_day("1900-01-01");
	cr_assert_eq(first + 45998, ics_t_day("2025-12-09"));
	ics_instances l = ics_t_expand(CAL("BEGIN:VEVENT\r\nUID:old\r\nDTSTART:19000101T080000Z\r\nDURATION:PT1H\r\n"
					   "RRULE:FREQ=DAILY;COUNT=45999\r\nEXDATE:20251207T080000Z\r\nEND:VEVENT\r\n"),
				       "2025-12-05", "2025-12-31");
	cr_assert_eq(l.n, 4, "got %zu", l.n); /* 5, 6, 8, 9: the 7th excluded but counted */
	cr_assert(ics_t_find(&l, "old", "20251205T080000Z"));
	cr_assert(ics_t_find(&l, "old", "20251209T080000Z"));
	cr_assert_not(ics_t_find(&l, "old", "20251207T080000Z"));
	cr_assert_not(ics_t_find(&l, "old", "20251210T080000Z"));
	cr_assert_lt(ics_expand_steps(), 60);
	ics_instances_free(&l);

	/* weekly Tuesday and Thursday every 3rd week from Tue 2 Jan 1900, 5001
	 * occurrences: 2500 pairs fill 2500 periods of 3 weeks (52,500 days)... */
	cr_assert_eq(dates_dow(ics_t_day("1900-01-02")), 2);
	long last_tue = ics_t_day("1900-01-02") + 2500L * 21;
	char day[11], want[20];
	int y, m, d;
	dates_to_civil(last_tue, &y, &m, &d);
	snprintf(day, sizeof day, "%04d-%02d-%02d", y, m, d);
	snprintf(want, sizeof want, "%04d%02d%02dT120000Z", y, m, d);
	l = ics_t_expand(CAL("BEGIN:VEVENT\r\nUID:w\r\nDTSTART:19000102T120000Z\r\nDURATION:PT1H\r\n"
			     "RRULE:FREQ=WEEKLY;INTERVAL=3;BYDAY=TU,TH;COUNT=5001\r\nEND:VEVENT\r\n"),
			 day, "2200-01-01");
	/* ...so the 5001st is the Tuesday of period 2500, and no Thursday follows */
	cr_assert_eq(l.n, 1, "got %zu", l.n);
	cr_assert_str_eq(l.items[0].recurrence_id, want);
	ics_instances_free(&l);
}

/* A daily COUNT rule from 1900 on each event: before, each one walked
 * 46,000 days to reach the window. */
static char *ics_t_hostile(int events)
{
	size_t cap = (size_t)events * 160 + 64, o = 0;
	char *feed = malloc(cap);
	o += (size_t)snprintf(feed + o, cap - o, "BEGIN:VCALENDAR\r\n");
	for (int i = 0; i < events; i++)
		o += (size_t)snprintf(feed + o, cap - o,
				      "BEGIN:VEVENT\r\nUID:h%d\r\nDTSTART:19000101T000000Z\r\n"
				      "RRULE:FREQ=DAILY;COUNT=99999999\r\nEND:VEVENT\r\n",
				      i);
	snprintf(feed + o, cap - o, "END:VCALENDAR\r\n");
	return feed;
}

Test(ics, hostile_count_feed_costs_the_window_only)
{
	long from = ics_t_day("2026-11-12"), to = ics_t_day("2026-11-21");
	/* 400 such events: all 10 days of each, at a few candidate days each */
	char *feed = ics_t_hostile(400), err[256] = "";
	ics_instances l = { 0 };
	cr_assert(ics_expand(feed, strlen(feed), from, to, &l, err, sizeof err), "%s", err);
	cr_assert_eq(l.n, 4000);
	cr_assert(ics_t_find(&l, "h0", "20261112T000000Z"));
	cr_assert(ics_t_find(&l, "h399", "20261121T000000Z"));
	cr_assert_lt(ics_expand_steps(), 400 * 20, "%ld steps", ics_expand_steps());
	ics_instances_free(&l);
	free(feed);

	/* the 0.95 MB feed of 10,000: refused at the per-feed cap, cheaply */
	feed = ics_t_hostile(10000);
	cr_assert_gt(strlen(feed), 900000);
	cr_assert_not(ics_expand(feed, strlen(feed), from, to, &l, err, sizeof err));
	cr_assert(strstr(err, "instances"), "%s", err);
	cr_assert_lt(ics_expand_steps(), 10000 * 20, "%ld steps", ics_expand_steps());
	ics_instances_free(&l);
	free(feed);
}

Test(ics, instances_per_feed_are_capped)
{
	/* single events, ICS_MAX_FEED_INSTANCES of them fit, one more does not */
	for (int extra = 0; extra <= 1; extra++) {
		int n = ICS_MAX_FEED_INSTANCES + extra;
		size_t cap = (size_t)n * 120 + 64, o = 0;
		char *feed = malloc(cap), err[256] = "";
		o += (size_t)snprintf(feed + o, cap - o, "BEGIN:VCALENDAR\r\n");
		for (int i = 0; i < n; i++)
			o += (size_t)snprintf(feed + o, cap - o,
					      "BEGIN:VEVENT\r\nUID:s%d\r\nDTSTART:20261118T090000Z\r\nEND:VEVENT\r\n", i);
		snprintf(feed + o, cap - o, "END:VCALENDAR\r\n");
		ics_instances l = { 0 };
		bool ok = ics_expand(feed, strlen(feed), ics_t_day("2026-11-01"), ics_t_day("2026-11-30"), &l, err,
				     sizeof err);
		cr_assert_eq(ok, !extra, "%d: %s", n, err);
		if (ok)
			cr_assert_eq(l.n, (size_t)n);
		ics_instances_free(&l);
		free(feed);
	}
}
