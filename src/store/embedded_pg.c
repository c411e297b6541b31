/* The private PostgreSQL cluster (see embedded_pg.h). Layout under the data
 * folder: pg/data (the cluster), pg/run (the unix socket; no TCP), pg/log (the
 * server log, which also collects initdb and pg_ctl output so stdout stays
 * free for command output). Child programs are started with fork/execv, never
 * through a shell of ours, so folder names with spaces work. */
#define _GNU_SOURCE /* strverscmp, close_range */
#include "store/embedded_pg.h"
#include "util/log.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define EPG_DB "workestra"
#define EPG_TMP_PREFIX "/tmp/workestra-time-"
#define EPG_SOCKET_NAME "/.s.PGSQL.5432" /* the server names it after EPG_PORT */
#define EPG_VERSIONS_DIR "/usr/lib/postgresql"

enum {
	EPG_PORT = 5432,
	/* sun_path holds 108 bytes; keep a margin for the ".lock" name beside it */
	EPG_SOCKET_MAX = 100,
	EPG_MAX_GROUPS = 64,
	/* the server log is appended forever; past this it starts afresh */
	EPG_LOG_ROTATE = 8 << 20,
};

/* The account the server runs as: ourselves, or postgres when we are root. */
typedef struct {
	bool drop; /* children switch to uid/gid/groups before exec */
	uid_t uid;
	gid_t gid;
	gid_t groups[EPG_MAX_GROUPS];
	int ngroups;
} epg_user;

/* Every path is absolute, so children can run from any working directory. */
typedef struct {
	epg_user user;
	char abs[PATH_MAX]; /* the caller's dir */
	char tmp[PATH_MAX]; /* /tmp/workestra-time-<hash>, the fallback */
	bool in_tmp;        /* the whole cluster lives under tmp */
	bool sock_in_tmp;   /* only the socket folder does */
	char pg[PATH_MAX];  /* <dir>/pg or <tmp>/pg */
	char data[PATH_MAX];
	char run[PATH_MAX];
	char log[PATH_MAX];
	char owner[PATH_MAX]; /* pid of the process that must stop the server */
	char initdb[PATH_MAX];
	char pg_ctl[PATH_MAX];
} epg_layout;

/* Every failure here means the database cannot be had: one kind, one code. */
static bool fail(err_t *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(err_t *err, const char *fmt, ...)
{
	char msg[sizeof err->message];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return err_set(err, ERR_CODE_DATABASE_UNAVAILABLE, "%s", msg);
}

static bool join(char *out, const char *a, const char *b)
{
	return snprintf(out, PATH_MAX, "%s%s", a, b) < PATH_MAX;
}

/* mkdir -p; components that already exist are left as they are. */
static bool mkdirs(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	if (!*path || snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
		errno = ENAMETOOLONG;
		return false;
	}
	for (char *p = buf + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(buf, mode) != 0 && errno != EEXIST)
			return false;
		*p = c;
		if (!c)
			break;
	}
	struct stat st;
	if (stat(buf, &st) != 0)
		return false;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return false;
	}
	return true;
}

static uint64_t fnv1a(const void *data, size_t n, uint64_t h)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* pg_ctl hands -D, -l and -o to /bin/sh (inside double quotes, and our -k
 * value inside single quotes), and the server splits unix_socket_directories
 * on commas: paths with these characters cannot get through intact. */
static bool path_is_safe(const char *p)
{
	for (; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c == 0x7f || strchr("\"'\\$`,", c))
			return false;
	}
	return true;
}

static bool lookup_user(epg_user *u, err_t *err)
{
	memset(u, 0, sizeof *u);
	if (geteuid() != 0) {
		u->uid = geteuid();
		u->gid = getegid();
		return true;
	}
	struct passwd pw, *res = NULL;
	char buf[4096];
	if (getpwnam_r("postgres", &pw, buf, sizeof buf, &res) != 0 || !res)
		return err_set(err, ERR_CODE_DATABASE_UNAVAILABLE,
			       "PostgreSQL refuses to run as root and there is no 'postgres' system user to run it as; "
			       "install PostgreSQL (apt-get install postgresql), run as a regular user, or set DATABASE_URL");
	u->drop = true;
	u->uid = pw.pw_uid;
	u->gid = pw.pw_gid;
	/* The group list is looked up here, not with initgroups() in the child:
	 * after fork only async-signal-safe calls are allowed. */
	int n = EPG_MAX_GROUPS;
	if (getgrouplist(pw.pw_name, pw.pw_gid, u->groups, &n) < 0) {
		u->groups[0] = pw.pw_gid;
		n = 1;
	}
	u->ngroups = n;
	return true;
}

