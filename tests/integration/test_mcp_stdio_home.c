/* `workestra-time mcp` as an IDE starts it: from any folder. It finds the
 * installation's data folder (WORKESTRA_DATA_DIR, else var/ beside the
 * executable or its folder), never the current folder's, and never creates
 * a cluster: without one it refuses at once, naming what to set. */
#include "harness.h"
#include <criterion/criterion.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct {
	int status; /* exit status, or -1 when it had to be killed */
	char *out, *err;
	double seconds;
} sh_run;

static char *sh_slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	cr_assert(f, "%s", path);
	char *buf = calloc(1, 1 << 20);
	size_t n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void sh_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	cr_assert(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

/* Runs bin mcp in cwd with exactly env, input on stdin; at most 60 s. */
static sh_run sh_mcp(const char *bin, const char *cwd, char *const env[], const char *input, const char *scratch)
{
	char in[PATH_MAX], out[PATH_MAX], err[PATH_MAX];
	snprintf(in, sizeof in, "%s/stdin", scratch);
	snprintf(out, sizeof out, "%s/stdout", scratch);
	snprintf(err, sizeof err, "%s/stderr", scratch);
	sh_write(in, input);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int i = open(in, O_RDONLY), o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600),
		    e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (i < 0 || o < 0 || e < 0 || dup2(i, 0) < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0 || chdir(cwd))
			_exit(126);
		char *argv[] = { (char *)bin, "mcp", NULL };
		execve(bin, argv, env);
		_exit(127);
	}
	sh_run r = { .status = -1 };
	for (int i = 0; i < 600; i++) {
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			break;
		}
		usleep(100 * 1000);
	}
	if (r.status == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	r.seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	r.out = sh_slurp(out);
	r.err = sh_slurp(err);
	return r;
}

static void sh_free(sh_run *r)
{
	free(r->out);
	free(r->err);
}

/* A fresh folder under /tmp. */
static void sh_tmp(char out[PATH_MAX], const char *name)
{
	snprintf(out, PATH_MAX, "/tmp/wt-mcp-home-%s-XXXXXX", name);
	cr_assert(mkdtemp(out), "%s", out);
}

/* A copy of the binary at dir/bin/workestra-time (a copy, not a link: the
 * executable's own path is what counts). */
