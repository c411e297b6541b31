/* A scripted OpenAI-compatible Chat Completions server for the chat's tests
 * (POST /v1/chat/completions), on 127.0.0.1, run on threads. Each request
 * gets the next step of its script and is kept (its body parsed) for the
 * test to check what our server sent. A step is a JSON object:
 *
 *   {"text": "…"}                       the text, streamed in small pieces
 *   {"tool_calls": [{"name", "arguments"}], "text"?}  tool calls, each split
 *                                        across deltas (id and name first, the
 *                                        arguments string in three pieces)
 *   {"status": 500, "retry_after"?: "1", "body"?: "…"}  an error answer
 *   {"hang_ms": N}                       the head, then nothing for N ms
 *
 * Streams are the real wire format: `data: {chat.completion.chunk}` lines,
 * a finish_reason chunk, a usage chunk with empty choices (stream_options),
 * then `data: [DONE]`. With the script used up a request gets a 500. */
#ifndef TESTS_MODEL_SERVER_H
#define TESTS_MODEL_SERVER_H
#include <jansson.h>
#include <stdbool.h>

typedef struct model_server model_server;

model_server *model_server_start(int port /* 0: any free port */);
void model_server_stop(model_server *m);
/* "http://127.0.0.1:PORT/v1", malloc'd: the AI_BASE_URL to give serve. */
char *model_server_base(const model_server *m);
int model_server_port(const model_server *m);
/* From now on the script starts over when it is used up (benchmarks). */
void model_server_repeat(model_server *m);
/* Appends a step (JSON text as above) to the script. */
void model_server_push(model_server *m, const char *step_json);
/* Forgets the script and the requests received. */
void model_server_reset(model_server *m);
/* Requests received so far, and the i-th one's body (borrowed; NULL if none). */
int model_server_count(model_server *m);
json_t *model_server_request(model_server *m, int i);

#endif
