/* workestra-time: the command line. Each command resolves the database
 * (DATABASE_URL, or the embedded cluster under var/), runs, and prints JSON. */
#include "core/admin.h"
#include "core/confirm.h"
#include "core/demo.h"
#include "core/auth.h"
#include "cron/cron.h"
#include "cron/scheduler.h"
#include "delivery/smtp.h"
#include "cron/deliver_time_webhooks.h"
#include "delivery/dispatcher.h"
#include "http/server.h"
#include "mcp/fixtures.h"
#include "mcp/stdio.h"
#include "rest/api.h"
#include "store/db.h"
#include "store/embedded_pg.h"
#include "store/migrate.h"
#include "util/dates.h"
#include "util/keyring.h"
#include "util/log.h"
#include "util/netpolicy.h"
#include <curl/curl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
	fputs("usage: workestra-time serve | mcp | migrate | admin workspace create --name N [--plan free|pro] [--modules a,b]\n"
	      "       | admin user create --workspace W --email E [--name N] [--role member|manager|admin] [--weekly-hours H]\n"
	      "       | admin token create --user U [--name N] | admin token revoke --id TOKEN_ID\n"
	      "       | admin demo --workspace W | cron run NAME [--now ISO8601] | cron list\n",
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

/* WORKESTRA_SECRET_KEY, else the key file (WORKESTRA_SECRET_KEY_FILE, default
 * <data folder>/secret_key), made on first use. */
/* Where the generated server secret lives when WORKESTRA_SECRET_KEY is unset. */
static const char *secret_key_file(char path[1024])
{
	const char *file = getenv("WORKESTRA_SECRET_KEY_FILE");
	if (file && *file)
		return file;
	snprintf(path, 1024, "%s/secret_key", env_or("WORKESTRA_DATA_DIR", "var"));
	return path;
}

static bool load_confirm_key(confirm_key *k, err_t *err)
{
	char path[1024];
	return confirm_key_load(k, secret_key_file(path), err);
}

static bool load_keyring(err_t *err)
{
	char path[1024];
	return keyring_load(secret_key_file(path), err);
}

/* METRICS=on serves GET /metrics (read once here, not per request). It has
 * no auth: keep it to a private interface or behind a firewall. */
static bool metrics_on(void)
{
	const char *v = env_or("METRICS", "off");
	if (strcmp(v, "on") && strcmp(v, "off"))
		log_msg(LOG_WARN, "METRICS=%s is neither on nor off: /metrics stays off", v);
	else if (!strcmp(v, "on"))
		log_msg(LOG_INFO, "metrics served at GET /metrics without auth: keep it off public networks");
	return !strcmp(v, "on");
}

/* OAUTH_*: /mcp as an OAuth 2.1 resource server (off without OAUTH_ISSUER).
 * The resource is this server's /mcp URL as clients reach it (OAUTH_RESOURCE;
 * default http://HOST:PORT/mcp), and the audience tokens must carry
 * (OAUTH_AUDIENCE; default: the resource). false with err on a bad value. */
static bool oauth_from_env(oauth_config *o, char resource[512], err_t *err)
{
	memset(o, 0, sizeof *o);
	o->issuer = getenv("OAUTH_ISSUER");
	if (!o->issuer || !*o->issuer) {
		o->issuer = NULL;
		return true;
	}
	o->allow_private = netpolicy_allow_private();
	bool https = !strncmp(o->issuer, "https://", 8), http = !strncmp(o->issuer, "http://", 7);
	if (!https && !(http && o->allow_private))
		return err_set(err, ERR_VALIDATION, "invalid_config",
			       "OAUTH_ISSUER must be an https:// URL (http:// only with WEBHOOK_ALLOW_PRIVATE, for tests)");
	snprintf(resource, 512, "http://%s:%s/mcp", env_or("HOST", "127.0.0.1"), env_or("PORT", "8080"));
	o->resource = env_or("OAUTH_RESOURCE", resource);
	o->audience = env_or("OAUTH_AUDIENCE", o->resource);
	o->jwks_url = getenv("OAUTH_JWKS_URL");
	o->refresh_seconds = atol(env_or("OAUTH_JWKS_REFRESH_SECONDS", "30"));
	o->ttl_seconds = atol(env_or("OAUTH_JWKS_TTL_SECONDS", "3600"));
	if (o->refresh_seconds < 0 || o->ttl_seconds < 1)
		return err_set(err, ERR_VALIDATION, "invalid_config",
			       "OAUTH_JWKS_REFRESH_SECONDS must be 0 or more and OAUTH_JWKS_TTL_SECONDS 1 or more");
	log_msg(LOG_INFO, "oauth: /mcp takes access tokens of %s for %s", o->issuer, o->audience);
	return true;
}

static int cmd_serve(database *d)
{
	err_t err = { 0 };
	db_t *db = db_open(d->conninfo);
	bool migrated = migrate(db, &err);
	db_close(db);
	/* A database that is down is waited for (requests get 503 meanwhile); any
	 * other migration failure is fatal. */
	if (!migrated && err.kind != ERR_UNAVAILABLE)
		return fail(&err);
	if (!migrated)
		log_msg(LOG_WARN, "database unavailable at start: %s; serving 503 until it is back", err.message);
	smtp_config smtp;
	bool have_smtp = smtp_config_from_env(&smtp);
	const char *cron_secret = getenv("CRON_SECRET");
	api_config cfg = { .database_url = d->conninfo, .jwt_secret = getenv("WORKESTRA_JWT_SECRET"), .migrated = migrated,
			   .cron_secret = cron_secret && *cron_secret ? cron_secret : NULL,
			   .smtp = have_smtp ? &smtp : NULL, .metrics = metrics_on() };
	if (!load_confirm_key(&cfg.confirm, &err))
		return fail(&err);
	if (!load_keyring(&err))
		return fail(&err);
	static oauth_config oauth;
	static char oauth_resource[512];
	if (!oauth_from_env(&oauth, oauth_resource, &err))
		return fail(&err);
	cfg.oauth = oauth.issuer ? &oauth : NULL;
	cfg.oauth_keys = oauth_keys_new(cfg.oauth);
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
		.max_connections = atoi(env_or("HTTP_MAX_CONNECTIONS", "10000")),
		.max_connections_per_ip = atoi(env_or("HTTP_MAX_CONNECTIONS_PER_IP", "256")),
		.header_timeout_ms = 1000 * atoi(env_or("HTTP_HEADER_TIMEOUT", "10")),
		.body_timeout_ms = 1000 * atoi(env_or("HTTP_BODY_TIMEOUT", "10")),
		.idle_timeout_ms = 1000 * atoi(env_or("HTTP_IDLE_TIMEOUT", "30")),
	};
	/* The scheduler has its own connection and thread; SCHEDULER=off leaves
	 * the jobs to an external caller of /api/cron/NAME. */
	cron_env env = { .conninfo = d->conninfo, .smtp = cfg.smtp };
	cron_scheduler *sched = strcmp(env_or("SCHEDULER", "on"), "off") ? cron_scheduler_start(&env) : NULL;
	int rc = http_serve(&hc, &app);
	cron_scheduler_stop(sched);
	dispatcher_stop(dispatcher);
	oauth_keys_free(cfg.oauth_keys);
	return rc;
}

