#include "util/err.h"
#include "util/utf8.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	err_kind kind;
	int status;
	const char *meaning;
} REGISTRY[ERR_CODE_COUNT] = {
	[ERR_CODE_NONE] = { "", ERR_NONE, 200, "" },
#define X(name, str, kind, status, meaning) [ERR_CODE_##name] = { str, kind, status, meaning },
#include "util/errors.def"
#undef X
};

static bool known(err_code code)
{
	return (int)code > ERR_CODE_NONE && code < ERR_CODE_COUNT;
}

const char *err_code_name(err_code code)
{
	return known(code) ? REGISTRY[code].name : "";
}

err_kind err_code_kind(err_code code)
{
	return known(code) ? REGISTRY[code].kind : ERR_NONE;
}

int err_code_status(err_code code)
{
	return known(code) ? REGISTRY[code].status : 200;
}

const char *err_code_meaning(err_code code)
{
	return known(code) ? REGISTRY[code].meaning : "";
}

err_code err_code_parse(const char *name)
{
	for (int c = ERR_CODE_NONE + 1; name && c < ERR_CODE_COUNT; c++)
		if (!strcmp(REGISTRY[c].name, name))
			return (err_code)c;
	return ERR_CODE_NONE;
}

bool err_set(err_t *err, err_code code, const char *fmt, ...)
{
	if (!err || err->kind != ERR_NONE)
		return false;
	if (!known(code))
		code = ERR_CODE_INTERNAL_ERROR; /* not a registry code: a bug, answered as one */
	err->kind = REGISTRY[code].kind;
	err->code = code;
	/* Messages quote user input and are serialised as JSON: cut at a
	 * character boundary and cleaned, so they are always valid UTF-8. */
	va_list ap;
	va_start(ap, fmt);
	utf8_vsnprintf(err->message, sizeof err->message, fmt, ap);
	va_end(ap);
	return false;
}

void err_clear(err_t *err)
{
	memset(err, 0, sizeof *err);
}
