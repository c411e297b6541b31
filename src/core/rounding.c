#include "core/rounding.h"
#include <string.h>

static const char *const NAMES[] = { "none", "up", "down", "nearest" };

bool rounding_parse(const char *s, rounding_mode *out)
{
	for (int i = 0; s && i < 4; i++)
		if (!strcmp(s, NAMES[i])) {
			*out = (rounding_mode)i;
			return true;
		}
	return false;
}

const char *rounding_name(rounding_mode m)
{
	return NAMES[m];
}

long rounding_apply(long seconds, rounding_mode m, int minutes)
{
	long unit = (long)minutes * 60;
	if (unit <= 0 || m == ROUND_NONE)
		return seconds;
	long down = seconds / unit * unit;
	switch (m) {
	case ROUND_UP:
		return down == seconds ? seconds : down + unit;
	case ROUND_DOWN:
		return down;
	case ROUND_NEAREST:
		return seconds - down >= (unit + 1) / 2 ? down + unit : down;
	default:
		return seconds;
	}
}

long rounding_amount(long long rate_seconds)
{
	return (long)((rate_seconds + 1800) / 3600);
}
