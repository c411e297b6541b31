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

/* What the protocol that called a tool offers it while it runs (MCP; the AI
 * chat endpoints offer nothing). Each hook may be NULL. */
typedef struct {
	/* A log message (level 0 debug … 7 emergency) to the client, when its level lets it through; data stolen. */
	void (*log)(void *ctx, int level, json_t *data);
	/* Progress, when the caller asked for it (progressToken); values must increase. */
	void (*progress)(void *ctx, double progress, double total, const char *message);
	/* A request to the client (sampling/createMessage, elicitation/create)
	 * and its result (new reference); NULL with err set when the client
	 * lacks the capability, the transport cannot carry it, or it failed. */
	json_t *(*request)(void *ctx, const char *method, json_t *params /* stolen */, err_t *err);
	void *ctx;
} ai_client;

/* What a tool runs with: the caller (core), the key that signs confirmations,
 * the time (so tests can pin it) and the client's hooks (may be NULL). */
typedef struct {
	core_ctx *core;
	const confirm_key *confirm;
	time_t now;
	const ai_client *client;
} ai_env;

/* Answers the tool's structuredContent (a new object), or NULL with err set,
 * which becomes an isError result. args was checked against the inputSchema. */
typedef json_t *(*ai_tool_fn)(const ai_env *env, json_t *args, err_t *err);

#ifdef WT_TEST_BUILD
/* Adds a tool before first use (test builds register the conformance
 * fixtures this way); def is stolen. false when the registry is already in
 * use or full. */
bool ai_tools_register(json_t *def, ai_tool_fn fn);
/* The same for a tool whose function answers the whole CallToolResult
 * ({content: [text, image, audio, resource …], isError?}) rather than
 * structuredContent: for tools whose answer is not one JSON object. */
bool ai_tools_register_result(json_t *def, ai_tool_fn fn);
#endif

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

/* How the person answered a write tool's confirmation where they are (an
 * MCP elicitation form). */
typedef enum { AI_ANSWER_ACCEPT, AI_ANSWER_DECLINE, AI_ANSWER_CANCEL } ai_answer;

/* Whether a tool's structuredContent is a confirmation still to be given
 * (requires_confirmation: true with a confirmation_token). */
bool ai_tools_pending(json_t *structured);

/* Ends a write tool's call with the person's answer: accept runs the prepared
 * action as them (confirm_redeem: audit source ai_tool, the claim in the
 * action's transaction); decline and cancel use the confirmation up with
 * nothing run (confirm_decline), so the same card cannot be accepted later.
 * pending (borrowed) carries summary, details and confirmation_token. Returns
 * the CallToolResult: structuredContent {requires_confirmation: false,
 * status: confirmed | declined | cancelled, summary, details, action,
 * result (confirmed only)}, or an isError result when the confirmation or
 * its action is refused (expired, already used, the record changed). */
json_t *ai_tools_settle(const ai_env *env, json_t *pending, ai_answer answer);

/* The handlers of the ten time tools and find_work_items (src/ai/time_tools.c). */
ai_tool_fn ai_time_tool(const char *name);

#endif
