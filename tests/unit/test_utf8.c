/* Unit tests for src/util/utf8.c: cutting at character boundaries and
 * replacing what is not well-formed UTF-8, so messages quoting user input
 * always serialise as JSON. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>
#include "util/err.h"
#include "util/utf8.h"

/* "a" then U+00E9 (2 bytes), U+20AC (3 bytes), U+1F600 (4 bytes). */
static const char MIXED[] = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";

static char *utf8_t_clean(const char *in, size_t len)
{
	static char buf[64];
	memcpy(buf, in, len);
	buf[len] = '\0';
	utf8_clean(buf, len);
	return buf;
}

Test(utf8, valid_text)
{
	cr_assert(utf8_valid("", 0));
	cr_assert(utf8_valid("plain ascii", 11));
	cr_assert(utf8_valid(MIXED, strlen(MIXED)));
	/* The extremes: U+007F, U+0080, U+07FF, U+0800, U+D7FF, U+E000, U+FFFF, U+10000, U+10FFFF. */
	static const char edges[] = "\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf"
				    "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf";
	cr_assert(utf8_valid(edges, strlen(edges)));
}

Test(utf8, truncation_inside_each_sequence_length)
{
	size_t full = strlen(MIXED); /* 1 + 2 + 3 + 4 = 10 */
	cr_assert_eq(utf8_truncate(MIXED, full), full);
	/* Cut inside the 4-byte sequence (after 1, 2 or 3 of its bytes): back to its start. */
	for (size_t len = 7; len < 10; len++)
		cr_assert_eq(utf8_truncate(MIXED, len), 6, "cut at %zu", len);
	/* Inside the 3-byte one, then the 2-byte one. */
	cr_assert_eq(utf8_truncate(MIXED, 4), 3);
	cr_assert_eq(utf8_truncate(MIXED, 5), 3);
	cr_assert_eq(utf8_truncate(MIXED, 2), 1);
	/* At boundaries nothing is dropped. */
	cr_assert_eq(utf8_truncate(MIXED, 6), 6);
	cr_assert_eq(utf8_truncate(MIXED, 3), 3);
	cr_assert_eq(utf8_truncate(MIXED, 1), 1);
	cr_assert_eq(utf8_truncate(MIXED, 0), 0);
	/* Invalid bytes at the end are not a cut character: left for utf8_clean. */
	cr_assert_eq(utf8_truncate("ab\x80", 3), 3);
	cr_assert_eq(utf8_truncate("ab\xff", 3), 3);
	cr_assert_eq(utf8_truncate("ab\xe0\x80", 4), 4); /* overlong even before it ends */
}

Test(utf8, prefix_for_precision)
{
	cr_assert_eq(utf8_prefix(MIXED, 100), 10);
	cr_assert_eq(utf8_prefix(MIXED, 10), 10);
	cr_assert_eq(utf8_prefix(MIXED, 9), 6);
	cr_assert_eq(utf8_prefix(MIXED, 4), 3);
	cr_assert_eq(utf8_prefix("abc", 2), 2);
}

Test(utf8, invalid_bytes_are_replaced)
{
	cr_assert_str_eq(utf8_t_clean("a\x80z", 3), "a?z");          /* stray continuation */
	cr_assert_str_eq(utf8_t_clean("a\xfe\xffz", 4), "a??z");     /* never in UTF-8 */
	cr_assert_str_eq(utf8_t_clean("a\xc3z", 3), "a?z");          /* lead without its continuation */
	cr_assert_str_eq(utf8_t_clean("a\xf0\x9f\x98", 4), "a???");  /* cut at the end */
	cr_assert_str_eq(utf8_t_clean("\xf5\x80\x80\x80", 4), "????"); /* above U+10FFFF by its lead */
	cr_assert_str_eq(utf8_t_clean("\xf4\x90\x80\x80", 4), "????"); /* U+110000 */
	char with_nul[] = { 'a', '\0', 'b' };
	utf8_clean(with_nul, 3);
	cr_assert_eq(memcmp(with_nul, "a?b", 3), 0);
	/* Valid text is untouched. */
	cr_assert_str_eq(utf8_t_clean(MIXED, strlen(MIXED)), MIXED);
}

