/* MCP prompts: templates from prompts/ (embedded at build time) with named
 * arguments. An argument a template leaves out takes the file's "default"
 * phrase, so every prompt reads naturally with or without it. */
#ifndef MCP_PROMPTS_H
#define MCP_PROMPTS_H
#include "core/ctx.h"
#include <jansson.h>

/* A prompt answered by code rather than a template: gets the checked
 * arguments (an object) and answers the GetPromptResult {description?,
 * messages: [{role, content}]} (new reference), or NULL with a message in
 * errbuf (invalid params). */
typedef json_t *(*mcp_prompt_fn)(json_t *arguments, char *errbuf, size_t errlen);
#ifdef WT_TEST_BUILD
/* Adds a prompt before first use (test builds register fixtures this way):
 * def is {name, title?, description, arguments?: [{name, description, required}]},
 * stolen. false when the prompts are already in use or the table is full. */
bool mcp_prompts_register(json_t *def, mcp_prompt_fn fn);
#endif

/* prompts/list result: {prompts: [{name, title, description, arguments}]}. */
json_t *mcp_prompts_list(void);
/* prompts/get result {description, messages}; NULL with a message in errbuf
 * for an unknown prompt or a missing required argument (invalid params). */
json_t *mcp_prompts_get(const char *name, json_t *arguments, char *errbuf, size_t errlen);
/* completion/complete for argument arg of prompt name: {completion: {values,
 * total, hasMore}}. Project, task and customer arguments complete from the
 * caller's workspace; others have no suggestions. NULL with err set on failure. */
json_t *mcp_prompts_complete(core_ctx *c, const char *name, const char *arg, const char *value, err_t *err);

#endif
