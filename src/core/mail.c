#include "core/mail.h"
#include <stdlib.h>
#include <string.h>

bool mail_enqueue(core_ctx *c, const mail_message *m, bool *queued, err_t *err)
{
	PGresult *r = db_query(c->db, err,
			       "INSERT INTO email_outbox (workspace_id, to_address, subject, body_text, body_html,"
			       " attachment_name, attachment_type, attachment, dedupe_key)"
			       " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
			       " ON CONFLICT (workspace_id, dedupe_key) DO NOTHING RETURNING id",
			       9, c->actor->workspace_id, m->to, m->subject, m->text, m->html, m->attachment_name,
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
