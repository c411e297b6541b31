#define _GNU_SOURCE
/* Migrations: applied once each, in order, also when two processes race on a
 * fresh database, and a second run applies nothing. */
#include "harness.h"
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* A fresh, empty database next to the test database; returns its conninfo. */
static char *mg_fresh_database(const char *name)
{
	char sql[160];
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", name);
	PQclear(harness_sql(sql, 0));
	snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
	PQclear(harness_sql(sql, 0));
	char *url = NULL;
	cr_assert(asprintf(&url, "%s dbname=%s", getenv("DATABASE_URL"), name) > 0);
	return url;
}

static pid_t mg_spawn_migrate(const char *url)
{
	pid_t pid = fork();
	if (pid == 0) {
		setenv("DATABASE_URL", url, 1);
		freopen("/dev/null", "w", stdout);
		execl(harness_bin(), harness_bin(), "migrate", (char *)NULL);
		_exit(127);
	}
	return pid;
}

static long mg_count(const char *url, const char *sql)
{
	PGconn *c = PQconnectdb(url);
	cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
	PGresult *r = PQexec(c, sql);
	cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQresultErrorMessage(r));
	long n = atol(PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(c);
	return n;
}

Test(migrate, two_processes_racing_apply_each_migration_once)
{
	char *url = mg_fresh_database("wt_migrate_race");
	pid_t a = mg_spawn_migrate(url), b = mg_spawn_migrate(url);
	int sa, sb;
	waitpid(a, &sa, 0);
	waitpid(b, &sb, 0);
	cr_assert(WIFEXITED(sa) && WEXITSTATUS(sa) == 0, "first migrate failed");
	cr_assert(WIFEXITED(sb) && WEXITSTATUS(sb) == 0, "second migrate failed");
	long versions = mg_count(url, "SELECT count(*) FROM schema_migrations");
	cr_assert_gt(versions, 0);
	cr_assert_eq(mg_count(url, "SELECT count(DISTINCT version) FROM schema_migrations"), versions);
	/* Numbered from 1 without gaps: applied in order, none skipped. */
	cr_assert_eq(mg_count(url, "SELECT max(version) FROM schema_migrations"), versions);
	cr_assert_eq(mg_count(url, "SELECT count(*) FROM pg_tables WHERE tablename = 'time_entries'"), 1);

	/* Running again applies nothing and fails nothing. */
	pid_t c = mg_spawn_migrate(url);
	int sc;
	waitpid(c, &sc, 0);
	cr_assert(WIFEXITED(sc) && WEXITSTATUS(sc) == 0);
	cr_assert_eq(mg_count(url, "SELECT count(*) FROM schema_migrations"), versions);
	free(url);
}
