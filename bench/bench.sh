#!/bin/sh
# Usage: bench/bench.sh (from anywhere; `make bench` builds what it needs first)
#
# One run, one throwaway PostgreSQL cluster (scripts/test-pg.sh), one table:
#  1. throughput at 37 k entries (bench/seed.sql): the list page, a create,
#     an MCP tools/call and /healthz through bench/load (keep-alive, fixed
#     duration), each beside pgbench replaying exactly the SQL the server ran
#     for that request (captured with log_statement=all, -M prepared, the
#     same number of clients and the server's own connection count), with
#     serve's CPU per request from /proc;
#  2. A/B of the per-connection prepared statements: the list and the create
#     for the build before that change and this one, interleaved, medians;
#  3. reports, a list page and a timesheet at 37 k, then after growing the
#     same workspace to each BENCH_SCALE (entries, generated in SQL by
#     bench/scale.sql), with the time each growth took.
#
# Environment: BENCH_SECONDS (10) per measurement; BENCH_SCALE ("1000000";
# "1000000 10000000" adds 10 M, about 7 more minutes on 2 cores; "" skips
# part 3); BENCH_AB_ROUNDS (3); BENCH_A_BIN the "before" binary (make bench
# builds this tree with the prepared-statement change to src/store/db.c
# taken out; unset: no A/B); BENCH_LOAD the load tool. The table also goes to build/bench/report.md.
set -eu
cd "$(dirname "$0")/.."
BIN=${WT_BIN:-build/workestra-time}
OUT=build/bench

if [ "${1:-}" != "--inside" ]; then
	mkdir -p "$OUT"
	exec scripts/test-pg.sh "${BENCH_PG_DIR:-build/bench-pg}" -- "$0" --inside
fi

SECONDS_EACH=${BENCH_SECONDS:-10}
SCALES=${BENCH_SCALE-1000000}
ROUNDS=${BENCH_AB_ROUNDS:-3}
A_BIN=${BENCH_A_BIN:-}
LOAD=${BENCH_LOAD:-$OUT/load}
WORKERS=${WORKERS:-4}
SCALE_LIST_SECONDS=${BENCH_SCALE_LIST_SECONDS:-5}
# The rate limits stay on (their counting is part of a request's cost) but
# high enough never to refuse: thousands of requests a second from one token.
RATE_LIMIT_PER_TOKEN=${RATE_LIMIT_PER_TOKEN:-1000000}
RATE_LIMIT_PER_WORKSPACE=${RATE_LIMIT_PER_WORKSPACE:-1000000}
export WORKERS RATE_LIMIT_PER_TOKEN RATE_LIMIT_PER_WORKSPACE
REPORT=$OUT/report.md
: >"$REPORT"

say() { echo "bench $(date -u +%H:%M:%S): $*" >&2; }
out() { echo "$*" | tee -a "$REPORT"; }
field() { sed -n "s/.*\"$1\": *\"\([^\"]*\)\".*/\1/p" | head -n 1; }
sql() { printf '%s\n' "$1" | psql "$DATABASE_URL" -A -t -X -q -v ON_ERROR_STOP=1 -v ws="$ws"; }
# kv KEY LINE: the value of KEY=value in a load or pgbench summary line.
kv() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.0f %%", 100 * a / b; else print "n/a" }'; }
median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

"$BIN" migrate >/dev/null 2>&1
ws=$("$BIN" admin workspace create --name "Benchmark" --plan pro --modules projects,people | field id)
admin=$("$BIN" admin user create --workspace "$ws" --email bench-admin@example.test --name Admin --role admin \
	--weekly-hours 40 | field id)
