#include "app/config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

extern char **environ;

/* The value of name in env; NULL when absent or empty (empty counts as unset). */
static const char *lookup(char *const *env, const char *name)
{
	size_t n = strlen(name);
	for (char *const *e = env; e && *e; e++)
		if (!strncmp(*e, name, n) && (*e)[n] == '=')
			return (*e)[n + 1] ? *e + n + 1 : NULL;
	return NULL;
}

static bool invalid(err_t *err, const char *name, const char *value, const char *takes)
{
	return err_set(err, ERR_CODE_INVALID_CONFIG, "%s must be %s, not '%.64s'", name, takes, value);
}

/* A whole number from lo to hi (digits only), or def when unset. */
static bool number(char *const *env, const char *name, int def, int lo, int hi, int *out, err_t *err)
{
	const char *v = lookup(env, name);
	*out = def;
	if (!v)
		return true;
	char takes[96];
	snprintf(takes, sizeof takes, "a whole number from %d to %d", lo, hi);
	if (strspn(v, "0123456789") != strlen(v) || strlen(v) > 9)
		return invalid(err, name, v, takes);
	long n = strtol(v, NULL, 10);
	if (n < lo || n > hi)
		return invalid(err, name, v, takes);
	*out = (int)n;
	return true;
}

/* on/off, true/false, yes/no or 1/0 (any case), or def when unset. A value
 * that is none of these is refused rather than guessed: a typo must not
 * switch a guard off (or on). */
static bool flag(char *const *env, const char *name, bool def, bool *out, err_t *err)
{
	static const char *const yes[] = { "on", "true", "yes", "1" }, *const no[] = { "off", "false", "no", "0" };
	const char *v = lookup(env, name);
	*out = def;
	if (!v)
		return true;
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (!strcasecmp(v, yes[i]) || !strcasecmp(v, no[i])) {
			*out = !strcasecmp(v, yes[i]);
			return true;
		}
	}
	return invalid(err, name, v, "on or off (or true/false, yes/no, 1/0)");
}

/* Copies a value that must fit dst (size bytes) whole; secrets are not echoed. */
static bool copy(const char *name, const char *v, char *dst, size_t size, bool secret, err_t *err)
{
	if (strlen(v) >= size)
		return secret ? err_set(err, ERR_CODE_INVALID_CONFIG, "%s is longer than %zu characters", name,
					size - 1)
			      : invalid(err, name, v, "shorter");
	snprintf(dst, size, "%s", v);
	return true;
}

static bool log_level_of(char *const *env, log_level *out, err_t *err)
{
	static const struct {
		const char *name;
		log_level level;
	} levels[] = { { "debug", LOG_DEBUG }, { "info", LOG_INFO }, { "warn", LOG_WARN }, { "error", LOG_ERROR } };
	const char *v = lookup(env, "LOG_LEVEL");
	*out = LOG_INFO;
	if (!v)
		return true;
	for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
		if (!strcmp(v, levels[i].name)) {
			*out = levels[i].level;
			return true;
		}
	}
	return invalid(err, "LOG_LEVEL", v, "debug, info, warn or error");
}

static bool smtp_of(char *const *env, app_config *cfg, err_t *err)
{
	const char *url = lookup(env, "SMTP_URL"), *from = lookup(env, "SMTP_FROM");
	const char *user = lookup(env, "SMTP_USER"), *password = lookup(env, "SMTP_PASSWORD");
	cfg->smtp_on = url != NULL;
	if (!url)
		return true;
	/* the URL may carry credentials: never echoed */
	if (strncasecmp(url, "smtp://", 7) && strncasecmp(url, "smtps://", 8))
		return err_set(err, ERR_CODE_INVALID_CONFIG, "SMTP_URL must start with smtp:// or smtps://");
	return copy("SMTP_URL", url, cfg->smtp.url, sizeof cfg->smtp.url, true, err) &&
	       copy("SMTP_FROM", from ? from : "workestra-time@localhost", cfg->smtp.from, sizeof cfg->smtp.from, false,
		    err) &&
	       copy("SMTP_USER", user ? user : "", cfg->smtp.user, sizeof cfg->smtp.user, false, err) &&
	       copy("SMTP_PASSWORD", password ? password : "", cfg->smtp.password, sizeof cfg->smtp.password, true, err);
}

