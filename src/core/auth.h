/* Turns a bearer credential into an actor: personal API tokens
 * ("tok_<id>.<secret>", stored as SHA-256, compared in constant time) or,
 * when a JWT secret is configured, HS256 session JWTs whose "sub" is the user. */
#ifndef CORE_AUTH_H
#define CORE_AUTH_H
#include "core/actor.h"
#include "store/db.h"

/* Fills actor (workspace, user, role, plan) or returns false with
 * ERR_UNAUTHORIZED (or ERR_UNAVAILABLE). jwt_secret may be NULL. */
bool auth_bearer(db_t *db, const char *credential, const char *jwt_secret, actor_t *actor, err_t *err);

/* Fills actor from user_id (a credential verified elsewhere, e.g. an OAuth
 * access token whose sub is the user id); ERR_UNAUTHORIZED when no such user. */
bool auth_load_user(db_t *db, const char *user_id, actor_t *actor, err_t *err);

/* Creates a token for user_id; returns the full token text (malloc'd, shown once)
 * and fills token_id (64 bytes). NULL with err set on failure. */
char *auth_token_create(db_t *db, const char *user_id, const char *name, char token_id[64], err_t *err);
/* Revokes a token (by id) of the actor's workspace. */
bool auth_token_revoke(db_t *db, const char *workspace_id, const char *token_id, err_t *err);

#endif
