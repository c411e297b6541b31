#include "core/plans.h"
#include <string.h>

static const char *feature_name(plan_feature f)
{
	switch (f) {
	case FEATURE_UTILIZATION: return "utilization reports";
	case FEATURE_INVOICE_BRIDGE: return "the invoice bridge";
	case FEATURE_WEBHOOKS: return "webhooks";
	case FEATURE_AUTO_SUBMIT: return "auto-submit of timesheets";
	case FEATURE_WEEKLY_DIGEST: return "the weekly digest";
	case FEATURE_AUTO_STOP: return "auto-stop of runaway timers";
	}
	return "this feature";
}

bool plans_has_module(const actor_t *a, const char *module)
{
	size_t n = strlen(module);
	for (const char *p = a->modules; *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (len == n && !strncmp(p, module, n))
			return true;
		p = comma ? comma + 1 : p + len;
	}
	return false;
}

static bool is_pro(const actor_t *a)
{
	return !strcmp(a->plan, "pro");
}

bool plans_allows(const actor_t *a, plan_feature f)
{
	if (f == FEATURE_WEBHOOKS)
		return is_pro(a) && (plans_has_module(a, "projects") || plans_has_module(a, "finance"));
	return is_pro(a);
}

bool plans_require(const actor_t *a, plan_feature f, err_t *err)
{
	if (plans_allows(a, f))
		return true;
	if (f == FEATURE_WEBHOOKS && is_pro(a))
		return err_set(err, ERR_CODE_PLAN_REQUIRED, "%s need the Projects or Finance module", feature_name(f));
	return err_set(err, ERR_CODE_PLAN_REQUIRED, "%s %s the Pro plan; this workspace is on the %s plan",
		       feature_name(f), f == FEATURE_WEBHOOKS ? "need" : "needs", a->plan);
}