/* The functions below run in a forked child, so they make only
 * async-signal-safe calls: another thread may have held the malloc lock at
 * the fork. 126 means the child could not get ready, 127 that exec failed. */
static void child_become(const epg_user *u)
{
	if (!u->drop)
		return;
	if (setgroups((size_t)u->ngroups, u->groups) != 0 || setgid(u->gid) != 0 || setuid(u->uid) != 0)
		_exit(126);
}

static void child_exec(const epg_user *u, const char *cwd, const char *out, char *const argv[])
{
	/* exec keeps ignored signals and the mask; pg_ctl must see them as usual
	 * (an ignored SIGCHLD would break its waiting for the server) */
	static const int sigs[] = { SIGCHLD, SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
	struct sigaction dfl;
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaction(sigs[i], &dfl, NULL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	child_become(u);
	/* PostgreSQL 15 tools fail when they cannot read their working directory
	 * (e.g. /root once we are postgres); cwd is one they own */
	if (chdir(cwd) != 0)
		_exit(126);
	int in = open("/dev/null", O_RDONLY);
	int o = out ? open(out, O_WRONLY | O_CREAT | O_APPEND, 0600) : open("/dev/null", O_WRONLY);
	if (in < 0 || o < 0 || dup2(in, 0) < 0 || dup2(o, 1) < 0 || dup2(o, 2) < 0)
		_exit(126);
	/* The server outlives us and would otherwise inherit every descriptor the
	 * program has open (listening sockets, the start lock). */
	if (close_range(3, ~0U, 0) != 0)
		for (int fd = 3; fd < 4096; fd++)
			close(fd);
	execv(argv[0], argv);
	_exit(127);
}

static int wait_status(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Runs argv (argv[0] an absolute path) as the server user in cwd, with stdout
 * and stderr appended to out (NULL: discarded). Returns the exit status, or -1
 * when it could not be run or was killed. */
static int run_cmd(const epg_user *u, const char *cwd, const char *out, char *const argv[])
{
	pid_t pid = fork();
	if (pid < 0) {
		log_msg(LOG_ERROR, "embedded PostgreSQL: fork failed: %s", strerror(errno));
		return -1;
	}
	if (pid == 0)
		child_exec(u, cwd, out, argv);
	return wait_status(pid);
}

/* Whether the server user can reach path. A child that has become that user
 * asks the kernel, so every parent folder, ACLs and mount options count. */
static bool reachable_by(const epg_user *u, const char *path)
{
	if (!u->drop)
		return true;
	pid_t pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0) {
		child_become(u);
		_exit(access(path, X_OK) == 0 ? 0 : 1);
	}
	return wait_status(pid) == 0;
}

/* Decides where everything goes. starting: create the caller's folder and
 * say (once) when the /tmp fallback is taken; embedded_pg_stop only looks. */
static bool layout_init(epg_layout *L, const char *dir, bool starting, err_t *err)
{
	if (!dir || !*dir)
		return fail(err, "no folder given for the embedded PostgreSQL cluster");
	if (starting && !mkdirs(dir, 0755))
		return fail(err, "cannot create the data folder %s: %s", dir, strerror(errno));
	if (!realpath(dir, L->abs))
		return fail(err, "cannot find the data folder %s: %s", dir, strerror(errno));
	if (!lookup_user(&L->user, err))
		return false;

	/* The uid is part of the name so users sharing a machine never collide. */
	uint64_t h = fnv1a(L->abs, strlen(L->abs), 0xcbf29ce484222325ULL);
	uid_t me = geteuid();
	h = fnv1a(&me, sizeof me, h);
	snprintf(L->tmp, sizeof L->tmp, EPG_TMP_PREFIX "%016llx", (unsigned long long)h);

	const char *why = NULL;
	if (!path_is_safe(L->abs))
		why = "its path holds a quote, backslash, $, backtick, comma or control character, which pg_ctl cannot pass on";
	else if (!reachable_by(&L->user, L->abs))
		why = "the postgres user cannot reach it (a parent folder is private, as /root is)";
	L->in_tmp = why != NULL;
	const char *base = L->in_tmp ? L->tmp : L->abs;
	if (!join(L->pg, base, "/pg") || !join(L->data, L->pg, "/data") || !join(L->run, L->pg, "/run") ||
	    !join(L->log, L->pg, "/log") || !join(L->owner, L->pg, "/owner"))
		return fail(err, "the data folder path %s is too long", L->abs);
	if (strlen(L->run) + strlen(EPG_SOCKET_NAME) >= EPG_SOCKET_MAX) {
		L->sock_in_tmp = true;
		if (!join(L->run, L->tmp, "/pg/run"))
			return fail(err, "the path %s is too long", L->tmp);
	}
	if (starting && why)
		log_msg(LOG_WARN, "embedded PostgreSQL: cannot keep the cluster in %s: %s; using %s instead "
			"(its data is lost when /tmp is cleared; set DATABASE_URL or move the checkout to keep it)",
			L->abs, why, L->tmp);
	else if (starting && L->sock_in_tmp)
		log_msg(LOG_INFO, "embedded PostgreSQL: %s is too long a path for a unix socket; the socket goes in %s",
			L->pg, L->run);
	return true;
}

/* /tmp is shared: the fallback folder must be ours, private, and not a symlink
 * someone planted to make us write elsewhere. */
static bool prepare_tmp(const epg_layout *L, err_t *err)
{
	if (mkdir(L->tmp, 0700) != 0 && errno != EEXIST)
		return fail(err, "cannot create %s: %s", L->tmp, strerror(errno));
	struct stat st;
	if (lstat(L->tmp, &st) != 0 || !S_ISDIR(st.st_mode) || (st.st_uid != geteuid() && st.st_uid != L->user.uid) ||
	    (st.st_mode & 022))
		return fail(err, "%s exists but is not a private folder of this user; remove it, or set DATABASE_URL",
			    L->tmp);
	return true;
}

/* Hands a tree to the server user. Only entries with another owner change, and
 * symlinks below the top are never followed, so root cannot be led into
 * chowning files outside the tree. */
static bool chown_tree(int dirfd, const char *name, int flags, uid_t uid, gid_t gid)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, flags) != 0)
		return errno == ENOENT; /* a running server's temporary file went away */
	if ((st.st_uid != uid || st.st_gid != gid) && fchownat(dirfd, name, uid, gid, flags) != 0 && errno != ENOENT)
		return false;
	if (!S_ISDIR(st.st_mode))
		return true;
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | (flags ? O_NOFOLLOW : 0));
	if (fd < 0)
		return errno == ENOENT;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return false;
	}
	bool ok = true;
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    !chown_tree(fd, e->d_name, AT_SYMLINK_NOFOLLOW, uid, gid))
			ok = false;
	closedir(d);
	return ok;
}

