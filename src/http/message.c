#include "http/message.h"
#include <stdlib.h>
#include <string.h>

void http_response_json(arena_t *arena, http_response *resp, int status, json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
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

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *http_url_decode(arena_t *arena, const char *s, size_t len, int form)
{
	char *out = arena_alloc(arena, len + 1);
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];
		if (ch == '%') {
			if (i + 2 >= len)
				return NULL;
			int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0)
				return NULL;
			ch = (char)(hi << 4 | lo);
			i += 2;
		} else if (form && ch == '+') {
			ch = ' ';
		}
		if (ch == '\0')
			return NULL;
		out[o++] = ch;
	}
	out[o] = '\0';
	return out;
}

const char *http_query_param(arena_t *arena, const char *query, const char *name)
{
	size_t nlen = strlen(name);
	const char *p = query;
	while (p && *p) {
		const char *amp = strchr(p, '&');
		size_t plen = amp ? (size_t)(amp - p) : strlen(p);
		const char *eq = memchr(p, '=', plen);
		size_t klen = eq ? (size_t)(eq - p) : plen;
		char *key = http_url_decode(arena, p, klen, 1);
		if (key && strlen(key) == nlen && !memcmp(key, name, nlen)) {
			if (!eq)
				return "";
			return http_url_decode(arena, eq + 1, plen - klen - 1, 1);
		}
		p = amp ? amp + 1 : NULL;
	}
	return NULL;
}
