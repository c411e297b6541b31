/* JSON-RPC 2.0 as MCP uses it: one message per line (stdio) or per POST body
 * (HTTP). Parsing classifies a message and, when it is not acceptable, builds
 * the error response to send, so both transports refuse the same way.
 * Batches (JSON arrays) were removed from MCP in 2025-06-18 and are refused. */
#ifndef MCP_JSONRPC_H
#define MCP_JSONRPC_H
#include "util/err.h"
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum {
	JSONRPC_PARSE_ERROR = -32700,
	JSONRPC_INVALID_REQUEST = -32600,
	JSONRPC_METHOD_NOT_FOUND = -32601,
	JSONRPC_INVALID_PARAMS = -32602,
	JSONRPC_INTERNAL_ERROR = -32603,
};

typedef enum {
	JSONRPC_INVALID,      /* not acceptable: see jsonrpc_msg.error */
	JSONRPC_REQUEST,      /* method + id: needs exactly one response */
	JSONRPC_NOTIFICATION, /* method, no id: never answered */
	JSONRPC_RESPONSE,     /* result or error with an id: an answer to us */
} jsonrpc_kind;

typedef struct {
	jsonrpc_kind kind;
	json_t *root;       /* the whole message (owned) */
	json_t *id;         /* borrowed from root; NULL for notifications */
	const char *method; /* borrowed; NULL for responses */
	json_t *params;     /* borrowed; an object, or NULL when absent */
	json_t *error;      /* JSONRPC_INVALID: the error response to send (owned) */
} jsonrpc_msg;

/* Parses one message of len bytes. Always fills msg; free it with jsonrpc_msg_free. */
void jsonrpc_parse(const char *text, size_t len, jsonrpc_msg *msg);
void jsonrpc_msg_free(jsonrpc_msg *msg);

/* Responses and notifications; each returns a new reference. id is borrowed
 * (NULL means JSON null, for errors about a message whose id is unknown). */
json_t *jsonrpc_result(json_t *id, json_t *result /* stolen */);
json_t *jsonrpc_error(json_t *id, int code, const char *message, json_t *data /* stolen, may be NULL */);
json_t *jsonrpc_notification(const char *method, json_t *params /* stolen, may be NULL */);
/* A request of ours to the client (sampling, elicitation): id and method borrowed. */
json_t *jsonrpc_request(const char *id, const char *method, json_t *params /* stolen */);
/* The result of the client's answer (borrowed) to our request for method (a
 * new reference), or NULL with client_error when it answered an error. */
json_t *jsonrpc_answer_result(json_t *answer, const char *method, err_t *err);

#endif
