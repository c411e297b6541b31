#include "core/webhooks.h"
#include "core/audit.h"
#include "core/fields.h"
#include "core/plans.h"
#include "core/tx.h"
#include "util/crypto.h"
#include "util/keyring.h"
#include "util/netpolicy.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	MAX_SUBSCRIPTIONS = 50,
	SECRET_MIN = 16,
	SECRET_MAX = 256,
	SECRET_KEY_MIN = 16, /* bytes a whsec_ secret stands for */
	SECRET_KEY_MAX = 64,
	URL_MAX = 2048,
	OVERLAP_MAX_HOURS = 720,
};

const char *const WEBHOOK_EVENTS[] = {
	"time_entry.created", "time_entry.updated", "time_entry.deleted", "time_entry.invoiced", "timer.started",
	"timer.stopped",      "timesheet.submitted", "timesheet.approved", "timesheet.rejected", NULL,
};

#define WEBHOOK_JSON                                                                                          \
	"jsonb_build_object('id', w.id, 'url', w.url, 'events', to_jsonb(w.events), 'enabled', w.enabled,"    \
	" 'previous_secret_expires_at', CASE WHEN w.previous_expires_at > now() THEN wt_iso(w.previous_expires_at) END," \
	" 'created_at', wt_iso(w.created_at), 'updated_at', wt_iso(w.updated_at))"

static const char *const AUDITED[] = { "url", "events", "enabled", NULL };

bool webhooks_authorize(core_ctx *c, err_t *err)
{
	if (!plans_require(c->actor, FEATURE_WEBHOOKS, err))
		return false;
	return actor_is_admin(c->actor) ? true
					: err_set(err, ERR_CODE_FORBIDDEN, "only workspace admins can manage webhooks");
}

bool webhooks_exists(core_ctx *c, const char *id, err_t *err)
{
	PGresult *r = DB_QUERY(c->db, err, "SELECT 1 FROM time_webhooks WHERE id = $1 AND workspace_id = $2 FOR SHARE",
			       id, c->actor->workspace_id);
	if (!r)
		return false;
	int n = PQntuples(r);
	PQclear(r);
	return n ? true : err_set(err, ERR_CODE_NOT_FOUND, "no webhook %.64s", id);
}

json_t *webhooks_list(core_ctx *c, err_t *err)
{
	if (!webhooks_authorize(c, err))
		return NULL;
	return DB_QUERY_JSON(c->db, err,
			     "SELECT coalesce(jsonb_agg(" WEBHOOK_JSON " ORDER BY w.created_at, w.id), '[]'::jsonb)"
			     " FROM time_webhooks w WHERE w.workspace_id = $1",
			     c->actor->workspace_id);
}

static json_t *fetch(core_ctx *c, const char *id, bool lock, err_t *err)
{
	json_t *out = DB_QUERY_JSON(c->db, err,
				    lock ? "SELECT " WEBHOOK_JSON " FROM time_webhooks w WHERE w.id = $1 AND w.workspace_id = $2 FOR UPDATE"
					 : "SELECT " WEBHOOK_JSON " FROM time_webhooks w WHERE w.id = $1 AND w.workspace_id = $2",
				    id, c->actor->workspace_id);
	if (!out && !err_any(err))
		err_set(err, ERR_CODE_NOT_FOUND, "no webhook %.64s", id);
	return out;
}

json_t *webhooks_get(core_ctx *c, const char *id, err_t *err)
{
	return webhooks_authorize(c, err) ? fetch(c, id, false, err) : NULL;
}

/* events[] as a PostgreSQL array literal; every name is checked against the
 * fixed list first, so the literal holds only known identifiers. */
