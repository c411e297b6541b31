/* app/config: every variable's default, parsing, and the refusal of bad
 * values, naming the variable (and never echoing a secret). */
#include "app/config.h"
#include <criterion/criterion.h>
#include <string.h>

static bool load(app_config *cfg, err_t *err, char *const *env)
{
	memset(err, 0, sizeof *err);
	return app_config_load(cfg, env, err);
}

/* Loads env, which must be refused with a message that contains want. */
static void refused(char *const *env, const char *want)
{
	app_config cfg;
	err_t err;
	cr_assert_not(load(&cfg, &err, env), "%s was accepted", env[0]);
	cr_assert_str_eq(err_name(&err), "invalid_config");
	cr_assert(strstr(err.message, want), "'%s' does not say '%s'", err.message, want);
}

Test(config, defaults)
{
	char *env[] = { NULL };
	app_config c;
	err_t err;
	cr_assert(load(&c, &err, env), "%s", err.message);
	cr_assert_null(c.database_url);
	cr_assert_str_eq(c.data_dir, "var");
	cr_assert_str_eq(c.secret_key_file, "var/secret_key");
	cr_assert_null(c.secret_key);
	cr_assert_null(c.jwt_secret);
	cr_assert_null(c.cron_secret);
	cr_assert_null(c.token);
	cr_assert_null(c.token_file);
	cr_assert_not(c.data_dir_given);
	cr_assert_not(c.secret_key_file_given);
	cr_assert_null(c.oauth.issuer, "OAuth is off without OAUTH_ISSUER");
	cr_assert_str_eq(c.host, "127.0.0.1");
	cr_assert_eq(c.webhook_secret_overlap_hours, 24);
	cr_assert_eq(c.port, 8080);
	cr_assert_eq(c.workers, 4);
	cr_assert_eq(c.max_connections, 10000);
	cr_assert_eq(c.max_connections_per_ip, 256);
	cr_assert_eq(c.header_timeout_s, 10);
	cr_assert_eq(c.body_timeout_s, 10);
	cr_assert_eq(c.idle_timeout_s, 30);
	cr_assert_eq(c.rate_limit_per_token, 600);
	cr_assert_eq(c.rate_limit_per_workspace, 3000);
	cr_assert(c.webhook_dispatcher);
	cr_assert(c.scheduler);
	cr_assert_not(c.metrics);
	cr_assert_not(c.allow_private);
	cr_assert_not(c.smtp_on);
	cr_assert_null(c.mcp_allowed_hosts);
	cr_assert_eq(c.log_level, LOG_INFO);
}

Test(config, values_are_read)
{
	char *env[] = { "DATABASE_URL=postgresql:///x", "WORKESTRA_DATA_DIR=/srv/wt", "PORT=9090", "HOST=0.0.0.0",
			"WORKERS=8", "CRON_SECRET=s3cret", "WORKESTRA_SECRET_KEY=0123456789abcdef",
			"WEBHOOK_DISPATCHER=off", "SCHEDULER=false", "METRICS=on", "WEBHOOK_ALLOW_PRIVATE=Yes",
			"HTTP_MAX_CONNECTIONS_PER_IP=0", "LOG_LEVEL=warn", "MCP_ALLOWED_HOSTS=a.example,b.example:8443",
			"SMTP_URL=smtp://127.0.0.1:2525", "SMTP_USER=u", "OTHER=ignored", NULL };
	app_config c;
	err_t err;
	cr_assert(load(&c, &err, env), "%s", err.message);
	cr_assert_str_eq(c.database_url, "postgresql:///x");
	cr_assert_str_eq(c.secret_key_file, "/srv/wt/secret_key");
	cr_assert_str_eq(c.secret_key, "0123456789abcdef");
	cr_assert_eq(c.port, 9090);
	cr_assert_str_eq(c.host, "0.0.0.0");
	cr_assert_eq(c.workers, 8);
	cr_assert_str_eq(c.cron_secret, "s3cret");
	cr_assert_not(c.webhook_dispatcher);
	cr_assert_not(c.scheduler);
	cr_assert(c.metrics);
	cr_assert(c.allow_private);
	cr_assert_eq(c.max_connections_per_ip, 0);
	cr_assert_eq(c.log_level, LOG_WARN);
	cr_assert_str_eq(c.mcp_allowed_hosts, "a.example,b.example:8443");
	cr_assert(c.smtp_on);
	cr_assert_str_eq(c.smtp.url, "smtp://127.0.0.1:2525");
	cr_assert_str_eq(c.smtp.from, "workestra-time@localhost");
	cr_assert_str_eq(c.smtp.user, "u");
	cr_assert_str_eq(c.smtp.password, "");
}

