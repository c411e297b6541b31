/* Saved report views: the summary report's parameters (a range), a name,
 * recipients and a schedule, emailed by the time-scheduled-reports cron.
 *
 * Who may do what:
 *  - Everyone may create views; a view is always owned by its creator, and
 *    the report is computed as the owner sees it (members: only their own
 *    time; managers and admins: the workspace).
 *  - A view owned by a member may only be sent to the member's own email
 *    address (one recipient), so a member cannot mail their time elsewhere;
 *    managers' and admins' views may go to up to 20 valid addresses.
 *  - Lists show the caller's own views; admins see every view of the
 *    workspace. Reading, changing and deleting: the owner or an admin;
 *    anybody else gets 404.
 * Changes are audited as time_saved_view.upserted / time_saved_view.deleted. */
#ifndef CORE_SAVED_VIEWS_H
#define CORE_SAVED_VIEWS_H
#include "core/ctx.h"
#include <jansson.h>

enum { SAVED_VIEWS_MAX_RECIPIENTS = 20 };

/* The page as JSON array text (malloc'd; store/query.h query_json_array), or NULL with err. */
char *saved_views_list(core_ctx *c, core_page *page, err_t *err);
json_t *saved_views_get(core_ctx *c, const char *id, err_t *err);
/* The mutations run in a unit of work (core/tx.h); dry_run rolls it back and
 * returns what they would return. */
json_t *saved_views_create(core_ctx *c, json_t *body, bool dry_run, err_t *err);
json_t *saved_views_update(core_ctx *c, const char *id, json_t *body, bool dry_run, err_t *err);
json_t *saved_views_delete(core_ctx *c, const char *id, bool dry_run, err_t *err);

/* Checks filters ({"range": "last_day" | "last_week" | "last_month"} or
 * {"range": "custom", "from": D, "to": D}) and, with today (YYYY-MM-DD, in
 * the workspace time zone), writes the report's range: the relative ranges
 * end yesterday (last_day: yesterday; last_week: the 7 days before today;
 * last_month: from the same day a month earlier, clamped to that month's
 * end, to yesterday); custom is its fixed from..to. today may be NULL to
 * validate only. */
bool saved_views_range(json_t *filters, const char *today, char from[11], char to[11], err_t *err);
/* The summary's by_user and by_project rows as RFC 4180 CSV (CRLF line ends,
 * text cells by csv_field: formulas neutralised, fields with a comma, quote,
 * CR or LF quoted, quotes doubled); malloc'd. */
char *saved_views_csv(json_t *summary);
/* Whether s is an acceptable recipient address (no spaces, controls, or
 * header-significant characters; local@domain.tld). */
bool saved_views_email_ok(const char *s);

#endif
