#include "core/admin.h"
#include "core/auth.h"
#include "core/fields.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const MODULES[] = { "projects", "finance", "people", "support", "crm", "recruiting",
				       "scheduling", "inbox", NULL };
static const char *const ROLES[] = { "member", "manager", "admin", NULL };

static bool modules_valid(const char *csv, err_t *err)
{
	if (!csv || !*csv)
		return true;
	char *copy = strdup(csv), *save = NULL;
	bool ok = true;
	for (char *m = strtok_r(copy, ",", &save); m && ok; m = strtok_r(NULL, ",", &save))
		if (!fields_one_of(m, MODULES))
			ok = err_set(err, ERR_VALIDATION, "validation_failed",
				     "unknown module '%s' (projects, finance, people, support, crm, recruiting, scheduling, inbox)", m);
	free(copy);
	return ok;
}

json_t *admin_workspace_create(db_t *db, const char *name, const char *plan, const char *modules, err_t *err)
{
	if (!name || !*name || strlen(name) > 200) {
		err_set(err, ERR_VALIDATION, "validation_failed", "--name must be 1 to 200 characters");
		return NULL;
	}
	if (!plan)
		plan = "free";
	if (strcmp(plan, "free") && strcmp(plan, "pro")) {
		err_set(err, ERR_VALIDATION, "validation_failed", "--plan must be free or pro");
		return NULL;
	}
	if (!modules_valid(modules, err) || !db_begin(db, err))
		return NULL;
	json_t *ws = DB_QUERY_JSON(db, err,
				   "INSERT INTO workspaces (name, plan, modules) VALUES ($1, $2,"
				   " coalesce(string_to_array(nullif($3, ''), ','), '{}'))"
				   " RETURNING jsonb_build_object('id', id, 'name', name, 'plan', plan, 'modules', to_jsonb(modules),"
				   " 'created_at', wt_iso(created_at))",
				   name, plan, modules ? modules : "");
	if (ws && DB_EXEC(db, err, "INSERT INTO time_tracking_settings (workspace_id) VALUES ($1)",
			  json_string_value(json_object_get(ws, "id"))) &&
	    db_commit(db, err))
		return ws;
	db_rollback(db);
	json_decref(ws);
	return NULL;
}

json_t *admin_user_create(db_t *db, const char *workspace_id, const char *email, const char *name, const char *role,
			  const char *weekly_hours, err_t *err)
{
	if (!workspace_id || !email || !strchr(email, '@') || strlen(email) > 320) {
		err_set(err, ERR_VALIDATION, "validation_failed", "--workspace and a valid --email are required");
		return NULL;
	}
	if (!role)
		role = "member";
	if (!fields_one_of(role, ROLES)) {
		err_set(err, ERR_VALIDATION, "validation_failed", "--role must be member, manager or admin");
		return NULL;
	}
	if (weekly_hours) {
		char *end;
		double h = strtod(weekly_hours, &end);
		if (*end || end == weekly_hours || h < 0 || h > 168) {
			err_set(err, ERR_VALIDATION, "validation_failed", "--weekly-hours must be a number from 0 to 168");
			return NULL;
		}
	}
	if (!db_begin(db, err))
		return NULL;
	PGresult *r = DB_QUERY(db, err, "SELECT 1 FROM workspaces WHERE id = $1", workspace_id);
	int exists = r ? PQntuples(r) : 0;
	PQclear(r);
	json_t *u = NULL;
	if (r && !exists)
		err_set(err, ERR_NOT_FOUND, "not_found", "no workspace %s", workspace_id);
	else if (r)
		u = DB_QUERY_JSON(db, err,
				  "INSERT INTO users (workspace_id, email, name, role) VALUES ($1, $2, $3, $4)"
				  " RETURNING jsonb_build_object('id', id, 'workspace_id', workspace_id, 'email', email,"
				  " 'name', name, 'role', role, 'created_at', wt_iso(created_at))",
				  workspace_id, email, name ? name : "", role);
	if (u && weekly_hours &&
	    DB_EXEC(db, err, "INSERT INTO employees (workspace_id, user_id, weekly_hours) VALUES ($1, $2, $3::numeric)",
		    workspace_id, json_string_value(json_object_get(u, "id")), weekly_hours))
		json_object_set_new(u, "weekly_hours", json_real(strtod(weekly_hours, NULL)));
	if (u && !err_any(err) && db_commit(db, err))
		return u;
	db_rollback(db);
	json_decref(u);
	return NULL;
}

json_t *admin_token_create(db_t *db, const char *user_id, const char *name, err_t *err)
{
	if (!user_id) {
		err_set(err, ERR_VALIDATION, "validation_failed", "--user is required");
		return NULL;
	}
	char id[64];
	char *tok = auth_token_create(db, user_id, name, id, err);
	if (!tok)
		return NULL;
	json_t *out = json_pack("{s:s, s:s, s:s, s:s}", "id", id, "user_id", user_id, "name", name ? name : "", "token", tok);
	free(tok);
	return out;
}

json_t *admin_token_revoke(db_t *db, const char *token_id, err_t *err)
{
	if (!token_id) {
		err_set(err, ERR_VALIDATION, "validation_failed", "--id is required");
		return NULL;
	}
	PGresult *r = DB_QUERY(db, err, "SELECT workspace_id FROM api_tokens WHERE id = $1", token_id);
	if (!r)
		return NULL;
	char ws[64] = "";
	if (PQntuples(r) == 1)
		snprintf(ws, sizeof ws, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	if (!ws[0]) {
		err_set(err, ERR_NOT_FOUND, "not_found", "no token %s", token_id);
		return NULL;
	}
	if (!auth_token_revoke(db, ws, token_id, err))
		return NULL;
	return json_pack("{s:s, s:b}", "id", token_id, "revoked", 1);
}
