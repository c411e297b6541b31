/* How a core mutation ends: commit when no error was recorded, else roll back. */
#ifndef CORE_TX_H
#define CORE_TX_H
#include "core/ctx.h"
#include <jansson.h>

/* Commits and returns out when err holds no error; otherwise rolls back, drops
 * out and returns NULL. Takes ownership of out. */
json_t *core_commit(core_ctx *c, json_t *out, err_t *err);

#endif
