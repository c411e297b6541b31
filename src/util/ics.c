#include "util/ics.h"
#include "util/dates.h"
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_EXDATES = 1000, LOOP_GUARD = 100000 };

typedef enum { FREQ_NONE, FREQ_DAILY, FREQ_WEEKLY, FREQ_OTHER } rrule_freq;

typedef struct {
	rrule_freq freq;
	long interval, count; /* count 0: none */
	bool has_until;
	ics_time until;
	unsigned byday; /* bit d: weekday d (0 = Sunday) */
	int wkst;       /* 0 = Sunday .. 6; default Monday */
} rrule;

typedef struct {
	char uid[ICS_MAX_UID];
	char summary[ICS_MAX_TEXT];
	ics_time start, end, rid;
	bool has_start, has_end, has_duration, has_rid, has_rule, cancelled;
	long duration;
	rrule rule;
	ics_time *exdates;
	size_t nex, excap;
} vevent;

typedef struct {
	vevent *items;
	size_t n, cap;
} vevents;

static bool fail(char *errbuf, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(errbuf, n, fmt, ap);
	va_end(ap);
	return false;
}

/* ---------------------------------------------------------------- values */

void ics_unescape(const char *in, size_t len, char *out, size_t n)
{
	size_t o = 0;
	if (!n)
		return;
	for (size_t i = 0; i < len && o + 1 < n; i++) {
		char ch = in[i];
		if (ch == '\\' && i + 1 < len) {
			char nx = in[++i];
			ch = (nx == 'n' || nx == 'N') ? '\n' : nx;
		}
		out[o++] = ch;
	}
	out[o] = '\0';
}

static bool digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

bool ics_parse_time(const char *value, const char *tzid, bool date_only, ics_time *out)
{
	int y, mo, d, h = 0, mi = 0, s = 0;
	size_t len = strlen(value);
	memset(out, 0, sizeof *out);
	if (len < 8 || !digits(value, 4, &y) || !digits(value + 4, 2, &mo) || !digits(value + 6, 2, &d))
		return false;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || y < 1900 || y > 2200)
		return false;
	long day = dates_from_civil(y, mo, d);
	int cy, cm, cd;
	dates_to_civil(day, &cy, &cm, &cd);
	if (cm != mo || cd != d)
		return false;
	out->day = day;
	if (len == 8) {
		out->kind = ICS_DATE;
		return true;
	}
	if (date_only || value[8] != 'T' || (len != 15 && len != 16) || !digits(value + 9, 2, &h) ||
	    !digits(value + 11, 2, &mi) || !digits(value + 13, 2, &s) || h > 23 || mi > 59 || s > 60)
		return false;
	if (s == 60)
		s = 59; /* a leap second reads as the second before */
	out->secs = h * 3600L + mi * 60L + s;
	if (len == 16) {
		if (value[15] != 'Z')
			return false;
		out->kind = ICS_UTC;
	} else if (tzid && *tzid) {
		out->kind = ICS_TZID;
		snprintf(out->tzid, sizeof out->tzid, "%s", tzid);
	} else {
		out->kind = ICS_FLOATING;
	}
	return true;
}

void ics_format_local(const ics_time *t, char out[20])
{
	int y, m, d;
	dates_to_civil(t->day, &y, &m, &d);
	char buf[64];
	snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d", y % 10000, m, d, (int)(t->secs / 3600) % 24,
		 (int)(t->secs / 60) % 60, (int)(t->secs % 60));
	memcpy(out, buf, 19);
	out[19] = '\0';
}

static void format_rid(const ics_time *t, char out[24])
{
	int y, m, d;
	dates_to_civil(t->day, &y, &m, &d);
	char buf[64];
	if (t->kind == ICS_DATE)
		snprintf(buf, sizeof buf, "%04d%02d%02d", y % 10000, m, d);
	else
		snprintf(buf, sizeof buf, "%04d%02d%02dT%02d%02d%02d%s", y % 10000, m, d, (int)(t->secs / 3600) % 24,
			 (int)(t->secs / 60) % 60, (int)(t->secs % 60), t->kind == ICS_UTC ? "Z" : "");
	size_t len = strlen(buf) < 23 ? strlen(buf) : 23;
	memcpy(out, buf, len);
	out[len] = '\0';
}

