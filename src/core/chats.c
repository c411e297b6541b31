#include "core/chats.h"
#include "core/audit.h"
#include "core/paging.h"
#include "core/tx.h"
#include "util/jsontext.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONV_JSON                                                                                              \
	"jsonb_build_object('id', v.id, 'title', v.title, 'created_at', wt_iso(v.created_at),"                 \
	" 'updated_at', wt_iso(v.updated_at))"
#define CARD_JSON                                                                                              \
	"jsonb_build_object('id', k.id, 'tool', k.tool, 'summary', k.summary, 'preview', k.preview,"            \
	" 'details', k.details, 'confirmation_token', k.confirmation_token, 'expires_at', wt_iso(k.expires_at)," \
	" 'state', k.state)"
/* The caller's own conversation v: the one condition every read shares. */
#define OWNED_BY(w, u) " v.workspace_id = $" #w " AND v.user_id = $" #u
#define OWNED OWNED_BY(2, 3)

static bool no_conversation(err_t *err)
{
	return err_set(err, ERR_CODE_NOT_FOUND, "no such conversation");
}

json_t *chats_list(core_ctx *c, core_page *page, err_t *err)
{
	char limit[24], offset[24], count_limit[24];
	snprintf(limit, sizeof limit, "%ld", page->limit);
	snprintf(offset, sizeof offset, "%ld", (page->page - 1) * page->limit);
	json_t *out = DB_QUERY_JSON(c->db, err,
				    "SELECT jsonb_build_object('total', (SELECT count(*) FROM (SELECT 1 FROM ai_conversations v"
				    " WHERE" OWNED_BY(1, 2) " LIMIT $5::bigint) AS counted),"
				    " 'items', coalesce((SELECT jsonb_agg(x.j ORDER BY x.u DESC, x.id) FROM (SELECT " CONV_JSON
				    " AS j, v.updated_at AS u, v.id FROM ai_conversations v WHERE" OWNED_BY(1, 2)
				    " ORDER BY v.updated_at DESC, v.id LIMIT $3::bigint OFFSET $4::bigint) x), '[]'))",
				    c->actor->workspace_id, c->actor->user_id, limit, offset,
				    paging_count_limit(page, count_limit));
	if (!out)
		return NULL;
	paging_take_total(page, (long)json_integer_value(json_object_get(out, "total")));
	json_t *items = json_incref(json_object_get(out, "items"));
	json_decref(out);
	return items;
}

json_t *chats_get(core_ctx *c, const char *id, err_t *err)
{
	json_t *out = DB_QUERY_JSON(
		c->db, err,
		"SELECT " CONV_JSON " || jsonb_build_object("
		" 'messages', coalesce((SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object('role', m.role, 'content',"
		" m.content, 'tool_calls', m.tool_calls, 'tool_call_id', m.tool_call_id, 'created_at', wt_iso(m.created_at)))"
		" ORDER BY m.id) FROM ai_messages m WHERE m.conversation_id = v.id), '[]'),"
		" 'cards', coalesce((SELECT jsonb_agg(" CARD_JSON " ORDER BY k.created_at, k.id) FROM ai_cards k"
		" WHERE k.conversation_id = v.id), '[]'))"
		" FROM ai_conversations v WHERE v.id = $1 AND" OWNED,
		id, c->actor->workspace_id, c->actor->user_id);
	if (!out && !err_any(err))
		no_conversation(err);
	return out;
}

bool chats_delete(core_ctx *c, const char *id, err_t *err)
{
	tx_unit u;
	if (!tx_begin(c, &u, err))
		return false;
	PGresult *r = DB_QUERY(c->db, err, "DELETE FROM ai_conversations v WHERE v.id = $1 AND" OWNED " RETURNING v.id",
			       id, c->actor->workspace_id, c->actor->user_id);
	bool found = r && PQntuples(r) == 1;
	if (r)
		PQclear(r);
	if (r && !found)
		no_conversation(err);
	if (found)
		audit_record(c, "ai_conversation.deleted", "ai_conversation", id, NULL, err);
	json_t *done = tx_end(&u, json_true(), false, err);
	json_decref(done);
	return done != NULL;
}

bool chats_recent(core_ctx *c, int window_s, long *count, long *retry_after_s, err_t *err)
{
	char window[24];
	snprintf(window, sizeof window, "%d", window_s);
	PGresult *r = DB_QUERY(c->db, err,
			       "SELECT count(*), coalesce(ceil(extract(epoch FROM min(created_at) + make_interval(secs => $3::int)"
			       " - now())), 0)::bigint FROM ai_messages WHERE workspace_id = $1 AND user_id = $2"
			       " AND role = 'user' AND created_at > now() - make_interval(secs => $3::int)",
			       c->actor->workspace_id, c->actor->user_id, window);
	if (!r)
		return false;
	*count = atol(PQgetvalue(r, 0, 0));
	*retry_after_s = atol(PQgetvalue(r, 0, 1));
	if (*retry_after_s < 1)
		*retry_after_s = 1;
	PQclear(r);
	return true;
}

