#include "delivery/mailer.h"
#include <stdio.h>

/* Claims the next row not yet tried in this flush (started at since). */
static PGresult *claim(db_t *db, const char *since, err_t *err)
{
	return db_query(db, err,
			"SELECT id, to_address, subject, body_text, body_html, attachment_name, attachment_type, attachment"
			" FROM email_outbox WHERE status = 'pending' AND (last_attempt_at IS NULL OR last_attempt_at < $1::timestamptz)"
			" ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED",
			1, since);
}

bool mailer_flush(db_t *db, const smtp_config *cfg, long *sent, long *failed, err_t *err)
{
	PGresult *r = db_query(db, err, "SELECT clock_timestamp()::text", 0);
	if (!r)
		return false;
	char since[64];
	snprintf(since, sizeof since, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	for (int i = 0; i < MAILER_MAX_PER_FLUSH; i++) {
		if (!db_begin(db, err))
			return false;
		if (!(r = claim(db, since, err))) {
			db_rollback(db);
			return false;
		}
		if (PQntuples(r) == 0) {
			PQclear(r);
			db_rollback(db);
			return true;
		}
		smtp_message m = {
			.to = db_value(r, 0, 1), .subject = db_value(r, 0, 2), .text = db_value(r, 0, 3),
			.html = db_value(r, 0, 4), .attachment_name = db_value(r, 0, 5),
			.attachment_type = db_value(r, 0, 6), .attachment = db_value(r, 0, 7),
		};
		err_t send_err = { 0 };
		bool ok = smtp_send(cfg, &m, &send_err);
		char max[8];
		snprintf(max, sizeof max, "%d", MAILER_MAX_ATTEMPTS);
		bool marked = ok ? db_exec(db, err,
					   "UPDATE email_outbox SET status = 'sent', sent_at = clock_timestamp(), attempts = attempts + 1,"
					   " last_attempt_at = clock_timestamp(), last_error = NULL WHERE id = $1",
					   1, PQgetvalue(r, 0, 0))
				 : db_exec(db, err,
					   "UPDATE email_outbox SET attempts = attempts + 1, last_attempt_at = clock_timestamp(),"
					   " last_error = $2, status = CASE WHEN attempts + 1 >= $3::int THEN 'failed' ELSE 'pending' END"
					   " WHERE id = $1",
					   3, PQgetvalue(r, 0, 0), send_err.message, max);
		PQclear(r);
		if (!marked || !db_commit(db, err)) {
			db_rollback(db);
			return false;
		}
		*(ok ? sent : failed) += 1;
	}
	return true;
}
