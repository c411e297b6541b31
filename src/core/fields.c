#include "core/fields.h"
#include "util/dates.h"
#include "util/hours.h"
#include "util/utf8.h"
#include <string.h>

bool fields_one_of(const char *s, const char *const *values)
{
	for (; s && *values; values++)
		if (!strcmp(s, *values))
			return true;
	return false;
}

bool fields_only(json_t *body, const char *const *allowed, err_t *err)
{
	if (!json_is_object(body))
		return err_set(err, ERR_CODE_INVALID_BODY, "the request body must be a JSON object");
	const char *key;
	json_t *v;
	bool ok = true;
	json_object_foreach(body, key, v) {
		if (!fields_one_of(key, allowed))
			ok = err_add_param(err, ERR_CODE_VALIDATION_FAILED, key, "unknown field '%.*s'",
					   utf8_prefix(key, 64), key);
	}
	return ok;
}

static field_state presence(json_t *body, const char *key, bool required, bool nullable, json_t **v, err_t *err)
{
	*v = json_object_get(body, key);
	if (!*v) {
		if (required) {
			err_add_param(err, ERR_CODE_VALIDATION_FAILED, key, "'%s' is required", key);
			return FIELD_ERROR;
		}
		return FIELD_ABSENT;
	}
	if (json_is_null(*v)) {
		if (!nullable || required) {
			err_add_param(err, ERR_CODE_VALIDATION_FAILED, key, "'%s' cannot be null", key);
			return FIELD_ERROR;
		}
		return FIELD_NULL;
	}
	return FIELD_SET;
}

field_state fields_string(json_t *body, const char *key, bool required, bool nullable, bool allow_empty,
			  size_t maxlen, const char **out, err_t *err)
{
	json_t *v;
	*out = NULL;
	field_state st = presence(body, key, required, nullable, &v, err);
	if (st != FIELD_SET)
		return st;
	if (!json_is_string(v)) {
		err_add_param(err, ERR_CODE_VALIDATION_FAILED, key, "'%s' must be a string", key);
		return FIELD_ERROR;
	}
	size_t len = json_string_length(v);
	if (len > maxlen) {
		err_add_param(err, ERR_CODE_VALIDATION_FAILED, key, "'%s' is longer than %zu characters", key, maxlen);
		return FIELD_ERROR;
	}
	if (len == 0 && !allow_empty) {
		err_add_param(err, ERR_CODE_VALIDATION_FAILED, key, "'%s' cannot be empty", key);
		return FIELD_ERROR;
	}
	if (memchr(json_string_value(v), '\0', len)) {
		err_add_param(err, ERR_CODE_VALIDATION_FAILED, key, "'%s' contains a NUL character", key);
		return FIELD_ERROR;
	}
	*out = json_string_value(v);
	return FIELD_SET;
}

field_state fields_bool(json_t *body, const char *key, bool *out, err_t *err)
{
	json_t *v;
	field_state st = presence(body, key, false, false, &v, err);
	if (st != FIELD_SET)
		return st;
	if (!json_is_boolean(v)) {
		err_add_param(err, ERR_CODE_VALIDATION_FAILED, key, "'%s' must be true or false", key);
		return FIELD_ERROR;
	}
	*out = json_is_true(v);
	return FIELD_SET;
}

field_state fields_hours(json_t *body, const char *key, bool required, long max_seconds, long *seconds, err_t *err)
{
	json_t *v;
	field_state st = presence(body, key, required, false, &v, err);
	if (st != FIELD_SET)
		return st;
	bool ok;
	if (json_is_integer(v))
		ok = json_integer_value(v) >= 0 && hours_from_double((double)json_integer_value(v), seconds);
	else if (json_is_real(v))
		ok = hours_from_double(json_real_value(v), seconds);
	else if (json_is_string(v))
		ok = hours_parse(json_string_value(v), seconds);
	else
		ok = false;
	if (!ok) {
		err_add_param(err, ERR_CODE_VALIDATION_FAILED, key, "'%s' must be a decimal number of hours, e.g. 1.5", key);
		return FIELD_ERROR;
	}
	if (*seconds <= 0 || *seconds > max_seconds) {
		err_add_param(err, ERR_CODE_VALIDATION_FAILED, key, "'%s' must be more than 0 and at most %ld hours", key,
			max_seconds / 3600);
		return FIELD_ERROR;
	}
	return FIELD_SET;
}

field_state fields_date(json_t *body, const char *key, bool required, long *day, char out[11], err_t *err)
{
	json_t *v;
	field_state st = presence(body, key, required, false, &v, err);
	if (st != FIELD_SET)
		return st;
	if (!json_is_string(v) || !dates_parse(json_string_value(v), day)) {
		err_add_param(err, ERR_CODE_VALIDATION_FAILED, key, "'%s' must be a real calendar date YYYY-MM-DD", key);
		return FIELD_ERROR;
	}
	dates_format(*day, out);
	return FIELD_SET;
}
