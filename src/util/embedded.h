/* Text files compiled into the binary (migrations, tool definitions, prompts).
 * Arrays end with a {NULL, NULL} entry and are sorted by name. */
#ifndef UTIL_EMBEDDED_H
#define UTIL_EMBEDDED_H

typedef struct {
	const char *name;
	const char *text;
} embedded_file;

extern const embedded_file embedded_migrations[];

#endif