/* Inserts a message of conv at its current turn (next_turn: one past the
 * last) and marks the conversation active; only the owner's. */
static bool insert_message(core_ctx *c, const char *conv, bool next_turn, const char *role, const char *content,
			   const char *tool_calls, const char *tool_call_id, err_t *err)
{
	return DB_EXEC(c->db, err,
		       "WITH m AS (INSERT INTO ai_messages (conversation_id, workspace_id, user_id, turn, role, content,"
		       " tool_calls, tool_call_id) SELECT v.id, v.workspace_id, v.user_id, (SELECT coalesce(max(turn), 0)"
		       " + $4::int FROM ai_messages WHERE conversation_id = v.id), $5, $6, $7::jsonb, $8"
		       " FROM ai_conversations v WHERE v.id = $1 AND" OWNED " RETURNING conversation_id)"
		       " UPDATE ai_conversations SET updated_at = now() WHERE id IN (SELECT conversation_id FROM m)",
		       conv, c->actor->workspace_id, c->actor->user_id, next_turn ? "1" : "0", role, content, tool_calls,
		       tool_call_id);
}

bool chats_begin_turn(core_ctx *c, const char *id, const char *message, char out_id[64], err_t *err)
{
	tx_unit u;
	if (!tx_begin(c, &u, err))
		return false;
	PGresult *r;
	if (id)
		r = DB_QUERY(c->db, err, "SELECT v.id FROM ai_conversations v WHERE v.id = $1 AND" OWNED " FOR UPDATE", id,
			     c->actor->workspace_id, c->actor->user_id);
	else /* the title: the first line of the first message, at most 80 characters */
		r = DB_QUERY(c->db, err,
			     "INSERT INTO ai_conversations (workspace_id, user_id, title) VALUES ($1, $2,"
			     " left(split_part(btrim($3), E'\\n', 1), 80)) RETURNING id",
			     c->actor->workspace_id, c->actor->user_id, message);
	if (r && PQntuples(r) == 1)
		snprintf(out_id, 64, "%s", PQgetvalue(r, 0, 0));
	else if (r)
		no_conversation(err);
	if (r)
		PQclear(r);
	if (!err_any(err) && !id)
		audit_record(c, "ai_conversation.created", "ai_conversation", out_id, NULL, err);
	if (!err_any(err))
		insert_message(c, out_id, true, "user", message, NULL, NULL, err);
	json_t *done = tx_end(&u, json_true(), false, err);
	json_decref(done);
	return done != NULL;
}

bool chats_append(core_ctx *c, const char *conv, const char *role, const char *content, json_t *tool_calls,
		  const char *tool_call_id, err_t *err)
{
	char *calls = tool_calls ? jsontext_dump(tool_calls) : NULL;
	bool ok = insert_message(c, conv, false, role, content, calls, tool_call_id, err);
	free(calls);
	return ok;
}

json_t *chats_history(core_ctx *c, const char *conv, err_t *err)
{
	return DB_QUERY_JSON(c->db, err,
			     "SELECT coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object('turn', m.turn, 'role', m.role,"
			     " 'content', m.content, 'tool_calls', m.tool_calls, 'tool_call_id', m.tool_call_id)) ORDER BY m.id),"
			     " '[]') FROM ai_messages m JOIN ai_conversations v ON v.id = m.conversation_id"
			     " WHERE v.id = $1 AND" OWNED,
			     conv, c->actor->workspace_id, c->actor->user_id);
}

json_t *chats_card_add(core_ctx *c, const char *conv, const char *tool, json_t *prepared, err_t *err)
{
	const char *summary = json_string_value(json_object_get(prepared, "summary"));
	const char *token = json_string_value(json_object_get(prepared, "confirmation_token"));
	const char *expires = json_string_value(json_object_get(prepared, "expires_at"));
	if (!summary || !token || !expires) {
		err_set(err, ERR_CODE_INTERNAL_ERROR, "the tool %s prepared no confirmation", tool);
		return NULL;
	}
	json_t *pv = json_object_get(prepared, "preview"), *dt = json_object_get(prepared, "details");
	char *preview = pv ? jsontext_dump(pv) : NULL, *details = dt ? jsontext_dump(dt) : NULL;
	json_t *card = DB_QUERY_JSON(c->db, err,
				     "WITH k AS (INSERT INTO ai_cards (conversation_id, workspace_id, user_id, tool, summary,"
				     " preview, details, confirmation_token, expires_at) VALUES ($1, $2, $3, $4, $5, $6::jsonb,"
				     " $7::jsonb, $8, $9::timestamptz) RETURNING *) SELECT " CARD_JSON " FROM k",
				     conv, c->actor->workspace_id, c->actor->user_id, tool, summary, preview, details, token,
				     expires);
	free(preview);
	free(details);
	if (!card && !err_any(err))
		err_set(err, ERR_CODE_INTERNAL_ERROR, "the card was not stored");
	return card;
}

