#include "util/csv.h"
#include <stdbool.h>
#include <string.h>

void csv_field(FILE *f, const char *s)
{
	if (!s)
		s = "";
	bool formula = *s && strchr("=+-@\t\r", *s);
	bool quoted = strpbrk(s, ",\"\r\n") != NULL;
	if (quoted)
		fputc('"', f);
	if (formula)
		fputc('\'', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	if (quoted)
		fputc('"', f);
}