Test(config, empty_counts_as_unset)
{
	char *env[] = { "DATABASE_URL=", "PORT=", "CRON_SECRET=", "WEBHOOK_ALLOW_PRIVATE=", NULL };
	app_config c;
	err_t err;
	cr_assert(load(&c, &err, env), "%s", err.message);
	cr_assert_null(c.database_url);
	cr_assert_eq(c.port, 8080);
	cr_assert_null(c.cron_secret);
	cr_assert_not(c.allow_private);
}

Test(config, key_file_beats_the_data_folder)
{
	char *env[] = { "WORKESTRA_DATA_DIR=/srv/wt", "WORKESTRA_SECRET_KEY_FILE=/etc/wt/key", NULL };
	app_config c;
	err_t err;
	cr_assert(load(&c, &err, env), "%s", err.message);
	cr_assert_str_eq(c.secret_key_file, "/etc/wt/key");
}

Test(config, numbers_must_be_whole_and_in_range)
{
	refused((char *[]){ "PORT=abc", NULL }, "PORT must be a whole number from 1 to 65535, not 'abc'");
	refused((char *[]){ "PORT=0", NULL }, "PORT");
	refused((char *[]){ "PORT=65536", NULL }, "PORT");
	refused((char *[]){ "PORT=80 ", NULL }, "PORT");
	refused((char *[]){ "PORT=-1", NULL }, "PORT");
	refused((char *[]){ "WORKERS=0", NULL }, "WORKERS must be a whole number from 1 to 64");
	refused((char *[]){ "WORKERS=65", NULL }, "WORKERS");
	refused((char *[]){ "WORKERS=99999999999999999999", NULL }, "WORKERS");
	refused((char *[]){ "HTTP_MAX_CONNECTIONS=0", NULL }, "HTTP_MAX_CONNECTIONS");
	refused((char *[]){ "HTTP_HEADER_TIMEOUT=0", NULL }, "HTTP_HEADER_TIMEOUT");
	refused((char *[]){ "HTTP_BODY_TIMEOUT=1.5", NULL }, "HTTP_BODY_TIMEOUT");
	refused((char *[]){ "HTTP_IDLE_TIMEOUT=3601", NULL }, "HTTP_IDLE_TIMEOUT");
	refused((char *[]){ "RATE_LIMIT_PER_TOKEN=-1", NULL }, "RATE_LIMIT_PER_TOKEN must be a whole number from 0");
	refused((char *[]){ "RATE_LIMIT_PER_WORKSPACE=lots", NULL }, "RATE_LIMIT_PER_WORKSPACE");
}

Test(config, rate_limits_are_read_and_zero_turns_one_off)
{
	char *env[] = { "RATE_LIMIT_PER_TOKEN=0", "RATE_LIMIT_PER_WORKSPACE=120", NULL };
	app_config c;
	err_t err;
	cr_assert(load(&c, &err, env), "%s", err.message);
	cr_assert_eq(c.rate_limit_per_token, 0);
	cr_assert_eq(c.rate_limit_per_workspace, 120);
}

/* A typo must not switch a guard off, or on: it is refused. */
Test(config, switches_take_on_or_off_only)
{
	static const char *const on[] = { "1", "true", "yes", "on", "Yes", "ON" };
	static const char *const off[] = { "0", "false", "no", "off", "Off" };
	for (size_t i = 0; i < sizeof on / sizeof on[0]; i++) {
		char v[64];
		snprintf(v, sizeof v, "WEBHOOK_ALLOW_PRIVATE=%s", on[i]);
		char *env[] = { v, NULL };
		app_config c;
		err_t err;
		cr_assert(load(&c, &err, env), "%s", err.message);
		cr_assert(c.allow_private, "%s", v);
	}
	for (size_t i = 0; i < sizeof off / sizeof off[0]; i++) {
		char v[64];
		snprintf(v, sizeof v, "WEBHOOK_ALLOW_PRIVATE=%s", off[i]);
		char *env[] = { v, NULL };
		app_config c;
		err_t err;
		cr_assert(load(&c, &err, env), "%s", err.message);
		cr_assert_not(c.allow_private, "%s", v);
	}
	refused((char *[]){ "WEBHOOK_ALLOW_PRIVATE=of", NULL }, "WEBHOOK_ALLOW_PRIVATE must be on or off");
	refused((char *[]){ "METRICS=maybe", NULL }, "METRICS must be on or off");
	refused((char *[]){ "SCHEDULER=disabled", NULL }, "SCHEDULER");
	refused((char *[]){ "WEBHOOK_DISPATCHER=nope", NULL }, "WEBHOOK_DISPATCHER");
	refused((char *[]){ "WEBHOOK_SECRET_OVERLAP_HOURS=721", NULL }, "WEBHOOK_SECRET_OVERLAP_HOURS");
	refused((char *[]){ "WEBHOOK_SECRET_OVERLAP_HOURS=-1", NULL }, "WEBHOOK_SECRET_OVERLAP_HOURS");
}

