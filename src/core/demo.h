/* Demo data: a small agency's customers, projects, tickets, deals, hiring
 * pipeline, calendar, inbox and a draft invoice, linked the way the time
 * integrations expect, so a fresh workspace has something to track time on. */
#ifndef CORE_DEMO_H
#define CORE_DEMO_H
#include "store/db.h"
#include <jansson.h>

/* Seeds a realistic set of linked records of the other Workestra modules into
 * workspace_id, for demos and manual testing. Returns a new JSON object keyed
 * projects, tasks, tickets, deals, contacts, candidates, calendar_events,
 * conversations, invoices, employees: each a list of objects with at least "id"
 * (plus a name/title/subject field). NULL with err set on failure. One transaction.
 *
 * Seeding twice adds a second set of records rather than failing: invoice
 * numbers get a suffix, and users that already have an employees row keep it
 * (the "employees" list always shows every employee of the workspace). */
json_t *demo_seed(db_t *db, const char *workspace_id, err_t *err);

#endif
