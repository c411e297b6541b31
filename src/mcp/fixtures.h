/* The fixtures of the official MCP conformance suite
 * (@modelcontextprotocol/conformance): tools test_*, prompts test_* and
 * resources test://…, registered through the same registries as the real
 * tools, prompts and resources. Compiled only into test builds
 * (-DWT_TEST_BUILD, make test-conformance); the production binary has none. */
#ifndef MCP_FIXTURES_H
#define MCP_FIXTURES_H

#ifdef WT_TEST_BUILD
#include "mcp/server.h"

/* Registers every fixture; call once at start, before the first request. */
void mcp_fixtures_register(void);

/* A 2026-07-28 tools/call or prompts/get of a fixture answered over several
 * rounds (input_required): the JSON-RPC response, or NULL when m calls no
 * such fixture. */
json_t *mcp_fixtures_input(mcp_call *call, mcp_session *s, const jsonrpc_msg *m);
#endif

#endif
