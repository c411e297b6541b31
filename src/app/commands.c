/* The commands of workestra-time and what they share: the database
 * (DATABASE_URL, or the embedded cluster under the data folder) and the
 * wiring of serve (router, dispatcher, scheduler, HTTP server), all from the
 * configuration read once at start. Each prints JSON. */
#include "app/commands.h"
#include "app/router.h"
#include "core/admin.h"
#include "core/auth.h"
#include "core/confirm.h"
#include "core/demo.h"
#include "cron/cron.h"
#include "cron/deliver_time_webhooks.h"
#include "cron/scheduler.h"
#include "delivery/dispatcher.h"
#include "delivery/smtp.h"
#include "http/server.h"
#include "mcp/stdio.h"
#include "store/db.h"
#include "store/embedded_pg.h"
#include "store/migrate.h"
#include "util/dates.h"
#include "util/keyring.h"
#include "util/log.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	router_config cfg = { .config = config, .database_url = e->conninfo, .migrated = migrated };
	if (!confirm_key_load(&cfg.confirm, config->secret_key, config->secret_key_file, &err))
		return app_fail(&err);
	if (!keyring_load(config->secret_key, config->secret_key_file, &err))
		return app_fail(&err);
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
	cron_scheduler_stop(sched);
	dispatcher_stop(dispatcher);
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

/* MCP over stdio for the user of WORKESTRA_TOKEN: stdout carries protocol only. */
int app_mcp(app_env *e, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	const app_config *config = e->config;
	err_t err = { 0 };
	confirm_key key;
	actor_t actor = { .source = "api" };
	if (!config->token) {
		fputs("error: unauthorized: set WORKESTRA_TOKEN to a personal API token\n", stderr);
		return 1;
	}
	if (!migrate(e->db, &err) || !confirm_key_load(&key, config->secret_key, config->secret_key_file, &err) ||
	    !auth_bearer(e->db, config->token, config->jwt_secret, &actor, &err))
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
