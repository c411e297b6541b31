/* The REST door: the route table of /api/v1 and /api/ai, bearer
 * authentication, the JSON body, and the v1 envelope around what a handler
 * returns. */
#include "rest/api.h"
#include "core/auth.h"
#include "rest/idempotency.h"
#include "rest/rate_limit.h"
#include "rest/rest.h"
#include "util/jsontext.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct {
	const char *method;
	const char *pattern; /* segments; "{}" matches one path segment */
	rest_handler handler;
	/* Commits on its own (db_begin/db_commit, or commits around a network
	 * call): no unit of work may be open around it, so an Idempotency-Key
	 * runs it under a session-level lock instead (see rest/idempotency.h).
	 * A route that commits on its own without this flag would commit the
	 * door's unit from under it. */
	bool commits_itself;
	/* Answers as a stream written by another thread (the AI chat): there is
	 * no answer to store and replay, so an Idempotency-Key is ignored. */
	bool streams;
} route;

static const route ROUTES[] = {
	{ "GET", "/api/v1/time-entries", entries_api_list },
	{ "GET", "/api/v1/time-entries.csv", entries_api_csv },
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
	{ "GET", "/api/v1/time/reports/summary.csv", reports_api_summary_csv },
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
	{ "POST", "/api/ai/chat", chat_api_post, .streams = true },
	{ "GET", "/api/ai/conversations", chat_api_list },
	{ "GET", "/api/ai/conversations/{}", chat_api_get },
	{ "DELETE", "/api/ai/conversations/{}", chat_api_delete },
	{ "POST", "/api/ai/conversations/{}/cards/{}/decline", chat_api_decline },
	{ "GET", "/api/v1/time/webhooks", webhooks_api_list },
	{ "POST", "/api/v1/time/webhooks", webhooks_api_create },
	{ "GET", "/api/v1/time/webhooks/{}", webhooks_api_get },
	{ "PATCH", "/api/v1/time/webhooks/{}", webhooks_api_update },
	{ "DELETE", "/api/v1/time/webhooks/{}", webhooks_api_delete },
	{ "GET", "/api/v1/time/webhooks/{}/deliveries", webhooks_api_deliveries },
	{ "POST", "/api/v1/time/webhooks/{}/deliveries/{}/retry", webhooks_api_retry },
	{ "POST", "/api/v1/time/webhooks/{}/test", webhooks_api_test, .commits_itself = true },
	{ "POST", "/api/v1/time/webhooks/{}/deliveries/replay", webhooks_api_replay },
	{ "POST", "/api/v1/time/webhooks/{}/rotate-secret", webhooks_api_rotate_secret },
	{ "GET", "/api/v1/me", me_api_get },
	{ "GET", "/api/v1/work-items", work_items_api_find },
};

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
		err_set(err, ERR_CODE_METHOD_NOT_ALLOWED, "%s is not allowed here; use %s", req->method, allowed);
	} else {
		err_set(err, ERR_CODE_NOT_FOUND, "no such endpoint");
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
		http_response_error(req->arena, resp, &err); /* 404, or 405 with its Allow */
	}
	return r;
}

/* The caller's bearer credentials into actor, or false with the 401/503 answer. */
static bool authenticate(const rest_env *env, const http_request *req, http_response *resp, actor_t *actor)
{
	err_t err = { 0 };
	const char *auth = req->authorization;
	if (!auth || strncasecmp(auth, "Bearer ", 7)) {
		err_set(&err, ERR_CODE_UNAUTHORIZED, "send Authorization: Bearer <token>");
		http_response_error(req->arena, resp, &err);
		return false;
	}
	if (!auth_bearer(env->db, auth + 7, env->jwt_secret, actor, &err)) {
		http_response_error(req->arena, resp, &err);
		return false;
	}
	return true;
}

/* page/limit/total/total_exact (total is a lower bound when total_exact is
 * false: core/paging.h); lists with keyset cursors add has_more and next_cursor,
 * and in cursor mode answer those without page and total. */