/* An http(s):// URL; plain http:// only when allow_http (the issuer and its
 * key set: WEBHOOK_ALLOW_PRIVATE, for tests). */
static bool url(const char *name, const char *v, bool allow_http, err_t *err)
{
	bool https = !strncasecmp(v, "https://", 8), http = !strncasecmp(v, "http://", 7);
	size_t scheme = https ? 8 : http ? 7 : 0;
	if ((https || (http && allow_http)) && v[scheme] && v[scheme] != '/' && !strpbrk(v, " \t\r\n"))
		return true;
	return invalid(err, name, v,
		       allow_http ? "an http:// or https:// URL" : "an https:// URL (http:// only with WEBHOOK_ALLOW_PRIVATE, for tests)");
}

static bool oauth_of(char *const *env, app_config *cfg, err_t *err)
{
	oauth_config *o = &cfg->oauth;
	memset(o, 0, sizeof *o);
	const char *issuer = lookup(env, "OAUTH_ISSUER");
	if (!issuer)
		return true;
	o->issuer = issuer;
	o->allow_private = cfg->allow_private;
	if (!url("OAUTH_ISSUER", issuer, cfg->allow_private, err))
		return false;
	if ((size_t)snprintf(cfg->oauth_resource, sizeof cfg->oauth_resource, "http://%s:%d/mcp", cfg->host, cfg->port) >=
	    sizeof cfg->oauth_resource)
		return invalid(err, "HOST", cfg->host, "shorter");
	const char *v;
	o->resource = (v = lookup(env, "OAUTH_RESOURCE")) ? v : cfg->oauth_resource;
	if (v && !url("OAUTH_RESOURCE", v, true, err))
		return false;
	o->audience = (v = lookup(env, "OAUTH_AUDIENCE")) ? v : o->resource;
	o->jwks_url = lookup(env, "OAUTH_JWKS_URL");
	if (o->jwks_url && !url("OAUTH_JWKS_URL", o->jwks_url, cfg->allow_private, err))
		return false;
	int refresh, ttl;
	if (!number(env, "OAUTH_JWKS_REFRESH_SECONDS", 30, 0, 86400, &refresh, err) ||
	    !number(env, "OAUTH_JWKS_TTL_SECONDS", 3600, 1, 604800, &ttl, err))
		return false;
	o->refresh_seconds = refresh;
	o->ttl_seconds = ttl;
	return true;
}

static bool ai_of(char *const *env, app_config *cfg, err_t *err)
{
	chat_model_config *m = &cfg->ai;
	m->base_url = lookup(env, "AI_BASE_URL");
	m->api_key = lookup(env, "AI_API_KEY");
	m->model = lookup(env, "AI_MODEL");
	cfg->ai_on = m->base_url && m->model;
	return (!m->base_url || url("AI_BASE_URL", m->base_url, true, err)) &&
	       number(env, "AI_CONNECT_TIMEOUT", 10, 1, 300, &m->connect_timeout_s, err) &&
	       number(env, "AI_TIMEOUT", 120, 1, 3600, &m->timeout_s, err) &&
	       number(env, "AI_IDLE_TIMEOUT", 30, 1, 3600, &m->idle_timeout_s, err) &&
	       number(env, "AI_MAX_RETRIES", 2, 0, 10, &m->max_retries, err) &&
	       number(env, "AI_MAX_RETRY_WAIT", 20, 0, 600, &m->max_retry_wait_s, err) &&
	       number(env, "AI_MAX_CHATS", 8, 1, 256, &cfg->ai_max_chats, err) &&
	       number(env, "AI_MAX_TOOL_ROUNDS", 8, 1, 50, &cfg->ai_max_rounds, err) &&
	       number(env, "AI_MAX_CONTEXT_BYTES", 200000, 4096, 10000000, &cfg->ai_max_context, err) &&
	       number(env, "AI_CHAT_RATE", 20, 1, 10000, &cfg->ai_rate_per_minute, err);
}

