#include "http/message.h"
#include <stdlib.h>
#include <string.h>

void http_response_json(arena_t *arena, http_response *resp, int status, json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
	json_decref(body);
	resp->status = status;
	resp->content_type = "application/json";
	resp->body = arena_strdup(arena, text ? text : "null");
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
