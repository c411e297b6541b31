#include "mcp/jsonrpc.h"
#include "util/utf8.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *jsonrpc_result(json_t *id, json_t *result)
{
	return json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id", id ? id : json_null(),
			 "result", result ? result : json_object());
}

json_t *jsonrpc_error(json_t *id, int code, const char *message, json_t *data)
{
	/* Messages may quote what the client sent; jansson refuses invalid
	 * UTF-8, and a refused message would leave the request unanswered. */
	size_t len = strlen(message);
	char *clean = NULL;
	if (!utf8_valid(message, len)) {
		if (!(clean = strdup(message)))
			abort();
		utf8_clean(clean, len);
	}
	json_t *err = json_pack("{s:i, s:s}", "code", code, "message", clean ? clean : message);
	free(clean);
	if (data)
		json_object_set_new(err, "data", data);
	return json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id", id ? id : json_null(), "error", err);
}

json_t *jsonrpc_notification(const char *method, json_t *params)
{
	json_t *n = json_pack("{s:s, s:s}", "jsonrpc", "2.0", "method", method);
	if (params)
		json_object_set_new(n, "params", params);
	return n;
}

static void invalid(jsonrpc_msg *msg, json_t *id, int code, const char *message)
{
	msg->kind = JSONRPC_INVALID;
	msg->error = jsonrpc_error(id, code, message, NULL);
}

/* MCP narrows JSON-RPC ids to strings and integers (never null). */
static bool valid_id(json_t *id)
{
	return json_is_string(id) || json_is_integer(id);
}

void jsonrpc_parse(const char *text, size_t len, jsonrpc_msg *msg)
{
	memset(msg, 0, sizeof *msg);
	json_error_t jerr;
	msg->root = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!msg->root) {
		char m[256];
		/* jansson quotes the offending bytes, which may be a cut character. */
		utf8_snprintf(m, sizeof m, "Parse error: %s (line %d, column %d)", jerr.text, jerr.line, jerr.column);
		invalid(msg, NULL, JSONRPC_PARSE_ERROR, m);
		return;
	}
	json_t *r = msg->root;
	if (json_is_array(r)) {
		invalid(msg, NULL, JSONRPC_INVALID_REQUEST,
			"Invalid Request: JSON-RPC batches are not supported (removed from MCP in 2025-06-18); "
			"send one message at a time");
		return;
	}
	if (!json_is_object(r)) {
		invalid(msg, NULL, JSONRPC_INVALID_REQUEST, "Invalid Request: a message must be a JSON object");
		return;
	}
	json_t *id = json_object_get(r, "id");
	json_t *method = json_object_get(r, "method");
	json_t *params = json_object_get(r, "params");
	json_t *safe_id = valid_id(id) ? id : NULL;
	if (!json_is_string(json_object_get(r, "jsonrpc")) || strcmp(json_string_value(json_object_get(r, "jsonrpc")), "2.0")) {
		invalid(msg, safe_id, JSONRPC_INVALID_REQUEST, "Invalid Request: \"jsonrpc\" must be \"2.0\"");
		return;
	}
	if (id && !valid_id(id)) {
		invalid(msg, NULL, JSONRPC_INVALID_REQUEST, "Invalid Request: \"id\" must be a string or an integer");
		return;
	}
	if (!method) {
		bool has_result = json_object_get(r, "result") != NULL, has_error = json_object_get(r, "error") != NULL;
		if (id && has_result != has_error) {
			msg->kind = JSONRPC_RESPONSE;
			msg->id = id;
			return;
		}
		invalid(msg, safe_id, JSONRPC_INVALID_REQUEST,
			"Invalid Request: a request needs \"method\"; a response needs exactly one of \"result\" or \"error\"");
		return;
	}
	if (!json_is_string(method) || !json_string_length(method)) {
		invalid(msg, safe_id, JSONRPC_INVALID_REQUEST, "Invalid Request: \"method\" must be a non-empty string");
		return;
	}
	/* MCP params are always objects (by-name); positional arrays have no meaning here. */
	if (params && !json_is_object(params)) {
		invalid(msg, safe_id, JSONRPC_INVALID_PARAMS, "Invalid params: \"params\" must be an object");
		return;
	}
	msg->kind = id ? JSONRPC_REQUEST : JSONRPC_NOTIFICATION;
	msg->id = id;
	msg->method = json_string_value(method);
	msg->params = params;
}

void jsonrpc_msg_free(jsonrpc_msg *msg)
{
	json_decref(msg->root);
	json_decref(msg->error);
	memset(msg, 0, sizeof *msg);
}

json_t *jsonrpc_request(const char *id, const char *method, json_t *params)
{
	return json_pack("{s:s, s:s, s:s, s:o}", "jsonrpc", "2.0", "id", id, "method", method, "params", params);
}

json_t *jsonrpc_answer_result(json_t *answer, const char *method, err_t *err)
{
	json_t *result = json_incref(json_object_get(answer, "result"));
	if (!result) {
		const char *msg = json_string_value(json_object_get(json_object_get(answer, "error"), "message"));
		err_set(err, ERR_CODE_CLIENT_ERROR, "the client refused %s: %s", method, msg ? msg : "no reason");
	}
	return result;
}
