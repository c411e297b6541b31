#!/usr/bin/env bash
# Checks that the layers of src/ point one way (README, "How it is built"):
# every #include "dir/file.h" must name a header of the including file's own
# layer or of a layer below it. Also refused: includes between two different
# layers of the same rank (peers stay independent), the extra pairs below,
# libcurl outside the code that does network work, and two modules that
# include each other. Exits 1 and names every offending line.
#
#   scripts/check-layers.sh [SRC_DIR]      (default: src)
set -euo pipefail
src=${1:-src}

# The layer map, lowest first. A file belongs to the first pattern it matches.
#
#  0 util      no knowledge of the domain: arena, dates, crypto, logging, SSRF rules, ICS parsing
#  1 store     PostgreSQL: connections, queries, migrations, ledgers
#  2 core      every domain rule; never HTTP, MCP or the network: it gets bytes
#  3 wire      http/message and http/parser: the request and response the
#              transport fills and the doors answer; util only, so a door can
#              speak HTTP without seeing the server
#  3 delivery  outbound network work (webhooks, SMTP, calendar feeds) over the
#              core's outbox. Below the doors because the cron door drives it
#              (the webhook drain, the mail flush, the feed fetch) and app
#              starts its dispatcher; above the core because the core never
#              calls it. It is not a door: nothing reaches the program through it.
#  4 ai        the tool registry and the ten tools, served by the MCP and REST doors
#  5 rest, mcp, cron, web   the doors (web: the console's embedded pages): answer a request (or a trigger) through the core
#  6 http, mcp-stdio   the transports: the HTTP server and its workers, MCP over stdio
#  7 app       the composition root: configuration, the front router, the commands, main.c
layer_of() {
	case $1 in
	"$src"/util/*) rank=0 layer=util ;;
	"$src"/store/*) rank=1 layer=store ;;
	"$src"/core/*) rank=2 layer=core ;;
	"$src"/http/message.* | "$src"/http/parser.*) rank=3 layer=wire ;;
	"$src"/delivery/*) rank=3 layer=delivery ;;
	"$src"/ai/*) rank=4 layer=ai ;;
	"$src"/rest/*) rank=5 layer=rest ;;
	"$src"/mcp/stdio.*) rank=6 layer=mcp-stdio ;;
	"$src"/mcp/*) rank=5 layer=mcp ;;
	"$src"/cron/*) rank=5 layer=cron ;;
	"$src"/web/*) rank=5 layer=web ;;
	"$src"/http/*) rank=6 layer=http ;;
	"$src"/app/* | "$src"/main.c) rank=7 layer=app ;;
	*) rank=-1 layer=unknown ;;
	esac
}

# Pairs refused although the ranks allow them: the doors that answer
# requests never reach the network themselves (app plugs delivery in where a
# request needs it, e.g. the webhook Test button).
refused_pair() {
	case "$1>$2" in
	rest\>delivery | mcp\>delivery | ai\>delivery) return 0 ;;
	esac
	return 1
}

# libcurl is for the code that does network work, and for main (its global set-up).
curl_allowed() {
	case $1 in
	"$src"/delivery/* | "$src"/util/netpolicy.c | "$src"/app/* | "$src"/main.c) return 0 ;;
	esac
	return 1
}

bad=0
complain() {
	echo "check-layers: $*" >&2
	bad=1
}

edges=$(mktemp)
trap 'rm -f "$edges"' EXIT

while IFS= read -r file; do
	layer_of "$file"
	if [ "$rank" -lt 0 ]; then
		complain "$file: in no layer; give its folder a place in scripts/check-layers.sh"
		continue
	fi
	from_rank=$rank from_layer=$layer
	from_module=${file#"$src"/}
	from_module=${from_module%.*}
	n=0
	while IFS= read -r line; do
		n=$((n + 1))
		case $line in
		'#include <curl/'*)
			curl_allowed "$file" || complain "$file:$n: includes libcurl; only delivery/ (and app) reach the network"
			continue
			;;
		'#include "'*) ;;
		*) continue ;;
		esac
		header=${line#'#include "'}
		header=${header%%'"'*}
		[ -f "$src/$header" ] || continue # generated or test-only headers
		layer_of "$src/$header"
		to_module=${header%.*}
		[ "$to_module" = "$from_module" ] || echo "$from_module $to_module" >>"$edges"
		if [ "$rank" -gt "$from_rank" ]; then
			complain "$file:$n: $from_layer (rank $from_rank) includes $header of $layer (rank $rank), a layer above it"
		elif [ "$rank" -eq "$from_rank" ] && [ "$layer" != "$from_layer" ]; then
			complain "$file:$n: $from_layer includes $header of its peer $layer; peers do not include each other"
		elif refused_pair "$from_layer" "$layer"; then
			complain "$file:$n: $from_layer must not include $header ($layer): it does not reach the network itself"
		fi
	done <"$file"
done < <(find "$src" -name '*.[ch]' | sort)

# Two modules (a .c with its .h) that include each other.
while read -r a b; do
	complain "$a and $b include each other; one of them should not need the other"
done < <(sort -u "$edges" | awk '{ e[$1 " " $2] = 1 } END { for (k in e) { split(k, p, " "); if (p[1] < p[2] && ((p[2] " " p[1]) in e)) print p[1], p[2] } }' | sort)

if [ "$bad" = 0 ]; then
	echo "check-layers: $(find "$src" -name '*.[ch]' | wc -l) files, every include points down"
fi
exit "$bad"