token=$("$BIN" admin token create --user "$admin" | field token)
say "seeding $ws (bench/seed.sql)"
t0=$(date +%s)
psql "$DATABASE_URL" -q -X -v ON_ERROR_STOP=1 -v ws="$ws" -f bench/seed.sql >/dev/null
seed_s=$(( $(date +%s) - t0 ))
# Writes go to one member, the timesheet call reads another's 2025 week: the
# writes must not grow the week the timesheet figure reads.
writer=$(sql "SELECT id FROM users WHERE workspace_id = :'ws' AND role = 'member' ORDER BY email LIMIT 1")
reader=$(sql "SELECT id FROM users WHERE workspace_id = :'ws' AND role = 'member' ORDER BY email LIMIT 1 OFFSET 1")
writer_token=$("$BIN" admin token create --user "$writer" | field token)
reader_token=$("$BIN" admin token create --user "$reader" | field token)
task=$(sql "SELECT id FROM tasks WHERE workspace_id = :'ws' ORDER BY title LIMIT 1")
project=$(sql "SELECT id FROM projects WHERE workspace_id = :'ws' ORDER BY name LIMIT 1")
today=$(date -u +%F)

LIST_PATH='/api/v1/time-entries?limit=50'
CREATE_BODY="{\"entity_type\":\"task\",\"entity_id\":\"$task\",\"log_date\":\"$today\",\"hours\":0.25,\"description\":\"bench\"}"
MCP_BODY='{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_my_timesheet","arguments":{"period_start":"2025-06-04"},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}'

# ---------------------------------------------------------------- serve
server=
base=
port=
serve_log=$OUT/serve.log
stop_serve() {
	if [ -n "$server" ]; then
		kill "$server" 2>/dev/null || true
		wait "$server" 2>/dev/null || true
		server=
	fi
}
trap stop_serve EXIT
# start_serve BIN: serve on a free loopback port; sets server, port, base.
start_serve() {
	attempt=0
	base=
	while [ -z "$base" ]; do
		attempt=$((attempt + 1))
		port=$(( 20000 + ($$ * 31 + attempt * 7919 + $(date +%N | sed 's/^0*//;s/^$/0/') % 997) % 40000 ))
		PORT=$port HOST=127.0.0.1 LOG_LEVEL=warn SCHEDULER=off "$1" serve 2>>"$serve_log" &
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
			stop_serve
			if [ $attempt -ge 5 ]; then
				say "serve did not become ready (see $serve_log)"
				exit 1
			fi
		fi
	done
}
cpu_ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$server/stat"; }
# The cluster's CPU: the postmaster's utime + stime + those of the children
# it reaped (cutime + cstime: backends and parallel workers that ended) plus
# those of its live children (the backends of serve's connections).
postmaster=$(head -n 1 "$(psql "$DATABASE_URL" -A -t -X -q -c 'SHOW data_directory')/postmaster.pid")
pg_ticks() {
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v pm="$postmaster" '{ pid = $1; sub(/.*\) /, "") }
		pid == pm { t += $12 + $13 + $14 + $15 }
		$2 == pm { t += $12 + $13 }
		END { print t + 0 }'
}
# ms_per TICKS REQUESTS: CPU ticks as ms per request.
ms_per() { awk -v d="$1" -v t="$(getconf CLK_TCK)" -v n="$2" 'BEGIN { printf "%.2f", n ? d * 1000 / t / n : 0 }'; }

# load NAME CONNS [load args...]: runs bench/load against serve for
# SECONDS_EACH (after 2 s of warm-up); prints "rps p50 p99 cpu_ms_per_request
# pg_cpu_ms_per_request" (serve's CPU, the cluster's CPU).
load() {
	name=$1
	conns=$2
	shift 2
	"$LOAD" -c "$conns" -d 2 "$@" >/dev/null 2>&1 || true
	c0=$(cpu_ticks)
	p0=$(pg_ticks)
	line=$("$LOAD" -c "$conns" -d "$SECONDS_EACH" "$@") || { say "$name: $line"; exit 1; }
	c1=$(cpu_ticks)
	p1=$(pg_ticks)
	reqs=$(kv requests "$line")
	cpu=$(ms_per $((c1 - c0)) "$reqs")
	pg=$(ms_per $((p1 - p0)) "$reqs")
	say "$name: $line cpu_ms=$cpu pg_cpu_ms=$pg"
	echo "$(kv rps "$line") $(kv p50_ms "$line") $(kv p99_ms "$line") $cpu $pg"
}
auth() { echo "Authorization: Bearer $1"; }
list_load() { load list "$1" -H "$(auth "$token")" "$base$LIST_PATH"; }
create_load() {
	load create "$1" -m POST -H "$(auth "$writer_token")" -H 'Content-Type: application/json' -b "$CREATE_BODY" \
		"$base/api/v1/time-entries"
}
mcp_load() {
	load mcp "$1" -m POST -H "$(auth "$reader_token")" -H 'Content-Type: application/json' \
		-H 'Accept: application/json, text/event-stream' -H 'MCP-Protocol-Version: 2026-07-28' \
		-H 'Mcp-Method: tools/call' -H 'Mcp-Name: get_my_timesheet' -b "$MCP_BODY" "$base/mcp"
}
health_load() { load healthz "$1" "$base/healthz"; }

