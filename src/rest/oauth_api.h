/* /mcp as an OAuth 2.1 resource server (MCP authorization): the Protected
 * Resource Metadata (RFC 9728) that names the authorization server, the
 * resource_metadata parameter of a 401's WWW-Authenticate, and the bearer
 * check that takes the issuer's access tokens beside personal API tokens and
 * session JWTs. Configured by OAUTH_ISSUER (off when unset). */
#ifndef REST_OAUTH_API_H
#define REST_OAUTH_API_H
#include "core/actor.h"
#include "http/message.h"
#include "rest/api.h"
#include "store/db.h"

/* GET /.well-known/oauth-protected-resource and its /mcp-suffixed form:
 * true when req is one of them (resp then holds the answer: the metadata, or
 * 404 when OAuth is off). */
bool oauth_api_metadata(const api_config *cfg, const http_request *req, http_response *resp);

/* resource_metadata="<URL of the metadata>", for WWW-Authenticate; NULL when off. */
const char *oauth_api_challenge(const api_config *cfg, arena_t *a);

/* The bearer check of /mcp (mcp_http_env.bearer, ctx: the api_config): a JWT
 * that is not an HS256 session token goes to the issuer's keys, and its sub
 * must be a user id; anything else to auth_bearer. */
bool oauth_api_bearer(const void *cfg, db_t *db, const char *credential, actor_t *actor, err_t *err);

#endif
