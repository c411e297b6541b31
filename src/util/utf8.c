#include "util/utf8.h"
#include <stdio.h>
#include <string.h>

/* The length of the well-formed sequence at s (avail > 0 bytes), or 0 when
 * there is none; *cut is set when the bytes there are a valid beginning that
 * runs out before the sequence ends. The ranges of the second byte are
 * those of RFC 3629's table, which is what excludes overlong forms,
 * surrogates and code points above U+10FFFF. */
static size_t seq_len(const unsigned char *s, size_t avail, bool *cut)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t n;
	*cut = false;
	if (c == 0)
		return 0;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
	else
		return 0; /* a continuation byte, C0/C1 (always overlong) or F5..FF */
	for (size_t k = 1; k < n; k++) {
		if (k >= avail) {
			*cut = true;
			return 0;
		}
		if (s[k] < lo || s[k] > hi)
			return 0;
		lo = 0x80, hi = 0xbf;
	}
	return n;
}

bool utf8_valid(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	bool cut;
	for (size_t i = 0, n; i < len; i += n)
		if (!(n = seq_len(u + i, len - i, &cut)))
			return false;
	return true;
}

size_t utf8_truncate(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	/* A character is at most 4 bytes: its lead byte is among the last 4. */
	for (size_t back = 1; back <= 4 && back <= len; back++) {
		size_t i = len - back;
		if ((u[i] & 0xc0) == 0x80)
			continue;
		bool cut;
		if (!seq_len(u + i, back, &cut) && cut)
			return i;
		break;
	}
	return len;
}

int utf8_prefix(const char *s, size_t max)
{
	size_t n = strnlen(s, max);
	if (s[n] != '\0') /* cut: the string goes on */
		n = utf8_truncate(s, n);
	return (int)n;
}

void utf8_clean(char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	bool cut;
	for (size_t i = 0, n; i < len; i += n)
		if (!(n = seq_len(u + i, len - i, &cut))) {
			s[i] = UTF8_REPLACEMENT;
			n = 1;
		}
}

size_t utf8_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	int n = vsnprintf(buf, size, fmt, ap);
	if (n < 0) {
		buf[0] = '\0';
		return 0;
	}
	size_t len = (size_t)n;
	if (len >= size)
		len = utf8_truncate(buf, size - 1);
	buf[len] = '\0';
	utf8_clean(buf, len);
	return len;
}

size_t utf8_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t len = utf8_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return len;
}
