#include "store/backlog.h"
#include <stdlib.h>

bool backlog_pending(db_t *db, long *webhooks, long *emails, err_t *err)
{
	PGresult *r = DB_QUERY(db, err,
			       "SELECT (SELECT count(*) FROM time_webhook_deliveries WHERE status = 'pending'),"
			       " (SELECT count(*) FROM email_outbox WHERE status = 'pending')");
	if (!r)
		return false;
	*webhooks = atol(PQgetvalue(r, 0, 0));
	*emails = atol(PQgetvalue(r, 0, 1));
	PQclear(r);
	return true;
}
