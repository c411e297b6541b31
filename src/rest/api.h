/* The application behind the HTTP server: health checks and the public REST
 * API under /api/v1. Each worker thread gets its own state (a database
 * connection); requests are routed, authenticated, run through the core and
 * answered in the v1 envelope. */
#ifndef REST_API_H
#define REST_API_H
#include "core/confirm.h"
#include "delivery/oauth_keys.h"
#include "delivery/smtp.h"
#include "http/workers.h"
#include <stdbool.h>

typedef struct {
	const char *database_url; /* libpq connection string */
	const char *jwt_secret;   /* NULL: session JWTs are refused */
	bool migrated;            /* false: the first request that reaches the database migrates */
	confirm_key confirm;      /* signs AI confirmation tokens */
	const char *cron_secret;  /* NULL: every /api/cron endpoint answers 404 */
	const smtp_config *smtp;  /* NULL: cron emails stay in the outbox */
	bool metrics;             /* METRICS=on: GET /metrics answers (no auth: never expose it publicly) */
	const oauth_config *oauth; /* NULL: /mcp takes no OAuth access tokens */
	oauth_keys *oauth_keys;    /* the issuer's keys (with oauth) */
} api_config;

/* An http_app whose app pointer is cfg (which must outlive the server). */
http_app api_app(const api_config *cfg);

#endif
