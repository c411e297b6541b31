/* MCP Streamable HTTP at /mcp: POST carries one JSON-RPC message and is
 * answered with JSON (or an SSE stream when notifications precede the
 * response), 202 for notifications and responses; DELETE ends a session; GET
 * is 405 (this server starts no streams of its own). Sessions (Mcp-Session-Id)
 * are issued on initialize and kept in PostgreSQL. Every request must come
 * from an allowed Host/Origin (DNS rebinding), carry a bearer token and, when
 * it names one, a supported MCP-Protocol-Version, and stay within the rate
 * limits (429 with Retry-After past them). */
#ifndef MCP_HTTP_H
#define MCP_HTTP_H
#include "core/actor.h"
#include "core/confirm.h"
#include "http/message.h"
#include "store/db.h"

typedef struct {
	db_t *db;
	const char *jwt_secret;
	const confirm_key *confirm;
	const char *allowed_hosts; /* MCP_ALLOWED_HOSTS, beside the localhost names (NULL: none) */
	const char *test_token;    /* test builds: the token a request without credentials acts with */
	/* Checks a bearer credential (OAuth access tokens as well as ours);
	 * NULL: auth_bearer with jwt_secret. Gets bearer_ctx. */
	bool (*bearer)(const void *ctx, db_t *db, const char *credential, actor_t *actor, err_t *err);
	const void *bearer_ctx;
	/* More auth-params for a 401's WWW-Authenticate (resource_metadata="…"); NULL: none. */
	const char *challenge;
	/* How many calls may wait at once, each holding its worker, for the
	 * client's answer to a request of ours (the conformance fixtures'
	 * sampling; a server keeps some workers free for the answers). A
	 * confirmation's elicitation holds no worker: it waits detached. */
	int max_waiting;
	/* The REST door's limits (RATE_LIMIT_PER_TOKEN, RATE_LIMIT_PER_WORKSPACE):
	 * the same counters, so a token's MCP and REST requests count together. */
	int rate_per_token, rate_per_workspace;
} mcp_http_env;

/* Allowed hosts: localhost, 127.0.0.1 and [::1] on any port, plus extra, a
 * comma-separated list (MCP_ALLOWED_HOSTS: a name allows any port; name:port
 * only that port). host is a Host header value or an Origin's host part. */
bool mcp_http_host_allowed(const char *host, const char *extra);

/* Whether a POST's body may be read (Host, method, credentials, version);
 * false fills resp with the refusal. */
bool mcp_http_admit(const mcp_http_env *env, const http_request *req, http_response *resp);
void mcp_http_handle(const mcp_http_env *env, const http_request *req, http_response *resp);

#endif
