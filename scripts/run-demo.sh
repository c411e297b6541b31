#!/bin/sh
# `make run`: on first use, seed a demo workspace (Pro, every module) with an
# admin, a manager and a member and their API tokens, keep them in
# var/demo.json, print them, then serve on the embedded PostgreSQL.
set -eu
BIN=${1:-build/workestra-time}
DATA=${WORKESTRA_DATA_DIR:-var}
DEMO="$DATA/demo.json"
mkdir -p "$DATA"

if [ ! -s "$DEMO" ] || [ -n "${DATABASE_URL:-}" ]; then
	ws=$("$BIN" admin workspace create --name "Acme Agency (demo)" --plan pro \
		--modules projects,finance,people,support,crm,recruiting,scheduling,inbox | jq -r .id)
	user() { "$BIN" admin user create --workspace "$ws" --email "$1@acme.example" --name "$2" --role "$3" --weekly-hours "$4" | jq -r .id; }
	token() { "$BIN" admin token create --user "$1" --name "make run demo" | jq -r .token; }
	admin=$(user ada "Ada Admin" admin 40)
	manager=$(user max "Max Manager" manager 40)
	member=$(user mia "Mia Member" member 32)
	"$BIN" admin demo --workspace "$ws" > "$DATA/demo-records.json"
	jq -n --arg ws "$ws" --arg admin "$admin" --arg manager "$manager" --arg member "$member" \
		--arg admin_token "$(token "$admin")" --arg manager_token "$(token "$manager")" \
		--arg member_token "$(token "$member")" --slurpfile records "$DATA/demo-records.json" \
		'{workspace_id: $ws, users: {admin: {id: $admin, token: $admin_token},
		  manager: {id: $manager, token: $manager_token}, member: {id: $member, token: $member_token}},
		  records: $records[0]}' > "$DEMO.tmp"
	mv "$DEMO.tmp" "$DEMO"
	rm -f "$DATA/demo-records.json"
fi

port=${PORT:-8080}
task=$(jq -r '.records.tasks[0].id' "$DEMO")
cat <<EOT

Workestra Time demo — workspace $(jq -r .workspace_id "$DEMO")
  admin   token: $(jq -r .users.admin.token "$DEMO")
  manager token: $(jq -r .users.manager.token "$DEMO")
  member  token: $(jq -r .users.member.token "$DEMO")
(all ids and tokens: $DEMO)

Web console: http://127.0.0.1:$port/ (paste a token to sign in)

Try:
  curl -s -H "Authorization: Bearer $(jq -r .users.member.token "$DEMO")" \\
       -d '{"entity_type":"task","entity_id":"$task"}' http://127.0.0.1:$port/api/v1/time/timer/start

EOT
exec "$BIN" serve
