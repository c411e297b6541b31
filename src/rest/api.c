#include "rest/api.h"
#include "core/auth.h"
#include "mcp/http.h"
#include "rest/cron_api.h"
#include "rest/oauth_api.h"
#include "rest/rest.h"
#include "store/backlog.h"
#include "store/db.h"
#include "store/migrate.h"
#include <pthread.h>
#include "util/log.h"
#include "util/metrics.h"
#include <stdlib.h>
#include <string.h>

typedef struct {
	const char *method;
	const char *pattern; /* segments; "{}" matches one path segment */
	rest_handler handler;
} route;

static const route ROUTES[] = {
	{ "GET", "/api/v1/time-entries", entries_api_list },
	{ "POST", "/api/v1/time-entries", entries_api_create },
	{ "GET", "/api/v1/time-entries/{}", entries_api_get },
	{ "PATCH", "/api/v1/time-entries/{}", entries_api_update },
	{ "DELETE", "/api/v1/time-entries/{}", entries_api_delete },
	{ "GET", "/api/v1/time/timer/active", timer_api_active },
	{ "POST", "/api/v1/time/timer/start", timer_api_start },
	{ "POST", "/api/v1/time/timer/stop", timer_api_stop },
	{ "GET", "/api/v1/timesheets", timesheets_api_list },
	{ "GET", "/api/v1/timesheets/{}", timesheets_api_get },
	{ "PATCH", "/api/v1/timesheets/{}", timesheets_api_update },
	{ "POST", "/api/v1/timesheets/{}/submit", timesheets_api_submit },
	{ "POST", "/api/v1/timesheets/{}/approve", timesheets_api_approve },
	{ "POST", "/api/v1/timesheets/{}/reject", timesheets_api_reject },
	{ "GET", "/api/v1/time/settings", settings_api_get },
	{ "PATCH", "/api/v1/time/settings", settings_api_update },
	{ "GET", "/api/v1/time/rates", rates_api_list },
	{ "POST", "/api/v1/time/rates", rates_api_upsert },
	{ "DELETE", "/api/v1/time/rates/{}", rates_api_delete },
	{ "GET", "/api/v1/time/reports/summary", reports_api_summary },
	{ "GET", "/api/v1/time/reports/estimate-vs-actual", reports_api_estimate_vs_actual },
	{ "GET", "/api/v1/time/reports/utilization", reports_api_utilization },
	{ "GET", "/api/v1/time/saved-views", saved_views_api_list },
	{ "POST", "/api/v1/time/saved-views", saved_views_api_create },
	{ "GET", "/api/v1/time/saved-views/{}", saved_views_api_get },
	{ "PATCH", "/api/v1/time/saved-views/{}", saved_views_api_update },
	{ "DELETE", "/api/v1/time/saved-views/{}", saved_views_api_delete },
	{ "GET", "/api/v1/time/rollups/tasks", reports_api_task_rollups },
	{ "GET", "/api/v1/time/rollups/{}/{}", reports_api_rollup },
	{ "POST", "/api/v1/invoices/{}/pull-from-time", invoices_api_pull_from_time },
	{ "POST", "/api/v1/time/calendar-events/{}/convert", calendar_api_convert },
	{ "GET", "/api/v1/time/calendar-connections", calendar_api_connections_list },
	{ "POST", "/api/v1/time/calendar-connections", calendar_api_connections_create },
	{ "DELETE", "/api/v1/time/calendar-connections/{}", calendar_api_connections_delete },
	{ "GET", "/api/v1/time/calendar-imports", calendar_api_imports_list },
	{ "POST", "/api/v1/time/calendar-imports/{}/convert", calendar_api_imports_convert },
	{ "POST", "/api/v1/ai/confirm", ai_api_confirm },
	{ "GET", "/api/v1/notifications", notifications_api_list },
	{ "POST", "/api/v1/notifications/{}/read", notifications_api_read },
	{ "GET", "/api/ai/tools", ai_api_tools_list },
	{ "POST", "/api/ai/tools/{}", ai_api_tools_call },
	{ "GET", "/api/v1/time/webhooks", webhooks_api_list },
	{ "POST", "/api/v1/time/webhooks", webhooks_api_create },
	{ "GET", "/api/v1/time/webhooks/{}", webhooks_api_get },
	{ "PATCH", "/api/v1/time/webhooks/{}", webhooks_api_update },
	{ "DELETE", "/api/v1/time/webhooks/{}", webhooks_api_delete },
	{ "GET", "/api/v1/time/webhooks/{}/deliveries", webhooks_api_deliveries },
	{ "POST", "/api/v1/time/webhooks/{}/deliveries/{}/retry", webhooks_api_retry },
	{ "POST", "/api/v1/time/webhooks/{}/test", webhooks_api_test },
};

typedef struct {
	const api_config *cfg;
	db_t *db;
} api_worker;

static void *worker_new(void *app)
{
	api_worker *w = calloc(1, sizeof *w);
	if (!w)
		abort();
	w->cfg = app;
	w->db = db_open(w->cfg->database_url);
	return w;
}

