#!/bin/sh
# make check, after the build: unit tests (plain, then ASan+UBSan), the layer
# check tests/layers.sh, then the integration scripts tests/integration/*.sh. Every line of the form
# "PASS name", "FAIL name...", "SKIP name..." counts; the last line is the
# total. Exit non-zero on any failure.
set -u
top=$(pwd)
build="$top/build"
log="$build/check.log"
: > "$log"
export UNIT_TOP="$top" TANDEM_TOP="$top" TANDEM_BUILD="$build"


# The runner's exit status is in the log lines; tee hides it, so look there.
echo "== unit"
"$build/unit-tests" unit 2>"$build/unit.stderr" | tee -a "$log"
echo "== unit (ASan+UBSan)"
rm -f "$build/unit-tsan.stderr"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	"$build/unit-tests-san" unit-san 2>"$build/unit-san.stderr" | tee -a "$log"
if ! grep -q '^unit-san: ' "$log"; then
	echo "FAIL unit-san: the sanitizer runner did not finish (see build/unit-san.stderr)" | tee -a "$log"
fi
if grep -q 'runtime error\|AddressSanitizer\|LeakSanitizer' "$build/unit-san.stderr"; then
	echo "FAIL unit-san: sanitizer report in build/unit-san.stderr" | tee -a "$log"
	grep -m5 'runtime error\|AddressSanitizer\|LeakSanitizer' "$build/unit-san.stderr"
fi

echo "== unit (ThreadSanitizer: queues and media workers)"
for s in spsc media_worker loop; do
	CK_RUN_SUITE=$s TSAN_OPTIONS=halt_on_error=1 "$build/unit-tests-tsan" unit-tsan \
		2>>"$build/unit-tsan.stderr" | grep -v '^unit-tsan: ' | tee -a "$log"
done
if grep -q 'ThreadSanitizer' "$build/unit-tsan.stderr"; then
	echo "FAIL unit-tsan: race report in build/unit-tsan.stderr" | tee -a "$log"
	grep -m5 'WARNING: ThreadSanitizer' "$build/unit-tsan.stderr"
fi

echo "== layers (nm: edges between core/sip/sigtran/media/interwork, name prefixes)"
bash "$top/tests/layers.sh" "$build" 2>&1 | tee -a "$log"

for t in "$top"/tests/integration/*.sh; do
	[ -e "$t" ] || continue
	name=$(basename "$t" .sh)
	echo "== integration: $name"
	out="$build/it-$name.out"
	timeout -k 10 600 bash "$t" >"$out" 2>&1
	rc=$?
	grep -E '^(PASS|FAIL|SKIP) ' "$out" | tee -a "$log"
	if [ "$rc" != 0 ] && ! grep -q '^FAIL ' "$out"; then
		echo "FAIL it:$name: exit status $rc (see build/it-$name.out)" | tee -a "$log"
	fi
	if ! grep -qE '^(PASS|FAIL|SKIP) ' "$out"; then
		echo "FAIL it:$name: printed no result (see build/it-$name.out)" | tee -a "$log"
	fi
done

p=$(grep -c '^PASS ' "$log")
f=$(grep -c '^FAIL ' "$log")
s=$(grep -c '^SKIP ' "$log")
echo
if [ "$f" != 0 ]; then
	echo "failures:"
	grep '^FAIL ' "$log"
	echo
fi
if [ "$s" != 0 ]; then
	echo "$p passed, $f failed, $s skipped"
else
	echo "$p passed, $f failed"
fi
[ "$f" = 0 ]
