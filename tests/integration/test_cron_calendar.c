/* time-calendar-refresh against a real database, with the ICS feed served
 * from a local file (file:// URLs are fetched only with
 * WEBHOOK_ALLOW_PRIVATE=1, set here for the CLI runs; the server under test
 * does not have it, so creating such a connection over HTTP is refused and
 * the test points its connection at the file directly in SQL). The feed has
 * a TZID meeting, an all-day event, a daily recurring event with an EXDATE
 * and a moved instance, a cancelled event and an old one; a second version
 * drops and cancels some. Runs are repeated to show nothing duplicates.
 * Then the SSRF policy of feed fetches: environment proxies are ignored, and
 * IPv6 forms of a loopback address are refused at connect time. */
#include "harness.h"
#include "receiver.h"
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CAL_CONNECTIONS "/api/v1/time/calendar-connections"
#define CAL_JOB "time-calendar-refresh"

static void cal_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fputs(text, f);
	fclose(f);
}

static long cal_count(json_t *run, const char *name)
{
	return (long)json_integer_value(json_object_get(json_object_get(run, "counts"), name));
}

/* The run's detail for connection id. */
static json_t *cal_detail(json_t *run, const char *id)
{
	json_t *list = json_object_get(json_object_get(run, "details"), "connections"), *d;
	size_t i;
	json_array_foreach(list, i, d) if (!strcmp(json_string_value(json_object_get(d, "connection_id")), id)) return d;
	cr_assert_fail("no detail for connection %s", id);
	return NULL;
}

static char *cal_import_id(const char *conn, const char *uid, const char *rid)
{
	PGresult *r = harness_sql("SELECT id FROM time_calendar_imports WHERE connection_id = $1 AND uid = $2 AND recurrence_id = $3",
				  3, conn, uid, rid);
	cr_assert_eq(PQntuples(r), 1, "no import %s %s", uid, rid);
	char *id = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	return id;
}

static json_t *cal_run(const char *now)
{
	json_t *run = harness_cron(CAL_JOB, now);
	cr_assert(run, "%s --now %s failed", CAL_JOB, now);
	cr_assert_str_eq(json_string_value(json_object_get(run, "status")), "succeeded");
	return run;
}

#define CAL_HEAD "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Workestra//test//EN\r\n"
#define CAL_TZ_MEETING                                                                                             \
	"BEGIN:VEVENT\r\nUID:tz-meeting@test\r\nDTSTART;TZID=Europe/Berlin:20261116T100000\r\n"                      \
	"DTEND;TZID=Europe/Berlin:20261116T113000\r\nSUMMARY:Design review\\, Berlin\r\nEND:VEVENT\r\n"
#define CAL_ALL_DAY(status)                                                                                        \
	"BEGIN:VEVENT\r\nUID:offsite@test\r\nDTSTART;VALUE=DATE:20261117\r\nDTEND;VALUE=DATE:20261118\r\n"          \
	"SUMMARY:Offsite\r\n" status "END:VEVENT\r\n"
#define CAL_DAILY(exdates)                                                                                         \
	"BEGIN:VEVENT\r\nUID:standup@test\r\nDTSTART:20261110T150000Z\r\nDTEND:20261110T153000Z\r\n"               \
	"RRULE:FREQ=DAILY;COUNT=10\r\nEXDATE:" exdates "\r\nSUMMARY:Standup\r\nEND:VEVENT\r\n"                      \
	"BEGIN:VEVENT\r\nUID:standup@test\r\nRECURRENCE-ID:20261117T150000Z\r\nDTSTART:20261117T170000Z\r\n"        \
	"DTEND:20261117T174500Z\r\nSUMMARY:Standup (moved)\r\nEND:VEVENT\r\n"
#define CAL_REST                                                                                                   \
	"BEGIN:VEVENT\r\nUID:cancelled@test\r\nDTSTART:20261118T130000Z\r\nDTEND:20261118T140000Z\r\n"             \
	"SUMMARY:Called off\r\nSTATUS:CANCELLED\r\nEND:VEVENT\r\n"                                                 \
	"BEGIN:VEVENT\r\nUID:old@test\r\nDTSTART:20261101T130000Z\r\nDTEND:20261101T140000Z\r\nSUMMARY:Old\r\nEND:VEVENT\r\n"

