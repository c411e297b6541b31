/* workestra-time: the command line. Each command resolves the database
 * (DATABASE_URL, or the embedded cluster under var/), runs, and prints JSON. */
#include "core/admin.h"
#include "core/demo.h"
#include "cron/deliver_time_webhooks.h"
#include "delivery/dispatcher.h"
#include "http/server.h"
#include "rest/api.h"
#include "store/db.h"
#include "store/embedded_pg.h"
#include "store/migrate.h"
#include "util/dates.h"
#include "util/keyring.h"
#include "util/log.h"
#include "util/netpolicy.h"
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	char conninfo[1024];
	bool embedded_started;
	const char *data_dir;
} database;

static const char *env_or(const char *name, const char *fallback)
{
	const char *v = getenv(name);
	return v && *v ? v : fallback;
}

/* The value after --name in argv, or NULL. */
static const char *opt(int argc, char **argv, const char *name)
{
	for (int i = 0; i + 1 < argc; i++)
		if (!strcmp(argv[i], name))
			return argv[i + 1];
	return NULL;
}

static int fail(const err_t *err)
{
	fprintf(stderr, "error: %s: %s\n", err->code, err->message);
	return 1;
}

static int usage(void)
{
	fputs("usage: workestra-time serve | migrate | admin workspace create --name N [--plan free|pro] [--modules a,b]\n"
	      "       | admin user create --workspace W --email E [--name N] [--role member|manager|admin] [--weekly-hours H]\n"
	      "       | admin token create --user U [--name N] | admin token revoke --id TOKEN_ID\n"
	      "       | admin demo --workspace W\n"
	      "       | cron run deliver-time-webhooks [--now ISO8601]\n",
	      stderr);
	return 2;
}

static bool database_open(database *d, err_t *err)
{
	const char *url = getenv("DATABASE_URL");
	if (url && *url) {
		snprintf(d->conninfo, sizeof d->conninfo, "%s", url);
		return true;
	}
	d->data_dir = env_or("WORKESTRA_DATA_DIR", "var");
	return embedded_pg_start(d->data_dir, d->conninfo, sizeof d->conninfo, &d->embedded_started, err);
}

static void database_close(database *d)
{
	if (d->embedded_started)
		embedded_pg_stop(d->data_dir);
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

static int print_json(json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2));
	json_decref(v);
	if (!s)
		return 1;
	puts(s);
	free(s);
	return 0;
}

static int cmd_serve(database *d)
{
	err_t err = { 0 };
	db_t *db = db_open(d->conninfo);
	bool ok = migrate(db, &err);
	db_close(db);
	if (!ok)
		return fail(&err);
	if (!keyring_load(env_or("WORKESTRA_DATA_DIR", "var"), &err))
		return fail(&err);
	api_config cfg = { .database_url = d->conninfo, .jwt_secret = getenv("WORKESTRA_JWT_SECRET") };
	http_app app = api_app(&cfg);
	/* WEBHOOK_DISPATCHER=off leaves delivery to the deliver-time-webhooks cron
	 * (or to another process); otherwise this process delivers too, safely
	 * alongside any others on the same database. */
	dispatcher_t *dispatcher = NULL;
	const char *dispatch = env_or("WEBHOOK_DISPATCHER", "on");
	if (strcmp(dispatch, "off") && strcmp(dispatch, "0") && strcmp(dispatch, "false")) {
		pump_config pc = { .allow_private = netpolicy_allow_private() };
		if (!(dispatcher = dispatcher_start(d->conninfo, &pc))) {
			err_set(&err, ERR_INTERNAL, "dispatcher_failed", "the webhook dispatcher thread could not start");
			return fail(&err);
		}
	}
	int workers = atoi(env_or("WORKERS", "4"));
	http_config hc = {
		.host = env_or("HOST", "127.0.0.1"),
		.port = atoi(env_or("PORT", "8080")),
		.workers = workers > 0 && workers <= 64 ? workers : 4,
		.max_body = 1024 * 1024,
	};
	int rc = http_serve(&hc, &app);
	dispatcher_stop(dispatcher);
	return rc;
}

static int cmd_cron(database *d, int argc, char **argv)
{
	err_t err = { 0 };
	if (argc < 2 || strcmp(argv[0], "run"))
		return usage();
	const char *name = argv[1], *now_text = opt(argc, argv, "--now");
	double now = 0;
	if (now_text && !dates_parse_instant(now_text, &now)) {
		err_set(&err, ERR_VALIDATION, "validation_failed", "--now must be an ISO 8601 instant such as 2026-04-29T10:23:00Z");
		return fail(&err);
	}
	if (strcmp(name, "deliver-time-webhooks")) {
		err_set(&err, ERR_NOT_FOUND, "unknown_job", "no cron job named %.64s", name);
		return fail(&err);
	}
	db_t *db = db_open(d->conninfo);
	bool ok = migrate(db, &err);
	db_close(db);
	if (!ok || !keyring_load(env_or("WORKESTRA_DATA_DIR", "var"), &err))
		return fail(&err);
	json_t *out = cron_deliver_time_webhooks(d->conninfo, now, &err);
	return out ? print_json(out) : fail(&err);
}

static int cmd_admin(db_t *db, int argc, char **argv)
{
	err_t err = { 0 };
	json_t *out = NULL;
	if (argc < 1)
		return usage();
	if (!migrate(db, &err))
		return fail(&err);
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
			return usage();
		out = demo_seed(db, ws, &err);
	} else
		return usage();
	return out ? print_json(out) : fail(&err);
}

int main(int argc, char **argv)
{
	log_init();
	if (argc < 2)
		return usage();
	const char *cmd = argv[1];
	if (strcmp(cmd, "serve") && strcmp(cmd, "migrate") && strcmp(cmd, "admin") && strcmp(cmd, "cron"))
		return usage();
	/* Before any thread exists: libcurl's global state is not thread-safe to set up. */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	database d = { 0 };
	err_t err = { 0 };
	if (!database_open(&d, &err))
		return fail(&err);
	int rc;
	if (!strcmp(cmd, "serve")) {
		rc = cmd_serve(&d);
	} else if (!strcmp(cmd, "cron")) {
		rc = cmd_cron(&d, argc - 2, argv + 2);
	} else {
		db_t *db = db_open(d.conninfo);
		if (!strcmp(cmd, "migrate")) {
			int applied = 0;
			rc = migrate_run(db, &applied, &err) ? print_json(json_pack("{s:i}", "applied", applied)) : fail(&err);
		} else {
			rc = cmd_admin(db, argc - 2, argv + 2);
		}
		db_close(db);
	}
	database_close(&d);
	curl_global_cleanup();
	return rc;
}
