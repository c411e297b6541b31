/* /mcp as an OAuth 2.1 resource server (MCP authorization): the Protected
 * Resource Metadata (RFC 9728) that names the authorization server, the
 * resource_metadata parameter of a 401's WWW-Authenticate, and the bearer
 * check that takes the issuer's access tokens beside personal API tokens and
 * session JWTs. Configured by OAUTH_ISSUER (off when unset; app/config).
 * It lives in the composition root because it joins the MCP door to
 * delivery's key fetching, which the doors may not include. */
#ifndef APP_OAUTH_H
#define APP_OAUTH_H
#include "core/actor.h"
#include "delivery/oauth_keys.h"
#include "http/message.h"
#include "store/db.h"

typedef struct {
	const oauth_config *config; /* NULL: /mcp takes no OAuth access tokens */
	oauth_keys *keys;           /* the issuer's keys (with config) */
	const char *jwt_secret;     /* WORKESTRA_JWT_SECRET: HS256 session JWTs stay ours */
} app_oauth;

/* GET /.well-known/oauth-protected-resource and its /mcp-suffixed form:
 * true when req is one of them (resp then holds the answer: the metadata, or
 * 404 when OAuth is off). */
bool app_oauth_metadata(const app_oauth *o, const http_request *req, http_response *resp);

/* resource_metadata="<URL of the metadata>", for WWW-Authenticate; NULL when off. */
const char *app_oauth_challenge(const app_oauth *o, arena_t *a);

/* The bearer check of /mcp (mcp_http_env.bearer, ctx: an app_oauth): a JWT
 * that is not an HS256 session token goes to the issuer's keys, and its sub
 * must be a user id; anything else to auth_bearer. */
bool app_oauth_bearer(const void *o, db_t *db, const char *credential, actor_t *actor, err_t *err);

#endif