static bool parse_events(json_t *body, bool required, char out[512], err_t *err)
{
	json_t *ev = json_object_get(body, "events");
	out[0] = '\0';
	if (!ev && !required)
		return true;
	if (!json_is_array(ev) || json_array_size(ev) == 0)
		return err_set_param(err, ERR_CODE_VALIDATION_FAILED, "events", "'events' must be a non-empty array of event names");
	bool chosen[16] = { false };
	size_t i;
	json_t *v;
	json_array_foreach(ev, i, v) {
		const char *name = json_string_value(v);
		int k = 0;
		while (name && WEBHOOK_EVENTS[k] && strcmp(WEBHOOK_EVENTS[k], name))
			k++;
		if (!name || !WEBHOOK_EVENTS[k])
			return err_set_param(err, ERR_CODE_VALIDATION_FAILED, "events",
					     "'events[%zu]' must be one of time_entry.created, time_entry.updated, time_entry.deleted,"
					     " time_entry.invoiced, timer.started, timer.stopped, timesheet.submitted,"
					     " timesheet.approved, timesheet.rejected",
					     i);
		chosen[k] = true; /* duplicates collapse */
	}
	size_t len = 0;
	out[len++] = '{';
	for (int k = 0; WEBHOOK_EVENTS[k]; k++)
		if (chosen[k])
			len += (size_t)snprintf(out + len, 512 - len, "%s%s", len > 1 ? "," : "", WEBHOOK_EVENTS[k]);
	snprintf(out + len, 512 - len, "}");
	return true;
}

static bool check_secret(const char *secret, err_t *err)
{
	size_t n = strlen(secret);
	if (n < SECRET_MIN || n > SECRET_MAX)
		return err_set_param(err, ERR_CODE_VALIDATION_FAILED, "secret", "'secret' must be %d to %d characters", SECRET_MIN,
				     SECRET_MAX);
	for (const char *p = secret; *p; p++)
		if (*p <= 32 || *p >= 127)
			return err_set_param(err, ERR_CODE_VALIDATION_FAILED, "secret",
					     "'secret' must be printable ASCII without spaces");
	/* A whsec_ secret is a Standard Webhooks key: what follows must decode. */
	unsigned char key[SECRET_MAX];
	long k = strncmp(secret, "whsec_", 6) ? 0 : crypto_b64_decode(secret + 6, n - 6, key);
	memset(key, 0, sizeof key);
	if (k < 0 || (k > 0 && (k < SECRET_KEY_MIN || k > SECRET_KEY_MAX)))
		return err_set_param(err, ERR_CODE_VALIDATION_FAILED, "secret",
			       "'secret' starting with whsec_ must go on with the base64 of %d to %d bytes",
			       SECRET_KEY_MIN, SECRET_KEY_MAX);
	return true;
}

/* "whsec_" and the standard base64 of 32 random bytes (256 bits), the form
 * Standard Webhooks libraries read. Secrets made before were URL-safe base64
 * of 32 bytes: delivery decodes both (delivery/signing.h). */
static bool generate_secret(char out[64], err_t *err)
{
	unsigned char raw[32];
	if (!crypto_random(raw, sizeof raw))
		return err_set(err, ERR_CODE_INTERNAL_ERROR, "no secure random source");
	memcpy(out, "whsec_", 6);
	crypto_b64_encode(raw, sizeof raw, out + 6);
	memset(raw, 0, sizeof raw);
	return true;
}

static char *seal(const char *secret, const char *id, err_t *err)
{
	char *sealed = keyring_seal(secret, id);
	if (!sealed)
		err_set(err, ERR_CODE_SECRET_KEY_UNAVAILABLE,
			"webhook secrets cannot be encrypted: the server has no WORKESTRA_SECRET_KEY");
	return sealed;
}

/* Reads and checks the writable fields present in body. */
typedef struct {
	const char *url, *secret;
	char events[512];
	bool enabled;
	field_state enabled_state;
} webhook_fields;

