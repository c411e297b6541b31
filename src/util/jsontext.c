#include "util/jsontext.h"

char *jsontext_dump(const json_t *v)
{
	return v ? json_dumps(v, JSONTEXT_FLAGS) : NULL;
}

int jsontext_dumpf(const json_t *v, FILE *f)
{
	return v ? json_dumpf(v, f, JSONTEXT_FLAGS) : -1;
}
