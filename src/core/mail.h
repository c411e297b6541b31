/* Email as the core decides it: a message is written to email_outbox inside
 * the deciding transaction; delivery (SMTP, when configured) happens later in
 * delivery/mailer, so a rollback sends nothing and a crash loses nothing. */
#ifndef CORE_MAIL_H
#define CORE_MAIL_H
#include "core/ctx.h"

typedef struct {
	const char *to;
	const char *subject;
	const char *text;            /* text/plain body */
	const char *html;            /* text/html body */
	const char *attachment_name; /* NULL: no attachment */
	const char *attachment_type; /* e.g. text/csv */
	const char *attachment;      /* its content (text) */
	const char *dedupe_key;      /* NULL: always queued; else once per workspace */
} mail_message;

/* Queues m for the actor's workspace; *queued is false when dedupe_key was
 * queued before (nothing written). */
bool mail_enqueue(core_ctx *c, const mail_message *m, bool *queued, err_t *err);
/* Escapes text for HTML element content and attribute values (malloc'd). */
char *mail_html_escape(const char *text);


/* The sending side of the outbox (delivery/mailer.c runs it, one row per
 * transaction). A claimed row: its fields point into res, owned here. */
typedef struct {
	PGresult *res;
	const char *id, *to, *subject, *text, *html, *attachment_name, *attachment_type, *attachment;
} mail_claimed;

/* The database's clock now: rows tried after it are left for the next flush. */
bool mail_flush_clock(db_t *db, char since[64], err_t *err);
/* Inside an open transaction: locks the next pending row not tried since
 * (FOR UPDATE SKIP LOCKED, so instances share the work). *found false when
 * none is left. Free with mail_claimed_free. */
bool mail_claim(db_t *db, const char *since, mail_claimed *out, bool *found, err_t *err);
void mail_claimed_free(mail_claimed *m);
/* Records an attempt: sent when error is NULL, else pending again or failed
 * after max_attempts. */
bool mail_mark(db_t *db, const char *id, const char *error, int max_attempts, err_t *err);

#endif
