/* The commands of workestra-time and what they share: the database
 * (DATABASE_URL, or the embedded cluster under the data folder) and the
 * wiring of serve (router, dispatcher, scheduler, HTTP server), all from the
 * configuration read once at start. Each prints JSON. */
#include "app/commands.h"
#include "app/oauth.h"
#include "app/router.h"
#include "delivery/chat_model.h"
#include "rest/chat_runner.h"
#include "core/admin.h"
#include "core/auth.h"
#include "core/confirm.h"
#include "core/demo.h"
#include "cron/cron.h"
#include "cron/deliver_time_webhooks.h"
#include "cron/scheduler.h"
#include "delivery/dispatcher.h"
#include "delivery/oauth_keys.h"
#include "delivery/smtp.h"
#include "http/server.h"
#include "mcp/stdio.h"
#include "store/db.h"
#include "store/embedded_pg.h"
#include "store/migrate.h"
#include "util/dates.h"
#include "util/keyring.h"
#include "util/log.h"
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The value after --name in argv, or NULL. */
static const char *opt(int argc, char **argv, const char *name)
{
	for (int i = 0; i + 1 < argc; i++)
		if (!strcmp(argv[i], name))
			return argv[i + 1];
	return NULL;
}

int app_fail(const err_t *err)
{
	fprintf(stderr, "error: %s: %s\n", err_name(err), err->message);
	return 1;
}

int app_usage(void)
{
	fputs("usage: workestra-time serve | mcp | migrate | admin workspace create --name N [--plan free|pro] [--modules a,b]\n"
	      "       | admin user create --workspace W --email E [--name N] [--role member|manager|admin] [--weekly-hours H]\n"
	      "       | admin token create --user U [--name N] | admin token revoke --id TOKEN_ID\n"
	      "       | admin demo --workspace W | cron run NAME [--now ISO8601] | cron list\n",
	      stderr);
	return 2;
}

static embedded_pg_config embedded(const app_config *config)
{
	return (embedded_pg_config){ config->data_dir, config->pg_bindir, config->path };
}

bool app_env_open(app_env *e, const app_config *config, err_t *err)
{
	memset(e, 0, sizeof *e);
	e->config = config;
	if (config->database_url)
		snprintf(e->conninfo, sizeof e->conninfo, "%s", config->database_url);
	else {
		embedded_pg_config pg = embedded(config);
		if (!embedded_pg_start(&pg, e->conninfo, sizeof e->conninfo, &e->embedded_started, err))
			return false;
	}
	e->db = db_open(e->conninfo);
	return true;
}

void app_env_close(app_env *e)
{
	db_close(e->db);
	e->db = NULL;
	if (e->embedded_started) {
		embedded_pg_config pg = embedded(e->config);
		embedded_pg_stop(&pg);
	}
}

static bool migrate(db_t *db, err_t *err)
{
	int applied;
	if (!migrate_run(db, &applied, err))
		return false;
	if (applied)
		log_msg(LOG_INFO, "applied %d migration(s)", applied);
	return true;
}

int app_print_json(json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2));
	json_decref(v);
	if (!s)
		return 1;
	puts(s);
	free(s);
	return 0;
}

/* What the cron jobs and their triggers get, from the configuration. */
static cron_env cron_env_of(const app_env *e)
{
	const app_config *config = e->config;
	return (cron_env){ e->conninfo, config->smtp_on ? &config->smtp : NULL, config->allow_private };
}

/* The chat's model: delivery's OpenAI-compatible client (ai/ does not reach
 * the network itself). */
static json_t *chat_complete(void *arg, json_t *request, void (*on_text)(void *, const char *, size_t),
			     bool (*cancelled)(void *), void *hook, err_t *err)
{
	chat_model_hooks hooks = { on_text, cancelled, hook };
	return chat_model_complete(arg, request, &hooks, err);
}

