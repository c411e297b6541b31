#include "core/demo.h"
#include <stdio.h>
#include <string.h>

#define DEMO_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Rows link to rows of earlier tables by their index in those tables' arrays
 * (the enums keep the two in step); NONE is a link left empty. */
enum { NONE = -1 };

enum { CT_ACME, CT_GLOBEX, CT_INITECH, CT_SOYLENT };
enum { PRJ_ACME, PRJ_GLOBEX, PRJ_INTERNAL };
enum { DEAL_ACME, DEAL_INITECH, DEAL_SOYLENT };

/* Numbers are kept as text: they travel as query parameters, and text keeps
 * the decimal hours exact. */
typedef struct {
	const char *name, *email;
} contact_row;

typedef struct {
	const char *name;
	int contact;
	const char *billable;
	const char *budget_amount; /* minor units; NULL for no budget */
	const char *currency;
	const char *time_budget_hours;
} project_row;

typedef struct {
	int project;
	const char *title, *estimate_hours;
} task_row;

typedef struct {
	const char *subject;
	int contact, project;
} ticket_row;

typedef struct {
	const char *name;
	int contact;
} deal_row;

typedef struct {
	const char *name;
	int stage; /* index in STAGES: every earlier stage gets a history row too */
	int applied_days_ago;
} candidate_row;

typedef struct {
	const char *title;
	const char *from_week_start; /* interval after Monday 00:00 UTC of this week */
	const char *minutes;
	const char *entity_type; /* NULL, or a seeded table's singular name */
	int entity;
} event_row;

typedef struct {
	const char *subject;
	int contact;
} conversation_row;

typedef struct {
	int contact;
	const char *sequence; /* the number reads INV-<year>-<sequence> */
	const char *currency;
} invoice_row;

static const contact_row CONTACTS[] = {
	[CT_ACME] = { "Acme Corporation", "dana.whitfield@acme.example" },
	[CT_GLOBEX] = { "Globex Corporation", "marta.kowalski@globex.example" },
	[CT_INITECH] = { "Initech", "peter.gibbons@initech.example" },
	[CT_SOYLENT] = { "Soylent Foods", "amara.nwosu@soylent.example" },
};

static const project_row PROJECTS[] = {
	[PRJ_ACME] = { "Acme onboarding", CT_ACME, "true", "1500000", "USD", "120" },
	[PRJ_GLOBEX] = { "Globex website redesign", CT_GLOBEX, "true", "4800000", "USD", "320" },
	[PRJ_INTERNAL] = { "Studio operations (internal)", NONE, "false", NULL, "USD", "80" },
};

static const task_row TASKS[] = {
	{ PRJ_ACME, "Kickoff workshop", "4" },
	{ PRJ_ACME, "Migrate customer data from the legacy CRM", "24" },
	{ PRJ_ACME, "Admin and end-user training", "12" },
	{ PRJ_GLOBEX, "Content audit and sitemap", "10" },
	{ PRJ_GLOBEX, "Wireframes for key pages", "16" },
	{ PRJ_GLOBEX, "Visual design system", "30" },
	{ PRJ_GLOBEX, "Front-end build", "60" },
	{ PRJ_GLOBEX, "Launch QA and redirects", "12" },
	{ PRJ_INTERNAL, "Weekly team sync", "1.5" },
	{ PRJ_INTERNAL, "Update proposal templates", "6" },
};

static const ticket_row TICKETS[] = {
	{ "Cannot sign in after password reset", CT_ACME, PRJ_ACME },
	{ "Homepage hero image is blurry on mobile", CT_GLOBEX, PRJ_GLOBEX },
	{ "CSV export is missing invoice dates", CT_INITECH, NONE },
	{ "Turn on two-factor login for staff accounts", NONE, NONE },
};

