#!/bin/sh
# Usage: bench/webhooks.sh (from anywhere; `make bench-webhooks` builds what it needs first)
#
# Webhook delivery throughput. One throwaway PostgreSQL cluster
# (scripts/test-pg.sh), one Pro workspace subscribed to time_entry.created at
# bench/sink (a C receiver on 127.0.0.1 that answers 200 at once, keep-alive),
# and BENCH_WEBHOOKS (20000) pending deliveries generated in SQL, each with an
# event of its own cloned from a real one (same payload size). The delivery
# log already holds as many delivered ones, with their attempts (a workspace
# that has been sending for a while: PostgreSQL plans for tables of that
# size, not for empty ones; see README, Performance). Each run makes them
# all due in one transaction, which also analyzes the table (so the planner
# knows they are due), and measures, on PostgreSQL's clock, from that commit
# to the last recorded attempt (the deliveries' updated_at), two ways:
#  - the dispatcher of a running `serve`, woken by the NOTIFY of that commit;
#  - `workestra-time cron run deliver-time-webhooks` (the drain command);
# then, once, the dispatcher with the statistics left from before the
# backlog came due (as after an outage or a burst, until autovacuum runs).
# Beside deliveries/s: CPU ms per delivery of serve (or the drain process) and
# of PostgreSQL (every server process of the cluster, exited backends
# included, from /proc), and database transactions per delivery
# (pg_stat_database). Each run checks that every delivery was delivered with
# exactly one attempt.
#
# Environment: BENCH_WEBHOOKS (20000); BENCH_WEBHOOK_ROUNDS (3); BENCH_A_BIN
# the "before" binary (make bench builds this tree with the batched recording
# taken out; unset: this build only); BENCH_SINK the receiver. Prints a table
# and writes it to build/bench/webhooks.md. Not a test: it asserts nothing but
# that the deliveries arrived.
set -eu
cd "$(dirname "$0")/.."
BIN=${WT_BIN:-build/workestra-time}
SINK=${BENCH_SINK:-build/bench/sink}
A_BIN=${BENCH_A_BIN:-}
OUT=build/bench
N=${BENCH_WEBHOOKS:-20000}
ROUNDS=${BENCH_WEBHOOK_ROUNDS:-3}

if [ "${1:-}" != "--inside" ]; then
	mkdir -p "$OUT"
	exec scripts/test-pg.sh "${BENCH_PG_DIR:-build/bench-webhooks-pg}" -- "$0" --inside
fi

REPORT=$OUT/webhooks.md
: >"$REPORT"
say() { echo "bench-webhooks $(date -u +%H:%M:%S): $*" >&2; }
out() { echo "$*" | tee -a "$REPORT"; }
field() { sed -n "s/.*\"$1\": *\"\([^\"]*\)\".*/\1/p" | head -n 1; }
sql() { printf '%s\n' "$1" | psql "$DATABASE_URL" -A -t -X -q -v ON_ERROR_STOP=1 -v ws="$ws" -v wh="${wh:-}" -v n="$N"; }
median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
load_avg() { cut -d' ' -f1-3 /proc/loadavg; }
tck=$(getconf CLK_TCK)

"$BIN" migrate >/dev/null 2>&1
ws=$("$BIN" admin workspace create --name "Webhook benchmark" --plan pro --modules projects | field id)
admin=$("$BIN" admin user create --workspace "$ws" --email bench-webhooks@example.test --role admin | field id)
token=$("$BIN" admin token create --user "$admin" | field token)
task=$("$BIN" admin demo --workspace "$ws" | jq -r '.tasks[0].id')

# ---------------------------------------------------------------- processes
sink_pid=
server=
tmp=$(mktemp -d /tmp/bench-webhooks.XXXXXX)
stop_serve() {
	if [ -n "$server" ]; then
		kill "$server" 2>/dev/null || true
		wait "$server" 2>/dev/null || true
		server=
	fi
}
cleanup() {
	stop_serve
	[ -z "$sink_pid" ] || { kill "$sink_pid" 2>/dev/null || true; wait "$sink_pid" 2>/dev/null || true; }
	rm -rf "$tmp"
}
trap cleanup EXIT
"$SINK" >"$tmp/sink.out" &
sink_pid=$!
i=0
until [ -s "$tmp/sink.out" ]; do
	i=$((i + 1))
	[ $i -le 50 ] || { say "the sink did not start"; exit 1; }
	sleep 0.1
