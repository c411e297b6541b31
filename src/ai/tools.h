/* The AI tool registry: every tool's definition (one JSON file each in tools/, embedded
 * at build time) bound to the function that answers it. MCP tools/list and
 * tools/call, and the AI-chat endpoints (/api/ai/tools), all go through here,
 * so a model sees the same tools and gets the same answers by either door.
 *
 * A call answers an MCP CallToolResult: {content: [{type: "text", text}],
 * structuredContent, isError}. Tool failures (bad arguments, permission, plan,
 * not found, state) are isError results whose text tells the model what to
 * fix; only an unknown tool name is an error of the call itself. */
#ifndef AI_TOOLS_H
#define AI_TOOLS_H
#include "core/confirm.h"
#include "core/ctx.h"
#include <jansson.h>
#include <stddef.h>
#include <time.h>

/* What a tool runs with: the caller (core), the key that signs confirmations,
 * and the time (so tests can pin it). */
typedef struct {
	core_ctx *core;
	const confirm_key *confirm;
	time_t now;
} ai_env;

/* Answers the tool's structuredContent (a new object), or NULL with err set,
 * which becomes an isError result. args was checked against the inputSchema. */
typedef json_t *(*ai_tool_fn)(const ai_env *env, json_t *args, err_t *err);

/* Adds a tool before first use (test builds register fixtures this way); def
 * is stolen. false when the registry is already in use or full. */
bool ai_tools_register(json_t *def, ai_tool_fn fn);

/* Number of tools, and the i-th definition (borrowed), in name order. Loading
 * the embedded definitions happens once, on first use, from any thread. */
size_t ai_tools_count(void);
json_t *ai_tools_definition(size_t i);
/* The definitions in the function-calling shape chat models take:
 * [{type: "function", function: {name, description, parameters}}]. */
json_t *ai_tools_openai(void);

/* Runs tool name with args (an object, or NULL for none) and returns a
 * CallToolResult (new reference); NULL with 404 not_found for an unknown tool. */
json_t *ai_tools_call(const ai_env *env, const char *name, json_t *args, err_t *err);

/* The handlers of the ten time tools (src/ai/time_tools.c). */
ai_tool_fn ai_time_tool(const char *name);

#endif
