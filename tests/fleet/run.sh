#!/bin/sh
# Usage: tests/fleet/run.sh BIN LOAD OUT
# `make fleet`: tests/fleet/fleet.py (three `serve` BIN behind HAProxy, load
# from LOAD = bench/load) against a throwaway PostgreSQL cluster from
# scripts/test-pg.sh in OUT/pg, migrated first. Logs and the report go to
# OUT. Builds nothing; the run is bounded by FLEET_TIMEOUT seconds (300).
# Exits with fleet.py's status: 0 when every check passed.
set -eu
here=$(cd "$(dirname "$0")" && pwd -P)

if [ "${1:-}" = "--inner" ]; then
	# Inside test-pg.sh: DATABASE_URL names the throwaway cluster. The
	# servers and HAProxy die with fleet.py (parent-death signal).
	"$2" migrate >"$4/migrate.log" 2>&1 || { echo "fleet: migrate failed:" >&2; cat "$4/migrate.log" >&2; exit 1; }
	status=0
	timeout --foreground -k 10 "${FLEET_TIMEOUT:-300}" \
		python3 "$here/fleet.py" --bin "$2" --load "$3" --out "$4" || status=$?
	[ "$status" != 124 ] || echo "fleet: stopped after ${FLEET_TIMEOUT:-300} s" >&2
	exit "$status"
fi

if [ $# -ne 3 ]; then
	echo "usage: $0 BIN LOAD OUT" >&2
	exit 2
fi
abs() { case $1 in /*) echo "$1" ;; *) echo "$(pwd -P)/$1" ;; esac; }
bin=$(abs "$1")
load=$(abs "$2")
for f in "$bin" "$load"; do
	[ -x "$f" ] || { echo "fleet: $f is not built (make fleet builds it first)" >&2; exit 2; }
done
command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || { echo "fleet: haproxy is needed (apt-get install haproxy)" >&2; exit 2; }
mkdir -p "$3"
out=$(cd "$3" && pwd -P)
rm -f "$out"/serve*.log "$out"/haproxy.* "$out/report.md"
exec "$here/../../scripts/test-pg.sh" "$out/pg" -- "$here/run.sh" --inner "$bin" "$load" "$out"
