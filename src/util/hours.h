/* Exact conversion between decimal hours ("1.25") and integer seconds. */
#ifndef UTIL_HOURS_H
#define UTIL_HOURS_H
#include <stdbool.h>

/* Parses a plain decimal ("2", "1.5", ".25", at most 6 fraction digits, no sign,
 * no exponent) into seconds, rounded half up to the nearest second.
 * False on anything else or a value above 1,000,000 hours. */
bool hours_parse(const char *s, long *seconds);
/* Same for a double (as JSON numbers arrive): formatted with 6 fraction digits
 * first, so 0.1 means exactly 360 seconds. False for NaN, infinity, negatives. */
bool hours_from_double(double h, long *seconds);
/* Seconds as decimal hours rounded to 4 places, for display and JSON. */
double hours_from_seconds(long seconds);

#endif