Test(config, log_level_and_smtp)
{
	refused((char *[]){ "LOG_LEVEL=verbose", NULL }, "LOG_LEVEL must be debug, info, warn or error");
	refused((char *[]){ "SMTP_URL=http://mail.example", NULL }, "SMTP_URL must start with smtp:// or smtps://");
	char from[400] = "SMTP_FROM=";
	memset(from + strlen(from), 'a', 330);
	refused((char *[]){ "SMTP_URL=smtps://mail.example", from, NULL }, "SMTP_FROM");
}

Test(config, secrets_are_checked_but_never_echoed)
{
	refused((char *[]){ "WORKESTRA_SECRET_KEY=short-secret", NULL }, "WORKESTRA_SECRET_KEY must be at least 16 characters");
	char pw[400] = "SMTP_PASSWORD=";
	memset(pw + strlen(pw), 'p', 300);
	app_config c;
	err_t err;
	cr_assert_not(load(&c, &err, (char *[]){ "SMTP_URL=smtp://m.example", pw, NULL }));
	cr_assert(strstr(err.message, "SMTP_PASSWORD is longer than"), "%s", err.message);
	cr_assert_null(strstr(err.message, "ppp"));
	cr_assert_not(load(&c, &err, (char *[]){ "SMTP_URL=ftp://user:hunter2@m.example", NULL }));
	cr_assert_null(strstr(err.message, "hunter2"));
	cr_assert_not(load(&c, &err, (char *[]){ "WORKESTRA_SECRET_KEY=hunter2", NULL }));
	cr_assert_null(strstr(err.message, "hunter2"));
}

Test(config, token_file_and_what_was_given)
{
	char *env[] = { "WORKESTRA_TOKEN_FILE=/home/me/.wt-token", "WORKESTRA_DATA_DIR=/srv/wt",
			"WORKESTRA_SECRET_KEY_FILE=/etc/wt/key", NULL };
	app_config c;
	err_t err;
	cr_assert(load(&c, &err, env), "%s", err.message);
	cr_assert_str_eq(c.token_file, "/home/me/.wt-token");
	cr_assert_null(c.token);
	cr_assert(c.data_dir_given);
	cr_assert(c.secret_key_file_given);
}

Test(config, oauth_defaults_follow_host_and_port)
{
	char *env[] = { "OAUTH_ISSUER=https://id.example.com/realms/wt", "HOST=0.0.0.0", "PORT=9090", NULL };
	app_config c;
	err_t err;
	cr_assert(load(&c, &err, env), "%s", err.message);
	cr_assert_str_eq(c.oauth.issuer, "https://id.example.com/realms/wt");
	cr_assert_str_eq(c.oauth.resource, "http://0.0.0.0:9090/mcp");
	cr_assert_str_eq(c.oauth.audience, "http://0.0.0.0:9090/mcp", "the audience defaults to the resource");
	cr_assert_null(c.oauth.jwks_url);
	cr_assert_eq(c.oauth.refresh_seconds, 30);
	cr_assert_eq(c.oauth.ttl_seconds, 3600);
	cr_assert_not(c.oauth.allow_private);
}

Test(config, oauth_values_are_read)
{
	char *env[] = { "OAUTH_ISSUER=http://127.0.0.1:7000", "WEBHOOK_ALLOW_PRIVATE=on",
			"OAUTH_RESOURCE=https://time.example.com/mcp", "OAUTH_AUDIENCE=wt-api",
			"OAUTH_JWKS_URL=http://127.0.0.1:7000/keys", "OAUTH_JWKS_REFRESH_SECONDS=0",
			"OAUTH_JWKS_TTL_SECONDS=60", NULL };
	app_config c;
	err_t err;
	cr_assert(load(&c, &err, env), "%s", err.message);
	cr_assert_str_eq(c.oauth.resource, "https://time.example.com/mcp");
	cr_assert_str_eq(c.oauth.audience, "wt-api");
	cr_assert_str_eq(c.oauth.jwks_url, "http://127.0.0.1:7000/keys");
	cr_assert_eq(c.oauth.refresh_seconds, 0);
	cr_assert_eq(c.oauth.ttl_seconds, 60);
	cr_assert(c.oauth.allow_private);
}

