#!/bin/sh
# Usage: scripts/test-pg.sh DIR -- command args...
# Runs command against a throwaway PostgreSQL cluster in DIR: initdb, start on
# a unix socket only (no TCP), create database workestra_test, export
# DATABASE_URL, run the command, then always stop the cluster and remove DIR.
# Exits with the command's status. As root (CI) the server runs as the
# postgres user, since PostgreSQL refuses root. The settings trade durability
# for speed: the cluster is thrown away anyway.
set -eu

usage() {
	echo "usage: $0 DIR -- command [args...]" >&2
	exit 2
}
if [ $# -lt 3 ] || [ "$2" != "--" ]; then
	usage
fi
dir=$1
shift 2

port=5432
base=
tmp=
started=

say() { echo "test-pg: $*" >&2; }

# PG_BINDIR, else the highest /usr/lib/postgresql/*/bin, else PATH.
bindir=${PG_BINDIR:-}
if [ -z "$bindir" ]; then
	for d in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V); do
		[ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && bindir=$d
	done
fi
if [ -z "$bindir" ] && command -v initdb >/dev/null 2>&1; then
	bindir=$(dirname "$(command -v initdb)")
fi
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ] || [ ! -x "$bindir/pg_ctl" ]; then
	say "initdb/pg_ctl not found; install postgresql or set PG_BINDIR"
	exit 1
fi

# as_pg CWD PROGRAM ARGS... runs a server program as the account that owns
# the cluster, from inside the cluster folder: PostgreSQL 15 tools fail when
# they cannot read their working directory (/root, once they are postgres).
if [ "$(id -u)" = 0 ]; then
	if ! id postgres >/dev/null 2>&1; then
		say "PostgreSQL refuses to run as root and there is no postgres user (apt-get install postgresql)"
		exit 1
	fi
	if command -v runuser >/dev/null 2>&1; then
		as_pg() { (cd "$1" && shift && runuser -u postgres -- "$@"); }
	else
		# shellcheck disable=SC2016 # expanded by the inner shell
		as_pg() { (cd "$1" && shift && su postgres -s /bin/sh -c 'exec "$0" "$@"' -- "$@"); }
	fi
else
	as_pg() { (cd "$1" && shift && "$@"); }
fi

# Stops the server in $1 (a cluster folder) if one is running there.
stop_cluster() {
	[ -f "$1/data/postmaster.pid" ] || return 0
	if ! as_pg "$1" "$bindir/pg_ctl" -D "$1/data" -m immediate -w -t 30 stop >/dev/null 2>&1; then
		pid=$(head -n 1 "$1/data/postmaster.pid" 2>/dev/null || true)
		if [ -n "$pid" ]; then
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
}

# shellcheck disable=SC2317 # reached through trap
cleanup() {
	rc=$?
	trap - EXIT INT TERM HUP
	if [ -n "$started" ]; then
		stop_cluster "$base"
	fi
	if [ -n "$tmp" ]; then
		rm -rf "$tmp"
	fi
	rm -rf "$dir"
	exit "$rc"
}

# A cluster an interrupted earlier run left in DIR (or in the /tmp folder it
# named) would keep running after its files are gone: stop it first.
stop_cluster "$dir"
if [ -f "$dir/cluster-dir" ]; then
	old=$(cat "$dir/cluster-dir")
	case $old in
	/tmp/workestra-test-pg.*) stop_cluster "$old"; rm -rf "$old" ;;
	esac
fi
rm -rf "$dir"
mkdir -p "$dir"
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
dir=$(cd "$dir" && pwd -P)
base=$dir

# The cluster moves to a private /tmp folder when the postgres user cannot
# reach DIR, when the socket path would not fit a unix socket (about 100
# bytes), or when DIR holds characters that do not survive pg_ctl's shell or
# a DATABASE_URL unquoted.
reason=
case $dir in
*[!A-Za-z0-9/._+@:~-]*) reason="its path has characters that need quoting" ;;
esac
if [ -z "$reason" ] && [ "$(id -u)" = 0 ] && ! as_pg / test -x "$dir" 2>/dev/null; then
	reason="the postgres user cannot reach it"
fi
if [ -z "$reason" ] && [ $(( ${#dir} + 18 )) -ge 100 ]; then
	reason="the socket path would be too long"
fi
if [ -n "$reason" ]; then
	tmp=$(mktemp -d /tmp/workestra-test-pg.XXXXXX)
	echo "$tmp" > "$dir/cluster-dir"
	base=$tmp
	say "using $tmp instead of $dir: $reason"
fi
run=$base/run
mkdir -m 700 "$run"
if [ "$(id -u)" = 0 ]; then
	chown -R postgres:postgres "$base"
fi
chmod 700 "$base"

if ! as_pg "$base" "$bindir/initdb" -D "$base/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
	>"$base/initdb.log" 2>&1; then
	if ! as_pg "$base" "$bindir/initdb" -D "$base/data" -U postgres --auth=trust -E UTF8 --locale=C \
		>>"$base/initdb.log" 2>&1; then
		say "initdb failed:"
		tail -n 30 "$base/initdb.log" >&2
		exit 1
	fi
fi

started=1
opts="-k '$run' -c listen_addresses='' -p $port -c fsync=off -c synchronous_commit=off"
opts="$opts -c full_page_writes=off -c max_connections=200"
if ! as_pg "$base" "$bindir/pg_ctl" -D "$base/data" -l "$base/log" -w -t 60 -o "$opts" start >"$base/pg_ctl.log" 2>&1; then
	say "the server did not start; end of its log:"
	tail -n 40 "$base/log" >&2 2>/dev/null || true
	cat "$base/pg_ctl.log" >&2
	exit 1
fi

createdb=$bindir/createdb
[ -x "$createdb" ] || createdb=createdb
if ! "$createdb" -h "$run" -p "$port" -U postgres workestra_test; then
	say "could not create database workestra_test"
	exit 1
fi

DATABASE_URL="host=$run port=$port dbname=workestra_test user=postgres"
export DATABASE_URL

status=0
"$@" || status=$?
exit "$status"
