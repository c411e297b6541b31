/* Text files compiled into the binary (migrations, tool definitions, prompts,
 * the web console, the MCP Apps views).
 * Arrays end with a {NULL, NULL} entry and are sorted by name. */
#ifndef UTIL_EMBEDDED_H
#define UTIL_EMBEDDED_H

typedef struct {
	const char *name;
	const char *text;
} embedded_file;

extern const embedded_file embedded_migrations[];
extern const embedded_file embedded_tools[];   /* one per file of tools/ */
extern const embedded_file embedded_prompts[]; /* one per file of prompts/ */
extern const embedded_file embedded_web[];     /* web/ and schemas/openapi.json (the console) */
extern const embedded_file embedded_chat_prompts[]; /* prompts/chat/: the AI chat's system prompt */
extern const embedded_file embedded_apps[];    /* apps/: MCP Apps views (the confirmation card) */

#endif
