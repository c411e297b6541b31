/* Calendar arithmetic on civil dates (proleptic Gregorian), without time zones.
 * A day number counts days since 1970-01-01. */
#ifndef UTIL_DATES_H
#define UTIL_DATES_H
#include <stdbool.h>

/* Parses exactly "YYYY-MM-DD" into a day number; false if it is not a real date. */
bool dates_parse(const char *s, long *day);
/* Writes "YYYY-MM-DD" (out holds 11 bytes). */
void dates_format(long day, char out[11]);
long dates_from_civil(int y, int m, int d);
void dates_to_civil(long day, int *y, int *m, int *d);
/* 0 = Sunday ... 6 = Saturday, as PostgreSQL's extract(dow). */
int dates_dow(long day);
/* First day of the 7-day period containing day, for weeks starting on week_start_dow. */
long dates_period_start(long day, int week_start_dow);

/* Parses an ISO 8601 instant "YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)" (a space
 * may replace the T) into unix seconds; false when malformed or, in UTC,
 * outside the years 1 to 9999 (which dates_format_instant can write). */
bool dates_parse_instant(const char *s, double *unix_seconds);
/* Writes "YYYY-MM-DDTHH:MM:SSZ" (UTC, whole seconds); out holds 21 bytes. */
void dates_format_instant(double unix_seconds, char out[21]);

#endif
