/* The embedded default (DESIGN.md): with no DATABASE_URL the program runs its
 * own PostgreSQL cluster under the data folder, reachable only through a unix
 * socket inside that folder. As root the server runs as the `postgres` system
 * user, because PostgreSQL refuses to run as root. */
#ifndef STORE_EMBEDDED_PG_H
#define STORE_EMBEDDED_PG_H
#include <stdbool.h>
#include <stddef.h>
#include "util/err.h"

typedef struct {
	const char *dir;    /* the data folder, e.g. "var" */
	const char *bindir; /* PG_BINDIR: where initdb and pg_ctl are; NULL: /usr/lib/postgresql/<version>/bin, then path */
	const char *path;   /* PATH, searched last; NULL: /usr/local/bin:/usr/bin:/bin */
} embedded_pg_config;

/* Starts the private cluster under cfg->dir (initdb on first use).
 * Fills conninfo (a libpq connection string to database "workestra" over a unix
 * socket inside dir) and *started: true when this call started the server (so this
 * process must stop it with embedded_pg_stop), false when it was already running
 * (another process of ours owns it). A server left running by a process that
 * has since died is adopted: *started is true then too.
 * false + err on failure with a message a user can act on. */
bool embedded_pg_start(const embedded_pg_config *cfg, char *conninfo, size_t conninfo_size, bool *started, err_t *err);
/* Whether dir already holds a cluster (initialized, running or not); looks
 * only, creating nothing. For commands that must never make a new, empty one. */
bool embedded_pg_exists(const char *dir);
/* Stops the cluster under cfg->dir (pg_ctl stop -m fast); safe to call when not running. */
void embedded_pg_stop(const embedded_pg_config *cfg);

#endif
