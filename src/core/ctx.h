/* What every core operation gets: the caller's database connection and the actor. */
#ifndef CORE_CTX_H
#define CORE_CTX_H
#include "core/actor.h"
#include "store/db.h"

typedef struct {
	db_t *db;
	const actor_t *actor;
} core_ctx;

/* A page of a list: 1-based page, limit 1..200. */
typedef struct {
	long page;
	long limit;
	long total; /* filled by the list operation */
} core_page;

#endif
