/* Unit tests for src/mcp/jsonrpc.c: classification of messages and the error
 * responses for everything JSON-RPC 2.0 (as MCP narrows it) refuses. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include "mcp/jsonrpc.h"

static jsonrpc_msg jsonrpc_t_parse(const char *text)
{
	jsonrpc_msg m;
	jsonrpc_parse(text, strlen(text), &m);
	return m;
}

static int jsonrpc_t_error_code(const jsonrpc_msg *m)
{
	return (int)json_integer_value(json_object_get(json_object_get(m->error, "error"), "code"));
}

Test(jsonrpc, request_with_params)
{
	jsonrpc_msg m = jsonrpc_t_parse("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/list\",\"params\":{\"cursor\":\"x\"}}");
	cr_assert_eq(m.kind, JSONRPC_REQUEST);
	cr_assert_str_eq(m.method, "tools/list");
	cr_assert_eq(json_integer_value(m.id), 7);
	cr_assert_str_eq(json_string_value(json_object_get(m.params, "cursor")), "x");
	cr_assert_null(m.error);
	jsonrpc_msg_free(&m);
}

Test(jsonrpc, string_id_and_no_params)
{
	jsonrpc_msg m = jsonrpc_t_parse("{\"jsonrpc\":\"2.0\",\"id\":\"abc\",\"method\":\"ping\"}");
	cr_assert_eq(m.kind, JSONRPC_REQUEST);
	cr_assert_str_eq(json_string_value(m.id), "abc");
	cr_assert_null(m.params);
	jsonrpc_msg_free(&m);
}

Test(jsonrpc, notification_has_no_id)
{
	jsonrpc_msg m = jsonrpc_t_parse("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
	cr_assert_eq(m.kind, JSONRPC_NOTIFICATION);
	cr_assert_null(m.id);
	jsonrpc_msg_free(&m);
}

Test(jsonrpc, response_is_recognized)
{
	jsonrpc_msg m = jsonrpc_t_parse("{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{}}");
	cr_assert_eq(m.kind, JSONRPC_RESPONSE);
	jsonrpc_msg_free(&m);
	m = jsonrpc_t_parse("{\"jsonrpc\":\"2.0\",\"id\":3,\"error\":{\"code\":1,\"message\":\"x\"}}");
	cr_assert_eq(m.kind, JSONRPC_RESPONSE);
	jsonrpc_msg_free(&m);
}

Test(jsonrpc, parse_error)
{
	jsonrpc_msg m = jsonrpc_t_parse("{\"jsonrpc\":\"2.0\",");
	cr_assert_eq(m.kind, JSONRPC_INVALID);
	cr_assert_eq(jsonrpc_t_error_code(&m), JSONRPC_PARSE_ERROR);
	cr_assert(json_is_null(json_object_get(m.error, "id")));
	cr_assert_str_eq(json_string_value(json_object_get(m.error, "jsonrpc")), "2.0");
	jsonrpc_msg_free(&m);
}

Test(jsonrpc, duplicate_keys_are_a_parse_error)
{
	jsonrpc_msg m = jsonrpc_t_parse("{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2,\"method\":\"ping\"}");
	cr_assert_eq(jsonrpc_t_error_code(&m), JSONRPC_PARSE_ERROR);
	jsonrpc_msg_free(&m);
}

Test(jsonrpc, batch_is_refused)
{
	jsonrpc_msg m = jsonrpc_t_parse("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]");
	cr_assert_eq(m.kind, JSONRPC_INVALID);
	cr_assert_eq(jsonrpc_t_error_code(&m), JSONRPC_INVALID_REQUEST);
	const char *text = json_string_value(json_object_get(json_object_get(m.error, "error"), "message"));
	cr_assert(strstr(text, "batch"));
	jsonrpc_msg_free(&m);
}

Test(jsonrpc, invalid_requests)
{
	static const char *const bad[] = {
		"42",
		"\"ping\"",
		"{\"id\":1,\"method\":\"ping\"}",
		"{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"ping\"}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":5}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\"}",
		"{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"ping\"}",
		"{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"ping\"}",
		"{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"ping\"}",
		"{\"jsonrpc\":\"2.0\",\"id\":1}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{},\"error\":{}}",
		NULL,
	};
	for (const char *const *b = bad; *b; b++) {
		jsonrpc_msg m = jsonrpc_t_parse(*b);
		cr_assert_eq(m.kind, JSONRPC_INVALID, "accepted %s", *b);
		cr_assert_eq(jsonrpc_t_error_code(&m), JSONRPC_INVALID_REQUEST, "wrong code for %s", *b);
		jsonrpc_msg_free(&m);
	}
}

Test(jsonrpc, error_keeps_a_valid_id)
{
	jsonrpc_msg m = jsonrpc_t_parse("{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"\"}");
	cr_assert_eq(json_integer_value(json_object_get(m.error, "id")), 9);
	jsonrpc_msg_free(&m);
}

Test(jsonrpc, positional_params_are_invalid_params)
{
	jsonrpc_msg m = jsonrpc_t_parse("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":[1]}");
	cr_assert_eq(jsonrpc_t_error_code(&m), JSONRPC_INVALID_PARAMS);
	jsonrpc_msg_free(&m);
}

Test(jsonrpc, builders)
{
	json_t *id = json_integer(4);
	json_t *r = jsonrpc_result(id, json_pack("{s:b}", "ok", 1));
	cr_assert_str_eq(json_string_value(json_object_get(r, "jsonrpc")), "2.0");
	cr_assert_eq(json_integer_value(json_object_get(r, "id")), 4);
	cr_assert(json_is_true(json_object_get(json_object_get(r, "result"), "ok")));
	json_decref(r);
	r = jsonrpc_error(id, JSONRPC_METHOD_NOT_FOUND, "Method not found: x", json_pack("{s:s}", "method", "x"));
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(r, "error"), "code")), -32601);
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(json_object_get(r, "error"), "data"), "method")), "x");
	json_decref(r);
	r = jsonrpc_notification("notifications/progress", NULL);
	cr_assert_null(json_object_get(r, "id"));
	cr_assert_null(json_object_get(r, "params"));
	json_decref(r);
	json_decref(id);
}

/* jansson quotes the offending bytes in its error text; a cut character
 * there once made the error response NULL, so nothing was answered. */
Test(jsonrpc, parse_error_quoting_a_cut_character_is_answered)
{
	static const char bytes[] = { '{', '"', '\\', (char)0xf0, (char)0x9f, (char)0x98, (char)0x80 };
	jsonrpc_msg m;
	jsonrpc_parse(bytes, sizeof bytes, &m);
	cr_assert_eq(m.kind, JSONRPC_INVALID);
	cr_assert_not_null(m.error, "no error response was built");
	cr_assert_eq(jsonrpc_t_error_code(&m), JSONRPC_PARSE_ERROR);
	char *text = json_dumps(m.error, JSON_COMPACT);
	cr_assert_not_null(text);
	free(text);
	jsonrpc_msg_free(&m);
}

Test(jsonrpc, error_message_with_invalid_utf8_is_cleaned)
{
	json_t *e = jsonrpc_error(NULL, JSONRPC_METHOD_NOT_FOUND, "Method not found: \xf0\x9f", NULL);
	cr_assert_not_null(e);
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(e, "error"), "message")),
			 "Method not found: ??");
	json_decref(e);
}
