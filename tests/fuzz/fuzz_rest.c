/* libFuzzer harness: a request through the front router (app/router.c) and
 * the REST door (rest/api.c: routing, authentication, the JSON body, then
 * the handler's query parameters and body checks in rest/ and core/) against
 * the fake store, as the admin FAKE_TOKEN authenticates. The input is
 *   METHOD PATH[?NAME=VALUE&...]\n AUTHORIZATION\n BODY
 * with the path and query as the HTTP server hands them over (decoded).
 * Every answer must be a status and, for JSON, a body that parses.
 * Not reached: the HTTP parser (src/http), and handlers past their first
 * database query. */
#include "app/router.h"
#include "support/fake_store.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_INPUT = 16 * 1024, MAX_ARGS = 32 };

static app_config config;
static router_config cfg;
static http_app app;
static void *state;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	char *no_env[] = { NULL };
	err_t err = { 0 };
	if (!app_config_load(&config, no_env, &err)) /* the defaults */
		abort();
	config.jwt_secret = "fuzz-jwt-secret";
	cfg.config = &config;
	cfg.database_url = "";
	cfg.migrated = true; /* no migration run against the fake store */
	confirm_key_from_secret(&cfg.confirm, "fuzz-confirm-secret");
	app = router_app(&cfg);
	state = app.state_new(app.app);
	return 0;
}

/* Cuts the line that starts at *p (at most end) and moves *p past it. */
static char *line(arena_t *a, const char **p, const char *end)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t len = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
	char *s = arena_strndup(a, *p, len);
	*p += nl ? len + 1 : len;
	return s;
}

static void check(const http_request *req, const http_response *resp)
{
	if (resp->status < 100 || resp->status > 599 || !resp->body || resp->nheaders > HTTP_MAX_EXTRA_HEADERS)
		abort();
	if (resp->content_type && !strcmp(resp->content_type, "application/json") && !strncmp(req->path, "/api/", 5)) {
		json_t *j = json_loadb(resp->body, resp->body_len, 0, NULL);
		if (!j)
			abort();
		/* the envelope: data on success, error {code, message} otherwise */
		json_t *e = json_object_get(j, "error");
		if (resp->status >= 400 && (!json_is_string(json_object_get(e, "code")) ||
					    !json_is_string(json_object_get(e, "message"))))
			abort();
		if (resp->status < 300 && !json_object_get(j, "data"))
			abort();
		json_decref(j);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > MAX_INPUT)
		return 0;
	arena_t *a = arena_new();
	const char *p = (const char *)data, *end = p + size;
	char *request_line = line(a, &p, end);
	char *authorization = line(a, &p, end);
	char *path = strchr(request_line, ' ');
	/* The server hands the request line and headers over as C strings. */
	if (!path || memchr(data, '\0', (size_t)(p - (const char *)data))) {
		arena_free(a);
		return 0;
	}
	*path++ = '\0';
	const char **args = arena_alloc(a, (MAX_ARGS + 1) * sizeof *args);
	char *query = strchr(path, '?');
	if (query) {
		*query++ = '\0';
		int n = 0;
		for (char *save = NULL, *arg = strtok_r(query, "&", &save); arg && n < MAX_ARGS;
		     arg = strtok_r(NULL, "&", &save))
			args[n++] = arg;
	}
	size_t body_len = (size_t)(end - p);
	char *body = arena_alloc(a, body_len + 1);
	memcpy(body, p, body_len);
	http_request req = {
		.arena = a,
		.method = request_line,
		.path = path,
		.args = args,
		.request_id = "fuzz",
		.authorization = authorization[0] ? authorization : NULL,
		.content_type = "application/json",
		.user_agent = "fuzz",
		.ip = "127.0.0.1",
		.accept = "application/json, text/event-stream",
		.host = "localhost",
		.body = body,
		.body_len = body_len,
		.content_length = (long)body_len,
	};
	http_response resp;
	memset(&resp, 0, sizeof resp);
	app.handle(state, &req, &resp);
	check(&req, &resp);
	arena_free(a);
	return 0;
}
