/* The MCP protocol engine, the same for every transport: lifecycle and
 * version negotiation, ping, tools, prompts, completions, logging, progress
 * and cancellation. A transport parses a message (mcp/jsonrpc.h), hands it
 * here with the session's state and a way to send notifications, and delivers
 * the response it gets back. */
#ifndef MCP_SERVER_H
#define MCP_SERVER_H
#include "core/confirm.h"
#include "core/ctx.h"
#include "mcp/jsonrpc.h"
#include <jansson.h>

#define MCP_LATEST_VERSION "2025-11-25"
/* Without an MCP-Protocol-Version header, Streamable HTTP assumes this one. */
#define MCP_DEFAULT_HTTP_VERSION "2025-03-26"
enum { MCP_PAGE_SIZE = 50, MCP_LOG_OFF = 8 /* no notifications/message until logging/setLevel */ };

/* What a session remembers between messages (kept in mcp_sessions over HTTP). */
typedef struct {
	char protocol_version[16]; /* "" until initialize */
	int log_level;             /* index into the syslog levels, debug = 0; MCP_LOG_OFF */
	bool log_level_changed;    /* set by logging/setLevel: the transport persists it */
	json_t *client_info;       /* from initialize (owned), or NULL */
	json_t *client_capabilities; /* from initialize (owned), or NULL */
	json_t *subscriptions;     /* resources/subscribe URIs, an array (owned); NULL for none */
	bool subscriptions_changed; /* set by resources/(un)subscribe: the transport persists it */
} mcp_session;

/* Sends a notification (stolen) to the client, during the request at hand. */
typedef void (*mcp_notify_fn)(void *ctx, json_t *notification);
/* Sends a request (method, params stolen) to the client during the request at
 * hand and waits for its answer: the result (new reference), or NULL with err
 * set (an error answer, a timeout, the client gone). */
typedef json_t *(*mcp_request_fn)(void *ctx, const char *method, json_t *params, err_t *err);

typedef struct {
	core_ctx *core;              /* the authenticated caller */
	const confirm_key *confirm;
	mcp_notify_fn notify;
	void *notify_ctx;
	long page_size;              /* tools/list page; MCP_PAGE_SIZE when 0 */
	mcp_request_fn request;      /* NULL when the transport cannot ask the client */
	void *request_ctx;
} mcp_call;

/* What resources/subscribe tracks at most per session. */
enum { MCP_MAX_SUBSCRIPTIONS = 100 };

/* Handles one valid message (not JSONRPC_INVALID). Returns the response to
 * send (new reference), or NULL when none is due (notifications, responses). */
json_t *mcp_handle(mcp_call *call, mcp_session *s, const jsonrpc_msg *msg);

/* Whether this server speaks protocol version v. */
bool mcp_version_supported(const char *v);
/* "debug" … "emergency" to 0 … 7; -1 when unknown. A new session starts at
 * MCP_LOG_OFF (mcp_session_clear). */
int mcp_log_level(const char *name);
const char *mcp_log_level_name(int level);
void mcp_session_clear(mcp_session *s);

#endif
