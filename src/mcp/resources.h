/* MCP resources: a registry of direct resources (fixed URIs) and resource
 * templates (RFC 6570 level 1: "{name}" stands for one path segment), each
 * bound to the function that reads it as the caller. main registers the
 * caller's own time (mcp/time_resources.h) at start, and test builds the
 * conformance fixtures, through the same calls. */
#ifndef MCP_RESOURCES_H
#define MCP_RESOURCES_H
#include "core/ctx.h"
#include "util/err.h"
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Reads uri as the caller c: vars holds a template's variables by name (an
 * empty object for a direct resource). Answers the contents array
 * [{uri, mimeType, text | blob}] (new reference), or NULL with err set. */
typedef json_t *(*mcp_resource_fn)(core_ctx *c, const char *uri, json_t *vars, err_t *err);

/* Before first use: def is {uri, name, title?, description, mimeType?}, or
 * for a template {uriTemplate, name, title?, description, mimeType?}; stolen.
 * false when in use already, the table is full or def lacks uri/uriTemplate/name. */
bool mcp_resources_register(json_t *def, mcp_resource_fn fn);

/* resources/list and resources/templates/list results (one page: the table is small). */
json_t *mcp_resources_list(void);
json_t *mcp_resources_templates_list(void);
/* resources/read result {contents}; NULL with err (ERR_NOT_FOUND for a URI
 * nothing answers to). */
json_t *mcp_resources_read(core_ctx *c, const char *uri, err_t *err);
#ifdef WT_TEST_BUILD
/* Whether uri names a resource (directly or through a template): for
 * resources/subscribe, which only test builds offer. */
bool mcp_resources_exists(const char *uri);
#endif
/* The variables of uri under template tmpl ("test://t/{id}/data"), or NULL
 * when it does not match. Exposed for the unit tests. */
json_t *mcp_uri_template_match(const char *tmpl, const char *uri);

#endif