# ---------------------------------------------------------------- capture
pglog=$(dirname "$(printf '%s\n' "$DATABASE_URL" | sed -n 's/.*host=\([^ ]*\).*/\1/p')")/log
# capture NAME CURL_ARGS...: the SQL one request ran, as $OUT/NAME.sql and
# $OUT/NAME.defs (pgbench -D lines); prints the statement count.
capture() {
	name=$1
	shift
	mark=bench-capture-$name-$$
	# Once before, so that the worker's connection and the writer's week
	# exist: the capture is a request in the steady state.
	curl -s -o /dev/null "$@"
	sql "ALTER SYSTEM SET log_statement = 'all'" >/dev/null
	sql "SELECT pg_reload_conf()" >/dev/null
	sleep 0.5
	sql "SELECT '$mark-start'" >/dev/null
	code=$(curl -s -o "$OUT/$name.answer" -w '%{http_code}' "$@")
	sql "SELECT '$mark-end'" >/dev/null
	sql "ALTER SYSTEM RESET log_statement" >/dev/null
	sql "SELECT pg_reload_conf()" >/dev/null
	case $code in 2*) ;; *) say "capture $name: HTTP $code"; cat "$OUT/$name.answer" >&2; exit 1 ;; esac
	python3 bench/capture.py "$pglog" "$mark-start" "$mark-end" "$OUT/$name.sql" "$OUT/$name.defs"
}
# pgbench_rate NAME CLIENTS: transactions/s of pgbench -M prepared replaying
# $OUT/NAME.sql (one request's statements per transaction).
pgbench_rate() {
	name=$1
	plog=$OUT/pgbench-$1-$2.log
	set -- -n -M prepared -c "$2" -j 2 -T "$SECONDS_EACH" -f "$OUT/$1.sql"
	while IFS= read -r d; do set -- "$@" -D "$d"; done <"$OUT/$name.defs"
	pgbench "$@" "$DATABASE_URL" >"$plog" 2>&1 || { say "pgbench $name failed:"; tail -n 20 "$plog" >&2; exit 1; }
	say "pgbench $name: $(grep -E '^(number of clients|tps|latency average)' "$plog" | tr '\n' ' ')"
	sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$plog" | head -n 1
}

# ---------------------------------------------------------------- 1 + 2. throughput
# The machine is shared: each round runs every figure once, back to back
# (A list, A create, B list, B create, then pgbench), and the table shows
# the medians, so a burst of someone else's work lands on one round of
# every figure rather than on all of one figure.
load_avg() { cut -d' ' -f1-3 /proc/loadavg; }
# The creates go away after each run: every list figure reads 37 k entries.
forget_writes() {
	sql "DELETE FROM time_entries WHERE user_id = '$writer' AND log_date = '$today'" >/dev/null
	sql "VACUUM ANALYZE time_entries" >/dev/null
}
load_before=$(load_avg)
say "load average before: $load_before"
start_serve "$BIN"
n_list=$(capture list -H "$(auth "$token")" "$base$LIST_PATH")
n_create=$(capture create -X POST -H "$(auth "$writer_token")" -H 'Content-Type: application/json' -d "$CREATE_BODY" \
	"$base/api/v1/time-entries")
