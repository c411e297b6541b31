/* The fixtures of the official MCP conformance suite
 * (@modelcontextprotocol/conformance): tools test_*, prompts test_* and
 * resources test://…, registered through the same registries as the real
 * tools, prompts and resources. Compiled only into test builds
 * (-DWT_TEST_BUILD, make test-conformance); the production binary has none. */
#ifndef MCP_FIXTURES_H
#define MCP_FIXTURES_H

#ifdef WT_TEST_BUILD
/* Registers every fixture (and mcp_test_input_hook, for the ones answered
 * over several rounds); call once at start, before the first request. */
void mcp_fixtures_register(void);
#endif

#endif
