#include "app/oauth.h"
#include "core/auth.h"
#include "util/jwks.h"
#include <stdio.h>
#include <string.h>

#define PRM_PATH "/.well-known/oauth-protected-resource"

static bool oauth_on(const app_oauth *cfg)
{
	return cfg && cfg->config && cfg->keys;
}

/* RFC 9728 §3.1: the well-known part goes between the host and the
 * resource's path (https://h/mcp → https://h/.well-known/oauth-protected-resource/mcp). */
static const char *metadata_url(const app_oauth *cfg, arena_t *a)
{
	const char *res = cfg->config->resource;
	const char *host = strstr(res, "://");
	const char *path = host ? strchr(host + 3, '/') : NULL;
	if (!path || !strcmp(path, "/"))
		return arena_sprintf(a, "%.*s" PRM_PATH, (int)(path ? path - res : (long)strlen(res)), res);
	return arena_sprintf(a, "%.*s" PRM_PATH "%s", (int)(path - res), res, path);
}

bool app_oauth_metadata(const app_oauth *cfg, const http_request *req, http_response *resp)
{
	if (strcmp(req->path, PRM_PATH) && strcmp(req->path, PRM_PATH "/mcp"))
		return false;
	resp->route = PRM_PATH;
	if (!oauth_on(cfg) || strcmp(req->method, "GET")) {
		http_response_json(req->arena, resp, oauth_on(cfg) ? 405 : 404,
				   json_pack("{s:{s:s, s:s}}", "error", "code", oauth_on(cfg) ? "method_not_allowed" : "not_found",
					     "message", oauth_on(cfg) ? "use GET" : "OAuth is not configured (OAUTH_ISSUER)"));
		if (oauth_on(cfg))
			http_response_header(req->arena, resp, "allow", "GET");
		return true;
	}
	/* Public metadata: browser-based clients read it from other origins. */
	http_response_header(req->arena, resp, "access-control-allow-origin", "*");
	http_response_header(req->arena, resp, "cache-control", "max-age=3600");
	http_response_json(req->arena, resp, 200,
			   json_pack("{s:s, s:[s], s:[s], s:[s, s], s:s}", "resource", cfg->config->resource,
				     "authorization_servers", cfg->config->issuer, "bearer_methods_supported", "header",
				     "resource_signing_alg_values_supported", "RS256", "ES256", "resource_name",
				     "Workestra Time"));
	return true;
}

const char *app_oauth_challenge(const app_oauth *cfg, arena_t *a)
{
	return oauth_on(cfg) ? arena_sprintf(a, "resource_metadata=\"%s\"", metadata_url(cfg, a)) : NULL;
}

bool app_oauth_bearer(const void *ctx, db_t *db, const char *cred, actor_t *actor, err_t *err)
{
	const app_oauth *cfg = ctx;
	char alg[16], kid[8];
	bool session_jwt = cfg->jwt_secret && *cfg->jwt_secret && jwks_peek(cred, alg, sizeof alg, kid, sizeof kid) &&
			   !strcmp(alg, "HS256");
	if (!oauth_on(cfg) || session_jwt || !jwks_peek(cred, alg, sizeof alg, kid, sizeof kid))
		return auth_bearer(db, cred, cfg->jwt_secret, actor, err);
	char sub[128];
	if (!oauth_verify(cfg->keys, cred, sub, sizeof sub, err))
		return false;
	/* sub is the Workestra user id: the authorization server maps its accounts to ours. */
	if (!auth_load_user(db, sub, actor, err)) {
		if (err->kind == ERR_UNAUTHORIZED)
			err_set(err, ERR_CODE_UNAUTHORIZED, "the access token's subject is not a user of this server");
		return false;
	}
	return true;
}