Test(config, oauth_variables_are_unread_without_an_issuer)
{
	char *env[] = { "OAUTH_JWKS_TTL_SECONDS=never", "OAUTH_RESOURCE=nonsense", NULL };
	app_config c;
	err_t err;
	cr_assert(load(&c, &err, env), "%s", err.message);
	cr_assert_null(c.oauth.issuer);
	cr_assert_null(c.oauth.resource);
}

Test(config, oauth_bad_values_are_refused)
{
	refused((char *[]){ "OAUTH_ISSUER=http://id.example.com", NULL }, "OAUTH_ISSUER must be an https:// URL");
	refused((char *[]){ "OAUTH_ISSUER=id.example.com", NULL }, "OAUTH_ISSUER must be");
	refused((char *[]){ "OAUTH_ISSUER=https://", NULL }, "OAUTH_ISSUER must be");
	refused((char *[]){ "OAUTH_ISSUER=https://id.example.com", "OAUTH_JWKS_URL=http://id.example.com/k", NULL },
		"OAUTH_JWKS_URL must be an https:// URL");
	refused((char *[]){ "OAUTH_ISSUER=https://id.example.com", "OAUTH_RESOURCE=/mcp", NULL },
		"OAUTH_RESOURCE must be an http:// or https:// URL");
	refused((char *[]){ "OAUTH_ISSUER=https://id.example.com", "OAUTH_JWKS_REFRESH_SECONDS=-1", NULL },
		"OAUTH_JWKS_REFRESH_SECONDS must be a whole number from 0 to 86400");
	refused((char *[]){ "OAUTH_ISSUER=https://id.example.com", "OAUTH_JWKS_TTL_SECONDS=0", NULL },
		"OAUTH_JWKS_TTL_SECONDS must be a whole number from 1 to 604800");
	refused((char *[]){ "OAUTH_ISSUER=https://id.example.com", "OAUTH_JWKS_TTL_SECONDS=1h", NULL },
		"OAUTH_JWKS_TTL_SECONDS must be");
}

Test(config, the_ai_chat_needs_a_base_url_and_a_model)
{
	app_config c;
	err_t err;
	cr_assert(load(&c, &err, (char *[]){ NULL }));
	cr_assert_not(c.ai_on);
	cr_assert_eq(c.ai.connect_timeout_s, 10);
	cr_assert_eq(c.ai.timeout_s, 120);
	cr_assert_eq(c.ai.idle_timeout_s, 30);
	cr_assert_eq(c.ai.max_retries, 2);
	cr_assert_eq(c.ai_max_chats, 8);
	cr_assert_eq(c.ai_max_rounds, 8);
	cr_assert_eq(c.ai_max_context, 200000);
	cr_assert_eq(c.ai_rate_per_minute, 20);
	cr_assert(load(&c, &err, (char *[]){ "AI_BASE_URL=http://127.0.0.1:11434/v1", NULL }));
	cr_assert_not(c.ai_on, "a base URL without a model is not a chat");
	cr_assert(load(&c, &err,
		       (char *[]){ "AI_BASE_URL=http://127.0.0.1:11434/v1", "AI_MODEL=llama3.1", "AI_TIMEOUT=30",
				   "AI_MAX_CHATS=2", NULL }));
	cr_assert(c.ai_on);
	cr_assert_str_eq(c.ai.model, "llama3.1");
	cr_assert_null(c.ai.api_key);
	cr_assert_eq(c.ai.timeout_s, 30);
	cr_assert_eq(c.ai_max_chats, 2);
	refused((char *[]){ "AI_BASE_URL=ftp://models.example", NULL }, "AI_BASE_URL must be an http:// or https:// URL");
	refused((char *[]){ "AI_TIMEOUT=0", NULL }, "AI_TIMEOUT must be a whole number from 1 to 3600");
	refused((char *[]){ "AI_MAX_CHATS=0", NULL }, "AI_MAX_CHATS");
	refused((char *[]){ "AI_MAX_TOOL_ROUNDS=51", NULL }, "AI_MAX_TOOL_ROUNDS");
	refused((char *[]){ "AI_CHAT_RATE=x", NULL }, "AI_CHAT_RATE");
}
