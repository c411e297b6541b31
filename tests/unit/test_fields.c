/* Unit tests for src/core/fields.c (JSON request validation) and the err_t
 * helpers of src/util/err.c it reports through. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>
#include "core/fields.h"
#include "util/err.h"

static json_t *fields_t_json(const char *text)
{
	json_error_t jerr;
	json_t *j = json_loads(text, JSON_DECODE_ANY, &jerr);
	cr_assert_not_null(j, "bad test JSON %s: %s", text, jerr.text);
	return j;
}

/* Asserts err holds a validation error whose message contains needle. */
static void fields_t_validation(const err_t *err, const char *needle)
{
	cr_assert_eq(err->kind, ERR_VALIDATION, "kind %d, message '%s'", err->kind, err->message);
	cr_assert_str_eq(err_name(err), "validation_failed");
	cr_assert_not_null(strstr(err->message, needle), "message '%s' lacks '%s'", err->message, needle);
}

static void fields_t_no_error(const err_t *err)
{
	cr_assert_eq(err->kind, ERR_NONE, "unexpected error %s: %s", err_name(err), err->message);
}

static const char *const fields_t_allowed[] = { "name", "billable", "hours", NULL };

/* ---- fields_only ---- */

Test(fields, only_accepts_allowed_keys)
{
	err_t err = { 0 };
	json_t *b = fields_t_json("{\"name\":\"x\",\"hours\":1}");
	cr_assert(fields_only(b, fields_t_allowed, &err));
	fields_t_no_error(&err);
	json_decref(b);
	b = fields_t_json("{}");
	cr_assert(fields_only(b, fields_t_allowed, &err));
	fields_t_no_error(&err);
	json_decref(b);
}

Test(fields, only_rejects_unknown_key_and_names_it)
{
	err_t err = { 0 };
	json_t *b = fields_t_json("{\"name\":\"x\",\"colour\":\"red\"}");
	cr_assert_not(fields_only(b, fields_t_allowed, &err));
	fields_t_validation(&err, "'colour'");
	json_decref(b);

	/* Keys match exactly: no prefix or case folding. */
	static const char *const near[] = { "nam", "names", "Name", "hours ", "" };
	for (size_t i = 0; i < sizeof near / sizeof *near; i++) {
		err_clear(&err);
		b = json_object();
		json_object_set_new(b, near[i], json_true());
		cr_assert_not(fields_only(b, fields_t_allowed, &err), "key '%s'", near[i]);
		cr_assert_eq(err.kind, ERR_VALIDATION);
		json_decref(b);
	}

	/* Nothing is allowed by an empty list. */
	static const char *const none[] = { NULL };
	err_clear(&err);
	b = fields_t_json("{\"name\":\"x\"}");
	cr_assert_not(fields_only(b, none, &err));
	fields_t_validation(&err, "'name'");
	json_decref(b);
}

Test(fields, only_truncates_a_huge_key_in_the_message)
{
	err_t err = { 0 };
	char key[301];
	memset(key, 'k', 300);
	key[300] = '\0';
	json_t *b = json_object();
	json_object_set_new(b, key, json_integer(1));
	cr_assert_not(fields_only(b, fields_t_allowed, &err));
	cr_assert_eq(err.kind, ERR_VALIDATION);
	char want[70];
	memset(want, 'k', 64);
	strcpy(want + 64, "'");
	cr_assert_not_null(strstr(err.message, want), "key shown up to 64 characters: %s", err.message);
	json_decref(b);
}

Test(fields, only_rejects_non_objects)
{
	static const char *const bodies[] = { "[]", "[{\"name\":\"x\"}]", "\"name\"", "42", "true", "null" };
	for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
		err_t err = { 0 };
		json_t *b = fields_t_json(bodies[i]);
		cr_assert_not(fields_only(b, fields_t_allowed, &err), "body %s", bodies[i]);
		cr_assert_eq(err.kind, ERR_BAD_REQUEST, "body %s", bodies[i]);
		cr_assert_str_eq(err_name(&err), "invalid_body");
		cr_assert_neq(strlen(err.message), 0);
		json_decref(b);
	}
	err_t err = { 0 };
	cr_assert_not(fields_only(NULL, fields_t_allowed, &err), "a missing body");
	cr_assert_eq(err.kind, ERR_BAD_REQUEST);
}

