#ifndef STORE_MIGRATE_H
#define STORE_MIGRATE_H
#include "store/db.h"

/* Applies every embedded migration not yet recorded in schema_migrations, each
 * in its own transaction under an advisory lock, so two processes migrating at
 * once apply each exactly once. Sets *applied to how many ran now. */
bool migrate_run(db_t *db, int *applied, err_t *err);

#endif