stop_serve
forget_writes
say "captured $n_list statements for the list page, $n_create for a create"

# One list of figures per name, space-separated, one per round.
add() { eval "fig_$1=\"\${fig_$1:-} $2\""; }
# record SIDE WORK "RPS P50 P99 CPU PGCPU": adds a load run's five figures.
record() {
	# shellcheck disable=SC2086 # five words on purpose
	set -- "$1" "$2" $3
	add "$1_$2_rps" "$3"
	add "$1_$2_p50" "$4"
	add "$1_$2_p99" "$5"
	add "$1_$2_cpu" "$6"
	add "$1_$2_pg" "$7"
}
med() { eval "echo \"\${fig_$1:-}\"" | median; }
sides=b
[ -z "$A_BIN" ] || sides="a b"
r=1
while [ $r -le "$ROUNDS" ]; do
	for side in $sides; do
		if [ "$side" = a ]; then start_serve "$A_BIN"; else start_serve "$BIN"; fi
		record "$side" list "$(list_load 64)"
		before=$(sql "SELECT count(*) FROM time_entries WHERE user_id = '$writer'")
		record "$side" create "$(create_load 16)"
		stop_serve
		# The writes are real: the entries are in the table (warm-up included).
		say "create ($side): $(( $(sql "SELECT count(*) FROM time_entries WHERE user_id = '$writer'") - before )) entries written"
		forget_writes
	done
	add pg_list "$(pgbench_rate list 64)"
	add pg_list_w "$(pgbench_rate list "$WORKERS")"
	add pg_create "$(pgbench_rate create 16)"
	forget_writes
	add pg_create_w "$(pgbench_rate create "$WORKERS")"
	forget_writes
	say "round $r done; load average $(load_avg)"
	r=$((r + 1))
done
start_serve "$BIN"
record b mcp "$(mcp_load 8)"
record b health "$(health_load 64)"
stop_serve
load_mid=$(load_avg)

# ---------------------------------------------------------------- 3. scale
# median_ms TOKEN PATH [curl args]: the median of 5 timed requests, in ms.
median_ms() {
	tok=$1
	path=$2
	shift 2
	times=
	n=0
	while [ $n -lt 5 ]; do
		t=$(curl -s -o "$OUT/last.answer" -w '%{http_code} %{time_total}' -H "$(auth "$tok")" "$@" "$base$path")
		case $t in 2*) ;; *) say "$path answered $t"; cat "$OUT/last.answer" >&2; exit 1 ;; esac
		times="$times ${t#* }"
		n=$((n + 1))
	done
	echo "$times" | median | awk '{ printf "%.1f", $1 * 1000 }'
}
mcp_ms() {
	median_ms "$reader_token" /mcp -X POST -H 'Content-Type: application/json' \
		-H 'Accept: application/json, text/event-stream' -H 'MCP-Protocol-Version: 2026-07-28' \
		-H 'Mcp-Method: tools/call' -H 'Mcp-Name: get_my_timesheet' -d "$MCP_BODY"
}
scale_rows=
measure_scale() {
	entries=$(sql "SELECT count(*) FROM time_entries WHERE workspace_id = :'ws'")
	start_serve "$BIN"
	s=$(median_ms "$token" "/api/v1/time/reports/summary?from=2025-01-01&to=2025-12-31")
	u=$(median_ms "$token" "/api/v1/time/reports/utilization?user_id=$reader&from=2025-01-01&to=2025-12-31")
	p=$(median_ms "$token" "/api/v1/time/reports/utilization?project_id=$project&from=2025-01-01&to=2025-12-31")
	l=$(median_ms "$token" "$LIST_PATH")
	m=$(median_ms "$reader_token" "$LIST_PATH")
	t=$(mcp_ms)
	# The admin's list page under load (4 connections, serve's own count):
	# the cluster's CPU per page.
	p0=$(pg_ticks)
	line=$("$LOAD" -c 4 -d "$SCALE_LIST_SECONDS" -H "$(auth "$token")" "$base$LIST_PATH") || { say "list: $line"; exit 1; }
	lpg=$(ms_per $(($(pg_ticks) - p0)) "$(kv requests "$line")")
	stop_serve
	say "at $entries entries: summary $s, util user $u, util project $p, list $l / $m, timesheet $t ms;" \
		"list under load: $line pg_cpu_ms=$lpg"
	scale_rows="$scale_rows| $entries | $1 | $s | $u | $p | $l | $lpg | $(kv rps "$line") | $m | $t |
"
}
if [ -n "$SCALES" ]; then
	measure_scale "$seed_s s (seed.sql)"
	for target in $SCALES; do
		say "growing the workspace to $target entries (bench/scale.sql)"
		t0=$(date +%s)
		psql "$DATABASE_URL" -q -X -v ON_ERROR_STOP=1 -v ws="$ws" -v target="$target" -f bench/scale.sql >/dev/null
		measure_scale "$(( $(date +%s) - t0 )) s"
	done