/* ---- fields_string ---- */

Test(fields, string_set)
{
	err_t err = { 0 };
	json_t *b = fields_t_json("{\"name\":\"Design review\"}");
	const char *out = NULL;
	cr_assert_eq(fields_string(b, "name", true, false, false, 100, &out, &err), FIELD_SET);
	cr_assert_str_eq(out, "Design review");
	cr_assert_eq(out, json_string_value(json_object_get(b, "name")), "out is borrowed from body");
	fields_t_no_error(&err);
	json_decref(b);
}

Test(fields, string_required_and_absent)
{
	json_t *b = fields_t_json("{\"other\":1}");
	err_t err = { 0 };
	const char *out = "sentinel";
	cr_assert_eq(fields_string(b, "name", true, false, false, 100, &out, &err), FIELD_ERROR);
	cr_assert_null(out);
	fields_t_validation(&err, "'name' is required");

	err_clear(&err);
	out = "sentinel";
	cr_assert_eq(fields_string(b, "name", false, false, false, 100, &out, &err), FIELD_ABSENT);
	cr_assert_null(out);
	fields_t_no_error(&err);
	json_decref(b);
}

Test(fields, string_null)
{
	json_t *b = fields_t_json("{\"name\":null}");
	err_t err = { 0 };
	const char *out = "sentinel";
	cr_assert_eq(fields_string(b, "name", false, true, false, 100, &out, &err), FIELD_NULL, "nullable");
	cr_assert_null(out);
	fields_t_no_error(&err);

	cr_assert_eq(fields_string(b, "name", false, false, false, 100, &out, &err), FIELD_ERROR, "not nullable");
	fields_t_validation(&err, "'name' cannot be null");

	err_clear(&err);
	cr_assert_eq(fields_string(b, "name", true, true, false, 100, &out, &err), FIELD_ERROR,
		     "required wins over nullable");
	fields_t_validation(&err, "cannot be null");
	json_decref(b);
}

Test(fields, string_empty)
{
	json_t *b = fields_t_json("{\"note\":\"\"}");
	err_t err = { 0 };
	const char *out = NULL;
	cr_assert_eq(fields_string(b, "note", true, false, false, 100, &out, &err), FIELD_ERROR);
	cr_assert_null(out);
	fields_t_validation(&err, "'note' cannot be empty");

	err_clear(&err);
	cr_assert_eq(fields_string(b, "note", true, false, true, 100, &out, &err), FIELD_SET);
	cr_assert_str_eq(out, "");
	fields_t_no_error(&err);
	json_decref(b);
}

Test(fields, string_length_limit)
{
	json_t *b = fields_t_json("{\"code\":\"abcdef\",\"accent\":\"\xc3\xa9t\xc3\xa9\"}");
	err_t err = { 0 };
	const char *out = NULL;
	cr_assert_eq(fields_string(b, "code", true, false, false, 6, &out, &err), FIELD_SET, "exactly maxlen");
	cr_assert_str_eq(out, "abcdef");
	cr_assert_eq(fields_string(b, "code", true, false, false, 5, &out, &err), FIELD_ERROR);
	cr_assert_null(out);
	fields_t_validation(&err, "'code' is longer than 5");

	/* The limit counts bytes: "été" is 5 bytes of UTF-8. */
	err_clear(&err);
	cr_assert_eq(fields_string(b, "accent", true, false, false, 5, &out, &err), FIELD_SET);
	cr_assert_eq(fields_string(b, "accent", true, false, false, 4, &out, &err), FIELD_ERROR);
	json_decref(b);
}

