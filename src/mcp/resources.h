/* MCP resources: a registry of direct resources (fixed URIs) and resource
 * templates (RFC 6570 level 1: "{name}" stands for one path segment), each
 * bound to the function that reads it. The production server registers none
 * and then offers no resources capability; test builds register the
 * conformance fixtures here, through the same calls a real resource would use. */
#ifndef MCP_RESOURCES_H
#define MCP_RESOURCES_H
#include "util/err.h"
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Reads uri: vars holds a template's variables by name (an empty object for
 * a direct resource). Answers the contents array [{uri, mimeType, text | blob}]
 * (new reference), or NULL with err set. */
typedef json_t *(*mcp_resource_fn)(const char *uri, json_t *vars, err_t *err);

/* Before first use: def is {uri, name, title?, description, mimeType?}, or
 * for a template {uriTemplate, name, title?, description, mimeType?}; stolen.
 * false when in use already, the table is full or def lacks uri/uriTemplate/name. */
bool mcp_resources_register(json_t *def, mcp_resource_fn fn);

/* Whether any resource or template is registered (the capability is offered then). */
bool mcp_resources_any(void);
/* resources/list and resources/templates/list results (one page: the table is small). */
json_t *mcp_resources_list(void);
json_t *mcp_resources_templates_list(void);
/* resources/read result {contents}; NULL with err (ERR_NOT_FOUND for a URI
 * nothing answers to). */
json_t *mcp_resources_read(const char *uri, err_t *err);
/* Whether uri names a resource (directly or through a template). */
bool mcp_resources_exists(const char *uri);
/* The variables of uri under template tmpl ("test://t/{id}/data"), or NULL
 * when it does not match. Exposed for the unit tests. */
json_t *mcp_uri_template_match(const char *tmpl, const char *uri);

#endif
