/* One turn of the AI chat: the person's message (already stored) goes to
 * the model with the conversation so far and the tools of the one registry
 * (ai/tools.h) in function-calling shape; the model's text is handed on as
 * it arrives, each tool call it makes is checked and run, and the results go
 * back to it as role:tool messages, until it answers without a tool call or
 * the rounds run out.
 *
 * Read tools run with the person's own permissions (their core context).
 * Write tools never change anything here: their answer (a dry run and a
 * signed confirmation token) becomes a card the person confirms through
 * POST /api/v1/ai/confirm or declines; the model sees only that a card waits,
 * never the token. Arguments that are not a JSON object, an unknown tool and
 * arguments the tool's schema refuses come back to the model as a tool
 * message saying what was wrong. Text from the data reaches the model only
 * inside tool messages, as JSON. */
#ifndef AI_CHAT_H
#define AI_CHAT_H
#include "core/confirm.h"
#include "core/ctx.h"
#include <jansson.h>
#include <stdbool.h>
#include <time.h>

/* The model: one streamed completion of request, as chat_model_complete
 * (delivery/chat_model.h) does it; the composition root plugs it in, since
 * this layer does not reach the network. */
typedef struct {
	json_t *(*complete)(void *arg, json_t *request, void (*on_text)(void *hook, const char *text, size_t len),
			    bool (*cancelled)(void *hook), void *hook, err_t *err);
	void *arg;
} ai_chat_model;

/* Where the turn's events go: emit(event, data borrowed) returns false once
 * nobody listens; cancelled says the turn should stop (client gone, server
 * stopping). Events: delta {text}, tool_call {id, name, arguments},
 * tool_result {id, name, is_error, result}, card {card}, done {conversation_id,
 * usage, rounds, stop_reason}. */
typedef struct {
	bool (*emit)(void *arg, const char *event, json_t *data);
	bool (*cancelled)(void *arg);
	void *arg;
} ai_chat_sink;

typedef struct {
	core_ctx *core;             /* the person's context (their actor, a connection of this thread) */
	const confirm_key *confirm; /* signs the write tools' tokens, reads the cards' outcomes */
	const ai_chat_model *model;
	int max_rounds;             /* model calls in one turn (tool rounds + the answer) */
	size_t max_context;         /* bytes of messages sent: the oldest turns go first */
} ai_chat_env;

/* Runs the turn of conversation conv. false with err when the model failed
 * (ai_provider_error, ai_provider_timeout) or the database did; what was
 * said before the failure stays in the conversation. */
bool ai_chat_turn(const ai_chat_env *env, const char *conv, const ai_chat_sink *sink, err_t *err);

/* The system prompt for the person of c (prompts/chat/system.json with the
 * workspace's time zone, today's date and the person's role); malloc'd. */
char *ai_chat_system_prompt(core_ctx *c, err_t *err);

#endif