Test(fields, string_wrong_type)
{
	static const char *const bodies[] = { "{\"name\":1}", "{\"name\":1.5}", "{\"name\":true}", "{\"name\":{}}",
					      "{\"name\":[\"x\"]}" };
	for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
		json_t *b = fields_t_json(bodies[i]);
		err_t err = { 0 };
		const char *out = "sentinel";
		cr_assert_eq(fields_string(b, "name", false, true, true, 100, &out, &err), FIELD_ERROR, "%s", bodies[i]);
		cr_assert_null(out);
		fields_t_validation(&err, "'name' must be a string");
		json_decref(b);
	}
}

Test(fields, string_with_nul_is_rejected)
{
	json_t *b = json_object();
	json_object_set_new(b, "name", json_stringn("ab\0cd", 5));
	err_t err = { 0 };
	const char *out = "sentinel";
	cr_assert_eq(fields_string(b, "name", true, false, false, 100, &out, &err), FIELD_ERROR);
	cr_assert_null(out);
	fields_t_validation(&err, "NUL");
	json_decref(b);
}

/* ---- fields_bool ---- */

Test(fields, bool_values)
{
	json_t *b = fields_t_json("{\"yes\":true,\"no\":false}");
	err_t err = { 0 };
	bool v = false;
	cr_assert_eq(fields_bool(b, "yes", &v, &err), FIELD_SET);
	cr_assert(v);
	cr_assert_eq(fields_bool(b, "no", &v, &err), FIELD_SET);
	cr_assert_not(v);
	v = true;
	cr_assert_eq(fields_bool(b, "missing", &v, &err), FIELD_ABSENT);
	cr_assert(v, "untouched when absent");
	fields_t_no_error(&err);
	json_decref(b);
}

Test(fields, bool_wrong_type_or_null)
{
	static const char *const bodies[] = { "{\"b\":1}", "{\"b\":0}", "{\"b\":\"true\"}", "{\"b\":[]}" };
	for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
		json_t *b = fields_t_json(bodies[i]);
		err_t err = { 0 };
		bool v = true;
		cr_assert_eq(fields_bool(b, "b", &v, &err), FIELD_ERROR, "%s", bodies[i]);
		fields_t_validation(&err, "'b' must be true or false");
		json_decref(b);
	}
	json_t *b = fields_t_json("{\"b\":null}");
	err_t err = { 0 };
	bool v = true;
	cr_assert_eq(fields_bool(b, "b", &v, &err), FIELD_ERROR);
	fields_t_validation(&err, "'b' cannot be null");
	json_decref(b);
}

/* ---- fields_hours ---- */

static field_state fields_t_hours(const char *body, long max, long *secs, err_t *err)
{
	json_t *b = fields_t_json(body);
	field_state st = fields_hours(b, "hours", true, max, secs, err);
	json_decref(b);
	return st;
}

Test(fields, hours_accepts_numbers_and_strings)
{
	struct {
		const char *body;
		long secs;
	} cases[] = {
		{ "{\"hours\":2}", 7200 },       { "{\"hours\":1.5}", 5400 },    { "{\"hours\":0.1}", 360 },
		{ "{\"hours\":0.25}", 900 },     { "{\"hours\":\"1.5\"}", 5400 }, { "{\"hours\":\".25\"}", 900 },
		{ "{\"hours\":\"8\"}", 28800 }, { "{\"hours\":24}", 86400 },    { "{\"hours\":24.0}", 86400 },
		{ "{\"hours\":1e-3}", 4 },       { "{\"hours\":7.7}", 27720 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		err_t err = { 0 };
		long secs = -1;
		cr_assert_eq(fields_t_hours(cases[i].body, 86400, &secs, &err), FIELD_SET, "%s: %s", cases[i].body,
			     err.message);
		cr_assert_eq(secs, cases[i].secs, "%s", cases[i].body);
		fields_t_no_error(&err);
	}
}

Test(fields, hours_zero_is_rejected)
{
	static const char *const bodies[] = { "{\"hours\":0}", "{\"hours\":0.0}", "{\"hours\":\"0\"}",
					      "{\"hours\":\"0.000\"}", "{\"hours\":0.0001}" };
	for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
		err_t err = { 0 };
		long secs = -1;
		cr_assert_eq(fields_t_hours(bodies[i], 86400, &secs, &err), FIELD_ERROR, "%s", bodies[i]);
		fields_t_validation(&err, "'hours' must be more than 0 and at most 24 hours");
	}
}