Test(utf8, overlong_encodings)
{
	cr_assert_not(utf8_valid("\xc0\xaf", 2));         /* '/' in 2 bytes */
	cr_assert_not(utf8_valid("\xc1\xbf", 2));
	cr_assert_not(utf8_valid("\xe0\x80\xaf", 3));     /* '/' in 3 bytes */
	cr_assert_not(utf8_valid("\xe0\x9f\xbf", 3));     /* U+07FF in 3 bytes */
	cr_assert_not(utf8_valid("\xf0\x80\x80\xaf", 4)); /* '/' in 4 bytes */
	cr_assert_not(utf8_valid("\xf0\x8f\xbf\xbf", 4)); /* U+FFFF in 4 bytes */
	cr_assert_not(utf8_valid("\xc0\x80", 2));         /* "modified UTF-8" NUL */
	cr_assert_str_eq(utf8_t_clean("x\xc0\xafy", 4), "x??y");
	cr_assert_str_eq(utf8_t_clean("x\xe0\x80\xafy", 5), "x???y");
}

Test(utf8, surrogates)
{
	cr_assert_not(utf8_valid("\xed\xa0\x80", 3)); /* U+D800 */
	cr_assert_not(utf8_valid("\xed\xbf\xbf", 3)); /* U+DFFF */
	/* CESU-8's pair for U+1F600 */
	cr_assert_not(utf8_valid("\xed\xa0\xbd\xed\xb8\x80", 6));
	cr_assert_str_eq(utf8_t_clean("\xed\xa0\x80!", 4), "???" "!"); /* split: "??!" would be a trigraph */
	cr_assert(utf8_valid("\xed\x9f\xbf", 3)); /* U+D7FF, just below */
}

Test(utf8, snprintf_cuts_at_a_boundary)
{
	char buf[8];
	/* "a" + U+20AC + U+1F600 is 8 bytes: one too many for 7 + NUL. */
	size_t n = utf8_snprintf(buf, sizeof buf, "a%s", "\xe2\x82\xac\xf0\x9f\x98\x80");
	cr_assert_eq(n, 4);
	cr_assert_str_eq(buf, "a\xe2\x82\xac");
	n = utf8_snprintf(buf, sizeof buf, "%s", "fits");
	cr_assert_eq(n, 4);
	cr_assert_str_eq(buf, "fits");
	/* A %.Ns precision that cuts a character: the stub is replaced, the rest kept. */
	char wide[32];
	utf8_snprintf(wide, sizeof wide, "'%.2s'", "\xf0\x9f\x98\x80");
	cr_assert_str_eq(wide, "'??" "'");
	cr_assert(utf8_valid(wide, strlen(wide)));
	char one[1];
	cr_assert_eq(utf8_snprintf(one, sizeof one, "%s", "anything"), 0);
	cr_assert_str_eq(one, "");
}

/* Every cut of a long multibyte message serialises: the bug this module fixes. */
Test(utf8, err_set_messages_always_serialise)
{
	char emoji[1200] = "";
	for (int i = 0; i < 250; i++)
		strcat(emoji, "\xf0\x9f\x98\x80");
	for (int shift = 0; shift < 4; shift++) {
		err_t err = { 0 };
		err_set(&err, ERR_CODE_VALIDATION_FAILED, "%.*s'%s' is wrong", shift, "abc", emoji);
		size_t len = strlen(err.message);
		cr_assert(len > 390 && len < sizeof err.message, "length %zu", len);
		cr_assert(utf8_valid(err.message, len), "shift %d", shift);
		json_t *j = json_pack("{s:s}", "message", err.message);
		cr_assert_not_null(j, "shift %d: jansson refused the message", shift);
		json_decref(j);
	}
	err_t err = { 0 };
	err_set(&err, ERR_CODE_INVALID_JSON, "near '%s'", "\"\\\xf0\x9f");
	cr_assert_str_eq(err.message, "near '\"\\??" "'");
}
