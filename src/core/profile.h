/* Who the caller is: their user record, role, permissions and workspace
 * (plan and modules), so a client such as the web console can say whose
 * credentials it holds and which pages apply, without guessing from refusals. */
#ifndef CORE_PROFILE_H
#define CORE_PROFILE_H
#include "core/ctx.h"
#include <jansson.h>

/* {id, email, name, role, permissions: {approve, see_team, admin},
 * workspace: {id, name, plan, modules: [...]}}. New reference; NULL with err set
 * (not_found when the user has gone since the credential was checked). */
json_t *profile_get(core_ctx *c, err_t *err);

#endif
