#!/bin/bash
# make check, after the build: unit tests (plain, ASan+UBSan, TSan on the
# threaded suites), the layer check tests/layers.sh, the integration scripts
# tests/integration/*.sh (those marked "# needs: kernel-sctp" through
# tests/vm/sctp-tests.sh), then the call suites a second time against
# build/tandemd-san (ASan+UBSan; names get "@san"). The integration scripts
# run TANDEM_IT_JOBS at a time (default 2), each in a network namespace of its
# own where this user can make one (unshare -n): their fixed ports never meet,
# nor those of anything else on this host. Every line of the form
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

# A network namespace per integration script (and for the unit runners, whose
# socket tests bind fixed loopback ports too), loopback up, where this user
# can make one; else the scripts share this host's ports and run one at a time.
jobs=${TANDEM_IT_JOBS:-2}
if unshare -n sh -c 'ip link set lo up' 2>/dev/null; then
	nsrun=(unshare -n sh -c 'ip link set lo up && exec "$@"' nsrun)
	nsnote=", each in a network namespace of its own"
else
	echo "== integration: cannot make a network namespace (unshare -n): one script at a time on this host's ports"
	nsrun=()
	nsnote=""
	jobs=1
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
	"${nsrun[@]}" "$bin" "$label" >"$out" 2>>"$build/$label.stderr"
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


# The scripts, longest first (from the last runs) so that two at a time end
# together; the call suites again against tandemd-san ("@san"). An entry is
# NAME SUFFIX ("-" for none).
slow="pri_e1 iw_calls iw_calls@san sip_kamailio_reg iw_timers sip_dispatcher iw_refer sip_parse_tool sip_edges sip_edge cdr_pg iw_ops iw_ops@san"
san_suites="iw_calls iw_routing isup_interop iw_ops"
have_san=1
if [ ! -x "$build/tandemd-san" ]; then
	fail "it:tandemd-san: build/tandemd-san not built (make unit)"
	have_san=""
fi
queue=()
for n in $slow; do
	case $n in
	*@san) [ -n "$have_san" ] && queue+=("${n%@san} @san") ;;
	*) queue+=("$n -") ;;
	esac
done
for t in "$top"/tests/integration/*.sh; do
	[ -e "$t" ] || continue
	case " $sctp_tests " in *" $t "*) continue ;; esac
	n=$(basename "$t" .sh)
	case " $slow " in *" $n "*) continue ;; esac
	queue+=("$n -")
done
for n in $san_suites; do
	case " $slow " in *" $n@san "*) continue ;; esac
	[ -n "$have_san" ] && queue+=("$n @san")
done

# TANDEM_IT_ONLY="NAME NAME@san ...": only these (a developer's shortcut)
if [ -n "${TANDEM_IT_ONLY:-}" ]; then
	keep=()
	for e in "${queue[@]}"; do
		set -- $e
		[ "$2" = - ] && n=$1 || n=$1$2
		case " $TANDEM_IT_ONLY " in *" $n "*) keep+=("$e") ;; esac
	done
	queue=("${keep[@]}")
fi

# start_it NAME SUFFIX: one script in the background, its output to
# build/it-NAME[SUFFIX].out, its exit status and seconds beside it. "@san":
# against tandemd-san, the sanitizers' reports to build/san-logs/NAME/.
start_it() {
	local name=$1 sfx=$2 out
	[ "$sfx" = - ] && sfx=""
	out="$build/it-$name$sfx"
	rm -f "$out.rc" "$out.secs"
	(
		t0=$(date +%s)
		if [ "$sfx" = @san ]; then
			d="$build/san-logs/$name"
			rm -rf "$d"
			mkdir -p "$d"
			export TANDEM_TANDEMD="$build/tandemd-san" TANDEM_SAN_SCAN=1 \
				ASAN_OPTIONS="detect_leaks=1:log_path=$d/asan" \
				UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$d/ubsan"
		fi
		"${nsrun[@]}" timeout -k 10 600 bash "$top/tests/integration/$name.sh" >"$out.out" 2>&1
		rc=$?
		echo $(($(date +%s) - t0)) >"$out.secs"
		echo $rc >"$out.rc"
	) &
	running[$!]="$1 $2"
}

# end_it NAME SUFFIX: collect a finished script's results
end_it() {
	local name=$1 sfx=$2 out d
	[ "$sfx" = - ] && sfx=""
	out="$build/it-$name$sfx"
	echo "== integration: $name$sfx ($(cat "$out.secs" 2>/dev/null || echo '?') s)"
	collect "$name" "$out.out" "$(cat "$out.rc" 2>/dev/null || echo 1)" "$sfx"
	if [ "$sfx" = @san ]; then
		d="$build/san-logs/$name"
		if [ -n "$(ls -A "$d")" ]; then
			fail "it:$name@san: sanitizer report from tandemd-san (build/san-logs/$name/)"
			cat "$d"/* | grep -m5 'ERROR\|runtime error\|SUMMARY'
		else
			echo "PASS it:$name@san:no-sanitizer-report" | tee -a "$log"
		fi
	fi
}

echo "== integration: ${#queue[@]} scripts, $jobs at a time$nsnote"
it_t0=$(date +%s)
declare -A running=()
next=0
while [ "$next" -lt "${#queue[@]}" ] || [ "${#running[@]}" -gt 0 ]; do
	while [ "$next" -lt "${#queue[@]}" ] && [ "${#running[@]}" -lt "$jobs" ]; do
		start_it ${queue[$next]}
		next=$((next + 1))
	done
	sleep 1
	for pid in "${!running[@]}"; do
		set -- ${running[$pid]}
		[ "$2" = - ] && f="$build/it-$1.rc" || f="$build/it-$1$2.rc"
		[ -e "$f" ] || ! kill -0 "$pid" 2>/dev/null || continue
		wait "$pid" 2>/dev/null
		end_it ${running[$pid]}
		unset "running[$pid]"
	done
done
echo "   ($(($(date +%s) - it_t0)) s for the integration scripts)"

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
