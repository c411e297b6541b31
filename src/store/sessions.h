/* Protocol sessions kept in PostgreSQL (mcp_sessions), so any instance behind
 * a load balancer serves any session and a restart does not end them. A
 * session belongs to the user that opened it: to anyone else it does not exist. */
#ifndef STORE_SESSIONS_H
#define STORE_SESSIONS_H
#include "store/db.h"
#include <jansson.h>

typedef struct {
	char protocol_version[16];
	char log_level[16];
	json_t *client_capabilities; /* owned by the caller (json_decref) */
	json_t *subscriptions;       /* an array of URIs, owned by the caller */
} session_row;

/* Records a new session id (created by the caller, random). client_info and
 * capabilities: JSON text or NULL. */
bool sessions_create(db_t *db, const char *id, const char *workspace_id, const char *user_id, const char *version,
		     const char *client_info, const char *capabilities, err_t *err);
/* Loads the live session id of user_id into row; found false when there is none. */
bool sessions_load(db_t *db, const char *id, const char *user_id, session_row *row, bool *found, err_t *err);
bool sessions_set_level(db_t *db, const char *id, const char *level, err_t *err);
#ifdef WT_TEST_BUILD
/* Replaces the session's resource subscriptions (JSON array text). */
bool sessions_set_subscriptions(db_t *db, const char *id, const char *uris, err_t *err);
#endif
/* Ends the session; found false when it was not live (or not the user's). */
bool sessions_end(db_t *db, const char *id, const char *user_id, bool *found, err_t *err);

#endif