static const char *const CAL_V1 =
	CAL_HEAD CAL_TZ_MEETING CAL_ALL_DAY("") CAL_DAILY("20261115T150000Z") CAL_REST "END:VCALENDAR\r\n";
/* the meeting is gone, the offsite cancelled, the 18th's standup excluded */
static const char *const CAL_V2 = CAL_HEAD CAL_ALL_DAY("STATUS:CANCELLED\r\n")
	CAL_DAILY("20261115T150000Z,20261118T150000Z") CAL_REST "END:VCALENDAR\r\n";

Test(calendar_refresh, imports_converts_and_refreshes_idempotently)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	json_decref(harness_call(200, w.admin_tok, "PATCH", "/api/v1/time/settings", "{\"timezone\":\"America/New_York\"}"));

	/* connections over HTTP: never file://, whatever the server allows; own only */
	harness_response bad = harness_request("POST", CAL_CONNECTIONS, w.member_tok, "{\"url\":\"file:///etc/passwd\"}", NULL);
	cr_assert_eq(bad.status, 422, "%s", bad.body);
	harness_response_free(&bad);
	json_t *k = harness_call(201, w.member_tok, "POST", CAL_CONNECTIONS,
			     "{\"url\":\"https://calendar.example.test/feed.ics\",\"name\":\"Work\"}");
	const char *conn = json_string_value(json_object_get(k, "id"));
	cr_assert_str_eq(json_string_value(json_object_get(k, "provider")), "ics");
	json_t *others = harness_call(200, w.member2_tok, "GET", CAL_CONNECTIONS, "%s", "");
	cr_assert_eq(json_array_size(others), 0);
	json_decref(others);
	json_decref(harness_call(404, w.admin_tok, "DELETE", CAL_CONNECTIONS "/x", "%s", ""));
	char path[256], url[300], del[128];
	snprintf(del, sizeof del, CAL_CONNECTIONS "/%s", conn);
	json_decref(harness_call(404, w.member2_tok, "DELETE", del, "%s", ""));

	/* the feed, and a second connection whose file does not exist */
	snprintf(path, sizeof path, "/tmp/wt-cal-%d-%s.ics", (int)getpid(), w.ws);
	snprintf(url, sizeof url, "file://%s", path);
	cal_write(path, CAL_V1);
	PQclear(harness_sql("UPDATE calendar_connections SET url = $2 WHERE id = $1", 2, conn, url));
	json_t *k2 = harness_call(201, w.member2_tok, "POST", CAL_CONNECTIONS, "{\"url\":\"https://calendar.example.test/2.ics\"}");
	const char *conn2 = json_string_value(json_object_get(k2, "id"));
	PQclear(harness_sql("UPDATE calendar_connections SET url = 'file:///nonexistent/wt-cal.ics' WHERE id = $1", 1, conn2));
	setenv("WEBHOOK_ALLOW_PRIVATE", "1", 1);

	/* first run: window [13th 06:00Z, 20th 06:00Z) */
	json_t *run = cal_run("2026-11-20T06:00:00Z");
	json_t *d = cal_detail(run, conn);
	cr_assert_eq(json_integer_value(json_object_get(d, "imported")), 8, "%s", json_dumps(d, 0));
	cr_assert_str_eq(json_string_value(json_object_get(cal_detail(run, conn2), "error")) ? "x" : "", "x");
	cr_assert_geq(cal_count(run, "failed"), 1);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_calendar_imports WHERE connection_id = $1", 1, conn), 8);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM calendar_connections WHERE id = $1 AND last_error IS NULL"
				      " AND last_refreshed_at IS NOT NULL", 1, conn), 1);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM calendar_connections WHERE id = $1 AND last_error LIKE '%%fetching%%'",
				      1, conn2), 1);
	/* times: the Berlin meeting in UTC, the all-day event in the workspace's zone, the moved instance */
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_calendar_imports WHERE connection_id = $1 AND uid = 'tz-meeting@test'"
				      " AND starts_at = '2026-11-16T09:00:00Z' AND ends_at = '2026-11-16T10:30:00Z'"
				      " AND title = 'Design review, Berlin' AND recurrence_id = ''", 1, conn), 1);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_calendar_imports WHERE connection_id = $1 AND uid = 'offsite@test'"
				      " AND all_day AND starts_at = '2026-11-17T05:00:00Z' AND ends_at = '2026-11-18T05:00:00Z'", 1, conn), 1);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_calendar_imports WHERE connection_id = $1 AND uid = 'standup@test'",
				      1, conn), 6); /* 13, 14, 16, 17 (moved), 18, 19 */
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_calendar_imports WHERE connection_id = $1 AND uid = 'standup@test'"
				      " AND recurrence_id = '20261117T150000Z' AND starts_at = '2026-11-17T17:00:00Z'", 1, conn), 1);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_calendar_imports WHERE connection_id = $1 AND uid IN"
				      " ('cancelled@test', 'old@test')", 1, conn), 0);
	json_decref(run);

	/* the same day again: replayed; and redone for real: nothing new */
	run = harness_cron(CAL_JOB, "2026-11-20T06:00:00Z");
	cr_assert(json_is_true(json_object_get(run, "replayed")));
	json_decref(run);
	PQclear(harness_sql("DELETE FROM cron_runs WHERE job = $1 AND run_date = '2026-11-20'", 1, CAL_JOB));
	run = cal_run("2026-11-20T06:00:00Z");
	d = cal_detail(run, conn);
	cr_assert_eq(json_integer_value(json_object_get(d, "imported")), 0);
	cr_assert_eq(json_integer_value(json_object_get(d, "updated")), 0);
	cr_assert_eq(json_integer_value(json_object_get(d, "events")), 9); /* with the cancelled one */
	json_decref(run);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_calendar_imports WHERE connection_id = $1", 1, conn), 8);

	/* the ghost blocks: the member's own only */
	json_t *list = harness_call(200, w.member_tok, "GET", "/api/v1/time/calendar-imports?from=2026-11-16&to=2026-11-16", "%s", "");
	cr_assert_eq(json_array_size(list), 2, "%s", json_dumps(list, 0)); /* the meeting and the 16th's standup */
	json_decref(list);
	list = harness_call(200, w.member2_tok, "GET", "/api/v1/time/calendar-imports", "%s", "");
	cr_assert_eq(json_array_size(list), 0);
	json_decref(list);
	json_decref(harness_call(422, w.member_tok, "GET", "/api/v1/time/calendar-imports?from=yesterday", "%s", ""));

	/* convert: once, by its owner */
	char *meeting = cal_import_id(conn, "tz-meeting@test", ""), cpath[160];
	snprintf(cpath, sizeof cpath, "/api/v1/time/calendar-imports/%s/convert", meeting);
	json_decref(harness_call(404, w.member2_tok, "POST", cpath, "%s", ""));
	json_t *entry = harness_call(201, w.member_tok, "POST", cpath, "%s", "");
	cr_assert_str_eq(json_string_value(json_object_get(entry, "log_date")), "2026-11-16");
	cr_assert_str_eq(json_string_value(json_object_get(entry, "description")), "Design review, Berlin");
	cr_assert_eq(json_integer_value(json_object_get(entry, "duration_seconds")), 5400, "%s", json_dumps(entry, 0));
	cr_assert_str_eq(json_string_value(json_object_get(entry, "user_id")), w.member);
	harness_response again = harness_request("POST", cpath, w.member_tok, NULL, NULL);
	cr_assert_eq(again.status, 409);
	cr_assert_str_eq(harness_error_code(&again), "already_converted");
	harness_response_free(&again);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_calendar_imports WHERE id = $1 AND converted_entry_id = $2", 2,
				      meeting, json_string_value(json_object_get(entry, "id"))), 1);
	json_decref(entry);

	/* next day, second version: window [14th 06:00Z, 21st 06:00Z) */
	cal_write(path, CAL_V2);
	run = cal_run("2026-11-21T06:00:00Z");
	d = cal_detail(run, conn);
	cr_assert_eq(json_integer_value(json_object_get(d, "imported")), 0, "%s", json_dumps(d, 0));
	cr_assert_eq(json_integer_value(json_object_get(d, "cancelled")), 1); /* the converted meeting */
	cr_assert_eq(json_integer_value(json_object_get(d, "removed")), 2);   /* the offsite, the 18th */
	json_decref(run);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_calendar_imports WHERE id = $1 AND status = 'cancelled'", 1, meeting), 1);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_calendar_imports WHERE connection_id = $1 AND uid = 'offsite@test'",
				      1, conn), 0);
	/* 13th kept (before the window), 14, 16, 17, 19; no (uid, instance) twice */
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_calendar_imports WHERE connection_id = $1 AND uid = 'standup@test'",
				      1, conn), 5);
	cr_assert_eq(harness_sql_long("SELECT count(*) - count(DISTINCT (uid, recurrence_id)) FROM time_calendar_imports"
				      " WHERE connection_id = $1", 1, conn), 0);
	list = harness_call(200, w.member_tok, "GET", "/api/v1/time/calendar-imports?from=2026-11-01&to=2026-11-30", "%s", "");
	cr_assert_eq(json_array_size(list), 5, "%s", json_dumps(list, 0));
	json_decref(list);
	/* the entry made from it stays */
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_entries WHERE workspace_id = $1 AND user_id = $2 AND deleted_at IS NULL"
				      " AND source = 'calendar'", 2, w.ws, w.member), 1);

	/* deleting the connection takes its imports with it */
	json_decref(harness_call(200, w.member_tok, "DELETE", del, "%s", ""));
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_calendar_imports WHERE connection_id = $1", 1, conn), 0);
	unsetenv("WEBHOOK_ALLOW_PRIVATE");
	unlink(path);
	free(meeting);
	json_decref(k);
	json_decref(k2);
	harness_workspace_free(&w);
}

