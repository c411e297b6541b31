#include "web/console.h"
#include "util/embedded.h"
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Entity tags, one per embedded file in the order of embedded_web, computed
 * once: the text is fixed for the life of the binary. */
enum { MAX_FILES = 64 };
static char etags[MAX_FILES][24];
static size_t nfiles;
static pthread_once_t etags_once = PTHREAD_ONCE_INIT;

static void etags_compute(void)
{
	for (const embedded_file *f = embedded_web; f->name && nfiles < MAX_FILES; f++, nfiles++) {
		uint64_t h = 1469598103934665603ULL; /* FNV-1a: a change detector, not a secret */
		for (const unsigned char *p = (const unsigned char *)f->text; *p; p++)
			h = (h ^ *p) * 1099511628211ULL;
		snprintf(etags[nfiles], sizeof etags[nfiles], "\"%016llx\"", (unsigned long long)h);
	}
}

static const char *content_type(const char *name)
{
	static const struct {
		const char *ext, *type;
	} TYPES[] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".json", "application/json" },
		{ ".svg", "image/svg+xml" },
	};
	const char *dot = strrchr(name, '.');
	for (size_t i = 0; dot && i < sizeof TYPES / sizeof TYPES[0]; i++)
		if (!strcmp(dot, TYPES[i].ext))
			return TYPES[i].type;
	return "application/octet-stream";
}

/* The embedded file called name, or -1. Names are flat (web/ has no folders),
 * so "a/b" or ".." never matches. */
static int find_file(const char *name)
{
	pthread_once(&etags_once, etags_compute);
	for (size_t i = 0; i < nfiles; i++)
		if (!strcmp(embedded_web[i].name, name))
			return (int)i;
	return -1;
}

bool console_owns(const char *path)
{
	return !strcmp(path, "/") || !strcmp(path, "/time") || !strncmp(path, "/time/", 6) ||
	       !strncmp(path, "/assets/", 8) || !strcmp(path, "/openapi.json");
}

static void security_headers(const http_request *req, http_response *resp)
{
	http_response_header(req->arena, resp, "content-security-policy", CONSOLE_CSP);
	http_response_header(req->arena, resp, "x-content-type-options", "nosniff");
	http_response_header(req->arena, resp, "referrer-policy", "no-referrer");
	http_response_header(req->arena, resp, "cross-origin-opener-policy", "same-origin");
}

/* Whether an If-None-Match list names etag (or is "*"). */
static bool not_modified(const http_request *req, const char *etag)
{
	const char *inm = http_request_header(req, "if-none-match");
	if (!inm)
		return false;
	if (!strcmp(inm, "*"))
		return true;
	size_t n = strlen(etag);
	for (const char *p = strstr(inm, etag); p; p = strstr(p + 1, etag)) {
		/* a whole member of the list, weak ("W/") or strong */
		char after = p[n];
		if (after == '\0' || after == ',' || after == ' ')
			return true;
	}
	return false;
}

void console_handle(const http_request *req, http_response *resp)
{
	err_t err = { 0 };
	security_headers(req, resp);
	if (strcmp(req->method, "GET") && strcmp(req->method, "HEAD")) {
		http_response_header(req->arena, resp, "allow", "GET, HEAD");
		err_set(&err, ERR_CODE_METHOD_NOT_ALLOWED, "%s is not allowed here; use GET, HEAD", req->method);
		http_response_error(req->arena, resp, &err);
		return;
	}
	const char *name = "index.html";
	if (!strncmp(req->path, "/assets/", 8))
		name = req->path + 8;
	else if (!strcmp(req->path, "/openapi.json"))
		name = "openapi.json";
	int i = find_file(name);
	if (i < 0) {
		resp->route = "/assets/{}";
		err_set(&err, ERR_CODE_NOT_FOUND, "no such file");
		http_response_error(req->arena, resp, &err);
		return;
	}
	resp->route = req->path[1] == 'a' ? "/assets/{}" : req->path[1] == 'o' ? "/openapi.json" : "/time/{}";
	/* Revalidated on every use (no-cache), so a new binary's files are seen at
	 * once; an unchanged file costs a 304. */
	http_response_header(req->arena, resp, "cache-control", "no-cache");
	http_response_header(req->arena, resp, "etag", etags[i]);
	if (not_modified(req, etags[i])) {
		resp->status = 304;
		return;
	}
	resp->status = 200;
	resp->content_type = content_type(name);
	resp->body = embedded_web[i].text;
	resp->body_len = strlen(embedded_web[i].text);
}
