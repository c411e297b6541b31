#include "util/hours.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

bool hours_parse(const char *s, long *seconds)
{
	if (!s || !*s)
		return false;
	long whole = 0;
	long frac = 0; /* in millionths */
	int frac_digits = 0, whole_digits = 0;
	const char *p = s;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (++whole_digits > 7)
			return false;
		whole = whole * 10 + (*p - '0');
	}
	if (*p == '.') {
		p++;
		for (; *p >= '0' && *p <= '9'; p++) {
			if (++frac_digits > 6)
				return false;
			frac = frac * 10 + (*p - '0');
		}
		if (frac_digits == 0 && whole_digits == 0)
			return false;
	}
	if (*p != '\0' || (whole_digits == 0 && frac_digits == 0))
		return false;
	for (int i = frac_digits; i < 6; i++)
		frac *= 10;
	/* seconds = whole*3600 + frac*3600/1e6, rounded half up. */
	long micro_secs = frac * 3600; /* millionths of a second */
	if (whole > 1000000 || (whole == 1000000 && frac > 0))
		return false;
	*seconds = whole * 3600 + (micro_secs + 500000) / 1000000;
	return true;
}

bool hours_from_double(double h, long *seconds)
{
	if (!isfinite(h) || h < 0 || h > 1000000)
		return false;
	char buf[64];
	snprintf(buf, sizeof buf, "%.6f", h);
	return hours_parse(buf, seconds);
}

double hours_from_seconds(long seconds)
{
	return round((double)seconds / 3600.0 * 10000.0) / 10000.0;
}