Test(calendar_refresh, converting_respects_the_timesheet_lock)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	json_t *k = harness_call(201, w.member_tok, "POST", CAL_CONNECTIONS, "{\"url\":\"https://calendar.example.test/l.ics\"}");
	const char *conn = json_string_value(json_object_get(k, "id"));
	PGresult *r = harness_sql("INSERT INTO time_calendar_imports (workspace_id, user_id, connection_id, uid, title, starts_at, ends_at)"
				  " VALUES ($1, $2, $3, 'locked@test', 'Locked', '2026-10-07T14:00:00Z', '2026-10-07T15:00:00Z') RETURNING id",
				  3, w.ws, w.member, conn);
	char id[64], cpath[160];
	snprintf(id, sizeof id, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	/* a locked (submitted) timesheet for that day */
	json_decref(harness_call(201, w.member_tok, "POST", "/api/v1/time-entries",
			     "{\"entity_type\":\"project\",\"entity_id\":\"%s\",\"log_date\":\"2026-10-07\",\"hours\":1}",
			     harness_demo_id(&w, "projects", 0)));
	PQclear(harness_sql("UPDATE timesheets SET status = 'submitted' WHERE workspace_id = $1 AND user_id = $2", 2, w.ws, w.member));
	snprintf(cpath, sizeof cpath, "/api/v1/time/calendar-imports/%s/convert", id);
	harness_response res = harness_request("POST", cpath, w.member_tok, NULL, NULL);
	cr_assert_eq(res.status, 409, "%s", res.body);
	cr_assert_str_eq(harness_error_code(&res), "timesheet_locked");
	harness_response_free(&res);
	cr_assert_eq(harness_sql_long("SELECT count(*) FROM time_calendar_imports WHERE id = $1 AND converted_entry_id IS NULL"
				      " AND calendar_event_id IS NULL", 1, id), 1);
	/* a cancelled one cannot be converted */
	PQclear(harness_sql("UPDATE time_calendar_imports SET status = 'cancelled' WHERE id = $1", 1, id));
	res = harness_request("POST", cpath, w.member_tok, NULL, NULL);
	cr_assert_eq(res.status, 409, "%s", res.body);
	cr_assert_str_eq(harness_error_code(&res), "import_cancelled");
	harness_response_free(&res);
	json_decref(k);
	harness_workspace_free(&w);
}

