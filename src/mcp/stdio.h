/* MCP over stdio: newline-delimited JSON-RPC on in/out, nothing else on out
 * (logs go to stderr), one session for the life of the process, as the user
 * the process authenticated. */
#ifndef MCP_STDIO_H
#define MCP_STDIO_H
#include "core/confirm.h"
#include "core/ctx.h"
#include <stdio.h>

/* Serves until in ends; returns 0, or 1 when out cannot be written. */
int mcp_stdio_run(core_ctx *core, const confirm_key *k, FILE *in, FILE *out);

#endif
