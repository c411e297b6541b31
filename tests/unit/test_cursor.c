/* Opaque list cursors (util/cursor): what goes in comes out, and nothing a
 * client could make up that the encoder would not write is taken. */
#include <criterion/criterion.h>
#include <string.h>
#include "util/cursor.h"

Test(cursor, round_trip)
{
	char out[CURSOR_MAX], kind[CURSOR_KIND], f[CURSOR_FIELDS][CURSOR_FIELD];
	int n;
	const char *const fields[] = { "2026-04-29", "1777456980123456", "te_0123abcd" };
	cursor_encode("el", fields, 3, out);
	cr_assert_eq(strspn(out, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), strlen(out),
		     "URL-safe: %s", out);
	cr_assert(cursor_decode(out, kind, f, &n));
	cr_assert_str_eq(kind, "el");
	cr_assert_eq(n, 3);
	for (int i = 0; i < 3; i++)
		cr_assert_str_eq(f[i], fields[i]);
	const char *const empty_id[] = { "812", "" };
	cursor_encode("es", empty_id, 2, out);
	cr_assert(cursor_decode(out, kind, f, &n));
	cr_assert_eq(n, 2);
	cr_assert_str_eq(f[1], "");
}

Test(cursor, refusals)
{
	char kind[CURSOR_KIND], f[CURSOR_FIELDS][CURSOR_FIELD];
	int n;
	cr_assert_not(cursor_decode("", kind, f, &n));
	cr_assert_not(cursor_decode("not base64!", kind, f, &n));
	cr_assert_not(cursor_decode("ZXM6MTIzOic7RFJPUA", kind, f, &n)); /* "es:123:';DROP" */
	cr_assert_not(cursor_decode("ZXM6MTphOmI6Yw", kind, f, &n));     /* "es:1:a:b:c": four fields */
	cr_assert_not(cursor_decode("OjE", kind, f, &n));                /* ":1": no kind */
	char longer[CURSOR_MAX + 8];
	memset(longer, 'A', sizeof longer - 1);
	longer[sizeof longer - 1] = '\0';
	cr_assert_not(cursor_decode(longer, kind, f, &n));
}