fi

# ---------------------------------------------------------------- the table
out ""
out "bench: $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores," \
	"WORKERS=$WORKERS, ${SECONDS_EACH} s per figure; load average (1/5/15 min) before $load_before, after the rounds $load_mid, at the end $(load_avg)"
out ""
row() { # row LABEL CLIENTS NAME [PGNAME]
	rps=$(med "b_$3_rps")
	if [ -n "${4:-}" ]; then
		ceiling="$(med "$4") / $(med "$4_w") | $(pct "$rps" "$(med "$4")") / $(pct "$rps" "$(med "$4_w")")"
	else
		ceiling="— | —"
	fi
	out "| $1 | $2 | $rps | $(med "b_$3_p50") / $(med "b_$3_p99") | $(med "b_$3_cpu") | $(med "b_$3_pg") | $ceiling |"
}
out "| work (37 k entries), median of $ROUNDS rounds | clients | req/s | p50 / p99 ms | serve CPU ms/req | PostgreSQL CPU ms/req | pgbench tx/s, same SQL, -M prepared (same clients / $WORKERS clients) | ours / pgbench |"
out "|---|---|---|---|---|---|---|---|"
row "\`GET $LIST_PATH\` ($n_list statements)" 64 list pg_list
row "\`POST /api/v1/time-entries\` ($n_create statements)" 16 create pg_create
row "MCP \`tools/call get_my_timesheet\` (2026-07-28, one run)" 8 mcp
row "\`GET /healthz\` (one run)" 64 health
if [ -n "$A_BIN" ]; then
	out ""
	out "| A/B, $ROUNDS rounds interleaved, req/s (median; each round) | before prepared statements (A) | prepared per connection (B) | B / A |"
	out "|---|---|---|---|"
	for w in list create; do
		a=$(med a_${w}_rps) b=$(med b_${w}_rps)
		ra=$(eval "echo \$fig_a_${w}_rps") rb=$(eval "echo \$fig_b_${w}_rps")
		out "| $w | $a ($ra) | $b ($rb) | $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", b / a }') |"
	done
	out "| serve CPU ms per list / create | $(med a_list_cpu) / $(med a_create_cpu) | $(med b_list_cpu) / $(med b_create_cpu) | |"
	out "| PostgreSQL CPU ms per list / create | $(med a_list_pg) / $(med a_create_pg) | $(med b_list_pg) / $(med b_create_pg) | |"
fi
if [ -n "$scale_rows" ]; then
	out ""
	out "| entries in the workspace | seeded in | summary, workspace-year | utilization, one user | utilization, one project | list page (admin) | its PostgreSQL CPU ms | its req/s, 4 connections | list page (member) | get_my_timesheet (MCP) |"
	out "|---|---|---|---|---|---|---|---|---|---|"
	printf '%s' "$scale_rows" | tee -a "$REPORT"
	out ""
	out "(ms, median of 5 requests with curl, one at a time; the admin's list page also under load, 4 connections for $SCALE_LIST_SECONDS s: the cluster's CPU per page and the rate)"
fi
