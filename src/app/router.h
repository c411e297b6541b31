/* The front router behind the HTTP server (see router.c). */
#ifndef APP_ROUTER_H
#define APP_ROUTER_H
#include "core/confirm.h"
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
} router_config;

/* An http_app whose app pointer is cfg (which must outlive the server). */
http_app router_app(const router_config *cfg);

#endif
