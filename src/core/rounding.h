/* Rounding of durations and money, applied in reports and invoices only:
 * the raw seconds are always what is stored. */
#ifndef CORE_ROUNDING_H
#define CORE_ROUNDING_H
#include <stdbool.h>

typedef enum { ROUND_NONE, ROUND_UP, ROUND_DOWN, ROUND_NEAREST } rounding_mode;

/* Parses none|up|down|nearest; false on anything else. */
bool rounding_parse(const char *s, rounding_mode *out);
const char *rounding_name(rounding_mode m);
/* seconds rounded to a multiple of minutes*60 (nearest: half up). */
long rounding_apply(long seconds, rounding_mode m, int minutes);
/* Amount in minor units for rate (minor units per hour) over rate_seconds, a sum
 * of rate × seconds: divided by 3600 once, half up. */
long rounding_amount(long long rate_seconds);

#endif
