#include "rest/chat_runner.h"
#include "store/db.h"
#include "util/jsontext.h"
#include "util/log.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct job {
	actor_t actor;
	char conv[64];
	struct http_stream *st;
	bool json;
	struct job *next;
} job;

struct chat_runner {
	chat_runner_config cfg;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	job *queue, *tail;
	int taken;          /* places reserved or running */
	char (*running)[64]; /* the conversations with a turn reserved or running ("" free) */
	bool stopping;
	pthread_t *threads;
	int nthreads;
};

/* ------------------------------------------------------------ answering */

/* What one turn writes to: its stream, and for JSON the document so far. */
typedef struct {
	chat_runner *r;
	struct http_stream *st;
	bool json;
	json_t *doc; /* JSON: {conversation_id, content, tool_calls, cards, usage, rounds, stop_reason} */
} answer;

static bool sse(answer *a, const char *event, json_t *data)
{
	char *text = jsontext_dump(data);
	size_t n = strlen(event) + strlen(text) + 32;
	char *frame = malloc(n);
	int len = snprintf(frame, n, "event: %s\ndata: %s\n\n", event, text);
	bool ok = http_stream_send(a->st, frame, (size_t)len);
	free(frame);
	free(text);
	return ok;
}

static bool answer_emit(void *arg, const char *event, json_t *data)
{
	answer *a = arg;
	if (!a->json)
		return sse(a, event, data);
	json_t *doc = a->doc;
	if (!strcmp(event, "delta")) {
		const char *so_far = json_string_value(json_object_get(doc, "content"));
		const char *more = json_string_value(json_object_get(data, "text"));
		size_t n = strlen(so_far) + strlen(more) + 1;
		char *joined = malloc(n);
		snprintf(joined, n, "%s%s", so_far, more);
		json_object_set_new(doc, "content", json_string(joined));
		free(joined);
	} else if (!strcmp(event, "tool_call")) {
		json_array_append_new(json_object_get(doc, "tool_calls"), json_deep_copy(data));
	} else if (!strcmp(event, "tool_result")) {
		json_t *calls = json_object_get(doc, "tool_calls");
		json_t *last = json_array_get(calls, json_array_size(calls) - 1);
		json_object_set(last, "is_error", json_object_get(data, "is_error"));
		json_object_set(last, "result", json_object_get(data, "result"));
	} else if (!strcmp(event, "card")) {
		json_array_append(json_object_get(doc, "cards"), json_object_get(data, "card"));
	} else if (!strcmp(event, "done")) {
		json_object_update(doc, data);
	}
	return !http_stream_gone(a->st);
}

static bool answer_cancelled(void *arg)
{
	answer *a = arg;
	pthread_mutex_lock(&a->r->lock);
	bool stopping = a->r->stopping;
	pthread_mutex_unlock(&a->r->lock);
	return stopping || http_stream_gone(a->st);
}

/* Runs one turn and ends its answer. */
static void run(chat_runner *r, db_t *db, job *j)
{
	core_ctx core = { .db = db, .actor = &j->actor };
	ai_chat_env env = { &core, r->cfg.confirm, &r->cfg.model, r->cfg.max_rounds, r->cfg.max_context };
	answer a = { r, j->st, j->json, NULL };
	http_response *resp = http_stream_response(j->st);
	if (j->json)
		a.doc = json_pack("{s:s, s:s, s:[], s:[]}", "conversation_id", j->conv, "content", "", "tool_calls", "cards");
	else {
		json_t *c = json_pack("{s:s}", "id", j->conv);
		sse(&a, "conversation", c);
		json_decref(c);
	}
	ai_chat_sink sink = { answer_emit, answer_cancelled, &a };
	err_t err = { 0 };
	bool ok = ai_chat_turn(&env, j->conv, &sink, &err);
	if (!ok && answer_cancelled(&a)) { /* the server stops (a client that left reads nothing) */
		err_clear(&err);
		err_set(&err, ERR_CODE_SHUTTING_DOWN, "the server is stopping; send the message again shortly");
	}
	if (!ok)
		log_msg(LOG_WARN, "chat turn of %s failed: %s: %s", j->conv, err_name(&err), err.message);
	if (!j->json) {
		if (!ok) {
			json_t *e = json_pack("{s:s, s:s}", "code", err_name(&err), "message", err.message);
			sse(&a, "error", e);
			json_decref(e);
		}
	} else if (ok) {
		json_t *env_doc = json_pack("{s:O}", "data", a.doc);
		http_response_json(http_stream_arena(j->st), resp, 200, env_doc);
	} else {
		http_response_error_data(http_stream_arena(j->st), resp, &err,
					 json_pack("{s:s}", "conversation_id", j->conv));
	}
	json_decref(a.doc);
	http_stream_end(j->st);
}