/* [+-]P[nW][nD][T[nH][nM][nS]] in seconds. */
static bool parse_duration(const char *v, long *out)
{
	long sign = 1, total = 0;
	if (*v == '+' || *v == '-')
		sign = *v++ == '-' ? -1 : 1;
	if (*v++ != 'P')
		return false;
	bool time = false, any = false;
	while (*v) {
		if (*v == 'T') {
			time = true;
			v++;
			continue;
		}
		if (!isdigit((unsigned char)*v))
			return false;
		long n = 0;
		while (isdigit((unsigned char)*v)) {
			n = n * 10 + (*v++ - '0');
			if (n > 10000000)
				return false;
		}
		long unit = !time && *v == 'W' ? 604800 : !time && *v == 'D' ? 86400 : time && *v == 'H' ? 3600
			  : time && *v == 'M'  ? 60
			  : time && *v == 'S'  ? 1
					       : 0;
		if (!unit)
			return false;
		total += n * unit;
		if (total > 400L * 86400)
			return false;
		v++;
		any = true;
	}
	*out = sign * total;
	return any;
}

static int weekday(const char *s)
{
	static const char *const names[] = { "SU", "MO", "TU", "WE", "TH", "FR", "SA" };
	for (int i = 0; i < 7; i++)
		if (!strncmp(s, names[i], 2))
			return i;
	return -1;
}

static bool parse_rrule(const char *v, rrule *r)
{
	memset(r, 0, sizeof *r);
	r->interval = 1;
	r->wkst = 1;
	char buf[512];
	snprintf(buf, sizeof buf, "%s", v);
	char *save = NULL;
	for (char *part = strtok_r(buf, ";", &save); part; part = strtok_r(NULL, ";", &save)) {
		char *eq = strchr(part, '=');
		if (!eq)
			return false;
		*eq = '\0';
		const char *val = eq + 1;
		if (!strcmp(part, "FREQ")) {
			r->freq = !strcmp(val, "DAILY") ? FREQ_DAILY : !strcmp(val, "WEEKLY") ? FREQ_WEEKLY : FREQ_OTHER;
		} else if (!strcmp(part, "INTERVAL")) {
			r->interval = strtol(val, NULL, 10);
			if (r->interval < 1 || r->interval > 1000)
				return false;
		} else if (!strcmp(part, "COUNT")) {
			r->count = strtol(val, NULL, 10);
			if (r->count < 1)
				return false;
		} else if (!strcmp(part, "UNTIL")) {
			if (!ics_parse_time(val, NULL, false, &r->until))
				return false;
			r->has_until = true;
		} else if (!strcmp(part, "BYDAY")) {
			char days[256];
			snprintf(days, sizeof days, "%s", val);
			char *s2 = NULL;
			for (char *d = strtok_r(days, ",", &s2); d; d = strtok_r(NULL, ",", &s2)) {
				/* an ordinal (1MO, -1FR) only means something monthly or yearly */
				while (*d == '+' || *d == '-' || isdigit((unsigned char)*d))
					d++;
				int w = weekday(d);
				if (w < 0 || d[2])
					return false;
				r->byday |= 1u << w;
			}
		} else if (!strcmp(part, "WKST")) {
			int w = weekday(val);
			if (w >= 0)
				r->wkst = w;
		}
	}
	return r->freq != FREQ_NONE;
}

/* ------------------------------------------------------------ content lines */

typedef struct {
	char name[64];
	char tzid[ICS_MAX_TZID];
	bool value_date;
	const char *value;
	size_t value_len;
} content_line;

