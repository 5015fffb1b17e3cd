#!/bin/bash
# tandem-tool cause / e164: every row of the RFC 3398 vector files through
# the tool, E.164 normalisation cases, and the exit codes (0 mapped, 1 the
# input has no mapping, 2 usage). No network, no ports.
. "$(dirname "$0")/../lib.sh"
FAILED=0
tool=$BUILD/tandem-tool
vec=$TOP/tests/vectors/interwork
if [ ! -x "$tool" ]; then
	echo "FAIL iw_map_tools: $tool not built"
	exit 1
fi

# expect NAME WANT_RC WANT_STDOUT CMD...: exit code and first stdout line
# (WANT_STDOUT a glob pattern)
expect() {
	local name=$1 want_rc=$2 want_out=$3 out rc
	shift 3
	out=$(timeout 10 "$@" 2>/dev/null)
	rc=$?
	out=${out%%$'\n'*}
	# shellcheck disable=SC2053 # WANT_STDOUT is a glob
	if [ "$rc" = "$want_rc" ] && [[ "$out" == $want_out ]]; then
		pass "iw_map_tools:$name"
	else
		fail "iw_map_tools:$name: got '$out' exit $rc, want '$want_out' exit $want_rc"
	fi
}

# RFC 3398 7.2.4.1 rows (location "-": the tool maps without location)
n=0 bad=0
while read -r cause loc status _; do
	case "$cause" in '#'* | '') continue ;; esac
	[ "$loc" = "-" ] || continue
	got=$("$tool" cause isup2sip "$cause" 2>/dev/null)
	[ "$status" = none ] && status=""
	if [ "$got" != "$status" ]; then
		echo "  isup2sip $cause: got '$got', want $status"
		bad=$((bad + 1))
	fi
	n=$((n + 1))
done <"$vec/rfc3398_isup2sip.txt"
if [ $n -ge 40 ] && [ $bad -eq 0 ]; then pass "iw_map_tools:isup2sip-vectors ($n rows)"; else
	fail "iw_map_tools:isup2sip-vectors: $bad of $n rows differ"; fi

# RFC 3398 8.2.6.1 rows
n=0 bad=0
while read -r status cause _; do
	case "$status" in '#'* | '') continue ;; esac
	got=$("$tool" cause sip2isup "$status" 2>/dev/null)
	if [ "$got" != "$cause" ]; then
		echo "  sip2isup $status: got '$got', want $cause"
		bad=$((bad + 1))
	fi
	n=$((n + 1))
done <"$vec/rfc3398_sip2isup.txt"
if [ $n -ge 40 ] && [ $bad -eq 0 ]; then pass "iw_map_tools:sip2isup-vectors ($n rows)"; else
	fail "iw_map_tools:sip2isup-vectors: $bad of $n rows differ"; fi

# Reason header rows: the same file the unit suite feeds to tandemd's
# message path, so the tool and the daemon give the same cause
n=0 bad=0
while IFS=$'\t' read -r kind status reason cause; do
	case "$kind" in '#'* | '') continue ;; esac
	args=()
	[ "$reason" = "-" ] || args=("$reason")
	if [ "$kind" = bye ]; then
		got=$("$tool" cause bye "${args[@]}" 2>/dev/null)
	else
		got=$("$tool" cause sip2isup "$status" "${args[@]}" 2>/dev/null)
	fi
	if [ "$got" != "$cause" ]; then
		echo "  $kind $status '$reason': got '$got', want $cause"
		bad=$((bad + 1))
	fi
	n=$((n + 1))
done <"$vec/reason_release.txt"
if [ $n -ge 15 ] && [ $bad -eq 0 ]; then pass "iw_map_tools:reason-vectors ($n rows)"; else
	fail "iw_map_tools:reason-vectors: $bad of $n rows differ"; fi
# the REL location tandemd uses: user for 6xx (RFC 3398 8.2.6.1)
for st_loc in "603:user (0)" "486:network beyond interworking point (10)"; do
	out=$(timeout 10 "$tool" cause sip2isup "${st_loc%%:*}" 2>&1 >/dev/null)
	if [[ $out == *"location ${st_loc#*:}" ]]; then pass "iw_map_tools:location-${st_loc%%:*}"; else
		fail "iw_map_tools:location-${st_loc%%:*}: '$out'"; fi
done
expect cause-reason-0-is-no-cause 0 17 "$tool" cause sip2isup 486 'Q.850;cause=0'
expect cause-bye-reason-0 0 16 "$tool" cause bye 'Q.850;cause=0'
expect cause-bye-extra-arg 2 "" "$tool" cause bye 'Q.850;cause=16' x

expect cause-reason-wins 0 34 "$tool" cause sip2isup 486 'Q.850;cause=34;text="No circuit"'
expect cause-reason-sip-only 0 17 "$tool" cause sip2isup 486 'SIP;cause=486'
expect cause-0 1 "" "$tool" cause isup2sip 0
expect cause-128 1 "" "$tool" cause isup2sip 128
expect cause-200 1 "" "$tool" cause sip2isup 200
expect cause-not-number 2 "" "$tool" cause isup2sip abc
expect cause-no-args 2 "" "$tool" cause
expect cause-bad-direction 2 "" "$tool" cause sideways 16

