/* libFuzzer harness: the chat model's streamed answer (delivery/chat_stream.c),
 * what an OpenAI-compatible provider sends back. The first byte of the input
 * picks the size of the pieces the body arrives in (1 to 256 bytes, as
 * libcurl may hand them over anywhere, inside a line or a UTF-8 character);
 * the rest is the body. Checks that the text handed on is the text of the
 * assembled message and that a failed stream takes nothing more. */
#include "delivery/chat_stream.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Above the stream's 1 MiB line limit, so that refusal is reached too. */
enum { MAX_INPUT = (1 << 20) + 4096 };

typedef struct {
	char *text;
	size_t len;
} handed;

static void on_text(void *arg, const char *text, size_t len)
{
	handed *h = arg;
	char *g = realloc(h->text, h->len + len + 1);
	if (!g)
		abort();
	memcpy(g + h->len, text, len);
	h->len += len;
	g[h->len] = '\0';
	h->text = g;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > MAX_INPUT)
		return 0;
	size_t piece = (size_t)data[0] + 1;
	const char *body = (const char *)data + 1;
	size_t n = size - 1;
	handed h = { 0 };
	chat_stream *s = chat_stream_new(on_text, &h);
	bool ok = true;
	for (size_t at = 0; ok && at < n; at += piece)
		ok = chat_stream_feed(s, body + at, n - at < piece ? n - at : piece);
	if (ok)
		ok = chat_stream_finish(s);
	if (ok != !*chat_stream_failure(s))
		abort(); /* a refusal always says why, and only a refusal does */
	if (!ok && chat_stream_feed(s, "data: [DONE]\n", 13))
		abort(); /* a failed stream takes nothing more */
	json_t *m = chat_stream_message(s, 1);
	const char *content = json_string_value(json_object_get(m, "content"));
	if (ok && (!m || !content || strlen(content) != h.len || (h.len && memcmp(content, h.text, h.len))))
		abort(); /* what the person saw is what the model said */
	json_decref(m);
	chat_stream_free(s);
	free(h.text);
	return 0;
}