/* NAME *(;PARAM=VALUE[,VALUE]) : VALUE, with quoted parameter values. */
static bool parse_line(const char *line, size_t len, content_line *cl)
{
	memset(cl, 0, sizeof *cl);
	size_t i = 0, o = 0;
	while (i < len && line[i] != ';' && line[i] != ':') {
		if (o + 1 < sizeof cl->name)
			cl->name[o++] = (char)toupper((unsigned char)line[i]);
		i++;
	}
	cl->name[o] = '\0';
	while (i < len && line[i] == ';') {
		i++;
		char pname[32];
		o = 0;
		while (i < len && line[i] != '=' && line[i] != ':' && line[i] != ';') {
			if (o + 1 < sizeof pname)
				pname[o++] = (char)toupper((unsigned char)line[i]);
			i++;
		}
		pname[o] = '\0';
		if (i >= len || line[i] != '=')
			return false;
		i++;
		char pval[ICS_MAX_TZID];
		o = 0;
		for (;;) {
			if (i < len && line[i] == '"') {
				i++;
				while (i < len && line[i] != '"') {
					if (o + 1 < sizeof pval)
						pval[o++] = line[i];
					i++;
				}
				if (i >= len)
					return false;
				i++;
			} else {
				while (i < len && line[i] != ';' && line[i] != ':' && line[i] != ',') {
					if (o + 1 < sizeof pval)
						pval[o++] = line[i];
					i++;
				}
			}
			if (i < len && line[i] == ',') {
				i++;
				continue;
			}
			break;
		}
		pval[o] = '\0';
		if (!strcmp(pname, "TZID")) {
			/* some writers prefix a globally unique id with '/' */
			snprintf(cl->tzid, sizeof cl->tzid, "%s", pval[0] == '/' ? pval + 1 : pval);
		} else if (!strcmp(pname, "VALUE")) {
			cl->value_date = !strcmp(pval, "DATE");
		}
	}
	if (i >= len || line[i] != ':' || !cl->name[0])
		return false;
	cl->value = line + i + 1;
	cl->value_len = len - i - 1;
	return true;
}

static void copy_value(const content_line *cl, char *out, size_t n)
{
	size_t len = cl->value_len < n - 1 ? cl->value_len : n - 1;
	memcpy(out, cl->value, len);
	out[len] = '\0';
}

static bool line_time(const content_line *cl, ics_time *t)
{
	char v[32];
	if (cl->value_len >= sizeof v)
		return false;
	copy_value(cl, v, sizeof v);
	return ics_parse_time(v, cl->tzid, cl->value_date, t);
}

static void event_property(vevent *e, const content_line *cl)
{
	char v[512];
	if (!strcmp(cl->name, "UID")) {
		ics_unescape(cl->value, cl->value_len, e->uid, sizeof e->uid);
	} else if (!strcmp(cl->name, "SUMMARY")) {
		ics_unescape(cl->value, cl->value_len, e->summary, sizeof e->summary);
	} else if (!strcmp(cl->name, "DTSTART")) {
		e->has_start = line_time(cl, &e->start);
	} else if (!strcmp(cl->name, "DTEND")) {
		e->has_end = line_time(cl, &e->end);
	} else if (!strcmp(cl->name, "DURATION")) {
		copy_value(cl, v, sizeof v);
		e->has_duration = parse_duration(v, &e->duration);
	} else if (!strcmp(cl->name, "RECURRENCE-ID")) {
		e->has_rid = line_time(cl, &e->rid);
	} else if (!strcmp(cl->name, "STATUS")) {
		copy_value(cl, v, sizeof v);
		e->cancelled = !strcmp(v, "CANCELLED");
	} else if (!strcmp(cl->name, "RRULE")) {
		if (cl->value_len < sizeof v) {
			copy_value(cl, v, sizeof v);
			e->has_rule = parse_rrule(v, &e->rule);
		}
	} else if (!strcmp(cl->name, "EXDATE")) {
		size_t i = 0;
		while (i < cl->value_len) {
			size_t j = i;
			while (j < cl->value_len && cl->value[j] != ',')
				j++;
			ics_time t;
			content_line one = *cl;
			one.value = cl->value + i;
			one.value_len = j - i;
			if (e->nex < MAX_EXDATES && line_time(&one, &t)) {
				/* grown by doubling: a feed of many EXDATEs stays linear */
				if (e->nex == e->excap) {
					size_t cap = e->excap ? e->excap * 2 : 8;
					ics_time *grown = realloc(e->exdates, cap * sizeof *grown);
					if (!grown)
						return;
					e->exdates = grown;
					e->excap = cap;
				}
				e->exdates[e->nex++] = t;
			}
			i = j + 1;
		}
	}
}

static void vevents_free(vevents *list)
{
	for (size_t i = 0; i < list->n; i++)
		free(list->items[i].exdates);
	free(list->items);
	memset(list, 0, sizeof *list);
}

/* Unfolds and reads the VEVENTs (properties of nested components such as
 * VALARM, and of VTIMEZONE, are not the event's). */