static const deal_row DEALS[] = {
	[DEAL_ACME] = { "Acme phase 2: ERP integration", CT_ACME },
	[DEAL_INITECH] = { "Initech intranet rebuild", CT_INITECH },
	[DEAL_SOYLENT] = { "Soylent brand refresh", CT_SOYLENT },
};

static const char *const STAGES[] = { "applied", "screening", "interview", "offer" };
/* Days between two stages of one candidate; applied_days_ago leaves room for
 * every stage reached, so the whole history lies in the past. */
enum { STAGE_GAP_DAYS = 5 };

static const candidate_row CANDIDATES[] = {
	{ "Priya Raman", 0, 2 },
	{ "Marcus Feld", 1, 8 },
	{ "Lena Okafor", 2, 15 },
	{ "Tomas Ruiz", 3, 24 },
};

static const char *const WEEKLY_HOURS[] = { "40", "32", "40", "24" };

static const event_row EVENTS[] = {
	{ "Acme onboarding kickoff", "0 days 09:30", "90", "project", PRJ_ACME },
	{ "Globex design review", "1 day 14:00", "60", "project", PRJ_GLOBEX },
	{ "Initech intranet discovery call", "2 days 11:00", "45", "deal", DEAL_INITECH },
	{ "Studio planning", "3 days 10:00", "60", NULL, NONE },
};

static const conversation_row CONVERSATIONS[] = {
	{ "Onboarding checklist and SSO questions", CT_ACME },
	{ "Homepage copy: final round of edits", CT_GLOBEX },
	{ "Brand refresh proposal and timeline", CT_SOYLENT },
};

static const invoice_row INVOICES[] = {
	{ CT_ACME, "042", "USD" },
};

/* How many numbers past the count of existing invoices to try before giving up:
 * only invoices numbered by hand in the suffix pattern can be in the way. */
enum { INVOICE_NUMBER_TRIES = 50 };

/* The result keys, in the order they are printed. */
static const char *const LISTS[] = { "projects", "tasks", "tickets", "deals", "contacts", "candidates",
				     "calendar_events", "conversations", "invoices", "employees" };

typedef struct {
	db_t *db;
	const char *ws;
	json_t *out;   /* the result: one list per table, rows in array order */
	json_t *users; /* ids of the workspace's users, oldest first */
	err_t *err;
} seed_t;

static json_t *list(seed_t *s, const char *key)
{
	return json_object_get(s->out, key);
}

/* The id of row ix of an already seeded list, or NULL (a SQL NULL) for NONE. */
static const char *id_of(seed_t *s, const char *key, int ix)
{
	if (ix == NONE)
		return NULL;
	return json_string_value(json_object_get(json_array_get(list(s, key), (size_t)ix), "id"));
}

/* Appends the object an INSERT ... RETURNING json_build_object(...) gave.
 * Every insert here returns its row, so none means the query failed. */
static bool keep(seed_t *s, json_t *into, json_t *row)
{
	if (!row)
		return err_set(s->err, ERR_INTERNAL, "internal_error", "demo seed: an insert returned no row");
	json_array_append_new(into, row);
	return true;
}

static bool check_workspace(seed_t *s)
{
	PGresult *r = DB_QUERY(s->db, s->err, "SELECT 1 FROM workspaces WHERE id = $1", s->ws);
	if (!r)
		return false;
	bool found = PQntuples(r) == 1;
	PQclear(r);
	if (!found)
		return err_set(s->err, ERR_NOT_FOUND, "not_found", "no workspace %s", s->ws);
	s->users = DB_QUERY_JSON(s->db, s->err,
				 "SELECT coalesce(json_agg(id ORDER BY created_at, id), '[]') FROM users WHERE workspace_id = $1",
				 s->ws);
	return s->users != NULL;
}