done
sink_port=$(head -n 1 "$tmp/sink.out")

# start_serve BIN: serve with its dispatcher on a free loopback port; sets server, base.
serve_log=$OUT/webhooks-serve.log
: >"$serve_log"
start_serve() {
	attempt=0
	base=
	while [ -z "$base" ] && [ $attempt -lt 5 ]; do
		attempt=$((attempt + 1))
		port=$(( 20000 + ($$ * 37 + attempt * 7919 + $(date +%N | sed 's/^0*//;s/^$/0/') % 997) % 40000 ))
		WEBHOOK_ALLOW_PRIVATE=1 PORT=$port HOST=127.0.0.1 LOG_LEVEL=warn SCHEDULER=off "$1" serve 2>>"$serve_log" &
		server=$!
		i=0
		while kill -0 "$server" 2>/dev/null && [ $i -lt 100 ]; do
			if curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then
				base=http://127.0.0.1:$port
				return
			fi
			i=$((i + 1))
			sleep 0.1
		done
		stop_serve
	done
	say "serve did not become ready (see $serve_log)"
	exit 1
}

# One real event: the subscription, and an entry whose time_entry.created
# payload every generated event copies.
# wait_for SQL VALUE TRIES SECONDS MESSAGE: polls until SQL answers VALUE, or
# stops the run with MESSAGE after TRIES polls SECONDS apart.
wait_for() {
	i=0
	until [ "$(sql "$1")" = "$2" ]; do
		i=$((i + 1))
		[ $i -le "$3" ] || { say "$5"; exit 1; }
		sleep "$4"
	done
}
start_serve "$BIN"
wh=$(curl -fsS -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
	-d "{\"url\":\"http://127.0.0.1:$sink_port/hook\",\"events\":[\"time_entry.created\"]}" \
	"$base/api/v1/time/webhooks" | field id)
curl -fsS -o /dev/null -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
	-d "{\"entity_type\":\"task\",\"entity_id\":\"$task\",\"hours\":1.5,\"log_date\":\"2026-04-29\",\"description\":\"Benchmark\"}" \
	"$base/api/v1/time-entries"
wait_for "SELECT count(*) FROM time_webhook_deliveries WHERE status = 'delivered'" 1 100 0.1 \
	"the first delivery did not arrive"
stop_serve
template=$(sql "SELECT id FROM time_webhook_events")
# The history: delivered a month ago, as time_entry.updated so that the runs
# below can tell their own deliveries (time_entry.created) apart.
sql "INSERT INTO time_webhook_events (id, workspace_id, event, payload, created_at)
     SELECT wt_id('evt'), :'ws', 'time_entry.updated', payload, created_at - interval '30 days' - g * interval '1 s'
     FROM time_webhook_events, generate_series(1, :n) g WHERE id = '$template';
     WITH d AS (INSERT INTO time_webhook_deliveries (workspace_id, webhook_id, event_id, event, status, attempts, created_at)
                SELECT :'ws', :'wh', id, event, 'delivered', 1, created_at FROM time_webhook_events
                WHERE event = 'time_entry.updated' RETURNING id, created_at)
     INSERT INTO time_webhook_attempts (delivery_id, workspace_id, attempt, at, duration_ms, response_code, outcome)
     SELECT id, :'ws', 1, created_at, 3, 200, 'delivered' FROM d" >/dev/null
RUN="event = 'time_entry.created' AND event_id <> '$template'"
say "workspace $ws, subscription $wh, template event $template ($(sql "SELECT octet_length(payload::text) FROM time_webhook_events WHERE id = '$template'") bytes)"

# ---------------------------------------------------------------- measuring
pm=$(head -n 1 "$(printf '%s\n' "$DATABASE_URL" | sed -n 's/.*host=\([^ ]*\)\/run.*/\1/p')/data/postmaster.pid")
# CPU ticks of the cluster: the postmaster, its live children, and the
# children it has reaped (cutime/cstime), so a backend that exits between two
# readings still counts once.
pg_ticks() {
	{
		cat "/proc/$pm/stat"
		for c in $(ps -o pid= --ppid "$pm"); do cat "/proc/$c/stat" 2>/dev/null || true; done
	} | awk -v pm="$pm" '{ self = ($1 == pm); sub(/.*\) /, ""); t += $12 + $13; if (self) t += $14 + $15 } END { print t }'
}
xacts() { sql "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()"; }

