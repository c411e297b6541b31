/* The commands of workestra-time (see main.c for how one is picked). Each
 * returns the process's exit status. */
#ifndef APP_COMMANDS_H
#define APP_COMMANDS_H
#include "store/db.h"
#include <jansson.h>
#include <stdbool.h>

/* The database a command uses: DATABASE_URL, or the embedded cluster this
 * process may have started (and then stops). */
typedef struct {
	char conninfo[1024];
	bool embedded_started;
	const char *data_dir;
} app_database;

bool app_database_open(app_database *d, err_t *err);
void app_database_close(app_database *d);

/* Prints "error: CODE: MESSAGE" on stderr; returns 1. */
int app_fail(const err_t *err);
/* Prints the usage on stderr; returns 2. */
int app_usage(void);
/* Prints v (stolen) as JSON on stdout; 0, or 1 when it cannot be printed. */
int app_print_json(json_t *v);

int app_serve(app_database *d);
int app_mcp(db_t *db);
int app_cron(app_database *d, db_t *db, int argc, char **argv);
int app_admin(db_t *db, int argc, char **argv);

#endif