static bool prepare_dirs(const epg_layout *L, err_t *err)
{
	struct stat st;
	if (!L->user.drop && stat(L->pg, &st) == 0 && st.st_uid != geteuid())
		return fail(err, "%s belongs to another user (a run as root hands it to the postgres user); run as that "
			    "user or as root, remove it, or set DATABASE_URL", L->pg);
	if ((L->in_tmp || L->sock_in_tmp) && !prepare_tmp(L, err))
		return false;
	/* 0700: with trust authentication whoever reaches the socket is superuser */
	if (!mkdirs(L->pg, 0700) || !mkdirs(L->run, 0700))
		return fail(err, "cannot create the embedded PostgreSQL folders under %s: %s", L->pg, strerror(errno));
	chmod(L->run, 0700);
	if (!L->user.drop)
		return true;
	if (!chown_tree(AT_FDCWD, L->pg, 0, L->user.uid, L->user.gid) ||
	    ((L->in_tmp || L->sock_in_tmp) && !chown_tree(AT_FDCWD, L->tmp, 0, L->user.uid, L->user.gid)))
		return fail(err, "cannot hand %s to the postgres user: %s", L->pg, strerror(errno));
	return true;
}

static bool bindir_ok(const char *dir)
{
	char a[PATH_MAX], b[PATH_MAX];
	return join(a, dir, "/initdb") && join(b, dir, "/pg_ctl") && access(a, X_OK) == 0 && access(b, X_OK) == 0;
}

/* The highest installed /usr/lib/postgresql/<version>/bin, except that a
 * cluster made by another installed version needs that version to open it. */
