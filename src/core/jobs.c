#include "core/jobs.h"
#include <stdio.h>
#include <string.h>

void jobs_count(job_run *run, const char *name, long n)
{
	json_t *v = json_object_get(run->counts, name);
	json_object_set_new(run->counts, name, json_integer((v ? json_integer_value(v) : 0) + n));
}

void jobs_error(job_run *run, const char *workspace_id, const char *item, const err_t *e)
{
	json_array_append_new(run->errors, json_pack("{s:s?, s:s?, s:s, s:s}", "workspace_id", workspace_id, "item", item,
						     "code", e->code, "message", e->message));
}

void jobs_detail(job_run *run, const char *list, json_t *item)
{
	json_t *arr = json_object_get(run->details, list);
	if (!arr) {
		arr = json_array();
		json_object_set_new(run->details, list, arr);
	}
	json_array_append_new(arr, item);
}

bool jobs_local_day(job_run *run, core_ctx *c, const char *tz, char day[11], err_t *err)
{
	PGresult *r = DB_QUERY(c->db, err, "SELECT ($1::timestamptz AT TIME ZONE $2)::date::text", run->now, tz);
	if (!r)
		return false;
	snprintf(day, 11, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return true;
}

void jobs_user_actor(const actor_t *system, const char *user_id, actor_t *out)
{
	*out = *system;
	snprintf(out->user_id, sizeof out->user_id, "%s", user_id);
	snprintf(out->role, sizeof out->role, "member");
}

bool jobs_each_workspace(job_run *run, jobs_workspace_fn fn, void *arg, err_t *err)
{
	PGresult *r = DB_QUERY(run->db, err,
			       "SELECT id, plan, array_to_string(modules, ',') FROM workspaces ORDER BY created_at, id");
	if (!r)
		return false;
	bool ok = true;
	for (int i = 0; ok && i < PQntuples(r); i++) {
		actor_t system = { .source = "cron" };
		snprintf(system.workspace_id, sizeof system.workspace_id, "%s", PQgetvalue(r, i, 0));
		snprintf(system.plan, sizeof system.plan, "%s", PQgetvalue(r, i, 1));
		snprintf(system.modules, sizeof system.modules, "%s", PQgetvalue(r, i, 2));
		snprintf(system.role, sizeof system.role, "admin");
		core_ctx c = { run->db, &system };
		err_t e = { 0 };
		jobs_count(run, "workspaces", 1);
		if (fn(run, &c, arg, &e))
			continue;
		db_rollback(run->db);
		if (e.kind == ERR_UNAVAILABLE) {
			*err = e;
			ok = false;
		} else {
			jobs_error(run, system.workspace_id, NULL, &e);
		}
	}
	PQclear(r);
	return ok;
}

PGresult *jobs_users(core_ctx *c, bool admins_only, err_t *err)
{
	return DB_QUERY(c->db, err,
			"SELECT id, email, coalesce(nullif(name, ''), email), role FROM users WHERE workspace_id = $1"
			" AND (NOT $2::boolean OR role = 'admin') ORDER BY id",
			c->actor->workspace_id, admins_only ? "true" : "false");
}
