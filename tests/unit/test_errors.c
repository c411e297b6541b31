/* The error registry (util/errors.def): one entry per code, a status that
 * fits its kind, the README's table in step with it, and the one writer of
 * error answers (http/message.h). */
#include "http/message.h"
#include "util/err.h"
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool status_fits(err_kind kind, int status)
{
	switch (kind) {
	case ERR_NONE: return false;
	case ERR_BAD_REQUEST:
		return status == 400 || status == 405 || status == 408 || status == 411 || status == 417 || status == 501 ||
		       status == 505;
	case ERR_UNAUTHORIZED: return status == 401;
	case ERR_PLAN: return status == 402;
	case ERR_FORBIDDEN: return status == 403;
	case ERR_NOT_FOUND: return status == 404;
	case ERR_CONFLICT: return status == 409;
	case ERR_VALIDATION: return status == 422;
	case ERR_TOO_LARGE: return status == 413 || status == 414 || status == 431;
	case ERR_UNAVAILABLE: return status == 503 || status == 502 || status == 504;
	case ERR_INTERNAL: return status == 500;
	case ERR_RATE_LIMITED: return status == 429;
	}
	return false;
}

Test(errors, every_code_is_unique_snake_case_and_fits_its_kind)
{
	for (int c = ERR_CODE_NONE + 1; c < ERR_CODE_COUNT; c++) {
		const char *name = err_code_name((err_code)c);
		cr_assert(name && *name, "code %d has no string", c);
		cr_assert_eq(strspn(name, "abcdefghijklmnopqrstuvwxyz_"), strlen(name), "%s is not snake_case", name);
		cr_assert(*err_code_meaning((err_code)c), "%s has no meaning", name);
		cr_assert(status_fits(err_code_kind((err_code)c), err_code_status((err_code)c)), "%s: status %d does not fit its kind %d",
			  name, err_code_status((err_code)c), err_code_kind((err_code)c));
		cr_assert_eq(err_code_parse(name), (err_code)c, "%s is not unique", name);
		for (int d = c + 1; d < ERR_CODE_COUNT; d++)
			cr_assert_str_neq(name, err_code_name((err_code)d), "%s appears twice", name);
	}
	cr_assert_eq(err_code_parse("no_such_code"), ERR_CODE_NONE);
	cr_assert_str_eq(err_code_name(ERR_CODE_NONE), "");
	cr_assert_str_eq(err_code_name(ERR_CODE_COUNT), "");
}

Test(errors, the_kind_comes_from_the_registry)
{
	err_t err = { 0 };
	err_set(&err, ERR_CODE_METHOD_NOT_ALLOWED, "use %s", "GET");
	cr_assert_eq(err.kind, ERR_BAD_REQUEST);
	cr_assert_eq(err_status(&err), 405);
	cr_assert_str_eq(err_name(&err), "method_not_allowed");
	err_clear(&err);
	err_set(&err, ERR_CODE_SMTP_FAILED, "down");
	cr_assert_eq(err.kind, ERR_UNAVAILABLE);
	cr_assert_eq(err_status(&err), 503);
	err_clear(&err);
	err_set(&err, (err_code)ERR_CODE_COUNT, "out of range");
	cr_assert_eq(err.code, ERR_CODE_INTERNAL_ERROR, "a code outside the registry is answered as a bug");
}

/* The rows between the error-codes markers of README.md, in order. */
Test(errors, the_readme_table_is_the_registry)
{
	const char *dir = getenv("WT_SOURCE_DIR");
	char path[512];
	snprintf(path, sizeof path, "%s/README.md", dir && *dir ? dir : ".");
	FILE *f = fopen(path, "r");
	cr_assert(f, "cannot open %s (run from the repository, or set WT_SOURCE_DIR)", path);
	char line[1024];
	bool in = false;
	int next = ERR_CODE_NONE + 1, header = 0;
	while (fgets(line, sizeof line, f)) {
		if (strstr(line, "<!-- error-codes -->")) {
			in = true;
			continue;
		}
		if (strstr(line, "<!-- /error-codes -->"))
			break;
		if (!in)
			continue;
		if (header < 2) { /* the header row and its rule */
			header++;
			continue;
		}
		line[strcspn(line, "\n")] = '\0';
		cr_assert(next < ERR_CODE_COUNT, "the README lists a code the registry does not have: %s", line);
		char want[1024];
		snprintf(want, sizeof want, "| `%s` | %d | %s |", err_code_name((err_code)next), err_code_status((err_code)next),
			 err_code_meaning((err_code)next));
		cr_assert_str_eq(line, want, "README.md's error table differs from src/util/errors.def (scripts/error-table.py --write)");
		next++;
	}
	fclose(f);
	cr_assert(in, "README.md has no <!-- error-codes --> table");
	cr_assert_eq(next, ERR_CODE_COUNT, "the README's table stops before %s (scripts/error-table.py --write)",
		     err_code_name((err_code)next));
}

static const char *header(const http_response *r, const char *name)
{
	return http_response_header_get(r, name);
}

