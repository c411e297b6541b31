/* The commands of workestra-time (main.c picks one). Each takes what the
 * process was started with and the arguments after its name, and returns the
 * exit status. */
#ifndef APP_COMMANDS_H
#define APP_COMMANDS_H
#include "app/config.h"
#include "store/db.h"
#include <jansson.h>
#include <stdbool.h>

typedef struct {
	const app_config *config;
	char conninfo[1024];   /* DATABASE_URL, or the embedded cluster's */
	bool embedded_started; /* this process started the cluster: it stops it on close */
	db_t *db;              /* a connection to it (connects on first use) */
} app_env;

/* Resolves the database (starting the embedded cluster when there is no
 * DATABASE_URL); false with err when it cannot be had. */
bool app_env_open(app_env *e, const app_config *config, err_t *err);
void app_env_close(app_env *e);

/* Prints "error: CODE: MESSAGE" on stderr; returns 1. */
int app_fail(const err_t *err);
/* Prints the usage on stderr; returns 2. */
int app_usage(void);
/* Prints v (stolen) as JSON on stdout; 0, or 1 when it cannot be printed. */
int app_print_json(json_t *v);

int app_serve(app_env *e, int argc, char **argv);
int app_mcp(app_env *e, int argc, char **argv);
/* Before mcp opens the database: finds the installation's data folder (and
 * sets config's data_dir and default key file to it) and refuses, with err,
 * when there is no database to reach; never creates a cluster. */
bool app_mcp_prepare(app_config *config, err_t *err);
int app_migrate(app_env *e, int argc, char **argv);
int app_cron(app_env *e, int argc, char **argv);
int app_admin(app_env *e, int argc, char **argv);

#endif
