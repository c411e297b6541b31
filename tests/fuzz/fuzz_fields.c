/* libFuzzer harness: request body validation (core/fields.c) on arbitrary
 * JSON, and the time-entry checks built on it (entries_prepare in
 * core/entries.c, for a manual entry, a timer and a patch) against the fake
 * store, as an admin. Records whose id starts with "rec_" exist there
 * (tasks in project prj_1; a conversation's subject is its id ten times
 * over, to be cut to fit). Checks each accepted value keeps its promise. */
#include "core/entries.h"
#include "core/fields.h"
#include "support/fake_store.h"
#include "util/dates.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_INPUT = 16 * 1024 };

static db_t *db;
static actor_t actor;

/* core/refs.c's lookups: "SELECT project, label FROM <table> WHERE workspace_id = $1 AND id = $2". */
static PGresult *records(const char *sql, int nparams, const char *const *params)
{
	if (nparams != 2 || !params[1] || strncmp(sql, "SELECT ", 7) || strncmp(params[1], "rec_", 4))
		return NULL;
	char subject[700] = "";
	for (int i = 0; i < 10 && strlen(subject) + strlen(params[1]) < sizeof subject; i++)
		strcat(subject, params[1]);
	const char *row[2] = { NULL, NULL };
	if (strstr(sql, "FROM tasks") || strstr(sql, "FROM tickets"))
		row[0] = "prj_1";
	else if (strstr(sql, "FROM projects"))
		row[0] = params[1];
	else if (strstr(sql, "FROM conversations"))
		row[1] = subject;
	return fake_store_rows(2, 1, row);
}

/* Whether s is well-formed UTF-8 (no cut sequence). */
static bool utf8_ok(const unsigned char *s)
{
	while (*s) {
		int n = *s < 0x80 ? 0 : (*s & 0xe0) == 0xc0 ? 1 : (*s & 0xf0) == 0xe0 ? 2 : (*s & 0xf8) == 0xf0 ? 3 : -1;
		if (n < 0)
			return false;
		for (s++; n > 0; n--, s++)
			if ((*s & 0xc0) != 0x80)
				return false;
	}
	return true;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	db = db_open("");
	fake_store_actor(&actor);
	fake_store_answer = records;
	return 0;
}

/* An error state comes with an error set, any other without. */
static void same(field_state st, const err_t *err)
{
	if ((st == FIELD_ERROR) != err_any(err))
		abort();
}

static void fields(json_t *body)
{
	static const char *const allowed[] = { "name", "hours", "log_date", "billable", "note", NULL };
	err_t err = { 0 };
	if (fields_only(body, allowed, &err) == err_any(&err))
		abort();

	const char *s;
	for (int variant = 0; variant < 4; variant++) {
		err_clear(&err);
		size_t maxlen = variant & 1 ? 8 : 2000;
		field_state st = fields_string(body, "name", variant & 2, variant & 1, variant & 2, maxlen, &s, &err);
		same(st, &err);
		if (st == FIELD_SET && (!s || strlen(s) > maxlen || (!(variant & 2) && !*s)))
			abort();
		if (st != FIELD_SET && s)
			abort();
	}

	bool b;
	err_clear(&err);
	same(fields_bool(body, "billable", &b, &err), &err);

	long seconds;
	err_clear(&err);
	field_state st = fields_hours(body, "hours", true, 24 * 3600, &seconds, &err);
	same(st, &err);
	if (st == FIELD_SET && (seconds <= 0 || seconds > 24 * 3600))
		abort();

	long day, again;
	char text[11];
	err_clear(&err);
	st = fields_date(body, "log_date", false, &day, text, &err);
	same(st, &err);
	if (st == FIELD_SET && (!dates_parse(text, &again) || again != day))
		abort();
}

static void entries(json_t *body)
{
	core_ctx c = { db, &actor };
	static const entry_kind kinds[] = { ENTRY_MANUAL, ENTRY_TIMER, ENTRY_PATCH };
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		entry_input in;
		err_t err = { 0 };
		bool ok = entries_prepare(&c, body, kinds[i], &in, &err);
		if (ok == err_any(&err))
			abort();
		if (!ok && err.kind != ERR_VALIDATION && err.kind != ERR_BAD_REQUEST && err.kind != ERR_UNAVAILABLE &&
		    err.kind != ERR_FORBIDDEN)
			abort();
		if (!ok)
			continue;
		/* an accepted entry is complete for its kind and its texts fit */
		if (!in.entity_type || !in.description || !utf8_ok((const unsigned char *)in.description) ||
		    !in.user_id[0] || !memchr(in.description_buf, '\0', sizeof in.description_buf))
			abort();
		if (kinds[i] == ENTRY_MANUAL && (in.seconds <= 0 || in.seconds > ENTRY_MAX_SECONDS || !in.log_date[0]))
			abort();
		if (kinds[i] == ENTRY_TIMER && (in.seconds != -1 || in.log_date[0]))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > MAX_INPUT)
		return 0;
	json_t *body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
	if (!body)
		return 0;
	fields(body);
	entries(body);
	json_decref(body);
	return 0;
}