Test(errors, one_writer_of_error_answers)
{
	arena_t *a = arena_new();
	http_response r = { 0 };
	err_t err = { 0 };
	err_set(&err, ERR_CODE_UNAUTHORIZED, "send a \"token\"");
	http_response_error(a, &r, &err);
	cr_assert_eq(r.status, 401);
	cr_assert_str_eq(r.content_type, "application/json");
	cr_assert_str_eq(r.body, "{\"error\":{\"code\":\"unauthorized\",\"message\":\"send a \\\"token\\\"\"}}");
	cr_assert_str_eq(header(&r, "www-authenticate"), "Bearer realm=\"workestra\"");

	/* the caller's own challenge and Allow stay; 503 gets Retry-After */
	http_response r2 = { 0 };
	http_response_header(a, &r2, "www-authenticate", "Bearer realm=\"workestra-cron\"");
	err_clear(&err);
	err_set(&err, ERR_CODE_UNAUTHORIZED, "no");
	http_response_error(a, &r2, &err);
	cr_assert_eq(r2.nheaders, 1);
	cr_assert_str_eq(header(&r2, "www-authenticate"), "Bearer realm=\"workestra-cron\"");

	http_response r3 = { 0 };
	http_response_header(a, &r3, "allow", "GET, POST");
	err_clear(&err);
	err_set(&err, ERR_CODE_METHOD_NOT_ALLOWED, "use GET or POST");
	http_response_error(a, &r3, &err);
	cr_assert_eq(r3.status, 405);
	cr_assert_str_eq(header(&r3, "allow"), "GET, POST");

	http_response r4 = { 0 };
	err_clear(&err);
	err_set(&err, ERR_CODE_DATABASE_UNAVAILABLE, "down");
	http_response_error_data(a, &r4, &err, json_pack("{s:s}", "status", "unavailable"));
	cr_assert_eq(r4.status, 503);
	cr_assert_str_eq(header(&r4, "retry-after"), "1");
	json_t *body = json_loads(r4.body, 0, NULL);
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(body, "error"), "code")), "database_unavailable");
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(body, "data"), "status")), "unavailable");
	json_decref(body);

	/* no error to answer: a bug, answered 500 rather than a success */
	http_response r5 = { 0 };
	err_clear(&err);
	http_response_error(a, &r5, &err);
	cr_assert_eq(r5.status, 500);
	cr_assert(strstr(r5.body, "\"internal_error\""));
	arena_free(a);
}

Test(errors, problems_name_their_fields_and_collect)
{
	err_t err = { 0 };
	err_add_param(&err, ERR_CODE_VALIDATION_FAILED, "hours", "'hours' is required");
	err_add_param(&err, ERR_CODE_VALIDATION_FAILED, "log_date", "'log_date' must be a date");
	/* another kind does not join a list of validation problems */
	err_add_param(&err, ERR_CODE_NOT_FOUND, "entity_id", "no task");
	err_set(&err, ERR_CODE_INTERNAL_ERROR, "ignored: the first error wins");
	cr_assert_eq(err.code, ERR_CODE_VALIDATION_FAILED);
	cr_assert_str_eq(err.param, "hours");
	cr_assert_eq(err.nproblems, 2);
	cr_assert_str_eq(err.problems[1].param, "log_date");
	cr_assert_str_eq(err.message, "'hours' is required; 'log_date' must be a date");

	arena_t *a = arena_new();
	http_response r = { 0 };
	http_response_error(a, &r, &err);
	cr_assert_eq(r.status, 422);
	json_t *body = json_loads(r.body, 0, NULL), *e = json_object_get(body, "error");
	cr_assert_str_eq(json_string_value(json_object_get(e, "param")), "hours");
	json_t *list = json_object_get(e, "errors");
	cr_assert_eq(json_array_size(list), 2);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(list, 1), "param")), "log_date");
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(list, 1), "code")), "validation_failed");
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(list, 1), "message")),
			 "'log_date' must be a date");
	json_decref(body);

	/* a list is bounded; an error set without a field has neither key */
	err_clear(&err);
	for (int i = 0; i < ERR_MAX_PROBLEMS + 3; i++)
		err_add_param(&err, ERR_CODE_VALIDATION_FAILED, "f", "problem %d", i);
	cr_assert_eq(err.nproblems, ERR_MAX_PROBLEMS);
	err_clear(&err);
	err_set(&err, ERR_CODE_CONFLICT, "duplicate");
	err_add_param(&err, ERR_CODE_CONFLICT, "name", "not added: the error names no field");
	cr_assert_eq(err.nproblems, 0);
	http_response r2 = { 0 };
	http_response_error(a, &r2, &err);
	cr_assert_not(strstr(r2.body, "\"param\""));
	cr_assert_not(strstr(r2.body, "\"errors\""));

	/* a 429 gets Retry-After unless the caller set its own */
	http_response r3 = { 0 };
	err_clear(&err);
	err_set(&err, ERR_CODE_RATE_LIMITED, "slow down");
	http_response_error(a, &r3, &err);
	cr_assert_eq(r3.status, 429);
	cr_assert_str_eq(header(&r3, "retry-after"), "1");
	arena_free(a);
}