static bool seed_contacts(seed_t *s)
{
	for (size_t i = 0; i < DEMO_LEN(CONTACTS); i++) {
		const contact_row *r = &CONTACTS[i];
		json_t *row = DB_QUERY_JSON(s->db, s->err,
					    "INSERT INTO contacts (workspace_id, name, email) VALUES ($1, $2, $3)"
					    " RETURNING json_build_object('id', id, 'name', name, 'email', email)",
					    s->ws, r->name, r->email);
		if (!keep(s, list(s, "contacts"), row))
			return false;
	}
	return true;
}

static bool seed_projects(seed_t *s)
{
	for (size_t i = 0; i < DEMO_LEN(PROJECTS); i++) {
		const project_row *r = &PROJECTS[i];
		json_t *row = DB_QUERY_JSON(
			s->db, s->err,
			"INSERT INTO projects (workspace_id, name, contact_id, billable, budget_amount, currency,"
			" time_budget_hours) VALUES ($1, $2, $3, $4::boolean, $5::bigint, $6, $7::numeric)"
			" RETURNING json_build_object('id', id, 'name', name, 'contact_id', contact_id,"
			" 'billable', billable, 'budget_amount', budget_amount, 'currency', currency,"
			" 'time_budget_hours', time_budget_hours)",
			s->ws, r->name, id_of(s, "contacts", r->contact), r->billable, r->budget_amount, r->currency,
			r->time_budget_hours);
		if (!keep(s, list(s, "projects"), row))
			return false;
	}
	return true;
}

static bool seed_tasks(seed_t *s)
{
	for (size_t i = 0; i < DEMO_LEN(TASKS); i++) {
		const task_row *r = &TASKS[i];
		json_t *row = DB_QUERY_JSON(s->db, s->err,
					    "INSERT INTO tasks (workspace_id, project_id, title, estimate_hours)"
					    " VALUES ($1, $2, $3, $4::numeric)"
					    " RETURNING json_build_object('id', id, 'title', title, 'project_id', project_id,"
					    " 'estimate_hours', estimate_hours)",
					    s->ws, id_of(s, "projects", r->project), r->title, r->estimate_hours);
		if (!keep(s, list(s, "tasks"), row))
			return false;
	}
	return true;
}

static bool seed_tickets(seed_t *s)
{
	for (size_t i = 0; i < DEMO_LEN(TICKETS); i++) {
		const ticket_row *r = &TICKETS[i];
		json_t *row = DB_QUERY_JSON(s->db, s->err,
					    "INSERT INTO tickets (workspace_id, subject, contact_id, project_id)"
					    " VALUES ($1, $2, $3, $4)"
					    " RETURNING json_build_object('id', id, 'subject', subject,"
					    " 'contact_id', contact_id, 'project_id', project_id)",
					    s->ws, r->subject, id_of(s, "contacts", r->contact),
					    id_of(s, "projects", r->project));
		if (!keep(s, list(s, "tickets"), row))
			return false;
	}
	return true;
}

static bool seed_deals(seed_t *s)
{
	for (size_t i = 0; i < DEMO_LEN(DEALS); i++) {
		const deal_row *r = &DEALS[i];
		json_t *row = DB_QUERY_JSON(s->db, s->err,
					    "INSERT INTO deals (workspace_id, name, contact_id) VALUES ($1, $2, $3)"
					    " RETURNING json_build_object('id', id, 'name', name, 'contact_id', contact_id)",
					    s->ws, r->name, id_of(s, "contacts", r->contact));
		if (!keep(s, list(s, "deals"), row))
			return false;
	}
	return true;
}

/* One history row per stage the candidate went through, STAGE_GAP_DAYS apart,
 * so reports of time-in-stage have something to measure. */
