#include "mcp/stdio.h"
#include "mcp/server.h"
#include "util/jsontext.h"
#include "util/log.h"
#include <stdlib.h>
#include <string.h>

enum { MAX_LINE = 4 * 1024 * 1024 };

typedef struct {
	FILE *out;
	bool failed;
} writer;

/* One message per line: JSON_COMPACT never emits a raw newline. */
static void write_msg(void *ctx, json_t *msg)
{
	writer *w = ctx;
	if (!w->failed && (jsontext_dumpf(msg, w->out) || fputc('\n', w->out) == EOF || fflush(w->out)))
		w->failed = true;
	json_decref(msg);
}

int mcp_stdio_run(core_ctx *core, const confirm_key *k, FILE *in, FILE *out)
{
	writer w = { out, false };
	mcp_session s = { 0 };
	mcp_session_clear(&s);
	mcp_call call = { .core = core, .confirm = k, .notify = write_msg, .notify_ctx = &w };
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	log_msg(LOG_INFO, "mcp stdio ready for user %s", core->actor->user_id);
	while (!w.failed && (n = getline(&line, &cap, in)) >= 0) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0)
			continue;
		jsonrpc_msg m = { .kind = JSONRPC_INVALID };
		if (n > MAX_LINE)
			m.error = jsonrpc_error(NULL, JSONRPC_INVALID_REQUEST, "Invalid Request: message larger than 4 MiB", NULL);
		else
			jsonrpc_parse(line, (size_t)n, &m);
		int status;
		/* Each message says its era: 2026-07-28 ones carry their version and
		 * capabilities in _meta and need no initialize. */
		json_t *reply = m.kind == JSONRPC_INVALID	  ? json_incref(m.error)
				: mcp_is_stateless(&m, NULL) ? mcp_handle_stateless(&call, &m, NULL, &status)
							     : mcp_handle(&call, &s, &m);
		if (reply)
			write_msg(&w, reply);
		jsonrpc_msg_free(&m);
	}
	free(line);
	mcp_session_clear(&s);
	return w.failed ? 1 : 0;
}
