#include "core/rates.h"
#include "core/audit.h"
#include "core/fields.h"
#include "core/refs.h"
#include "core/settings.h"
#include "core/tx.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RATE_JSON                                                                                              \
	"jsonb_build_object('id', r.id, 'workspace_id', r.workspace_id, 'user_id', r.user_id,"                  \
	" 'project_id', r.project_id, 'entity_type', r.entity_type, 'entity_id', r.entity_id,"                  \
	" 'hourly_rate', r.hourly_rate, 'currency', r.currency, 'effective_from', r.effective_from::text,"      \
	" 'created_at', wt_iso(r.created_at), 'updated_at', wt_iso(r.updated_at))"

bool rates_resolve(core_ctx *c, const char *user_id, const char *project_id, const char *entity_type,
		   const char *entity_id, const char *log_date, rate_t *out, err_t *err)
{
	PGresult *r = DB_QUERY(
		c->db, err,
		"SELECT hourly_rate, currency, CASE WHEN entity_id IS NOT NULL THEN 'entity'"
		"  WHEN user_id IS NOT NULL AND project_id IS NOT NULL THEN 'user_project'"
		"  WHEN project_id IS NOT NULL THEN 'project' ELSE 'user' END AS kind"
		" FROM time_rate_overrides WHERE workspace_id = $1 AND effective_from <= $6::date AND ("
		"  (entity_id IS NOT NULL AND entity_type = $4 AND entity_id = $5)"
		"  OR (entity_id IS NULL AND user_id = $2 AND project_id = $3)"
		"  OR (entity_id IS NULL AND user_id IS NULL AND project_id = $3)"
		"  OR (entity_id IS NULL AND user_id = $2 AND project_id IS NULL))"
		" ORDER BY CASE WHEN entity_id IS NOT NULL THEN 0 WHEN user_id IS NOT NULL AND project_id IS NOT NULL THEN 1"
		"  WHEN project_id IS NOT NULL THEN 2 ELSE 3 END, effective_from DESC LIMIT 1",
		c->actor->workspace_id, user_id, project_id, entity_type, entity_id, log_date);
	if (!r)
		return false;
	if (PQntuples(r) == 1) {
		out->hourly_rate = atol(PQgetvalue(r, 0, 0));
		snprintf(out->currency, sizeof out->currency, "%s", PQgetvalue(r, 0, 1));
		snprintf(out->source, sizeof out->source, "%s", PQgetvalue(r, 0, 2));
		PQclear(r);
		return true;
	}
	PQclear(r);
	settings_t s;
	if (!settings_load(c, &s, err))
		return false;
	out->hourly_rate = s.default_hourly_rate;
	snprintf(out->currency, sizeof out->currency, "%s", s.currency);
	snprintf(out->source, sizeof out->source, "default");
	return true;
}

static bool require_admin(core_ctx *c, err_t *err);

json_t *rates_list(core_ctx *c, err_t *err)
{
	if (!require_admin(c, err))
		return NULL;
	return DB_QUERY_JSON(c->db, err,
			     "SELECT coalesce(jsonb_agg(" RATE_JSON " ORDER BY r.created_at, r.id), '[]'::jsonb)"
			     " FROM time_rate_overrides r WHERE r.workspace_id = $1",
			     c->actor->workspace_id);
}

static bool require_admin(core_ctx *c, err_t *err)
{
	return actor_is_admin(c->actor) ? true
					: err_set(err, ERR_CODE_FORBIDDEN, "only workspace admins can manage rates");
}

static json_t *fetch_rate(core_ctx *c, const char *id, err_t *err)
{
	json_t *out = DB_QUERY_JSON(c->db, err, "SELECT " RATE_JSON " FROM time_rate_overrides r WHERE r.id = $1 AND r.workspace_id = $2",
				    id, c->actor->workspace_id);
	if (!out && !err_any(err))
		err_set(err, ERR_CODE_NOT_FOUND, "no rate override %s", id);
	return out;
}

/* The ids a rate may target must exist in the workspace. */
static bool check_targets(core_ctx *c, const char *user_id, const char *project_id, const char *entity_type,
			  const char *entity_id, err_t *err)
{
	if (!user_id && !project_id && !entity_id)
		return err_set(err, ERR_CODE_VALIDATION_FAILED,
			       "a rate needs a target: user_id, project_id, both, or entity_type with entity_id");
	if (entity_id && (user_id || project_id))
		return err_set(err, ERR_CODE_VALIDATION_FAILED,
			       "an entity rate (entity_type/entity_id) cannot also name a user or project");
	if (!entity_type != !entity_id)
		return err_set_param(err, ERR_CODE_VALIDATION_FAILED, "entity_type", "'entity_type' and 'entity_id' go together");
	if (user_id && !refs_check(c, "user", user_id, "user_id", err))
		return false;
	if (project_id && !refs_check(c, "project", project_id, "project_id", err))
		return false;
	return !entity_id || refs_check_target(c, entity_type, entity_id, err);
}

