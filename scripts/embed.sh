#!/bin/sh
# Usage: embed.sh SYMBOL FILE... > out.c
# Turns text files into a C array of {name, text}, sorted by name, so the
# binary carries its migrations, tool definitions and prompts.
set -eu
sym=$1; shift
echo '#include "util/embedded.h"'
echo "const embedded_file ${sym}[] = {"
for f in $(printf '%s\n' "$@" | sort); do
	printf '\t{"%s",\n' "$(basename "$f")"
	# Escape with sed (mawk's gsub does not double backslashes), wrap with
	# awk. `?` too: JavaScript's `??=` would be a C trigraph.
	LC_ALL=C sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/\t/\\t/g' -e 's/?/\\?/g' "$f" |
		LC_ALL=C awk '{ printf "\t\"%s\\n\"\n", $0 }'
	printf '\t},\n'
done
echo '	{0, 0}'
echo '};'
