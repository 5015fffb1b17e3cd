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

expect cause-reason-wins 0 34 "$tool" cause sip2isup 486 'Q.850;cause=34;text="No circuit"'
expect cause-reason-sip-only 0 17 "$tool" cause sip2isup 486 'SIP;cause=486'
expect cause-0 1 "" "$tool" cause isup2sip 0
expect cause-128 1 "" "$tool" cause isup2sip 128
expect cause-200 1 "" "$tool" cause sip2isup 200
expect cause-not-number 2 "" "$tool" cause isup2sip abc
expect cause-no-args 2 "" "$tool" cause
expect cause-bad-direction 2 "" "$tool" cause sideways 16

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
