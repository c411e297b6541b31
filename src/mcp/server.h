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

/* The session era's newest version (initialize, Mcp-Session-Id). */
#define MCP_LATEST_VERSION "2025-11-25"
/* The stateless era: no initialize and no session; every request carries the
 * version and the client's capabilities in _meta, server/discover describes
 * the server, results say their resultType, and a request that needs the
 * client's input answers input_required instead of asking the client. */
#define MCP_STATELESS_VERSION "2026-07-28"
#define MCP_META_VERSION "io.modelcontextprotocol/protocolVersion"
#define MCP_META_CAPABILITIES "io.modelcontextprotocol/clientCapabilities"
#define MCP_META_LOG_LEVEL "io.modelcontextprotocol/logLevel"
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
	bool stateless;            /* a 2026-07-28 request: this "session" lives for the request only */
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
	/* Sends a request (method, params stolen; request_ctx) to the client and
	 * returns at once: the transport holds the call's response (the token
	 * path) back and, when the client answers, replaces it with
	 * mcp_answer_later's, so nothing waits meanwhile. false when it cannot
	 * (then request, which waits, is tried). NULL: not offered (stdio). */
	bool (*ask_later)(void *ctx, const char *method, json_t *params);
} mcp_call;

/* The response to send for a write tool's call whose confirmation was asked
 * with ask_later, now that the client answered: fallback is the call's
 * JSON-RPC response as it was held back (the token path), answer the
 * client's whole JSON-RPC response to the elicitation. call is the answering
 * request's (the same user: sessions are bound to theirs). Accept or decline
 * settles as an elicitation answered in place does; an error or anything but
 * an ElicitResult keeps the token path. Returns a new reference. */
json_t *mcp_answer_later(mcp_call *call, json_t *fallback, json_t *answer);

/* The stateless era's errors (2026-07-28). */
enum {
	MCP_HEADER_MISMATCH = -32020,       /* HTTP headers disagree with the body */
	MCP_MISSING_CAPABILITY = -32021,    /* the request needs a capability the client did not declare */
	MCP_UNSUPPORTED_VERSION = -32022,   /* data: {supported, requested} */
};

/* What the Streamable HTTP transport saw in the request's headers, for the
 * stateless era's header/body agreement (NULL on stdio). */
typedef struct {
	const char *protocol_version; /* MCP-Protocol-Version */
	const char *method;           /* Mcp-Method */
	const char *name;             /* Mcp-Name */
} mcp_headers;

/* Whether msg belongs to the stateless era: its _meta names a protocol
 * version none of the session era's, or it is server/discover, or (HTTP) the
 * MCP-Protocol-Version header names a version that is not a session era's.
 * header_version may be NULL. */
bool mcp_is_stateless(const jsonrpc_msg *msg, const char *header_version);

/* Handles one valid message of the stateless era: no session, the caller's
 * version, capabilities and log level come from the request's _meta. Sets
 * *http_status to what Streamable HTTP answers with (200; 202 when no answer
 * is due; 400 for the _meta, header and version refusals and a missing client
 * capability; 404 for an unknown method). headers is NULL on stdio. */
json_t *mcp_handle_stateless(mcp_call *call, const jsonrpc_msg *msg, const mcp_headers *headers, int *http_status);

/* Requests answered over several round trips (input_required), in the
 * 2026-07-28 era: the write tools' confirmations (mcp/elicit.h) and the
 * conformance fixtures of test builds (mcp/fixtures.h). */
typedef struct {
	const char *name;            /* "tool:NAME" or "prompt:NAME" */
	json_t *arguments;           /* borrowed; an object, maybe empty */
	json_t *input_responses;     /* borrowed; an object, or NULL in the first round */
	json_t *state;               /* borrowed; the verified requestState's content, or NULL */
	json_t *client_capabilities; /* borrowed; an object */
	const char *user_id;         /* requestState is bound to the caller */
	const confirm_key *key;      /* signs requestState */
	/* Set by the function when it answers an error instead of a result. */
	int error_code;
	char error_message[200];
	json_t *error_data;          /* owned by the caller after the call */
} mcp_input_call;
#ifdef WT_TEST_BUILD
/* Test builds: answers a 2026-07-28 request before the registries when it
 * calls a multi-round conformance fixture, else NULL (set by mcp/fixtures.c). */
extern json_t *(*mcp_test_input_hook)(mcp_call *call, mcp_session *s, const jsonrpc_msg *m);
#endif
/* The state inside requestState rs (new reference), or NULL when it does not
 * verify, has expired, or was issued for another caller or name than c's. */
json_t *mcp_input_state(const mcp_input_call *c, const char *rs);
/* An InputRequiredResult asking requests ({key: {method, params}}, stolen),
 * with state (stolen, may be NULL) signed into requestState. Requests whose
 * capability (sampling, elicitation, roots) the client did not declare are
 * left out; when none is left, NULL with the MissingRequiredClientCapability
 * error set in c. */
json_t *mcp_input_required(mcp_input_call *c, json_t *requests, json_t *state);

/* What resources/subscribe tracks at most per session. */
enum { MCP_MAX_SUBSCRIPTIONS = 100 };

/* Handles one valid message (not JSONRPC_INVALID). Returns the response to
 * send (new reference), or NULL when none is due (notifications, responses). */
json_t *mcp_handle(mcp_call *call, mcp_session *s, const jsonrpc_msg *msg);

/* Whether this server speaks session-era protocol version v (initialize). */
bool mcp_version_supported(const char *v);
/* Every version this server speaks, newest first (an array, new reference). */
json_t *mcp_versions(void);
/* "debug" … "emergency" to 0 … 7; -1 when unknown. A new session starts at
 * MCP_LOG_OFF (mcp_session_clear). */
int mcp_log_level(const char *name);
const char *mcp_log_level_name(int level);
void mcp_session_clear(mcp_session *s);

#endif