int app_serve(app_env *e, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	const app_config *config = e->config;
	err_t err = { 0 };
	db_t *db = db_open(e->conninfo);
	bool migrated = migrate(db, &err);
	db_close(db);
	/* A database that is down is waited for (requests get 503 meanwhile); any
	 * other migration failure is fatal. */
	if (!migrated && err.kind != ERR_UNAVAILABLE)
		return app_fail(&err);
	if (!migrated)
		log_msg(LOG_WARN, "database unavailable at start: %s; serving 503 until it is back", err.message);
	/* GET /metrics has no auth: keep it to a private interface or behind a firewall. */
	if (config->metrics)
		log_msg(LOG_INFO, "metrics served at GET /metrics without auth: keep it off public networks");
	static router_config cfg;
	cfg = (router_config){ .config = config, .database_url = e->conninfo, .migrated = migrated };
	if (!confirm_key_load(&cfg.confirm, config->secret_key, config->secret_key_file, &err))
		return app_fail(&err);
	if (!keyring_load(config->secret_key, config->secret_key_file, &err))
		return app_fail(&err);
	/* /mcp as an OAuth 2.1 resource server when OAUTH_ISSUER is set. */
	const oauth_config *oauth = config->oauth.issuer ? &config->oauth : NULL;
	cfg.oauth = (app_oauth){ oauth, oauth_keys_new(oauth), config->jwt_secret };
	if (oauth)
		log_msg(LOG_INFO, "oauth: /mcp takes access tokens of %s for %s", oauth->issuer, oauth->audience);
	/* The AI chat's threads: the model is delivery's client, plugged in here. */
	chat_runner_config cc = { .database_url = e->conninfo, .confirm = &cfg.confirm,
				  .max_chats = config->ai_max_chats, .max_rounds = config->ai_max_rounds,
				  .max_context = (size_t)config->ai_max_context,
				  .rate_per_minute = config->ai_rate_per_minute };
	if (config->ai_on) {
		cc.model = (ai_chat_model){ chat_complete, (void *)&config->ai };
		log_msg(LOG_INFO, "ai chat: model %s at %s, %d turns at once", config->ai.model, config->ai.base_url,
			config->ai_max_chats);
	}
	cfg.chat = chat_runner_start(&cc);
	http_app app = router_app(&cfg);
	/* WEBHOOK_DISPATCHER=off leaves delivery to the deliver-time-webhooks cron
	 * (or to another process); otherwise this process delivers too, safely
	 * alongside any others on the same database. */
	dispatcher_t *dispatcher = NULL;
	if (config->webhook_dispatcher) {
		pump_config pc = { .allow_private = config->allow_private };
		if (!(dispatcher = dispatcher_start(e->conninfo, &pc))) {
			err_set(&err, ERR_CODE_DISPATCHER_FAILED, "the webhook dispatcher thread could not start");
			return app_fail(&err);
		}
	}
	http_config hc = {
		.host = config->host,
		.port = config->port,
		.workers = config->workers,
		.max_body = 1024 * 1024,
		.max_connections = config->max_connections,
		.max_connections_per_ip = config->max_connections_per_ip,
		.header_timeout_ms = 1000 * config->header_timeout_s,
		.body_timeout_ms = 1000 * config->body_timeout_s,
		.idle_timeout_ms = 1000 * config->idle_timeout_s,
	};
	/* The scheduler has its own connection and thread; SCHEDULER=off leaves
	 * the jobs to an external caller of /api/cron/NAME. */
	cron_env env = cron_env_of(e);
	cron_scheduler *sched = config->scheduler ? cron_scheduler_start(&env) : NULL;
	int rc = http_serve(&hc, &app);
	chat_runner_stop(cfg.chat); /* after the server: it waited for the chat's open answers */
	cron_scheduler_stop(sched);
	dispatcher_stop(dispatcher);
	oauth_keys_free(cfg.oauth.keys);
	return rc;
}

int app_migrate(app_env *e, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	err_t err = { 0 };
	int applied = 0;
	return migrate_run(e->db, &applied, &err) ? app_print_json(json_pack("{s:i}", "applied", applied)) : app_fail(&err);
}

/* The webhook drain is not a once-a-day job: every call sends what is due by
 * then (leases keep two callers from sending one attempt twice). */
static int cmd_deliver_webhooks(app_env *e, const char *now_text)
{
	err_t err = { 0 };
	double now = 0;
	if (now_text && !dates_parse_instant(now_text, &now)) {
		err_set(&err, ERR_CODE_VALIDATION_FAILED, "--now must be an ISO 8601 instant such as 2026-04-29T10:23:00Z");
		return app_fail(&err);
	}
	if (!keyring_load(e->config->secret_key, e->config->secret_key_file, &err))
		return app_fail(&err);
	cron_env env = cron_env_of(e);
	json_t *out = cron_deliver_time_webhooks(&env, now, &err);
	return out ? app_print_json(out) : app_fail(&err);
}

