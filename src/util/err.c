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

/* Sets err to code and the formatted message; err holds no error yet. */
static void set(err_t *err, err_code code, const char *param, const char *fmt, va_list ap)
{
	if (!known(code))
		code = ERR_CODE_INTERNAL_ERROR; /* not a registry code: a bug, answered as one */
	err->kind = REGISTRY[code].kind;
	err->code = code;
	/* Messages quote user input and are serialised as JSON: cut at a
	 * character boundary and cleaned, so they are always valid UTF-8. */
	utf8_vsnprintf(err->message, sizeof err->message, fmt, ap);
	err->param[0] = '\0';
	err->nproblems = 0;
	if (param)
		utf8_snprintf(err->param, sizeof err->param, "%s", param);
}

/* Appends the problem code/param/message to err's list (when there is room). */
static void add_problem(err_t *err, err_code code, const char *param, const char *message)
{
	if (err->nproblems >= ERR_MAX_PROBLEMS)
		return;
	err_problem *p = &err->problems[err->nproblems++];
	p->code = code;
	utf8_snprintf(p->param, sizeof p->param, "%s", param);
	utf8_snprintf(p->message, sizeof p->message, "%s", message);
}

bool err_set(err_t *err, err_code code, const char *fmt, ...)
{
	if (!err || err->kind != ERR_NONE)
		return false;
	va_list ap;
	va_start(ap, fmt);
	set(err, code, NULL, fmt, ap);
	va_end(ap);
	return false;
}

bool err_set_param(err_t *err, err_code code, const char *param, const char *fmt, ...)
{
	if (!err || err->kind != ERR_NONE)
		return false;
	va_list ap;
	va_start(ap, fmt);
	set(err, code, param, fmt, ap);
	va_end(ap);
	if (param)
		add_problem(err, err->code, param, err->message);
	return false;
}

bool err_add_param(err_t *err, err_code code, const char *param, const char *fmt, ...)
{
	if (!err)
		return false;
	va_list ap;
	va_start(ap, fmt);
	if (err->kind == ERR_NONE) {
		set(err, code, param, fmt, ap);
		if (param)
			add_problem(err, err->code, param, err->message);
	} else if (param && err->nproblems > 0 && known(code) && REGISTRY[code].kind == err->kind) {
		char message[sizeof err->problems[0].message];
		utf8_vsnprintf(message, sizeof message, fmt, ap);
		if (err->nproblems < ERR_MAX_PROBLEMS) {
			add_problem(err, code, param, message);
			/* The message tells every problem too, for doors that show
			 * only it (MCP tool errors, logs). */
			size_t n = strlen(err->message);
			utf8_snprintf(err->message + n, sizeof err->message - n, "; %s", message);
		}
	}
	va_end(ap);
	return false;
}

void err_clear(err_t *err)
{
	memset(err, 0, sizeof *err);
}