static bool read_fields(json_t *body, bool create, webhook_fields *f, err_t *err)
{
	static const char *const allowed[] = { "url", "events", "secret", "enabled", NULL };
	if (!fields_only(body, allowed, err) ||
	    fields_string(body, "url", create, false, false, URL_MAX, &f->url, err) == FIELD_ERROR ||
	    fields_string(body, "secret", false, false, false, SECRET_MAX, &f->secret, err) == FIELD_ERROR ||
	    (f->enabled_state = fields_bool(body, "enabled", &f->enabled, err)) == FIELD_ERROR ||
	    !parse_events(body, create, f->events, err))
		return false;
	if (f->secret && !check_secret(f->secret, err))
		return false;
	return !f->url || netpolicy_check_url(f->url, netpolicy_allow_private(), err);
}

static bool under_limit(core_ctx *c, err_t *err)
{
	PGresult *r = DB_QUERY(c->db, err, "SELECT count(*) FROM time_webhooks WHERE workspace_id = $1",
			       c->actor->workspace_id);
	if (!r)
		return false;
	long n = atol(PQgetvalue(r, 0, 0));
	PQclear(r);
	return n < MAX_SUBSCRIPTIONS ? true
				     : err_set(err, ERR_CODE_LIMIT_REACHED, "a workspace can have at most %d webhooks",
					       MAX_SUBSCRIPTIONS);
}

