/* libFuzzer harness: one JSON-RPC message as a transport receives it
 * (mcp/jsonrpc.c), and the answers built around its id. Checks the
 * classification against the message and that every error response is a
 * JSON-RPC error object a client can read. */
#include "mcp/jsonrpc.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* POST bodies may be larger; messages past a few KB only repeat JSON parsing. */
enum { MAX_INPUT = 16 * 1024 };

static void check_error_response(json_t *r)
{
	json_t *e = json_object_get(r, "error");
	json_t *id = json_object_get(r, "id");
	const char *version = json_string_value(json_object_get(r, "jsonrpc"));
	if (!json_is_object(r) || !version || strcmp(version, "2.0") ||
	    !json_is_integer(json_object_get(e, "code")) || !json_is_string(json_object_get(e, "message")))
		abort();
	/* MCP ids are strings or integers; an unknown id is answered as null */
	if (!json_is_string(id) && !json_is_integer(id) && !json_is_null(id))
		abort();
	char *text = json_dumps(r, JSON_COMPACT);
	if (!text)
		abort();
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > MAX_INPUT)
		return 0;
	jsonrpc_msg m;
	jsonrpc_parse((const char *)data, size, &m);
	switch (m.kind) {
	case JSONRPC_INVALID:
		if (!m.error)
			abort();
		check_error_response(m.error);
		break;
	case JSONRPC_REQUEST:
	case JSONRPC_NOTIFICATION:
		if (m.error || !m.method || !m.method[0] || (m.params && !json_is_object(m.params)))
			abort();
		if ((m.kind == JSONRPC_REQUEST) != (m.id != NULL))
			abort();
		break;
	case JSONRPC_RESPONSE:
		if (m.error || m.method || !m.id)
			abort();
		break;
	}
	if (m.kind == JSONRPC_REQUEST) {
		json_t *r = jsonrpc_result(m.id, json_pack("{s:s}", "echo", m.method));
		free(json_dumps(r, JSON_COMPACT));
		json_decref(r);
		r = jsonrpc_error(m.id, JSONRPC_METHOD_NOT_FOUND, m.method, json_pack("{s:O?}", "params", m.params));
		check_error_response(r);
		json_decref(r);
	}
	jsonrpc_msg_free(&m);
	return 0;
}
