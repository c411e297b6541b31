#include "util/dates.h"
#include <stdio.h>
#include <string.h>

/* Howard Hinnant's days_from_civil / civil_from_days. */
long dates_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long)doe - 719468;
}

void dates_to_civil(long z, int *y, int *m, int *d)
{
	z += 719468;
	long era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long yy = (long)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yy + (*m <= 2));
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

bool dates_parse(const char *s, long *day)
{
	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	int m = (s[5] - '0') * 10 + (s[6] - '0');
	int d = (s[8] - '0') * 10 + (s[9] - '0');
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (y < 1 || m < 1 || m > 12 || d < 1)
		return false;
	int max = mdays[m - 1] + (m == 2 && is_leap(y));
	if (d > max)
		return false;
	*day = dates_from_civil(y, m, d);
	return true;
}

void dates_format(long day, char out[11])
{
	int y, m, d;
	dates_to_civil(day, &y, &m, &d);
	char buf[48];
	snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
	memcpy(out, buf, 10);
	out[10] = '\0';
}

int dates_dow(long day)
{
	/* 1970-01-01 was a Thursday (4). */
	long r = (day + 4) % 7;
	return (int)(r < 0 ? r + 7 : r);
}

long dates_period_start(long day, int week_start_dow)
{
	int back = (dates_dow(day) - week_start_dow + 7) % 7;
	return day - back;
}

/* Reads n digits at s into *out. */
static bool digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

bool dates_parse_instant(const char *s, double *unix_seconds)
{
	long day;
	char date[11];
	int hh, mm, ss;
	if (!s || strlen(s) < 20)
		return false;
	memcpy(date, s, 10);
	date[10] = '\0';
	if (!dates_parse(date, &day) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s + 11, 2, &hh) ||
	    s[13] != ':' || !digits(s + 14, 2, &mm) || s[16] != ':' || !digits(s + 17, 2, &ss) || hh > 23 || mm > 59 ||
	    ss > 60)
		return false;
	const char *p = s + 19;
	double frac = 0, scale = 0.1;
	if (*p == '.') {
		if (p[1] < '0' || p[1] > '9')
			return false;
		for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
			frac += (*p - '0') * scale;
	}
	long offset = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om;
		if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om) || oh > 23 || om > 59)
			return false;
		offset = (*p == '-' ? -1 : 1) * (oh * 3600L + om * 60L);
		p += 6;
	} else {
		return false;
	}
	if (*p)
		return false;
	/* An offset can carry the first day of year 1 or the last of 9999 into a
	 * year that has no four-digit form: dates_format_instant could not write
	 * it back (it would print year 0, or cut "10000-…" short), so refuse it. */
	long t = day * 86400L + hh * 3600L + mm * 60L + ss - offset;
	if (t < dates_from_civil(1, 1, 1) * 86400L || t >= (dates_from_civil(9999, 12, 31) + 1) * 86400L)
		return false;
	*unix_seconds = (double)t + frac;
	return true;
}

void dates_format_instant(double unix_seconds, char out[21])
{
	long long t = (long long)unix_seconds;
	if ((double)t > unix_seconds)
		t--; /* floor for instants before 1970 */
	long long day = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	long secs = (long)(t - day * 86400);
	int y, m, d;
	dates_to_civil((long)day, &y, &m, &d);
	char buf[48];
	snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02ld:%02ld:%02ldZ", y, m, d, secs / 3600, secs / 60 % 60, secs % 60);
	memcpy(out, buf, 20);
	out[20] = '\0';
}
