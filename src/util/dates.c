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
