/* Time entries: manual entries and the entries timers make. Every rule about
 * what an entry may be lives here; REST, AI tools and crons call these. */
#ifndef CORE_ENTRIES_H
#define CORE_ENTRIES_H
#include "core/ctx.h"
#include <jansson.h>

enum { ENTRY_MAX_SECONDS = 24 * 3600, ENTRY_MAX_DESCRIPTION = 2000, ENTRY_CSV_MAX_ROWS = 50000 };

/* A validated entry, as it would be written. Strings are borrowed from the
 * request body or held in the fixed buffers. */
typedef struct {
	const char *entity_type;
	char entity_id[64];      /* "" when none */
	char project_id[64];     /* "" when none; filled from a task, ticket or project */
	const char *description; /* never NULL */
	char description_buf[512]; /* a conversation's subject, when taken from it */
	char log_date[11];       /* "" when not given (timers derive it) */
	long seconds;            /* -1 when not given */
	bool billable;
	char user_id[64];        /* whose entry */
	char calendar_event_id[64]; /* the event it was converted from, or "" */
} entry_input;

typedef struct {
	const char *entity_type, *entity_id, *project_id, *user_id, *status, *from, *to; /* NULL: any */
	const char *updated_since; /* an ISO 8601 instant: a sync read (core/listing.h), tombstones included */
	int billable; /* -1 any, 0 or 1 */
} entries_filter;

typedef enum {
	ENTRY_MANUAL, /* needs log_date and hours */
	ENTRY_TIMER,  /* neither: a timer starts now */
	ENTRY_PATCH,  /* hours optional */
} entry_kind;

/* Validates body (fields, types, ranges, that referenced records exist in the
 * workspace, permission to log for user_id) without writing anything. */
bool entries_prepare(core_ctx *c, json_t *body, entry_kind kind, entry_input *in, err_t *err);

/* The others return a new reference, or NULL with err set. The mutations run in a
 * unit of work (core/tx.h), nested in c's when one is open; with dry_run they
 * run every check and write and roll back, returning what they would return. */
/* A page of the list: its rows as the text of a JSON array (malloc'd, as
 * store/query.h query_json_array writes it), or NULL with err set. */
char *entries_list(core_ctx *c, const entries_filter *f, core_page *page, err_t *err);
json_t *entries_get(core_ctx *c, const char *id, err_t *err);
/* The entries f selects (the list's filters and order, no paging) as CSV:
 * UTF-8, a header row, CRLF lines, every cell through csv_field (quoted as
 * needed, formulas neutralised). At most ENTRY_CSV_MAX_ROWS rows: beyond,
 * 422 export_too_large rather than a file cut short. *out is malloc'd. */
bool entries_export_csv(core_ctx *c, const entries_filter *f, char **out, size_t *len, err_t *err);
json_t *entries_create(core_ctx *c, json_t *body, bool dry_run, err_t *err);
json_t *entries_update(core_ctx *c, const char *id, json_t *body, bool dry_run, err_t *err);
/* Soft delete; returns the entry as it was. */
json_t *entries_delete(core_ctx *c, const char *id, bool dry_run, err_t *err);

/* For the timer and other core modules, inside an open unit of work. */
json_t *entries_fetch(core_ctx *c, const char *id, err_t *err);
/* Inserts a validated entry into timesheet ts_id, with the rate in force
 * snapshotted; running: started now, no duration. Returns the new id in id_out (64 bytes). */
bool entries_insert(core_ctx *c, const entry_input *in, const char *ts_id, bool running, const char *source,
		    char id_out[64], err_t *err);

#endif
