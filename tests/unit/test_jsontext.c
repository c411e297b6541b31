/* jsontext: the decimals the API builds from integer seconds print as
 * themselves, never as a double's 17-digit approximation. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include "util/hours.h"
#include "util/jsontext.h"

static void jt_expect(json_t *v, const char *want)
{
	char *text = jsontext_dump(v);
	cr_assert_not_null(text);
	cr_assert_str_eq(text, want);
	free(text);
	json_decref(v);
}

Test(jsontext, hours_from_seconds_print_exactly)
{
	jt_expect(json_real(hours_from_seconds(43199)), "11.9997");
	jt_expect(json_real(hours_from_seconds(2)), "0.0006");
	jt_expect(json_real(hours_from_seconds(43200)), "12.0");
	jt_expect(json_real(hours_from_seconds(43201)), "12.0003");
	/* The largest hours a manual entry can make in a year of full days. */
	jt_expect(json_real(hours_from_seconds(366L * 86400 - 1)), "8783.9997");
}

Test(jsontext, decimals_read_back_from_postgresql_print_as_written)
{
	static const char *const texts[] = { "11.9997", "0.0006", "0.1", "2.4167", "123456.7891", "0.9167" };
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		json_t *v = json_loads(texts[i], JSON_DECODE_ANY, NULL);
		cr_assert_not_null(v);
		jt_expect(v, texts[i]);
	}
}

Test(jsontext, objects_are_compact_and_any_value_encodes)
{
	jt_expect(json_pack("{s:f, s:i, s:s}", "hours", 0.0006, "n", 3, "s", "x"), "{\"hours\":0.0006,\"n\":3,\"s\":\"x\"}");
	jt_expect(json_null(), "null");
	cr_assert_null(jsontext_dump(NULL));
}
