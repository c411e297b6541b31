/* What a REST handler gets and the helpers it shares. Handlers return the
 * `data` of the envelope (a new reference) or NULL with err set. */
#ifndef REST_REST_H
#define REST_REST_H
#include "core/confirm.h"
#include "core/ctx.h"
#include "core/fields.h"
#include "http/message.h"
#include <jansson.h>

struct rest_env; /* rest/api.h: what the worker gives the door */

enum { REST_MAX_PARAMS = 4, REST_DEFAULT_LIMIT = 50, REST_MAX_LIMIT = 200 };

typedef struct {
	core_ctx core;
	const http_request *req;
	arena_t *arena;
	const char *params[REST_MAX_PARAMS]; /* {id}-style path segments, in order */
	json_t *body;                        /* parsed JSON body or NULL when empty (borrowed) */
	core_page page;                      /* set by list handlers: adds "pagination" */
	bool paginated;
	int status;                          /* 200 unless a handler says otherwise */
	const confirm_key *confirm;          /* signs and checks AI confirmations */
	const struct rest_env *env;          /* the worker's door environment and what app plugged in */
	http_response *resp;                 /* for a handler's own headers */
	/* A handler that answers with a file (CSV) sets these (in the arena)
	 * and returns json_true(): no envelope then. */
	const char *file_body, *file_type, *file_name;
	size_t file_len;
	/* A handler whose data is JSON text already (a list's rows as
	 * PostgreSQL wrote them) sets this (malloc'd; rest_json_text): the
	 * envelope splices it in without a parse. */
	char *data_text;
	bool detached;                       /* the handler detached the answer: another thread writes it */
} rest_call;

typedef json_t *(*rest_handler)(rest_call *call, err_t *err);

/* A query parameter, or NULL when absent or empty. */
const char *rest_query(rest_call *call, const char *name);
/* Reads page and limit into call->page and marks the call paginated. */
bool rest_paging(rest_call *call, err_t *err);
/* rest_paging plus starting_after, for the lists with keyset cursors
 * (core/listing.h); page and starting_after exclude each other. */
bool rest_cursor_paging(rest_call *call, err_t *err);
/* A tri-state boolean query parameter: -1 absent, 0, 1; false on bad values. */
bool rest_query_bool(rest_call *call, const char *name, int *out, err_t *err);
/* The body, which must be a JSON object (an empty body is refused). */
json_t *rest_body_object(rest_call *call, err_t *err);

/* The data of the answer as JSON text (malloc'd, taken; NULL: the failure
 * err says); returns json_true() for the handler to return, or NULL. */
json_t *rest_json_text(rest_call *call, char *text);
/* Answers with body (malloc'd; copied into the arena and freed) as a CSV
 * download named filename; returns json_true() for the handler to return. */
json_t *rest_csv(rest_call *call, char *body, size_t len, const char *filename);

/* Handlers, grouped by resource. */
json_t *entries_api_list(rest_call *call, err_t *err);
json_t *entries_api_get(rest_call *call, err_t *err);
json_t *entries_api_csv(rest_call *call, err_t *err);
json_t *entries_api_create(rest_call *call, err_t *err);
json_t *entries_api_update(rest_call *call, err_t *err);
json_t *entries_api_delete(rest_call *call, err_t *err);
json_t *timer_api_active(rest_call *call, err_t *err);
json_t *timer_api_start(rest_call *call, err_t *err);
json_t *timer_api_stop(rest_call *call, err_t *err);
json_t *timesheets_api_list(rest_call *call, err_t *err);
json_t *timesheets_api_get(rest_call *call, err_t *err);
json_t *timesheets_api_update(rest_call *call, err_t *err);
json_t *timesheets_api_submit(rest_call *call, err_t *err);
json_t *timesheets_api_approve(rest_call *call, err_t *err);
json_t *timesheets_api_reject(rest_call *call, err_t *err);
json_t *settings_api_get(rest_call *call, err_t *err);
json_t *settings_api_update(rest_call *call, err_t *err);
json_t *rates_api_list(rest_call *call, err_t *err);
json_t *rates_api_upsert(rest_call *call, err_t *err);
json_t *rates_api_delete(rest_call *call, err_t *err);
/* reports_api.c */
json_t *reports_api_summary(rest_call *call, err_t *err);
json_t *reports_api_summary_csv(rest_call *call, err_t *err);
json_t *reports_api_rollup(rest_call *call, err_t *err);
json_t *reports_api_task_rollups(rest_call *call, err_t *err);
json_t *reports_api_estimate_vs_actual(rest_call *call, err_t *err);
json_t *reports_api_utilization(rest_call *call, err_t *err);
/* invoices_api.c */
json_t *invoices_api_pull_from_time(rest_call *call, err_t *err);
json_t *calendar_api_convert(rest_call *call, err_t *err);
/* calendar_api.c */
json_t *calendar_api_connections_list(rest_call *call, err_t *err);
json_t *calendar_api_connections_create(rest_call *call, err_t *err);
json_t *calendar_api_connections_delete(rest_call *call, err_t *err);
json_t *calendar_api_imports_list(rest_call *call, err_t *err);
json_t *calendar_api_imports_convert(rest_call *call, err_t *err);
/* notifications_api.c */
json_t *notifications_api_list(rest_call *call, err_t *err);
json_t *notifications_api_read(rest_call *call, err_t *err);
/* saved_views_api.c */
json_t *saved_views_api_list(rest_call *call, err_t *err);
json_t *saved_views_api_create(rest_call *call, err_t *err);
json_t *saved_views_api_get(rest_call *call, err_t *err);
json_t *saved_views_api_update(rest_call *call, err_t *err);
json_t *saved_views_api_delete(rest_call *call, err_t *err);
json_t *ai_api_tools_list(rest_call *call, err_t *err);
json_t *ai_api_tools_call(rest_call *call, err_t *err);
json_t *ai_api_confirm(rest_call *call, err_t *err);
/* chat_api.c */
json_t *chat_api_post(rest_call *call, err_t *err);
json_t *chat_api_list(rest_call *call, err_t *err);
json_t *chat_api_get(rest_call *call, err_t *err);
json_t *chat_api_delete(rest_call *call, err_t *err);
json_t *chat_api_decline(rest_call *call, err_t *err);
json_t *webhooks_api_list(rest_call *call, err_t *err);
json_t *webhooks_api_get(rest_call *call, err_t *err);
json_t *webhooks_api_create(rest_call *call, err_t *err);
json_t *webhooks_api_update(rest_call *call, err_t *err);
json_t *webhooks_api_delete(rest_call *call, err_t *err);
json_t *webhooks_api_deliveries(rest_call *call, err_t *err);
json_t *webhooks_api_retry(rest_call *call, err_t *err);
json_t *webhooks_api_test(rest_call *call, err_t *err);
json_t *webhooks_api_replay(rest_call *call, err_t *err);
json_t *webhooks_api_rotate_secret(rest_call *call, err_t *err);
/* me_api.c, work_items_api.c */
json_t *me_api_get(rest_call *call, err_t *err);
json_t *work_items_api_find(rest_call *call, err_t *err);

#endif