Test(fields, hours_negative_and_garbage_are_rejected)
{
	static const char *const bodies[] = {
		"{\"hours\":-1}",        "{\"hours\":-0.5}",  "{\"hours\":\"-1\"}",  "{\"hours\":\"abc\"}",
		"{\"hours\":\"\"}",      "{\"hours\":\"1e2\"}", "{\"hours\":\" 1\"}",  "{\"hours\":true}",
		"{\"hours\":[1]}",       "{\"hours\":{}}",    "{\"hours\":1e300}",  "{\"hours\":1000000000000}",
		"{\"hours\":\"0.1234567\"}",
	};
	for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
		err_t err = { 0 };
		long secs = -1;
		cr_assert_eq(fields_t_hours(bodies[i], 86400, &secs, &err), FIELD_ERROR, "%s", bodies[i]);
		fields_t_validation(&err, "'hours' must be a decimal number of hours");
	}
}

Test(fields, hours_above_max_is_rejected)
{
	static const char *const bodies[] = { "{\"hours\":25}", "{\"hours\":24.001}", "{\"hours\":\"24.5\"}",
					      "{\"hours\":999999}", "{\"hours\":\"1000000\"}" };
	for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
		err_t err = { 0 };
		long secs = -1;
		cr_assert_eq(fields_t_hours(bodies[i], 86400, &secs, &err), FIELD_ERROR, "%s", bodies[i]);
		fields_t_validation(&err, "at most 24 hours");
	}
	/* One second over a limit that is not a whole number of hours. */
	err_t err = { 0 };
	long secs = -1;
	cr_assert_eq(fields_t_hours("{\"hours\":0.5}", 1799, &secs, &err), FIELD_ERROR);
	cr_assert_eq(err.kind, ERR_VALIDATION);
	err_clear(&err);
	cr_assert_eq(fields_t_hours("{\"hours\":0.5}", 1800, &secs, &err), FIELD_SET);
	cr_assert_eq(secs, 1800);
}

Test(fields, hours_presence)
{
	json_t *b = fields_t_json("{\"hours\":null}");
	err_t err = { 0 };
	long secs = 99;
	cr_assert_eq(fields_hours(b, "hours", false, 86400, &secs, &err), FIELD_ERROR, "hours is never nullable");
	fields_t_validation(&err, "'hours' cannot be null");
	json_decref(b);

	b = fields_t_json("{}");
	err_clear(&err);
	secs = 99;
	cr_assert_eq(fields_hours(b, "hours", false, 86400, &secs, &err), FIELD_ABSENT);
	cr_assert_eq(secs, 99);
	fields_t_no_error(&err);
	cr_assert_eq(fields_hours(b, "hours", true, 86400, &secs, &err), FIELD_ERROR);
	fields_t_validation(&err, "'hours' is required");
	json_decref(b);
}

/* ---- fields_date ---- */

Test(fields, date_valid)
{
	json_t *b = fields_t_json("{\"date\":\"2024-02-29\",\"end\":\"1970-01-01\"}");
	err_t err = { 0 };
	long day = -1;
	char out[11] = "";
	cr_assert_eq(fields_date(b, "date", true, &day, out, &err), FIELD_SET);
	cr_assert_eq(day, 19782);
	cr_assert_str_eq(out, "2024-02-29");
	cr_assert_eq(fields_date(b, "end", true, &day, out, &err), FIELD_SET);
	cr_assert_eq(day, 0);
	cr_assert_str_eq(out, "1970-01-01");
	fields_t_no_error(&err);
	json_decref(b);
}

