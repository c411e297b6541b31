/* Operator commands: create workspaces, users and API tokens. These run with
 * the operator's database access (the CLI), not a user's credentials. */
#ifndef CORE_ADMIN_H
#define CORE_ADMIN_H
#include "store/db.h"
#include <jansson.h>

/* modules: comma-separated list or NULL. Returns {id, name, plan, modules}. */
json_t *admin_workspace_create(db_t *db, const char *name, const char *plan, const char *modules, err_t *err);
/* weekly_hours: decimal text or NULL (then no employees row). Returns the user. */
json_t *admin_user_create(db_t *db, const char *workspace_id, const char *email, const char *name, const char *role,
			  const char *weekly_hours, err_t *err);
/* Returns {id, user_id, workspace_id, name, token}: the token is shown only here. */
json_t *admin_token_create(db_t *db, const char *user_id, const char *name, err_t *err);

/* Revokes token id (tok_…); it stops working at once. Returns {id, revoked: true}. */
json_t *admin_token_revoke(db_t *db, const char *token_id, err_t *err);

#endif