static bool read_events(const char *data, size_t len, vevents *out, char *errbuf, size_t n)
{
	char *line = NULL;
	size_t llen = 0, lcap = 0;
	int depth = 0, event_depth = -1;
	bool calendar = false, ok = true;
	vevent *cur = NULL;
	size_t i = 0;
	while (ok && i <= len) {
		/* one physical line */
		size_t j = i;
		while (j < len && data[j] != '\n' && data[j] != '\r')
			j++;
		size_t end = j;
		if (j < len && data[j] == '\r')
			j++;
		if (j < len && data[j] == '\n')
			j++;
		bool continuation = i < end && (data[i] == ' ' || data[i] == '\t') && llen > 0;
		if (!continuation && llen > 0) {
			content_line cl;
			if (parse_line(line, llen, &cl)) {
				char v[64];
				copy_value(&cl, v, sizeof v);
				for (char *p = v; *p; p++)
					*p = (char)toupper((unsigned char)*p);
				if (!strcmp(cl.name, "BEGIN")) {
					depth++;
					if (!strcmp(v, "VCALENDAR"))
						calendar = true;
					if (!strcmp(v, "VEVENT") && event_depth < 0 && calendar) {
						if (out->n >= ICS_MAX_EVENTS) {
							ok = fail(errbuf, n, "the feed has more than %d events", ICS_MAX_EVENTS);
							break;
						}
						if (out->n == out->cap) {
							size_t cap = out->cap ? out->cap * 2 : 16;
							vevent *grown = realloc(out->items, cap * sizeof *grown);
							if (!grown) {
								ok = fail(errbuf, n, "out of memory");
								break;
							}
							out->items = grown;
							out->cap = cap;
						}
						cur = &out->items[out->n++];
						memset(cur, 0, sizeof *cur);
						event_depth = depth;
					}
				} else if (!strcmp(cl.name, "END")) {
					if (depth == event_depth) {
						event_depth = -1;
						cur = NULL;
					}
					if (depth > 0)
						depth--;
				} else if (cur && depth == event_depth) {
					event_property(cur, &cl);
				}
			}
			llen = 0;
		}
		if (i >= len)
			break;
		size_t from = continuation ? i + 1 : i;
		size_t add = end - from;
		if (llen + add + 1 > lcap) {
			size_t cap = (llen + add + 1) * 2;
			char *grown = realloc(line, cap);
			if (!grown) {
				ok = fail(errbuf, n, "out of memory");
				break;
			}
			line = grown;
			lcap = cap;
		}
		memcpy(line + llen, data + from, add);
		llen += add;
		i = j;
	}
	free(line);
	if (ok && !calendar)
		ok = fail(errbuf, n, "not an iCalendar feed (no BEGIN:VCALENDAR)");
	return ok;
}

/* --------------------------------------------------------------- expansion */

static bool same_instant(const ics_time *a, const ics_time *b)
{
	if (a->kind == ICS_DATE || b->kind == ICS_DATE)
		return a->day == b->day;
	return a->day == b->day && a->secs == b->secs;
}

static ics_time shifted(ics_time t, long seconds)
{
	long total = t.day * 86400 + t.secs + seconds;
	long day = total >= 0 ? total / 86400 : -((-total + 86399) / 86400);
	t.day = day;
	t.secs = total - day * 86400;
	return t;
}

static long wall_delta(const ics_time *a, const ics_time *b)
{
	return (b->day - a->day) * 86400 + (b->secs - a->secs);
}

/* Where instances go: out, up to limit in all (the per-feed cap). */
typedef struct {
	ics_instances *out;
	size_t limit;
	bool full, oom;
} sink;

/* false when the cap is reached or memory ran out (which, in s). */
static bool push(sink *s, const ics_instance *in)
{
	ics_instances *out = s->out;
	if (out->n >= s->limit) {
		s->full = true;
		return false;
	}
	if (out->n == out->cap) {
		size_t cap = out->cap ? out->cap * 2 : 32;
		ics_instance *grown = realloc(out->items, cap * sizeof *grown);
		if (!grown) {
			s->oom = true;
			return false;
		}
		out->items = grown;
		out->cap = cap;
	}
	out->items[out->n++] = *in;
	return true;
}

/* The event's length in wall-clock seconds, or -1 when it makes no sense.
 * A whole-day event lasts whole days (RFC 5545 3.8.2.5): a time-based
 * DURATION or a DATE-TIME end rounds up, so every end it shifts to stays a
 * whole day. */
