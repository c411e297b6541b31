/* The web console's door: the static pages and scripts compiled into the
 * binary from web/ (and schemas/openapi.json), served at "/", "/time/...",
 * "/assets/NAME" and "/openapi.json" with their content type, an ETag
 * (If-None-Match answers 304) and the security headers. The pages call the
 * public REST API with the person's own credentials; this door reads no
 * credentials and touches no database. */
#ifndef WEB_CONSOLE_H
#define WEB_CONSOLE_H
#include "http/message.h"
#include <stdbool.h>

/* The Content-Security-Policy of every console answer: scripts, styles and
 * connections from this origin only; no inline script or style attribute,
 * no frames, no plugins, no form posts elsewhere. */
#define CONSOLE_CSP                                                                                          \
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self';"  \
	" manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

/* Whether path is the console's: "/", "/time" and below, "/assets/..." and
 * "/openapi.json". */
bool console_owns(const char *path);
/* Answers req (GET or HEAD; other methods 405). "/", "/time" and any path
 * below it are the single page (the page's own router shows what the path
 * names, or says it knows no such page); an unknown asset is a JSON 404. */
void console_handle(const http_request *req, http_response *resp);

#endif
