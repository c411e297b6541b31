/* A write tool's confirmation card as an MCP form elicitation: the person
 * reads in words what will change and accepts or declines inside their MCP
 * client. The 2026-07-28 era asks through an input_required result, the
 * session era with an elicitation/create request on the call's stream
 * (mcp/server.c drives both); this file knows the shapes. */
#ifndef MCP_ELICIT_H
#define MCP_ELICIT_H
#include "ai/tools.h"
#include <jansson.h>

/* Whether a client with these capabilities (borrowed, may be NULL) answers
 * form elicitations: it declared elicitation, with form among its modes (an
 * empty elicitation object means form, as before modes existed). */
bool mcp_elicit_form_supported(json_t *client_capabilities);

/* elicitation/create params (new reference) for a pending write tool's
 * structuredContent (borrowed: summary, details, expires_at): a message that
 * says what will change, and an empty form (accept / decline is the answer).
 * with_mode adds mode: "form" (2025-11-25 and later). */
json_t *mcp_elicit_card(json_t *pending, bool with_mode);

/* The person's answer in an ElicitResult (borrowed); false when result is not one. */
bool mcp_elicit_answer(json_t *result, ai_answer *out);

#endif