/* The webhook drain is not a once-a-day job: every call sends what is due by
 * then (leases keep two callers from sending one attempt twice). */
static int cmd_deliver_webhooks(database *d, const char *now_text)
{
	err_t err = { 0 };
	double now = 0;
	if (now_text && !dates_parse_instant(now_text, &now)) {
		err_set(&err, ERR_VALIDATION, "validation_failed", "--now must be an ISO 8601 instant such as 2026-04-29T10:23:00Z");
		return fail(&err);
	}
	if (!load_keyring(&err))
		return fail(&err);
	json_t *out = cron_deliver_time_webhooks(d->conninfo, now, &err);
	return out ? print_json(out) : fail(&err);
}

/* cron run NAME [--now ISO8601]: prints the run; exits 1 when the job failed. */
static int cmd_cron(database *d, db_t *db, int argc, char **argv)
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
		return print_json(out);
	}
	if (argc < 2 || strcmp(argv[0], "run"))
		return usage();
	if (!migrate(db, &err))
		return fail(&err);
	if (!strcmp(argv[1], CRON_DELIVER_WEBHOOKS))
		return cmd_deliver_webhooks(d, opt(argc, argv, "--now"));
	smtp_config smtp;
	cron_env env = { .conninfo = d->conninfo, .smtp = smtp_config_from_env(&smtp) ? &smtp : NULL };
	json_t *out = cron_run(db, &env, argv[1], opt(argc, argv, "--now"), &err);
	if (!out)
		return fail(&err);
	bool ok = !strcmp(json_string_value(json_object_get(out, "status")), "succeeded");
	int rc = print_json(out);
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
 * must hold a cluster already. Sets WORKESTRA_DATA_DIR to what was found, so
 * the database and the confirmation key come from the same place. */
