/* Calendar import: the ICS feeds a user connects, and the imported events
 * ("ghost blocks") the time-calendar-refresh job keeps, listed for the timer's
 * calendar view and converted into entries on request. Everything here is the
 * caller's own: other users' connections and imports answer 404, even for
 * admins. */
#ifndef CORE_CALENDAR_IMPORT_H
#define CORE_CALENDAR_IMPORT_H
#include "core/ctx.h"
#include <jansson.h>

enum { CALENDAR_MAX_CONNECTIONS = 20, CALENDAR_MAX_URL = 2048 };

/* Whether url may be fetched: https always; http only when
 * netpolicy_allow_private() (WEBHOOK_ALLOW_PRIVATE: local development and
 * tests); file:// also then, but never from_client (a user must not make the
 * server read its files). The addresses are checked when the feed is fetched. */
bool calendar_url_allowed(const char *url, bool from_client, err_t *err);

/* The mutations below run in a unit of work (core/tx.h); dry_run rolls it
 * back and returns what they would return. */

json_t *calendar_connections_list(core_ctx *c, err_t *err);
/* body: {url, name?, enabled?}. */
json_t *calendar_connections_create(core_ctx *c, json_t *body, bool dry_run, err_t *err);
/* Deletes the connection and its unconverted imports (entries stay). */
json_t *calendar_connections_delete(core_ctx *c, const char *id, bool dry_run, err_t *err);

/* The caller's imports that are not cancelled, starting on the days [from,
 * to] in the workspace's time zone (either may be NULL), by start. */
json_t *calendar_imports_list(core_ctx *c, const char *from, const char *to, err_t *err);
/* Converts an import into an entry through calendar_convert: the import
 * becomes a calendar event of the user (made once, kept if the entry is later
 * deleted so converting again is possible), then an entry as for any event.
 * 409 already_converted the second time, 409 import_cancelled for a cancelled
 * one. body as calendar_convert_event's. */
json_t *calendar_imports_convert(core_ctx *c, const char *id, json_t *body, bool dry_run, err_t *err);

#endif
