#include "rest/rest.h"
#include "core/paging.h"
#include <stdlib.h>
#include <string.h>

const char *rest_query(rest_call *call, const char *name)
{
	const char *v = http_query_param(call->req, name);
	return v && *v ? v : NULL;
}

static bool parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*end || end == s || v < min || v > max)
		return false;
	*out = v;
	return true;
}

bool rest_paging(rest_call *call, err_t *err)
{
	const char *page = rest_query(call, "page"), *limit = rest_query(call, "limit");
	call->page.page = 1;
	call->page.limit = REST_DEFAULT_LIMIT;
	call->paginated = true;
	if (page && !parse_long(page, 1, 1000000, &call->page.page))
		err_add_param(err, ERR_CODE_VALIDATION_FAILED, "page", "'page' must be a whole number from 1");
	if (limit && !parse_long(limit, 1, REST_MAX_LIMIT, &call->page.limit))
		err_add_param(err, ERR_CODE_VALIDATION_FAILED, "limit", "'limit' must be a whole number from 1 to %d",
			      REST_MAX_LIMIT);
	/* Without it the total is counted up to a bound (core/paging.h). */
	const char *total = rest_query(call, "total");
	call->page.exact_total = total && !strcmp(total, "exact");
	if (total && !call->page.exact_total)
		err_add_param(err, ERR_CODE_VALIDATION_FAILED, "total",
			      "'total' must be exact (or left out: counted up to %d rows)", PAGING_TOTAL_BOUND);
	return !err_any(err);
}

bool rest_cursor_paging(rest_call *call, err_t *err)
{
	if (!rest_paging(call, err))
		return false;
	call->page.starting_after = rest_query(call, "starting_after");
	if (call->page.starting_after && rest_query(call, "page"))
		return err_set(err, ERR_CODE_VALIDATION_FAILED, "'page' and 'starting_after' cannot be combined");
	return true;
}

bool rest_query_bool(rest_call *call, const char *name, int *out, err_t *err)
{
	const char *v = rest_query(call, name);
	*out = -1;
	if (!v)
		return true;
	if (!strcmp(v, "true") || !strcmp(v, "1"))
		*out = 1;
	else if (!strcmp(v, "false") || !strcmp(v, "0"))
		*out = 0;
	else
		return err_set_param(err, ERR_CODE_VALIDATION_FAILED, name, "'%s' must be true or false", name);
	return true;
}

json_t *rest_body_object(rest_call *call, err_t *err)
{
	if (!call->body) {
		err_set(err, ERR_CODE_INVALID_BODY, "this request needs a JSON object body");
		return NULL;
	}
	if (!json_is_object(call->body)) {
		err_set(err, ERR_CODE_INVALID_BODY, "the request body must be a JSON object");
		return NULL;
	}
	return call->body;
}

json_t *rest_json_text(rest_call *call, char *text)
{
	if (!text)
		return NULL;
	call->data_text = text;
	return json_true();
}

json_t *rest_csv(rest_call *call, char *body, size_t len, const char *filename)
{
	call->file_body = arena_strndup(call->arena, body, len);
	call->file_len = len;
	call->file_type = "text/csv; charset=utf-8";
	call->file_name = filename;
	free(body);
	return json_true();
}
