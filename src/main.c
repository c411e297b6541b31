/* workestra-time: reads the configuration once, then runs the command named
 * on the command line (app/commands.c). */
#include "app/commands.h"
#include "app/config.h"
#include "mcp/fixtures.h"
#include "mcp/time_resources.h"
#include "util/log.h"
#include "util/netpolicy.h"
#include <curl/curl.h>
#include <string.h>

static const struct {
	const char *name;
	int (*run)(app_env *e, int argc, char **argv);
	bool (*prepare)(app_config *config, err_t *err); /* before the database is opened; NULL: nothing */
} COMMANDS[] = {
	{ "serve", app_serve, NULL },
	{ "mcp", app_mcp, app_mcp_prepare },
	{ "migrate", app_migrate, NULL },
	{ "admin", app_admin, NULL },
	{ "cron", app_cron, NULL },
};

int main(int argc, char **argv)
{
	size_t i = 0, n = sizeof COMMANDS / sizeof COMMANDS[0];
	while (argc >= 2 && i < n && strcmp(argv[1], COMMANDS[i].name))
		i++;
	if (argc < 2 || i == n)
		return app_usage();
	app_config config;
	err_t err = { 0 };
	if (!app_config_from_environment(&config, &err))
		return app_fail(&err);
	/* The two process-wide settings, before any thread exists. */
	log_set_level(config.log_level);
	netpolicy_set_allow_private(config.allow_private);
	mcp_time_resources_register();
#ifdef WT_TEST_BUILD
	/* A test build (make test-conformance) serves the conformance suite's
	 * fixtures beside the real tools. */
	log_msg(LOG_WARN, "test build: conformance fixtures registered; not for production");
	mcp_fixtures_register();
#endif
	/* Before any thread exists: libcurl's global state is not thread-safe to set up. */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	app_env e = { 0 };
	int rc = (!COMMANDS[i].prepare || COMMANDS[i].prepare(&config, &err)) && app_env_open(&e, &config, &err)
			 ? COMMANDS[i].run(&e, argc - 2, argv + 2)
			 : app_fail(&err);
	app_env_close(&e);
	curl_global_cleanup();
	return rc;
}
