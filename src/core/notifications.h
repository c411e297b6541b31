/* In-app notifications: what the crons tell a user (a runaway timer, a missing
 * day, a budget crossed). Each belongs to one user, who alone reads it. */
#ifndef CORE_NOTIFICATIONS_H
#define CORE_NOTIFICATIONS_H
#include "core/ctx.h"
#include <jansson.h>

typedef struct {
	const char *user_id;    /* the recipient, in the actor's workspace */
	const char *kind;       /* e.g. timer.runaway, reminder.daily */
	const char *title;
	const char *body;       /* may be NULL */
	json_t *data;           /* borrowed; may be NULL */
	const char *dedupe_key; /* NULL: always new; else stored once per workspace */
} notification_input;

/* Stores a notification; *created is false when its dedupe_key was already
 * there (nothing written). Runs inside the caller's transaction, if any. */
bool notifications_create(core_ctx *c, const notification_input *n, bool *created, err_t *err);
/* The caller's own notifications, newest first; unread_only filters. The page
 * as JSON array text (malloc'd; store/query.h query_json_array), or NULL with err. */
char *notifications_list(core_ctx *c, bool unread_only, core_page *page, err_t *err);
/* Marks one of the caller's notifications read (404 for anyone else's);
 * returns it. Marking twice keeps the first read_at. */
json_t *notifications_mark_read(core_ctx *c, const char *id, err_t *err);

#endif
