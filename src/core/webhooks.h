/* Webhook subscriptions (time_webhooks): admins of Pro workspaces with
 * Projects or Finance register URLs for the nine time events. URLs follow the
 * SSRF policy (util/netpolicy); the signing secret is generated when not
 * given, sealed at rest (util/keyring) and shown only in the create answer. */
#ifndef CORE_WEBHOOKS_H
#define CORE_WEBHOOKS_H
#include "core/ctx.h"
#include <jansson.h>

/* The events a subscription may ask for, NULL-terminated (the spec's nine). */
extern const char *const WEBHOOK_EVENTS[];
/* The synthetic event of the Test button; never subscribable. */
#define WEBHOOK_TEST_EVENT "webhook.test"

/* Plan gate (402 plan_required) then role (403): every webhook operation. */
bool webhooks_authorize(core_ctx *c, err_t *err);
/* Locks (FOR SHARE) and checks the subscription is the workspace's; 404 otherwise. */
bool webhooks_exists(core_ctx *c, const char *id, err_t *err);

json_t *webhooks_list(core_ctx *c, err_t *err);
json_t *webhooks_get(core_ctx *c, const char *id, err_t *err);
/* The mutations run in a unit of work (core/tx.h); dry_run rolls it back and
 * returns what they would return. */
/* {url, events[], secret?, enabled?} → the subscription with its secret. */
json_t *webhooks_create(core_ctx *c, json_t *body, bool dry_run, err_t *err);
/* Partial update of url, events, enabled and secret (a new secret is not echoed). */
json_t *webhooks_update(core_ctx *c, const char *id, json_t *body, bool dry_run, err_t *err);
/* A new secret (generated, or body's "secret") returned once; the one it
 * replaces keeps signing (both signatures sent) for overlap_hours, or
 * body's "overlap_hours" (0-720; 0 ends it at once). body may be NULL. */
json_t *webhooks_rotate_secret(core_ctx *c, const char *id, json_t *body, int overlap_hours, bool dry_run,
			       err_t *err);
json_t *webhooks_delete(core_ctx *c, const char *id, bool dry_run, err_t *err);

#endif
