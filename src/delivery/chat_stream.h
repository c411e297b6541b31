/* The streamed answer of an OpenAI-compatible Chat Completions endpoint,
 * read as it arrives: Server-Sent Events lines whose data is a chunk
 * {choices: [{delta: {content, tool_calls}, finish_reason}], usage, error}
 * or [DONE]. The text goes on to the caller piece by piece; tool calls are
 * assembled from their deltas by index. A provider is a network peer, so
 * everything is bounded: a line, the text, each tool call's arguments, the
 * number of tool calls. Pure (no network): delivery/chat_model.c feeds it
 * what libcurl receives, and tests/fuzz/fuzz_chat_stream.c what the fuzzer
 * makes up. */
#ifndef DELIVERY_CHAT_STREAM_H
#define DELIVERY_CHAT_STREAM_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct chat_stream chat_stream;

/* on_text (may be NULL) gets each piece of the answer's text as it comes. */
chat_stream *chat_stream_new(void (*on_text)(void *arg, const char *text, size_t len), void *arg);
void chat_stream_free(chat_stream *s);

/* Takes n more bytes of the body; false once the stream is unusable (see
 * chat_stream_failure), after which it takes nothing more. */
bool chat_stream_feed(chat_stream *s, const char *data, size_t n);
/* The body ended: a last line without its newline counts too. */
bool chat_stream_finish(chat_stream *s);

/* Why the stream is unusable ("" while it is not). */
const char *chat_stream_failure(const chat_stream *s);
/* Whether the answer is whole: [DONE] or a finish_reason came. */
bool chat_stream_complete(const chat_stream *s);
/* Whether some text went on to the caller (a retry would repeat it). */
bool chat_stream_handed_on(const chat_stream *s);

/* The assembled message: {content, tool_calls: [{id, type, function: {name,
 * arguments}}], finish_reason, usage | null, attempts} (new reference). */
json_t *chat_stream_message(const chat_stream *s, int attempts);

#endif