bool app_config_load(app_config *cfg, char *const *env, err_t *err)
{
	memset(cfg, 0, sizeof *cfg);
	const char *v;
	cfg->database_url = lookup(env, "DATABASE_URL");
	cfg->data_dir = (v = lookup(env, "WORKESTRA_DATA_DIR")) ? v : "var";
	cfg->data_dir_given = v != NULL;
	cfg->pg_bindir = lookup(env, "PG_BINDIR");
	cfg->path = lookup(env, "PATH");

	cfg->secret_key = lookup(env, "WORKESTRA_SECRET_KEY");
	if (cfg->secret_key && strlen(cfg->secret_key) < 16)
		return err_set(err, ERR_CODE_INVALID_CONFIG, "WORKESTRA_SECRET_KEY must be at least 16 characters");
	if ((v = lookup(env, "WORKESTRA_SECRET_KEY_FILE"))) {
		cfg->secret_key_file_given = true;
		if (!copy("WORKESTRA_SECRET_KEY_FILE", v, cfg->secret_key_file, sizeof cfg->secret_key_file, false, err))
			return false;
	} else if ((size_t)snprintf(cfg->secret_key_file, sizeof cfg->secret_key_file, "%s/secret_key", cfg->data_dir) >=
		   sizeof cfg->secret_key_file) {
		return invalid(err, "WORKESTRA_DATA_DIR", cfg->data_dir, "shorter");
	}
	cfg->jwt_secret = lookup(env, "WORKESTRA_JWT_SECRET");
	cfg->token = lookup(env, "WORKESTRA_TOKEN");
	cfg->token_file = lookup(env, "WORKESTRA_TOKEN_FILE");
	cfg->cron_secret = lookup(env, "CRON_SECRET");

	cfg->host = (v = lookup(env, "HOST")) ? v : "127.0.0.1";
	cfg->mcp_allowed_hosts = lookup(env, "MCP_ALLOWED_HOSTS");
#ifdef WT_TEST_BUILD
	cfg->test_mcp_token = lookup(env, "WT_TEST_MCP_TOKEN");
#endif
	return number(env, "PORT", 8080, 1, 65535, &cfg->port, err) &&
	       number(env, "WORKERS", 4, 1, 64, &cfg->workers, err) &&
	       number(env, "HTTP_MAX_CONNECTIONS", 10000, 1, 1000000, &cfg->max_connections, err) &&
	       number(env, "HTTP_MAX_CONNECTIONS_PER_IP", 256, 0, 1000000, &cfg->max_connections_per_ip, err) &&
	       number(env, "HTTP_HEADER_TIMEOUT", 10, 1, 3600, &cfg->header_timeout_s, err) &&
	       number(env, "HTTP_BODY_TIMEOUT", 10, 1, 3600, &cfg->body_timeout_s, err) &&
	       number(env, "HTTP_IDLE_TIMEOUT", 30, 1, 3600, &cfg->idle_timeout_s, err) &&
	       number(env, "WEBHOOK_SECRET_OVERLAP_HOURS", 24, 0, 720, &cfg->webhook_secret_overlap_hours, err) &&
	       number(env, "RATE_LIMIT_PER_TOKEN", 600, 0, 1000000, &cfg->rate_limit_per_token, err) &&
	       number(env, "RATE_LIMIT_PER_WORKSPACE", 3000, 0, 1000000, &cfg->rate_limit_per_workspace, err) &&
	       flag(env, "WEBHOOK_DISPATCHER", true, &cfg->webhook_dispatcher, err) &&
	       flag(env, "SCHEDULER", true, &cfg->scheduler, err) && flag(env, "METRICS", false, &cfg->metrics, err) &&
	       flag(env, "WEBHOOK_ALLOW_PRIVATE", false, &cfg->allow_private, err) && smtp_of(env, cfg, err) &&
	       log_level_of(env, &cfg->log_level, err) && oauth_of(env, cfg, err) && ai_of(env, cfg, err);
}

bool app_config_from_environment(app_config *cfg, err_t *err)
{
	return app_config_load(cfg, environ, err);
}
