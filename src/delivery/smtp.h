/* Sends one email over SMTP with libcurl: a multipart/alternative body
 * (plain text and HTML) and an optional attachment. Configured by app/config
 * from SMTP_URL (smtp://host:port or smtps://...), SMTP_FROM (the sender,
 * "Name <addr>" or addr), SMTP_USER and SMTP_PASSWORD (optional). */
#ifndef DELIVERY_SMTP_H
#define DELIVERY_SMTP_H
#include "util/err.h"
#include <stdbool.h>

typedef struct {
	char url[512];
	char from[320];
	char user[256];
	char password[256];
} smtp_config;

typedef struct {
	const char *to, *subject, *text, *html;
	const char *attachment_name, *attachment_type, *attachment; /* name NULL: none */
} smtp_message;

/* Sends m; false with err (code smtp_failed and curl's reason) on failure. */
bool smtp_send(const smtp_config *cfg, const smtp_message *m, err_t *err);

#endif
