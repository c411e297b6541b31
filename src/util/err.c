#include "util/err.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

bool err_set(err_t *err, err_kind kind, const char *code, const char *fmt, ...)
{
	if (!err || err->kind != ERR_NONE)
		return false;
	err->kind = kind;
	snprintf(err->code, sizeof err->code, "%s", code);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof err->message, fmt, ap);
	va_end(ap);
	return false;
}

void err_clear(err_t *err)
{
	memset(err, 0, sizeof *err);
}
