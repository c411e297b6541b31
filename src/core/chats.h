/* The AI chat's conversations: each belongs to one user in one workspace and
 * is never visible to anyone else (another user's id answers 404, admins
 * included). A conversation holds the messages in order (the person's, the
 * model's, the tools' answers, and the outcomes of its cards) and the
 * confirmation cards the model's write tools produced. Cards are settled
 * from the confirmations table: confirmed or declined there, or expired,
 * each outcome is written into the conversation once, so the model is told
 * on the next turn. */
#ifndef CORE_CHATS_H
#define CORE_CHATS_H
#include "core/confirm.h"
#include "core/ctx.h"
#include <jansson.h>
#include <time.h>

enum { CHATS_MAX_MESSAGE = 16000 /* characters of one message from the person */ };

/* The caller's conversations, most recently active first:
 * [{id, title, created_at, updated_at}], page->total filled. */
json_t *chats_list(core_ctx *c, core_page *page, err_t *err);
/* One of the caller's conversations with its messages and cards. */
json_t *chats_get(core_ctx *c, const char *id, err_t *err);
bool chats_delete(core_ctx *c, const char *id, err_t *err);

/* Messages the caller sent in the last window_s seconds; *retry_after_s is
 * when the oldest of them leaves the window. */
bool chats_recent(core_ctx *c, int window_s, long *count, long *retry_after_s, err_t *err);
/* Starts a turn: the caller's conversation id (404 when not theirs) or, with
 * id NULL, a new one titled after the message; stores the message. out_id
 * gets the conversation's id. */
bool chats_begin_turn(core_ctx *c, const char *id, const char *message, char out_id[64], err_t *err);
/* Appends a message of the running turn: role assistant (content and/or
 * tool_calls, borrowed) or tool (content answering tool_call_id). */
bool chats_append(core_ctx *c, const char *conv, const char *role, const char *content, json_t *tool_calls,
		  const char *tool_call_id, err_t *err);
/* The conversation's messages in order: [{turn, role, content, tool_calls,
 * tool_call_id}] (nulls left out). */
json_t *chats_history(core_ctx *c, const char *conv, err_t *err);

/* A card from a write tool's answer (its structuredContent: summary, preview,
 * details, confirmation_token, expires_at): {id, tool, summary, preview,
 * details, confirmation_token, expires_at}. */
json_t *chats_card_add(core_ctx *c, const char *conv, const char *tool, json_t *prepared, err_t *err);
/* Looks at each open card of conv: confirmed or declined in the
 * confirmations table, or past its expiry, it is settled and its outcome
 * written into the conversation. */
bool chats_settle_cards(core_ctx *c, const confirm_key *k, const char *conv, time_t now, err_t *err);
/* Declines an open card of the caller's conversation: its token is used up
 * with nothing run (confirm_decline) and the outcome written, in one unit.
 * 404 for another's card; a card already settled answers 409
 * confirmation_used (or the refusal of its token). Returns the card. */
json_t *chats_card_decline(core_ctx *c, const confirm_key *k, const char *conv, const char *card_id, time_t now,
			   err_t *err);

#endif
