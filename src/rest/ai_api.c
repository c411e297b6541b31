/* AI-chat discovery and confirmation: GET /api/ai/tools, POST
 * /api/ai/tools/{name} (the same registry and answers as MCP) and
 * POST /api/v1/ai/confirm, which performs what a write tool prepared. */
#include "ai/tools.h"
#include "core/confirm.h"
#include "rest/rest.h"
#include <string.h>

json_t *ai_api_tools_list(rest_call *call, err_t *err)
{
	const char *format = rest_query(call, "format");
	if (format && !strcmp(format, "openai"))
		return ai_tools_openai();
	if (format && strcmp(format, "mcp")) {
		err_set_param(err, ERR_CODE_VALIDATION_FAILED, "format", "'format' must be mcp or openai");
		return NULL;
	}
	json_t *out = json_array();
	for (size_t i = 0; i < ai_tools_count(); i++)
		json_array_append(out, ai_tools_definition(i));
	return out;
}

json_t *ai_api_tools_call(rest_call *call, err_t *err)
{
	if (call->body && !json_is_object(call->body)) {
		err_set(err, ERR_CODE_INVALID_BODY, "the body must be the tool's arguments as a JSON object");
		return NULL;
	}
	ai_env env = { &call->core, call->confirm, time(NULL) };
	return ai_tools_call(&env, call->params[0], call->body, err);
}

json_t *ai_api_confirm(rest_call *call, err_t *err)
{
	static const char *const allowed[] = { "confirmation_token", NULL };
	json_t *body = rest_body_object(call, err);
	const char *token;
	if (!body || !fields_only(body, allowed, err) ||
	    fields_string(body, "confirmation_token", true, false, false, 8000, &token, err) == FIELD_ERROR)
		return NULL;
	return confirm_redeem(&call->core, call->confirm, token, time(NULL), err);
}
