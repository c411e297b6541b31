/* A client for any OpenAI-compatible Chat Completions endpoint (OpenAI,
 * Azure OpenAI, OpenRouter, LiteLLM, vLLM, llama.cpp server, Ollama): one
 * streamed completion (`stream: true`), its text handed on as it arrives and
 * its tool calls assembled from the deltas they are split across.
 *
 * The endpoint is the operator's setting, so private addresses are allowed
 * (a local vLLM or Ollama); proxies and redirects are not, and every request
 * has a connect timeout, a total timeout, an idle timeout (no byte for that
 * long) and size caps. 429 and 5xx answers and failed connections are tried
 * again with backoff, honouring Retry-After up to a bound, as long as
 * nothing of the answer has been handed on yet. */
#ifndef DELIVERY_CHAT_MODEL_H
#define DELIVERY_CHAT_MODEL_H
#include "util/err.h"
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct {
	const char *base_url;  /* AI_BASE_URL, e.g. https://api.openai.com/v1 (…/chat/completions is added) */
	const char *api_key;   /* AI_API_KEY; NULL: no Authorization header */
	const char *model;     /* AI_MODEL */
	int connect_timeout_s; /* AI_CONNECT_TIMEOUT */
	int timeout_s;         /* AI_TIMEOUT: one request, in all */
	int idle_timeout_s;    /* AI_IDLE_TIMEOUT: the stream may pause this long */
	int max_retries;       /* AI_MAX_RETRIES */
	int max_retry_wait_s;  /* the longest Retry-After honoured; longer waits fail at once */
} chat_model_config;

/* What a completion tells its caller while it runs. */
typedef struct {
	void (*on_text)(void *arg, const char *text, size_t len); /* a piece of the answer's text */
	bool (*cancelled)(void *arg); /* the caller gave up (its client left, the server stops) */
	void *arg;
} chat_model_hooks;

/* Sends request (messages, tools, …; model, stream and stream_options are
 * set here) and returns the assistant's message: {content, tool_calls:
 * [{id, type: "function", function: {name, arguments}}], finish_reason,
 * usage: {prompt_tokens, completion_tokens, total_tokens} | null, attempts}.
 * NULL with err: ai_provider_error (502: an error status, a broken or
 * malformed stream, a refused address; the message says which) or
 * ai_provider_timeout (504). */
json_t *chat_model_complete(const chat_model_config *cfg, json_t *request, const chat_model_hooks *hooks,
			    err_t *err);

#endif
