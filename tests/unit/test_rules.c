/* Pure domain rules: plan gates, permissions, timesheet transitions. */
#include "core/actor.h"
#include "core/plans.h"
#include "core/timesheets.h"
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static actor_t rules_actor(const char *role, const char *plan, const char *modules)
{
	actor_t a = { .source = "api" };
	snprintf(a.role, sizeof a.role, "%s", role);
	snprintf(a.plan, sizeof a.plan, "%s", plan);
	snprintf(a.modules, sizeof a.modules, "%s", modules);
	snprintf(a.user_id, sizeof a.user_id, "u_self");
	return a;
}

Test(plans, free_workspace_is_refused_pro_features_naming_the_plan)
{
	actor_t a = rules_actor("admin", "free", "projects,finance");
	plan_feature features[] = { FEATURE_UTILIZATION, FEATURE_INVOICE_BRIDGE, FEATURE_WEBHOOKS,
				    FEATURE_AUTO_SUBMIT, FEATURE_WEEKLY_DIGEST, FEATURE_AUTO_STOP };
	for (size_t i = 0; i < sizeof features / sizeof features[0]; i++) {
		err_t err = { 0 };
		cr_assert_not(plans_require(&a, features[i], &err));
		cr_assert_eq(err.kind, ERR_PLAN);
		cr_assert_str_eq(err_name(&err), "plan_required");
		cr_assert(strstr(err.message, "Pro"), "message names the plan: %s", err.message);
	}
}

Test(plans, pro_allows_and_webhooks_need_projects_or_finance)
{
	actor_t a = rules_actor("admin", "pro", "crm,people");
	err_t err = { 0 };
	cr_assert(plans_require(&a, FEATURE_UTILIZATION, &err));
	cr_assert_not(plans_require(&a, FEATURE_WEBHOOKS, &err));
	cr_assert(strstr(err.message, "Projects or Finance"));
	actor_t b = rules_actor("admin", "pro", "people,finance");
	cr_assert(plans_allows(&b, FEATURE_WEBHOOKS));
	actor_t c = rules_actor("admin", "pro", "projects");
	cr_assert(plans_allows(&c, FEATURE_WEBHOOKS));
}

Test(plans, module_match_is_exact)
{
	actor_t a = rules_actor("member", "pro", "projectsx,people");
	cr_assert_not(plans_has_module(&a, "projects"));
	cr_assert(plans_has_module(&a, "people"));
	cr_assert_not(plans_has_module(&a, "peop"));
	actor_t none = rules_actor("member", "pro", "");
	cr_assert_not(plans_has_module(&none, "people"));
}

Test(roles, permissions_by_role)
{
	actor_t m = rules_actor("member", "pro", ""), g = rules_actor("manager", "pro", ""), a = rules_actor("admin", "pro", "");
	cr_assert_not(actor_can_approve(&m));
	cr_assert(actor_can_approve(&g));
	cr_assert(actor_can_approve(&a));
	cr_assert_not(actor_is_admin(&g));
	cr_assert(actor_is_admin(&a));
	cr_assert(actor_may_access_user(&m, "u_self"));
	cr_assert_not(actor_may_access_user(&m, "u_other"));
	cr_assert(actor_may_access_user(&g, "u_other"));
}

Test(timesheets, transition_table)
{
	const char *states[] = { "draft", "submitted", "approved", "rejected" };
	/* expected[state][action]: submit, approve, reject */
	const bool expected[4][3] = { { true, false, false }, { false, true, true }, { false, false, false }, { true, false, false } };
	for (int s = 0; s < 4; s++) {
		cr_assert_eq(timesheets_transition_allowed(states[s], TS_SUBMIT), expected[s][0], "submit from %s", states[s]);
		cr_assert_eq(timesheets_transition_allowed(states[s], TS_APPROVE), expected[s][1], "approve from %s", states[s]);
		cr_assert_eq(timesheets_transition_allowed(states[s], TS_REJECT), expected[s][2], "reject from %s", states[s]);
	}
	cr_assert_str_eq(timesheets_action_target(TS_APPROVE), "approved");
}