static bool seed_stage_history(seed_t *s, const candidate_row *r, json_t *candidate)
{
	json_t *history = json_array();
	json_object_set_new(candidate, "stage_history", history);
	const char *candidate_id = json_string_value(json_object_get(candidate, "id"));
	char applied[16];
	snprintf(applied, sizeof applied, "%d", r->applied_days_ago);
	for (int step = 0; step <= r->stage; step++) {
		char after[16];
		snprintf(after, sizeof after, "%d", step * STAGE_GAP_DAYS);
		json_t *row = DB_QUERY_JSON(s->db, s->err,
					    "INSERT INTO candidate_stage_history (workspace_id, candidate_id, stage, entered_at)"
					    " VALUES ($1, $2, $3, now() - make_interval(days => $4::int)"
					    " + make_interval(days => $5::int))"
					    " RETURNING json_build_object('stage', stage, 'entered_at', wt_iso(entered_at))",
					    s->ws, candidate_id, STAGES[step], applied, after);
		if (!keep(s, history, row))
			return false;
	}
	return true;
}

static bool seed_candidates(seed_t *s)
{
	for (size_t i = 0; i < DEMO_LEN(CANDIDATES); i++) {
		const candidate_row *r = &CANDIDATES[i];
		json_t *row = DB_QUERY_JSON(s->db, s->err,
					    "INSERT INTO candidates (workspace_id, name, stage) VALUES ($1, $2, $3)"
					    " RETURNING json_build_object('id', id, 'name', name, 'stage', stage)",
					    s->ws, r->name, STAGES[r->stage]);
		if (!keep(s, list(s, "candidates"), row) || !seed_stage_history(s, r, row))
			return false;
	}
	return true;
}

/* Users who already have an employees row keep their hours; the list returned
 * is every employee of the workspace, so a second seed still shows them. */
static bool seed_employees(seed_t *s)
{
	for (size_t i = 0; i < json_array_size(s->users); i++) {
		if (!DB_EXEC(s->db, s->err,
			     "INSERT INTO employees (workspace_id, user_id, weekly_hours) VALUES ($1, $2, $3::numeric)"
			     " ON CONFLICT (workspace_id, user_id) DO NOTHING",
			     s->ws, json_string_value(json_array_get(s->users, i)),
			     WEEKLY_HOURS[i % DEMO_LEN(WEEKLY_HOURS)]))
			return false;
	}
	json_t *all = DB_QUERY_JSON(s->db, s->err,
				    "SELECT coalesce(json_agg(json_build_object('id', e.id, 'user_id', e.user_id,"
				    " 'name', coalesce(nullif(u.name, ''), u.email), 'weekly_hours', e.weekly_hours)"
				    " ORDER BY u.created_at, u.id), '[]')"
				    " FROM employees e JOIN users u ON u.workspace_id = e.workspace_id AND u.id = e.user_id"
				    " WHERE e.workspace_id = $1",
				    s->ws);
	if (!all)
		return err_set(s->err, ERR_INTERNAL, "internal_error", "demo seed: could not list employees");
	json_object_set_new(s->out, "employees", all);
	return true;
}

/* Events go to the workspace's users in turn; with no users there is nobody
 * to own an event, so there are none. */
static bool seed_calendar_events(seed_t *s)
{
	size_t nusers = json_array_size(s->users);
	for (size_t i = 0; nusers && i < DEMO_LEN(EVENTS); i++) {
		const event_row *r = &EVENTS[i];
		const char *entity_id = NULL;
		if (r->entity_type) {
			/* Every entity type names its result list in the plural. */
			char key[48];
			snprintf(key, sizeof key, "%ss", r->entity_type);
			entity_id = id_of(s, key, r->entity);
		}
		json_t *row = DB_QUERY_JSON(
			s->db, s->err,
			"INSERT INTO calendar_events (workspace_id, user_id, title, starts_at, ends_at, entity_type, entity_id)"
			" SELECT $1, $2, $3, w + $4::interval, w + $4::interval + make_interval(mins => $5::int), $6, $7"
			" FROM date_trunc('week', now()) AS w"
			" RETURNING json_build_object('id', id, 'title', title, 'user_id', user_id,"
			" 'starts_at', wt_iso(starts_at), 'ends_at', wt_iso(ends_at),"
			" 'entity_type', entity_type, 'entity_id', entity_id)",
			s->ws, json_string_value(json_array_get(s->users, i % nusers)), r->title, r->from_week_start,
			r->minutes, r->entity_type, entity_id);
		if (!keep(s, list(s, "calendar_events"), row))
			return false;
	}
	return true;
}

