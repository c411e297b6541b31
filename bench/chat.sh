#!/bin/sh
# Usage: bench/chat.sh (from anywhere; builds what it needs first)
# The chat loop's own overhead per turn: POST /api/ai/chat against the
# scripted model server (build/tests/model-server), which answers at once,
# so a turn's time is ours: authentication, the rate check, storing the
# messages, settling cards, building the context, two streamed completions
# parsed, one tool run, the events written. A throwaway PostgreSQL
# (scripts/test-pg.sh), one serve; TURNS turns of each kind, one at a time;
# prints the median and p95 in milliseconds (curl time_total). Not a test:
# figures depend on the machine.
set -eu
cd "$(dirname "$0")/.."
BIN=${WT_BIN:-build/workestra-time}
MODEL=${MODEL_SERVER:-build/tests/model-server}
TURNS=${TURNS:-200}

if [ "${1:-}" != "--inside" ]; then
	[ -n "${WT_BIN:-}" ] || make --no-print-directory "$BIN" "$MODEL" >/dev/null
	exec scripts/test-pg.sh "${BENCH_PG_DIR:-build/bench-chat-pg}" -- env WT_BIN="$BIN" "$0" --inside
fi

say() { echo "bench-chat: $*" >&2; }
field() { sed -n "s/.*\"$1\": *\"\([^\"]*\)\".*/\1/p" | head -n 1; }

"$BIN" migrate >/dev/null 2>&1
ws=$("$BIN" admin workspace create --name "Chat benchmark" --plan pro --modules projects | field id)
user=$("$BIN" admin user create --workspace "$ws" --email bench-chat@example.test --role member | field id)
token=$("$BIN" admin token create --user "$user" | field token)

tmp=$(mktemp -d /tmp/bench-chat.XXXXXX)
server=
cleanup() {
	[ -z "$server" ] || { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; }
	exec 7>&- 8>&- 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

# Two scripted models, each kept alive by an open pipe on its stdin: one
# answers with text, one calls get_active_timer and then answers.
mkfifo "$tmp/in1" "$tmp/in2"
"$MODEL" 0 --repeat '{"text": "You have no timer running, and nothing logged today."}' <"$tmp/in1" >"$tmp/m1" &
exec 7>"$tmp/in1"
"$MODEL" 0 --repeat '{"tool_calls": [{"name": "get_active_timer", "arguments": "{}"}]}' \
	'{"text": "No timer is running."}' <"$tmp/in2" >"$tmp/m2" &
exec 8>"$tmp/in2"
sleep 0.3
port1=$(awk '{print $2}' "$tmp/m1")
port2=$(awk '{print $2}' "$tmp/m2")

# serve_with MODEL_PORT: a serve on a free port using that model; sets base.
serve_with() {
	[ -z "$server" ] || { kill "$server"; wait "$server" 2>/dev/null || true; }
	attempt=0
	base=
	while [ -z "$base" ] && [ $attempt -lt 5 ]; do
		attempt=$((attempt + 1))
		port=$(( 20000 + ($$ * 37 + attempt * 7919) % 40000 ))
		AI_BASE_URL="http://127.0.0.1:$1/v1" AI_MODEL=scripted AI_CHAT_RATE=10000 RATE_LIMIT_PER_TOKEN=0 RATE_LIMIT_PER_WORKSPACE=0 SCHEDULER=off \
			WEBHOOK_DISPATCHER=off PORT=$port HOST=127.0.0.1 LOG_LEVEL=warn "$BIN" serve 2>"$tmp/serve.log" &
		server=$!
		i=0
		while kill -0 "$server" 2>/dev/null && [ $i -lt 100 ]; do
			if curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then
				base=http://127.0.0.1:$port
				break
			fi
			i=$((i + 1))
			sleep 0.1
		done
	done
	[ -n "$base" ] || { say "serve did not start"; cat "$tmp/serve.log" >&2; exit 1; }
	# Warm up: each chat thread opens its database connection on its first turn.
	for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do
		curl -s -o /dev/null -H "Authorization: Bearer $token" -H "Accept: application/json" \
			-d '{"message":"warm up"}' "$base/api/ai/chat"
	done
}

# turns ACCEPT [CONVERSATION]: TURNS timed turns; prints "median p95" in ms.
turns() {
	: >"$tmp/times"
	n=0
	while [ $n -lt "$TURNS" ]; do
		body='{"message":"Is my timer running?"}'
		[ -z "${2:-}" ] || body="{\"message\":\"Is my timer running?\",\"conversation_id\":\"$2\"}"
		t=$(curl -s -o "$tmp/out" -w '%{http_code} %{time_total}' -H "Authorization: Bearer $token" \
			-H "Accept: $1" -d "$body" "$base/api/ai/chat")
		case $t in
		200\ *) ;;
		*) say "POST /api/ai/chat answered $t"; cat "$tmp/out" >&2; exit 1 ;;
		esac
		grep -q '"stop_reason"' "$tmp/out" || { say "no done in:"; cat "$tmp/out" >&2; exit 1; }
		echo "${t#* }" >>"$tmp/times"
		n=$((n + 1))
	done
	sort -n "$tmp/times" | awk '{ v[NR] = $1 } END { printf "%.1f %.1f", v[int((NR + 1) / 2)] * 1000, v[int(NR * 0.95)] * 1000 }'
}

serve_with "$port1"
text_sse=$(turns text/event-stream)
text_json=$(turns application/json)
serve_with "$port2"
tool_sse=$(turns text/event-stream)
# One conversation that grows: every turn adds four messages to the context.
conv=$(curl -s -H "Authorization: Bearer $token" -H "Accept: application/json" -d '{"message":"start"}' \
	"$base/api/ai/chat" | field conversation_id)
tool_long=$(turns text/event-stream "$conv")

echo "chat benchmark: $TURNS turns each, one at a time, scripted model answering at once (median / p95, curl time_total)"
echo "  text answer, SSE                          ${text_sse% *} ms / ${text_sse#* } ms"
echo "  text answer, JSON                         ${text_json% *} ms / ${text_json#* } ms"
echo "  one tool round + answer, SSE              ${tool_sse% *} ms / ${tool_sse#* } ms"
echo "  the same, in one conversation of $TURNS turns  ${tool_long% *} ms / ${tool_long#* } ms"
