/* The HTTP trigger of the cron jobs (see cron_api.c). */
#ifndef CRON_CRON_API_H
#define CRON_CRON_API_H
#include "rest/api.h"
#include "store/db.h"
#include <jansson.h>

#define CRON_API_PREFIX "/api/cron/"

/* Answers a request under CRON_API_PREFIX: returns the HTTP status and sets
 * *body (a new reference) to the run ({data}) or an error envelope. */
int cron_api_handle(const api_config *cfg, db_t *db, const http_request *req, json_t **body);

#endif
