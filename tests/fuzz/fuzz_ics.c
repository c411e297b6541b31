/* libFuzzer harness: the RFC 5545 feed reader (util/ics.c) on arbitrary
 * bytes, over the window the calendar job asks for (today - 8 .. today + 1),
 * then checks what came out is well formed. */
#include "util/dates.h"
#include "util/ics.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Feeds may be 5 MB; 64 KB keeps each run fast and still holds a thousand events. */
enum { MAX_INPUT = 64 * 1024 };

static bool terminated(const char *s, size_t n)
{
	return memchr(s, '\0', n) != NULL;
}

static void check_time(const ics_time *t)
{
	if (t->secs < 0 || t->secs >= 86400 || !terminated(t->tzid, sizeof t->tzid))
		abort();
	if (t->kind == ICS_DATE && t->secs != 0) /* a whole day has no time of day */
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > MAX_INPUT)
		return 0;
	long from, to;
	dates_parse("2026-11-09", &from);
	dates_parse("2026-11-18", &to);
	ics_instances out = { 0 };
	char err[256];
	if (ics_expand((const char *)data, size, from, to, &out, err, sizeof err)) {
		for (size_t i = 0; i < out.n; i++) {
			const ics_instance *in = &out.items[i];
			if (!in->uid[0] || !terminated(in->uid, sizeof in->uid) ||
			    !terminated(in->summary, sizeof in->summary) ||
			    !terminated(in->recurrence_id, sizeof in->recurrence_id))
				abort();
			/* every instance starts inside the window, overrides included */
			if (in->start.day < from || in->start.day > to)
				abort();
			check_time(&in->start);
			check_time(&in->end);
			char local[20];
			ics_format_local(&in->start, local);
			if (strlen(local) != 19)
				abort();
		}
	} else if (out.n) {
		abort(); /* a refused feed yields nothing */
	}
	ics_instances_free(&out);
	return 0;
}