/* cron run NAME [--now ISO8601]: prints the run; exits 1 when the job failed. */
int app_cron(app_env *e, int argc, char **argv)
{
	err_t err = { 0 };
	if (argc >= 1 && !strcmp(argv[0], "list")) {
		size_t n;
		const cron_job *jobs = cron_jobs(&n);
		json_t *out = json_array();
		for (size_t i = 0; i < n; i++) {
			char at[8];
			snprintf(at, sizeof at, "%02d:%02d", jobs[i].hour, jobs[i].minute);
			json_array_append_new(out, json_pack("{s:s, s:s}", "name", jobs[i].name, "utc_time", at));
		}
		return app_print_json(out);
	}
	if (argc < 2 || strcmp(argv[0], "run"))
		return app_usage();
	if (!migrate(e->db, &err))
		return app_fail(&err);
	if (!strcmp(argv[1], CRON_DELIVER_WEBHOOKS))
		return cmd_deliver_webhooks(e, opt(argc, argv, "--now"));
	cron_env env = cron_env_of(e);
	json_t *out = cron_run(e->db, &env, argv[1], opt(argc, argv, "--now"), &err);
	if (!out)
		return app_fail(&err);
	bool ok = !strcmp(json_string_value(json_object_get(out, "status")), "succeeded");
	int rc = app_print_json(out);
	return rc ? rc : ok ? 0 : 1;
}

/* Whether folder/var looks like a data folder of ours: the embedded cluster,
 * the generated secret or make run's demo ids are in it. */
static bool data_dir_at(const char *folder, char out[PATH_MAX])
{
	static const char *const marks[] = { "pg", "secret_key", "demo.json" };
	char path[PATH_MAX + 32];
	struct stat st;
	for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++) {
		snprintf(path, sizeof path, "%s/var/%s", folder, marks[i]);
		if (stat(path, &st) == 0) {
			snprintf(out, PATH_MAX, "%s/var", folder);
			return true;
		}
	}
	return false;
}

/* `mcp` is started by IDEs, from whatever folder they like: it must reach the
 * installation's data, never take the current folder's var/, and never create
 * a cluster (an empty one only fails later with "invalid or revoked API
 * token", and the IDE shows "connection closed"). The data folder is
 * WORKESTRA_DATA_DIR, else the var/ beside the executable or beside its
 * folder (a checkout's build/workestra-time finds the checkout's var/; an
 * install in /opt/wt/bin finds /opt/wt/var). Without DATABASE_URL that folder
 * must hold a cluster already. The configuration's data folder becomes what
 * was found, so the database and the confirmation key (unless
 * WORKESTRA_SECRET_KEY_FILE names one) come from the same place. */
bool app_mcp_prepare(app_config *config, err_t *err)
{
	static char found[PATH_MAX];
	char exe[PATH_MAX] = "", looked[2 * PATH_MAX + 16] = "";
	bool have_url = config->database_url != NULL;
	bool have_key = config->secret_key || config->secret_key_file_given;
	found[0] = '\0';
	if (config->data_dir_given) {
		snprintf(found, sizeof found, "%s", config->data_dir);
	} else {
		ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
		exe[n > 0 ? n : 0] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash && slash != exe) {
			*slash = '\0'; /* the executable's folder */
			snprintf(looked, sizeof looked, "%s/var", exe);
			if (!data_dir_at(exe, found) && (slash = strrchr(exe, '/')) && slash != exe) {
				*slash = '\0'; /* and its parent */
				size_t len = strlen(looked);
				snprintf(looked + len, sizeof looked - len, " and %s/var", exe);
				data_dir_at(exe, found);
			}
		}
		if (found[0]) {
			config->data_dir = found;
			if (!config->secret_key_file_given &&
			    (size_t)snprintf(config->secret_key_file, sizeof config->secret_key_file, "%s/secret_key", found) >=
				    sizeof config->secret_key_file)
				return err_set(err, ERR_CODE_INVALID_CONFIG, "the data folder %s has too long a path", found);
		}
	}
	if (!have_url && !found[0])
		return err_set(err, ERR_CODE_NO_DATABASE,
			       "workestra-time mcp found no database: set DATABASE_URL, or WORKESTRA_DATA_DIR to the data "
			       "folder of the installation (where serve keeps pg/ and secret_key); looked in %s",
			       looked[0] ? looked : "nothing (the executable's path is unknown)");
	if (!have_url && !embedded_pg_exists(found))
		return err_set(err, ERR_CODE_NO_DATABASE,
			       "workestra-time mcp found no PostgreSQL cluster in %s and never creates one: run "
			       "workestra-time serve (or make run) with that data folder first, or set DATABASE_URL, or "
			       "WORKESTRA_DATA_DIR to the right folder",
			       found);
	if (have_url && !found[0] && !have_key)
		return err_set(err, ERR_CODE_NO_SECRET_KEY,
			       "workestra-time mcp found no data folder holding the confirmation key: set "
			       "WORKESTRA_SECRET_KEY (the same as serve's) or WORKESTRA_DATA_DIR; looked in %s",
			       looked[0] ? looked : "nothing");
	return true;
}

