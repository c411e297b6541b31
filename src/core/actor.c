#include "core/actor.h"
#include <string.h>

bool actor_is_admin(const actor_t *a)
{
	return !strcmp(a->role, "admin");
}

bool actor_can_approve(const actor_t *a)
{
	return !strcmp(a->role, "manager") || actor_is_admin(a);
}

bool actor_sees_team(const actor_t *a)
{
	return actor_can_approve(a);
}

bool actor_may_access_user(const actor_t *a, const char *user_id)
{
	return actor_sees_team(a) || (user_id && !strcmp(a->user_id, user_id));
}