static json_t *pagination(const core_page *p)
{
	json_t *out = p->cursor_mode ? json_pack("{s:I}", "limit", (json_int_t)p->limit)
				     : json_pack("{s:I, s:I, s:I, s:b}", "page", (json_int_t)p->page, "limit",
						 (json_int_t)p->limit, "total", (json_int_t)p->total, "total_exact",
						 p->total_exact);
	if (p->keyset) {
		json_object_set_new(out, "has_more", json_boolean(p->has_more));
		json_object_set_new(out, "next_cursor", p->next_cursor[0] ? json_string(p->next_cursor) : json_null());
	}
	return out;
}

/* The envelope around data that is JSON text already (rest_json_text): the
 * rows are spliced in as PostgreSQL wrote them, not parsed and printed again
 * (README, Performance: this halved serve's CPU per list page). */
static void answer_text(arena_t *arena, http_response *resp, rest_call *call)
{
	char *pag = NULL;
	if (call->paginated) {
		json_t *p = pagination(&call->page);
		pag = jsontext_dump(p);
		json_decref(p);
	}
	size_t len = strlen(call->data_text) + (pag ? strlen(pag) : 0) + 32;
	char *body = arena_alloc(arena, len);
	snprintf(body, len, "{\"data\":%s%s%s}", call->data_text, pag ? ",\"pagination\":" : "", pag ? pag : "");
	free(pag);
	free(call->data_text);
	call->data_text = NULL;
	http_response_json_text(resp, call->status, body);
}

void rest_api_handle(const rest_env *env, const http_request *req, http_response *resp)
{
	err_t err = { 0 };
	rest_call call = { .req = req, .arena = req->arena, .status = 200, .confirm = env->confirm, .env = env, .resp = resp };
	const route *r = route_or_answer(req, resp, call.params);
	if (!r)
		return;
	actor_t actor = { .source = "api", .ip = req->ip, .user_agent = req->user_agent };
	if (!authenticate(env, req, resp, &actor))
		return;
	resp->log_user = arena_strdup(req->arena, actor.user_id);
	if (!rest_rate_limit(env->db, env->rate_limit_per_token, env->rate_limit_per_workspace, req, &actor, resp))
		return;
	if (req->body_len > 0) {
		json_error_t jerr;
		call.body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
		if (!call.body) {
			err_set(&err, ERR_CODE_INVALID_JSON, "the body is not valid JSON: %s (line %d)", jerr.text,
				jerr.line);
			http_response_error(req->arena, resp, &err);
			return;
		}
	}
	call.core.db = env->db;
	call.core.actor = &actor;
	rest_idempotency idem = { 0 };
	if (!r->streams && !rest_idempotency_begin(&idem, &call, r->commits_itself, resp)) {
		json_decref(call.body);
		return;
	}
	json_t *data = r->handler(&call, &err);
	json_decref(call.body);
	if (call.detached) { /* another thread answers */
		json_decref(data);
		return;
	}
	if (!data) {
		if (!err_any(&err))
			err_set(&err, ERR_CODE_INTERNAL_ERROR, "internal error");
		http_response_error(req->arena, resp, &err);
		rest_idempotency_end(&idem, req, resp);
		return;
	}
	if (call.file_body) {
		json_decref(data);
		resp->status = call.status;
		resp->content_type = call.file_type;
		resp->body = call.file_body;
		resp->body_len = call.file_len;
		http_response_header(req->arena, resp, "content-disposition",
				     arena_sprintf(req->arena, "attachment; filename=\"%s\"", call.file_name));
		return;
	}
	if (call.data_text) {
		json_decref(data); /* json_true() */
		answer_text(req->arena, resp, &call);
	} else {
		json_t *envelope = json_pack("{s:o}", "data", data);
		if (call.paginated)
			json_object_set_new(envelope, "pagination", pagination(&call.page));
		http_response_json(req->arena, resp, call.status, envelope);
	}
	/* The answer is final here: stored with the change, or the change undone. */
	rest_idempotency_end(&idem, req, resp);
}

bool rest_api_admit(const rest_env *env, const http_request *req, http_response *resp)
{
	const char *params[REST_MAX_PARAMS] = { 0 };
	actor_t actor = { .source = "api", .ip = req->ip, .user_agent = req->user_agent };
	return route_or_answer(req, resp, params) && authenticate(env, req, resp, &actor);
}
