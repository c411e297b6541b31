/* Hourly rate overrides and their resolution. The most specific override in
 * force on an entry's date wins: entity > user on project > project > user >
 * workspace default. The resolved rate is snapshotted on each entry when it is
 * created (or when what it is logged against changes), so changing a rate
 * never rewrites past entries. Rates are integer minor units per hour. */
#ifndef CORE_RATES_H
#define CORE_RATES_H
#include "core/ctx.h"
#include <jansson.h>

typedef struct {
	long hourly_rate;
	char currency[4];
	char source[16]; /* entity | user_project | project | user | default */
} rate_t;

/* Resolves the rate for an entry. Empty strings mean "none". */
bool rates_resolve(core_ctx *c, const char *user_id, const char *project_id, const char *entity_type,
		   const char *entity_id, const char *log_date, rate_t *out, err_t *err);

json_t *rates_list(core_ctx *c, err_t *err);
/* No "id": create; with "id": update that override. Admins only. Both run in
 * a unit of work (core/tx.h); dry_run rolls it back and returns what they
 * would return. */
json_t *rates_upsert(core_ctx *c, json_t *body, int *created, bool dry_run, err_t *err);
json_t *rates_delete(core_ctx *c, const char *id, bool dry_run, err_t *err);

#endif
