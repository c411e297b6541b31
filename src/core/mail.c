#include "core/mail.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool mail_enqueue(core_ctx *c, const mail_message *m, bool *queued, err_t *err)
{
	PGresult *r = DB_QUERY(c->db, err,
			       "INSERT INTO email_outbox (workspace_id, to_address, subject, body_text, body_html,"
			       " attachment_name, attachment_type, attachment, dedupe_key)"
			       " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
			       " ON CONFLICT (workspace_id, dedupe_key) DO NOTHING RETURNING id",
			       c->actor->workspace_id, m->to, m->subject, m->text, m->html, m->attachment_name,
			       m->attachment_type, m->attachment, m->dedupe_key);
	if (!r)
		return false;
	*queued = PQntuples(r) == 1;
	PQclear(r);
	return true;
}

char *mail_html_escape(const char *text)
{
	size_t n = 1;
	for (const char *p = text; *p; p++)
		n += *p == '&' ? 5 : (*p == '<' || *p == '>') ? 4 : (*p == '"' || *p == '\'') ? 6 : 1;
	char *out = malloc(n), *o = out;
	if (!out)
		abort();
	for (const char *p = text; *p; p++) {
		const char *rep = *p == '&' ? "&amp;" : *p == '<' ? "&lt;" : *p == '>' ? "&gt;" : *p == '"' ? "&quot;"
				: *p == '\'' ? "&#39;" : NULL;
		if (rep) {
			memcpy(o, rep, strlen(rep));
			o += strlen(rep);
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	return out;
}

bool mail_flush_clock(db_t *db, char since[64], err_t *err)
{
	PGresult *r = DB_QUERY(db, err, "SELECT clock_timestamp()::text");
	if (!r)
		return false;
	snprintf(since, 64, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return true;
}

bool mail_claim(db_t *db, const char *since, mail_claimed *out, bool *found, err_t *err)
{
	memset(out, 0, sizeof *out);
	PGresult *r = DB_QUERY(db, err,
			       "SELECT id, to_address, subject, body_text, body_html, attachment_name, attachment_type, attachment"
			       " FROM email_outbox WHERE status = 'pending' AND (last_attempt_at IS NULL OR last_attempt_at < $1::timestamptz)"
			       " ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED",
			       since);
	if (!r)
		return false;
	*found = PQntuples(r) == 1;
	if (!*found) {
		PQclear(r);
		return true;
	}
	*out = (mail_claimed){ r,
			       db_value(r, 0, 0), db_value(r, 0, 1), db_value(r, 0, 2), db_value(r, 0, 3),
			       db_value(r, 0, 4), db_value(r, 0, 5), db_value(r, 0, 6), db_value(r, 0, 7) };
	return true;
}

void mail_claimed_free(mail_claimed *m)
{
	PQclear(m->res);
	memset(m, 0, sizeof *m);
}

bool mail_mark(db_t *db, const char *id, const char *error, int max_attempts, err_t *err)
{
	char max[16];
	snprintf(max, sizeof max, "%d", max_attempts);
	if (!error)
		return DB_EXEC(db, err,
			       "UPDATE email_outbox SET status = 'sent', sent_at = clock_timestamp(), attempts = attempts + 1,"
			       " last_attempt_at = clock_timestamp(), last_error = NULL WHERE id = $1",
			       id);
	return DB_EXEC(db, err,
		       "UPDATE email_outbox SET attempts = attempts + 1, last_attempt_at = clock_timestamp(),"
		       " last_error = $2, status = CASE WHEN attempts + 1 >= $3::int THEN 'failed' ELSE 'pending' END"
		       " WHERE id = $1",
		       id, error, max);
}
