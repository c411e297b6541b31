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

#endif
