/* Which features a workspace's plan and modules allow. Every Pro gate is
 * decided here, so REST, AI tools and crons refuse the same way. */
#ifndef CORE_PLANS_H
#define CORE_PLANS_H
#include "core/actor.h"
#include "util/err.h"

typedef enum {
	FEATURE_UTILIZATION,
	FEATURE_INVOICE_BRIDGE,
	FEATURE_WEBHOOKS,       /* Pro, and Projects or Finance */
	FEATURE_AUTO_SUBMIT,
	FEATURE_WEEKLY_DIGEST,
	FEATURE_AUTO_STOP,      /* auto-stop of runaway timers */
} plan_feature;

bool plans_has_module(const actor_t *a, const char *module);
bool plans_allows(const actor_t *a, plan_feature f);
/* false with 402 plan_required (naming the plan or modules needed) when not allowed. */
bool plans_require(const actor_t *a, plan_feature f, err_t *err);

#endif