static long event_length(const vevent *e)
{
	long d;
	if (e->has_end)
		d = wall_delta(&e->start, &e->end);
	else if (e->has_duration)
		d = e->duration;
	else
		d = e->start.kind == ICS_DATE ? 86400 : 0;
	if (e->start.kind == ICS_DATE && d > 0)
		d = (d + 86399) / 86400 * 86400;
	return d < 0 ? -1 : d;
}

static void fill(ics_instance *in, const vevent *e, const ics_time *start, long length, const char *rid)
{
	memset(in, 0, sizeof *in);
	snprintf(in->uid, sizeof in->uid, "%s", e->uid);
	snprintf(in->summary, sizeof in->summary, "%s", e->summary);
	snprintf(in->recurrence_id, sizeof in->recurrence_id, "%s", rid);
	in->start = *start;
	if (e->has_end && !e->has_rule && !e->has_rid)
		in->end = e->end; /* a single event keeps its own end, zone and all */
	else
		in->end = shifted(*start, length);
	in->all_day = start->kind == ICS_DATE;
	in->cancelled = e->cancelled;
}

static bool excluded(const vevent *e, const ics_time *t)
{
	for (size_t i = 0; i < e->nex; i++)
		if (same_instant(&e->exdates[i], t))
			return true;
	return false;
}

/* Whether an override (group[*]) replaces the occurrence t. */
static bool overridden(vevent *const *group, size_t ng, const ics_time *t)
{
	for (size_t i = 0; i < ng; i++)
		if (group[i]->has_rid && same_instant(&group[i]->rid, t))
			return true;
	return false;
}

static bool after_until(const rrule *r, const ics_time *t)
{
	if (!r->has_until)
		return false;
	if (r->until.kind == ICS_DATE)
		return t->day > r->until.day;
	return t->day > r->until.day || (t->day == r->until.day && t->secs > r->until.secs);
}

typedef struct {
	const vevent *e;
	vevent *const *group;
	size_t ng;
	long from_day, to_day, length, emitted;
	sink *out;
} expansion;

/* Candidate days the calling thread's expansion looked at (ics_expand_steps). */
static _Thread_local long walk_steps;

/* One occurrence: false stops the rule (its limit or the sink's reached). */
static bool occurrence(expansion *x, const ics_time *t)
{
	if (t->day < x->from_day || t->day > x->to_day || excluded(x->e, t) || overridden(x->group, x->ng, t))
		return true;
	if (x->emitted >= ICS_MAX_INSTANCES)
		return false;
	char rid[24];
	format_rid(t, rid);
	ics_instance in;
	fill(&in, x->e, t, x->length, rid);
	x->emitted++;
	return push(x->out, &in);
}

/* The occurrences in the rule's periods 0 .. k-1, counted without walking
 * them: exactly what the walk in expand_rule would see before period k.
 * DAILY: period j has one candidate, base + j * step, whose weekday repeats
 * every 7 periods. WEEKLY: every period has the mask's days, the first one
 * only those from DTSTART on. */
static long occurrences_before(const vevent *e, long base, long step, unsigned mask, long k)
{
	if (k <= 0)
		return 0;
	if (e->rule.freq == FREQ_DAILY) {
		long upto[8] = { 0 }; /* upto[j]: occurrences in periods 0 .. j-1 of a cycle */
		for (int j = 0; j < 7; j++)
			upto[j + 1] = upto[j] + ((mask >> dates_dow(base + j * step)) & 1u);
		return k / 7 * upto[7] + upto[k % 7];
	}
	long first = 0, per_period = 0;
	for (int d = 0; d < 7; d++) {
		long on = (mask >> dates_dow(base + d)) & 1u;
		per_period += on;
		first += base + d >= e->start.day ? on : 0;
	}
	return first + (k - 1) * per_period;
}

