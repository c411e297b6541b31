/* An RFC 5545 (iCalendar) reader for calendar feeds: VEVENTs with their
 * times, recurrence expanded within a window, overrides and cancellations.
 * No time zone database is used here: times keep their wall clock and their
 * zone (UTC, a TZID name, or floating), and the caller converts them (the
 * calendar job does it in PostgreSQL with AT TIME ZONE). */
#ifndef UTIL_ICS_H
#define UTIL_ICS_H
#include <stdbool.h>
#include <stddef.h>

enum {
	ICS_MAX_FEED = 5 * 1024 * 1024, /* bytes */
	ICS_MAX_EVENTS = 10000,         /* VEVENTs in a feed */
	ICS_MAX_INSTANCES = 1000,       /* instances one rule may produce */
	ICS_MAX_FEED_INSTANCES = 5000,  /* instances one ics_expand may produce: beyond, the feed is refused */
	ICS_MAX_UID = 256,
	ICS_MAX_TEXT = 512,
	ICS_MAX_TZID = 64,
};

typedef enum { ICS_UTC, ICS_FLOATING, ICS_TZID, ICS_DATE } ics_kind;

/* A time as written: a civil day and seconds since its midnight, and how to
 * read it (ICS_DATE: a whole day, secs 0; ICS_TZID: local to tzid). */
typedef struct {
	long day;  /* days since 1970-01-01 */
	long secs; /* 0 .. 86399 */
	ics_kind kind;
	char tzid[ICS_MAX_TZID];
} ics_time;

/* One occurrence of an event. */
typedef struct {
	char uid[ICS_MAX_UID];
	char recurrence_id[24]; /* "" for a single event; else the instance's original
				   start, "YYYYMMDD" or "YYYYMMDDTHHMMSS" (+ "Z" for UTC) */
	char summary[ICS_MAX_TEXT];
	ics_time start, end;
	bool all_day;
	bool cancelled;
} ics_instance;

typedef struct {
	ics_instance *items;
	size_t n, cap;
} ics_instances;

/* Parses data (len bytes, not necessarily NUL-terminated) and appends the
 * instances whose start falls on the civil days [from_day, to_day] (wall
 * clock: callers widen the window by a day on each side and filter exactly
 * after converting). Cancelled events and instances are included with
 * cancelled set. EXDATEs and RECURRENCE-IDs match instances by their wall
 * clock. Returns false with a message in errbuf (n bytes) when the input is
 * not a calendar or exceeds the limits (ICS_MAX_FEED bytes, ICS_MAX_EVENTS
 * events, ICS_MAX_FEED_INSTANCES instances); malformed events are skipped.
 * DAILY and WEEKLY rules cost the days of the window, however far back their
 * DTSTART and however large their COUNT. */
bool ics_expand(const char *data, size_t len, long from_day, long to_day, ics_instances *out, char *errbuf,
		size_t n);
/* The candidate days the calling thread's last ics_expand examined while
 * expanding rules: how tests see that cost follows the window. */
long ics_expand_steps(void);
void ics_instances_free(ics_instances *list);

/* Unescapes a TEXT value (\\n \\N \\, \\; \\\\) into out (n bytes). */
void ics_unescape(const char *in, size_t len, char *out, size_t n);
/* Parses a DATE or DATE-TIME value ("20260420", "20260420T093000[Z]"); tzid
 * may be NULL. */
bool ics_parse_time(const char *value, const char *tzid, bool date_only, ics_time *out);
/* "YYYY-MM-DD HH:MM:SS" (19 bytes + NUL) of t's wall clock. */
void ics_format_local(const ics_time *t, char out[20]);

#endif