/* A listening socket on 127.0.0.1 that never accepts: whoever connects waits
 * in its backlog, where cal_connected finds them. */
static int cal_listener(int *port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	cr_assert(fd >= 0 && !bind(fd, (struct sockaddr *)&a, sizeof a) && !listen(fd, 16) &&
		  !getsockname(fd, (struct sockaddr *)&a, &len));
	*port = ntohs(a.sin_port);
	return fd;
}

static bool cal_connected(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	int c = accept(fd, NULL, NULL);
	if (c >= 0) {
		close(c);
		return true;
	}
	cr_assert(errno == EAGAIN || errno == EWOULDBLOCK, "accept: %s", strerror(errno));
	return false;
}

/* A connection of the member's, its URL set in SQL (the API takes https only
 * without WEBHOOK_ALLOW_PRIVATE, which the server under test does not have). */
static char *cal_connection(harness_ws *w, const char *url)
{
	json_t *k = harness_call(201, w->member_tok, "POST", CAL_CONNECTIONS, "{\"url\":\"https://calendar.example.test/p.ics\"}");
	char *id = strdup(json_string_value(json_object_get(k, "id")));
	json_decref(k);
	PQclear(harness_sql("UPDATE calendar_connections SET url = $2 WHERE id = $1", 2, id, url));
	return id;
}