enum { MCP_TOKEN_MAX = 8192 };

/* WORKESTRA_TOKEN_FILE: the token's first line, for clients that cannot take
 * it from the environment or a prompt (Claude Desktop). Like ssh keys, the
 * file must be readable by its owner only. */
static bool mcp_token_from_file(const char *path, char out[MCP_TOKEN_MAX], err_t *err)
{
	if (!path)
		return err_set(err, ERR_CODE_UNAUTHORIZED,
			       "set WORKESTRA_TOKEN to a personal API token, or WORKESTRA_TOKEN_FILE to a file holding one");
	FILE *f = fopen(path, "re");
	struct stat st;
	if (!f)
		return err_set(err, ERR_CODE_UNAUTHORIZED, "WORKESTRA_TOKEN_FILE %s cannot be read", path);
	if (fstat(fileno(f), &st) || (st.st_mode & 077)) {
		fclose(f);
		return err_set(err, ERR_CODE_UNAUTHORIZED,
			       "WORKESTRA_TOKEN_FILE %s is readable by others: chmod 600 it (and make a new token)", path);
	}
	bool got = fgets(out, MCP_TOKEN_MAX, f) != NULL;
	fclose(f);
	out[got ? strcspn(out, "\r\n") : 0] = '\0';
	return out[0] ? true : err_set(err, ERR_CODE_UNAUTHORIZED, "WORKESTRA_TOKEN_FILE %s is empty", path);
}

/* MCP over stdio for the user of WORKESTRA_TOKEN (or WORKESTRA_TOKEN_FILE):
 * stdout carries protocol only. */
int app_mcp(app_env *e, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	const app_config *config = e->config;
	err_t err = { 0 };
	confirm_key key;
	actor_t actor = { .source = "api" };
	char from_file[MCP_TOKEN_MAX];
	const char *token = config->token;
	if (!token && !mcp_token_from_file(config->token_file, from_file, &err))
		return app_fail(&err);
	if (!token)
		token = from_file;
	if (!migrate(e->db, &err) || !confirm_key_load(&key, config->secret_key, config->secret_key_file, &err) ||
	    !auth_bearer(e->db, token, config->jwt_secret, &actor, &err))
		return app_fail(&err);
	core_ctx core = { e->db, &actor };
	return mcp_stdio_run(&core, &key, stdin, stdout);
}

int app_admin(app_env *e, int argc, char **argv)
{
	db_t *db = e->db;
	err_t err = { 0 };
	json_t *out = NULL;
	if (argc < 1)
		return app_usage();
	if (!migrate(db, &err))
		return app_fail(&err);
	const char *what = argv[0];
	const char *verb = argc > 1 ? argv[1] : "";
	if (!strcmp(what, "workspace") && !strcmp(verb, "create"))
		out = admin_workspace_create(db, opt(argc, argv, "--name"), opt(argc, argv, "--plan"), opt(argc, argv, "--modules"), &err);
	else if (!strcmp(what, "user") && !strcmp(verb, "create"))
		out = admin_user_create(db, opt(argc, argv, "--workspace"), opt(argc, argv, "--email"), opt(argc, argv, "--name"),
					opt(argc, argv, "--role"), opt(argc, argv, "--weekly-hours"), &err);
	else if (!strcmp(what, "token") && !strcmp(verb, "create"))
		out = admin_token_create(db, opt(argc, argv, "--user"), opt(argc, argv, "--name"), &err);
	else if (!strcmp(what, "token") && !strcmp(verb, "revoke"))
		out = admin_token_revoke(db, opt(argc, argv, "--id"), &err);
	else if (!strcmp(what, "demo")) {
		const char *ws = opt(argc, argv, "--workspace");
		if (!ws)
			return app_usage();
		out = demo_seed(db, ws, &err);
	} else
		return app_usage();
	return out ? app_print_json(out) : app_fail(&err);
}