static bool find_versioned(const epg_layout *L, char *out)
{
	char want[32] = "", path[PATH_MAX];
	FILE *f = join(path, L->data, "/PG_VERSION") ? fopen(path, "re") : NULL;
	if (f) {
		if (!fgets(want, sizeof want, f))
			want[0] = '\0';
		want[strcspn(want, "\r\n")] = '\0';
		fclose(f);
	}
	DIR *d = opendir(EPG_VERSIONS_DIR);
	if (!d)
		return false;
	char best[256] = "";
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || strlen(e->d_name) >= sizeof best)
			continue;
		if (snprintf(path, sizeof path, EPG_VERSIONS_DIR "/%s/bin", e->d_name) >= (int)sizeof path ||
		    !bindir_ok(path))
			continue;
		if (*want && !strcmp(e->d_name, want)) {
			strcpy(best, e->d_name);
			break;
		}
		if (!*best || strverscmp(e->d_name, best) > 0)
			strcpy(best, e->d_name);
	}
	closedir(d);
	if (!*best)
		return false;
	if (*want && strcmp(want, best))
		log_msg(LOG_WARN, "embedded PostgreSQL: the cluster in %s was made by PostgreSQL %s, which is not installed; "
			"trying %s", L->data, want, best);
	snprintf(out, PATH_MAX, EPG_VERSIONS_DIR "/%s/bin", best);
	return true;
}

