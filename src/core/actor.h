/* Who is acting: the authenticated user, their workspace and role, and where the
 * request came from (for the audit log). Roles map to permissions here only. */
#ifndef CORE_ACTOR_H
#define CORE_ACTOR_H
#include <stdbool.h>

typedef struct {
	char workspace_id[64];
	char user_id[64];
	char role[16];   /* member | manager | admin */
	char plan[8];    /* free | pro */
	char modules[256]; /* subscribed modules, comma-separated */
	/* The bearer credential that authenticated the request: an API token's
	 * id, or "jwt:<user id>" for a session JWT ("" otherwise). What
	 * idempotency keys and per-token rate limits belong to. */
	char credential[80];
	const char *source;     /* api | timer | ai_tool | cron (static strings) */
	const char *ip;         /* may be NULL */
	const char *user_agent; /* may be NULL */
} actor_t;

/* time:approve — approve and reject timesheets. */
bool actor_can_approve(const actor_t *a);
/* Read (and act on) the whole workspace's time, not only one's own. */
bool actor_sees_team(const actor_t *a);
/* Settings, rates, webhooks. */
bool actor_is_admin(const actor_t *a);
/* Whether the actor may see/change records owned by user_id. */
bool actor_may_access_user(const actor_t *a, const char *user_id);

#endif
