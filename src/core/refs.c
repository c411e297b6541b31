#include "core/refs.h"
#include "util/utf8.h"
#include <stdio.h>
#include <string.h>

/* Per type: the record's project and its label, by $1 workspace and $2 id. */
static const struct {
	const char *type, *sql;
} LOOKUPS[] = {
	{ "task", "SELECT project_id, title FROM tasks WHERE workspace_id = $1 AND id = $2" },
	{ "ticket", "SELECT project_id, subject FROM tickets WHERE workspace_id = $1 AND id = $2" },
	{ "deal", "SELECT NULL, name FROM deals WHERE workspace_id = $1 AND id = $2" },
	{ "contact", "SELECT NULL, name FROM contacts WHERE workspace_id = $1 AND id = $2" },
	{ "project", "SELECT id, name FROM projects WHERE workspace_id = $1 AND id = $2" },
	{ "candidate", "SELECT NULL, name FROM candidates WHERE workspace_id = $1 AND id = $2" },
	{ "conversation", "SELECT NULL, subject FROM conversations WHERE workspace_id = $1 AND id = $2" },
	{ "calendar_event", "SELECT NULL, title FROM calendar_events WHERE workspace_id = $1 AND id = $2" },
	{ "user", "SELECT NULL, coalesce(nullif(name, ''), email) FROM users WHERE workspace_id = $1 AND id = $2" },
};

static const char *lookup_sql(const char *type)
{
	for (size_t i = 0; type && i < sizeof LOOKUPS / sizeof LOOKUPS[0]; i++)
		if (!strcmp(LOOKUPS[i].type, type))
			return LOOKUPS[i].sql;
	return NULL;
}

bool refs_known_type(const char *type)
{
	return lookup_sql(type) != NULL;
}

bool refs_loggable(const char *type)
{
	static const char *const loggable[] = { "task",		  "ticket",	    "deal",   "candidate",
						"calendar_event", "conversation", "project" };
	for (size_t i = 0; type && i < sizeof loggable / sizeof loggable[0]; i++)
		if (!strcmp(loggable[i], type))
			return true;
	return false;
}

bool refs_lookup(core_ctx *c, const char *type, const char *id, ref_t *out, err_t *err)
{
	memset(out, 0, sizeof *out);
	const char *sql = lookup_sql(type);
	if (!sql)
		return err_set(err, ERR_CODE_INTERNAL_ERROR, "internal error (no lookup for '%s')",
			       type ? type : "(none)");
	PGresult *r = DB_QUERY(c->db, err, sql, c->actor->workspace_id, id);
	if (!r)
		return false;
	if (PQntuples(r) == 1) {
		out->found = true;
		snprintf(out->project_id, sizeof out->project_id, "%s", PQgetvalue(r, 0, 0));
		utf8_snprintf(out->label, sizeof out->label, "%s", PQgetvalue(r, 0, 1));
	}
	PQclear(r);
	return true;
}

bool refs_check(core_ctx *c, const char *type, const char *id, const char *field, err_t *err)
{
	ref_t ref;
	if (!id)
		return true;
	if (!refs_lookup(c, type, id, &ref, err))
		return false;
	return ref.found ? true
			 : err_set_param(err, ERR_CODE_VALIDATION_FAILED, field, "'%s': no %s %s in this workspace",
					 field, type, id);
}

bool refs_check_target(core_ctx *c, const char *type, const char *id, err_t *err)
{
	if (!refs_loggable(type))
		return err_set_param(err, ERR_CODE_VALIDATION_FAILED, "entity_type", "'entity_type' %s is not a known entity type",
				     type ? type : "(none)");
	return refs_check(c, type, id, !strcmp(type, "project") ? "project_id" : "entity_id", err);
}

bool refs_require(core_ctx *c, const char *type, const char *id, err_t *err)
{
	ref_t ref;
	if (!refs_lookup(c, type, id, &ref, err))
		return false;
	return ref.found ? true : err_set(err, ERR_CODE_NOT_FOUND, "no %s %s in this workspace", type, id);
}

bool refs_describe(core_ctx *c, const char *type, const char *id, char *out, size_t n, err_t *err)
{
	snprintf(out, n, "%s", type ? type : "entry");
	if (!type || !id || !*id || !refs_known_type(type))
		return true;
	ref_t ref;
	if (!refs_lookup(c, type, id, &ref, err))
		return false;
	if (ref.found)
		utf8_snprintf(out, n, "%s \"%s\"", type, ref.label);
	else
		utf8_snprintf(out, n, "%s %s", type, id);
	return true;
}
