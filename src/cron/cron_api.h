/* The HTTP trigger of the cron jobs (see cron_api.c). */
#ifndef CRON_CRON_API_H
#define CRON_CRON_API_H
#include "cron/cron.h"
#include "http/message.h"
#include "store/db.h"

#define CRON_API_PREFIX "/api/cron/"

typedef struct {
	db_t *db;             /* the worker's connection: the job runs on it */
	const char *secret;   /* CRON_SECRET; NULL: every cron endpoint answers 404 */
	const cron_env *cron; /* the lock connection and SMTP */
} cron_api_env;

/* Answers a request under CRON_API_PREFIX with the run ({data}) or an error
 * envelope (401 with a Bearer challenge when the secret is wrong). */
void cron_api_handle(const cron_api_env *env, const http_request *req, http_response *resp);

#endif