json_t *webhooks_create(core_ctx *c, json_t *body, bool dry_run, err_t *err)
{
	webhook_fields f = { 0 };
	char secret[64], id[64];
	if (!webhooks_authorize(c, err) || !read_fields(body, true, &f, err))
		return NULL;
	if (!f.secret) {
		if (!generate_secret(secret, err))
			return NULL;
		f.secret = secret;
	}
	tx_unit u;
	if (!tx_begin(c, &u, err))
		return NULL;
	json_t *out = NULL;
	char *sealed = NULL;
	PGresult *r = NULL;
	/* Lock the workspace row so two creates cannot both pass the limit. */
	if (!DB_EXEC(c->db, err, "SELECT 1 FROM workspaces WHERE id = $1 FOR UPDATE", c->actor->workspace_id) ||
	    !under_limit(c, err) || !(r = DB_QUERY(c->db, err, "SELECT wt_id('wh')")))
		goto done;
	snprintf(id, sizeof id, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	if (!(sealed = seal(f.secret, id, err)) ||
	    !DB_EXEC(c->db, err,
		     "INSERT INTO time_webhooks (id, workspace_id, url, events, enabled, secret_sealed, created_by)"
		     " VALUES ($1, $2, $3, $4::text[], $5::boolean, $6, $7)",
		     id, c->actor->workspace_id, f.url, f.events,
		     f.enabled_state == FIELD_SET && !f.enabled ? "false" : "true", sealed, c->actor->user_id))
		goto done;
	if ((out = fetch(c, id, false, err))) {
		json_t *diff = audit_diff(NULL, out, AUDITED);
		audit_record(c, "time_webhook.upserted", "time_webhook", id, diff, err);
		json_decref(diff);
		json_object_set_new(out, "secret", json_string(f.secret));
	}
done:
	free(sealed);
	return tx_end(&u, out, dry_run, err);
}

json_t *webhooks_update(core_ctx *c, const char *id, json_t *body, bool dry_run, err_t *err)
{
	webhook_fields f = { 0 };
	tx_unit u;
	if (!webhooks_authorize(c, err) || !read_fields(body, false, &f, err) || !tx_begin(c, &u, err))
		return NULL;
	json_t *before = NULL, *after = NULL;
	char *sealed = NULL;
	if (!(before = fetch(c, id, true, err)) || (f.secret && !(sealed = seal(f.secret, id, err))))
		goto done;
	const char *enabled = f.enabled_state == FIELD_SET ? (f.enabled ? "true" : "false") : NULL;
	if (!DB_EXEC(c->db, err,
		     "UPDATE time_webhooks SET url = coalesce($3, url), events = coalesce($4::text[], events),"
		     " enabled = coalesce($5::boolean, enabled), secret_sealed = coalesce($6, secret_sealed),"
		     " previous_secret_sealed = CASE WHEN $6 IS NULL THEN previous_secret_sealed END,"
		     " previous_expires_at = CASE WHEN $6 IS NULL THEN previous_expires_at END, updated_at = now()"
		     " WHERE id = $1 AND workspace_id = $2",
		     id, c->actor->workspace_id, f.url, f.events[0] ? f.events : NULL, enabled, sealed))
		goto done;
	if ((after = fetch(c, id, false, err))) {
		json_t *diff = audit_diff(before, after, AUDITED);
		if (sealed)
			json_object_set_new(diff, "secret", json_string("rotated"));
		audit_record(c, "time_webhook.upserted", "time_webhook", id, diff, err);
		json_decref(diff);
	}
done:
	free(sealed);
	json_decref(before);
	return tx_end(&u, after, dry_run, err);
}

json_t *webhooks_rotate_secret(core_ctx *c, const char *id, json_t *body, int overlap_hours, bool dry_run,
			       err_t *err)
{
	static const char *const allowed[] = { "secret", "overlap_hours", NULL };
	const char *given = NULL;
	char secret[64], overlap[16];
	json_t *oh = body ? json_object_get(body, "overlap_hours") : NULL;
	if (!webhooks_authorize(c, err))
		return NULL;
	if (body && (!fields_only(body, allowed, err) ||
		     fields_string(body, "secret", false, false, false, SECRET_MAX, &given, err) == FIELD_ERROR))
		return NULL;
	if (oh && (!json_is_integer(oh) || json_integer_value(oh) < 0 || json_integer_value(oh) > OVERLAP_MAX_HOURS)) {
		err_set(err, ERR_CODE_VALIDATION_FAILED, "'overlap_hours' must be a whole number from 0 to %d",
			OVERLAP_MAX_HOURS);
		return NULL;
	}
	if (oh)
		overlap_hours = (int)json_integer_value(oh);
	if ((given && !check_secret(given, err)) || (!given && !generate_secret(secret, err)))
		return NULL;
	snprintf(overlap, sizeof overlap, "%d", overlap_hours);
	tx_unit u;
	if (!tx_begin(c, &u, err))
		return NULL;
	json_t *before = NULL, *out = NULL;
	char *sealed = NULL;
	const char *plain = given ? given : secret;
	/* The current secret becomes the previous one, still signing for the
	 * overlap; a rotation within an overlap drops the older one. */
	if ((before = fetch(c, id, true, err)) && (sealed = seal(plain, id, err)) &&
	    DB_EXEC(c->db, err,
		    "UPDATE time_webhooks SET previous_secret_sealed = CASE WHEN $4::int > 0 THEN secret_sealed END,"
		    " previous_expires_at = CASE WHEN $4::int > 0 THEN now() + make_interval(hours => $4::int) END,"
		    " secret_sealed = $3, updated_at = now() WHERE id = $1 AND workspace_id = $2",
		    id, c->actor->workspace_id, sealed, overlap) &&
	    (out = fetch(c, id, false, err))) {
		json_t *changes = json_pack("{s:s, s:i, s:O?}", "secret", "rotated", "overlap_hours", overlap_hours,
					    "previous_secret_expires_at", json_object_get(out, "previous_secret_expires_at"));
		if (audit_record(c, "time_webhook.secret_rotated", "time_webhook", id, changes, err))
			json_object_set_new(out, "secret", json_string(plain));
		json_decref(changes);
	}
	free(sealed);
	json_decref(before);
	memset(secret, 0, sizeof secret);
	return tx_end(&u, out, dry_run, err);
}

json_t *webhooks_delete(core_ctx *c, const char *id, bool dry_run, err_t *err)
{
	tx_unit u;
	if (!webhooks_authorize(c, err) || !tx_begin(c, &u, err))
		return NULL;
	json_t *before = fetch(c, id, true, err);
	if (before && DB_EXEC(c->db, err, "DELETE FROM time_webhooks WHERE id = $1 AND workspace_id = $2", id,
			      c->actor->workspace_id))
		audit_record(c, "time_webhook.deleted", "time_webhook", id, before, err);
	return tx_end(&u, before, dry_run, err);
}