static void worker_free(void *state)
{
	api_worker *w = state;
	db_close(w->db);
	free(w);
}

/* Matches path against pattern, capturing "{}" segments; true on a match. */
static bool match(arena_t *a, const char *pattern, const char *path, const char **params)
{
	int np = 0;
	while (*pattern && *path) {
		if (*pattern != '/' || *path != '/')
			return false;
		pattern++, path++;
		const char *pe = strchr(pattern, '/'), *se = strchr(path, '/');
		size_t pl = pe ? (size_t)(pe - pattern) : strlen(pattern);
		size_t sl = se ? (size_t)(se - path) : strlen(path);
		if (pl == 2 && !strncmp(pattern, "{}", 2)) {
			if (sl == 0 || sl > 64 || np >= REST_MAX_PARAMS)
				return false;
			params[np++] = arena_strndup(a, path, sl);
		} else if (pl != sl || strncmp(pattern, path, pl)) {
			return false;
		}
		pattern += pl, path += sl;
	}
	return !*pattern && !*path;
}

static int status_of(err_kind kind)
{
	switch (kind) {
	case ERR_NONE: return 200;
	case ERR_BAD_REQUEST: return 400;
	case ERR_UNAUTHORIZED: return 401;
	case ERR_PLAN: return 402;
	case ERR_FORBIDDEN: return 403;
	case ERR_NOT_FOUND: return 404;
	case ERR_CONFLICT: return 409;
	case ERR_TOO_LARGE: return 413;
	case ERR_VALIDATION: return 422;
	case ERR_UNAVAILABLE: return 503;
	case ERR_INTERNAL: return 500;
	}
	return 500;
}

static void respond_error(const http_request *req, http_response *resp, const err_t *err)
{
	int status = status_of(err->kind);
	if (status == 401)
		http_response_header(req->arena, resp, "www-authenticate", "Bearer realm=\"workestra\"");
	http_response_json(req->arena, resp, status,
			   json_pack("{s:{s:s, s:s}}", "error", "code", err->code, "message", err->message));
}

static void respond_health(api_worker *w, const http_request *req, http_response *resp, bool ready)
{
	err_t err = { 0 };
	if (ready && !db_exec(w->db, &err, "SELECT 1", 0)) {
		http_response_json(req->arena, resp, 503, json_pack("{s:s, s:s}", "status", "unavailable", "reason", err.message));
		return;
	}
	http_response_json(req->arena, resp, 200, json_pack("{s:s}", "status", ready ? "ready" : "ok"));
}

/* GET /metrics. The outbox backlogs are counted now, on this worker's
 * connection; when the database is away they are left out and the rest is
 * still served, since that is when the numbers matter most. */
static void respond_metrics(api_worker *w, const http_request *req, http_response *resp)
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

/* Finds the route; sets err to not_found or method_not_allowed. */
static const route *find_route(const http_request *req, const char **params, err_t *err, http_response *resp)
{
	const char *allowed = NULL;
	for (size_t i = 0; i < sizeof ROUTES / sizeof ROUTES[0]; i++) {
		const char *p[REST_MAX_PARAMS] = { 0 };
		if (!match(req->arena, ROUTES[i].pattern, req->path, p))
			continue;
		if (!strcmp(ROUTES[i].method, req->method)) {
			memcpy(params, p, sizeof p);
			return &ROUTES[i];
		}
		allowed = allowed ? arena_sprintf(req->arena, "%s, %s", allowed, ROUTES[i].method) : ROUTES[i].method;
	}
	if (allowed) {
		http_response_header(req->arena, resp, "allow", allowed);
		err_set(err, ERR_BAD_REQUEST, "method_not_allowed", "%s is not allowed here; use %s", req->method, allowed);
	} else {
		err_set(err, ERR_NOT_FOUND, "not_found", "no such endpoint");
	}
	return NULL;
}

/* The route for req, or false with the 404/405 answer in resp. */
static const route *route_or_answer(const http_request *req, http_response *resp, const char **params)
{
	http_response_header(req->arena, resp, "x-api-version", "v1");
	err_t err = { 0 };
	const route *r = find_route(req, params, &err, resp);
	if (r)
		resp->route = r->pattern;
	else {
		respond_error(req, resp, &err);
		if (!strcmp(err.code, "method_not_allowed"))
			resp->status = 405;
	}
	return r;
}

/* The caller's bearer credentials into actor, or false with the 401/503 answer. */
static bool authenticate(api_worker *w, const http_request *req, http_response *resp, actor_t *actor)
{
	err_t err = { 0 };
	const char *auth = req->authorization;
	if (!auth || strncasecmp(auth, "Bearer ", 7)) {
		err_set(&err, ERR_UNAUTHORIZED, "unauthorized", "send Authorization: Bearer <token>");
		respond_error(req, resp, &err);
		return false;
	}
	if (!auth_bearer(w->db, auth + 7, w->cfg->jwt_secret, actor, &err)) {
		respond_error(req, resp, &err);
		return false;
	}
	return true;
}