static bool seed_conversations(seed_t *s)
{
	for (size_t i = 0; i < DEMO_LEN(CONVERSATIONS); i++) {
		const conversation_row *r = &CONVERSATIONS[i];
		json_t *row = DB_QUERY_JSON(s->db, s->err,
					    "INSERT INTO conversations (workspace_id, subject, contact_id) VALUES ($1, $2, $3)"
					    " RETURNING json_build_object('id', id, 'subject', subject, 'contact_id', contact_id)",
					    s->ws, r->subject, id_of(s, "contacts", r->contact));
		if (!keep(s, list(s, "conversations"), row))
			return false;
	}
	return true;
}

/* The first seed gets the plain number; later ones append the count of the
 * workspace's invoices, and step past any number already taken (ON CONFLICT
 * DO NOTHING returns no row, which a unique violation would not allow: it would
 * abort the whole transaction). */
static bool seed_invoices(seed_t *s)
{
	for (size_t i = 0; i < DEMO_LEN(INVOICES); i++) {
		const invoice_row *r = &INVOICES[i];
		json_t *row = NULL;
		for (int attempt = 0; !row && attempt < INVOICE_NUMBER_TRIES; attempt++) {
			char skip[16];
			snprintf(skip, sizeof skip, "%d", attempt);
			row = DB_QUERY_JSON(s->db, s->err,
					    "INSERT INTO invoices (workspace_id, number, contact_id, status, currency)"
					    " SELECT $1, 'INV-' || to_char(now(), 'YYYY') || '-' || $2::text"
					    " || CASE WHEN n = 0 THEN '' ELSE '-' || n END, $3, 'draft', $4"
					    " FROM (SELECT count(*) + $5::int AS n FROM invoices WHERE workspace_id = $1) AS c"
					    " ON CONFLICT (workspace_id, number) DO NOTHING"
					    " RETURNING json_build_object('id', id, 'number', number, 'contact_id', contact_id,"
					    " 'status', status, 'currency', currency)",
					    s->ws, r->sequence, id_of(s, "contacts", r->contact), r->currency, skip);
			if (err_any(s->err))
				return false;
		}
		if (!row)
			return err_set(s->err, ERR_CONFLICT, "conflict", "demo seed: no free invoice number near INV-%s",
				       r->sequence);
		json_array_append_new(list(s, "invoices"), row);
	}
	return true;
}

/* In dependency order: a step links only to rows of the steps before it. */
static bool (*const STEPS[])(seed_t *) = {
	check_workspace,
	seed_contacts,
	seed_projects,
	seed_tasks,
	seed_tickets,
	seed_deals,
	seed_candidates,
	seed_employees,
	seed_calendar_events,
	seed_conversations,
	seed_invoices,
};

json_t *demo_seed(db_t *db, const char *workspace_id, err_t *err)
{
	if (!workspace_id || !*workspace_id) {
		err_set(err, ERR_VALIDATION, "validation_failed", "a workspace id is required");
		return NULL;
	}
	if (!db_begin(db, err))
		return NULL;
	seed_t s = { .db = db, .ws = workspace_id, .out = json_object(), .err = err };
	for (size_t i = 0; i < DEMO_LEN(LISTS); i++)
		json_object_set_new(s.out, LISTS[i], json_array());
	bool ok = true;
	for (size_t i = 0; ok && i < DEMO_LEN(STEPS); i++)
		ok = STEPS[i](&s);
	json_decref(s.users);
	if (ok && db_commit(db, err))
		return s.out;
	db_rollback(db);
	json_decref(s.out);
	return NULL;
}
