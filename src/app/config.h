/* The configuration of workestra-time: every environment variable the
 * program reads, read once at start, checked, and passed down from here in
 * this struct (or the parts a layer needs). Nothing else in src/ reads the
 * environment. */
#ifndef APP_CONFIG_H
#define APP_CONFIG_H
#include "delivery/chat_model.h"
#include "delivery/oauth_keys.h"
#include "delivery/smtp.h"
#include "util/err.h"
#include "util/log.h"
#include <stdbool.h>

typedef struct {
	/* the database */
	const char *database_url; /* DATABASE_URL; NULL: the embedded cluster */
	const char *data_dir;     /* WORKESTRA_DATA_DIR, default var (mcp: found, see app_mcp_prepare) */
	bool data_dir_given;      /* WORKESTRA_DATA_DIR is set */
	const char *pg_bindir;    /* PG_BINDIR; NULL: /usr/lib/postgresql/<version>/bin, then PATH */
	const char *path;         /* PATH, where the PostgreSQL programs are looked for last */

	/* secrets and credentials */
	const char *secret_key;     /* WORKESTRA_SECRET_KEY (16 characters or more); NULL: the key file */
	char secret_key_file[1024]; /* WORKESTRA_SECRET_KEY_FILE, default <data_dir>/secret_key */
	bool secret_key_file_given; /* WORKESTRA_SECRET_KEY_FILE is set */
	const char *jwt_secret;     /* WORKESTRA_JWT_SECRET; NULL: session JWTs are refused */
	const char *token;          /* WORKESTRA_TOKEN: the API token `mcp` acts with */
	const char *token_file;     /* WORKESTRA_TOKEN_FILE: a file (owner-only) holding it, when WORKESTRA_TOKEN is unset */
	const char *cron_secret;    /* CRON_SECRET; NULL: every /api/cron endpoint answers 404 */

	/* serve */
	const char *host;           /* HOST, default 127.0.0.1 */
	int port;                   /* PORT, 1 to 65535, default 8080 */
	int workers;                /* WORKERS, 1 to 64, default 4 */
	int max_connections;        /* HTTP_MAX_CONNECTIONS, default 10000 */
	int max_connections_per_ip; /* HTTP_MAX_CONNECTIONS_PER_IP, default 256; 0: no cap */
	int header_timeout_s;       /* HTTP_HEADER_TIMEOUT, seconds, default 10 */
	int body_timeout_s;         /* HTTP_BODY_TIMEOUT, seconds, default 10 */
	int idle_timeout_s;         /* HTTP_IDLE_TIMEOUT, seconds, default 30 */
	bool webhook_dispatcher;    /* WEBHOOK_DISPATCHER, default on */
	int webhook_secret_overlap_hours; /* WEBHOOK_SECRET_OVERLAP_HOURS (0-720), default 24 */
	bool scheduler;             /* SCHEDULER, default on */
	bool metrics;               /* METRICS, default off: GET /metrics has no auth */
	bool allow_private;         /* WEBHOOK_ALLOW_PRIVATE, default off (tests and local development) */
	int rate_limit_per_token;      /* RATE_LIMIT_PER_TOKEN, requests per minute per credential, default 600; 0: none */
	int rate_limit_per_workspace;  /* RATE_LIMIT_PER_WORKSPACE, requests per minute per workspace, default 3000; 0: none */
	const char *mcp_allowed_hosts; /* MCP_ALLOWED_HOSTS, comma-separated; NULL: the localhost names only */
	const char *test_mcp_token;    /* WT_TEST_MCP_TOKEN, read by test builds only (make test-conformance) */

	/* /mcp as an OAuth 2.1 resource server: oauth.issuer NULL (OAUTH_ISSUER
	 * unset) leaves it off and the other OAUTH_* variables unread.
	 * OAUTH_ISSUER: an https:// URL (http:// only with WEBHOOK_ALLOW_PRIVATE);
	 * OAUTH_RESOURCE: this server's /mcp URL, an http(s):// URL, default
	 * http://HOST:PORT/mcp; OAUTH_AUDIENCE, default the resource;
	 * OAUTH_JWKS_URL: like OAUTH_ISSUER, default discovered from the issuer;
	 * OAUTH_JWKS_REFRESH_SECONDS 0 to 86400, default 30;
	 * OAUTH_JWKS_TTL_SECONDS 1 to 604800, default 3600. */
	oauth_config oauth;       /* resource points into oauth_resource when defaulted */
	char oauth_resource[512]; /* the default resource (a copy of cfg moves it: pass cfg by pointer) */

	/* the AI chat (POST /api/ai/chat): on when AI_BASE_URL and AI_MODEL are
	 * set. AI_BASE_URL an http(s):// URL (private addresses allowed: the
	 * operator's own server); AI_API_KEY (a secret); AI_CONNECT_TIMEOUT 1-300
	 * (10), AI_TIMEOUT 1-3600 (120), AI_IDLE_TIMEOUT 1-3600 (30) seconds;
	 * AI_MAX_RETRIES 0-10 (2), AI_MAX_RETRY_WAIT 0-600 (20) seconds;
	 * AI_MAX_CHATS 1-256 (8) turns at once; AI_MAX_TOOL_ROUNDS 1-50 (8);
	 * AI_MAX_CONTEXT_BYTES 4096-10000000 (200000); AI_CHAT_RATE 1-10000 (20)
	 * messages per user and minute. */
	bool ai_on;
	chat_model_config ai;
	int ai_max_chats, ai_max_rounds, ai_max_context, ai_rate_per_minute;

	/* mail */
	bool smtp_on;     /* SMTP_URL is set; otherwise email stays in the outbox */
	smtp_config smtp; /* SMTP_URL, SMTP_FROM (default workestra-time@localhost), SMTP_USER, SMTP_PASSWORD */

	log_level log_level; /* LOG_LEVEL: debug, info (default), warn or error */
} app_config;

/* Reads the configuration from env, a NULL-terminated list of "NAME=value"
 * strings like environ (which must outlive cfg: strings point into it). An
 * empty value counts as unset. false with err (invalid_config, naming the
 * variable, what it takes and, unless it is a secret, the value given) on
 * the first bad value. */
bool app_config_load(app_config *cfg, char *const *env, err_t *err);
/* The same from the process's environment. */
bool app_config_from_environment(app_config *cfg, err_t *err);

#endif
