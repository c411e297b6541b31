#include "mcp/app_card.h"
#include "mcp/state.h"
#include "util/embedded.h"
#include "util/log.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UI_EXTENSION "io.modelcontextprotocol/ui"
#define APP_MIME "text/html;profile=mcp-app"
#define CARD_URI "ui://workestra-time/confirmation-card.html"
#define CARD_FILE "confirmation-card.html"
#define CARD_META "io.workestra/confirmationCard"
#define CARD_NAME "app:confirmation-card"

/* Longer than any confirmation lives (confirm.h: 10 minutes): the token's
 * own expiry is what refuses a late answer, with its own error code. */
enum { CARD_TTL_SECONDS = 3600, CARD_MAX = 64 * 1024 };

bool mcp_app_supported(json_t *caps)
{
	json_t *ui = json_object_get(json_object_get(caps, "extensions"), UI_EXTENSION);
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(ui, "mimeTypes"), i, m)
		if (json_is_string(m) && !strcmp(json_string_value(m), APP_MIME))
			return true;
	return false;
}

static const char *card_html(void)
{
	for (const embedded_file *f = embedded_apps; f->name; f++)
		if (!strcmp(f->name, CARD_FILE))
			return f->text;
	return NULL;
}

/* The page needs no network and no other origin, so its csp names none:
 * hosts then apply the extension's restrictive default. */
json_t *mcp_app_read(const char *uri)
{
	const char *html = strcmp(uri, CARD_URI) ? NULL : card_html();
	if (!html)
		return NULL;
	return json_pack("{s:[{s:s, s:s, s:s, s:{s:{s:b, s:{}}}}]}", "contents", "uri", uri, "mimeType", APP_MIME, "text",
			 html, "_meta", "ui", "prefersBorder", 1, "csp");
}

json_t *mcp_app_listing(json_t *def)
{
	if (!json_is_false(json_object_get(json_object_get(def, "annotations"), "readOnlyHint")))
		return json_incref(def);
	json_t *copy = json_deep_copy(def);
	json_t *meta = json_object_get(copy, "_meta");
	if (!json_is_object(meta)) {
		meta = json_object();
		json_object_set_new(copy, "_meta", meta);
	}
	json_object_set_new(meta, "ui", json_pack("{s:s}", "resourceUri", CARD_URI));
	return copy;
}

json_t *mcp_app_tool(void)
{
	return json_pack(
		"{s:s, s:s, s:s, s:{s:s, s:{s:{s:s, s:i, s:s}, s:{s:s, s:[s, s], s:s}}, s:[s, s], s:b}, "
		"s:{s:b, s:b, s:b, s:b}, s:{s:{s:s, s:[s]}}}",
		"name", MCP_APP_TOOL, "title", "Answer a confirmation card", "description",
		"For the confirmation card app only, never the model: the person's Confirm (accept) or Cancel (decline) "
		"on the card a write tool showed them. Accept runs the change as the caller; decline runs nothing and "
		"uses the card up.",
		"inputSchema", "type", "object", "properties", "card", "type", "string", "maxLength", CARD_MAX,
		"description", "the card, as the write tool's result carried it in _meta", "answer", "type", "string",
		"enum", "accept", "decline", "description", "the button the person pressed", "required", "card",
		"answer", "additionalProperties", 0, "annotations", "readOnlyHint", 0, "destructiveHint", 0,
		"idempotentHint", 0, "openWorldHint", 0, "_meta", "ui", "resourceUri", CARD_URI, "visibility", "app");
}

void mcp_app_offer(const ai_env *env, json_t *result)
{
	json_t *pending = json_object_get(result, "structuredContent");
	const actor_t *a = env->core->actor;
	json_t *card = json_pack("{s:O, s:O, s:O, s:s}", "tok", json_object_get(pending, "confirmation_token"), "sum",
				 json_object_get(pending, "summary"), "det", json_object_get(pending, "details"), "ws",
				 a->workspace_id);
	char *signed_card = card ? mcp_state_sign(env->confirm, CARD_NAME, a->user_id, card, CARD_TTL_SECONDS) : NULL;
	json_decref(card);
	if (!signed_card)
		return; /* the token path still stands */
	json_t *meta = json_object_get(result, "_meta");
	if (!json_is_object(meta)) {
		meta = json_object();
		json_object_set_new(result, "_meta", meta);
	}
	json_object_set_new(meta, CARD_META, json_string(signed_card));
	free(signed_card);
	const char *summary = json_string_value(json_object_get(pending, "summary"));
	json_array_insert_new(json_object_get(result, "content"), 0,
			      json_pack("{s:s, s:s+}", "type", "text", "text",
					"Nothing has changed yet. The person sees a confirmation card for this change and "
					"confirms or cancels it there; the result of their answer reaches you after they "
					"press a button: ",
					summary ? summary : ""));
}

json_t *mcp_app_answer(const ai_env *env, json_t *args, char *why, size_t why_len)
{
	const char *card = json_string_value(json_object_get(args, "card"));
	const char *answer = json_string_value(json_object_get(args, "answer"));
	bool accept = answer && !strcmp(answer, "accept");
	if (!card || strlen(card) > CARD_MAX || !answer || (!accept && strcmp(answer, "decline"))) {
		snprintf(why, why_len, "Invalid params: %s needs card (a string of at most %d bytes) and answer (accept "
				       "or decline)", MCP_APP_TOOL, CARD_MAX);
		return NULL;
	}
	const actor_t *a = env->core->actor;
	json_t *state = mcp_state_open(env->confirm, CARD_NAME, a->user_id, card);
	const char *ws = json_string_value(json_object_get(state, "ws"));
	if (!ws || strcmp(ws, a->workspace_id) || !json_is_string(json_object_get(state, "tok"))) {
		json_decref(state);
		snprintf(why, why_len, "Invalid params: the card failed verification (altered, expired, or not this "
				       "caller's); nothing was changed");
		return NULL;
	}
	json_t *pending = json_pack("{s:O, s:O, s:O}", "confirmation_token", json_object_get(state, "tok"), "summary",
				    json_object_get(state, "sum"), "details", json_object_get(state, "det"));
	json_decref(state);
	json_t *r = ai_tools_settle(env, pending, accept ? AI_ANSWER_ACCEPT : AI_ANSWER_DECLINE);
	json_decref(pending);
	return r;
}
