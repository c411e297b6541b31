#!/bin/sh
# Usage: scripts/fuzz.sh run BUILD SECONDS
#        scripts/fuzz.sh corpus BUILD
# Runs the libFuzzer harnesses that `make fuzz-build` put in BUILD/fuzz/, one
# at a time (they share the machine). Harness NAME is tests/fuzz/fuzz_NAME.c,
# its seeds tests/fuzz/corpus/NAME/ and its optional dictionary
# tests/fuzz/NAME.dict. FUZZ_ONLY="a b" limits the run to those harnesses;
# FUZZ_FLAGS adds libFuzzer flags (e.g. -max_len=65536).
#   run:    each harness fuzzes for SECONDS on a copy of its seeds in
#           BUILD/fuzz-run/NAME/corpus (new inputs go there, never into
#           tests/fuzz); the first crash, leak, timeout or out-of-memory stops
#           everything with a non-zero exit and the path of the input.
#   corpus: each harness replays its committed seeds once: a regression test.
set -eu

mode=${1:-}
build=${2:-}
seconds=${3:-60}
if [ -z "$build" ] || { [ "$mode" != run ] && [ "$mode" != corpus ]; }; then
	echo "usage: $0 run BUILD SECONDS | $0 corpus BUILD" >&2
	exit 2
fi

# A network namespace of their own, where the machine allows one: harnesses
# never reach the network anyway (tests/fuzz/support/offline.c), this makes sure.
offline=
if unshare -n true 2>/dev/null; then
	offline="unshare -n"
fi

root=tests/fuzz
passed=0
failed=0
for src in "$root"/fuzz_*.c; do
	name=$(basename "$src" .c)
	name=${name#fuzz_}
	if [ -n "${FUZZ_ONLY:-}" ]; then
		case " $FUZZ_ONLY " in *" $name "*) ;; *) continue ;; esac
	fi
	bin=$build/fuzz/$name
	seeds=$root/corpus/$name
	work=$build/fuzz-run/$name
	dict=
	[ -f "$root/$name.dict" ] && dict=-dict=$root/$name.dict
	rm -rf "$work"
	mkdir -p "$work/corpus" "$work/artifacts"
	if ! ls "$seeds"/* >/dev/null 2>&1; then
		echo "fuzz $name: no seeds in $seeds" >&2
		exit 1
	fi
	start=$(date +%s)
	status=0
	if [ "$mode" = run ]; then
		cp "$seeds"/* "$work/corpus/"
		# shellcheck disable=SC2086 # FUZZ_FLAGS and dict are lists of words
		$offline "$bin" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 -print_final_stats=1 \
			-artifact_prefix="$work/artifacts/" $dict ${FUZZ_FLAGS:-} "$work/corpus" >"$work/log" 2>&1 || status=$?
	else
		# Files as arguments: each runs once, nothing is written but a crash's input.
		# shellcheck disable=SC2086
		$offline "$bin" -timeout=25 -rss_limit_mb=2048 -artifact_prefix="$work/artifacts/" ${FUZZ_FLAGS:-} \
			"$seeds"/* >"$work/log" 2>&1 || status=$?
	fi
	secs=$(($(date +%s) - start))
	if [ "$status" -ne 0 ]; then
		failed=$((failed + 1))
		echo "fuzz $name: FAILED (exit $status) after $secs s; log: $work/log" >&2
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$work/log" | head -5 >&2 || true
		found=$(ls "$work/artifacts" 2>/dev/null | head -1)
		if [ -n "$found" ]; then
			echo "fuzz $name: crashing input: $work/artifacts/$found" >&2
			echo "  reproduce: $bin $work/artifacts/$found" >&2
		else
			sed -n '/Running: /h; ${x;p}' "$work/log" | sed 's/^Running: /fuzz '"$name"': failing seed: /' >&2
		fi
		[ "$mode" = run ] && exit 1
		continue
	fi
	passed=$((passed + 1))
	if [ "$mode" = run ]; then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)
		echo "fuzz $name: ${execs:-?} execs in $secs s, corpus $(ls "$seeds" | wc -l) -> $(ls "$work/corpus" | wc -l) inputs, no crash"
	else
		echo "fuzz corpus $name: $(ls "$seeds" | wc -l) seeds in $secs s, ok"
	fi
done
if [ "$mode" = corpus ]; then
	echo "fuzz corpus: $passed passed, $failed failed"
else
	echo "fuzz: $passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
