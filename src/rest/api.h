/* The REST door: everything under /api/v1/ and /api/ai/. A request is routed,
 * authenticated, run through the core and answered in the v1 envelope. The
 * front router (app/router) hands requests here on a worker thread. */
#ifndef REST_API_H
#define REST_API_H
#include "core/confirm.h"
#include "http/message.h"
#include "store/db.h"

typedef struct rest_env {
	db_t *db;                   /* the worker's connection */
	const char *jwt_secret;     /* NULL: session JWTs are refused */
	const confirm_key *confirm; /* signs AI confirmation tokens */
	/* Sends an already-leased webhook delivery at once and records the
	 * attempt (the Test button). REST never reaches the network itself: the
	 * composition root (app/) plugs delivery's sender in here. */
	bool (*send_webhook_now)(void *arg, db_t *db, const char *delivery_id, const char *lease, err_t *err);
	void *send_arg;
	int webhook_secret_overlap_hours; /* how long a rotated-out secret still signs */
	/* Requests per minute per credential and per workspace (0: no limit). */
	int rate_limit_per_token, rate_limit_per_workspace;
	struct chat_runner *chat;   /* the AI chat's threads (rest/chat_runner.h); NULL: no chat */
} rest_env;

/* Whether the body of req, still to come, may be read: its route exists and
 * its credentials hold. false fills resp with the 404/405/401 answer. */
bool rest_api_admit(const rest_env *env, const http_request *req, http_response *resp);
/* Answers req. */
void rest_api_handle(const rest_env *env, const http_request *req, http_response *resp);

#endif
