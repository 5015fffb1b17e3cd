#!/bin/sh
# make bench: every benchmark, in order. C benchmarks are build/bench/bench_*;
# scripts tests/bench/*.sh start their reference peers themselves.
set -u
export TANDEM_TOP="$(pwd)" TANDEM_BUILD="$(pwd)/build"
for b in build/bench/bench_*; do
	[ -x "$b" ] || continue
	echo "== $(basename "$b")"
	"$b" || echo "bench $(basename "$b") failed"
done
for s in tests/bench/*.sh; do
	[ -e "$s" ] || continue
	echo "== $(basename "$s" .sh)"
	bash "$s" || echo "bench $(basename "$s") failed"
done
