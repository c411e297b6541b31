/* libFuzzer harness: the text parsers of util/dates.c (dates, ISO 8601
 * instants) and util/hours.c (decimal hours) on the input as a C string, with
 * round trips: what parses formats back to the same value. The input's first
 * 8 bytes are also read as a double, as JSON numbers reach hours_from_double. */
#include "util/dates.h"
#include "util/hours.h"
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Every accepted text is short; longer ones only exercise the refusal. */
enum { MAX_INPUT = 256 };

static void date(const char *s)
{
	long day, again;
	if (!dates_parse(s, &day))
		return;
	char out[11];
	dates_format(day, out);
	/* exactly YYYY-MM-DD is accepted, so it formats back as given */
	if (strcmp(out, s) || !dates_parse(out, &again) || again != day)
		abort();
	int dow = dates_dow(day);
	long start = dates_period_start(day, dow);
	if (dow < 0 || dow > 6 || start != day || dates_period_start(day, (dow + 1) % 7) != day - 6)
		abort();
}

static void instant(const char *s)
{
	double t, again;
	if (!dates_parse_instant(s, &t))
		return;
	char out[21];
	dates_format_instant(t, out);
	if (strlen(out) != 20 || !dates_parse_instant(out, &again) || again != floor(t))
		abort();
}

static void hours(const char *s)
{
	long seconds;
	if (!hours_parse(s, &seconds))
		return;
	if (seconds < 0 || seconds > 1000000L * 3600)
		abort();
	/* the same text as a JSON number means the same seconds */
	long from_double;
	if (!hours_from_double(strtod(s, NULL), &from_double) || from_double != seconds)
		abort();
	if (fabs(hours_from_seconds(seconds) * 3600 - (double)seconds) > 0.36 + 1e-6)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > MAX_INPUT)
		return 0;
	char s[MAX_INPUT + 1];
	memcpy(s, data, size);
	s[size] = '\0';
	date(s);
	instant(s);
	hours(s);
	if (size >= sizeof(double)) {
		double h;
		long seconds;
		memcpy(&h, data, sizeof h);
		if (hours_from_double(h, &seconds) && (seconds < 0 || seconds > 1000000L * 3600 || !(h >= 0)))
			abort();
	}
	return 0;
}