Test(fields, date_invalid)
{
	static const char *const bodies[] = {
		"{\"date\":\"2023-02-29\"}", "{\"date\":\"2026-04-31\"}", "{\"date\":\"2026-13-01\"}",
		"{\"date\":\"2026-4-1\"}",   "{\"date\":\"2026-04-01T10:00:00Z\"}", "{\"date\":\"\"}",
		"{\"date\":20260401}",       "{\"date\":true}", "{\"date\":[\"2026-04-01\"]}",
	};
	for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
		json_t *b = fields_t_json(bodies[i]);
		err_t err = { 0 };
		long day = -1;
		char out[11] = "";
		cr_assert_eq(fields_date(b, "date", true, &day, out, &err), FIELD_ERROR, "%s", bodies[i]);
		fields_t_validation(&err, "'date' must be a real calendar date YYYY-MM-DD");
		json_decref(b);
	}
}

Test(fields, date_presence)
{
	json_t *b = fields_t_json("{\"date\":null}");
	err_t err = { 0 };
	long day = 5;
	char out[11] = "unchanged";
	cr_assert_eq(fields_date(b, "date", false, &day, out, &err), FIELD_ERROR);
	fields_t_validation(&err, "'date' cannot be null");
	json_decref(b);

	b = fields_t_json("{}");
	err_clear(&err);
	cr_assert_eq(fields_date(b, "date", false, &day, out, &err), FIELD_ABSENT);
	cr_assert_eq(day, 5);
	cr_assert_str_eq(out, "unchanged");
	fields_t_no_error(&err);
	cr_assert_eq(fields_date(b, "date", true, &day, out, &err), FIELD_ERROR);
	fields_t_validation(&err, "'date' is required");
	json_decref(b);
}

/* ---- fields_one_of ---- */

Test(fields, one_of)
{
	static const char *const kinds[] = { "draft", "submitted", "approved", NULL };
	cr_assert(fields_one_of("draft", kinds));
	cr_assert(fields_one_of("approved", kinds));
	cr_assert_not(fields_one_of("Draft", kinds));
	cr_assert_not(fields_one_of("draf", kinds));
	cr_assert_not(fields_one_of("", kinds));
	cr_assert_not(fields_one_of(NULL, kinds));
	static const char *const empty[] = { NULL };
	cr_assert_not(fields_one_of("draft", empty));
}

/* ---- err_t ---- */

Test(err, first_error_wins)
{
	err_t err = { 0 };
	cr_assert_not(err_any(&err));
	cr_assert_not(err_set(&err, ERR_CODE_NOT_FOUND, "project %d not found", 7), "err_set returns false");
	cr_assert(err_any(&err));
	cr_assert_eq(err.kind, ERR_NOT_FOUND);
	cr_assert_str_eq(err_name(&err), "not_found");
	cr_assert_str_eq(err.message, "project 7 not found");
	err_set(&err, ERR_CODE_INTERNAL_ERROR, "later");
	cr_assert_eq(err.kind, ERR_NOT_FOUND);
	cr_assert_str_eq(err_name(&err), "not_found");
	cr_assert_str_eq(err.message, "project 7 not found");
	err_clear(&err);
	cr_assert_not(err_any(&err));
	cr_assert_str_eq(err_name(&err), "");
	cr_assert_str_eq(err.message, "");
	cr_assert_not(err_set(NULL, ERR_CODE_INTERNAL_ERROR, "no err to fill"));
}

Test(err, first_field_error_wins)
{
	json_t *b = fields_t_json("{\"name\":1,\"date\":\"nope\"}");
	err_t err = { 0 };
	const char *s;
	long day;
	char out[11];
	cr_assert_eq(fields_string(b, "name", true, false, false, 10, &s, &err), FIELD_ERROR);
	cr_assert_eq(fields_date(b, "date", true, &day, out, &err), FIELD_ERROR);
	fields_t_validation(&err, "'name' must be a string");
	json_decref(b);
}

Test(err, long_texts_are_truncated)
{
	err_t err = { 0 };
	char big[1000];
	memset(big, 'm', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	err_set(&err, ERR_CODE_VALIDATION_FAILED, "%s", big);
	cr_assert_eq(strlen(err.message), sizeof err.message - 1);
}
