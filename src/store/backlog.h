/* The outboxes' backlogs, counted on demand (a /metrics scrape) rather than
 * kept up to date on every write. Both counts use the partial indexes on
 * status = 'pending', so they stay cheap while the backlog is small, which is
 * when nobody is worried. */
#ifndef STORE_BACKLOG_H
#define STORE_BACKLOG_H
#include "store/db.h"

/* Webhook deliveries and emails still pending (retries waiting included). */
bool backlog_pending(db_t *db, long *webhooks, long *emails, err_t *err);

#endif
