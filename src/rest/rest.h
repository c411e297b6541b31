/* What a REST handler gets and the helpers it shares. Handlers return the
 * `data` of the envelope (a new reference) or NULL with err set. */
#ifndef REST_REST_H
#define REST_REST_H
#include "core/ctx.h"
#include "http/message.h"
#include <jansson.h>

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
} rest_call;

typedef json_t *(*rest_handler)(rest_call *call, err_t *err);

/* A query parameter, or NULL when absent or empty. */
const char *rest_query(rest_call *call, const char *name);
/* Reads page and limit into call->page and marks the call paginated. */
bool rest_paging(rest_call *call, err_t *err);
/* A tri-state boolean query parameter: -1 absent, 0, 1; false on bad values. */
bool rest_query_bool(rest_call *call, const char *name, int *out, err_t *err);
/* The body, which must be a JSON object (an empty body is refused). */
json_t *rest_body_object(rest_call *call, err_t *err);

/* Handlers, grouped by resource. */
json_t *entries_api_list(rest_call *call, err_t *err);
json_t *entries_api_get(rest_call *call, err_t *err);
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
json_t *webhooks_api_list(rest_call *call, err_t *err);
json_t *webhooks_api_get(rest_call *call, err_t *err);
json_t *webhooks_api_create(rest_call *call, err_t *err);
json_t *webhooks_api_update(rest_call *call, err_t *err);
json_t *webhooks_api_delete(rest_call *call, err_t *err);
json_t *webhooks_api_deliveries(rest_call *call, err_t *err);
json_t *webhooks_api_retry(rest_call *call, err_t *err);
json_t *webhooks_api_test(rest_call *call, err_t *err);

#endif
