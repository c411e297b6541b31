/* The records of the caller's workspace that time can be logged on (tasks,
 * tickets, deals, candidates, calendar events, conversations, projects),
 * found by words of their title, most recent first. The AI tool
 * find_work_items answers with it, so a model can turn "the Acme onboarding
 * task" into the entity_type and entity_id that log_time_entry needs. */
#ifndef CORE_WORK_ITEMS_H
#define CORE_WORK_ITEMS_H
#include "core/ctx.h"
#include <jansson.h>

enum { WORK_ITEMS_MAX_LIMIT = 50, WORK_ITEMS_DEFAULT_LIMIT = 10 };

typedef struct {
	const char *query; /* words, all of which must appear (case-insensitive) in the
			      record's title, its project's name or its customer's name;
			      NULL or blank: every record */
	json_t *types;     /* array of entity type strings, or NULL for all */
	long limit;        /* 1..WORK_ITEMS_MAX_LIMIT; 0: the default */
} work_items_query;

/* {items: [{id, type, title, project: {id, name}|null, customer: {id, name}|null,
 * updated_at}], total}: records matching q, a record with every word in its own
 * title before one matched only through its project or customer, then the most
 * recent first (created, or last logged on by the caller). Calendar events are
 * the caller's own (a manager's or admin's: the team's too). New reference;
 * NULL with err set (validation_failed for a bad type or limit). */
json_t *work_items_find(core_ctx *c, const work_items_query *q, err_t *err);

#endif
