#include "http/message.h"
#include "util/jsontext.h"
#include "util/log.h"
#include <stdlib.h>
#include <string.h>

void http_response_json(arena_t *arena, http_response *resp, int status, json_t *body)
{
	char *text = jsontext_dump(body);
	json_decref(body);
	resp->content_type = "application/json";
	if (!text) {
		/* A value jansson cannot encode (a failed pack, invalid UTF-8) is a
		 * bug of ours: say so in the envelope rather than answer "null". */
		log_msg(LOG_ERROR, "a %d response could not be encoded as JSON", status);
		resp->status = 500;
		resp->body = "{\"error\":{\"code\":\"internal_error\",\"message\":\"the response could not be encoded\"}}";
		resp->body_len = strlen(resp->body);
		return;
	}
	resp->status = status;
	resp->body = arena_strdup(arena, text);
	resp->body_len = strlen(resp->body);
	free(text);
}

void http_response_json_text(http_response *resp, int status, const char *text)
{
	resp->content_type = "application/json";
	resp->status = status;
	resp->body = text;
	resp->body_len = strlen(text);
}

void http_response_header(arena_t *arena, http_response *resp, const char *name, const char *value)
{
	if (resp->nheaders >= HTTP_MAX_EXTRA_HEADERS)
		return;
	resp->headers[resp->nheaders][0] = arena_strdup(arena, name);
	resp->headers[resp->nheaders][1] = arena_strdup(arena, value);
	resp->nheaders++;
}

void http_response_rate_limit(arena_t *arena, http_response *resp, long limit, long remaining, int reset_seconds,
			      bool refused)
{
	char text[24];
	snprintf(text, sizeof text, "%ld", limit);
	http_response_header(arena, resp, "ratelimit-limit", text);
	snprintf(text, sizeof text, "%ld", remaining);
	http_response_header(arena, resp, "ratelimit-remaining", text);
	snprintf(text, sizeof text, "%d", reset_seconds);
	http_response_header(arena, resp, "ratelimit-reset", text);
	if (refused)
		http_response_header(arena, resp, "retry-after", text);
}

const char *http_response_header_get(const http_response *resp, const char *name)
{
	for (int i = 0; i < resp->nheaders; i++)
		if (!strcmp(resp->headers[i][0], name))
			return resp->headers[i][1];
	return NULL;
}

/* The error's param and its list of problems, when it names a field. */
static void add_params(json_t *error, const err_t *err)
{
	if (!error || !err->param[0])
		return;
	json_object_set_new(error, "param", json_string(err->param));
	json_t *list = json_array();
	for (int i = 0; i < err->nproblems; i++) {
		const err_problem *p = &err->problems[i];
		json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "param", p->param, "code",
						      err_code_name(p->code), "message", p->message));
	}
	json_object_set_new(error, "errors", list);
}

void http_response_error_data(arena_t *arena, http_response *resp, const err_t *err, json_t *data)
{
	err_t fallback = { 0 };
	if (!err || !err_any(err)) {
		err_set(&fallback, ERR_CODE_INTERNAL_ERROR, "an error was answered without one");
		err = &fallback;
	}
	int status = err_status(err);
	if (status == 401 && !http_response_header_get(resp, "www-authenticate"))
		http_response_header(arena, resp, "www-authenticate", "Bearer realm=\"workestra\"");
	if ((status == 503 || status == 429) && !http_response_header_get(resp, "retry-after"))
		http_response_header(arena, resp, "retry-after", "1");
	json_t *body = json_pack("{s:{s:s, s:s}}", "error", "code", err_name(err), "message", err->message);
	add_params(json_object_get(body, "error"), err);
	if (body && data)
		json_object_set_new(body, "data", data);
	else
		json_decref(data);
	http_response_json(arena, resp, status, body);
}

void http_response_error(arena_t *arena, http_response *resp, const err_t *err)
{
	http_response_error_data(arena, resp, err, NULL);
}

const char *http_request_header(const http_request *req, const char *name)
{
	for (int i = 0; i < req->nfields; i++)
		if (!strcmp(req->fields[i].name, name))
			return req->fields[i].value;
	return NULL;
}

const char *http_query_param(const http_request *req, const char *name)
{
	size_t n = strlen(name);
	for (const char *const *arg = req->args; arg && *arg; arg++) {
		if (strncmp(*arg, name, n))
			continue;
		if ((*arg)[n] == '=')
			return *arg + n + 1;
		if ((*arg)[n] == '\0')
			return "";
	}
	return NULL;
}