# --table: overrides from a file, the rest from RFC 3398
cat >"$TMPD/ok.table" <<'T'
# overrides for the test
isup2sip 17 600   # busy everywhere
isup2sip 16 -
isup2sip 31 -
sip2isup 486 34
sip2isup 699 127
T
printf 'isup2sip 18 487\r\nsip2isup 404 3\r\n' >"$TMPD/crlf.table"
expect table-isup2sip 0 600 "$tool" cause isup2sip 17 --table "$TMPD/ok.table"
expect table-option-first 0 600 "$tool" cause --table "$TMPD/ok.table" isup2sip 17
expect table-no-response 0 "" "$tool" cause isup2sip 31 --table "$TMPD/ok.table"
expect table-16-dash 0 "" "$tool" cause isup2sip 16 --table "$TMPD/ok.table"
expect table-default-kept 0 408 "$tool" cause isup2sip 18 --table "$TMPD/ok.table"
expect table-sip2isup 0 34 "$tool" cause sip2isup 486 --table "$TMPD/ok.table"
expect table-sip2isup-699 0 127 "$tool" cause sip2isup 699 --table "$TMPD/ok.table"
expect table-sip2isup-default 0 1 "$tool" cause sip2isup 404 --table "$TMPD/ok.table"
expect table-reason-wins 0 17 "$tool" cause sip2isup 486 'Q.850;cause=17' --table "$TMPD/ok.table"
expect table-crlf 0 487 "$tool" cause isup2sip 18 --table "$TMPD/crlf.table"
expect table-crlf-sip 0 3 "$tool" cause sip2isup 404 --table "$TMPD/crlf.table"
expect table-empty-file 0 486 "$tool" cause isup2sip 17 --table /dev/null
expect table-out-of-range 1 "" "$tool" cause isup2sip 0 --table "$TMPD/ok.table"
expect table-missing-arg 2 "" "$tool" cause isup2sip 17 --table

# a bad table: exit 2, stderr names FILE:LINE and what is wrong
bad_table() { # NAME CONTENT WANT_STDERR
	local out rc
	printf '%b' "$2" >"$TMPD/$1.table"
	out=$(timeout 10 "$tool" cause isup2sip 17 --table "$TMPD/$1.table" 2>&1 >/dev/null)
	rc=$?
	if [ $rc = 2 ] && [ "$out" = "cause: $TMPD/$1.table:$3" ]; then
		pass "iw_map_tools:table-$1"
	else
		fail "iw_map_tools:table-$1: exit $rc, stderr '$out', want 2 and '$TMPD/$1.table:$3'"
	fi
}
bad_table two-fields '# x\nisup2sip 17\n' \
	'2: want 3 fields (isup2sip CAUSE STATUS|- or sip2isup STATUS CAUSE), found 2'
bad_table four-fields 'isup2sip 17 486 600\n' \
	'1: want 3 fields (isup2sip CAUSE STATUS|- or sip2isup STATUS CAUSE), found more than 3'
bad_table direction 'isup2sip 17 486\nq850tosip 17 486\n' \
	"2: unknown direction 'q850tosip' (isup2sip or sip2isup)"
bad_table cause-range 'isup2sip 200 486\n' "1: ISUP cause '200' is not a number in 1..127"
bad_table status-range '\n\n\nisup2sip 17 200\n' \
	"4: SIP status '200' is not a number in 300..699 or '-' (no response)"
bad_table sip-dash 'sip2isup 486 -\n' "1: ISUP cause '-' is not a number in 1..127"
bad_table twice 'sip2isup 486 17\nsip2isup 486 34\n' \
	'2: sip2isup 486 given twice (first on line 1)'
out=$(timeout 10 "$tool" cause isup2sip 17 --table "$TMPD/nonexistent" 2>&1 >/dev/null)
check "iw_map_tools:table-missing-file ($out)" test "$out" = \
	"cause: $TMPD/nonexistent: No such file or directory"

expect e164-international 0 +441234567890 "$tool" e164 --cc 49 international 441234567890
expect e164-national 0 +49301234567 "$tool" e164 --cc 49 3 301234567
expect e164-subscriber 0 +49301234567 "$tool" e164 --cc 49 --area-code 30 subscriber 1234567
expect e164-unknown-intl 0 +441234567890 "$tool" e164 --cc 49 unknown 00441234567890
expect e164-unknown-national 0 +49301234567 "$tool" e164 --cc 49 2 0301234567
expect e164-nanp 0 +4930123456 "$tool" e164 --cc 1 --national-prefix 1 --international-prefix 011 \
	unknown 0114930123456
expect e164-nanp-national 0 +12125551234 "$tool" e164 --cc 1 --national-prefix 1 \
	--international-prefix 011 unknown 12125551234
expect e164-no-trunk-prefix 0 +390612345678 "$tool" e164 --cc 39 --national-prefix "" unknown 0612345678
expect e164-15-digits 0 +123456789012345 "$tool" e164 --cc 49 4 123456789012345
expect e164-16-digits 1 "error: *" "$tool" e164 --cc 49 4 1234567890123456
expect e164-not-digits 1 "error: *" "$tool" e164 --cc 49 3 30-1234
expect e164-subscriber-no-area 1 "error: a subscriber number needs --area-code" \
	"$tool" e164 --cc 49 subscriber 1234567
expect e164-noa-spare 1 "error: *" "$tool" e164 --cc 49 0 301234
expect e164-uri 0 +49301234567 "$tool" e164 --cc 49 --uri 'tel:030-123-4567;phone-context=+49'
expect e164-no-cc 2 "" "$tool" e164 national 301234
expect e164-bad-cc 2 "" "$tool" e164 --cc 4912 national 301234
expect e164-bad-noa 2 "" "$tool" e164 --cc 49 abbreviated 301234
expect e164-missing-digits 2 "" "$tool" e164 --cc 49 national
expect e164-unknown-option 2 "" "$tool" e164 --cc 49 --frobnicate national 301234
[ "$FAILED" = 0 ]
