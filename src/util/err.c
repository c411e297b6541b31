#include "util/err.h"
#include "util/utf8.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

bool err_set(err_t *err, err_kind kind, const char *code, const char *fmt, ...)
{
	if (!err || err->kind != ERR_NONE)
		return false;
	err->kind = kind;
	snprintf(err->code, sizeof err->code, "%s", code);
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
