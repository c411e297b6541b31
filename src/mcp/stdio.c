#include "mcp/stdio.h"
#include "mcp/server.h"
#include "util/jsontext.h"
#include "util/log.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* While a call waits for the client's answer to a request of ours, the
 * client may send other messages: they are kept (up to BACKLOG_BYTES) and
 * handled once the call is answered, in the order they came. */
enum { MAX_LINE = 4 * 1024 * 1024, BACKLOG_BYTES = 8 * 1024 * 1024 };

typedef struct {
	FILE *in, *out;
	bool failed;
	json_t *backlog;      /* lines read while waiting, still to handle (strings) */
	size_t backlog_bytes;
	unsigned long next_id; /* of our requests to the client */
	char *line;           /* getline's buffer */
	size_t cap;
} stdio_io;

/* One message per line: JSON_COMPACT never emits a raw newline. */
static void write_msg(void *ctx, json_t *msg)
{
	stdio_io *io = ctx;
	if (!io->failed && (jsontext_dumpf(msg, io->out) || fputc('\n', io->out) == EOF || fflush(io->out)))
		io->failed = true;
	json_decref(msg);
}

/* The next non-empty line from the client without its line end (in
 * io->line), or -1 at the end of input. */
static ssize_t read_line(stdio_io *io)
{
	ssize_t n;
	while ((n = getline(&io->line, &io->cap, io->in)) >= 0) {
		while (n > 0 && (io->line[n - 1] == '\n' || io->line[n - 1] == '\r'))
			io->line[--n] = '\0';
		if (n > 0)
			return n;
	}
	return -1;
}

/* mcp_request_fn over stdio: the client is a person's own program on the
 * other end of the pipe, so the call simply waits for the answer (an IDE
 * shows the confirmation and the person answers when they read it). */
static json_t *ask_client(void *ctx, const char *method, json_t *params, err_t *err)
{
	stdio_io *io = ctx;
	char id[32];
	snprintf(id, sizeof id, "wt-%lu", ++io->next_id);
	write_msg(io, jsonrpc_request(id, method, params));
	ssize_t n;
	while (!io->failed && (n = read_line(io)) >= 0) {
		json_t *msg = n <= MAX_LINE ? json_loadb(io->line, (size_t)n, 0, NULL) : NULL;
		const char *mid = json_string_value(json_object_get(msg, "id"));
		if (msg && !json_object_get(msg, "method") && mid && !strcmp(mid, id)) {
			json_t *result = jsonrpc_answer_result(msg, method, err);
			json_decref(msg);
			return result;
		}
		json_decref(msg);
		if (io->backlog_bytes + (size_t)n > BACKLOG_BYTES) {
			err_set(err, ERR_CODE_TOO_MANY_REQUESTS,
				"the client sent more than %d MiB of other messages while %s waited for its answer",
				BACKLOG_BYTES >> 20, method);
			return NULL;
		}
		io->backlog_bytes += (size_t)n;
		json_array_append_new(io->backlog, json_stringn(io->line, (size_t)n));
	}
	err_set(err, ERR_CODE_CLIENT_TIMEOUT, "the client closed its input before it answered %s", method);
	return NULL;
}

static void handle(stdio_io *io, mcp_call *call, mcp_session *s, const char *text, size_t n)
{
	jsonrpc_msg m = { .kind = JSONRPC_INVALID };
	if (n > MAX_LINE)
		m.error = jsonrpc_error(NULL, JSONRPC_INVALID_REQUEST, "Invalid Request: message larger than 4 MiB", NULL);
	else
		jsonrpc_parse(text, n, &m);
	int status;
	/* Each message says its era: 2026-07-28 ones carry their version and
	 * capabilities in _meta and need no initialize. */
	json_t *reply = m.kind == JSONRPC_INVALID	? json_incref(m.error)
			: mcp_is_stateless(&m, NULL) ? mcp_handle_stateless(call, &m, NULL, &status)
						     : mcp_handle(call, s, &m);
	if (reply)
		write_msg(io, reply);
	jsonrpc_msg_free(&m);
}

int mcp_stdio_run(core_ctx *core, const confirm_key *k, FILE *in, FILE *out)
{
	stdio_io io = { .in = in, .out = out, .backlog = json_array() };
	mcp_session s = { 0 };
	mcp_session_clear(&s);
	mcp_call call = { .core = core, .confirm = k, .notify = write_msg, .notify_ctx = &io, .request = ask_client,
			  .request_ctx = &io };
	log_msg(LOG_INFO, "mcp stdio ready for user %s", core->actor->user_id);
	while (!io.failed) {
		if (json_array_size(io.backlog)) {
			json_t *text = json_incref(json_array_get(io.backlog, 0));
			json_array_remove(io.backlog, 0);
			io.backlog_bytes -= json_string_length(text);
			handle(&io, &call, &s, json_string_value(text), json_string_length(text));
			json_decref(text);
			continue;
		}
		ssize_t n = read_line(&io);
		if (n < 0)
			break;
		handle(&io, &call, &s, io.line, (size_t)n);
	}
	free(io.line);
	json_decref(io.backlog);
	mcp_session_clear(&s);
	return io.failed ? 1 : 0;
}
