/* The front router: the application the HTTP server runs on its workers.
 * Each worker has its own database connection; a request goes by path to
 * its door: /healthz, /readyz and /metrics are answered here, /api/cron/NAME
 * by the cron door, /mcp by MCP's Streamable HTTP (taking OAuth access
 * tokens when configured), /.well-known/oauth-protected-resource(/mcp) by
 * app/oauth, anything under /api/v1/ and /api/ai/ by REST, and the web
 * console's pages ("/", "/time/...", "/assets/...", "/openapi.json") by web. */
#include "app/router.h"
#include "app/oauth.h"
#include "cron/cron_api.h"
#include "delivery/send_now.h"
#include "mcp/http.h"
#include "rest/api.h"
#include "store/backlog.h"
#include "store/db.h"
#include "store/migrate.h"
#include "util/metrics.h"
#include "web/console.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* A worker's connection and what each door gets, made once per thread. */
typedef struct {
	const router_config *cfg;
	db_t *db;
	rest_env rest;
	mcp_http_env mcp;
	cron_env cron;
	cron_api_env cron_api;
} router_worker;

/* The REST door's Test button sends through delivery. */
static bool send_webhook_now(void *arg, db_t *db, const char *delivery_id, const char *lease, err_t *err)
{
	const app_config *config = arg;
	return delivery_send_now(db, delivery_id, lease, config->allow_private, err);
}

static void *worker_new(void *app)
{
	router_worker *w = calloc(1, sizeof *w);
	if (!w)
		abort();
	w->cfg = app;
	const app_config *config = w->cfg->config;
	w->db = db_open(w->cfg->database_url);
	w->rest = (rest_env){ w->db, config->jwt_secret, &w->cfg->confirm, send_webhook_now, (void *)config,
			      config->webhook_secret_overlap_hours, config->rate_limit_per_token,
			      config->rate_limit_per_workspace, w->cfg->chat };
	w->mcp = (mcp_http_env){ w->db, config->jwt_secret, &w->cfg->confirm, config->mcp_allowed_hosts,
				 config->test_mcp_token, app_oauth_bearer, &w->cfg->oauth, NULL, config->workers / 2,
				 config->rate_limit_per_token, config->rate_limit_per_workspace };
	w->cron = (cron_env){ w->cfg->database_url, config->smtp_on ? &config->smtp : NULL, config->allow_private };
	w->cron_api = (cron_api_env){ w->db, config->cron_secret, &w->cron };
	return w;
}

static void worker_free(void *state)
{
	router_worker *w = state;
	db_close(w->db);
	free(w);
}

/* What /mcp runs with for req: the 401 challenge names the resource metadata
 * when OAuth is on. */
static mcp_http_env mcp_env(const router_worker *w, const http_request *req)
{
	mcp_http_env env = w->mcp;
	env.challenge = app_oauth_challenge(&w->cfg->oauth, req->arena);
	return env;
}

static void respond_health(router_worker *w, const http_request *req, http_response *resp, bool ready)
{
	err_t err = { 0 };
	if (ready && !db_ping(w->db, &err)) {
		/* Not ready is a 503 whatever the query's failure was: the error
		 * envelope (database_unavailable), with the probe's status beside it. */
		err_t down = { 0 };
		err_set(&down, ERR_CODE_DATABASE_UNAVAILABLE, "%s", err.message);
		http_response_error_data(req->arena, resp, &down, json_pack("{s:s}", "status", "unavailable"));
		return;
	}
	http_response_json(req->arena, resp, 200, json_pack("{s:s}", "status", ready ? "ready" : "ok"));
}

/* GET /metrics. The outbox backlogs are counted now, on this worker's
 * connection; when the database is away they are left out and the rest is
 * still served, since that is when the numbers matter most. */
