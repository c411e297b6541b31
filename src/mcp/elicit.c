#include "mcp/elicit.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool mcp_elicit_form_supported(json_t *caps)
{
	json_t *e = json_object_get(caps, "elicitation");
	if (!json_is_object(e))
		return false;
	return json_object_get(e, "form") || !json_object_get(e, "url");
}

json_t *mcp_elicit_card(json_t *pending, bool with_mode)
{
	const char *summary = json_string_value(json_object_get(pending, "summary"));
	const char *expires = json_string_value(json_object_get(pending, "expires_at"));
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		abort();
	fprintf(f, "%s\n", summary ? summary : "A change prepared by your assistant");
	size_t i;
	json_t *line;
	json_array_foreach(json_object_get(pending, "details"), i, line)
		if (json_is_string(line))
			fprintf(f, "\n%s", json_string_value(line));
	fprintf(f, "\n\nAccept to make this change as you (the offer ends %s); decline to leave everything as it is.",
		expires ? expires : "soon");
	fclose(f);
	json_t *params = json_pack("{s:s, s:{s:s, s:{}}}", "message", text, "requestedSchema", "type", "object",
				   "properties");
	free(text);
	if (with_mode)
		json_object_set_new(params, "mode", json_string("form"));
	return params;
}

bool mcp_elicit_answer(json_t *result, ai_answer *out)
{
	const char *action = json_string_value(json_object_get(result, "action"));
	if (!action)
		return false;
	if (!strcmp(action, "accept"))
		*out = AI_ANSWER_ACCEPT;
	else if (!strcmp(action, "decline"))
		*out = AI_ANSWER_DECLINE;
	else if (!strcmp(action, "cancel"))
		*out = AI_ANSWER_CANCEL;
	else
		return false;
	return true;
}