static void handle_v1(api_worker *w, const http_request *req, http_response *resp)
{
	err_t err = { 0 };
	rest_call call = { .req = req, .arena = req->arena, .status = 200, .confirm = &w->cfg->confirm };
	const route *r = route_or_answer(req, resp, call.params);
	if (!r)
		return;
	actor_t actor = { .source = "api", .ip = req->ip, .user_agent = req->user_agent };
	if (!authenticate(w, req, resp, &actor))
		return;
	resp->log_user = arena_strdup(req->arena, actor.user_id);
	if (req->body_len > 0) {
		json_error_t jerr;
		call.body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
		if (!call.body) {
			err_set(&err, ERR_BAD_REQUEST, "invalid_json", "the body is not valid JSON: %s (line %d)", jerr.text,
				jerr.line);
			respond_error(req, resp, &err);
			return;
		}
	}
	call.core.db = w->db;
	call.core.actor = &actor;
	json_t *data = r->handler(&call, &err);
	json_decref(call.body);
	if (!data) {
		if (!err_any(&err))
			err_set(&err, ERR_INTERNAL, "internal_error", "internal error");
		respond_error(req, resp, &err);
		return;
	}
	json_t *env = json_pack("{s:o}", "data", data);
	if (call.paginated)
		json_object_set_new(env, "pagination",
				    json_pack("{s:I, s:I, s:I}", "page", (json_int_t)call.page.page, "limit",
					      (json_int_t)call.page.limit, "total", (json_int_t)call.page.total));
	http_response_json(req->arena, resp, call.status, env);
}

/* When serve started while the database was down, the schema is brought up to
 * date by the first request that finds the database back. */
static bool ensure_migrated(api_worker *w, err_t *err)
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

/* What /mcp runs with: OAuth access tokens are taken when configured. */
static mcp_http_env mcp_env(api_worker *w, const http_request *req)
{
	mcp_http_env env = { w->db, w->cfg->jwt_secret, &w->cfg->confirm, oauth_api_bearer, w->cfg,
			     oauth_api_challenge(w->cfg, req->arena) };
	return env;
}

static void handle(void *state, const http_request *req, http_response *resp)
{
	api_worker *w = state;
	err_t err = { 0 };
	/* Before the migration check: metrics are served while the database is
	 * down. Switched off, /metrics is an unknown path like any other. */
	if (w->cfg->metrics && !strcmp(req->path, "/metrics") && !strcmp(req->method, "GET")) {
		resp->route = "/metrics";
		respond_metrics(w, req, resp);
		return;
	}
	if (strcmp(req->path, "/healthz") && !ensure_migrated(w, &err)) {
		if (!strncmp(req->path, "/api/v1/", 8))
			http_response_header(req->arena, resp, "x-api-version", "v1");
		respond_error(req, resp, &err);
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
		json_t *body = NULL;
		int status = cron_api_handle(w->cfg, w->db, req, &body);
		if (status == 401)
			http_response_header(req->arena, resp, "www-authenticate", "Bearer realm=\"workestra-cron\"");
		http_response_json(req->arena, resp, status, body);
	} else if (!strcmp(req->path, "/mcp")) {
		resp->route = "/mcp";
		mcp_http_env env = mcp_env(w, req);
		mcp_http_handle(&env, req, resp);
	} else if (oauth_api_metadata(w->cfg, req, resp)) {
		/* answered */
	} else if (!strncmp(req->path, "/api/v1/", 8) || !strncmp(req->path, "/api/ai/", 8))
		handle_v1(w, req, resp);
	else {
		err_set(&err, ERR_NOT_FOUND, "not_found", "no such endpoint");
		respond_error(req, resp, &err);
	}
}

/* A body still to come is read only for a route that exists and a caller
 * whose credentials hold: anyone else is answered from the head alone, so an
 * anonymous client cannot make the server buffer bodies. */
static bool admit(void *state, const http_request *req, http_response *resp)
{
	api_worker *w = state;
	err_t err = { 0 };
	if (!ensure_migrated(w, &err)) {
		respond_error(req, resp, &err);
		return false;
	}
	if (!strcmp(req->path, "/mcp")) {
		mcp_http_env env = mcp_env(w, req);
		return mcp_http_admit(&env, req, resp);
	}
	if (!strncmp(req->path, "/api/v1/", 8) || !strncmp(req->path, "/api/ai/", 8)) {
		const char *params[REST_MAX_PARAMS] = { 0 };
		actor_t actor = { .source = "api", .ip = req->ip, .user_agent = req->user_agent };
		return route_or_answer(req, resp, params) && authenticate(w, req, resp, &actor);
	}
	/* Nothing else takes a body (health, cron triggers): answer without it. */
	handle(state, req, resp);
	return false;
}

http_app api_app(const api_config *cfg)
{
	http_app app = { .state_new = worker_new, .state_free = worker_free, .handle = handle, .admit = admit,
			 .app = (void *)cfg };
	return app;
}
