#!/bin/sh
# Usage: tests/drill/run.sh BIN OUT
# `make drill`: the failure drills (tests/drill/drill.py) against a real
# `serve` (BIN, built beforehand: this script builds nothing) and a throwaway
# PostgreSQL cluster from scripts/test-pg.sh, in OUT/pg. Logs and the report
# go to OUT (serve.log, attackers.log, pg_ctl.log, report.md). Migrates, then
# drill.py seeds a workspace with the CLI, starts serve on a free loopback
# port and runs the drills. The cluster is always stopped and serve always
# killed, whatever happens; the whole run is bounded by DRILL_TIMEOUT
# seconds (default 420). DRILL_ONLY=34 runs only drills 3 and 4.
# Exits with drill.py's status: 0 when every drill passed.
set -eu

here=$(cd "$(dirname "$0")" && pwd -P)

if [ "${1:-}" = "--inner" ]; then
	# Inside test-pg.sh: DATABASE_URL names the throwaway cluster.
	bin=$2
	out=$3
	pidfile=$out/serve.pid
	# shellcheck disable=SC2317 # reached through trap
	cleanup() {
		rc=$?
		trap - EXIT INT TERM HUP
		# serve dies with drill.py (parent-death signal); this is the backstop,
		# and only for a process that still runs our binary.
		pid=$(cat "$pidfile" 2>/dev/null || true)
		if [ -n "$pid" ] && grep -q workestra-time "/proc/$pid/cmdline" 2>/dev/null; then
			kill -KILL "$pid" 2>/dev/null || true
		fi
		exit "$rc"
	}
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
	"$bin" migrate >"$out/migrate.log" 2>&1 || { echo "drill: migrate failed:" >&2; cat "$out/migrate.log" >&2; exit 1; }
	status=0
	timeout --foreground -k 10 "${DRILL_TIMEOUT:-420}" \
		python3 "$here/drill.py" --bin "$bin" --out "$out" --only "${DRILL_ONLY:-1234}" || status=$?
	if [ "$status" = 124 ]; then
		echo "drill: stopped after ${DRILL_TIMEOUT:-420} s (a drill hung past its own bounds)" >&2
	fi
	exit "$status"
fi

if [ $# -ne 2 ]; then
	echo "usage: $0 BIN OUT" >&2
	exit 2
fi
case $1 in
/*) bin=$1 ;;
*) bin=$(pwd -P)/$1 ;;
esac
out=$2
if [ ! -x "$bin" ]; then
	echo "drill: $bin is not built (make drill builds it first)" >&2
	exit 2
fi
command -v python3 >/dev/null || { echo "drill: python3 is needed" >&2; exit 2; }

# The PostgreSQL tools drill 2 stops and starts the cluster with: the same
# choice as scripts/test-pg.sh makes, passed to it so both agree.
bindir=${PG_BINDIR:-}
if [ -z "$bindir" ]; then
	for d in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V); do
		[ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && bindir=$d
	done
fi
if [ -z "$bindir" ] && command -v pg_ctl >/dev/null 2>&1; then
	bindir=$(dirname "$(command -v pg_ctl)")
fi
if [ -z "$bindir" ]; then
	echo "drill: pg_ctl not found; install postgresql or set PG_BINDIR" >&2
	exit 1
fi
PG_BINDIR=$bindir
export PG_BINDIR

mkdir -p "$out"
out=$(cd "$out" && pwd -P)
rm -f "$out/serve.log" "$out/attackers.log" "$out/pg_ctl.log" "$out/report.md" "$out/serve.pid"
exec "$here/../../scripts/test-pg.sh" "$out/pg" -- "$here/run.sh" --inner "$bin" "$out"
