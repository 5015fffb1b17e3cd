#!/bin/sh
# make check, after the build: unit tests (plain, ASan+UBSan, TSan on the
# threaded suites), the layer check tests/layers.sh, the integration scripts
# tests/integration/*.sh (those marked "# needs: kernel-sctp" through
# tests/vm/sctp-tests.sh), then the call suites a second time against
# build/tandemd-san (ASan+UBSan; names get "@san"). Every line of the form
# "PASS name", "FAIL name...", "SKIP name..." counts; the last line is the
# total. Exit non-zero on any failure.
set -u
top=$(pwd)
build="$top/build"
log="$build/check.log"
: > "$log"
export UNIT_TOP="$top" TANDEM_TOP="$top" TANDEM_BUILD="$build"

fail() {
	echo "FAIL $*" | tee -a "$log"
}

# Scripts with a line "# needs: kernel-sctp" run through tests/vm/sctp-tests.sh:
# natively where this kernel has SCTP (after the other scripts: they share
# this host's ports), else all in one boot of a small VM started here, before
# the unit tests, so that it runs beside them and the other scripts: the
# guest has a network of its own (loopback only), nothing it does meets a
# port here, and the minutes of its emulated CPU come off make check's.
sctp_tests=""
for t in "$top"/tests/integration/*.sh; do
	[ -e "$t" ] || continue
	grep -q '^# needs: kernel-sctp' "$t" && sctp_tests="$sctp_tests $t"
done
vmout="$build/it-sctp"
vm_bg=""
vm_t0=$(date +%s)
if [ -n "$sctp_tests" ] && [ "${TANDEM_VM:-}" != never ] &&
	! python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM, 132)' 2>/dev/null; then
	echo "== integration over kernel SCTP: the VM starts now, beside the tests below"
	rm -f "$build/it-sctp.rc"
	# shellcheck disable=SC2086
	(
		bash "$top/tests/vm/sctp-tests.sh" "$vmout" $sctp_tests 2>"$build/it-sctp.stderr"
		echo $? >"$build/it-sctp.rc"
	) &
	vm_bg=$!
fi

# unit LABEL BINARY: run one flavour of the Check runner (environment from the
# caller) into build/LABEL.out, then judge it by more than its lines: the
# runner must exit, print its summary "LABEL: P passed, F failed, S skipped,
# R registered" with R > 0, one result line per registered test, and exit 0
# exactly when nothing failed. A crash half-way (no summary, fewer lines, a
# signal) is a FAIL. Sets REGISTERED.
unit() {
	label=$1 bin=$2 out="$build/$1.out"
	REGISTERED=0
	"$bin" "$label" >"$out" 2>>"$build/$label.stderr"
	rc=$?
	cat "$out"
	grep -E '^(PASS|FAIL|SKIP) ' "$out" >>"$log"
	sum=$(grep -E "^$label: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped, [0-9]+ registered$" "$out" | tail -n 1)
	if [ -z "$sum" ]; then
		fail "$label: the runner did not finish (exit status $rc, see build/$label.stderr)"
		return
	fi
	set -- $(echo "$sum" | tr -dc '0-9 ')
	p=$1 f=$2 s=$3 r=$4
	lines=$(grep -cE "^(PASS|FAIL|SKIP) $label:" "$out")
	REGISTERED=$r
	[ "$r" -gt 0 ] || fail "$label: no test registered"
	[ "$lines" = $((p + f + s)) ] && [ "$lines" -ge "$r" ] ||
		fail "$label: $r tests registered, $lines reported ($sum)"
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		fail "$label: exit status $rc with no failed test (see build/$label.stderr)"
	elif [ "$rc" = 0 ] && [ "$f" != 0 ]; then
		fail "$label: exit status 0 with $f failed"
	fi
}

echo "== unit"
: >"$build/unit.stderr"
unit unit "$build/unit-tests"
plain=$REGISTERED

echo "== unit (ASan+UBSan)"
: >"$build/unit-san.stderr"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	unit unit-san "$build/unit-tests-san"
[ "$REGISTERED" = "$plain" ] ||
	fail "unit-san: $REGISTERED tests registered, the plain runner has $plain"
if grep -q 'runtime error\|AddressSanitizer\|LeakSanitizer' "$build/unit-san.stderr"; then
	fail "unit-san: sanitizer report in build/unit-san.stderr"
	grep -m5 'runtime error\|AddressSanitizer\|LeakSanitizer' "$build/unit-san.stderr"
fi

echo "== unit (ThreadSanitizer: queues and media workers)"
: >"$build/unit-tsan.stderr"
for s in spsc media_worker loop; do
	CK_RUN_SUITE=$s TSAN_OPTIONS=halt_on_error=1 unit unit-tsan "$build/unit-tests-tsan"
done
if grep -q 'ThreadSanitizer' "$build/unit-tsan.stderr"; then
	fail "unit-tsan: race report in build/unit-tsan.stderr"
	grep -m5 'WARNING: ThreadSanitizer' "$build/unit-tsan.stderr"
fi

echo "== layers (nm: edges between core/sip/sigtran/media/interwork, name prefixes)"
bash "$top/tests/layers.sh" "$build" 2>&1 | tee -a "$log"

# collect NAME OUTFILE RC SUFFIX: an integration script's result lines (names
# with SUFFIX appended) into the log; a non-zero exit without a FAIL line, or
# no result line at all, is a failure of its own
collect() {
	name=$1 out=$2 rc=$3 sfx=$4
	grep -E '^(PASS|FAIL|SKIP) ' "$out" | sed -E "s/^((PASS|FAIL|SKIP) [^ ]*[^ :])/\\1$sfx/" |
		tee -a "$log"
	if [ "$rc" != 0 ] && ! grep -q '^FAIL ' "$out"; then
		fail "it:$name$sfx: exit status $rc (see $out)"
	fi
	if ! grep -qE '^(PASS|FAIL|SKIP) ' "$out"; then
		fail "it:$name$sfx: printed no result (see $out)"
	fi
}

# integration NAME SCRIPT SUFFIX: run one script and collect its results
integration() {
	local t0 rc
	echo "== integration: $1$3"
	t0=$(date +%s)
	timeout -k 10 600 bash "$2" >"$build/it-$1$3.out" 2>&1
	rc=$?
	collect "$1" "$build/it-$1$3.out" $rc "$3"
	echo "   ($(($(date +%s) - t0)) s)"
}

for t in "$top"/tests/integration/*.sh; do
	[ -e "$t" ] || continue
	case " $sctp_tests " in *" $t "*) continue ;; esac
	integration "$(basename "$t" .sh)" "$t" ""
done

if [ -n "$sctp_tests" ]; then
	echo "== integration over kernel SCTP (tests/vm/sctp-tests.sh)"
	if [ -n "$vm_bg" ]; then
		wait "$vm_bg"
		vrc=$(cat "$build/it-sctp.rc" 2>/dev/null || echo 1)
	else
		vm_t0=$(date +%s)
		# shellcheck disable=SC2086
		bash "$top/tests/vm/sctp-tests.sh" "$vmout" $sctp_tests 2>"$build/it-sctp.stderr"
		vrc=$?
	fi
	grep '^sctp-tests: ' "$build/it-sctp.stderr"
	echo "   ($(($(date +%s) - vm_t0)) s for the SCTP tests, boot included${vm_bg:+, beside the tests above})"
	for t in $sctp_tests; do
		name=$(basename "$t" .sh)
		echo "== integration: $name (SCTP)"
		cp "$vmout/$name.out" "$build/it-$name.out" 2>/dev/null ||
			echo "FAIL it:$name: the SCTP harness gave no output (rc $vrc, see build/it-sctp.stderr)" >"$build/it-$name.out"
		collect "$name" "$build/it-$name.out" "$(cat "$vmout/$name.rc" 2>/dev/null || echo 1)" ""
	done
fi

# The call suites (and iw_ops: CDR files, metrics, drain) again against
# tandemd built with ASan+UBSan: any report
# (written to build/san-logs/ by the sanitizer runtime, whatever the script
# does with tandemd's own log) is a failure of that script.
if [ -x "$build/tandemd-san" ]; then
	for name in iw_calls iw_routing isup_interop iw_ops; do
		d="$build/san-logs/$name"
		rm -rf "$d"
		mkdir -p "$d"
		TANDEM_TANDEMD="$build/tandemd-san" TANDEM_SAN_SCAN=1 \
		ASAN_OPTIONS="detect_leaks=1:log_path=$d/asan" \
		UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$d/ubsan" \
			integration "$name" "$top/tests/integration/$name.sh" "@san"
		if [ -n "$(ls -A "$d")" ]; then
			fail "it:$name@san: sanitizer report from tandemd-san (build/san-logs/$name/)"
			cat "$d"/* | grep -m5 'ERROR\|runtime error\|SUMMARY'
		else
			echo "PASS it:$name@san:no-sanitizer-report" | tee -a "$log"
		fi
	done
else
	fail "it:tandemd-san: build/tandemd-san not built (make unit)"
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
