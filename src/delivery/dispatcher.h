/* The webhook dispatcher inside `serve`: one thread with its own database
 * connections, woken at once by NOTIFY time_events (LISTEN on a dedicated
 * PGconn) and polling every few seconds as a fallback (retries coming due, a
 * lost LISTEN connection). It never touches the HTTP loop or its workers. */
#ifndef DELIVERY_DISPATCHER_H
#define DELIVERY_DISPATCHER_H
#include "delivery/pump.h"

typedef struct dispatcher dispatcher_t;

/* Starts the thread; conninfo and cfg are copied. NULL when it cannot start. */
dispatcher_t *dispatcher_start(const char *conninfo, const pump_config *cfg);
/* Stops the thread: transfers in flight are abandoned and their leases given
 * back (another process, or the next start, sends them). Frees d. */
void dispatcher_stop(dispatcher_t *d);

#endif
