/* The confirmation card as an MCP App (the io.modelcontextprotocol/ui
 * extension, stable revision 2026-01-26), for hosts that render apps.
 *
 * To a client that declares the extension, the write tools are listed with
 * _meta.ui.resourceUri naming the card (ui://workestra-time/confirmation-card.html,
 * apps/confirmation-card.html in the binary), and a pending call's result
 * carries, in its _meta, the card: the confirmation signed for this user and
 * workspace (mcp/state.h). The host renders the card beside the call; the
 * person presses Confirm or Cancel there, and the app calls the app-only
 * tool answer_confirmation_card with that card, through the host, on the
 * person's own connection. The change then runs as them (ai_tools_settle).
 *
 * The model cannot answer for the person: the tool is listed only to such
 * clients and with visibility ["app"] (hosts keep it out of the model's
 * tools), and it needs the card, which travels only in _meta (hosts keep
 * that out of the model's context); the confirmation token the model does
 * see redeems only through REST with the person's credentials. Clients
 * without the extension keep the elicitation or token path. */
#ifndef MCP_APP_CARD_H
#define MCP_APP_CARD_H
#include "ai/tools.h"
#include <jansson.h>
#include <stddef.h>

#define MCP_APP_TOOL "answer_confirmation_card"

/* Whether a client with these capabilities (borrowed, may be NULL) renders
 * MCP Apps: extensions["io.modelcontextprotocol/ui"].mimeTypes lists
 * text/html;profile=mcp-app. */
bool mcp_app_supported(json_t *client_capabilities);

/* resources/read's result for the card's ui:// URI (new reference); NULL
 * for any other URI. The card is left out of resources/list, as the
 * extension allows: hosts find it through the tools' _meta, and other
 * clients have no use for it. */
json_t *mcp_app_read(const char *uri);

/* A tool definition as an apps client sees it (new reference): a write tool
 * (readOnlyHint false) gains _meta.ui.resourceUri; def is borrowed. */
json_t *mcp_app_listing(json_t *def);
/* The app-only tool's definition (new reference). */
json_t *mcp_app_tool(void);

/* Makes a pending write tool's result (borrowed, changed in place) the
 * card's: the signed card in _meta, and a first text that tells the model
 * the person answers on the card. */
void mcp_app_offer(const ai_env *env, json_t *result);

/* The app's answer_confirmation_card call: args {card, answer: accept |
 * decline}. Returns the settled CallToolResult (new reference), or NULL
 * with why (an invalid-params message) when the arguments are malformed or
 * the card does not verify for this caller: then nothing ran. */
json_t *mcp_app_answer(const ai_env *env, json_t *args, char *why, size_t why_len);

#endif