static bool find_on_path(const char *path, char *out)
{
	char list[8192];
	snprintf(list, sizeof list, "%s", path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
	char *save = NULL;
	for (char *dir = strtok_r(list, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		if (bindir_ok(dir)) {
			snprintf(out, PATH_MAX, "%s", dir);
			return true;
		}
	}
	return false;
}

/* PG_BINDIR, else /usr/lib/postgresql/<version>/bin, else PATH. */
static bool find_bins(epg_layout *L, const embedded_pg_config *cfg, err_t *err)
{
	const char *bindir = cfg->bindir;
	char dir[PATH_MAX], a[PATH_MAX], b[PATH_MAX];
	if (bindir && *bindir) {
		if (!bindir_ok(bindir))
			return fail(err, "PG_BINDIR=%s holds no executable initdb and pg_ctl", bindir);
		snprintf(dir, sizeof dir, "%s", bindir);
	} else if (!find_versioned(L, dir) && !find_on_path(cfg->path, dir)) {
		return fail(err, "PostgreSQL server programs (initdb, pg_ctl) not found; install them "
			    "(apt-get install postgresql), point PG_BINDIR at them, or set DATABASE_URL");
	}
	/* realpath: relative PATH entries would break once children chdir */
	if (!join(a, dir, "/initdb") || !join(b, dir, "/pg_ctl") || !realpath(a, L->initdb) || !realpath(b, L->pg_ctl))
		return fail(err, "cannot resolve the PostgreSQL programs in %s: %s", dir, strerror(errno));
	return true;
}

/* Serializes start and stop between our processes, so two commands started
 * together do not both run initdb. O_CLOEXEC so no child inherits it. */
static int lock_pg(const epg_layout *L)
{
	char path[PATH_MAX];
	if (!join(path, L->pg, "/lock"))
		return -1;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_msg(LOG_WARN, "embedded PostgreSQL: cannot open %s: %s; going on unlocked", path, strerror(errno));
		return -1;
	}
	while (flock(fd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

static void unlock_pg(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* pg_ctl status exits 0 only when the server in data is running. */
static bool server_running(epg_layout *L)
{
	char pidfile[PATH_MAX];
	if (!join(pidfile, L->data, "/postmaster.pid") || access(pidfile, F_OK) != 0)
		return false;
	char *argv[] = { L->pg_ctl, "status", "-D", L->data, NULL };
	return run_cmd(&L->user, L->pg, NULL, argv) == 0;
}

/* Logs the end of the server log, where initdb and the server say what failed. */
static void log_tail(const char *path)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	char buf[2048];
	long from = 0;
	if (fseek(f, 0, SEEK_END) == 0) {
		long size = ftell(f);
		if (size > (long)sizeof buf - 1)
			from = size - ((long)sizeof buf - 1);
	}
	size_t n = fseek(f, from, SEEK_SET) == 0 ? fread(buf, 1, sizeof buf - 1, f) : 0;
	fclose(f);
	buf[n] = '\0';
	char *s = buf, *nl;
	if (from > 0 && (nl = strchr(buf, '\n')))
		s = nl + 1; /* start on a line */
	/* JSON strings must be valid UTF-8, and a cut may land inside a character */
	for (char *p = s; *p; p++)
		if ((unsigned char)*p >= 0x80 || ((unsigned char)*p < 0x20 && *p != '\n' && *p != '\t'))
			*p = '?';
	log_json(LOG_ERROR, "embedded PostgreSQL log tail", json_pack("{s:s, s:s}", "log", path, "tail", s));
}

static bool init_cluster(epg_layout *L, err_t *err)
{
	char version[PATH_MAX];
	if (!join(version, L->data, "/PG_VERSION"))
		return fail(err, "the path %s is too long", L->data);
	if (access(version, F_OK) == 0)
		return true;
	log_msg(LOG_INFO, "embedded PostgreSQL: creating a new cluster in %s", L->data);
	char *argv[] = { L->initdb, "-D", L->data, "-U", "postgres", "--auth=trust",
			 "-E", "UTF8", "--locale=C.UTF-8", NULL };
	int rc = run_cmd(&L->user, L->pg, L->log, argv);
	if (rc != 0) {
		/* initdb removes what it made on failure, so a retry starts clean */
		log_msg(LOG_WARN, "embedded PostgreSQL: initdb with locale C.UTF-8 failed (status %d); retrying with locale C",
			rc);
		argv[8] = "--locale=C";
		rc = run_cmd(&L->user, L->pg, L->log, argv);
	}
	if (rc != 0) {
		log_tail(L->log);
		return fail(err, "could not create the PostgreSQL cluster in %s; initdb's output is at the end of %s", L->data,
			    L->log);
	}
	return true;
}

static bool start_server(epg_layout *L, err_t *err)
{
	struct stat st;
	if (stat(L->log, &st) == 0 && st.st_size > EPG_LOG_ROTATE) {
		char old[PATH_MAX];
		if (join(old, L->log, ".1"))
			rename(L->log, old);
	}
	/* pg_ctl runs -o through /bin/sh: the socket folder is single-quoted (it
	 * holds no quote, path_is_safe saw to that) and '' makes the value empty */
	char opts[PATH_MAX + 128];
	snprintf(opts, sizeof opts, "-k '%s' -c listen_addresses='' -p %d", L->run, EPG_PORT);
	char *argv[] = { L->pg_ctl, "-D", L->data, "-l", L->log, "-w", "-t", "60", "-o", opts, "start", NULL };
	log_msg(LOG_INFO, "embedded PostgreSQL: starting the server in %s", L->data);
	int rc = run_cmd(&L->user, L->pg, L->log, argv);
	if (rc != 0) {
		log_tail(L->log);
		return fail(err, "the embedded PostgreSQL server in %s did not start; its log is %s", L->data, L->log);
	}
	return true;
}

static void stop_server(epg_layout *L)
{
	if (!server_running(L)) {
		unlink(L->owner);
		return;
	}
	char *argv[] = { L->pg_ctl, "-D", L->data, "-m", "fast", "-w", "-t", "60", "stop", NULL };
	int rc = run_cmd(&L->user, L->pg, L->log, argv);
	if (rc == 0) {
		unlink(L->owner);
		log_msg(LOG_INFO, "embedded PostgreSQL: stopped the server in %s", L->data);
	} else {
		log_msg(LOG_WARN, "embedded PostgreSQL: pg_ctl stop failed (status %d); see %s", rc, L->log);
	}
}

/* The owner file names the process that started the server: the one that
 * must stop it. A dead owner means the server was left behind by a crash. */
static pid_t read_owner(const epg_layout *L)
{
	FILE *f = fopen(L->owner, "re");
	int pid = 0;
	if (!f)
		return 0;
	if (fscanf(f, "%d", &pid) != 1)
		pid = 0;
	fclose(f);
	return pid;
}

static void write_owner(const epg_layout *L)
{
	FILE *f = fopen(L->owner, "we");
	if (!f)
		return;
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);
}

static bool alive(pid_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

/* A libpq key=value string; the host is quoted only when it must be. */
static bool conninfo_format(char *out, size_t n, const char *host, const char *db)
{
	char q[2 * PATH_MAX + 3];
	size_t j = 0;
	if (!strpbrk(host, " \t'\\")) {
		snprintf(q, sizeof q, "%s", host);
	} else {
		q[j++] = '\'';
		for (const char *p = host; *p; p++) {
			if (*p == '\'' || *p == '\\')
				q[j++] = '\\';
			q[j++] = *p;
		}
		q[j++] = '\'';
		q[j] = '\0';
	}
	int len = snprintf(out, n, "host=%s port=%d dbname=%s user=postgres", q, EPG_PORT, db);
	return len >= 0 && (size_t)len < n;
}

static bool ensure_database(const epg_layout *L, err_t *err)
{
	char ci[2 * PATH_MAX + 160];
	conninfo_format(ci, sizeof ci, L->run, "postgres");
	/* a server that is "running" but wedged must not hang the program's start */
	strcat(ci, " connect_timeout=10");
	PGconn *c = PQconnectdb(ci);
	if (PQstatus(c) != CONNECTION_OK) {
		log_msg(LOG_ERROR, "embedded PostgreSQL: cannot connect over %s: %s", L->run, PQerrorMessage(c));
		PQfinish(c);
		return fail(err, "the embedded PostgreSQL server in %s is not answering on its socket; its log is %s",
			    L->data, L->log);
	}
	PGresult *r = PQexec(c, "SELECT 1 FROM pg_database WHERE datname = '" EPG_DB "'");
	bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
	bool exists = ok && PQntuples(r) > 0;
	PQclear(r);
	if (ok && !exists) {
		r = PQexec(c, "CREATE DATABASE " EPG_DB);
		const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		/* 42P04: another process of ours created it first */
		ok = PQresultStatus(r) == PGRES_COMMAND_OK || (state && !strcmp(state, "42P04"));
		PQclear(r);
		if (ok)
			log_msg(LOG_INFO, "embedded PostgreSQL: created database " EPG_DB);
	}
	if (!ok)
		log_msg(LOG_ERROR, "embedded PostgreSQL: cannot create database " EPG_DB ": %s", PQerrorMessage(c));
	PQfinish(c);
	return ok || fail(err, "cannot create database " EPG_DB " in the embedded PostgreSQL server; its log is %s",
			  L->log);
}

/* Decides between using a running server, adopting an orphan and starting one. */
static bool start_locked(epg_layout *L, bool *started, err_t *err)
{
	if (server_running(L)) {
		pid_t owner = read_owner(L);
		if (alive(owner)) {
			log_msg(LOG_INFO, "embedded PostgreSQL: using the server in %s that process %d started", L->data,
				(int)owner);
			return true;
		}
		log_msg(LOG_INFO, "embedded PostgreSQL: adopting the server in %s left running by an earlier run",
			L->data);
		write_owner(L);
		*started = true;
		return true;
	}
	if (!init_cluster(L, err) || !start_server(L, err))
		return false;
	write_owner(L);
	*started = true;
	return true;
}

bool embedded_pg_start(const embedded_pg_config *cfg, char *conninfo, size_t conninfo_size, bool *started, err_t *err)
{
	bool own = false;
	if (started)
		*started = false;
	epg_layout *L = calloc(1, sizeof *L);
	if (!L)
		return fail(err, "out of memory");
	bool ok = layout_init(L, cfg->dir, true, err);
	if (ok && !conninfo_format(conninfo, conninfo_size, L->run, EPG_DB))
		ok = fail(err, "the connection string for %s does not fit its buffer", L->run);
	ok = ok && prepare_dirs(L, err) && find_bins(L, cfg, err);
	int lock = ok ? lock_pg(L) : -1;
	ok = ok && start_locked(L, &own, err);
	ok = ok && ensure_database(L, err);
	if (!ok && own) {
		/* the caller cannot stop what it was told did not start */
		stop_server(L);
		own = false;
	}
	unlock_pg(lock);
	free(L);
	if (started)
		*started = own;
	return ok;
}

bool embedded_pg_exists(const char *dir)
{
	epg_layout *L = calloc(1, sizeof *L);
	err_t e;
	err_clear(&e);
	char version[PATH_MAX];
	struct stat st;
	bool found = L && layout_init(L, dir, false, &e) && join(version, L->data, "/PG_VERSION") &&
		     stat(version, &st) == 0 && S_ISREG(st.st_mode);
	free(L);
	return found;
}

void embedded_pg_stop(const embedded_pg_config *cfg)
{
	epg_layout *L = calloc(1, sizeof *L);
	err_t e;
	err_clear(&e);
	char pidfile[PATH_MAX];
	if (L && layout_init(L, cfg->dir, false, &e) && join(pidfile, L->data, "/postmaster.pid") &&
	    access(pidfile, F_OK) == 0) {
		if (find_bins(L, cfg, &e)) {
			int lock = lock_pg(L);
			stop_server(L);
			unlock_pg(lock);
		} else {
			log_msg(LOG_WARN, "embedded PostgreSQL: cannot stop the server in %s: %s", L->data, e.message);
		}
	}
	free(L);
}