static void respond_metrics(router_worker *w, const http_request *req, http_response *resp)
{
	metrics_scrape scrape = { -1, -1 };
	err_t err = { 0 };
	if (!backlog_pending(w->db, &scrape.webhook_pending, &scrape.email_pending, &err))
		scrape.webhook_pending = scrape.email_pending = -1;
	size_t len;
	char *text = metrics_render(&scrape, &len);
	resp->status = 200;
	resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
	resp->body = arena_strndup(req->arena, text, len);
	resp->body_len = len;
	free(text);
}

/* When serve started while the database was down, the schema is brought up to
 * date by the first request that finds the database back. */
static bool ensure_migrated(router_worker *w, err_t *err)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static bool done;
	pthread_mutex_lock(&lock);
	int applied = 0;
	if (!done && (w->cfg->migrated || migrate_run(w->db, &applied, err)))
		done = true;
	bool ok = done;
	pthread_mutex_unlock(&lock);
	return ok;
}

static void handle(void *state, const http_request *req, http_response *resp)
{
	router_worker *w = state;
	err_t err = { 0 };
	/* Before the migration check: metrics are served while the database is
	 * down. Switched off, /metrics is an unknown path like any other. */
	if (w->cfg->config->metrics && !strcmp(req->path, "/metrics") && !strcmp(req->method, "GET")) {
		resp->route = "/metrics";
		respond_metrics(w, req, resp);
		return;
	}
	/* The console's files need no database: they are served while it is down
	 * (their pages then show the API's 503). */
	if (strcmp(req->path, "/healthz") && !console_owns(req->path) && !ensure_migrated(w, &err)) {
		if (!strncmp(req->path, "/api/v1/", 8))
			http_response_header(req->arena, resp, "x-api-version", "v1");
		http_response_error(req->arena, resp, &err);
		return;
	}
	if (!strcmp(req->path, "/healthz") && !strcmp(req->method, "GET")) {
		resp->route = "/healthz";
		respond_health(w, req, resp, false);
	} else if (!strcmp(req->path, "/readyz") && !strcmp(req->method, "GET")) {
		resp->route = "/readyz";
		respond_health(w, req, resp, true);
	} else if (!strncmp(req->path, CRON_API_PREFIX, strlen(CRON_API_PREFIX))) {
		resp->route = CRON_API_PREFIX "{}";
		cron_api_handle(&w->cron_api, req, resp);
	} else if (!strcmp(req->path, "/mcp")) {
		resp->route = "/mcp";
		mcp_http_env env = mcp_env(w, req);
		mcp_http_handle(&env, req, resp);
	} else if (app_oauth_metadata(&w->cfg->oauth, req, resp)) {
		/* answered */
	} else if (!strncmp(req->path, "/api/v1/", 8) || !strncmp(req->path, "/api/ai/", 8))
		rest_api_handle(&w->rest, req, resp);
	else if (console_owns(req->path))
		console_handle(req, resp);
	else {
		err_set(&err, ERR_CODE_NOT_FOUND, "no such endpoint");
		http_response_error(req->arena, resp, &err);
	}
}

/* A body still to come is read only for a route that exists and a caller
 * whose credentials hold: anyone else is answered from the head alone, so an
 * anonymous client cannot make the server buffer bodies. */
static bool admit(void *state, const http_request *req, http_response *resp)
{
	router_worker *w = state;
	err_t err = { 0 };
	if (!console_owns(req->path) && !ensure_migrated(w, &err)) {
		http_response_error(req->arena, resp, &err);
		return false;
	}
	if (!strcmp(req->path, "/mcp")) {
		mcp_http_env env = mcp_env(w, req);
		return mcp_http_admit(&env, req, resp);
	}
	if (!strncmp(req->path, "/api/v1/", 8) || !strncmp(req->path, "/api/ai/", 8))
		return rest_api_admit(&w->rest, req, resp);
	/* Nothing else takes a body (health, cron triggers): answer without it. */
	handle(state, req, resp);
	return false;
}

http_app router_app(const router_config *cfg)
{
	http_app app = { .state_new = worker_new, .state_free = worker_free, .handle = handle, .admit = admit,
			 .app = (void *)cfg };
	return app;
}
