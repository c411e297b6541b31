/* workestra-time: the command line. main picks the command; the commands
 * live in app/commands.c. */
#include "app/commands.h"
#include "mcp/fixtures.h"
#include "store/migrate.h"
#include "util/log.h"
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

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
		return app_usage();
	const char *cmd = argv[1];
	if (strcmp(cmd, "serve") && strcmp(cmd, "migrate") && strcmp(cmd, "admin") && strcmp(cmd, "mcp") && strcmp(cmd, "cron"))
		return app_usage();
	/* Before any thread exists: libcurl's global state is not thread-safe to set up. */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	app_database d = { 0 };
	err_t err = { 0 };
	if (!app_database_open(&d, &err))
		return app_fail(&err);
	int rc;
	if (!strcmp(cmd, "serve")) {
		rc = app_serve(&d);
	} else {
		db_t *db = db_open(d.conninfo);
		if (!strcmp(cmd, "mcp")) {
			rc = app_mcp(db);
		} else if (!strcmp(cmd, "migrate")) {
			int applied = 0;
			rc = migrate_run(db, &applied, &err) ? app_print_json(json_pack("{s:i}", "applied", applied)) : app_fail(&err);
		} else if (!strcmp(cmd, "cron")) {
			rc = app_cron(&d, db, argc - 2, argv + 2);
		} else {
			rc = app_admin(db, argc - 2, argv + 2);
		}
		db_close(db);
	}
	app_database_close(&d);
	curl_global_cleanup();
	return rc;
}
