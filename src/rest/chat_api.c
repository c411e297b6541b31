/* The AI chat's endpoints: POST /api/ai/chat (a turn, answered as
 * Server-Sent Events or, for Accept: application/json, one document) and the
 * caller's own conversations (list, read, delete, decline a card). */
#include "core/chats.h"
#include "rest/api.h"
#include "rest/chat_runner.h"
#include "rest/rest.h"
#include <stdio.h>
#include <string.h>

/* The runner, or false with 503 ai_not_configured naming the variables. */
static chat_runner *runner(rest_call *call, err_t *err)
{
	chat_runner *r = call->env->chat;
	if (!r || !chat_runner_settings(r)->model.complete) {
		err_set(err, ERR_CODE_AI_NOT_CONFIGURED,
			"the AI chat has no model: set AI_BASE_URL (an OpenAI-compatible endpoint such as"
			" https://api.openai.com/v1) and AI_MODEL, and AI_API_KEY if the provider needs one");
		return NULL;
	}
	return r;
}

/* Whether the client asked for one JSON document rather than an event stream. */
static bool wants_json(const http_request *req)
{
	return req->accept && strstr(req->accept, "application/json") && !strstr(req->accept, "text/event-stream");
}

json_t *chat_api_post(rest_call *call, err_t *err)
{
	static const char *const allowed[] = { "conversation_id", "message", NULL };
	chat_runner *r = runner(call, err);
	json_t *body = r ? rest_body_object(call, err) : NULL;
	const char *conv = NULL, *message;
	if (!body || !fields_only(body, allowed, err) ||
	    fields_string(body, "conversation_id", false, true, false, 64, &conv, err) == FIELD_ERROR ||
	    fields_string(body, "message", true, false, false, CHATS_MAX_MESSAGE, &message, err) == FIELD_ERROR)
		return NULL;
	long recent, retry_after;
	int rate = chat_runner_settings(r)->rate_per_minute;
	if (!chats_recent(&call->core, 60, &recent, &retry_after, err))
		return NULL;
	if (recent >= rate) {
		char seconds[24];
		snprintf(seconds, sizeof seconds, "%ld", retry_after);
		http_response_header(call->arena, call->resp, "retry-after", seconds);
		err_set(err, ERR_CODE_RATE_LIMITED, "at most %d chat messages a minute; retry in %ld s", rate, retry_after);
		return NULL;
	}
	if (!chat_runner_reserve(r, conv, err))
		return NULL;
	char id[64];
	struct http_stream *st = NULL;
	if (!chats_begin_turn(&call->core, conv, message, id, err) || !(st = http_stream_detach(call->resp))) {
		if (!err_any(err))
			err_set(err, ERR_CODE_INTERNAL_ERROR, "this server cannot stream answers");
		chat_runner_release(r, conv);
		return NULL;
	}
	if (!wants_json(call->req)) {
		call->resp->status = 200;
		call->resp->content_type = "text/event-stream; charset=utf-8";
		http_response_header(call->arena, call->resp, "cache-control", "no-cache");
		http_response_header(call->arena, call->resp, "x-accel-buffering", "no"); /* proxies: do not buffer */
	}
	call->detached = true;
	chat_runner_submit(r, call->core.actor, id, st, wants_json(call->req));
	return json_null();
}

json_t *chat_api_list(rest_call *call, err_t *err)
{
	if (!rest_paging(call, err))
		return NULL;
	return chats_list(&call->core, &call->page, err);
}

json_t *chat_api_get(rest_call *call, err_t *err)
{
	return chats_get(&call->core, call->params[0], err);
}

json_t *chat_api_delete(rest_call *call, err_t *err)
{
	if (!chats_delete(&call->core, call->params[0], err))
		return NULL;
	return json_pack("{s:s, s:b}", "id", call->params[0], "deleted", 1);
}

json_t *chat_api_decline(rest_call *call, err_t *err)
{
	return chats_card_decline(&call->core, call->confirm, call->params[0], call->params[1], time(NULL), err);
}