static void *thread_main(void *arg)
{
	chat_runner *r = arg;
	db_t *db = db_open(r->cfg.database_url);
	pthread_mutex_lock(&r->lock);
	for (;;) {
		while (!r->queue && !r->stopping)
			pthread_cond_wait(&r->wake, &r->lock);
		job *j = r->queue;
		if (!j)
			break; /* stopping, and nothing left to answer */
		r->queue = j->next;
		if (!r->queue)
			r->tail = NULL;
		pthread_mutex_unlock(&r->lock);
		run(r, db, j);
		chat_runner_release(r, j->conv);
		free(j);
		pthread_mutex_lock(&r->lock);
	}
	pthread_mutex_unlock(&r->lock);
	db_close(db);
	return NULL;
}

/* ------------------------------------------------------------- the pool */

chat_runner *chat_runner_start(const chat_runner_config *cfg)
{
	chat_runner *r = calloc(1, sizeof *r);
	r->cfg = *cfg;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->wake, NULL);
	r->running = calloc((size_t)cfg->max_chats, sizeof *r->running);
	r->threads = calloc((size_t)cfg->max_chats, sizeof *r->threads);
	if (cfg->model.complete)
		for (int i = 0; i < cfg->max_chats; i++)
			if (pthread_create(&r->threads[r->nthreads], NULL, thread_main, r) == 0)
				r->nthreads++;
	return r;
}

void chat_runner_stop(chat_runner *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->stopping = true;
	pthread_cond_broadcast(&r->wake);
	pthread_mutex_unlock(&r->lock);
	for (int i = 0; i < r->nthreads; i++)
		pthread_join(r->threads[i], NULL);
	pthread_cond_destroy(&r->wake);
	pthread_mutex_destroy(&r->lock);
	free(r->running);
	free(r->threads);
	free(r);
}

const chat_runner_config *chat_runner_settings(const chat_runner *r)
{
	return &r->cfg;
}

bool chat_runner_reserve(chat_runner *r, const char *conv, err_t *err)
{
	pthread_mutex_lock(&r->lock);
	bool ok = false;
	int free_slot = -1;
	for (int i = 0; i < r->cfg.max_chats; i++) {
		if (conv && !strcmp(r->running[i], conv)) {
			err_set(err, ERR_CODE_CONFLICT, "a turn of this conversation is still running; wait for its done event");
			goto out;
		}
		if (free_slot < 0 && !r->running[i][0])
			free_slot = i;
	}
	if (r->stopping || r->taken >= r->nthreads || free_slot < 0) {
		err_set(err, ERR_CODE_CHAT_BUSY, "the server runs %d chat turns at once and all are taken; retry shortly",
			r->nthreads);
		goto out;
	}
	/* A new conversation holds its place under a name no id has. */
	snprintf(r->running[free_slot], sizeof r->running[free_slot], "%s", conv ? conv : "*");
	r->taken++;
	ok = true;
out:
	pthread_mutex_unlock(&r->lock);
	return ok;
}

void chat_runner_release(chat_runner *r, const char *conv)
{
	pthread_mutex_lock(&r->lock);
	for (int i = 0; i < r->cfg.max_chats; i++)
		if (!strcmp(r->running[i], conv ? conv : "*")) {
			r->running[i][0] = '\0';
			r->taken--;
			break;
		}
	pthread_mutex_unlock(&r->lock);
}

void chat_runner_submit(chat_runner *r, const actor_t *actor, const char *conv, struct http_stream *st, bool json)
{
	job *j = calloc(1, sizeof *j);
	j->actor = *actor;
	snprintf(j->conv, sizeof j->conv, "%s", conv);
	j->st = st;
	j->json = json;
	pthread_mutex_lock(&r->lock);
	for (int i = 0; i < r->cfg.max_chats; i++) /* a new conversation's place takes its id */
		if (!strcmp(r->running[i], "*")) {
			snprintf(r->running[i], sizeof r->running[i], "%s", conv);
			break;
		}
	if (r->tail)
		r->tail->next = j;
	else
		r->queue = j;
	r->tail = j;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
}
