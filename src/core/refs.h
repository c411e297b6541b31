/* References to the records of the other modules that time is logged against
 * or filtered by: whether one exists in the caller's workspace, its project
 * and what it is called. The one place that knows which table holds a task,
 * a ticket, a deal, ... and which column names it.
 *
 * Types: task, ticket, deal, contact, project, candidate, conversation,
 * calendar_event, user. */
#ifndef CORE_REFS_H
#define CORE_REFS_H
#include "core/ctx.h"
#include <stddef.h>

typedef struct {
	bool found;
	char project_id[64]; /* a task's or ticket's project, a project's own id; "" when none */
	char label[512];     /* its title, name or subject (a user's name, else email); cut at a character */
} ref_t;

/* Whether type is one of the types above. */
bool refs_known_type(const char *type);
/* Whether time can be logged against type: task, ticket, deal, candidate,
 * calendar_event, conversation, project. */
bool refs_loggable(const char *type);

/* Looks the record up in the actor's workspace into *out (out->found false
 * when it is not there). false with err set only when the lookup failed or
 * type is unknown (500: a caller names the type, not the client). */
bool refs_lookup(core_ctx *c, const char *type, const char *id, ref_t *out, err_t *err);

/* A reference a request gave in field: true when id is NULL (none given) or
 * the record exists; otherwise 422 validation_failed "'field': no <type> <id>
 * in this workspace". */
bool refs_check(core_ctx *c, const char *type, const char *id, const char *field, err_t *err);

/* What an entry, a rate or a rollup is logged against: type must be
 * loggable (422 naming 'entity_type') and the record must exist (422 naming
 * 'project_id' for a project, 'entity_id' otherwise). */
bool refs_check_target(core_ctx *c, const char *type, const char *id, err_t *err);

/* A record a request is about (a path's id): true when it exists, otherwise
 * 404 not_found "no <type> <id> in this workspace". */
bool refs_require(core_ctx *c, const char *type, const char *id, err_t *err);

/* A readable name for a record, e.g. 'task "Design review"', or 'task tsk_…'
 * when it is not there; just the type when id is NULL or empty, "entry" when
 * type is NULL. out holds n bytes. */
bool refs_describe(core_ctx *c, const char *type, const char *id, char *out, size_t n, err_t *err);

#endif
