/* libFuzzer harness: AI tool calls (ai/tools.c: arguments checked against the
 * tool's inputSchema, then the tool's own checks in ai/time_tools.c and the
 * core) against the fake store, as an admin of a pro workspace. The input is
 * "TOOL_NAME\nARGUMENTS_JSON" (no newline: the whole input is the name, with
 * no arguments). Every answer must be a CallToolResult.
 * Not reached: what a tool does with rows from a database. */
#include "ai/tools.h"
#include "support/fake_store.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_INPUT = 16 * 1024 };

static db_t *db;
static actor_t actor;
static confirm_key key;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	db = db_open("");
	fake_store_actor(&actor);
	actor.source = "ai_tool";
	confirm_key_from_secret(&key, "fuzz-confirm-secret");
	/* Loads the registry from the embedded tools/ once, outside the timed runs. */
	if (ai_tools_count() == 0)
		abort();
	json_decref(ai_tools_openai());
	return 0;
}

static void check_result(json_t *r)
{
	json_t *content = json_object_get(r, "content");
	if (!json_is_object(r) || !json_is_array(content) || !json_array_size(content) ||
	    !json_is_boolean(json_object_get(r, "isError")))
		abort();
	if (!json_is_string(json_object_get(json_array_get(content, 0), "text")))
		abort();
	/* a success carries structuredContent, an object */
	if (json_is_false(json_object_get(r, "isError")) && !json_is_object(json_object_get(r, "structuredContent")))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > MAX_INPUT)
		return 0;
	char *text = malloc(size + 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	char *nl = strchr(text, '\n');
	json_t *args = NULL;
	if (nl) {
		*nl = '\0';
		args = json_loads(nl + 1, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
	}
	core_ctx core = { db, &actor };
	ai_env env = { &core, &key, 1795000000, NULL };
	err_t err = { 0 };
	/* MCP passes an object or nothing; the AI chat door passes what the model sent. */
	json_t *r = ai_tools_call(&env, text, args, &err);
	if (r)
		check_result(r);
	else if (err.kind != ERR_NOT_FOUND)
		abort();
	json_decref(r);
	json_decref(args);
	free(text);
	return 0;
}
