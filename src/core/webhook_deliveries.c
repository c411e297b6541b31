#include "core/webhook_deliveries.h"
#include "core/audit.h"
#include "core/fields.h"
#include "core/paging.h"
#include "core/tx.h"
#include "core/webhooks.h"
#include "store/query.h"
#include "util/dates.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ATTEMPT_JSON                                                                                            \
	"jsonb_build_object('attempt', a.attempt, 'outcome', a.outcome, 'at', wt_iso(a.at),"                     \
	" 'duration_ms', a.duration_ms, 'response_code', a.response_code, 'response_body', a.response_body,"     \
	" 'error', a.error)"

#define DELIVERY_JSON                                                                                           \
	"jsonb_build_object('id', d.id, 'webhook_id', d.webhook_id, 'event', d.event, 'event_id', d.event_id,"  \
	" 'status', d.status, 'attempts', coalesce((SELECT jsonb_agg(" ATTEMPT_JSON " ORDER BY a.attempt)"       \
	" FROM time_webhook_attempts a WHERE a.delivery_id = d.id), '[]'::jsonb),"                               \
	" 'next_attempt_at', wt_iso(d.next_attempt_at), 'created_at', wt_iso(d.created_at),"                     \
	" 'payload', (SELECT e.payload FROM time_webhook_events e WHERE e.id = d.event_id))"

char *webhook_deliveries_list(core_ctx *c, const char *webhook_id, core_page *page, err_t *err)
{
	if (!webhooks_authorize(c, err) || !webhooks_exists(c, webhook_id, err))
		return NULL;
	char limit[24], offset[24];
	snprintf(limit, sizeof limit, "%ld", page->limit);
	snprintf(offset, sizeof offset, "%ld", (page->page - 1) * page->limit);
	query_t count, rows;
	paging_count_init(&count, "FROM time_webhook_deliveries d WHERE d.workspace_id = ");
	query_param(&count, c->actor->workspace_id);
	query_cond(&count, " AND d.webhook_id = ", webhook_id, "");
	query_init(&rows, "SELECT " DELIVERY_JSON " FROM time_webhook_deliveries d WHERE d.workspace_id = ");
	query_param(&rows, c->actor->workspace_id);
	query_cond(&rows, " AND d.webhook_id = ", webhook_id, " ORDER BY d.created_at DESC, d.id DESC");
	query_cond(&rows, " LIMIT ", limit, "::bigint");
	query_cond(&rows, " OFFSET ", offset, "::bigint");
	return paging_count(c, &count, page, err) ? query_rows(c->db, &rows, err) : NULL;
}

static json_t *fetch(core_ctx *c, const char *webhook_id, const char *delivery_id, err_t *err)
{
	json_t *out = DB_QUERY_JSON(c->db, err,
				    "SELECT " DELIVERY_JSON " FROM time_webhook_deliveries d"
				    " WHERE d.id = $1 AND d.webhook_id = $2 AND d.workspace_id = $3",
				    delivery_id, webhook_id, c->actor->workspace_id);
	if (!out && !err_any(err))
		err_set(err, ERR_CODE_NOT_FOUND, "no delivery %.64s on webhook %.64s", delivery_id, webhook_id);
	return out;
}

json_t *webhook_deliveries_get(core_ctx *c, const char *webhook_id, const char *delivery_id, err_t *err)
{
	return webhooks_authorize(c, err) ? fetch(c, webhook_id, delivery_id, err) : NULL;
}

