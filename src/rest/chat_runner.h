/* The chat's own threads, so no HTTP worker waits while a model thinks: the
 * worker checks and stores the person's message, detaches its answer
 * (http_stream_detach) and hands the turn here; one of max_chats threads,
 * each with its own database connection, runs it (ai/chat.h) and writes the
 * answer, as Server-Sent Events or one JSON document, to the detached
 * stream. A turn that finds every thread taken is refused at once (503
 * chat_busy), as is a second turn of a conversation whose turn still runs
 * (409 conflict). */
#ifndef REST_CHAT_RUNNER_H
#define REST_CHAT_RUNNER_H
#include "ai/chat.h"
#include "http/message.h"

typedef struct {
	const char *database_url;
	const confirm_key *confirm;
	ai_chat_model model;   /* model.complete NULL: the chat is not configured */
	int max_chats;         /* threads, and turns at once */
	int max_rounds;        /* model calls in one turn */
	size_t max_context;    /* bytes of messages sent to the model */
	int rate_per_minute;   /* messages one user may send in a minute */
} chat_runner_config;

typedef struct chat_runner chat_runner;

/* Starts the threads (cfg is copied; its pointers must outlive the runner). */
chat_runner *chat_runner_start(const chat_runner_config *cfg);
/* Makes running turns wind up (their model calls are cancelled), then joins
 * the threads. NULL is a no-op. */
void chat_runner_stop(chat_runner *r);
const chat_runner_config *chat_runner_settings(const chat_runner *r);

/* Takes a place for a turn of conv (NULL: a new conversation): false with
 * chat_busy or conflict. Every place taken is given back by
 * chat_runner_submit or chat_runner_release. */
bool chat_runner_reserve(chat_runner *r, const char *conv, err_t *err);
void chat_runner_release(chat_runner *r, const char *conv);
/* Runs the turn of conv for actor (copied) on a thread, answering on st
 * (detached): SSE, or JSON when json is true. conv is the reserved one, or the
 * new conversation's id when NULL was reserved. */
void chat_runner_submit(chat_runner *r, const actor_t *actor, const char *conv, struct http_stream *st, bool json);

#endif