static void expand_rule(expansion *x)
{
	const vevent *e = x->e;
	const rrule *r = &e->rule;
	if (r->freq == FREQ_OTHER) {
		occurrence(x, &e->start); /* monthly and yearly rules: the first instance only */
		return;
	}
	long step = r->freq == FREQ_DAILY ? r->interval : 7 * r->interval;
	long base = r->freq == FREQ_DAILY ? e->start.day : dates_period_start(e->start.day, r->wkst);
	unsigned mask = r->byday ? r->byday : r->freq == FREQ_WEEKLY ? 1u << dates_dow(e->start.day) : 0x7f;
	/* Periods that end before the window are jumped over, not walked: COUNT
	 * counts from DTSTART (excluded and overridden occurrences included), so
	 * what they hold is counted arithmetically. The cost follows the window,
	 * never the distance from DTSTART. */
	long k = 0, seen = 0;
	if (x->from_day - 7 > base) {
		k = (x->from_day - 7 - base) / step;
		seen = occurrences_before(e, base, step, mask, k);
		if (r->count && seen >= r->count)
			return;
	}
	int days = r->freq == FREQ_DAILY ? 1 : 7;
	for (long guard = 0; guard < LOOP_GUARD; guard++, k++) {
		long period = base + k * step;
		if (period > x->to_day)
			return;
		for (int d = 0; d < days; d++) {
			walk_steps++;
			ics_time t = e->start;
			t.day = period + d;
			if (t.day < e->start.day || !(mask & (1u << dates_dow(t.day))))
				continue;
			if (after_until(r, &t) || (r->count && seen >= r->count))
				return;
			seen++;
			if (!occurrence(x, &t))
				return;
		}
	}
}

static int by_uid(const void *a, const void *b)
{
	const vevent *x = *(vevent *const *)a, *y = *(vevent *const *)b;
	int c = strcmp(x->uid, y->uid);
	if (c)
		return c;
	return (int)x->has_rid - (int)y->has_rid; /* the master first */
}

/* false when the sink refused an instance (cap reached, out of memory). */
static bool expand_group(vevent *const *group, size_t ng, long from_day, long to_day, sink *out)
{
	bool has_master = !group[0]->has_rid;
	for (size_t i = 0; i < ng; i++) {
		const vevent *e = group[i];
		long length = event_length(e);
		if (length < 0)
			continue;
		if (e->has_rid) {
			/* an override: its own times, keyed by the instance it replaces */
			if (e->start.day < from_day || e->start.day > to_day)
				continue;
			char rid[24];
			format_rid(&e->rid, rid);
			ics_instance in;
			fill(&in, e, &e->start, length, rid);
			if (has_master && group[0]->cancelled)
				in.cancelled = true;
			if (!push(out, &in))
				return false;
		} else if (i == 0) {
			expansion x = { e, group + 1, ng - 1, from_day, to_day, length, 0, out };
			if (e->has_rule) {
				expand_rule(&x);
				if (out->full || out->oom)
					return false;
			} else if (e->start.day >= from_day && e->start.day <= to_day) {
				ics_instance in;
				fill(&in, e, &e->start, length, "");
				if (!push(out, &in))
					return false;
			}
		}
	}
	return true;
}

long ics_expand_steps(void)
{
	return walk_steps;
}

bool ics_expand(const char *data, size_t len, long from_day, long to_day, ics_instances *out, char *errbuf,
		size_t n)
{
	walk_steps = 0;
	if (len > ICS_MAX_FEED)
		return fail(errbuf, n, "the feed is larger than %d bytes", ICS_MAX_FEED);
	vevents evs = { 0 };
	if (!read_events(data, len, &evs, errbuf, n)) {
		vevents_free(&evs);
		return false;
	}
	/* events without a UID or a start cannot be keyed: skipped */
	vevent **sorted = calloc(evs.n ? evs.n : 1, sizeof *sorted);
	if (!sorted) {
		vevents_free(&evs);
		return fail(errbuf, n, "out of memory");
	}
	size_t ns = 0;
	for (size_t i = 0; i < evs.n; i++)
		if (evs.items[i].uid[0] && evs.items[i].has_start)
			sorted[ns++] = &evs.items[i];
	qsort(sorted, ns, sizeof *sorted, by_uid);
	sink s = { out, out->n + ICS_MAX_FEED_INSTANCES, false, false };
	bool ok = true;
	for (size_t i = 0; ok && i < ns;) {
		size_t j = i + 1;
		while (j < ns && !strcmp(sorted[j]->uid, sorted[i]->uid))
			j++;
		if (!expand_group(sorted + i, j - i, from_day, to_day, &s))
			ok = s.full ? fail(errbuf, n, "the feed has more than %d event instances in the window",
					   ICS_MAX_FEED_INSTANCES)
				    : fail(errbuf, n, "out of memory");
		i = j;
	}
	free(sorted);
	vevents_free(&evs);
	return ok;
}

void ics_instances_free(ics_instances *list)
{
	free(list->items);
	memset(list, 0, sizeof *list);
}
