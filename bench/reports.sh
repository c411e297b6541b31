#!/bin/sh
# Usage: bench/reports.sh (from anywhere; builds the binary first)
# Times the summary and utilization reports over a full year of a realistic
# workspace: a throwaway PostgreSQL cluster (scripts/test-pg.sh), migrated,
# one Pro workspace with People, bench/seed.sql (50 users × 1 year), then
# `serve` and curl, 5 runs per report; prints the median in milliseconds.
set -eu
cd "$(dirname "$0")/.."
BIN=${WT_BIN:-build/workestra-time}
RUNS=5
FROM=2025-01-01
TO=2025-12-31

if [ "${1:-}" != "--inside" ]; then
	[ -n "${WT_BIN:-}" ] || make --no-print-directory "$BIN" >/dev/null
	exec scripts/test-pg.sh "${BENCH_PG_DIR:-build/bench-pg}" -- env WT_BIN="$BIN" "$0" --inside
fi

say() { echo "bench: $*" >&2; }
# The "id" (or "token") of the JSON a CLI command printed.
field() { sed -n "s/.*\"$1\": *\"\([^\"]*\)\".*/\1/p" | head -n 1; }

"$BIN" migrate >/dev/null 2>&1
ws=$("$BIN" admin workspace create --name "Benchmark" --plan pro --modules projects,people | field id)
admin=$("$BIN" admin user create --workspace "$ws" --email bench-admin@example.test --name Admin --role admin \
	--weekly-hours 40 | field id)
token=$("$BIN" admin token create --user "$admin" | field token)

# One value from SQL, the workspace id passed as the psql variable ws.
sql() { printf '%s\n' "$1" | psql "$DATABASE_URL" -A -t -X -q -v ON_ERROR_STOP=1 -v ws="$ws"; }

say "seeding $ws"
start=$(date +%s)
psql "$DATABASE_URL" -q -X -v ON_ERROR_STOP=1 -v ws="$ws" -f bench/seed.sql >/dev/null
entries=$(sql "SELECT count(*) FROM time_entries WHERE workspace_id = :'ws' AND deleted_at IS NULL")
users=$(sql "SELECT count(*) FROM users WHERE workspace_id = :'ws'")
say "seeded $entries live entries for $users users in $(( $(date +%s) - start )) s"
member=$(sql "SELECT id FROM users WHERE workspace_id = :'ws' AND role = 'member' ORDER BY email LIMIT 1")
member_token=$("$BIN" admin token create --user "$member" | field token)
project=$(sql "SELECT id FROM projects WHERE workspace_id = :'ws' ORDER BY name LIMIT 1")

log=$(mktemp /tmp/bench-serve.XXXXXX)
server=
trap 'if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi; rm -f "$log"' EXIT
# A port somebody else holds makes serve exit at once: try another.
attempt=0
base=
while [ -z "$base" ]; do
	attempt=$((attempt + 1))
	port=$(( 20000 + ($$ * 31 + attempt * 7919) % 40000 ))
	PORT=$port HOST=127.0.0.1 LOG_LEVEL=warn "$BIN" serve 2>"$log" &
	server=$!
	i=0
	while kill -0 "$server" 2>/dev/null; do
		if curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then
			base=http://127.0.0.1:$port
			break
		fi
		i=$((i + 1))
		[ $i -le 100 ] || break
		sleep 0.1
	done
	if [ -z "$base" ]; then
		kill "$server" 2>/dev/null || true
		wait "$server" 2>/dev/null || true
		server=
		if [ $attempt -ge 5 ]; then
			say "serve did not become ready:"
			cat "$log" >&2
			exit 1
		fi
	fi
done

# median_ms TOKEN PATH: the median of RUNS timed GETs, in milliseconds.
median_ms() {
	n=0
	times=""
	while [ $n -lt $RUNS ]; do
		t=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' -H "Authorization: Bearer $1" "$base$2")
		case $t in
		200\ *) ;;
		*) say "GET $2 answered $t"; curl -s -H "Authorization: Bearer $1" "$base$2" >&2; exit 1 ;;
		esac
		times="$times${t#* }
"
		n=$((n + 1))
	done
	printf '%s' "$times" | sort -n | awk -v runs=$RUNS 'NR == int((runs + 1) / 2) { printf "%.1f", $1 * 1000 }'
}

summary=$(median_ms "$token" "/api/v1/time/reports/summary?from=$FROM&to=$TO")
summary_member=$(median_ms "$member_token" "/api/v1/time/reports/summary?from=$FROM&to=$TO")
util_user=$(median_ms "$token" "/api/v1/time/reports/utilization?user_id=$member&from=$FROM&to=$TO")
util_project=$(median_ms "$token" "/api/v1/time/reports/utilization?project_id=$project&from=$FROM&to=$TO")

echo "reports benchmark: $entries entries, $users users, $FROM..$TO, median of $RUNS runs (curl time_total)"
echo "  summary, whole workspace (admin)      ${summary} ms"
echo "  summary, one member's own time        ${summary_member} ms"
echo "  utilization, one user                 ${util_user} ms"
echo "  utilization, one project (its users)  ${util_project} ms"