static void sh_install(const char *dir, char bin[PATH_MAX])
{
	char from[PATH_MAX], folder[PATH_MAX - 32];
	cr_assert(realpath(harness_bin(), from), "%s", harness_bin());
	snprintf(folder, sizeof folder, "%.*s/bin", PATH_MAX - 64, dir);
	cr_assert_eq(mkdir(folder, 0755), 0);
	snprintf(bin, PATH_MAX, "%s/workestra-time", folder);
	int a = open(from, O_RDONLY), b = open(bin, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	cr_assert(a >= 0 && b >= 0);
	char buf[65536];
	ssize_t n;
	while ((n = read(a, buf, sizeof buf)) > 0)
		cr_assert_eq(write(b, buf, (size_t)n), n);
	close(a);
	close(b);
}

static bool sh_exists(const char *dir, const char *name)
{
	char p[PATH_MAX + 64];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	return access(p, F_OK) == 0;
}

static void sh_rm(const char *dir)
{
	char cmd[PATH_MAX + 32];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

Test(mcp_stdio_home, from_another_folder_without_a_database_it_refuses_at_once_and_creates_nothing)
{
	char inst[PATH_MAX], cwd[PATH_MAX], bin[PATH_MAX];
	sh_tmp(inst, "inst");
	sh_tmp(cwd, "cwd");
	sh_install(inst, bin);
	char *env[] = { "WORKESTRA_TOKEN=tok_x.y", "PATH=/usr/bin:/bin", NULL };
	sh_run r = sh_mcp(bin, cwd, env, "", inst);
	cr_assert_eq(r.status, 1, "stderr: %s", r.err);
	cr_assert_lt(r.seconds, 10);
	cr_assert(strstr(r.err, "WORKESTRA_DATA_DIR") && strstr(r.err, "DATABASE_URL"), "%s", r.err);
	cr_assert(strstr(r.err, "no_database"), "%s", r.err);
	cr_assert_str_eq(r.out, "", "nothing on the protocol stream");
	cr_assert_not(sh_exists(cwd, "var"), "no var/ in the current folder");
	cr_assert_not(sh_exists(inst, "var"), "no var/ beside the installation");
	sh_free(&r);

	/* A data folder without a cluster is refused too, and stays empty. */
	char data[PATH_MAX], envdir[PATH_MAX + 32];
	sh_tmp(data, "data");
	snprintf(envdir, sizeof envdir, "WORKESTRA_DATA_DIR=%s", data);
	char *env2[] = { "WORKESTRA_TOKEN=tok_x.y", "PATH=/usr/bin:/bin", envdir, NULL };
	r = sh_mcp(bin, cwd, env2, "", inst);
	cr_assert_eq(r.status, 1, "stderr: %s", r.err);
	cr_assert(strstr(r.err, data) && strstr(r.err, "never creates"), "%s", r.err);
	cr_assert_not(sh_exists(data, "pg"), "no cluster made in %s", data);
	cr_assert_not(sh_exists(cwd, "var"));
	sh_free(&r);
	sh_rm(inst);
	sh_rm(cwd);
	sh_rm(data);
}

Test(mcp_stdio_home, finds_the_var_folder_beside_the_installation_from_any_folder)
{
	harness_ws w;
	harness_workspace(&w, "free", NULL);
	char inst[PATH_MAX], cwd[PATH_MAX], bin[PATH_MAX], var[PATH_MAX + 8], key[PATH_MAX + 32];
	sh_tmp(inst, "inst");
	sh_tmp(cwd, "cwd");
	sh_install(inst, bin);
	/* The installation's data folder holds the server's confirmation key
	 * (the one serve runs with here): tokens the stdio server issues are
	 * then redeemable at serve, which proves that folder was used. */
	snprintf(var, sizeof var, "%s/var", inst);
	cr_assert_eq(mkdir(var, 0700), 0);
	snprintf(key, sizeof key, "%s/secret_key", var);
	sh_write(key, HARNESS_SECRET_KEY "\n");
	/* The token comes from a file only its owner can read (WORKESTRA_TOKEN_FILE). */
	char url[1024], tokfile[PATH_MAX + 16], tok[PATH_MAX + 64], input[1024], line[200];
	snprintf(url, sizeof url, "DATABASE_URL=%s", getenv("DATABASE_URL"));
	snprintf(tokfile, sizeof tokfile, "%s/token", cwd);
	snprintf(line, sizeof line, "%s\n", w.member_tok);
	sh_write(tokfile, line);
	cr_assert_eq(chmod(tokfile, 0644), 0);
	snprintf(tok, sizeof tok, "WORKESTRA_TOKEN_FILE=%s", tokfile);
	char *env[] = { url, tok, "PATH=/usr/bin:/bin", NULL };
	sh_run refused = sh_mcp(bin, cwd, env, "", inst);
	cr_assert_eq(refused.status, 1, "a token file others can read is refused: %s", refused.err);
	cr_assert(strstr(refused.err, "chmod 600"), "%s", refused.err);
	sh_free(&refused);
	cr_assert_eq(chmod(tokfile, 0600), 0);
	snprintf(input, sizeof input,
		 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
		 "\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}\n"
		 "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n"
		 "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"log_time_entry\","
		 "\"arguments\":{\"entity_type\":\"task\",\"entity_id\":\"%s\",\"hours\":1,\"log_date\":\"2026-03-04\"}}}\n",
		 harness_demo_id(&w, "tasks", 0));
	sh_run r = sh_mcp(bin, cwd, env, input, inst);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	const char *last = strstr(r.out, "\"id\":2");
	cr_assert(last, "stdout: %s\nstderr: %s", r.out, r.err);
	const char *at = strstr(r.out, "\"confirmation_token\":\"");
	cr_assert(at, "%s", r.out);
	at += strlen("\"confirmation_token\":\"");
	char confirmation[2048];
	snprintf(confirmation, sizeof confirmation, "%.*s", (int)strcspn(at, "\\\""), at);
	char body[2200];
	snprintf(body, sizeof body, "{\"confirmation_token\":\"%s\"}", confirmation);
	harness_response h = harness_request("POST", "/api/v1/ai/confirm", w.member_tok, body, NULL);
	cr_assert_eq(h.status, 200, "%s", h.body);
	harness_response_free(&h);
	cr_assert_not(sh_exists(cwd, "var"), "no var/ in the current folder");
	sh_free(&r);
	sh_rm(inst);
	sh_rm(cwd);
	harness_workspace_free(&w);
}