static bool mcp_find_data_dir(err_t *err)
{
	const char *set = getenv("WORKESTRA_DATA_DIR");
	bool have_url = getenv("DATABASE_URL") && *getenv("DATABASE_URL");
	bool have_key = (getenv("WORKESTRA_SECRET_KEY") && *getenv("WORKESTRA_SECRET_KEY")) ||
			(getenv("WORKESTRA_SECRET_KEY_FILE") && *getenv("WORKESTRA_SECRET_KEY_FILE"));
	char found[PATH_MAX] = "", exe[PATH_MAX] = "", looked[2 * PATH_MAX + 16] = "";
	if (set && *set) {
		snprintf(found, sizeof found, "%s", set);
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
		if (found[0])
			setenv("WORKESTRA_DATA_DIR", found, 1);
	}
	if (!have_url && !found[0])
		return err_set(err, ERR_UNAVAILABLE, "no_database",
			       "workestra-time mcp found no database: set DATABASE_URL, or WORKESTRA_DATA_DIR to the data "
			       "folder of the installation (where serve keeps pg/ and secret_key); looked in %s",
			       looked[0] ? looked : "nothing (the executable's path is unknown)");
	if (!have_url && !embedded_pg_exists(found))
		return err_set(err, ERR_UNAVAILABLE, "no_database",
			       "workestra-time mcp found no PostgreSQL cluster in %s and never creates one: run "
			       "workestra-time serve (or make run) with that data folder first, or set DATABASE_URL, or "
			       "WORKESTRA_DATA_DIR to the right folder",
			       found);
	if (have_url && !found[0] && !have_key)
		return err_set(err, ERR_UNAVAILABLE, "no_secret_key",
			       "workestra-time mcp found no data folder holding the confirmation key: set "
			       "WORKESTRA_SECRET_KEY (the same as serve's) or WORKESTRA_DATA_DIR; looked in %s",
			       looked[0] ? looked : "nothing");
	return true;
}

enum { MCP_TOKEN_MAX = 8192 };

/* WORKESTRA_TOKEN_FILE: the token's first line, for clients that cannot take
 * it from the environment or a prompt (Claude Desktop). Like ssh keys, the
 * file must be readable by its owner only. */
static bool mcp_token_from_file(char out[MCP_TOKEN_MAX], err_t *err)
{
	const char *path = getenv("WORKESTRA_TOKEN_FILE");
	if (!path || !*path)
		return err_set(err, ERR_UNAUTHORIZED, "unauthorized",
			       "set WORKESTRA_TOKEN to a personal API token, or WORKESTRA_TOKEN_FILE to a file holding one");
	FILE *f = fopen(path, "re");
	struct stat st;
	if (!f)
		return err_set(err, ERR_UNAUTHORIZED, "unauthorized", "WORKESTRA_TOKEN_FILE %s cannot be read", path);
	if (fstat(fileno(f), &st) || (st.st_mode & 077)) {
		fclose(f);
		return err_set(err, ERR_UNAUTHORIZED, "unauthorized",
			       "WORKESTRA_TOKEN_FILE %s is readable by others: chmod 600 it (and make a new token)", path);
	}
	bool got = fgets(out, MCP_TOKEN_MAX, f) != NULL;
	fclose(f);
	out[got ? strcspn(out, "\r\n") : 0] = '\0';
	return out[0] ? true : err_set(err, ERR_UNAUTHORIZED, "unauthorized", "WORKESTRA_TOKEN_FILE %s is empty", path);
}

/* MCP over stdio for the user of WORKESTRA_TOKEN: stdout carries protocol only. */
static int cmd_mcp(db_t *db)
{
	err_t err = { 0 };
	confirm_key key;
	actor_t actor = { .source = "api" };
	char from_file[MCP_TOKEN_MAX];
	const char *token = getenv("WORKESTRA_TOKEN");
	if ((!token || !*token) && !mcp_token_from_file(from_file, &err))
		return fail(&err);
	if (!token || !*token)
		token = from_file;
	if (!migrate(db, &err) || !load_confirm_key(&key, &err) ||
	    !auth_bearer(db, token, getenv("WORKESTRA_JWT_SECRET"), &actor, &err))
		return fail(&err);
	core_ctx core = { db, &actor };
	return mcp_stdio_run(&core, &key, stdin, stdout);
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
#ifdef WT_TEST_BUILD
	/* A test build (make test-conformance) serves the conformance suite's
	 * fixtures beside the real tools. */
	log_msg(LOG_WARN, "test build: conformance fixtures registered; not for production");
	mcp_fixtures_register();
#endif
	if (argc < 2)
		return usage();
	const char *cmd = argv[1];
	if (strcmp(cmd, "serve") && strcmp(cmd, "migrate") && strcmp(cmd, "admin") && strcmp(cmd, "mcp") && strcmp(cmd, "cron"))
		return usage();
	/* Before any thread exists: libcurl's global state is not thread-safe to set up. */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	database d = { 0 };
	err_t err = { 0 };
	if (!strcmp(cmd, "mcp") && !mcp_find_data_dir(&err))
		return fail(&err);
	if (!database_open(&d, &err))
		return fail(&err);
	int rc;
	if (!strcmp(cmd, "serve")) {
		rc = cmd_serve(&d);
	} else {
		db_t *db = db_open(d.conninfo);
		if (!strcmp(cmd, "mcp")) {
			rc = cmd_mcp(db);
		} else if (!strcmp(cmd, "migrate")) {
			int applied = 0;
			rc = migrate_run(db, &applied, &err) ? print_json(json_pack("{s:i}", "applied", applied)) : fail(&err);
		} else if (!strcmp(cmd, "cron")) {
			rc = cmd_cron(&d, db, argc - 2, argv + 2);
		} else {
			rc = cmd_admin(db, argc - 2, argv + 2);
		}
		db_close(db);
	}
	database_close(&d);
	curl_global_cleanup();
	return rc;
}
