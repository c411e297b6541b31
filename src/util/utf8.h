/* UTF-8 hygiene for text that ends up in JSON: jansson refuses to build a
 * string from invalid UTF-8, so a message quoting user input must be cut at
 * character boundaries and have its invalid bytes replaced before it is
 * serialised. Well-formed means RFC 3629: no overlong forms, no surrogates
 * (U+D800..U+DFFF), nothing above U+10FFFF. */
#ifndef UTIL_UTF8_H
#define UTIL_UTF8_H
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* The byte that replaces each byte of an invalid sequence: ASCII, so the
 * text never grows and can be cleaned in place. */
#define UTF8_REPLACEMENT '?'

/* Whether s[0..len) is well-formed UTF-8 without NUL bytes. */
bool utf8_valid(const char *s, size_t len);
/* The length of s[0..len) without a character cut short at its end (the
 * valid beginning of a multibyte sequence that runs out of bytes): where a
 * text truncated at len bytes should end. */
size_t utf8_truncate(const char *s, size_t len);
/* For "%.*s": the length of the longest prefix of the string s that is at
 * most max bytes long and does not end inside a character. */
int utf8_prefix(const char *s, size_t max);
/* Makes s[0..len) valid in place: each byte that does not belong to a
 * well-formed sequence (stray continuation, overlong form, surrogate, code
 * point above U+10FFFF, cut sequence, NUL) becomes UTF8_REPLACEMENT. */
void utf8_clean(char *s, size_t len);
/* vsnprintf whose result is always valid UTF-8: when the output does not fit
 * it is cut at a character boundary, and invalid bytes (including a
 * character cut by a %.Ns precision) are replaced. size must be at least 1.
 * Returns the length of what was written. */
size_t utf8_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));
size_t utf8_snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
