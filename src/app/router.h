/* The front router behind the HTTP server (see router.c). */
#ifndef APP_ROUTER_H
#define APP_ROUTER_H
#include "app/config.h"
#include "app/oauth.h"
#include "core/confirm.h"
#include "http/workers.h"
#include <stdbool.h>

typedef struct {
	const app_config *config; /* read once at start */
	const char *database_url; /* the connection string in use: DATABASE_URL's or the embedded cluster's */
	bool migrated;            /* false: the first request that reaches the database migrates */
	confirm_key confirm;      /* signs AI confirmation tokens */
	app_oauth oauth;          /* /mcp's OAuth access tokens (oauth.config NULL: off) */
	struct chat_runner *chat; /* the AI chat's threads (rest/chat_runner.h) */
} router_config;

/* An http_app whose app pointer is cfg (which must outlive the server). */
http_app router_app(const router_config *cfg);

#endif