/* Later runs of the job (other tests) need not wait on these feeds. */
static void cal_disable_all(const harness_ws *w)
{
	PQclear(harness_sql("UPDATE calendar_connections SET enabled = false WHERE workspace_id = $1", 1, w->ws));
}

static char *cal_last_error(const char *conn)
{
	PGresult *r = harness_sql("SELECT coalesce(last_error, '') FROM calendar_connections WHERE id = $1", 1, conn);
	char *e = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	return e;
}

Test(calendar_refresh, feed_fetches_ignore_proxy_variables)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	receiver_t *feed = receiver_start();
	char *url = receiver_url(feed, "/feed.ics");
	char *conn = cal_connection(&w, url);
	/* every variable libcurl reads, pointing at a listener that counts */
	int proxy_port, proxy = cal_listener(&proxy_port);
	char proxy_url[64];
	snprintf(proxy_url, sizeof proxy_url, "http://127.0.0.1:%d", proxy_port);
	static const char *const vars[] = { "http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY" };
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
		setenv(vars[i], proxy_url, 1);
	unsetenv("no_proxy");
	unsetenv("NO_PROXY");
	setenv("WEBHOOK_ALLOW_PRIVATE", "1", 1);
	PQclear(harness_sql("DELETE FROM cron_runs WHERE job = $1 AND run_date = '2026-12-01'", 1, CAL_JOB));

	json_decref(cal_run("2026-12-01T06:00:00Z"));
	/* fetched directly: the receiver answered (JSON, so not a calendar), the proxy saw nobody */
	cr_assert_eq(receiver_count(feed, "/feed.ics"), 1);
	cr_assert_not(cal_connected(proxy), "the feed was fetched through the proxy");
	char *e = cal_last_error(conn);
	cr_assert(strstr(e, "not an iCalendar feed"), "%s", e);
	free(e);

	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
		unsetenv(vars[i]);
	unsetenv("WEBHOOK_ALLOW_PRIVATE");
	cal_disable_all(&w);
	close(proxy);
	free(conn);
	free(url);
	receiver_stop(feed);
	harness_workspace_free(&w);
}

/* Without WEBHOOK_ALLOW_PRIVATE, a feed whose address is loopback in an IPv6
 * disguise (6to4, NAT64, IPv4-mapped, IPv4-compatible) is refused before any
 * connection is made, as is a reserved one (Teredo). */
Test(calendar_refresh, disguised_loopback_feeds_are_refused)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	unsetenv("WEBHOOK_ALLOW_PRIVATE");
	static const struct {
		const char *url, *refusal;
	} cases[] = {
		{ "https://[2002:7f00:1::1]:8443/feed.ics", "refused to connect to 2002:7f00:1::1: a loopback address" },
		{ "https://[64:ff9b::7f00:1]:8443/feed.ics", "refused to connect to 64:ff9b::7f00:1: a loopback address" },
		{ "https://[::ffff:127.0.0.1]:8443/feed.ics", "refused to connect to ::ffff:127.0.0.1: a loopback address" },
		{ "https://[::127.0.0.1]:8443/feed.ics", "refused to connect to ::127.0.0.1: a loopback address" },
		{ "https://[2001::7f00:1]:8443/feed.ics", "refused to connect to 2001::7f00:1: a reserved address" },
	};
	char *conns[sizeof cases / sizeof cases[0]];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		conns[i] = cal_connection(&w, cases[i].url);
	PQclear(harness_sql("DELETE FROM cron_runs WHERE job = $1 AND run_date = '2026-12-02'", 1, CAL_JOB));

	json_decref(cal_run("2026-12-02T06:00:00Z"));
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *e = cal_last_error(conns[i]);
		cr_expect(strstr(e, cases[i].refusal), "%s: %s", cases[i].url, e);
		free(e);
		free(conns[i]);
	}
	cal_disable_all(&w);
	harness_workspace_free(&w);
}
