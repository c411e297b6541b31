/* The invoice bridge: "Pull from time" on a draft invoice (and, later, the
 * convert_time_to_invoice_lines AI tool). It turns approved, billable, not yet
 * invoiced entries into invoice lines and marks each entry with its line, so
 * no entry is ever billed twice, also when two pulls run at the same time. */
#ifndef CORE_INVOICING_H
#define CORE_INVOICING_H
#include "core/ctx.h"
#include <jansson.h>

/* body: {from, to (dates, required), project_id?, contact_id?,
 * group_by? (project|task|user|entry, default project)}.
 * Pro only (402), managers and admins only (403); the invoice must be a draft
 * of the workspace (404, 409 invoice_not_draft); a running timer in the range
 * is refused (409 timer_running).
 *
 * Only entries in the invoice's currency are taken; the others are reported
 * under "skipped". Nothing to bill is not an error: the lines come back empty.
 *
 * Returns {invoice_id, preview (= dry_run), currency, group_by, from, to,
 * lines[], entry_count, total_seconds, total_hours, total_amount, skipped[]};
 * each line is {id (not in a dry run), description, seconds, hours,
 * unit_amount, amount, currency, entry_count, entry_ids}. The lines, the
 * entries' invoice_line_id, one time_entry.invoiced event per entry and the
 * invoice.lines_filled_from_time audit row commit together, in a unit of work
 * (core/tx.h); a dry run (the preview) writes them all and rolls back. */
json_t *invoicing_pull_from_time(core_ctx *c, const char *invoice_id, json_t *body, bool dry_run, err_t *err);

#endif
