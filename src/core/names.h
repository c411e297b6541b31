/* Names of the caller's workspace records that start with what someone typed,
 * for completions (MCP completion/complete of prompt arguments). */
#ifndef CORE_NAMES_H
#define CORE_NAMES_H
#include "core/ctx.h"
#include <jansson.h>

typedef enum { NAMES_PROJECT, NAMES_TASK, NAMES_CUSTOMER } names_kind;

/* Up to limit names (case-insensitive prefix match, sorted) as a JSON array of
 * strings, and in *total how many match. Task titles instead come from
 * work_items_find (words of the title, project or customer; at most
 * WORK_ITEMS_MAX_LIMIT). New reference; NULL with err set. */
json_t *names_complete(core_ctx *c, names_kind kind, const char *prefix, long limit, long *total, err_t *err);

#endif
