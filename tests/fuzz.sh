#!/bin/sh
# make fuzz: run every libFuzzer target for a bounded time. Seeds come from
# tests/fuzz/corpus/<target>/ when present; new inputs go to build/fuzz/corpus-*.
set -u
secs=${1:-20}
rc=0
for bin in build/fuzz/fuzz_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	corpus="build/fuzz/corpus-$name"
	mkdir -p "$corpus"
	seeds=""
	[ -d "tests/fuzz/corpus/$name" ] && seeds="tests/fuzz/corpus/$name"
	echo "== $name ($secs s)"
	if ! "$bin" -max_total_time="$secs" -artifact_prefix="build/fuzz/$name-" \
		"$corpus" $seeds >"build/fuzz/$name.log" 2>&1; then
		echo "FAIL $name: crash, see build/fuzz/$name.log and build/fuzz/$name-*"
		tail -20 "build/fuzz/$name.log"
		rc=1
	else
		echo "PASS $name: $(grep -o '#[0-9]*[[:space:]]*DONE.*' "build/fuzz/$name.log" | tail -1)"
	fi
done
exit $rc
