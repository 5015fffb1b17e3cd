#!/bin/sh
# make check, after the build: unit tests (plain, then ASan+UBSan), then the
# integration scripts tests/integration/*.sh. Every line of the form
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

# report NAME OUTFILE RC: an integration script's result lines into the log
report() {
	grep -E '^(PASS|FAIL|SKIP) ' "$2" | tee -a "$log"
	if [ "$3" != 0 ] && ! grep -q '^FAIL ' "$2"; then
		echo "FAIL it:$1: exit status $3 (see $2)" | tee -a "$log"
	fi
	if ! grep -qE '^(PASS|FAIL|SKIP) ' "$2"; then
		echo "FAIL it:$1: printed no result (see $2)" | tee -a "$log"
	fi
}

# Scripts with a line "# needs: kernel-sctp" run through tests/vm/sctp-tests.sh:
# natively where this kernel has SCTP, else all in one boot of a small VM.
sctp_tests=""
for t in "$top"/tests/integration/*.sh; do
	[ -e "$t" ] || continue
	name=$(basename "$t" .sh)
	if grep -q '^# needs: kernel-sctp' "$t"; then
		sctp_tests="$sctp_tests $t"
		continue
	fi
	echo "== integration: $name"
	out="$build/it-$name.out"
	timeout -k 10 600 bash "$t" >"$out" 2>&1
	report "$name" "$out" $?
done

if [ -n "$sctp_tests" ]; then
	echo "== integration over kernel SCTP (tests/vm/sctp-tests.sh)"
	vmout="$build/it-sctp"
	t0=$(date +%s)
	# shellcheck disable=SC2086
	bash "$top/tests/vm/sctp-tests.sh" "$vmout" $sctp_tests 2>"$build/it-sctp.stderr"
	vrc=$?
	grep '^sctp-tests: ' "$build/it-sctp.stderr"
	echo "   ($(($(date +%s) - t0)) s for the SCTP tests, boot included)"
	for t in $sctp_tests; do
		name=$(basename "$t" .sh)
		echo "== integration: $name (SCTP)"
		cp "$vmout/$name.out" "$build/it-$name.out" 2>/dev/null ||
			echo "FAIL it:$name: the SCTP harness gave no output (rc $vrc, see build/it-sctp.stderr)" >"$build/it-$name.out"
		report "$name" "$build/it-$name.out" "$(cat "$vmout/$name.rc" 2>/dev/null || echo 1)"
	done
fi

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
