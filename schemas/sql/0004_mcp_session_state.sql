-- What an MCP session remembers beyond its version and log level: the
-- client's declared capabilities (a tool may ask the client for sampling or
-- elicitation only when it offered them) and its resources/subscribe URIs.
ALTER TABLE mcp_sessions
  ADD COLUMN client_capabilities jsonb NOT NULL DEFAULT '{}',
  ADD COLUMN subscriptions jsonb NOT NULL DEFAULT '[]';
