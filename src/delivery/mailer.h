/* Delivers the email outbox over SMTP: each pending row is claimed (FOR
 * UPDATE SKIP LOCKED, so several instances share the work), sent, and marked
 * sent, or retried on a later flush up to MAILER_MAX_ATTEMPTS. */
#ifndef DELIVERY_MAILER_H
#define DELIVERY_MAILER_H
#include "delivery/smtp.h"
#include "store/db.h"

enum { MAILER_MAX_ATTEMPTS = 5, MAILER_MAX_PER_FLUSH = 1000 };

/* Tries each pending row once; adds to *sent and *failed (attempts that
 * failed). false with err only when the database fails. */
bool mailer_flush(db_t *db, const smtp_config *cfg, long *sent, long *failed, err_t *err);

#endif
