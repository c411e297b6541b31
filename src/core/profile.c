#include "core/profile.h"
#include "store/db.h"

json_t *profile_get(core_ctx *c, err_t *err)
{
	json_t *me = DB_QUERY_JSON(c->db, err,
				   "SELECT jsonb_build_object('id', u.id, 'email', u.email, 'name', u.name, 'role', u.role,"
				   " 'workspace', jsonb_build_object('id', w.id, 'name', w.name, 'plan', w.plan,"
				   " 'modules', to_jsonb(w.modules)))"
				   " FROM users u JOIN workspaces w ON w.id = u.workspace_id"
				   " WHERE u.id = $1 AND u.workspace_id = $2",
				   c->actor->user_id, c->actor->workspace_id);
	if (!me) {
		if (!err_any(err))
			err_set(err, ERR_CODE_NOT_FOUND, "no user %s", c->actor->user_id);
		return NULL;
	}
	/* The same rules every door applies (core/actor), not a second copy of them. */
	json_object_set_new(me, "permissions",
			    json_pack("{s:b, s:b, s:b}", "approve", actor_can_approve(c->actor), "see_team",
				      actor_sees_team(c->actor), "admin", actor_is_admin(c->actor)));
	return me;
}
