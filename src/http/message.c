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

void http_response_header(arena_t *arena, http_response *resp, const char *name, const char *value)
{
	if (resp->nheaders >= HTTP_MAX_EXTRA_HEADERS)
		return;
	resp->headers[resp->nheaders][0] = arena_strdup(arena, name);
	resp->headers[resp->nheaders][1] = arena_strdup(arena, value);
	resp->nheaders++;
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