json_t *webhook_deliveries_retry(core_ctx *c, const char *webhook_id, const char *delivery_id, err_t *err)
{
	tx_unit u;
	if (!webhooks_authorize(c, err) || !tx_begin(c, &u, err))
		return NULL;
	json_t *out = NULL;
	PGresult *r = DB_QUERY(c->db, err,
			       "SELECT status, lease_until > clock_timestamp() FROM time_webhook_deliveries"
			       " WHERE id = $1 AND webhook_id = $2 AND workspace_id = $3 FOR UPDATE",
			       delivery_id, webhook_id, c->actor->workspace_id);
	if (!r)
		goto done;
	if (PQntuples(r) == 0) {
		err_set(err, ERR_CODE_NOT_FOUND, "no delivery %.64s on webhook %.64s", delivery_id, webhook_id);
	} else if (!strcmp(PQgetvalue(r, 0, 1), "t")) {
		err_set(err, ERR_CODE_DELIVERY_IN_FLIGHT, "the delivery is being sent right now; look again shortly");
	}
	char was[16];
	snprintf(was, sizeof was, "%s", PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
	PQclear(r);
	if (err_any(err))
		goto done;
	/* Due at once. A delivery still on its schedule keeps it; a finished one
	 * gets exactly one more attempt. An attempt whose sender died (its lease
	 * ran out) is closed as unknown first, as the dispatcher would. */
	if (!DB_EXEC(c->db, err,
		     "UPDATE time_webhook_attempts SET outcome = 'unknown', error = 'no outcome recorded: the sender"
		     " stopped or lost its lease before the answer came; the receiver may have got it'"
		     " WHERE delivery_id = $1 AND outcome = 'sending'",
		     delivery_id) ||
	    !DB_EXEC(c->db, err,
		     "UPDATE time_webhook_deliveries SET status = 'pending', next_attempt_at = clock_timestamp(),"
		     " max_attempts = CASE WHEN status = 'pending' THEN greatest(max_attempts, attempts + 1) ELSE attempts + 1 END,"
		     " lease_owner = NULL, lease_until = NULL,"
		     " updated_at = clock_timestamp() WHERE id = $1",
		     delivery_id) ||
	    !DB_EXEC(c->db, err, "SELECT pg_notify('time_events', $1)", c->actor->workspace_id))
		goto done;
	json_t *changes = json_pack("{s:s, s:{s:s, s:s}}", "delivery_id", delivery_id, "status", "from", was, "to", "pending");
	if (audit_record(c, "time_webhook.delivery_retried", "time_webhook", webhook_id, changes, err))
		out = fetch(c, webhook_id, delivery_id, err);
	json_decref(changes);
done:
	return tx_end(&u, out, false, err);
}

bool webhook_deliveries_test(core_ctx *c, const char *webhook_id, const char *lease_owner, char delivery_id[64],
			     err_t *err)
{
	tx_unit u;
	if (!webhooks_authorize(c, err) || !tx_begin(c, &u, err))
		return false;
	PGresult *r = NULL;
	if (webhooks_exists(c, webhook_id, err))
		r = DB_QUERY(c->db, err,
			     "WITH e AS (INSERT INTO time_webhook_events (id, workspace_id, event, payload, created_at)"
			     "  SELECT x.id, $1, $3, jsonb_build_object('id', x.id, 'event', $3::text, 'workspace_id', $1::text,"
			     "   'data', jsonb_build_object('webhook_id', $2::text, 'message',"
			     "    'This is a test event from Workestra Time. Verify its signature with your secret.'),"
			     "   'timestamp', wt_iso(x.at)), x.at"
			     "  FROM (SELECT wt_id('evt') AS id, clock_timestamp() AS at) x RETURNING id, created_at)"
			     " INSERT INTO time_webhook_deliveries (workspace_id, webhook_id, event_id, event, max_attempts,"
			     "  next_attempt_at, lease_owner, lease_until)"
			     " SELECT $1, $2, e.id, $3, 1, e.created_at, $4, e.created_at + interval '60 seconds' FROM e RETURNING id",
			     c->actor->workspace_id, webhook_id, WEBHOOK_TEST_EVENT, lease_owner);
	if (r) {
		snprintf(delivery_id, 64, "%s", PQgetvalue(r, 0, 0));
		PQclear(r);
	}
	json_t *done = tx_end(&u, r ? json_true() : NULL, false, err);
	bool ok = done != NULL;
	json_decref(done);
	return ok;
}

json_t *webhook_deliveries_replay(core_ctx *c, const char *webhook_id, json_t *body, err_t *err)
{
	static const char *const allowed[] = { "from", "to", NULL };
	const char *from, *to;
	double t0, t1;
	char cap[16];
	if (!webhooks_authorize(c, err) || !fields_only(body, allowed, err) ||
	    fields_string(body, "from", true, false, false, 40, &from, err) == FIELD_ERROR ||
	    fields_string(body, "to", true, false, false, 40, &to, err) == FIELD_ERROR)
		return NULL;
	if (!dates_parse_instant(from, &t0) || !dates_parse_instant(to, &t1)) {
		err_set(err, ERR_CODE_VALIDATION_FAILED,
			"'from' and 'to' must be ISO 8601 instants such as 2026-04-29T10:23:00Z");
		return NULL;
	}
	if (t1 <= t0) {
		err_set(err, ERR_CODE_VALIDATION_FAILED, "'to' must be after 'from'");
		return NULL;
	}
	snprintf(cap, sizeof cap, "%d", WEBHOOK_REPLAY_MAX);
	tx_unit u;
	if (!tx_begin(c, &u, err))
		return NULL;
	json_t *out = NULL;
	PGresult *r = NULL;
	/* As a manual retry of each: due at once with one more attempt, oldest
	 * first, the dispatcher woken; failed deliveries hold no lease. */
	if (webhooks_exists(c, webhook_id, err) &&
	    (r = DB_QUERY(c->db, err,
			  "WITH picked AS (SELECT d.id FROM time_webhook_deliveries d WHERE d.webhook_id = $1"
			  "  AND d.workspace_id = $2 AND d.status = 'failed' AND d.created_at >= $3::timestamptz"
			  "  AND d.created_at < $4::timestamptz ORDER BY d.created_at, d.id LIMIT $5::int FOR UPDATE),"
			  " queued AS (UPDATE time_webhook_deliveries d SET status = 'pending',"
			  "  next_attempt_at = clock_timestamp(), max_attempts = d.attempts + 1, lease_owner = NULL,"
			  "  lease_until = NULL, updated_at = clock_timestamp() FROM picked WHERE d.id = picked.id RETURNING d.id)"
			  " SELECT (SELECT count(*) FROM queued), EXISTS (SELECT 1 FROM time_webhook_deliveries d"
			  "  WHERE d.webhook_id = $1 AND d.status = 'failed' AND d.created_at >= $3::timestamptz"
			  "  AND d.created_at < $4::timestamptz AND d.id NOT IN (SELECT id FROM queued))",
			  webhook_id, c->actor->workspace_id, from, to, cap))) {
		long queued = atol(PQgetvalue(r, 0, 0));
		bool more = PQgetvalue(r, 0, 1)[0] == 't';
		PQclear(r);
		out = json_pack("{s:I, s:b, s:s, s:s}", "queued", (json_int_t)queued, "has_more", more, "from", from, "to", to);
		if (!DB_EXEC(c->db, err, "SELECT pg_notify('time_events', $1)", c->actor->workspace_id) ||
		    !audit_record(c, "time_webhook.deliveries_replayed", "time_webhook", webhook_id, out, err)) {
			json_decref(out);
			out = NULL;
		}
	}
	return tx_end(&u, out, false, err);
}
