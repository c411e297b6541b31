/* libFuzzer harness: an MCP session as the stdio transport drives it, one
 * JSON-RPC message per input line through mcp/jsonrpc.c and the server's
 * dispatch (mcp/server.c), after an initialize the harness sends itself;
 * messages of the stateless era (2026-07-28 in _meta) go through its
 * dispatch instead, as on stdio.
 * Tools, prompts and completions run for real against the fake store (the
 * database is "down"), as an admin of a pro workspace.
 * Not reached: results that need rows from a database. */
#include "core/confirm.h"
#include "mcp/server.h"
#include "support/fake_store.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_INPUT = 16 * 1024, MAX_MESSAGES = 32 };

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
	return 0;
}

/* Notifications (progress, log messages) must be JSON-RPC notifications. */
static void notify(void *ctx, json_t *n)
{
	(void)ctx;
	if (!json_is_string(json_object_get(n, "method")) || json_object_get(n, "id"))
		abort();
	free(json_dumps(n, JSON_COMPACT));
	json_decref(n);
}

/* A response answers the request's id with exactly one of result or error. */
static void check_response(const jsonrpc_msg *m, json_t *r)
{
	if (m->kind != JSONRPC_REQUEST) {
		if (r)
			abort(); /* notifications and stray responses are never answered */
		return;
	}
	bool has_result = json_object_get(r, "result") != NULL, has_error = json_object_get(r, "error") != NULL;
	if (!json_is_object(r) || has_result == has_error || !json_equal(json_object_get(r, "id"), m->id))
		abort();
	char *text = json_dumps(r, JSON_COMPACT);
	if (!text)
		abort();
	free(text);
}

static void handle(mcp_call *call, mcp_session *s, const char *text, size_t len)
{
	jsonrpc_msg m;
	jsonrpc_parse(text, len, &m);
	if (m.kind != JSONRPC_INVALID) {
		/* As stdio does: a message whose _meta names 2026-07-28 is stateless. */
		int status = 0;
		json_t *r = mcp_is_stateless(&m, NULL) ? mcp_handle_stateless(call, &m, NULL, &status) : mcp_handle(call, s, &m);
		if (status && status != 200 && status != 202 && status != 400 && status != 404)
			abort();
		check_response(&m, r);
		json_decref(r);
	}
	jsonrpc_msg_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > MAX_INPUT)
		return 0;
	core_ctx core = { db, &actor };
	/* Pages of 4 tools, so cursors come into play. */
	mcp_call call = { .core = &core, .confirm = &key, .notify = notify, .page_size = 4 };
	mcp_session s;
	memset(&s, 0, sizeof s);
	mcp_session_clear(&s);
	static const char init[] = "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{"
				   "\"protocolVersion\":\"2025-11-25\",\"capabilities\":{\"elicitation\":{}},"
				   "\"clientInfo\":{\"name\":\"fuzz\",\"version\":\"1\"}}}";
	handle(&call, &s, init, sizeof init - 1);
	const char *p = (const char *)data, *end = p + size;
	for (int n = 0; p < end && n < MAX_MESSAGES; n++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		handle(&call, &s, p, len);
		p += len + 1;
	}
	mcp_session_clear(&s);
	return 0;
}
