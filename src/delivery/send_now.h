/* Sends one already-leased delivery at once on the calling thread (libcurl
 * easy) and records the attempt: the Test button, run on a REST worker
 * thread, never on the HTTP event loop. */
#ifndef DELIVERY_SEND_NOW_H
#define DELIVERY_SEND_NOW_H
#include "store/db.h"
#include <stdbool.h>

/* false with err set when the delivery is not leased to lease or recording
 * failed; the attempt's own outcome (delivered or not) is in the log. */
bool delivery_send_now(db_t *db, const char *delivery_id, const char *lease, bool allow_private, err_t *err);

#endif