# Fresh deliveries, not yet due: the previous run's go first.
prepare() {
	sql "DELETE FROM time_webhook_events WHERE event = 'time_entry.created' AND id <> '$template'" >/dev/null
	sql "INSERT INTO time_webhook_events (id, workspace_id, event, payload)
	     SELECT x.id, :'ws', 'time_entry.created', jsonb_set(t.payload, '{id}', to_jsonb(x.id))
	     FROM (SELECT wt_id('evt') AS id FROM generate_series(1, :n)) x,
	          (SELECT payload FROM time_webhook_events WHERE id = '$template') t" >/dev/null
	sql "INSERT INTO time_webhook_deliveries (workspace_id, webhook_id, event_id, event, next_attempt_at)
	     SELECT :'ws', :'wh', id, event, now() + interval '10 years' FROM time_webhook_events
	     WHERE event = 'time_entry.created' AND id <> '$template'" >/dev/null
	sql "VACUUM ANALYZE time_webhook_events, time_webhook_deliveries, time_webhook_attempts" >/dev/null
}
# make_due analyzed|stale: makes the deliveries due in one transaction (its
# NOTIFY wakes a dispatcher), with the statistics brought up to date in it or
# left saying that nothing is due; prints the instant just before it commits,
# on the database's clock.
make_due() {
	if [ "$1" = analyzed ]; then analyze="ANALYZE time_webhook_deliveries;"; else analyze=; fi
	sql "BEGIN;
	     UPDATE time_webhook_deliveries SET next_attempt_at = clock_timestamp() WHERE status = 'pending';
	     $analyze
	     SELECT pg_notify('time_events', :'ws');
	     SELECT 't0=' || extract(epoch FROM clock_timestamp());
	     COMMIT;" | sed -n 's/^t0=//p'
}
wait_drained() {
	wait_for "SELECT count(*) FROM time_webhook_deliveries WHERE status = 'pending'" 0 3000 0.2 \
		"the deliveries were not drained in 10 minutes"
}
# finish T0 CPU_TICKS PG0 X0: checks the run and sets result to "rate cpu_ms
# pg_ms xacts" (per delivery).
finish() {
	ok=$(sql "SELECT count(*) FROM time_webhook_deliveries WHERE status = 'delivered' AND attempts = 1 AND $RUN")
	tries=$(sql "SELECT count(*) FROM time_webhook_attempts a JOIN time_webhook_deliveries d ON d.id = a.delivery_id
	             WHERE $RUN")
	if [ "$ok" != "$N" ] || [ "$tries" != "$N" ]; then
		say "expected $N deliveries delivered once, got $ok ($tries attempts)"
		exit 1
	fi
	secs=$(sql "SELECT extract(epoch FROM max(updated_at)) - $1 FROM time_webhook_deliveries WHERE $RUN")
	sleep 1.5 # backends report their transaction counts when idle, at most once a second
	result=$(awk -v s="$secs" -v n="$N" -v c="$2" -v p="$(( $(pg_ticks) - $3 ))" -v x="$(( $(xacts) - $4 ))" -v t="$tck" \
		'BEGIN { printf "%.0f %.3f %.3f %.2f\n", n / s, c * 1000 / t / n, p * 1000 / t / n, x / n }')
}
serve_ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$server/stat"; }
# The CPU of the children this shell has waited for, in ticks, from a file
# the builtin times wrote (its second line: their user and system time).
times_ticks() { tail -n 1 "$1" | awk -v t="$tck" '{ gsub(/[ms]/, " "); print int(($1 * 60 + $2 + $3 * 60 + $4) * t + 0.5) }'; }

# dispatcher BIN analyzed|stale: a serve's dispatcher drains them.
dispatcher() {
	prepare
	start_serve "$1"
	sleep 0.5
	c0=$(serve_ticks) p0=$(pg_ticks) x0=$(xacts)
	t0=$(make_due "$2")
	wait_drained
	c1=$(serve_ticks)
	stop_serve
	finish "$t0" $((c1 - c0)) "$p0" "$x0"
}
# drain BIN: `cron run deliver-time-webhooks` drains them.
drain() {
	prepare
	p0=$(pg_ticks) x0=$(xacts)
	t0=$(make_due analyzed)
	times >"$tmp/times0"
	WEBHOOK_ALLOW_PRIVATE=1 LOG_LEVEL=warn "$1" cron run deliver-time-webhooks >"$tmp/drain.json" 2>>"$serve_log"
	times >"$tmp/times1"
	d=$(jq -r .delivered "$tmp/drain.json")
	[ "$d" = "$N" ] || { say "the drain delivered $d of $N"; exit 1; }
	finish "$t0" $(( $(times_ticks "$tmp/times1") - $(times_ticks "$tmp/times0") )) "$p0" "$x0"
}

add() { eval "fig_$1=\"\${fig_$1:-} $2\""; }
med() { eval "echo \"\${fig_$1:-}\"" | median; }
record() { # record SIDE WAY "RATE CPU PG XACTS"
	# shellcheck disable=SC2086 # four words on purpose
	set -- "$1" "$2" $3
	add "$1_$2_rate" "$3"
	add "$1_$2_cpu" "$4"
	add "$1_$2_pg" "$5"
	add "$1_$2_xacts" "$6"
	say "$1 $2: $3 deliveries/s, CPU ms/delivery: process $4, PostgreSQL $5; $6 transactions/delivery"
}

load_before=$(load_avg)
sides=b
[ -z "$A_BIN" ] || sides="a b"
r=1
while [ "$r" -le "$ROUNDS" ]; do
	for side in $sides; do
		if [ "$side" = a ]; then bin=$A_BIN; else bin=$BIN; fi
		dispatcher "$bin" analyzed
		record "$side" dispatcher "$result"
		drain "$bin"
		record "$side" drain "$result"
	done
	say "round $r done; load average $(load_avg)"
	r=$((r + 1))
done
# Once more, with statistics from before the backlog came due (as after an
# outage or a burst, until autovacuum analyzes): how the lease plans then.
for side in $sides; do
	if [ "$side" = a ]; then bin=$A_BIN; else bin=$BIN; fi
	dispatcher "$bin" stale
	record "$side" stale "$result"
done
kill "$sink_pid"
wait "$sink_pid" 2>/dev/null || true
sink_pid=
received=$(sed -n 's/^requests=\([0-9]*\).*/\1/p' "$tmp/sink.out")
unsigned=$(sed -n 's/.*unsigned=\([0-9]*\).*/\1/p' "$tmp/sink.out")

out ""
out "bench-webhooks: $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores," \
	"$N deliveries per run, median of $ROUNDS rounds; load average (1/5/15 min) before $load_before, at the end $(load_avg);" \
	"the sink answered $received requests ($unsigned without webhook-id)"
out ""
row() { # row LABEL SIDE WAY
	out "| $1 | $(med "$2_$3_rate") ($(eval "echo \$fig_$2_$3_rate" | sed 's/^ //;s/ /, /g')) | $(med "$2_$3_cpu") | $(med "$2_$3_pg") | $(med "$2_$3_xacts") |"
}
out "| drain of $N pending deliveries | deliveries/s (each round) | process CPU ms/delivery | PostgreSQL CPU ms/delivery | transactions/delivery |"
out "|---|---|---|---|---|"
ratio() { awk -v a="$(med "a_$1_rate")" -v b="$(med "b_$1_rate")" 'BEGIN { printf "%.2f", b / a }'; }
if [ -n "$A_BIN" ]; then
	row "dispatcher in \`serve\`, one record per transaction (A)" a dispatcher
	row "dispatcher in \`serve\`, batched (B)" b dispatcher
	row "\`cron run deliver-time-webhooks\`, one record per transaction (A)" a drain
	row "\`cron run deliver-time-webhooks\`, batched (B)" b drain
	row "dispatcher, statistics from before the backlog came due, A (one run)" a stale
	row "dispatcher, statistics from before the backlog came due, B (one run)" b stale
	out ""
	out "B / A: dispatcher $(ratio dispatcher), drain $(ratio drain), with statistics from before the backlog $(ratio stale)"
else
	row "dispatcher in \`serve\`" b dispatcher
	row "\`cron run deliver-time-webhooks\`" b drain
	row "dispatcher, statistics from before the backlog came due (one run)" b stale
fi