json_t *rates_upsert(core_ctx *c, json_t *body, int *created, bool dry_run, err_t *err)
{
	static const char *const allowed[] = { "id", "user_id", "project_id", "entity_type", "entity_id",
					       "hourly_rate", "currency", "effective_from", NULL };
	const char *id, *user_id, *project_id, *entity_type, *entity_id, *currency;
	char eff[11] = "1970-01-01";
	long day;
	*created = 0;
	if (!require_admin(c, err) || !fields_only(body, allowed, err) ||
	    fields_string(body, "id", false, false, false, 63, &id, err) == FIELD_ERROR ||
	    fields_string(body, "user_id", false, true, false, 63, &user_id, err) == FIELD_ERROR ||
	    fields_string(body, "project_id", false, true, false, 63, &project_id, err) == FIELD_ERROR ||
	    fields_string(body, "entity_type", false, true, false, 32, &entity_type, err) == FIELD_ERROR ||
	    fields_string(body, "entity_id", false, true, false, 63, &entity_id, err) == FIELD_ERROR ||
	    fields_string(body, "currency", false, false, false, 3, &currency, err) == FIELD_ERROR ||
	    fields_date(body, "effective_from", false, &day, eff, err) == FIELD_ERROR)
		return NULL;
	json_t *rate = json_object_get(body, "hourly_rate");
	if (!json_is_integer(rate) || json_integer_value(rate) < 0 || json_integer_value(rate) > 1000000000000LL) {
		err_set_param(err, ERR_CODE_VALIDATION_FAILED, "hourly_rate",
			      "'hourly_rate' must be a whole number of minor units per hour (12000 = 120.00)");
		return NULL;
	}
	if (currency && (strlen(currency) != 3 || strspn(currency, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3)) {
		err_set_param(err, ERR_CODE_VALIDATION_FAILED, "currency", "'currency' must be an ISO 4217 code such as EUR");
		return NULL;
	}
	char rate_text[32];
	snprintf(rate_text, sizeof rate_text, "%lld", (long long)json_integer_value(rate));
	tx_unit u;
	if (!tx_begin(c, &u, err))
		return NULL;
	json_t *out = NULL, *before = NULL;
	settings_t s;
	if (!check_targets(c, user_id, project_id, entity_type, entity_id, err) || !settings_load(c, &s, err))
		goto done;
	if (!currency)
		currency = s.currency;
	char new_id[64];
	if (id) {
		if (!(before = fetch_rate(c, id, err)))
			goto done;
		if (!DB_EXEC(c->db, err,
			     "UPDATE time_rate_overrides SET user_id = $3, project_id = $4, entity_type = $5, entity_id = $6,"
			     " hourly_rate = $7::bigint, currency = $8, effective_from = $9::date, updated_at = now()"
			     " WHERE id = $1 AND workspace_id = $2",
			     id, c->actor->workspace_id, user_id, project_id, entity_type, entity_id, rate_text, currency, eff))
			goto done;
		snprintf(new_id, sizeof new_id, "%s", id);
	} else {
		PGresult *r = DB_QUERY(c->db, err,
				       "INSERT INTO time_rate_overrides (workspace_id, user_id, project_id, entity_type, entity_id,"
				       " hourly_rate, currency, effective_from) VALUES ($1, $2, $3, $4, $5, $6::bigint, $7, $8::date)"
				       " RETURNING id",
				       c->actor->workspace_id, user_id, project_id, entity_type, entity_id, rate_text, currency, eff);
		if (!r)
			goto done;
		snprintf(new_id, sizeof new_id, "%s", PQgetvalue(r, 0, 0));
		PQclear(r);
		*created = 1;
	}
	if ((out = fetch_rate(c, new_id, err))) {
		static const char *const keys[] = { "user_id", "project_id", "entity_type", "entity_id", "hourly_rate",
						    "currency", "effective_from", NULL };
		json_t *diff = audit_diff(before, out, keys);
		audit_record(c, "time_entry.rate_override.upserted", "time_rate_override", new_id, diff, err);
		json_decref(diff);
	}
done:
	json_decref(before);
	if (err_any(err) && err->code == ERR_CODE_CONFLICT)
		snprintf(err->message, sizeof err->message, "an override for this target and effective date already exists");
	return tx_end(&u, out, dry_run, err);
}

json_t *rates_delete(core_ctx *c, const char *id, bool dry_run, err_t *err)
{
	tx_unit u;
	if (!require_admin(c, err) || !tx_begin(c, &u, err))
		return NULL;
	json_t *before = fetch_rate(c, id, err);
	if (before && DB_EXEC(c->db, err, "DELETE FROM time_rate_overrides WHERE id = $1 AND workspace_id = $2", id,
			      c->actor->workspace_id))
		audit_record(c, "time_entry.rate_override.deleted", "time_rate_override", id, before, err);
	return tx_end(&u, before, dry_run, err);
}