/* Settles an open card as state and tells the conversation, once: a card
 * already settled (by a concurrent turn or decline) is left alone. */
static bool settle(core_ctx *c, const char *card_id, const char *state, err_t *err)
{
	PGresult *r = DB_QUERY(c->db, err,
			       "UPDATE ai_cards SET state = $2 WHERE id = $1 AND workspace_id = $3 AND user_id = $4"
			       " AND state = 'open' RETURNING conversation_id, tool, summary",
			       card_id, state, c->actor->workspace_id, c->actor->user_id);
	if (!r)
		return false;
	bool ok = true;
	if (PQntuples(r) == 1) {
		const char *what = !strcmp(state, "confirmed") ? "was confirmed by the person: the change has been made"
				   : !strcmp(state, "declined") ? "was declined by the person: nothing was changed"
								: "expired before the person confirmed it: nothing was changed";
		json_t *note = json_pack("{s:s, s:s, s:s, s:s, s:s}", "card_id", card_id, "tool", PQgetvalue(r, 0, 1),
					 "summary", PQgetvalue(r, 0, 2), "outcome", state, "meaning", what);
		char *text = jsontext_dump(note);
		json_decref(note);
		ok = chats_append(c, PQgetvalue(r, 0, 0), "outcome", text, NULL, NULL, err);
		free(text);
	}
	PQclear(r);
	return ok;
}

bool chats_settle_cards(core_ctx *c, const confirm_key *k, const char *conv, time_t now, err_t *err)
{
	PGresult *r = DB_QUERY(c->db, err,
			       "SELECT k.id, k.confirmation_token FROM ai_cards k JOIN ai_conversations v ON v.id ="
			       " k.conversation_id WHERE v.id = $1 AND" OWNED " AND k.state = 'open' ORDER BY k.created_at",
			       conv, c->actor->workspace_id, c->actor->user_id);
	if (!r)
		return false;
	bool ok = true;
	for (int i = 0; ok && i < PQntuples(r); i++) {
		err_t why = { 0 };
		const char *outcome = confirm_outcome(c, k, PQgetvalue(r, i, 1), now, &why);
		/* A token that no longer verifies (the server's key changed) can
		 * never run: to the model it is as good as expired. */
		if (!outcome)
			outcome = why.kind == ERR_UNAVAILABLE || why.kind == ERR_INTERNAL ? NULL : "expired";
		if (!outcome) {
			*err = why;
			ok = false;
		} else if (strcmp(outcome, "pending")) {
			ok = settle(c, PQgetvalue(r, i, 0), outcome, err);
		}
	}
	PQclear(r);
	return ok;
}

json_t *chats_card_decline(core_ctx *c, const confirm_key *k, const char *conv, const char *card_id, time_t now,
			   err_t *err)
{
	tx_unit u;
	if (!tx_begin(c, &u, err))
		return NULL;
	json_t *card = DB_QUERY_JSON(c->db, err,
				     "SELECT " CARD_JSON " FROM ai_cards k JOIN ai_conversations v ON v.id = k.conversation_id"
				     " WHERE v.id = $1 AND" OWNED " AND k.id = $4 FOR UPDATE OF k",
				     conv, c->actor->workspace_id, c->actor->user_id, card_id);
	const char *state = json_string_value(json_object_get(card, "state"));
	if (!card && !err_any(err))
		err_set(err, ERR_CODE_NOT_FOUND, "no such card in this conversation");
	else if (card && strcmp(state, "open"))
		err_set(err, ERR_CODE_CONFIRMATION_USED, "the card was already %s", state);
	json_t *declined = NULL;
	if (!err_any(err))
		declined = confirm_decline(c, k, json_string_value(json_object_get(card, "confirmation_token")), now, err);
	json_decref(declined);
	if (declined && settle(c, card_id, "declined", err))
		json_object_set_new(card, "state", json_string("declined"));
	return tx_end(&u, card, false, err);
}
